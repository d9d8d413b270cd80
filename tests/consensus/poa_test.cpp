// Proof of authority (Clique, EIP-225) on the kernel: blocks every period mostly in turn, a
// crashed signer's turns filled out of turn, safety and liveness over seeds with random faults,
// forks under a partition that finality by depth absorbs, equivocation and invalid blocks
// detected; and the cases where the checker must report violations (finality depth 0 or 1).
#include "models/consensus/poa.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <set>

#include "models/consensus/checker.hpp"
#include "models/consensus/client.hpp"
#include "sim/faults.hpp"
#include "tests/support/long_seeds.hpp"
#include "tests/support/random_faults.hpp"

namespace tradesim::consensus {
namespace {

using namespace sim::literals;

// `count` signed payments, one every `period`, to every signer or to one chosen at random.
ClientParams every(sim::Duration period, uint64_t count, sim::Duration start = {},
                   SubmitTo to = SubmitTo::kAll) {
  return {.rate_per_second = 1.0 / period.seconds(),
          .poisson = false,
          .count = count,
          .start = start,
          .submit_to = to};
}

struct Consortium {
  sim::Engine engine;
  ValidatorShared shared;
  SafetyChecker checker;
  ClientObserver client_observer;
  std::vector<PoaSigner*> signers;
  std::vector<TxClient*> clients;
  std::vector<sim::SiteId> sites;
  std::vector<sim::NodeId> ids;
  std::set<sim::NodeId> honest;
  std::set<ledger::Digest> executed;         // transactions committed by some honest signer
  std::map<std::string, uint64_t> rejected;  // by honest signers, by reason
  std::vector<double> latencies;             // submission to confirmation, seconds

  Consortium(uint64_t seed, size_t n, PoaParams params = {},
             const std::map<uint32_t, Behaviour>& faulty = {})
      : engine(seed) {
    for (size_t i = 0; i < n; ++i) ids.push_back(static_cast<sim::NodeId>(i));
    for (size_t i = 0; i < n; ++i)
      sites.push_back(engine.network().add_site("s" + std::to_string(i)));
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) {
        engine.network().add_link(
            sites[i], sites[j],
            {.latency = sim::Duration::from_ns(static_cast<int64_t>(4 + (3 * i + 5 * j) % 12) *
                                               sim::units::kMillisecond),
             .jitter = 1_ms});
      }
    }
    auto genesis = std::make_shared<ledger::WorldState>();
    for (size_t c = n; c < n + 4; ++c) genesis->set_balance(c, 1'000'000);
    shared.genesis = genesis;
    shared.observer.block_committed = [this](sim::NodeId node, const ledger::Block& block,
                                             sim::SimTime) {
      if (!honest.count(node)) return;
      uint64_t value;
      const ledger::Digest h = block.hash();
      std::memcpy(&value, h.data(), sizeof value);
      checker.committed(node, block.header.height, value);
      for (const ledger::TxPtr& tx : block.transactions()) executed.insert(tx->id());
    };
    shared.observer.rejected = [this](sim::NodeId node, std::string_view reason) {
      if (honest.count(node)) ++rejected[std::string(reason)];
    };
    client_observer.confirmed = [this](sim::NodeId, const ledger::Digest&, uint64_t,
                                       sim::SimTime submitted, sim::SimTime at) {
      latencies.push_back((at - submitted).seconds());
    };
    LedgerParams ledger;
    ledger.max_block_txs = 200;
    for (size_t i = 0; i < n; ++i) {
      const auto it = faulty.find(static_cast<uint32_t>(i));
      const Behaviour b = it == faulty.end() ? Behaviour::kHonest : it->second;
      if (b == Behaviour::kHonest) honest.insert(static_cast<sim::NodeId>(i));
      auto& s =
          engine.emplace_node<PoaSigner>(static_cast<sim::NodeId>(i), sites[i], ids,
                                         static_cast<uint32_t>(i), seed, params, ledger, &shared);
      s.set_behaviour(b);
      signers.push_back(&s);
    }
  }
  TxClient& add_client(size_t site, ClientParams p) {
    const auto id = static_cast<sim::NodeId>(ids.size() + clients.size());
    clients.push_back(&engine.emplace_node<TxClient>(id, sites[site], ids, engine.seed(), id, p,
                                                     &client_observer));
    return *clients.back();
  }
  std::vector<PoaSigner*> honest_signers() const {
    std::vector<PoaSigner*> out;
    for (PoaSigner* s : signers) {
      if (honest.count(static_cast<sim::NodeId>(s->index()))) out.push_back(s);
    }
    return out;
  }
  uint64_t sum(uint64_t PoaSigner::Stats::*field) const {
    uint64_t total = 0;
    for (PoaSigner* s : honest_signers()) total += s->stats().*field;
    return total;
  }
  uint64_t sealed(uint64_t PoaSigner::Stats::*field) const {
    uint64_t total = 0;
    for (PoaSigner* s : signers) total += s->stats().*field;
    return total;
  }
};

// Every honest signer holds the same ledger: same height, same tip, same state root.
void expect_same_ledger(const Consortium& c, const std::string& what) {
  const std::vector<PoaSigner*> hs = c.honest_signers();
  for (PoaSigner* s : hs) {
    EXPECT_EQ(s->chain().height(), hs[0]->chain().height()) << what << " signer " << s->index();
    EXPECT_EQ(s->chain().tip().hash(), hs[0]->chain().tip().hash()) << what;
    EXPECT_EQ(s->state_root(), hs[0]->state_root()) << what;
  }
}

// Without faults the in-turn signer seals every block at k * period (EIP-225: out-of-turn
// signers wait a wiggle more and see its block first, unless their wiggle is shorter than the
// network delay, about 10 ms of the (n/2 + 1) * 500 ms window). At 25.5 s the head is block 25 and
// the ledger holds 25 - d blocks, d = safe_confirmations(n) = n. A
// transaction waits for the next block (half a period on average), then d more periods.
TEST(Poa, CommitsEveryTransactionMostlyInTurn) {
  for (size_t n : {4u, 7u}) {
    Consortium c(1, n);
    TxClient& client = c.add_client(0, every(20_ms, 500, {}, SubmitTo::kOne));
    c.engine.run({.until = sim::SimTime::zero() + 25_s + 500_ms});
    const std::string what = "n=" + std::to_string(n);
    EXPECT_EQ(c.checker.violations(), 0u) << c.checker.report();
    EXPECT_EQ(client.confirmed(), 500u) << what;
    EXPECT_EQ(c.executed.size(), 500u) << what;
    const uint64_t depth = n;
    EXPECT_EQ(safe_confirmations(n), depth);
    for (PoaSigner* s : c.signers) {
      EXPECT_EQ(s->confirmations(), depth);
      EXPECT_EQ(s->head_height(), 25u) << what;
      EXPECT_EQ(s->chain().height(), 25u - depth) << what;
      EXPECT_EQ(s->stats().deep_reorgs, 0u);
    }
    expect_same_ledger(c, what);
    const uint64_t in_turn = c.sealed(&PoaSigner::Stats::sealed_in_turn);
    const uint64_t out_of_turn = c.sealed(&PoaSigner::Stats::sealed_out_of_turn);
    EXPECT_GE(in_turn, 24u) << what;  // most of the 25 blocks
    EXPECT_LE(out_of_turn, in_turn / 10) << what;
    const double mean =
        std::accumulate(c.latencies.begin(), c.latencies.end(), 0.0) / c.latencies.size();
    EXPECT_GT(mean, static_cast<double>(depth)) << what;
    EXPECT_LT(mean, static_cast<double>(depth) + 1.0) << what;
    std::printf("n=%zu: %llu in turn, %llu out of turn, mean confirmation %.3f s\n", n,
                static_cast<unsigned long long>(in_turn),
                static_cast<unsigned long long>(out_of_turn), mean);
  }
}

// Signer 1 of 4 crashes for good at 2 s: the heights where it is in turn (h % 4 == 1) are sealed
// out of turn, with difficulty 1, by one of the three others; the chain keeps about one block a
// period (an out-of-turn block keeps its parent time + period as timestamp; only wiggles longer
// than a period, P = 1/3 of the 1.5 s window, delay the next).
TEST(Poa, CrashedSignersTurnsAreFilledOutOfTurn) {
  Consortium c(2, 4);
  TxClient& client = c.add_client(0, every(20_ms, 500));
  sim::faults::crash(c.engine, {1}, sim::SimTime::zero() + 2_s, sim::Duration::max());
  c.engine.run({.until = sim::SimTime::zero() + 30_s});
  EXPECT_EQ(c.checker.violations(), 0u) << c.checker.report();
  EXPECT_EQ(client.confirmed(), 500u);
  EXPECT_EQ(c.executed.size(), 500u);
  const PoaSigner& s = *c.signers[0];
  EXPECT_GE(s.head_height(), 25u);
  uint64_t filled = 0;
  for (uint64_t h = 4; h <= s.head_height(); ++h) {
    const PoaHeader& header = s.canonical(h).header;
    if (h % 4 == 1) {
      EXPECT_NE(header.signer, 1u) << "height " << h;
      EXPECT_EQ(header.difficulty, 1u) << "height " << h;
      ++filled;
    }
  }
  EXPECT_GE(filled, 6u);
  EXPECT_GE(c.sealed(&PoaSigner::Stats::sealed_out_of_turn), filled);
  for (PoaSigner* p : {c.signers[0], c.signers[2], c.signers[3]}) {
    EXPECT_EQ(p->chain().at(p->chain().height()).hash(),
              c.signers[0]->chain().at(p->chain().height()).hash());
  }
}

struct FaultyOutcome {
  uint64_t forks = 0, reorgs = 0, max_reorg = 0, deep_reorgs = 0;
};

// Random crashes and partitions of a minority ((n - 1) / 2 signers) at a time for 15 s, then
// calm; for half the seeds, up to (n - 1) / 3 of that minority are Byzantine signers for the
// whole run instead (equivocating, silent, delaying or sealing invalid blocks), and the random
// faults take the rest of it. Safety: honest signers agree on every ledger height, and no branch
// heavier than the canonical one forks below a final block. Liveness: a second client that
// starts once the faults have healed gets all its transactions committed.
FaultyOutcome run_faulty(uint64_t seed, size_t n, PoaParams params = {}, bool expect_safe = true) {
  const auto byzantine = test::random_byzantine(
      seed, n, (n - 1) / 3,
      {Behaviour::kEquivocate, Behaviour::kSilent, Behaviour::kDelay, Behaviour::kInvalidProposal});
  Consortium c(seed, n, params, byzantine);
  for (const auto& [v, b] : byzantine) {
    if (b == Behaviour::kDelay) c.signers[v]->set_behaviour(b, 300_ms);
  }
  c.add_client(0, every(10_ms, 1500));
  TxClient& late = c.add_client(n - 1, every(10_ms, 500, 17_s));
  // Every fault heals by 16 s, before the late client starts.
  const std::string schedule =
      test::describe(byzantine) + " |" +
      test::schedule_random_faults(c.engine, c.sites, seed,
                                   {.n = n,
                                    .victims = (n - 1) / 2 - byzantine.size(),
                                    .start = sim::SimTime::zero() + 500_ms,
                                    .stop = sim::SimTime::zero() + 15_s,
                                    .max_length = 4.0,
                                    .heal_by = sim::SimTime::zero() + 16_s});
  c.engine.run({.until = sim::SimTime::zero() + 45_s});
  const std::string where =
      "seed " + std::to_string(seed) + " n=" + std::to_string(n) + ":" + schedule;
  FaultyOutcome out;
  out.deep_reorgs = c.sum(&PoaSigner::Stats::deep_reorgs);
  if (!expect_safe) return out;
  EXPECT_EQ(c.checker.violations(), 0u) << where << ": " << c.checker.report();
  EXPECT_EQ(out.deep_reorgs, 0u) << where;
  size_t late_executed = 0;
  for (const ledger::Digest& id : late.ids()) late_executed += c.executed.count(id);
  EXPECT_EQ(late_executed, 500u) << where;
  EXPECT_EQ(late.confirmed(), 500u) << where;
  out.forks = c.sum(&PoaSigner::Stats::forks);
  out.reorgs = c.sum(&PoaSigner::Stats::reorgs);
  for (PoaSigner* s : c.honest_signers())
    out.max_reorg = std::max(out.max_reorg, s->stats().max_reorg_depth);
  // A reorg may abandon more blocks than a minority seals (the majority's out-of-turn blocks
  // weigh less than the minority's in-turn ones), but never a final block.
  EXPECT_LE(out.max_reorg, safe_confirmations(n)) << where;
  return out;
}

TEST(Poa, SafetyAndLivenessUnderRandomFaults) {
  FaultyOutcome total;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const FaultyOutcome o = run_faulty(seed, seed % 4 == 0 ? 7 : 4);
    total.forks += o.forks;
    total.reorgs += o.reorgs;
    total.max_reorg = std::max(total.max_reorg, o.max_reorg);
  }
  EXPECT_GT(total.forks, 50u);  // the faults forked the tree
  EXPECT_GT(total.reorgs, 50u);
  std::printf("100 seeds: %llu forks, %llu reorgs, deepest %llu\n",
              static_cast<unsigned long long>(total.forks),
              static_cast<unsigned long long>(total.reorgs),
              static_cast<unsigned long long>(total.max_reorg));
}

TEST(PoaLong, SafetyAndLivenessUnderRandomFaults) {
  test::for_long_seeds("PoaLong", [](uint64_t seed) { run_faulty(seed, seed % 4 == 0 ? 7 : 4); });
}

// Signers 0-2 of 7 are cut off from 3-6 from 5.5 s to 15.5 s. Each side forks the tree: the three
// seal three blocks (one each, then the signer limit of floor(7/2) = 3 stops them), the four go
// on. Healed, the three reorg onto the heavier branch, at most 3 deep: below the finality depth
// of 7, so nobody's ledger forks. With 1 or 0 confirmations the three finalise their own blocks
// and the checker must report it.
struct PartitionOutcome {
  uint64_t violations, deep_reorgs, forks, max_reorg;
  size_t executed;
};
PartitionOutcome run_halves(uint64_t seed, size_t n, const std::vector<uint32_t>& cut,
                            std::optional<uint64_t> depth,
                            sim::SimTime start = sim::SimTime::zero() + 5_s + 500_ms) {
  PoaParams params;
  params.confirmations = depth;
  Consortium c(seed, n, params);
  c.add_client(n - 1, every(20_ms, 1000));
  std::vector<sim::SiteId> side;
  for (uint32_t i : cut) side.push_back(c.sites[i]);
  sim::faults::partition(c.engine, {side}, start, 10_s);
  c.engine.run({.until = sim::SimTime::zero() + 40_s + 500_ms});
  PartitionOutcome out{c.checker.violations(), c.sum(&PoaSigner::Stats::deep_reorgs),
                       c.sum(&PoaSigner::Stats::forks), 0, c.executed.size()};
  for (PoaSigner* s : c.signers)
    out.max_reorg = std::max(out.max_reorg, s->stats().max_reorg_depth);
  if (!depth) expect_same_ledger(c, "seed " + std::to_string(seed));
  return out;
}

TEST(Poa, PartitionForksTheTreeButNotTheLedger) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const PartitionOutcome o = run_halves(seed, 7, {0, 1, 2}, std::nullopt);
    EXPECT_EQ(o.violations, 0u) << "seed " << seed;
    EXPECT_EQ(o.deep_reorgs, 0u) << "seed " << seed;
    // Each of the three connects the majority's branch beside its own; the four need never
    // hear of the minority's blocks (nobody builds on them).
    EXPECT_GE(o.forks, 3u) << "seed " << seed;
    EXPECT_GE(o.max_reorg, 1u) << "seed " << seed;
    EXPECT_LE(o.max_reorg, 3u) << "seed " << seed;
    EXPECT_EQ(o.executed, 1000u) << "seed " << seed;
  }
}

// Two halves of 4, {1, 2} and {0, 3}, from 5.5 s, when blocks 4 and 5 (sealed by 0 and 1) are
// the last two. Side {1, 2} seals block 6 (2 in turn), then both its signers sealed within the
// last two blocks: it stalls. Side {0, 3} seals 6 (3) and 7 (0) out of turn, then stalls too.
// Both branches weigh 2 (one in-turn block against two out-of-turn ones), the lower hash wins.
// Nothing is final on either side (the depth is 4); healed, the heads are announced, one side
// reorgs at most 2 deep and the chain goes on.
TEST(Poa, EvenSplitStallsBothSidesThenRecovers) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const PartitionOutcome o = run_halves(seed, 4, {1, 2}, std::nullopt);
    EXPECT_EQ(o.violations, 0u) << "seed " << seed;
    EXPECT_EQ(o.deep_reorgs, 0u) << "seed " << seed;
    EXPECT_GE(o.forks, 2u) << "seed " << seed;  // both signers of the side that reorgs
    EXPECT_LE(o.max_reorg, 2u) << "seed " << seed;
    EXPECT_EQ(o.executed, 1000u) << "seed " << seed;
  }
}

TEST(Poa, CheckerReportsViolationsWithShallowFinality) {
  for (uint64_t depth : {0u, 1u}) {
    uint64_t violations = 0, deep = 0;
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      const PartitionOutcome o = run_halves(seed, 7, {0, 1, 2}, depth);
      violations += o.violations;
      deep += o.deep_reorgs;
    }
    EXPECT_GT(violations, 0u) << "depth " << depth;
    EXPECT_GT(deep, 0u) << "depth " << depth;
  }
}

// The depth n/2 + 1 = 4 that the signer limit suggests is not enough for 7 signers. Under the
// random faults of run_faulty, three signers cut off while in turn seal up to three blocks of
// weight 2 each (6), while the four others, sealing out of turn (weight 1 each) and slowed by the
// next faults, finalise a block under 4 more of total weight 5. When the branches meet, the
// three's is heavier: the four count a reorg below finality (and refuse it). The first seeds
// show it (seed 14 here; 28 was the case the property test found); the default depth of 7
// passes the same seeds in SafetyAndLivenessUnderRandomFaults.
TEST(Poa, HalfPlusOneConfirmationsAreNotEnoughForSeven) {
  PoaParams params;
  params.confirmations = 4;
  uint64_t deep = 0, seed = 0;
  while (deep == 0 && seed < 40) deep += run_faulty(++seed, 7, params, false).deep_reorgs;
  EXPECT_GT(deep, 0u);
  std::printf("first reorg below a depth of 4 with 7 signers: seed %llu\n",
              static_cast<unsigned long long>(seed));
}

// One signer of 7 seals two blocks on each parent it seals on and sends one to each half. The
// next signer builds on one of them; the half that held the other fetches the missing parent,
// sees both seals and reorgs one block deep, far above the finality depth.
TEST(Poa, EquivocationIsDetectedWithoutSafetyLoss) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    Consortium c(seed, 7, {}, {{0, Behaviour::kEquivocate}});
    c.add_client(1, every(20_ms, 500));
    c.engine.run({.until = sim::SimTime::zero() + 30_s + 500_ms});
    EXPECT_EQ(c.checker.violations(), 0u) << "seed " << seed << ": " << c.checker.report();
    EXPECT_EQ(c.sum(&PoaSigner::Stats::deep_reorgs), 0u);
    EXPECT_EQ(c.executed.size(), 500u) << "seed " << seed;
    // Signer 0 is in turn at 4 of the 30 heights; every honest signer sees both twins at least
    // once (the half that got the losing twin through the fetch, the other through the next).
    EXPECT_GE(c.rejected["equivocating seal"], 6u) << "seed " << seed;
    uint64_t detectors = 0;
    for (PoaSigner* s : c.honest_signers()) detectors += s->stats().equivocations > 0;
    EXPECT_GE(detectors, 3u) << "seed " << seed;
    expect_same_ledger(c, "seed " + std::to_string(seed));
  }
}

// With no confirmations required, each half finalises the twin it got: one equivocating signer
// is enough to fork the ledgers.
TEST(Poa, EquivocationBreaksZeroDepthFinality) {
  uint64_t violations = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    PoaParams params;
    params.confirmations = 0;
    Consortium c(seed, 7, params, {{0, Behaviour::kEquivocate}});
    c.add_client(1, every(20_ms, 200));
    c.engine.run({.until = sim::SimTime::zero() + 15_s});
    violations += c.checker.violations();
  }
  EXPECT_GT(violations, 0u);
}

// A signer that seals, in turn, alternately a bad seal and a header whose transaction root is not
// its body's: both are refused with their reason, none enters a canonical chain, its turns are
// filled out of turn and every transaction is committed.
TEST(Poa, InvalidBlocksAreRefused) {
  Consortium c(4, 4, {}, {{2, Behaviour::kInvalidProposal}});
  c.add_client(0, every(20_ms, 500));
  c.engine.run({.until = sim::SimTime::zero() + 30_s + 500_ms});
  EXPECT_EQ(c.checker.violations(), 0u) << c.checker.report();
  EXPECT_EQ(c.executed.size(), 500u);
  // Each of the 3 honest signers refuses each kind at least twice (signer 2 is in turn about 7
  // times in 30 blocks and also seals out of turn).
  EXPECT_GE(c.rejected["block: bad seal"], 6u);
  EXPECT_GE(c.rejected["block: transaction root does not match its body"], 6u);
  for (PoaSigner* s : c.honest_signers()) {
    for (uint64_t h = 1; h <= s->head_height(); ++h) EXPECT_NE(s->canonical(h).header.signer, 2u);
  }
  expect_same_ledger(c, "invalid proposals");
}

// Same seed, same run: the ledgers and the counters are identical.
TEST(Poa, RunsAreDeterministic) {
  auto run = [] {
    Consortium c(9, 4);
    c.add_client(0, every(20_ms, 300));
    sim::faults::crash(c.engine, {3}, sim::SimTime::zero() + 3_s, 4_s);
    c.engine.run({.until = sim::SimTime::zero() + 15_s});
    return std::make_tuple(c.signers[0]->chain().tip().hash(), c.signers[1]->state_root(),
                           c.sealed(&PoaSigner::Stats::sealed_out_of_turn),
                           c.sum(&PoaSigner::Stats::forks), c.engine.stats().messages_sent);
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace tradesim::consensus
