// Transaction encoding, identity and signatures.
#include "models/ledger/transaction.hpp"

#include <algorithm>

#include "models/ledger/merkle.hpp"

namespace tradesim::ledger {

std::string_view kind_name(TxKind kind) {
  switch (kind) {
    case TxKind::kPayment:
      return "payment";
    case TxKind::kContractCall:
      return "contract_call";
    case TxKind::kSensorAnchor:
      return "sensor_anchor";
    case TxKind::kProvenance:
      return "provenance";
  }
  return "?";
}

namespace {
void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
}  // namespace

std::vector<uint8_t> Transaction::signing_bytes() const {
  std::vector<uint8_t> out;
  out.reserve(80 + payload.size());
  out.push_back(static_cast<uint8_t>(kind));
  put_u64(out, sender);
  put_u64(out, nonce);
  put_u64(out, fee);
  put_u64(out, recipient);
  put_u64(out, static_cast<uint64_t>(amount));
  put_u64(out, declared_bytes);
  put_u64(out, static_cast<uint64_t>(submitted_ns));
  out.insert(out.end(), sender_key.begin(), sender_key.end());
  put_u64(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Digest Transaction::compute_id() const {
  return sha256(signing_bytes());
}

TxPtr seal(Transaction tx) {
  tx.sealed_id_.value = tx.compute_id();
  return std::make_shared<const Transaction>(std::move(tx));
}

TxBatch::TxBatch(std::vector<TxPtr> transactions) : transactions_(std::move(transactions)) {
  std::vector<Digest> leaves;
  leaves.reserve(transactions_.size());
  for (const TxPtr& tx : transactions_) {
    leaves.push_back(merkle_leaf(tx->id()));
    bytes_ += tx->wire_size();
  }
  root_ = merkle_root(leaves);
  sorted_ids_.reserve(transactions_.size());
  for (size_t i = 0; i < transactions_.size(); ++i) {
    sorted_ids_.emplace_back(transactions_[i]->id(), static_cast<uint32_t>(i));
  }
  std::sort(sorted_ids_.begin(), sorted_ids_.end());
}

std::optional<size_t> TxBatch::find(const Digest& id) const {
  const auto it =
      std::lower_bound(sorted_ids_.begin(), sorted_ids_.end(), id,
                       [](const auto& entry, const Digest& d) { return entry.first < d; });
  if (it == sorted_ids_.end() || it->first != id) return std::nullopt;
  return it->second;
}

BatchPtr make_batch(std::vector<TxPtr> transactions) {
  return std::make_shared<const TxBatch>(std::move(transactions));
}

uint32_t Transaction::wire_size() const {
  constexpr uint32_t kFixed = 1 + 7 * 8 + 32 + 8 + 64;  // fields, key, length, signature
  return kFixed + std::max<uint32_t>(declared_bytes, static_cast<uint32_t>(payload.size()));
}

void Transaction::sign_with(const KeyPair& key) {
  sender_key = key.public_key();
  signature = key.sign(id());
}

bool Transaction::verify_signature(VerificationMemo* memo) const {
  if (sealed_id_.signature_ok >= 0) return sealed_id_.signature_ok == 1;
  const Digest digest = id();
  const bool ok = memo != nullptr ? memo->verify(sender_key, digest, signature)
                                  : verify(sender_key, std::span<const uint8_t>(digest), signature);
  if (sealed_id_.value) sealed_id_.signature_ok = ok ? 1 : 0;
  return ok;
}

}  // namespace tradesim::ledger
