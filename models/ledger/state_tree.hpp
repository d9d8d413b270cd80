// The world state's key-value map: a persistent Merkle treap. Nodes are immutable and shared
// between copies (a copy is one pointer), a put copies only the path it changes, and every node
// keeps the digest of its subtree, so the root is always at hand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "models/ledger/crypto.hpp"

namespace tradesim::ledger {

// A treap (Seidel and Aragon, "Randomized search trees", Algorithmica 16, 1996) ordered by key,
// whose priorities are a fixed hash of the key rather than random draws: the shape of the tree,
// hence its root digest, depends only on the set of keys, never on the order in which they were
// inserted, so every replica with the same contents has the same root. The expected depth is
// O(log N) (about 2 ln N) as for random priorities, as long as keys are not chosen against the
// hash. Each node's digest is H(0x02, left subtree digest, leaf digest, right subtree digest);
// an empty subtree's digest is SHA-256 of nothing, which is also the root of an empty tree.
class StateTree {
 public:
  struct Entry {
    std::string value;
    uint64_t version = 0;  // 1 on the first put of a key, +1 on every later one
  };

  // The entry of `key`, or null.
  const Entry* find(std::string_view key) const;
  // Sets `key` to `value` and increments its version. O(log N) nodes copied and re-hashed.
  void put(std::string_view key, std::string value);

  const Digest& root() const { return root_ ? root_->digest : empty_digest(); }
  size_t size() const { return root_ ? root_->size : 0; }
  // Sum over entries of key size + value size + 8 (the version), for state-transfer sizing.
  uint64_t entry_bytes() const { return entry_bytes_; }
  // The depth of the deepest node (0 when empty), for tests and benchmarks. O(N).
  size_t height() const;

  // Visits every (key, entry) in key order.
  template <class F>
  void for_each(F&& visit) const {
    visit_all(root_.get(), visit);
  }
  // Visits the (key, entry) whose key starts with `prefix`, in key order: O(log N + matches).
  template <class F>
  void for_each_prefix(std::string_view prefix, F&& visit) const {
    visit_prefix(root_.get(), prefix, visit);
  }

  // The definition of the root, public so that tests can recompute it from scratch.
  static uint64_t priority(std::string_view key);
  static Digest leaf_digest(std::string_view key, const Entry& entry);
  static Digest node_digest(const Digest& left, const Digest& leaf, const Digest& right);
  static const Digest& empty_digest();

 private:
  struct Node;
  using NodePtr = std::shared_ptr<const Node>;
  struct Node {
    Node(std::string key, Entry entry, uint64_t priority, Digest leaf, NodePtr left, NodePtr right);
    // Releases uniquely owned descendants iteratively, so that no shape of tree can overflow
    // the stack when it is destroyed.
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    std::string key;
    Entry entry;
    uint64_t priority;
    uint64_t size;  // entries in this subtree
    Digest leaf;    // leaf_digest(key, entry)
    Digest digest;  // of this subtree
    // Mutable only so that ~Node can detach a dying node's children; never changed otherwise.
    mutable NodePtr left, right;
  };

  static NodePtr insert(const NodePtr& node, std::string_view key, uint64_t key_priority,
                        std::string& value, int64_t& byte_change);
  static bool above(const Node& a, const Node& b) {
    return a.priority > b.priority || (a.priority == b.priority && a.key < b.key);
  }

  template <class F>
  static void visit_all(const Node* node, F& visit) {
    while (node != nullptr) {
      visit_all(node->left.get(), visit);
      visit(std::as_const(node->key), std::as_const(node->entry));
      node = node->right.get();
    }
  }
  template <class F>
  static void visit_prefix(const Node* node, std::string_view prefix, F& visit) {
    // The keys with the prefix are one contiguous range of the key order.
    while (node != nullptr) {
      const std::string_view key = node->key;
      if (key < prefix) {
        node = node->right.get();
      } else if (key.starts_with(prefix)) {
        visit_prefix(node->left.get(), prefix, visit);
        visit(std::as_const(node->key), std::as_const(node->entry));
        node = node->right.get();
      } else {
        node = node->left.get();
      }
    }
  }

  NodePtr root_;
  uint64_t entry_bytes_ = 0;
};

}  // namespace tradesim::ledger
