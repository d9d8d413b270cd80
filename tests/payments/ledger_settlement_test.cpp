// Settlement on the ledger: the payment transaction and its record built by hand, then pay in
// advance and pay on delivery through a four-validator Raft consortium: records, the
// beneficiary's notice, and every validator's balances after the commits.
#include "models/payments/ledger_settlement.hpp"

#include <gtest/gtest.h>

#include <map>

#include "models/consensus/raft.hpp"
#include "sim/engine.hpp"

namespace tradesim::payments {
namespace {

using namespace sim::literals;

TEST(LedgerSettlement, TransactionAndRecord) {
  const ledger::KeyPair key = ledger::KeyPair::derive(1, 7);
  const PaymentOrder order{.id = 0x1122334455667788ULL, .beneficiary = 9, .amount = 12345};
  const ledger::Transaction tx =
      make_payment_transaction(order, 7, 1, 25, sim::SimTime::zero() + 3_s, 100, key);
  EXPECT_EQ(tx.kind, ledger::TxKind::kPayment);
  EXPECT_EQ(tx.sender, 7u);
  EXPECT_EQ(tx.recipient, 9u);
  EXPECT_EQ(tx.amount, 12345);
  EXPECT_EQ(tx.fee, 25u);
  EXPECT_EQ(tx.nonce, 1u);
  EXPECT_EQ(tx.declared_bytes, 100u);
  EXPECT_TRUE(tx.verify_signature());
  ledger::Transaction forged = tx;
  forged.amount = 99999;
  EXPECT_FALSE(forged.verify_signature());
  const PaymentRecord r =
      ledger_record(tx, sim::SimTime::zero() + 3_s, sim::SimTime::zero() + 3_s + 250_ms);
  EXPECT_EQ(r.id, order.id);  // carried in the payload
  EXPECT_EQ(r.settlement, Settlement::kLedger);
  EXPECT_EQ(r.originator, 7u);
  EXPECT_EQ(r.beneficiary, 9u);
  EXPECT_EQ(r.amount_received, 12345);
  EXPECT_EQ(r.fees, 25);
  EXPECT_EQ(r.amount_sent, 12370);
  EXPECT_EQ(r.intermediaries, 0u);
  EXPECT_EQ(r.hops, 0u);
  EXPECT_EQ(r.settlement_time(), 250_ms);
}

class Beneficiary : public sim::Node {
 public:
  std::vector<std::pair<sim::SimTime, PaymentRecord>> credits;
  void on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) override {
    if (const auto* c = msg.get_if<PaymentCredited>()) credits.emplace_back(ctx.now(), c->record);
  }
};

// A carrier that reports deliveries: DeliveryConfirmed{id} to the payer at given times (twice
// for the same id, to show the payer pays once).
class Carrier : public sim::Node {
 public:
  Carrier(sim::NodeId payer, std::vector<std::pair<sim::Duration, uint64_t>> deliveries)
      : payer_(payer), deliveries_(std::move(deliveries)) {}
  void on_start(sim::Context& ctx) override {
    for (size_t i = 0; i < deliveries_.size(); ++i) ctx.set_timer(deliveries_[i].first, i);
  }
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) override {
    ctx.send(payer_, sim::Message::make(DeliveryConfirmed{deliveries_[tag].second},
                                        kDeliveryConfirmedBytes));
  }

 private:
  sim::NodeId payer_;
  std::vector<std::pair<sim::Duration, uint64_t>> deliveries_;
};

// Four Raft validators (ids 0-3) 10 ms apart, the payer (4), the exporter (5), the carrier (6);
// the payer holds 1,000,000 in the genesis state; fees go to account 100.
struct LedgerWorld {
  static constexpr sim::NodeId kPayer = 4, kExporter = 5, kCarrier = 6;
  static constexpr uint64_t kFeeAccount = 100;
  sim::Engine engine;
  consensus::ValidatorShared shared;
  PaymentObserver observer;
  std::vector<PaymentRecord> records;
  std::vector<uint64_t> rejected;
  std::vector<consensus::RaftNode*> validators;
  LedgerPayer* payer = nullptr;
  Beneficiary* exporter = nullptr;

  LedgerWorld(uint64_t seed, std::vector<PaymentOrder> orders,
              std::vector<std::pair<sim::Duration, uint64_t>> deliveries)
      : engine(seed) {
    std::vector<sim::SiteId> sites;
    for (const char* name : {"s0", "s1", "s2", "s3"})
      sites.push_back(engine.network().add_site(name));
    for (size_t i = 0; i < 4; ++i) {
      for (size_t j = i + 1; j < 4; ++j) {
        engine.network().add_link(sites[i], sites[j], {.latency = 10_ms});
      }
    }
    auto genesis = std::make_shared<ledger::WorldState>();
    genesis->set_balance(kPayer, 1'000'000);
    shared.genesis = genesis;
    consensus::LedgerParams ledger;
    ledger.block_interval = 50_ms;
    ledger.fee_account = kFeeAccount;
    const std::vector<sim::NodeId> ids{0, 1, 2, 3};
    for (uint32_t i = 0; i < 4; ++i) {
      validators.push_back(&engine.emplace_node<consensus::RaftNode>(
          i, sites[i], ids, i, seed, consensus::RaftParams{}, ledger, &shared));
    }
    observer.credited = [this](const PaymentRecord& r) { records.push_back(r); };
    observer.rejected = [this](sim::NodeId, uint64_t id, std::string_view) {
      rejected.push_back(id);
    };
    LedgerSettlementParams params;
    params.fee = 3;
    payer = &engine.emplace_node<LedgerPayer>(kPayer, sites[0], std::move(orders), ids, seed,
                                              kPayer, params, &observer);
    exporter = &engine.emplace_node<Beneficiary>(kExporter, sites[1]);
    engine.emplace_node<Carrier>(kCarrier, sites[2], kPayer, std::move(deliveries));
  }
};

TEST(LedgerSettlement, PayInAdvanceAndOnDeliveryThroughRaft) {
  std::vector<PaymentOrder> orders = {{.id = 1,
                                       .beneficiary = LedgerWorld::kExporter,
                                       .amount = 5000,
                                       .terms = PaymentTerms::kInAdvance,
                                       .at = sim::SimTime::zero() + 1_s},
                                      {.id = 2,
                                       .beneficiary = LedgerWorld::kExporter,
                                       .amount = 7000,
                                       .terms = PaymentTerms::kOnDelivery},
                                      // Never delivered: never paid.
                                      {.id = 3,
                                       .beneficiary = LedgerWorld::kExporter,
                                       .amount = 9000,
                                       .terms = PaymentTerms::kOnDelivery}};
  LedgerWorld w(3, std::move(orders), {{2_s, 2}, {2500_ms, 2}});
  w.engine.run({.until = sim::SimTime::zero() + 5_s});

  ASSERT_EQ(w.records.size(), 2u);
  std::map<uint64_t, PaymentRecord> by_id;
  for (const PaymentRecord& r : w.records) by_id[r.id] = r;
  const PaymentRecord& advance = by_id.at(1);
  const PaymentRecord& on_delivery = by_id.at(2);
  // In advance: initiated at its time. On delivery: when the carrier's notice arrived, 2 s plus
  // one 10 ms link (site 2 -> site 0).
  EXPECT_EQ(advance.initiated, sim::SimTime::zero() + 1_s);
  EXPECT_EQ(on_delivery.initiated, sim::SimTime::zero() + 2_s + 10_ms);
  for (const PaymentRecord* r : {&advance, &on_delivery}) {
    EXPECT_EQ(r->settlement, Settlement::kLedger);
    EXPECT_EQ(r->fees, 3);
    EXPECT_EQ(r->amount_sent, r->amount_received + 3);
    EXPECT_EQ(r->intermediaries, 0u);
    EXPECT_EQ(r->originator, LedgerWorld::kPayer);
    // Commit within a block interval (50 ms), the forwarding (20 ms) and a few 10 ms rounds:
    // well under a second, and at least two link delays (to a validator and back).
    EXPECT_GT(r->settlement_time(), 20_ms);
    EXPECT_LT(r->settlement_time(), 1_s);
  }
  EXPECT_EQ(advance.amount_received, 5000);
  EXPECT_EQ(on_delivery.amount_received, 7000);
  EXPECT_EQ(w.payer->initiated(), 2u);  // the second notice for order 2 paid nothing
  EXPECT_EQ(w.payer->pending(), 0u);
  // The exporter was told, one 10 ms link after the confirmation.
  ASSERT_EQ(w.exporter->credits.size(), 2u);
  for (const auto& [at, record] : w.exporter->credits) {
    EXPECT_EQ(at, record.credited + 10_ms);
  }
  // Every validator's world state moved the money: 12,000 to the exporter, 6 in fees.
  for (const consensus::RaftNode* v : w.validators) {
    EXPECT_EQ(v->state().balance(LedgerWorld::kExporter), 12000);
    EXPECT_EQ(v->state().balance(LedgerWorld::kPayer), 1'000'000 - 12000 - 6);
    EXPECT_EQ(v->state().balance(LedgerWorld::kFeeAccount), 6);
  }
}

// The payer holds 1,000,000: the first payment of 600,000 (+ fee 3) applies, the second is
// ordered but cannot be paid; the validators say so (TxOutcome::kFailed) and the payer reports
// it rejected instead of crediting the exporter.
TEST(LedgerSettlement, PaymentThePayerCannotFundIsRejected) {
  std::vector<PaymentOrder> orders = {{.id = 1,
                                       .beneficiary = LedgerWorld::kExporter,
                                       .amount = 600'000,
                                       .at = sim::SimTime::zero() + 1_s},
                                      {.id = 2,
                                       .beneficiary = LedgerWorld::kExporter,
                                       .amount = 600'000,
                                       .at = sim::SimTime::zero() + 2_s}};
  LedgerWorld w(4, std::move(orders), {});
  w.engine.run({.until = sim::SimTime::zero() + 4_s});
  ASSERT_EQ(w.records.size(), 1u);
  EXPECT_EQ(w.records[0].id, 1u);
  EXPECT_EQ(w.rejected, std::vector<uint64_t>{2});
  EXPECT_EQ(w.payer->confirmed(), 1u);
  EXPECT_EQ(w.payer->failed(), 1u);
  EXPECT_EQ(w.payer->pending(), 0u);
  EXPECT_EQ(w.exporter->credits.size(), 1u);
  for (const consensus::RaftNode* v : w.validators) {
    EXPECT_EQ(v->state().balance(LedgerWorld::kExporter), 600'000);
    EXPECT_EQ(v->state().balance(LedgerWorld::kPayer), 1'000'000 - 600'000 - 3);
  }
}

TEST(LedgerSettlement, SameSeedSameRecords) {
  auto run = [](uint64_t seed) {
    std::vector<PaymentOrder> orders;
    for (uint64_t i = 0; i < 20; ++i) {
      orders.push_back({.id = i,
                        .beneficiary = LedgerWorld::kExporter,
                        .amount = 100,
                        .at = sim::SimTime::zero() + 1_s + static_cast<int64_t>(i) * 37_ms});
    }
    LedgerWorld w(seed, std::move(orders), {});
    w.engine.enable_fingerprint();
    w.engine.run({.until = sim::SimTime::zero() + 4_s});
    std::vector<std::pair<uint64_t, int64_t>> out;
    for (const PaymentRecord& r : w.records) out.emplace_back(r.id, r.credited.ns());
    return std::make_pair(w.engine.fingerprint(), out);
  };
  const auto a = run(8), b = run(8), c = run(9);
  EXPECT_EQ(a.second.size(), 20u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a.first, c.first);  // another seed, another election and other choices of validators
}

}  // namespace
}  // namespace tradesim::payments
