// Merkle trees over SHA-256 with inclusion proofs. Leaves and inner nodes are hashed with
// distinct prefixes (0x00 / 0x01, as RFC 6962 does) so a leaf can never pass for an inner node;
// an odd node is carried up unchanged rather than paired with itself, which avoids Bitcoin's
// duplicate-leaf ambiguity (CVE-2012-2459).
#pragma once

#include <span>
#include <vector>

#include "models/ledger/crypto.hpp"

namespace tradesim::ledger {

Digest merkle_leaf(std::span<const uint8_t> data);
Digest merkle_leaf(const Digest& item);  // a leaf for an item already identified by its hash
Digest merkle_node(const Digest& left, const Digest& right);

// The root of the leaves (already leaf-hashed); the root of no leaves is SHA-256 of nothing.
Digest merkle_root(std::span<const Digest> leaves);

struct MerkleProof {
  size_t index = 0;
  size_t leaf_count = 0;
  struct Step {
    Digest sibling;
    bool sibling_on_left;
  };
  std::vector<Step> path;
  // Bytes on the wire: the path plus index and count.
  size_t encoded_size() const { return 16 + path.size() * 33; }
};

MerkleProof merkle_proof(std::span<const Digest> leaves, size_t index);
bool verify_merkle_proof(const Digest& leaf, const MerkleProof& proof, const Digest& root);

}  // namespace tradesim::ledger
