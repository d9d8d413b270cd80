// Blocks: a header (height, parent hash, Merkle root of the transactions, world-state root,
// proposer, timestamp) signed by its proposer, and the transactions it orders.
#pragma once

#include <vector>

#include "models/ledger/merkle.hpp"
#include "models/ledger/transaction.hpp"

namespace tradesim::ledger {

struct BlockHeader {
  uint64_t height = 0;
  Digest parent{};
  Digest tx_root{};
  Digest state_root{};
  uint64_t proposer = 0;
  int64_t timestamp_ns = 0;
  uint32_t tx_count = 0;
  Digest hash() const;
};

struct Block {
  BlockHeader header;
  BatchPtr body = make_batch({});  // shared by every validator that holds the block
  Signature proposer_signature{};

  Digest hash() const { return header.hash(); }
  const std::vector<TxPtr>& transactions() const { return body->transactions(); }
  // Header, signature and every transaction on the wire.
  uint32_t wire_size() const;
  // Transaction ids as Merkle leaves, and their root.
  std::vector<Digest> leaves() const;
  static Digest tx_root_of(const std::vector<TxPtr>& transactions);
  bool tx_root_matches() const { return body->root() == header.tx_root; }
  void sign_with(const KeyPair& key) { proposer_signature = key.sign(hash()); }
  bool verify_proposer(const PublicKey& key, VerificationMemo* memo = nullptr) const;
};

// Block 0 of every chain: no transactions, parent zero.
Block genesis_block();

}  // namespace tradesim::ledger
