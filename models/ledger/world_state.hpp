// The world state every validator keeps: a versioned key-value store, changed only by
// committed transactions, with a root hash that goes into the block header so that a validator
// that computes a different state is detected.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/ledger/call_executor.hpp"
#include "models/ledger/transaction.hpp"

namespace tradesim::ledger {

class WorldState {
 public:
  struct Entry {
    std::string value;
    uint64_t version;
  };
  std::optional<std::string> get(const std::string& key) const;
  uint64_t version(const std::string& key) const;
  void put(const std::string& key, std::string value);

  int64_t balance(uint64_t account) const;
  void set_balance(uint64_t account, int64_t amount);
  // Applies a committed transaction. A payment moves amount + fee from the sender (fees to the
  // recipient of fees, `fee_account`) and fails, changing nothing, if the sender cannot pay.
  bool apply(const Transaction& tx, uint64_t fee_account);
  // The same, with contract calls run by `executor` (null: a contract call pays its fee only, as
  // above) in `block`. A call whose sender cannot pay the inclusion fee changes nothing; one
  // that can pays it and then runs (see CallExecutor), applied or reverted.
  CallOutcome apply(const Transaction& tx, uint64_t fee_account, const CallExecutor* executor,
                    const BlockInfo& block);

  // The Merkle root over (key, value, version) in key order; with records, the hash of that root,
  // the record count and the records' Merkle mountain range peaks.
  Digest root() const;
  size_t size() const { return entries_.size(); }
  const std::map<std::string, Entry>& entries() const { return entries_; }

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
  std::map<std::string, Entry> entries_;
  // The first records_ items of log_ are this state's; a state that appends while log_ holds
  // more (a sibling appended first: a fork) takes a copy of its own prefix.
  std::shared_ptr<Log> log_;
  size_t records_ = 0;
  uint64_t record_bytes_ = 0;
  std::vector<std::pair<Digest, uint32_t>> peaks_;  // (digest, height), left to right
};

}  // namespace tradesim::ledger
