// The persistent Merkle treap behind the world state: path-copying insert with rotations, and
// the digests that define the state root.
#include "models/ledger/state_tree.hpp"

#include <algorithm>
#include <vector>

#include "models/ledger/merkle.hpp"

namespace tradesim::ledger {

uint64_t StateTree::priority(std::string_view key) {
  // FNV-1a (64-bit) over the key, then the splitmix64 finalizer (Steele, Lea and Flood, OOPSLA
  // 2014) to spread FNV's weak high bits: fixed, so every replica builds the same shape.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : key) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

Digest StateTree::leaf_digest(std::string_view key, const Entry& entry) {
  // The world state's leaf since the first ledger: a Merkle leaf of SHA-256(key, 0, value,
  // version).
  return merkle_leaf(Sha256()
                         .update(key)
                         .update(std::string_view("\0", 1))
                         .update(entry.value)
                         .update_u64(entry.version)
                         .finish());
}

Digest StateTree::node_digest(const Digest& left, const Digest& leaf, const Digest& right) {
  // 0x02: distinct from merkle.hpp's leaf (0x00) and inner node (0x01) prefixes.
  return Sha256()
      .update(std::string_view("\2", 1))
      .update(left)
      .update(leaf)
      .update(right)
      .finish();
}

const Digest& StateTree::empty_digest() {
  static const Digest empty = Sha256().finish();
  return empty;
}

StateTree::Node::Node(std::string key_in, Entry entry_in, uint64_t priority_in, Digest leaf_in,
                      NodePtr left_in, NodePtr right_in)
    : key(std::move(key_in)),
      entry(std::move(entry_in)),
      priority(priority_in),
      size(1 + (left_in ? left_in->size : 0) + (right_in ? right_in->size : 0)),
      leaf(leaf_in),
      digest(node_digest(left_in ? left_in->digest : empty_digest(), leaf_in,
                         right_in ? right_in->digest : empty_digest())),
      left(std::move(left_in)),
      right(std::move(right_in)) {}

StateTree::Node::~Node() {
  // A child that only this node owns would die inside this destructor, and its children inside
  // its, and so on: take such children out and release them one at a time instead. Shared
  // children only lose a reference.
  const auto unique = [](const NodePtr& p) { return p && p.use_count() == 1; };
  if (!unique(left) && !unique(right)) return;
  std::vector<NodePtr> dying;
  if (unique(left)) dying.push_back(std::move(left));
  if (unique(right)) dying.push_back(std::move(right));
  while (!dying.empty()) {
    NodePtr node = std::move(dying.back());
    dying.pop_back();
    if (unique(node->left)) dying.push_back(std::move(node->left));
    if (unique(node->right)) dying.push_back(std::move(node->right));
    // `node` now dies here with no uniquely owned child left.
  }
}

const StateTree::Entry* StateTree::find(std::string_view key) const {
  const Node* node = root_.get();
  while (node != nullptr) {
    const int c = key.compare(node->key);
    if (c == 0) return &node->entry;
    node = c < 0 ? node->left.get() : node->right.get();
  }
  return nullptr;
}

void StateTree::put(std::string_view key, std::string value) {
  int64_t byte_change = 0;
  root_ = insert(root_, key, priority(key), value, byte_change);
  entry_bytes_ = static_cast<uint64_t>(static_cast<int64_t>(entry_bytes_) + byte_change);
}

// Returns the subtree `node` with `key` set to `value`, copying the nodes on the path; a new
// node sinks to its place and rises by rotations while its priority is above its parent's.
StateTree::NodePtr StateTree::insert(const NodePtr& node, std::string_view key,
                                     uint64_t key_priority, std::string& value,
                                     int64_t& byte_change) {
  if (!node) {
    byte_change = static_cast<int64_t>(key.size() + value.size() + 8);
    Entry entry{std::move(value), 1};
    const Digest leaf = leaf_digest(key, entry);
    return std::make_shared<const Node>(std::string(key), std::move(entry), key_priority, leaf,
                                        nullptr, nullptr);
  }
  const int c = key.compare(node->key);
  if (c == 0) {
    byte_change =
        static_cast<int64_t>(value.size()) - static_cast<int64_t>(node->entry.value.size());
    Entry entry{std::move(value), node->entry.version + 1};
    const Digest leaf = leaf_digest(key, entry);
    return std::make_shared<const Node>(node->key, std::move(entry), node->priority, leaf,
                                        node->left, node->right);
  }
  if (c < 0) {
    NodePtr left = insert(node->left, key, key_priority, value, byte_change);
    if (above(*left, *node)) {  // rotate right: the new left child becomes this subtree's root
      NodePtr lowered = std::make_shared<const Node>(node->key, node->entry, node->priority,
                                                     node->leaf, left->right, node->right);
      return std::make_shared<const Node>(left->key, left->entry, left->priority, left->leaf,
                                          left->left, std::move(lowered));
    }
    return std::make_shared<const Node>(node->key, node->entry, node->priority, node->leaf,
                                        std::move(left), node->right);
  }
  NodePtr right = insert(node->right, key, key_priority, value, byte_change);
  if (above(*right, *node)) {  // rotate left
    NodePtr lowered = std::make_shared<const Node>(node->key, node->entry, node->priority,
                                                   node->leaf, node->left, right->left);
    return std::make_shared<const Node>(right->key, right->entry, right->priority, right->leaf,
                                        std::move(lowered), right->right);
  }
  return std::make_shared<const Node>(node->key, node->entry, node->priority, node->leaf,
                                      node->left, std::move(right));
}

size_t StateTree::height() const {
  size_t deepest = 0;
  std::vector<std::pair<const Node*, size_t>> pending;
  if (root_) pending.emplace_back(root_.get(), 1);
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    deepest = std::max(deepest, depth);
    if (node->left) pending.emplace_back(node->left.get(), depth + 1);
    if (node->right) pending.emplace_back(node->right.get(), depth + 1);
  }
  return deepest;
}

}  // namespace tradesim::ledger
