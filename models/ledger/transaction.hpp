// Ledger transactions: payments, contract calls, sensor-batch anchors and provenance events,
// each signed by its sender. The payload has a declared size on the wire (a sensor batch is
// kilobytes) and carries only the few bytes the models read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
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
  int64_t amount = 0;            // payments: value transferred; contract calls: value attached
  std::vector<uint8_t> payload;  // what models read (a Merkle root for an anchor, call data)
  uint32_t declared_bytes = 0;   // the payload's size on the wire, at least payload.size()
  int64_t submitted_ns = 0;
  PublicKey sender_key{};
  Signature signature{};

  // Canonical encoding of everything but the signature: what is hashed and signed.
  std::vector<uint8_t> signing_bytes() const;
  // SHA-256 of signing_bytes(). A sealed transaction (see seal()) computed it once, when it was
  // sealed; any other is hashed on every call.
  Digest id() const { return sealed_id_.value ? *sealed_id_.value : compute_id(); }
  // Bytes on the wire: fixed fields, key, signature and the declared payload.
  uint32_t wire_size() const;

  void sign_with(const KeyPair& key);
  // A sealed transaction remembers the outcome (its key, id and signature cannot change), so
  // the thousands of validators that check it after the first cost a field read, not a lookup;
  // each is still charged the simulated CPU time by its model.
  bool verify_signature(VerificationMemo* memo = nullptr) const;

 private:
  friend std::shared_ptr<const Transaction> seal(Transaction tx);
  Digest compute_id() const;
  // The id of an immutable, shared transaction and the outcome of its signature check, once
  // known. A copy starts without either, so a copy that is changed (a forgery in a test, a
  // tampered message) is hashed and checked afresh.
  struct SealCache {
    std::optional<Digest> value;
    mutable int8_t signature_ok = -1;  // -1: not checked yet
    SealCache() = default;
    SealCache(const SealCache&) {}
    SealCache(SealCache&& other) noexcept
        : value(std::exchange(other.value, std::nullopt)),
          signature_ok(std::exchange(other.signature_ok, -1)) {}
    SealCache& operator=(const SealCache&) {
      value.reset();
      signature_ok = -1;
      return *this;
    }
    SealCache& operator=(SealCache&& other) noexcept {
      value = std::exchange(other.value, std::nullopt);
      signature_ok = std::exchange(other.signature_ok, -1);
      return *this;
    }
  } sealed_id_;
};

using TxPtr = std::shared_ptr<const Transaction>;

// Freezes a transaction for sharing between nodes: it can no longer change, so its id is
// computed here once. Every node that "hashes" it is still charged the CPU time by its model.
TxPtr seal(Transaction tx);

// An ordered list of transactions as a block body or a consensus batch: immutable and shared by
// every node that holds it; its Merkle root and wire size are computed once, from its contents.
class TxBatch {
 public:
  explicit TxBatch(std::vector<TxPtr> transactions);
  const std::vector<TxPtr>& transactions() const { return transactions_; }
  size_t size() const { return transactions_.size(); }
  bool empty() const { return transactions_.empty(); }
  const Digest& root() const { return root_; }  // Merkle root of the transaction ids
  uint64_t bytes() const { return bytes_; }     // sum of the transactions' wire sizes
  // The position of the transaction with this id in the batch, if it is there: a binary search
  // over ids sorted once per batch, so that a validator holding few of a block's transactions
  // looks up those few instead of every one in the block.
  std::optional<size_t> find(const Digest& id) const;

 private:
  std::vector<TxPtr> transactions_;
  std::vector<std::pair<Digest, uint32_t>> sorted_ids_;  // (id, position), by id
  Digest root_;
  uint64_t bytes_ = 0;
};
using BatchPtr = std::shared_ptr<const TxBatch>;
BatchPtr make_batch(std::vector<TxPtr> transactions);

}  // namespace tradesim::ledger
