// Ledger transactions: payments, contract calls, sensor-batch anchors and provenance events,
// each signed by its sender. The payload has a declared size on the wire (a sensor batch is
// kilobytes) and carries only the few bytes the models read.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/ledger/crypto.hpp"

namespace tradesim::ledger {

enum class TxKind : uint8_t { kPayment, kContractCall, kSensorAnchor, kProvenance };
std::string_view kind_name(TxKind kind);

struct Transaction {
  TxKind kind = TxKind::kPayment;
  uint64_t sender = 0;           // the submitting node
  uint64_t nonce = 0;            // per sender, from 1: replays and duplicates are refused
  uint64_t fee = 0;              // in the smallest currency unit; orders the mempool
  uint64_t recipient = 0;        // payments: the payee; otherwise the contract or registry
  int64_t amount = 0;            // payments: value transferred
  std::vector<uint8_t> payload;  // what models read (a Merkle root for an anchor, call data)
  uint32_t declared_bytes = 0;   // the payload's size on the wire, at least payload.size()
  int64_t submitted_ns = 0;
  PublicKey sender_key{};
  Signature signature{};

  // Canonical encoding of everything but the signature: what is hashed and signed.
  std::vector<uint8_t> signing_bytes() const;
  Digest id() const;  // SHA-256 of signing_bytes()
  // Bytes on the wire: fixed fields, key, signature and the declared payload.
  uint32_t wire_size() const;

  void sign_with(const KeyPair& key);
  bool verify_signature(VerificationMemo* memo = nullptr) const;
};

using TxPtr = std::shared_ptr<const Transaction>;

}  // namespace tradesim::ledger
