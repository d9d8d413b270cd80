// Key-value state, balances and the state root.
#include "models/ledger/world_state.hpp"

#include <charconv>
#include <vector>

#include "models/ledger/merkle.hpp"

namespace tradesim::ledger {

std::optional<std::string> WorldState::get(const std::string& key) const {
  const Entry* entry = entries_.find(key);
  if (entry == nullptr) return std::nullopt;
  return entry->value;
}

uint64_t WorldState::version(const std::string& key) const {
  const Entry* entry = entries_.find(key);
  return entry == nullptr ? 0 : entry->version;
}

namespace {
constexpr std::string_view kBalancePrefix = "balance/";

int64_t parse_amount(std::string_view v) {
  int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}
}  // namespace

void WorldState::put(const std::string& key, std::string value) {
  if (key.starts_with(kBalancePrefix)) {
    const Entry* old = entries_.find(key);
    // Wrapping arithmetic: the sum is a checksum, and a wrapped one still differs.
    money_ = static_cast<int64_t>(static_cast<uint64_t>(money_) +
                                  static_cast<uint64_t>(parse_amount(value)) -
                                  static_cast<uint64_t>(old ? parse_amount(old->value) : 0));
  }
  entries_.put(key, std::move(value));
}

int64_t WorldState::balance(uint64_t account) const {
  const auto v = get("balance/" + std::to_string(account));
  return v ? parse_amount(*v) : 0;
}

void WorldState::set_balance(uint64_t account, int64_t amount) {
  put("balance/" + std::to_string(account), std::to_string(amount));
}

bool WorldState::apply(const Transaction& tx, uint64_t fee_account) {
  return apply(tx, fee_account, nullptr, {}).applied;
}

CallOutcome WorldState::apply(const Transaction& tx, uint64_t fee_account,
                              const CallExecutor* executor, const BlockInfo& block) {
  const int64_t fee = static_cast<int64_t>(tx.fee);
  const int64_t debit = (tx.kind == TxKind::kPayment ? tx.amount : 0) + fee;
  if (tx.amount < 0 || balance(tx.sender) < debit) return {};
  set_balance(tx.sender, balance(tx.sender) - debit);
  if (tx.kind == TxKind::kPayment) set_balance(tx.recipient, balance(tx.recipient) + tx.amount);
  if (fee > 0) set_balance(fee_account, balance(fee_account) + fee);
  put("nonce/" + std::to_string(tx.sender), std::to_string(tx.nonce));
  if (tx.kind == TxKind::kSensorAnchor || tx.kind == TxKind::kProvenance) {
    append_record(tx.id(), std::string(tx.payload.begin(), tx.payload.end()));
  }
  if (tx.kind == TxKind::kContractCall && executor != nullptr) {
    return executor->execute(*this, tx, block, fee_account);
  }
  return {.applied = true};
}

void WorldState::append_record(const Digest& id, std::string payload) {
  if (!log_) {
    log_ = std::make_shared<Log>();
  } else if (log_->items.size() != records_) {
    auto own = std::make_shared<Log>();
    own->items.assign(log_->items.begin(),
                      log_->items.begin() + static_cast<std::ptrdiff_t>(records_));
    for (size_t i = 0; i < records_; ++i) own->index.emplace(own->items[i].id, i);
    log_ = std::move(own);
  }
  const Digest leaf = merkle_leaf(Sha256().update(id).update(payload).finish());
  record_bytes_ += id.size() + payload.size();
  log_->items.push_back({id, std::move(payload)});
  log_->index.emplace(id, records_);  // a repeated id keeps its first place
  ++records_;
  peaks_.emplace_back(leaf, 0);
  while (peaks_.size() >= 2 && peaks_[peaks_.size() - 2].second == peaks_.back().second) {
    const auto right = peaks_.back();
    peaks_.pop_back();
    peaks_.back() = {merkle_node(peaks_.back().first, right.first), right.second + 1};
  }
}

std::optional<WorldState::Record> WorldState::record(const Digest& id) const {
  if (!log_) return std::nullopt;
  const auto it = log_->index.find(id);
  if (it == log_->index.end() || it->second >= records_) return std::nullopt;
  return log_->items[it->second];
}

Digest WorldState::root() const {
  const Digest& kv = entries_.root();
  if (records_ == 0) return kv;
  Sha256 h;
  h.update(std::string_view("state")).update(kv).update_u64(records_);
  for (const auto& [digest, height] : peaks_) h.update(digest);
  return h.finish();
}

}  // namespace tradesim::ledger
