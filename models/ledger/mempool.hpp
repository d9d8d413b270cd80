// Pending transactions of one validator: bounded in count and bytes, ordered by fee (highest
// first), then age (oldest first), then id; duplicates and replays are refused.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "models/ledger/transaction.hpp"

namespace tradesim::ledger {

enum class Admission { kAdmitted, kDuplicate, kReplay, kBadSignature, kFull };
std::string_view admission_name(Admission a);

class Mempool {
 public:
  Mempool(size_t max_transactions, uint64_t max_bytes)
      : max_transactions_(max_transactions), max_bytes_(max_bytes) {}

  // Checks the signature (through the memo when given), then duplicates and replays. When full,
  // a transaction that ranks above the lowest-ranked one evicts it.
  Admission admit(const TxPtr& tx, VerificationMemo* memo);
  // The best transactions that fit a block of max_transactions and max_bytes, in order, leaving
  // out those for which `skip` (when given) is true: ones already proposed, for example.
  std::vector<TxPtr> select(size_t max_transactions, uint64_t max_bytes,
                            const std::function<bool(const Digest&)>& skip = {}) const;
  // Drops committed transactions and remembers their (sender, nonce), refusing them from now on.
  void remove_committed(const std::vector<TxPtr>& transactions);
  void remove_committed(const TxBatch& batch);
  // Drops the pending transactions whose ids are given, without marking anything committed.
  void remove(const std::vector<Digest>& ids);
  // Drops every pending transaction (a validator that took a certified state from its peers).
  void clear();
  bool contains(const Digest& id) const { return by_id_.count(id) != 0; }

  size_t size() const { return by_id_.size(); }
  uint64_t bytes() const { return bytes_; }

 private:
  // (negated fee, submit time, id): ascending = best first.
  using Rank = std::tuple<int64_t, int64_t, Digest>;
  static Rank rank_of(const Transaction& tx) {
    return {-static_cast<int64_t>(tx.fee), tx.submitted_ns, tx.id()};
  }
  void erase(const Digest& id);
  void mark_committed(const std::vector<TxPtr>& transactions);

  size_t max_transactions_;
  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  std::map<Rank, TxPtr> ranked_;
  std::unordered_map<Digest, Rank, DigestHash> by_id_;
  std::set<std::pair<uint64_t, uint64_t>> pending_nonces_;  // (sender, nonce)
  // Each sender's committed nonces: every one below `below`, and those in `above`. Transactions
  // can commit out of nonce order (a lost one is sent again later), so a lower nonce is not a
  // replay until it has itself been committed.
  struct Committed {
    uint64_t below = 1;
    std::set<uint64_t> above;
    bool has(uint64_t nonce) const { return nonce < below || above.count(nonce) != 0; }
  };
  std::unordered_map<uint64_t, Committed> committed_;  // by sender
};

}  // namespace tradesim::ledger
