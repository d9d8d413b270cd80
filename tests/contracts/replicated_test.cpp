// Replicated execution on a running consortium: four PBFT replicas share one contract runtime
// (ValidatorShared::executor); every replica executes the committed contract calls and reaches
// the same state root, and a replica that started from a corrupted state ends on another root.
#include <gtest/gtest.h>

#include "models/consensus/client.hpp"
#include "models/consensus/pbft.hpp"
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
  const ledger::WorldState& s = replicas[0]->state();
  EXPECT_EQ(s.get(storage_key(kProvenance, "item/40/owner")), std::to_string(kSubmitter));
  // The corrupted replica saw item 5 as a duplicate registration: another history.
  EXPECT_EQ(replicas[3]->state().get(storage_key(kProvenance, "item/5/flags")), "duplicate");
  EXPECT_FALSE(s.get(storage_key(kProvenance, "item/5/flags")));
  // Gas and fees moved to the fee account (0), none created.
  EXPECT_EQ(s.balance(kSubmitter) + s.balance(0), 10'000'000);
  EXPECT_GT(s.balance(0), 40 * static_cast<int64_t>(gas::kCall + 1));
}

}  // namespace
}  // namespace tradesim::contracts
