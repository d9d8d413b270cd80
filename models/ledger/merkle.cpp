// Bottom-up Merkle construction; proofs record the sibling at every level that has one.
#include "models/ledger/merkle.hpp"

#include <stdexcept>

namespace tradesim::ledger {

Digest merkle_leaf(std::span<const uint8_t> data) {
  const uint8_t prefix = 0x00;
  return Sha256().update(std::span<const uint8_t>(&prefix, 1)).update(data).finish();
}
Digest merkle_leaf(const Digest& item) {
  return merkle_leaf(std::span<const uint8_t>(item));
}

Digest merkle_node(const Digest& left, const Digest& right) {
  const uint8_t prefix = 0x01;
  return Sha256().update(std::span<const uint8_t>(&prefix, 1)).update(left).update(right).finish();
}

namespace {
std::vector<Digest> next_level(const std::vector<Digest>& level) {
  std::vector<Digest> up;
  up.reserve((level.size() + 1) / 2);
  for (size_t i = 0; i + 1 < level.size(); i += 2)
    up.push_back(merkle_node(level[i], level[i + 1]));
  if (level.size() % 2 == 1) up.push_back(level.back());  // carried up unchanged
  return up;
}
}  // namespace

Digest merkle_root(std::span<const Digest> leaves) {
  if (leaves.empty()) return sha256(std::span<const uint8_t>());
  std::vector<Digest> level(leaves.begin(), leaves.end());
  while (level.size() > 1) level = next_level(level);
  return level[0];
}

MerkleProof merkle_proof(std::span<const Digest> leaves, size_t index) {
  if (index >= leaves.size())
    throw std::out_of_range("merkle_proof: no leaf " + std::to_string(index));
  MerkleProof proof;
  proof.index = index;
  proof.leaf_count = leaves.size();
  std::vector<Digest> level(leaves.begin(), leaves.end());
  size_t i = index;
  while (level.size() > 1) {
    const size_t sibling = i ^ 1;
    if (sibling < level.size()) proof.path.push_back({level[sibling], sibling < i});
    level = next_level(level);
    i /= 2;
  }
  return proof;
}

bool verify_merkle_proof(const Digest& leaf, const MerkleProof& proof, const Digest& root) {
  if (proof.index >= proof.leaf_count) return false;
  // Recompute which levels have a sibling, so that a proof cannot skip or add levels.
  Digest h = leaf;
  size_t i = proof.index, width = proof.leaf_count, step = 0;
  while (width > 1) {
    const size_t sibling = i ^ 1;
    if (sibling < width) {
      if (step >= proof.path.size() || proof.path[step].sibling_on_left != (sibling < i))
        return false;
      h = proof.path[step].sibling_on_left ? merkle_node(proof.path[step].sibling, h)
                                           : merkle_node(h, proof.path[step].sibling);
      ++step;
    }
    width = (width + 1) / 2;
    i /= 2;
  }
  return step == proof.path.size() && h == root;
}

}  // namespace tradesim::ledger
