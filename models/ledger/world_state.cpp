// Key-value state, balances and the state root.
#include "models/ledger/world_state.hpp"

#include <charconv>
#include <vector>

#include "models/ledger/merkle.hpp"

namespace tradesim::ledger {

std::optional<std::string> WorldState::get(const std::string& key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.value;
}

uint64_t WorldState::version(const std::string& key) const {
  const auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.version;
}

void WorldState::put(const std::string& key, std::string value) {
  Entry& e = entries_[key];
  e.value = std::move(value);
  ++e.version;
}

int64_t WorldState::balance(uint64_t account) const {
  const auto v = get("balance/" + std::to_string(account));
  if (!v) return 0;
  int64_t out = 0;
  std::from_chars(v->data(), v->data() + v->size(), out);
  return out;
}

void WorldState::set_balance(uint64_t account, int64_t amount) {
  put("balance/" + std::to_string(account), std::to_string(amount));
}

bool WorldState::apply(const Transaction& tx, uint64_t fee_account) {
  const int64_t fee = static_cast<int64_t>(tx.fee);
  const int64_t debit = (tx.kind == TxKind::kPayment ? tx.amount : 0) + fee;
  if (tx.amount < 0 || balance(tx.sender) < debit) return false;
  set_balance(tx.sender, balance(tx.sender) - debit);
  if (tx.kind == TxKind::kPayment) set_balance(tx.recipient, balance(tx.recipient) + tx.amount);
  if (fee > 0) set_balance(fee_account, balance(fee_account) + fee);
  put("nonce/" + std::to_string(tx.sender), std::to_string(tx.nonce));
  if (tx.kind == TxKind::kSensorAnchor || tx.kind == TxKind::kProvenance) {
    put("record/" + to_hex(tx.id()), std::string(tx.payload.begin(), tx.payload.end()));
  }
  return true;
}

Digest WorldState::root() const {
  std::vector<Digest> leaves;
  leaves.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) {
    leaves.push_back(merkle_leaf(Sha256()
                                     .update(key)
                                     .update(std::string_view("\0", 1))
                                     .update(entry.value)
                                     .update_u64(entry.version)
                                     .finish()));
  }
  return merkle_root(leaves);
}

}  // namespace tradesim::ledger
