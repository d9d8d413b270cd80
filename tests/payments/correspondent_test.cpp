// Correspondent banking: a Shanghai -> New York -> Rotterdam chain computed by hand (weekend,
// cut-offs and time zones; fees under SHA, OUR and BEN), cut-off behaviour at an intermediary,
// compliance holds, route finding (currency, hops, fees, ties), money conservation over many
// random payments, processing-time distributions, and determinism with seeds.
#include "models/payments/correspondent.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "sim/engine.hpp"

namespace tradesim::payments {
namespace {

using namespace sim::literals;

sim::SimTime utc(int64_t day, int h, int m = 0) {
  return sim::SimTime::zero() + sim::Duration::from_ns(day * sim::units::kDay) + h * 1_h +
         m * 1_min;
}

// A beneficiary that keeps what it was told.
class Beneficiary : public sim::Node {
 public:
  std::vector<std::pair<sim::SimTime, PaymentRecord>> credits;
  void on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) override {
    if (const auto* c = msg.get_if<PaymentCredited>()) credits.emplace_back(ctx.now(), c->record);
  }
};

// Node ids of the three-bank world.
constexpr sim::NodeId kShanghai = 0, kNewYork = 1, kRotterdam = 2, kImporter = 3, kExporter = 4;

BankParams bank(std::string name, std::string country, std::string currency, double offset,
                FeeSchedule fee, sim::Duration processing) {
  BankParams p;
  p.info = {std::move(name), std::move(country), std::move(currency), fee};
  p.calendar.utc_offset_hours = offset;
  p.processing = ProcessingTime::fixed(processing);
  return p;
}

// Shanghai (CNY, UTC+8), New York (USD, UTC-5), Rotterdam (EUR, UTC+1); every bank 09:00-17:00
// local with a 15:00 cut-off, Sat/Sun weekend; fixed processing times 1 h, 2 h and 30 min.
// Shanghai and Rotterdam also correspond directly (in EUR).
struct ThreeBanks {
  sim::Engine engine;
  CorrespondentNetwork network;
  PaymentObserver observer;
  std::vector<PaymentRecord> records;
  std::vector<std::string> rejections;
  std::vector<Bank*> banks;
  Beneficiary* exporter = nullptr;

  explicit ThreeBanks(std::vector<PaymentOrder> orders, uint64_t seed = 1,
                      std::vector<BankParams> params = {})
      : engine(seed) {
    if (params.empty()) {
      params = {bank("BANK-CNSHA", "CN", "CNY", 8, {2500, 0}, 1_h),
                bank("BANK-USNYC", "US", "USD", -5, {1500, 0.0005}, 2_h),
                bank("BANK-NLRTM", "NL", "EUR", 1, {1000, 0.0002}, 30_min)};
    }
    observer.credited = [this](const PaymentRecord& r) { records.push_back(r); };
    observer.rejected = [this](sim::NodeId, uint64_t id, std::string_view why) {
      rejections.push_back(std::to_string(id) + ": " + std::string(why));
    };
    for (sim::NodeId id = 0; id < 3; ++id) {
      network.add_bank(id, params[id].info);
      banks.push_back(&engine.emplace_node<Bank>(id, 0, params[id], &observer));
    }
    network.add_relationship(kShanghai, kNewYork);
    network.add_relationship(kNewYork, kRotterdam);
    network.add_relationship(kShanghai, kRotterdam);
    engine.emplace_node<CorrespondentPayer>(kImporter, 0, std::move(orders), kShanghai, &network,
                                            &observer);
    exporter = &engine.emplace_node<Beneficiary>(kExporter, 0);
  }
};

PaymentOrder usd_order(uint64_t id, sim::SimTime at, ChargeBearer charges, Money amount) {
  return {.id = id,
          .beneficiary = kExporter,
          .amount = amount,
          .currency = "USD",
          .at = at,
          .beneficiary_bank = kRotterdam,
          .charges = charges};
}

// Friday 16:00 in Shanghai = Friday 08:00 UTC (day 4).
const sim::SimTime kFridayFourPmShanghai = utc(4, 8);

TEST(Correspondent, ShanghaiNewYorkRotterdamAcrossTheWeekend) {
  ThreeBanks w({usd_order(1, kFridayFourPmShanghai, ChargeBearer::kShared, 10'000'000)});
  w.engine.run();
  ASSERT_EQ(w.records.size(), 1u);
  const PaymentRecord& r = w.records[0];
  // By hand (ideal network: no delay between nodes):
  //  Shanghai gets it Friday 16:00 local, after its 15:00 cut-off: Monday (day 7) 09:00 local =
  //    Monday 01:00 UTC, + 1 h -> 02:00 UTC.
  //  New York gets it Monday 02:00 UTC = Sunday 21:00 local: Monday 09:00 local = 14:00 UTC,
  //    + 2 h -> 16:00 UTC.
  //  Rotterdam gets it Monday 16:00 UTC = 17:00 local, after its cut-off: Tuesday (day 8)
  //    09:00 local = 08:00 UTC, + 30 min -> credited Tuesday 08:30 UTC of the next week.
  EXPECT_EQ(r.initiated, kFridayFourPmShanghai);
  EXPECT_EQ(r.credited, utc(8, 8, 30));
  EXPECT_EQ(r.settlement_time(), 4_d + 30_min);
  // Fees under SHA, in cents on USD 100,000.00:
  //  Shanghai 25.00 billed to the originator;
  //  New York 15.00 + 0.05 % of 100,000.00 = 65.00 deducted -> 99,935.00 in transit;
  //  Rotterdam 10.00 + 0.02 % of 99,935.00 = 10.00 + 19.987 -> 29.99 deducted -> 99,905.01.
  EXPECT_EQ(r.fees, 2500 + 6500 + 2999);
  EXPECT_EQ(r.amount_sent, 10'000'000 + 2500);
  EXPECT_EQ(r.amount_received, 9'990'501);
  EXPECT_EQ(r.amount_sent, r.amount_received + r.fees);
  EXPECT_EQ(r.hops, 2u);
  EXPECT_EQ(r.intermediaries, 1u);
  EXPECT_EQ(r.settlement, Settlement::kCorrespondent);
  EXPECT_EQ(r.originator, kImporter);
  EXPECT_EQ(r.beneficiary, kExporter);
  // Each bank earned its fee; the beneficiary was told, at the credit time (ideal network).
  EXPECT_EQ(w.banks[kShanghai]->fees_earned(), 2500);
  EXPECT_EQ(w.banks[kNewYork]->fees_earned(), 6500);
  EXPECT_EQ(w.banks[kRotterdam]->fees_earned(), 2999);
  ASSERT_EQ(w.exporter->credits.size(), 1u);
  EXPECT_EQ(w.exporter->credits[0].first, utc(8, 8, 30));
  EXPECT_EQ(w.exporter->credits[0].second.amount_received, 9'990'501);
  EXPECT_TRUE(w.rejections.empty());
}

TEST(Correspondent, BankCrashDelaysButLosesNothing) {
  ThreeBanks w({usd_order(1, kFridayFourPmShanghai, ChargeBearer::kShared, 10'000'000)});
  // New York holds the payment Monday 14:00-16:00 UTC (see above); it is down from 15:00 UTC
  // Monday to 10:00 UTC Tuesday. On restart the payment, due during the outage, leaves at once
  // and reaches Rotterdam at 11:00 local Tuesday: credited 11:30 local = 10:30 UTC.
  w.engine.schedule(utc(7, 15), [&] { w.engine.crash(kNewYork); });
  w.engine.schedule(utc(8, 10), [&] { w.engine.restart(kNewYork); });
  w.engine.run();
  ASSERT_EQ(w.records.size(), 1u);
  EXPECT_EQ(w.records[0].credited, utc(8, 10, 30));
  EXPECT_EQ(w.records[0].amount_received, 9'990'501);
  EXPECT_EQ(w.banks[kNewYork]->in_process(), 0u);
}

TEST(Correspondent, PayerDownWhenAnOrderIsDueInitiatesItOnRestart) {
  ThreeBanks w({usd_order(1, kFridayFourPmShanghai, ChargeBearer::kShared, 10'000'000)});
  // The importer is down from Friday 07:00 to 09:00 UTC: the order due at 08:00 goes out at
  // 09:00 UTC (17:00 in Shanghai); it was after the cut-off anyway, so the credit is unchanged.
  w.engine.schedule(utc(4, 7), [&] { w.engine.crash(kImporter); });
  w.engine.schedule(utc(4, 9), [&] { w.engine.restart(kImporter); });
  w.engine.run();
  ASSERT_EQ(w.records.size(), 1u);
  EXPECT_EQ(w.records[0].initiated, utc(4, 9));
  EXPECT_EQ(w.records[0].credited, utc(8, 8, 30));
}

TEST(Correspondent, ChargeBearersOurAndBen) {
  ThreeBanks w({usd_order(1, kFridayFourPmShanghai, ChargeBearer::kOur, 10'000'000),
                usd_order(2, kFridayFourPmShanghai, ChargeBearer::kBeneficiary, 10'000'000)});
  w.engine.run();
  ASSERT_EQ(w.records.size(), 2u);
  std::map<uint64_t, PaymentRecord> by_id;
  for (const PaymentRecord& r : w.records) by_id[r.id] = r;
  // OUR: every fee on the instructed amount, billed to the originator: 25.00 + (15.00 + 50.00)
  // + (10.00 + 20.00) = 120.00; the beneficiary gets 100,000.00.
  EXPECT_EQ(by_id[1].fees, 12000);
  EXPECT_EQ(by_id[1].amount_received, 10'000'000);
  EXPECT_EQ(by_id[1].amount_sent, 10'012'000);
  // BEN: each deducts from the amount in transit: 25.00 -> 99,975.00; 15.00 + 49.9875 -> 64.99
  // -> 99,910.01; 10.00 + 19.982002 -> 29.98 -> 99,880.03.
  EXPECT_EQ(by_id[2].fees, 2500 + 6499 + 2998);
  EXPECT_EQ(by_id[2].amount_received, 9'988'003);
  EXPECT_EQ(by_id[2].amount_sent, 10'000'000);
  // The charge option changes no timing.
  EXPECT_EQ(by_id[1].credited, by_id[2].credited);
}

// Three banks in UTC, 10 minutes of work each, a USD payment (so through B, the US bank).
std::vector<BankParams> utc_banks() {
  return {bank("A", "CN", "CNY", 0, {}, 10_min), bank("B", "US", "USD", 0, {}, 10_min),
          bank("C", "NL", "EUR", 0, {}, 10_min)};
}

std::map<uint64_t, PaymentRecord> by_id(const std::vector<PaymentRecord>& records) {
  std::map<uint64_t, PaymentRecord> out;
  for (const PaymentRecord& r : records) out[r.id] = r;
  return out;
}

TEST(Correspondent, CutOffAtAnIntermediaryCostsANight) {
  // C takes payments until its 17:00 close. Initiated at 14:49, a payment reaches B at 14:59,
  // before B's 15:00 cut-off; initiated two minutes later it reaches B at 15:01.
  std::vector<BankParams> params = utc_banks();
  params[2].calendar.cutoff = 17_h;
  ThreeBanks w({usd_order(1, utc(0, 14, 49), ChargeBearer::kShared, 1000),
                usd_order(2, utc(0, 14, 51), ChargeBearer::kShared, 1000)},
               1, params);
  w.engine.run();
  const auto r = by_id(w.records);
  ASSERT_EQ(r.size(), 2u);
  // 1: A 14:49-14:59, B 14:59-15:09, C 15:09-15:19 on Monday.
  // 2: A 14:51-15:01, B waits for Tuesday 09:00-09:10, C 09:10-09:20.
  EXPECT_EQ(r.at(1).credited, utc(0, 15, 19));
  EXPECT_EQ(r.at(2).credited, utc(1, 9, 20));
}

TEST(Correspondent, CutOffAtTheBeneficiaryBank) {
  // As above with C's cut-off at 15:00: payment 1 reaches C at 15:09 and waits for Tuesday.
  ThreeBanks w({usd_order(1, utc(0, 14, 49), ChargeBearer::kShared, 1000),
                usd_order(2, utc(0, 14, 51), ChargeBearer::kShared, 1000)},
               1, utc_banks());
  w.engine.run();
  const auto r = by_id(w.records);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.at(1).credited, utc(1, 9, 10));
  EXPECT_EQ(r.at(2).credited, utc(1, 9, 20));
}

TEST(Correspondent, ComplianceHoldAddsItsDelay) {
  std::vector<BankParams> params = utc_banks();
  params[1].compliance = {1.0, ProcessingTime::fixed(3_h)};
  ThreeBanks w({usd_order(1, utc(0, 9), ChargeBearer::kShared, 1000)}, 1, params);
  uint64_t holds = 0;
  w.observer.compliance_hold = [&](sim::NodeId bank_id, uint64_t id, sim::SimTime at) {
    EXPECT_EQ(bank_id, kNewYork);
    EXPECT_EQ(id, 1u);
    EXPECT_EQ(at, utc(0, 9, 10));
    ++holds;
  };
  w.engine.run();
  ASSERT_EQ(w.records.size(), 1u);
  // A 09:00-09:10, B 09:10 + 10 min + 3 h = 12:20, C 12:20-12:30.
  EXPECT_EQ(w.records[0].credited, utc(0, 12, 30));
  EXPECT_EQ(holds, 1u);
  EXPECT_EQ(w.banks[kNewYork]->compliance_holds(), 1u);
  EXPECT_EQ(w.banks[kShanghai]->compliance_holds(), 0u);
}

TEST(Correspondent, ComplianceHoldShareMatchesItsProbability) {
  std::vector<BankParams> params = {bank("A", "CN", "CNY", 0, {}, 1_min),
                                    bank("B", "US", "USD", 0, {}, 1_min),
                                    bank("C", "NL", "EUR", 0, {}, 1_min)};
  params[1].compliance = {0.3, ProcessingTime::fixed(1_h)};
  std::vector<PaymentOrder> orders;
  constexpr int kPayments = 2000;
  for (int i = 0; i < kPayments; ++i) {
    orders.push_back(usd_order(static_cast<uint64_t>(i), utc(i % 5, 9) + (i % 300) * 1_s,
                               ChargeBearer::kShared, 1000));
  }
  ThreeBanks w(std::move(orders), 3, params);
  w.engine.run();
  EXPECT_EQ(w.records.size(), static_cast<size_t>(kPayments));
  // Binomial(2000, 0.3): standard deviation sqrt(2000 * 0.3 * 0.7) = 20.5; allow 4 of them.
  EXPECT_NEAR(static_cast<double>(w.banks[kNewYork]->compliance_holds()), 600.0, 82.0);
}

TEST(CorrespondentNetwork, RouteNeedsABankClearingTheCurrency) {
  CorrespondentNetwork n;
  n.add_bank(0, {"SHA", "CN", "CNY", {2500, 0}});
  n.add_bank(1, {"NYC", "US", "USD", {1500, 0}});
  n.add_bank(2, {"RTM", "NL", "EUR", {1000, 0}});
  n.add_relationship(0, 1);
  n.add_relationship(1, 2);
  n.add_relationship(0, 2);
  // EUR: direct, Rotterdam clears it.
  const auto eur = n.route(0, 2, "EUR", 1000);
  ASSERT_TRUE(eur);
  EXPECT_EQ(eur->banks, (std::vector<sim::NodeId>{0, 2}));
  EXPECT_EQ(eur->intermediaries(), 0u);
  // USD: through New York although Shanghai and Rotterdam correspond directly.
  const auto usd = n.route(0, 2, "USD", 1000);
  ASSERT_TRUE(usd);
  EXPECT_EQ(usd->banks, (std::vector<sim::NodeId>{0, 1, 2}));
  EXPECT_EQ(usd->hops(), 2u);
  EXPECT_EQ(usd->fees, 5000);
  // No bank clears JPY: no route. Within one bank: the bank itself.
  EXPECT_FALSE(n.route(0, 2, "JPY", 1000));
  EXPECT_EQ(n.route(1, 1, "USD", 1000)->banks, (std::vector<sim::NodeId>{1}));
}

TEST(CorrespondentNetwork, FewestHopsThenLowestFeesThenLowestIds) {
  CorrespondentNetwork n;
  n.add_bank(0, {"SHA", "CN", "USD", {}});
  n.add_bank(1, {"HKG-1", "HK", "HKD", {5000, 0}});
  n.add_bank(2, {"HKG-2", "HK", "HKD", {3000, 0}});
  n.add_bank(3, {"LON-1", "GB", "GBP", {100, 0}});
  n.add_bank(4, {"LON-2", "GB", "GBP", {100, 0}});
  n.add_bank(5, {"RTM", "NL", "EUR", {}});
  n.add_bank(6, {"HKG-3", "HK", "HKD", {3000, 0}});
  // Two-hop chains via 1, 2 or 6; a three-hop chain 0-3-4-5 that is cheaper.
  for (sim::NodeId via : {1, 2, 6}) {
    n.add_relationship(0, via);
    n.add_relationship(via, 5);
  }
  n.add_relationship(0, 3);
  n.add_relationship(3, 4);
  n.add_relationship(4, 5);
  const auto r = n.route(0, 5, "USD", 1'000'000);
  ASSERT_TRUE(r);
  // Fewest hops first (2, not 3 however cheap), then the lowest fee (2 and 6 at 30.00, not 1),
  // then the lowest ids (2 before 6).
  EXPECT_EQ(r->banks, (std::vector<sim::NodeId>{0, 2, 5}));
  EXPECT_EQ(r->fees, 3000);
  // Percentage fees count on the amount: 30.00 flat against 10.00 + 0.1 %.
  n = CorrespondentNetwork{};
  n.add_bank(0, {"SHA", "CN", "USD", {}});
  n.add_bank(1, {"HKG-1", "HK", "HKD", {3000, 0}});
  n.add_bank(2, {"HKG-2", "HK", "HKD", {1000, 0.001}});
  n.add_bank(5, {"RTM", "NL", "EUR", {}});
  for (sim::NodeId via : {1, 2}) {
    n.add_relationship(0, via);
    n.add_relationship(via, 5);
  }
  // 1,000.00: HKG-2 costs 10.00 + 1.00 < 30.00. 10,000,000.00: 10.00 + 10,000.00 > 30.00.
  EXPECT_EQ(n.route(0, 5, "USD", 100'000)->banks, (std::vector<sim::NodeId>{0, 2, 5}));
  EXPECT_EQ(n.route(0, 5, "USD", 1'000'000'000)->banks, (std::vector<sim::NodeId>{0, 1, 5}));
  // Hop limit: one hop is not enough.
  EXPECT_FALSE(n.route(0, 5, "USD", 100'000, 1));
}

TEST(Correspondent, NoRouteIsReportedNotLost) {
  PaymentOrder jpy = usd_order(2, utc(0, 9), ChargeBearer::kShared, 1000);
  jpy.currency = "JPY";
  ThreeBanks v({jpy});
  v.engine.run();
  EXPECT_TRUE(v.records.empty());
  ASSERT_EQ(v.rejections.size(), 1u);
  EXPECT_EQ(v.rejections[0], "2: no correspondent route");
}

// A world of eight banks in five time zones with lognormal processing, compliance holds and
// random amounts, charge options and start times; `count` payments from random originator
// banks to random beneficiary banks.
struct RandomWorld {
  sim::Engine engine;
  CorrespondentNetwork network;
  PaymentObserver observer;
  std::vector<PaymentRecord> records;
  std::vector<Bank*> banks;
  std::vector<std::pair<sim::NodeId, PaymentOrder>> orders;  // (originator bank, order)
  uint64_t rejected = 0;

  RandomWorld(uint64_t seed, int count) : engine(seed) {
    engine.enable_fingerprint();
    observer.credited = [this](const PaymentRecord& r) { records.push_back(r); };
    observer.rejected = [this](sim::NodeId, uint64_t, std::string_view) { ++rejected; };
    struct Spec {
      const char *name, *country, *currency;
      double offset;
    };
    const Spec specs[] = {{"CNSHA", "CN", "CNY", 8},  {"HKHKG", "HK", "HKD", 8},
                          {"USNYC", "US", "USD", -5}, {"GBLON", "GB", "GBP", 0},
                          {"NLRTM", "NL", "EUR", 1},  {"DEFRA", "DE", "EUR", 1},
                          {"AEDXB", "AE", "AED", 4},  {"INBOM", "IN", "INR", 5.5}};
    for (sim::NodeId id = 0; id < 8; ++id) {
      BankParams p;
      p.info = {specs[id].name,
                specs[id].country,
                specs[id].currency,
                {static_cast<Money>(500 + 250 * id), 0.0001 * (id % 3)}};
      p.calendar.utc_offset_hours = specs[id].offset;
      if (id == 6) p.calendar.weekend = {Weekday::kFriday, Weekday::kSaturday};
      p.processing = ProcessingTime::lognormal(45_min, 0.8);
      p.compliance = {0.05, ProcessingTime::uniform(2_h, 2_d)};
      network.add_bank(id, p.info);
      banks.push_back(&engine.emplace_node<Bank>(id, 0, p, &observer));
    }
    const std::pair<sim::NodeId, sim::NodeId> links[] = {{0, 1}, {1, 2}, {1, 3}, {2, 3}, {2, 4},
                                                         {3, 5}, {4, 5}, {3, 6}, {6, 7}, {2, 7}};
    for (auto [a, b] : links) network.add_relationship(a, b);
    // One payer per originator bank, one beneficiary per bank.
    sim::Rng rng(seed, 999, sim::purpose("orders"));
    std::vector<std::vector<PaymentOrder>> by_bank(8);
    const char* currencies[] = {"USD", "EUR", "CNY", "GBP"};
    for (int i = 0; i < count; ++i) {
      const auto from = static_cast<sim::NodeId>(rng.below(8));
      const auto to = static_cast<sim::NodeId>(rng.below(8));
      by_bank[from].push_back(
          {.id = static_cast<uint64_t>(i),
           .beneficiary = 16 + to,
           .amount = static_cast<Money>(1 + rng.below(100'000'000)),
           .currency = currencies[rng.below(4)],
           .at = sim::SimTime::zero() + sim::Duration::from_seconds(rng.uniform(0, 14 * 86400.0)),
           .beneficiary_bank = to,
           .charges = static_cast<ChargeBearer>(rng.below(3))});
      orders.emplace_back(from, by_bank[from].back());
    }
    for (sim::NodeId b = 0; b < 8; ++b) {
      engine.emplace_node<CorrespondentPayer>(8 + b, 0, by_bank[b], b, &network, &observer);
      engine.emplace_node<Beneficiary>(16 + b, 0);
    }
  }
};

TEST(Correspondent, MoneyIsConservedOverRandomPayments) {
  RandomWorld w(11, 3000);
  w.engine.run();
  // Every payment is credited, except those for which no chain passes a bank clearing their
  // currency (0 -> 1 in EUR: bank 0's only correspondent is 1).
  uint64_t unroutable = 0;
  for (const auto& [from, o] : w.orders) {
    unroutable += !w.network.route(from, o.beneficiary_bank, o.currency, o.amount);
  }
  EXPECT_EQ(w.rejected, unroutable);
  EXPECT_EQ(w.records.size() + unroutable, 3000u);
  EXPECT_GT(w.records.size(), 2000u);
  Money sent = 0, received = 0, fees = 0, earned = 0;
  uint64_t processed = 0;
  for (const PaymentRecord& r : w.records) {
    ASSERT_EQ(r.amount_sent, r.amount_received + r.fees) << "payment " << r.id;
    ASSERT_GE(r.amount_received, 0);
    ASSERT_GE(r.credited, r.initiated);
    ASSERT_EQ(r.hops == 0 ? 0u : r.hops - 1, r.intermediaries);  // hops 0: within one bank
    sent += r.amount_sent;
    received += r.amount_received;
    fees += r.fees;
    processed += r.hops + 1;
  }
  // The fees the banks say they earned are the fees the records carry: nothing created or lost.
  for (const Bank* b : w.banks) {
    earned += b->fees_earned();
    EXPECT_EQ(b->in_process(), 0u);
  }
  EXPECT_EQ(earned, fees);
  EXPECT_EQ(sent, received + earned);
  uint64_t bank_processed = 0;
  for (const Bank* b : w.banks) bank_processed += b->processed();
  EXPECT_EQ(bank_processed, processed);
}

TEST(Correspondent, SameSeedSameRunOtherSeedOtherRun) {
  auto run = [](uint64_t seed) {
    RandomWorld w(seed, 400);
    w.engine.run();
    std::vector<std::pair<uint64_t, int64_t>> out;
    for (const PaymentRecord& r : w.records) out.emplace_back(r.id, r.credited.ns());
    return std::make_pair(w.engine.fingerprint(), out);
  };
  const auto a = run(5), b = run(5), c = run(6);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  EXPECT_NE(a.first, c.first);
  EXPECT_NE(a.second, c.second);
}

TEST(ProcessingTime, DrawsFollowTheirDistribution) {
  sim::Rng rng(1, 2, sim::purpose("test"));
  const ProcessingTime uniform = ProcessingTime::uniform(1_h, 3_h);
  const ProcessingTime lognormal = ProcessingTime::lognormal(2_h, 0.5);
  constexpr int kDraws = 20000;
  double sum = 0;
  std::vector<double> logs;
  for (int i = 0; i < kDraws; ++i) {
    const sim::Duration u = uniform.draw(rng);
    ASSERT_GE(u, 1_h);
    ASSERT_LE(u, 3_h);
    sum += u.hours();
    logs.push_back(lognormal.draw(rng).hours());
  }
  // Uniform(1, 3) h: mean 2 h, standard deviation 2 / sqrt(12) = 0.577 h; the mean of 20000
  // draws is within 4 x 0.577 / sqrt(20000) = 0.016 h.
  EXPECT_NEAR(sum / kDraws, 2.0, 0.016);
  // Lognormal: the median is exp(mu) = 2 h; the sample median of 20000 draws lies within about
  // 2% (its standard error is sqrt(pi/2) * sigma / sqrt(n) = 0.0044 in log terms; 4 of them).
  std::nth_element(logs.begin(), logs.begin() + kDraws / 2, logs.end());
  EXPECT_NEAR(std::log(logs[kDraws / 2] / 2.0), 0.0, 0.018);
  // Mean exp(mu + sigma^2 / 2) = 2 * exp(0.125) = 2.266 h.
  double mean = 0;
  for (double x : logs) mean += x;
  EXPECT_NEAR(mean / kDraws, 2.0 * std::exp(0.125), 0.03);
  EXPECT_EQ(ProcessingTime::fixed(7_min).draw(rng), 7_min);
}

TEST(Correspondent, RejectsBadBankParameters) {
  BankParams p;
  p.compliance.probability = 1.5;
  EXPECT_THROW(Bank(p, nullptr), std::invalid_argument);
  p = {};
  p.processing = ProcessingTime::uniform(2_h, 1_h);
  EXPECT_THROW(Bank(p, nullptr), std::invalid_argument);
  p = {};
  p.info.fee.rate = -0.1;
  EXPECT_THROW(Bank(p, nullptr), std::invalid_argument);
  CorrespondentNetwork n;
  n.add_bank(0, {});
  EXPECT_THROW(n.add_bank(0, {}), std::invalid_argument);
  EXPECT_THROW(n.add_relationship(0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace tradesim::payments
