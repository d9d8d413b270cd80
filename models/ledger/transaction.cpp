// Transaction encoding, identity and signatures.
#include "models/ledger/transaction.hpp"

#include <algorithm>

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

Digest Transaction::id() const {
  return sha256(signing_bytes());
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
  const Digest digest = id();
  if (memo != nullptr) return memo->verify(sender_key, digest, signature);
  return verify(sender_key, std::span<const uint8_t>(digest), signature);
}

}  // namespace tradesim::ledger
