// The world state every validator keeps: a versioned key-value store, changed only by
// committed transactions, with a root hash that goes into the block header so that a validator
// that computes a different state is detected.
#pragma once

#include <map>
#include <optional>
#include <string>

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

  // Merkle root over (key, value, version) in key order.
  Digest root() const;
  size_t size() const { return entries_.size(); }
  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace tradesim::ledger
