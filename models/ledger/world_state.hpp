// The world state every validator keeps: a versioned key-value store, changed only by
// committed transactions, with a root hash that goes into the block header so that a validator
// that computes a different state is detected.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/ledger/call_executor.hpp"
#include "models/ledger/state_tree.hpp"
#include "models/ledger/transaction.hpp"

namespace tradesim::ledger {

class WorldState {
 public:
  using Entry = StateTree::Entry;
  std::optional<std::string> get(const std::string& key) const;
  uint64_t version(const std::string& key) const;
  void put(const std::string& key, std::string value);

  int64_t balance(uint64_t account) const;
  void set_balance(uint64_t account, int64_t amount);
  // The sum of every account's balance, kept up to date as balances are written (by put, so
  // contract transfers count too): O(1), so that conservation can be checked after every block.
  // Payments, fees and contract transfers move money and never make it, so it stays at
  // genesis's; a state that drifts from it has gone wrong.
  int64_t money() const { return money_; }
  // Applies a committed transaction. A payment moves amount + fee from the sender (fees to the
  // recipient of fees, `fee_account`) and fails, changing nothing, if the sender cannot pay.
  bool apply(const Transaction& tx, uint64_t fee_account);
  // The same, with contract calls run by `executor` (null: a contract call pays its fee only, as
  // above) in `block`. A call whose sender cannot pay the inclusion fee changes nothing; one
  // that can pays it and then runs (see CallExecutor), applied or reverted.
  CallOutcome apply(const Transaction& tx, uint64_t fee_account, const CallExecutor* executor,
                    const BlockInfo& block);

  // The root of the Merkle treap of (key, value, version) (StateTree); with records, the hash
  // of that root, the record count and the records' Merkle mountain range peaks. O(1).
  Digest root() const;
  size_t size() const { return entries_.size(); }
  // Sum over entries of key size + value size + 8, for state transfer.
  uint64_t entry_bytes() const { return entries_.entry_bytes(); }
  // Visits every (key, Entry) in key order; those whose key starts with `prefix`.
  template <class F>
  void for_each(F&& visit) const {
    entries_.for_each(std::forward<F>(visit));
  }
  template <class F>
  void for_each_prefix(std::string_view prefix, F&& visit) const {
    entries_.for_each_prefix(prefix, std::forward<F>(visit));
  }

  // Records (sensor anchors, provenance events), in commit order. They are only ever appended,
  // so copies of a state share them (a state is copied for every block executed: a copied map
  // of every anchor ever made would make each block cost as much as the whole history), and
  // their root is kept incrementally as a Merkle mountain range.
  struct Record {
    Digest id;  // the transaction's
    std::string payload;
  };
  size_t record_count() const { return records_; }
  // The bytes of this state's records (ids and payloads), for state transfer.
  uint64_t record_bytes() const { return record_bytes_; }
  // A copy: the shared log may grow (and move) when another state appends to it.
  std::optional<Record> record(const Digest& id) const;

 private:
  void append_record(const Digest& id, std::string payload);
  struct Log {
    std::vector<Record> items;
    std::unordered_map<Digest, size_t, DigestHash> index;
  };
  // Copied in O(1): the nodes are immutable and shared between copies (a state is copied for
  // every block executed).
  StateTree entries_;
  int64_t money_ = 0;
  // The first records_ items of log_ are this state's; a state that appends while log_ holds
  // more (a sibling appended first: a fork) takes a copy of its own prefix.
  std::shared_ptr<Log> log_;
  size_t records_ = 0;
  uint64_t record_bytes_ = 0;
  std::vector<std::pair<Digest, uint32_t>> peaks_;  // (digest, height), left to right
};

}  // namespace tradesim::ledger
