// Block hashing and Merkle roots of transactions.
#include "models/ledger/block.hpp"

namespace tradesim::ledger {

Digest BlockHeader::hash() const {
  return Sha256()
      .update("tradesim block")
      .update_u64(height)
      .update(parent)
      .update(tx_root)
      .update(state_root)
      .update_u64(proposer)
      .update_u64(static_cast<uint64_t>(timestamp_ns))
      .update_u64(tx_count)
      .finish();
}

uint32_t Block::wire_size() const {
  return 8 + 32 * 3 + 8 + 8 + 4 + 64 + static_cast<uint32_t>(body->bytes());
}

std::vector<Digest> Block::leaves() const {
  std::vector<Digest> out;
  out.reserve(body->size());
  for (const TxPtr& tx : body->transactions()) out.push_back(merkle_leaf(tx->id()));
  return out;
}

Digest Block::tx_root_of(const std::vector<TxPtr>& transactions) {
  std::vector<Digest> leaves;
  leaves.reserve(transactions.size());
  for (const TxPtr& tx : transactions) leaves.push_back(merkle_leaf(tx->id()));
  return merkle_root(leaves);
}

bool Block::verify_proposer(const PublicKey& key, VerificationMemo* memo) const {
  const Digest h = hash();
  if (memo != nullptr) return memo->verify(key, h, proposer_signature);
  return verify(key, std::span<const uint8_t>(h), proposer_signature);
}

Block genesis_block() {
  Block b;
  b.header.tx_root = merkle_root({});
  return b;
}

}  // namespace tradesim::ledger
