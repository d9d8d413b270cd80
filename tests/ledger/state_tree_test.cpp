// The world state's persistent Merkle treap: a canonical root (independent of insertion order),
// versions, copies that share nodes yet never see each other's writes, key-order iteration, and
// a randomized comparison with std::map and a root recomputed from scratch.
#include "models/ledger/state_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "models/ledger/world_state.hpp"

namespace tradesim::ledger {
namespace {

using Reference = std::map<std::string, StateTree::Entry>;
using Item = std::pair<const std::string, StateTree::Entry>;

// The root by definition (state_tree.hpp), from scratch: the key of highest priority (ties: the
// smaller key) is the root of its key range, the keys below it form its left subtree and the keys
// above its right one (the unique treap of these keys).
Digest reference_root(const std::vector<const Item*>& items, size_t lo, size_t hi) {
  if (lo == hi) return StateTree::empty_digest();
  size_t top = lo;
  for (size_t i = lo + 1; i < hi; ++i) {
    if (StateTree::priority(items[i]->first) > StateTree::priority(items[top]->first)) top = i;
  }
  return StateTree::node_digest(reference_root(items, lo, top),
                                StateTree::leaf_digest(items[top]->first, items[top]->second),
                                reference_root(items, top + 1, hi));
}

Digest reference_root(const Reference& reference) {
  std::vector<const Item*> items;
  for (const auto& item : reference) items.push_back(&item);
  return reference_root(items, 0, items.size());
}

std::vector<std::pair<std::string, StateTree::Entry>> contents(const StateTree& tree) {
  std::vector<std::pair<std::string, StateTree::Entry>> out;
  tree.for_each(
      [&](const std::string& key, const StateTree::Entry& e) { out.emplace_back(key, e); });
  return out;
}

TEST(StateTree, EmptyTreeHasTheEmptyRoot) {
  const StateTree tree;
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.entry_bytes(), 0u);
  EXPECT_EQ(tree.root(), sha256(std::string_view()));  // SHA-256 of nothing, as merkle_root({})
  EXPECT_EQ(tree.find("a"), nullptr);
  EXPECT_EQ(WorldState().root(), sha256(std::string_view()));
}

TEST(StateTree, SameContentsInAnyInsertionOrderGiveTheSameRoot) {
  std::vector<std::string> keys;
  for (int i = 0; i < 500; ++i) keys.push_back("key/" + std::to_string(i * 7919 % 1000));
  StateTree ascending;
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& k : sorted) ascending.put(k, "v" + k);
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    std::vector<std::string> shuffled = keys;
    std::mt19937 gen(seed);
    std::shuffle(shuffled.begin(), shuffled.end(), gen);
    StateTree tree;
    for (const auto& k : shuffled) tree.put(k, "v" + k);
    EXPECT_EQ(tree.root(), ascending.root()) << "seed " << seed;
    EXPECT_EQ(tree.height(), ascending.height()) << "seed " << seed;  // the same shape
  }
  // Inserted in key order, a treap is still balanced: the expected depth of a node is about
  // 2 ln N = 12.4 for N = 500 (Seidel and Aragon 1996); 40 would be a broken priority.
  EXPECT_LT(ascending.height(), 40u);
  EXPECT_GE(ascending.height(), 9u);  // at least ceil(log2(501))
}

TEST(StateTree, OverwritesKeepOneEntryAndCountVersions) {
  StateTree tree;
  tree.put("a", "1");
  tree.put("b", "22");
  ASSERT_NE(tree.find("a"), nullptr);
  EXPECT_EQ(tree.find("a")->version, 1u);
  tree.put("a", "333");
  tree.put("a", "4444");
  EXPECT_EQ(tree.size(), 2u);
  EXPECT_EQ(tree.find("a")->value, "4444");
  EXPECT_EQ(tree.find("a")->version, 3u);
  EXPECT_EQ(tree.find("b")->version, 1u);
  EXPECT_EQ(tree.find("c"), nullptr);
  // entry_bytes: (1 + 4 + 8) + (1 + 2 + 8), by hand.
  EXPECT_EQ(tree.entry_bytes(), 24u);
  // The same value written again is a new version: a different root.
  const Digest before = tree.root();
  tree.put("b", "22");
  EXPECT_EQ(tree.find("b")->version, 2u);
  EXPECT_NE(tree.root(), before);
  EXPECT_EQ(tree.entry_bytes(), 24u);
}

TEST(StateTree, RootChangesWithAnyValueOrVersion) {
  StateTree base;
  for (int i = 0; i < 200; ++i) base.put("k" + std::to_string(i), std::to_string(i));
  std::set<Digest> roots{base.root()};
  for (int i = 0; i < 200; i += 13) {
    StateTree changed_value = base;
    changed_value.put("k" + std::to_string(i), "other");
    EXPECT_TRUE(roots.insert(changed_value.root()).second) << i;
    // Same value, next version.
    StateTree changed_version = base;
    changed_version.put("k" + std::to_string(i), std::to_string(i));
    EXPECT_TRUE(roots.insert(changed_version.root()).second) << i;
  }
  StateTree added = base;
  added.put("new", "");
  EXPECT_TRUE(roots.insert(added.root()).second);
}

TEST(StateTree, CopiesAreIndependent) {
  StateTree original;
  for (int i = 0; i < 100; ++i) original.put("k" + std::to_string(i), "o");
  const Digest original_root = original.root();
  StateTree copy = original;
  EXPECT_EQ(copy.root(), original_root);
  copy.put("k5", "c");
  copy.put("only-copy", "c");
  EXPECT_EQ(original.root(), original_root);
  EXPECT_EQ(original.find("k5")->value, "o");
  EXPECT_EQ(original.find("only-copy"), nullptr);
  EXPECT_EQ(original.size(), 100u);
  EXPECT_EQ(copy.size(), 101u);
  const Digest copy_root = copy.root();
  original.put("k7", "o2");
  original.put("only-original", "o");
  EXPECT_EQ(copy.root(), copy_root);
  EXPECT_EQ(copy.find("k7")->value, "o");
  EXPECT_EQ(copy.find("only-original"), nullptr);
  EXPECT_EQ(copy.find("k5")->value, "c");
  // A copy dropped while the original lives, and the other way round.
  {
    StateTree temporary = copy;
    temporary.put("k1", "t");
  }
  EXPECT_EQ(copy.root(), copy_root);
  EXPECT_EQ(copy.root(), reference_root([&] {
              Reference r;
              copy.for_each([&](const std::string& k, const StateTree::Entry& e) { r[k] = e; });
              return r;
            }()));
}

TEST(StateTree, IteratesInKeyOrderAndByPrefix) {
  StateTree tree;
  const std::vector<std::string> keys = {"balance/10", "nonce/1",   "balance/2", "b",
                                         "balance/",   "balancf",   "balance/1", "a",
                                         "contract/1", "balance/99"};
  for (const auto& k : keys) tree.put(k, k);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> seen;
  for (const auto& [k, e] : contents(tree)) seen.push_back(k);
  EXPECT_EQ(seen, sorted);
  std::vector<std::string> balances;
  tree.for_each_prefix("balance/", [&](const std::string& k, const StateTree::Entry& e) {
    EXPECT_EQ(e.value, k);
    balances.push_back(k);
  });
  // By hand: the five keys that start with "balance/", in byte order ("balancf" does not).
  EXPECT_EQ(balances, (std::vector<std::string>{"balance/", "balance/1", "balance/10", "balance/2",
                                                "balance/99"}));
  int none = 0;
  tree.for_each_prefix("zzz", [&](const std::string&, const StateTree::Entry&) { ++none; });
  EXPECT_EQ(none, 0);
  int all = 0;
  tree.for_each_prefix("", [&](const std::string&, const StateTree::Entry&) { ++all; });
  EXPECT_EQ(all, 10);
}

// 10,000 random puts (a few hundred keys, so most overwrite), with copies taken and written on
// the way, against std::map; the root recomputed from scratch by the definition.
TEST(StateTree, RandomOperationsMatchAMapAndTheRootFromScratch) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 gen(seed);
    StateTree tree;
    Reference reference;
    uint64_t bytes = 0;
    std::vector<std::pair<StateTree, Reference>> snapshots;
    for (int op = 0; op < 10'000; ++op) {
      const std::string key = "k/" + std::to_string(gen() % 700);
      const std::string value(gen() % 40, static_cast<char>('a' + gen() % 26));
      auto& e = reference[key];
      bytes += e.version == 0 ? key.size() + 8 + value.size() : value.size() - e.value.size();
      e.value = value;
      ++e.version;
      tree.put(key, value);
      const StateTree::Entry* found = tree.find(key);
      ASSERT_NE(found, nullptr) << "seed " << seed << " op " << op;
      ASSERT_EQ(found->value, value) << "seed " << seed << " op " << op;
      ASSERT_EQ(found->version, e.version) << "seed " << seed << " op " << op;
      ASSERT_EQ(tree.size(), reference.size()) << "seed " << seed << " op " << op;
      ASSERT_EQ(tree.entry_bytes(), bytes) << "seed " << seed << " op " << op;
      if (op % 500 == 0) {
        ASSERT_EQ(tree.root(), reference_root(reference)) << "seed " << seed << " op " << op;
        snapshots.emplace_back(tree, reference);
      }
    }
    EXPECT_EQ(tree.root(), reference_root(reference)) << "seed " << seed;
    std::vector<std::pair<std::string, StateTree::Entry>> expected(reference.begin(),
                                                                   reference.end());
    const auto actual = contents(tree);
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      EXPECT_EQ(actual[i].first, expected[i].first);
      EXPECT_EQ(actual[i].second.value, expected[i].second.value);
      EXPECT_EQ(actual[i].second.version, expected[i].second.version);
    }
    // The copies taken on the way were never touched by the later writes.
    for (const auto& [copy, at_copy] : snapshots) {
      EXPECT_EQ(copy.size(), at_copy.size()) << "seed " << seed;
      EXPECT_EQ(copy.root(), reference_root(at_copy)) << "seed " << seed;
    }
  }
}

TEST(StateTree, LargeTreeIsShallowAndDiesQuietly) {
  // 200,000 keys: expected node depth 2 ln N = 24.4; the deepest node stays well under 80.
  auto tree = std::make_unique<StateTree>();
  for (int i = 0; i < 200'000; ++i) tree->put("contract/" + std::to_string(i) + "/slot", "1");
  EXPECT_EQ(tree->size(), 200'000u);
  EXPECT_LT(tree->height(), 80u);
  StateTree copy = *tree;
  tree.reset();  // the copy keeps every node alive
  EXPECT_EQ(copy.size(), 200'000u);
  EXPECT_EQ(copy.find("contract/199999/slot")->value, "1");
}

TEST(WorldState, CopiesShareTheTreeAndReportEntryBytes) {
  WorldState a;
  a.set_balance(1, 100);
  a.put("nonce/1", "7");
  // ("balance/1", "100") and ("nonce/1", "7"): (9 + 3 + 8) + (7 + 1 + 8), by hand.
  EXPECT_EQ(a.entry_bytes(), 36u);
  WorldState b = a;
  b.set_balance(1, 5);
  EXPECT_EQ(a.balance(1), 100);
  EXPECT_EQ(b.balance(1), 5);
  EXPECT_EQ(b.version("balance/1"), 2u);
  EXPECT_EQ(a.version("balance/1"), 1u);
  EXPECT_EQ(b.entry_bytes(), 34u);
  int64_t total = 0;
  a.for_each_prefix("balance/", [&](const std::string&, const WorldState::Entry& e) {
    total += std::stoll(e.value);
  });
  EXPECT_EQ(total, 100);
}

}  // namespace
}  // namespace tradesim::ledger
