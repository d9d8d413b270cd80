// PBFT on the kernel: the normal case's message count, commits, view change after a primary
// crash, safety and liveness over seeds with random faults, Byzantine equivocation with f and
// with f + 1 faulty replicas (the checker must report the latter).
#include "models/consensus/pbft.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#include "models/consensus/checker.hpp"
#include "models/consensus/client.hpp"
#include "models/consensus/submitter.hpp"
#include "sim/faults.hpp"
#include "tests/support/long_seeds.hpp"
#include "tests/support/random_faults.hpp"

namespace tradesim::consensus {
namespace {

using namespace sim::literals;

// Clients submit signed payments to every replica (as Castro and Liskov's clients do after a
// time-out); `count` of them, one every `period`.
ClientParams every(sim::Duration period, uint64_t count, sim::Duration start = {}) {
  return {.rate_per_second = 1.0 / period.seconds(),
          .poisson = false,
          .count = count,
          .start = start,
          .submit_to = SubmitTo::kAll};
}

struct Consortium {
  sim::Engine engine;
  ValidatorShared shared;
  SafetyChecker checker;
  std::vector<PbftReplica*> replicas;
  std::vector<TxClient*> clients;
  std::vector<sim::SiteId> sites;
  std::vector<sim::NodeId> ids;
  std::set<sim::NodeId> honest;
  uint64_t views_entered = 0;
  uint64_t requests_committed = 0;  // by the honest replica that executed most
  std::map<sim::NodeId, uint64_t> per_node;
  std::set<ledger::Digest> executed;  // transactions executed by some honest replica

  Consortium(uint64_t seed, size_t n, sim::Duration period, uint64_t count,
             const std::map<uint32_t, Behaviour>& faulty = {}, PbftParams params = {},
             sim::Duration block_interval = 10_ms)
      : engine(seed) {
    for (size_t i = 0; i < n; ++i) ids.push_back(static_cast<sim::NodeId>(i));
    for (size_t i = 0; i < n; ++i)
      sites.push_back(engine.network().add_site("r" + std::to_string(i)));
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
      per_node[node] += block.header.tx_count;
      requests_committed = std::max(requests_committed, per_node[node]);
      for (const ledger::TxPtr& tx : block.transactions()) executed.insert(tx->id());
    };
    shared.observer.view_changed = [this](sim::NodeId, uint64_t, sim::SimTime) { ++views_entered; };
    LedgerParams ledger;
    ledger.max_block_txs = 64;
    ledger.block_interval = block_interval;
    for (size_t i = 0; i < n; ++i) {
      const auto it = faulty.find(static_cast<uint32_t>(i));
      const Behaviour b = it == faulty.end() ? Behaviour::kHonest : it->second;
      if (b == Behaviour::kHonest) honest.insert(static_cast<sim::NodeId>(i));
      auto& r =
          engine.emplace_node<PbftReplica>(static_cast<sim::NodeId>(i), sites[i], ids,
                                           static_cast<uint32_t>(i), seed, params, ledger, &shared);
      r.set_behaviour(b);
      replicas.push_back(&r);
    }
    add_client(0, every(period, count));
  }
  TxClient& add_client(size_t site, ClientParams p) {
    const auto id = static_cast<sim::NodeId>(ids.size() + clients.size());
    clients.push_back(
        &engine.emplace_node<TxClient>(id, sites[site], ids, engine.seed(), id, p, nullptr));
    return *clients.back();
  }
};

// Castro and Liskov's normal case: one pre-prepare to n - 1 backups, n - 1 backups each sending
// a prepare to n - 1 others, n replicas each sending a commit to n - 1 others:
// (n - 1) + (n - 1)^2 + n(n - 1) = 2n(n - 1) messages per batch.
TEST(Pbft, NormalCaseSendsTwoNTimesNMinusOneMessages) {
  for (size_t n : {4u, 7u, 10u, 13u}) {
    Consortium c(1, n, 1_ms, 1);
    c.engine.run({.until = sim::SimTime::zero() + 2_s});
    const uint64_t client_messages = n;
    const uint64_t replies = n;  // each replica tells the client
    EXPECT_EQ(c.engine.stats().messages_sent - client_messages - replies, 2 * n * (n - 1))
        << "n=" << n;
    EXPECT_EQ(c.checker.commits(), n) << "n=" << n;  // every replica committed the one batch
  }
}

TEST(Pbft, CommitsEverythingInOrderWithCheckpoints) {
  Consortium c(2, 4, 5_ms, 1000);
  c.engine.run({.until = sim::SimTime::zero() + 10_s});
  EXPECT_EQ(c.checker.violations(), 0u) << c.checker.report();
  EXPECT_EQ(c.requests_committed, 1000u);
  for (PbftReplica* r : c.replicas) {
    EXPECT_EQ(r->view(), 0u);
    EXPECT_GT(r->stable_checkpoint(), 0u);  // checkpoints became stable and the log was trimmed
    EXPECT_EQ(r->last_executed(), c.replicas[0]->last_executed());
  }
  EXPECT_GT(c.shared.verification.hits(), c.shared.verification.real_checks());  // once each
  EXPECT_EQ(c.clients[0]->confirmed(), 1000u);
  for (PbftReplica* r : c.replicas) {
    EXPECT_EQ(r->chain().tip().hash(), c.replicas[0]->chain().tip().hash());
    EXPECT_EQ(r->state_root(), c.replicas[0]->state_root());
  }
}

// A primary waits up to a block interval for a block to fill. Backups that hold a request must
// allow for that wait: with an interval ten times the view-change timeout and a trickle of
// requests, the first primary stays in office and cuts a block per interval.
TEST(Pbft, BlockIntervalLongerThanTheViewTimeoutKeepsThePrimary) {
  PbftParams params;
  params.view_change_timeout = 500_ms;
  Consortium c(3, 4, 700_ms, 40, {}, params, 5_s);
  c.engine.run({.until = sim::SimTime::zero() + 60_s});
  EXPECT_EQ(c.checker.violations(), 0u) << c.checker.report();
  EXPECT_EQ(c.views_entered, 0u);
  EXPECT_EQ(c.requests_committed, 40u);
  for (PbftReplica* r : c.replicas) {
    EXPECT_EQ(r->view(), 0u);
    // 40 requests over 28 s, a block at most every 5 s: 6 or 7 blocks, not one per request.
    EXPECT_LE(r->last_executed(), 7u);
    EXPECT_GE(r->last_executed(), 5u);
  }
}

// Submits one signed payment to validator 1 only, and the same transaction to validator 2 a
// second later, when it is long committed (validator 1 forwarded it to the primary): what a
// client waiting for f + 1 replies does when its copy to one of them is slow.
struct LateSubmitter : sim::Node {
  ledger::TxPtr tx;
  std::vector<std::pair<sim::NodeId, TxCommitted>> replies;
  void on_start(sim::Context& ctx) override {
    ctx.send(1, sim::Message::make(SubmitTx{tx, false}, tx->wire_size()));
    ctx.set_timer(1_s);
  }
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t) override {
    ctx.send(2, sim::Message::make(SubmitTx{tx, false}, tx->wire_size()));
  }
  void on_message(sim::Context&, sim::NodeId from, const sim::Message& msg) override {
    if (const auto* m = msg.get_if<TxCommitted>()) replies.emplace_back(from, *m);
  }
};

// A validator that gets a client's copy of a transaction it already committed answers the
// client from what it committed, instead of refusing the copy as a replay (the client would wait
// for that reply and resend every retry interval).
TEST(Pbft, LateCopiesOfCommittedTransactionsAreAnswered) {
  Consortium c(4, 4, 1_s, 0);
  const auto id = static_cast<sim::NodeId>(c.ids.size() + c.clients.size());
  auto& late = c.engine.emplace_node<LateSubmitter>(id, c.sites[3]);
  ledger::Transaction tx;
  tx.kind = ledger::TxKind::kPayment;
  tx.sender = 4;  // a funded account of the fixture's genesis
  tx.nonce = 1;
  tx.recipient = 5;
  tx.amount = 10;
  tx.sign_with(ledger::KeyPair::derive(c.engine.seed(), 4));
  late.tx = ledger::seal(std::move(tx));
  c.engine.run({.until = sim::SimTime::zero() + 3_s});
  ASSERT_EQ(late.replies.size(), 2u);
  EXPECT_EQ(late.replies[0].first, 1u);
  EXPECT_EQ(late.replies[1].first, 2u);
  for (const auto& [from, m] : late.replies) {
    EXPECT_EQ(m.id, late.tx->id());
    EXPECT_EQ(m.outcome, TxOutcome::kApplied);
    EXPECT_EQ(m.height, late.replies[0].second.height);
  }
}

// Holds one transaction in a TxSubmitter (f + 1 = 2 replies needed of 4 validators); its link
// is down, so nothing reaches a validator and the test hands it the replies; resends at 2 s.
struct Resender : sim::Node {
  TxSubmitter submitter{{0, 1, 2, 3}, SubmitTo::kFPlusOne, 1_s};
  ledger::TxPtr tx;
  void on_start(sim::Context& ctx) override {
    submitter.submit(ctx, tx, {}, /*send=*/false);
    ctx.set_timer(2_s);
  }
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t) override {
    submitter.resend_due(ctx, {}, [](sim::Context&) { return false; });
  }
};

// A validator's commit notice is final: one counted before a resend still counts after it, so
// that with one validator down the replies of the others, before and after, confirm. Each
// validator counts once.
TEST(TxSubmitter, RepliesCountedBeforeAResendStillCount) {
  sim::Engine engine(5);
  auto& r = engine.emplace_node<Resender>(9, engine.network().add_site("s"));
  ledger::Transaction tx;
  tx.sender = 9;
  tx.nonce = 1;
  tx.sign_with(ledger::KeyPair::derive(5, 9));
  r.tx = ledger::seal(std::move(tx));
  engine.run({.until = sim::SimTime::zero() + 1_s});
  const TxCommitted reply{r.tx->id(), 3, TxOutcome::kApplied, nullptr};
  EXPECT_FALSE(r.submitter.on_committed(0, reply));
  engine.run({.until = sim::SimTime::zero() + 3_s});
  EXPECT_EQ(r.submitter.resent(), 1u);
  EXPECT_FALSE(r.submitter.on_committed(0, reply));  // the same validator again: counted once
  const auto confirmed = r.submitter.on_committed(2, reply);
  ASSERT_TRUE(confirmed);
  EXPECT_EQ(confirmed->applied, 2u);
  EXPECT_EQ(r.submitter.pending(), 0u);
}

TEST(Pbft, ViewChangeAfterPrimaryCrash) {
  Consortium c(3, 4, 5_ms, 1000);
  sim::faults::crash(c.engine, {0}, sim::SimTime::zero() + 2_s, sim::Duration::max());
  c.engine.run({.until = sim::SimTime::zero() + 12_s});
  EXPECT_EQ(c.checker.violations(), 0u) << c.checker.report();
  for (size_t i = 1; i < 4; ++i) EXPECT_GE(c.replicas[i]->view(), 1u);
  EXPECT_GE(c.views_entered, 3u);
  EXPECT_EQ(c.requests_committed, 1000u);  // every request, including those the primary held
}

// Random crashes and partitions of at most f replicas at a time for 15 s, then calm; for half
// the seeds, up to f replicas are Byzantine for the whole run as well (equivocating, silent,
// delaying or proposing invalid batches). Liveness is judged on a second client that starts once
// the faults have healed: every one of its requests must be executed (requests lost in the
// faulty period have no client retry here).
size_t run_faulty(uint64_t seed, size_t n) {
  const auto byzantine = test::random_byzantine(
      seed, n, (n - 1) / 3,
      {Behaviour::kEquivocate, Behaviour::kSilent, Behaviour::kDelay, Behaviour::kInvalidProposal});
  Consortium c(seed, n, 10_ms, 1500, byzantine);
  for (const auto& [v, b] : byzantine) {
    if (b == Behaviour::kDelay) c.replicas[v]->set_behaviour(b, 300_ms);
  }
  TxClient& late = c.add_client(n - 1, every(10_ms, 500, 17_s));
  const std::string schedule = test::schedule_random_faults(c.engine, c.sites, seed,
                                                            {.n = n,
                                                             .victims = (n - 1) / 3,
                                                             .start = sim::SimTime::zero() + 500_ms,
                                                             .stop = sim::SimTime::zero() + 15_s});
  c.engine.run({.until = sim::SimTime::zero() + 60_s});
  const std::string where = "seed " + std::to_string(seed) + " n=" + std::to_string(n) + ":" +
                            test::describe(byzantine) + " |" + schedule;
  EXPECT_EQ(c.checker.violations(), 0u) << where << ": " << c.checker.report();
  size_t late_executed = 0;
  for (const ledger::Digest& id : late.ids()) late_executed += c.executed.count(id);
  EXPECT_EQ(late_executed, 500u) << where;
  EXPECT_EQ(late.confirmed(), 500u) << where;
  return c.views_entered;
}

TEST(Pbft, SafetyAndLivenessUnderRandomFaults) {
  size_t views = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) views += run_faulty(seed, 4);
  for (uint64_t seed = 41; seed <= 50; ++seed) views += run_faulty(seed, 7);
  EXPECT_GT(views, 50u);  // the faults forced view changes
}

// Long-sweep seed 1556 (a silent replica, crashes and cuts): a batch committed by one replica
// in view 4 lost its prepared certificates at the others over two new views and was replaced in
// view 8. Certificates now outlive the views that reset their slots.
TEST(Pbft, PreparedCertificatesOutliveLaterViews) {
  run_faulty(1556, 4);
}

TEST(PbftLong, SafetyAndLivenessUnderRandomFaults) {
  test::for_long_seeds("PbftLong", [](uint64_t seed) { run_faulty(seed, seed % 3 == 0 ? 7 : 4); });
}

// An equivocating primary (f = 1 of 4): honest replicas never commit different batches, and the
// view change replaces the primary.
TEST(Pbft, EquivocatingPrimaryIsSafeWithFFaulty) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Consortium c(seed, 4, 5_ms, 500, {{0, Behaviour::kEquivocate}});
    c.engine.run({.until = sim::SimTime::zero() + 20_s});
    EXPECT_EQ(c.checker.violations(), 0u) << "seed " << seed << ": " << c.checker.report();
    EXPECT_EQ(c.executed.size(), 500u) << "seed " << seed;
  }
}

// A primary that proposes invalid batches (a bad signature, then a digest its batch does not
// have) is rejected by every honest replica, each reason counted, and replaced; a delaying or
// silent replica costs nothing but time. Every payment is committed in all three cases.
TEST(Pbft, InvalidDelayingAndSilentReplicasAreSurvived) {
  for (Behaviour b : {Behaviour::kInvalidProposal, Behaviour::kDelay, Behaviour::kSilent}) {
    Consortium c(7, 4, 5_ms, 300, {{0, b}});
    c.replicas[0]->set_behaviour(b, 300_ms);
    std::map<std::string, uint64_t> reasons;
    c.shared.observer.rejected = [&](sim::NodeId node, std::string_view why) {
      if (c.honest.count(node)) ++reasons[std::string(why)];
    };
    c.engine.run({.until = sim::SimTime::zero() + 20_s});
    EXPECT_EQ(c.checker.violations(), 0u) << c.checker.report();
    EXPECT_EQ(c.executed.size(), 300u) << behaviour_name(b);
    if (b == Behaviour::kInvalidProposal) {
      EXPECT_GT(reasons["bad pre-prepare signature"], 0u);
      EXPECT_GT(reasons["pre-prepare digest does not match its batch"], 0u);
      EXPECT_GE(c.replicas[1]->view(), 1u);  // the faulty primary was voted out
    }
  }
}

// A replica cut off for a long time falls behind the stable checkpoint; it fetches the certified
// blocks and state from its peers and ends with the same chain and state root.
TEST(Pbft, LaggardCatchesUpByStateTransfer) {
  Consortium c(8, 4, 5_ms, 2000);
  sim::faults::partition(c.engine, {{c.sites[3]}}, sim::SimTime::zero() + 1_s, 5_s);
  c.engine.run({.until = sim::SimTime::zero() + 15_s});
  EXPECT_EQ(c.checker.violations(), 0u) << c.checker.report();
  // Alone, it ran ahead in view number and waits there for the others (PBFT has no way back),
  // so it holds the chain up to the last stable checkpoint, not the last few batches after it.
  const PbftReplica& lag = *c.replicas[3];
  const PbftReplica& peer = *c.replicas[0];
  EXPECT_GE(lag.last_executed(), peer.stable_checkpoint());
  const uint64_t h = lag.chain().height();
  EXPECT_GT(h, 700u);  // blocks of 10 ms; it was cut off from 1 s to 6 s
  EXPECT_EQ(lag.chain().tip().hash(), peer.chain().at(h).hash());
  EXPECT_EQ(lag.state_root(), peer.chain().at(h).header.state_root);
}

// With f + 1 = 2 equivocating replicas out of 4 (more than (n - 1) / 3), PBFT's guarantee is void
// and the checker must see honest replicas commit different batches.
TEST(Pbft, CheckerReportsViolationsAboveF) {
  uint64_t violations = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Consortium c(seed, 4, 5_ms, 200, {{0, Behaviour::kEquivocate}, {1, Behaviour::kEquivocate}});
    c.engine.run({.until = sim::SimTime::zero() + 5_s});
    violations += c.checker.violations();
  }
  EXPECT_GT(violations, 0u);
}

}  // namespace
}  // namespace tradesim::consensus
