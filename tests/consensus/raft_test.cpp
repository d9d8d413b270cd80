// Raft on the kernel: normal operation, and properties over many seeds with random crashes and
// partitions: election safety, log matching / state machine safety, leader completeness and
// liveness once faults heal (Ongaro and Ousterhout 2014, figure 3).
#include "models/consensus/raft.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "models/consensus/checker.hpp"
#include "models/consensus/client.hpp"
#include "sim/faults.hpp"
#include "tests/support/long_seeds.hpp"

namespace tradesim::consensus {
namespace {

using namespace sim::literals;

struct Cluster {
  sim::Engine engine;
  ValidatorShared shared;
  RaftObserver observer;
  SafetyChecker checker;
  std::vector<RaftNode*> nodes;
  std::vector<sim::SiteId> sites;
  TxClient* client = nullptr;
  uint64_t completeness_violations = 0;
  std::map<uint64_t, RaftEntry> committed;      // index -> entry, as first committed
  std::map<sim::NodeId, uint64_t> txs_by_node;  // transactions each member committed
  uint64_t txs_committed() const {
    uint64_t most = 0;
    for (const auto& [node, count] : txs_by_node) most = std::max(most, count);
    return most;
  }

  Cluster(uint64_t seed, size_t n) : engine(seed) {
    std::vector<sim::NodeId> members;
    for (size_t i = 0; i < n; ++i) members.push_back(static_cast<sim::NodeId>(i));
    // One site per member, 5-20 ms apart with jitter.
    for (size_t i = 0; i < n; ++i)
      sites.push_back(engine.network().add_site("s" + std::to_string(i)));
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) {
        engine.network().add_link(
            sites[i], sites[j],
            {.latency = sim::Duration::from_ns(static_cast<int64_t>(5 + (i * 7 + j * 3) % 16) *
                                               sim::units::kMillisecond),
             .jitter = 2_ms});
      }
    }
    auto genesis = std::make_shared<ledger::WorldState>();
    genesis->set_balance(n, 1'000'000'000);
    shared.genesis = genesis;
    observer.committed = [this](sim::NodeId node, uint64_t index, const RaftEntry& e,
                                sim::SimTime) {
      uint64_t value;
      std::memcpy(&value, e.batch->digest.data(), sizeof value);
      checker.committed(node, index, value ^ e.term);
      committed.emplace(index, e);
    };
    shared.observer.block_committed = [this](sim::NodeId node, const ledger::Block& b,
                                             sim::SimTime) {
      txs_by_node[node] += b.header.tx_count;
    };
    // Leader completeness: a new leader's log holds every entry committed before it won.
    observer.became_leader = [this](sim::NodeId node, uint64_t term, sim::SimTime) {
      checker.leader(node, term);
      const auto& log = nodes[node]->log();
      for (const auto& [index, entry] : committed) {
        if (index > log.size() || !(log[index - 1] == entry)) ++completeness_violations;
      }
    };
    LedgerParams ledger;
    ledger.block_interval = 10_ms;
    for (size_t i = 0; i < n; ++i) {
      nodes.push_back(&engine.emplace_node<RaftNode>(static_cast<sim::NodeId>(i), sites[i], members,
                                                     static_cast<uint32_t>(i), seed, RaftParams{},
                                                     ledger, &shared, &observer));
    }
    // A new payment every 20 ms to a member chosen at random.
    const auto id = static_cast<sim::NodeId>(n);
    client = &engine.emplace_node<TxClient>(
        id, sites[0], members, seed, id,
        ClientParams{.rate_per_second = 50, .poisson = false, .submit_to = SubmitTo::kOne},
        nullptr);
  }
};

TEST(Raft, ElectsOneLeaderAndReplicatesEverything) {
  Cluster c(1, 5);
  c.engine.run({.until = sim::SimTime::zero() + 10_s});
  size_t leaders = 0;
  for (RaftNode* n : c.nodes) leaders += n->role() == RaftNode::Role::kLeader;
  EXPECT_EQ(leaders, 1u);
  EXPECT_EQ(c.checker.violations(), 0u) << c.checker.report();
  // About 500 payments in 10 s; all but the last few are committed on every node.
  for (RaftNode* n : c.nodes) {
    EXPECT_GT(c.txs_by_node[n->index()], 480u);
    EXPECT_GT(n->commit_index(), 100u);
    // Log matching: the committed prefixes are identical (the tails may be in flight).
    for (uint64_t i = 0; i < 100; ++i) ASSERT_EQ(n->log()[i], c.nodes[0]->log()[i]);
  }
  EXPECT_GT(c.client->confirmed(), 480u);
}

TEST(Raft, NewLeaderAfterTheLeaderCrashes) {
  Cluster c(2, 5);
  c.engine.run({.until = sim::SimTime::zero() + 2_s});
  sim::NodeId old_leader = 0;
  for (size_t i = 0; i < c.nodes.size(); ++i) {
    if (c.nodes[i]->role() == RaftNode::Role::kLeader) old_leader = static_cast<sim::NodeId>(i);
  }
  const uint64_t before = c.txs_committed();
  c.engine.crash(old_leader);
  c.engine.run({.until = sim::SimTime::zero() + 4_s});
  EXPECT_GT(c.checker.leaders().size(), 1u);
  EXPECT_GT(c.txs_committed(), before + 50);  // commits go on without the old leader
  EXPECT_EQ(c.checker.violations(), 0u) << c.checker.report();
}

// Random faults for 20 s, then 10 s of calm. Faults: crashes of up to two members (restarted
// after 0.2-3 s) and partitions of one or two sites (healed after 0.2-3 s).
// Returns the number of leaders elected, to show that the faults did force elections.
size_t run_faulty(uint64_t seed) {
  Cluster c(seed, 5);
  sim::Rng rng(seed, 1000, sim::purpose("faults"));
  for (int k = 0; k < 12; ++k) {
    const sim::SimTime at =
        sim::SimTime::zero() + sim::Duration::from_seconds(rng.uniform(0.5, 20));
    const sim::Duration length = sim::Duration::from_seconds(rng.uniform(0.2, 3));
    if (rng.bernoulli(0.5)) {
      std::vector<sim::NodeId> victims{static_cast<sim::NodeId>(rng.below(5))};
      if (rng.bernoulli(0.3)) victims.push_back(static_cast<sim::NodeId>(rng.below(5)));
      std::sort(victims.begin(), victims.end());
      victims.erase(std::unique(victims.begin(), victims.end()), victims.end());
      sim::faults::crash(c.engine, victims, at, length);
    } else {
      std::vector<sim::SiteId> cut{c.sites[rng.below(5)]};
      if (rng.bernoulli(0.4)) cut.push_back(c.sites[(cut[0] + 1 + rng.below(4)) % 5]);
      sim::faults::partition(c.engine, {cut}, at, length);
    }
  }
  c.engine.run({.until = sim::SimTime::zero() + 23_s});
  const uint64_t at_calm = c.txs_committed();
  c.engine.run({.until = sim::SimTime::zero() + 33_s});
  EXPECT_EQ(c.checker.violations(), 0u) << "seed " << seed << ": " << c.checker.report();
  EXPECT_EQ(c.completeness_violations, 0u) << "seed " << seed;
  // Liveness once faults heal: the calm 10 s commit hundreds more payments.
  EXPECT_GT(c.txs_committed(), at_calm + 300) << "seed " << seed;
  // Log matching: the committed prefixes of all members are identical.
  const uint64_t common =
      std::min_element(c.nodes.begin(), c.nodes.end(),
                       [](auto a, auto b) { return a->commit_index() < b->commit_index(); })[0]
          ->commit_index();
  size_t mismatches = 0;
  for (RaftNode* n : c.nodes) {
    for (uint64_t i = 0; i < common; ++i) mismatches += !(n->log()[i] == c.nodes[0]->log()[i]);
  }
  EXPECT_EQ(mismatches, 0u) << "seed " << seed;
  return c.checker.leaders().size();
}

TEST(Raft, SafetyAndLivenessUnderRandomFaults) {
  size_t elections = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) elections += run_faulty(seed);
  EXPECT_GT(elections, 3 * 200u);  // leaders change several times per run: the faults bite
}

TEST(RaftLong, SafetyAndLivenessUnderRandomFaults) {
  test::for_long_seeds("RaftLong", [](uint64_t seed) { run_faulty(seed); });
}

// The checker is not blind: conflicting commits and two leaders in a term are reported.
TEST(SafetyChecker, ReportsViolations) {
  SafetyChecker c;
  c.committed(0, 1, 42);
  c.committed(1, 1, 42);
  c.leader(0, 5);
  c.leader(0, 5);
  EXPECT_EQ(c.violations(), 0u);
  c.committed(2, 1, 43);
  c.leader(1, 5);
  EXPECT_EQ(c.violations(), 2u);
  EXPECT_NE(c.report().find("index 1"), std::string::npos);
  EXPECT_NE(c.report().find("term 5"), std::string::npos);
}

}  // namespace
}  // namespace tradesim::consensus
