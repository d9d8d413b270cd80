// Replicated execution on a running consortium: four PBFT replicas share one contract runtime
// (ValidatorShared::executor); every replica executes the committed contract calls and reaches
// the same state root, and a replica that started from a corrupted state ends on another root.
#include <gtest/gtest.h>

#include <algorithm>

#include "models/consensus/client.hpp"
#include "models/consensus/divergence.hpp"
#include "models/consensus/pbft.hpp"
#include "models/consensus/submitter.hpp"
#include "tests/contracts/fixtures.hpp"

namespace tradesim::contracts {
namespace {

using namespace sim::literals;
constexpr uint64_t kSeedRun = 3, kSubmitter = 4, kProvenance = 400;

// Submits `count` provenance registrations, signed, to every replica at start.
class CallSubmitter : public sim::Node {
 public:
  CallSubmitter(std::vector<sim::NodeId> validators, uint64_t count)
      : validators_(std::move(validators)), count_(count) {}
  void on_start(sim::Context& ctx) override {
    const ledger::KeyPair key = ledger::KeyPair::derive(kSeedRun, kSubmitter);
    for (uint64_t i = 1; i <= count_; ++i) {
      ledger::Transaction tx;
      tx.kind = ledger::TxKind::kContractCall;
      tx.sender = kSubmitter;
      tx.nonce = i;
      tx.fee = 1;
      tx.recipient = kProvenance;
      tx.payload = encode_call({100'000, 1, "register", Args{i}});
      tx.declared_bytes = static_cast<uint32_t>(tx.payload.size());
      tx.submitted_ns = ctx.now().ns();
      tx.sign_with(key);
      consensus::submit_to_validators(ctx, validators_, consensus::SubmitTo::kAll,
                                      ledger::seal(std::move(tx)), {});
    }
  }

 private:
  std::vector<sim::NodeId> validators_;
  uint64_t count_;
};

TEST(ContractReplication, EveryReplicaExecutesTheCallsAndAgreesOnTheRoot) {
  ContractRegistry registry;
  add_library(registry);
  const Runtime runtime(registry);
  auto genesis = std::make_shared<ledger::WorldState>();
  genesis->set_balance(kSubmitter, 10'000'000);
  registry.deploy(*genesis, "provenance", kProvenance, {});

  sim::Engine engine(kSeedRun);
  consensus::ValidatorShared shared;
  shared.genesis = genesis;
  shared.executor = &runtime;
  const std::vector<sim::NodeId> ids{0, 1, 2, 3};
  std::vector<consensus::PbftReplica*> replicas;
  const sim::SiteId site = engine.network().add_site("dc");
  consensus::LedgerParams ledger;
  ledger.max_block_txs = 16;
  ledger.block_interval = 10_ms;
  for (uint32_t i = 0; i < 4; ++i) {
    replicas.push_back(&engine.emplace_node<consensus::PbftReplica>(
        ids[i], site, ids, i, kSeedRun, consensus::PbftParams{}, ledger, &shared));
  }
  // Every replica's block roots, compared per height as the consortium scenario does. The
  // corrupted replica's state has its own root, so the ExecutionMemo (keyed by the state root
  // before the block) never hands it the honest replicas' result: it really executes every
  // block itself.
  std::vector<sim::NodeId> divergent;
  consensus::StateDivergence divergence(4,
                                        [&](sim::NodeId v, uint64_t) { divergent.push_back(v); });
  shared.observer.block_committed = [&](sim::NodeId v, const ledger::Block& b, sim::SimTime) {
    divergence.committed(v, b.header.height, b.header.state_root);
  };
  // Replica 3 starts from a corrupted copy: one registration already there.
  auto corrupted = std::make_shared<ledger::WorldState>(*genesis);
  corrupted->put(storage_key(kProvenance, "item/5/owner"), "666");
  replicas[3]->replace_genesis(corrupted);
  engine.emplace_node<CallSubmitter>(kSubmitter, site, ids, 40);
  engine.run({.until = sim::SimTime::zero() + 5_s});

  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(replicas[i]->chain().height(), replicas[0]->chain().height());
    EXPECT_EQ(replicas[i]->state_root(), replicas[0]->state_root()) << "replica " << i;
  }
  EXPECT_NE(replicas[3]->state_root(), replicas[0]->state_root());  // detectable by its root
  divergence.finish();
  // Replica 3 diverges at every height the others also reached (its genesis differs already);
  // the others never.
  ASSERT_GT(replicas[0]->chain().height(), 0u);
  EXPECT_EQ(divergence.divergences(),
            std::min(replicas[3]->chain().height(), replicas[0]->chain().height()));
  EXPECT_EQ(std::count(divergent.begin(), divergent.end(), sim::NodeId{3}),
            static_cast<std::ptrdiff_t>(divergent.size()));
  // The memo executed each block twice: once on the honest state, once on the corrupted one.
  EXPECT_EQ(shared.execution.executions(),
            replicas[0]->chain().height() + replicas[3]->chain().height());
  const ledger::WorldState& s = replicas[0]->state();
  EXPECT_EQ(s.get(storage_key(kProvenance, "item/40/owner")), std::to_string(kSubmitter));
  // The corrupted replica saw item 5 as a duplicate registration: another history.
  EXPECT_EQ(replicas[3]->state().get(storage_key(kProvenance, "item/5/flags")), "duplicate");
  EXPECT_FALSE(s.get(storage_key(kProvenance, "item/5/flags")));
  // Gas and fees moved to the fee account (0), none created.
  EXPECT_EQ(s.balance(kSubmitter) + s.balance(0), 10'000'000);
  EXPECT_GT(s.balance(0), 40 * static_cast<int64_t>(gas::kCall + 1));
}

// A contract that answers: returns "echo:<argument>" and emits ("echoed", argument).
class Echo : public Contract {
 public:
  void call(Api& api, std::string_view method, const Args& args) override {
    api.require(method == "echo", "echo: no method " + std::string(method));
    const std::string text = args.str(0);
    api.emit("echoed", text);
    api.ret("echo:" + text);
  }
};

// A trade platform: submits one call through a TxSubmitter (to f + 1 replicas) and keeps the
// confirmation.
class Platform : public sim::Node {
 public:
  Platform(std::vector<sim::NodeId> validators, ledger::TxPtr tx)
      : submitter_(std::move(validators), consensus::SubmitTo::kFPlusOne, 1_s),
        tx_(std::move(tx)) {}
  void on_start(sim::Context& ctx) override { submitter_.submit(ctx, tx_); }
  void on_message(sim::Context&, sim::NodeId from, const sim::Message& msg) override {
    if (const auto* c = msg.get_if<consensus::TxCommitted>()) {
      if (auto done = submitter_.on_committed(from, *c)) confirmed = std::move(done);
    }
  }
  std::optional<consensus::TxSubmitter::Confirmed> confirmed;

 private:
  consensus::TxSubmitter submitter_;
  ledger::TxPtr tx_;
};

TEST(ContractReplication, TheSubmitterReceivesTheCallsReceipt) {
  constexpr uint64_t kEcho = 500;
  ContractRegistry registry;
  registry.add({"echo", "answers", {}, [](const Params&) { return std::make_unique<Echo>(); }});
  const Runtime runtime(registry);
  auto genesis = std::make_shared<ledger::WorldState>();
  genesis->set_balance(kSubmitter, 10'000'000);
  registry.deploy(*genesis, "echo", kEcho, {});

  sim::Engine engine(kSeedRun);
  consensus::ValidatorShared shared;
  shared.genesis = genesis;
  shared.executor = &runtime;
  const std::vector<sim::NodeId> ids{0, 1, 2, 3};
  const sim::SiteId site = engine.network().add_site("dc");
  consensus::LedgerParams ledger;
  ledger.block_interval = 10_ms;
  for (uint32_t i = 0; i < 4; ++i) {
    engine.emplace_node<consensus::PbftReplica>(ids[i], site, ids, i, kSeedRun,
                                                consensus::PbftParams{}, ledger, &shared);
  }
  ledger::Transaction tx;
  tx.kind = ledger::TxKind::kContractCall;
  tx.sender = kSubmitter;
  tx.nonce = 1;
  tx.fee = 1;
  tx.recipient = kEcho;
  tx.payload = encode_call({100'000, 1, "echo", Args{std::string("bill of lading 7")}});
  tx.declared_bytes = static_cast<uint32_t>(tx.payload.size());
  tx.sign_with(ledger::KeyPair::derive(kSeedRun, kSubmitter));
  auto& platform =
      engine.emplace_node<Platform>(kSubmitter, site, ids, ledger::seal(std::move(tx)));
  engine.run({.until = sim::SimTime::zero() + 5_s});

  ASSERT_TRUE(platform.confirmed.has_value());
  EXPECT_EQ(platform.confirmed->applied, 2u);  // f + 1 = 2 replies, both applied
  const ledger::ReceiptPtr& receipt = platform.confirmed->receipt;
  ASSERT_NE(receipt, nullptr);
  EXPECT_TRUE(receipt->ok()) << receipt->reason;
  EXPECT_EQ(receipt->output, "echo:bill of lading 7");
  ASSERT_EQ(receipt->events.size(), 1u);
  EXPECT_EQ(receipt->events[0], (ledger::Receipt::Event{"echoed", "bill of lading 7"}));
  // Intrinsic gas: 500 + 49 payload bytes (8 + 8 + 4 + 4 "echo" + 4 + a string argument of
  // 1 + 4 + 16); the event: 50 + 6 + 16 bytes.
  EXPECT_EQ(receipt->gas_used, gas::kCall + 49 + gas::kEvent + 22);
}

}  // namespace
}  // namespace tradesim::contracts
