// B2B supply agreement: penalties per day late and per excursion computed by the contract and
// paid from the supplier's bond; shortfall refunded; default claimed after the grace period.
#include <gtest/gtest.h>

#include "tests/contracts/fixtures.hpp"

namespace tradesim::contracts {
namespace {

using namespace testing;
constexpr uint64_t kBuyer = 10, kSupplier = 11, kAgreement = 500;

struct SupplyTest : ::testing::Test {
  Ledger l;
  int64_t buyer0 = 0, supplier0 = 0;
  int64_t buyer_gas = 0, supplier_gas = 0;
  void SetUp() override {
    l.state.set_balance(kBuyer, 1'000'000);
    l.state.set_balance(kSupplier, 1'000'000);
    l.deploy("supply_agreement", kAgreement,
             {{"buyer", "10"},
              {"supplier", "11"},
              {"quantity", "100"},
              {"unit_price", "50"},
              {"window_start_ns", std::to_string(10 * kDayNs)},
              {"window_end_ns", std::to_string(20 * kDayNs)},
              {"penalty_per_day", "100"},
              {"penalty_per_excursion", "50"},
              {"bond", "1000"},
              {"sensor", std::to_string(kSensor)},
              {"sensor_key", key_hex(kSensor)}});
    buyer0 = l.state.balance(kBuyer);
    supplier0 = l.state.balance(kSupplier);
    supplier_gas += gas_of(l.call(kSupplier, kAgreement, "post_bond", {}, 1'000));
    buyer_gas += gas_of(l.call(kBuyer, kAgreement, "pay", {}, 5'000));
  }
  static int64_t gas_of(const CallResult& r) {
    EXPECT_TRUE(r.ok()) << r.reason;
    return static_cast<int64_t>(r.gas_used);
  }
  Args delivery(uint64_t quantity, const Evidence& e) {
    std::vector<Value> v{quantity};
    for (size_t i = 0; i < e.upload.readings.size(); ++i) {
      v.emplace_back(e.reading(i));
      v.emplace_back(e.anchor);
    }
    return Args(std::move(v));
  }
  // What each party gained, gas aside.
  int64_t buyer_gain() const { return l.state.balance(kBuyer) - buyer0 + buyer_gas; }
  int64_t supplier_gain() const { return l.state.balance(kSupplier) - supplier0 + supplier_gas; }
};

TEST_F(SupplyTest, OnTimeCleanDeliveryPaysPriceAndReturnsBond) {
  const Evidence e = anchor_evidence(l.state, {4, 5, 6}, 1, sensors::Checkpoint::kWarehouse);
  l.now_ns = 15 * kDayNs;
  supplier_gas += gas_of(l.call(kSupplier, kAgreement, "deliver", delivery(100, e)));
  EXPECT_EQ(buyer_gain(), -5'000);
  EXPECT_EQ(supplier_gain(), 5'000);
  EXPECT_EQ(l.state.balance(kAgreement), 0);
  EXPECT_EQ(l.query(kAgreement, "status"), "settled");
}

TEST_F(SupplyTest, LateAndOutOfSpecDeliveryPaysPenaltiesFromTheBond) {
  const Evidence e = anchor_evidence(l.state, {4, 9, 1, 5}, 1, sensors::Checkpoint::kWarehouse);
  l.now_ns = 22 * kDayNs + 1;  // 2 days and 1 ns late: 3 days by the ceiling
  supplier_gas += gas_of(l.call(kSupplier, kAgreement, "deliver", delivery(100, e)));
  // 3 days x 100 + 2 excursions (9 and 1 degC outside [2, 8]) x 50 = 400.
  EXPECT_EQ(l.state.get(storage_key(kAgreement, "penalty")), "400");
  EXPECT_EQ(buyer_gain(), -5'000 + 400);
  EXPECT_EQ(supplier_gain(), 5'000 - 400);
}

TEST_F(SupplyTest, PenaltyCappedAtTheBondAndShortfallRefunded) {
  const Evidence e = anchor_evidence(l.state, {4}, 1, sensors::Checkpoint::kWarehouse);
  l.now_ns = 40 * kDayNs;  // 20 days late: 2,000 > the 1,000 bond
  supplier_gas += gas_of(l.call(kSupplier, kAgreement, "deliver", delivery(80, e)));
  // Buyer: 1,000 (the whole bond) + 20 units x 50 not delivered.
  EXPECT_EQ(buyer_gain(), -5'000 + 1'000 + 1'000);
  EXPECT_EQ(supplier_gain(), 80 * 50 - 1'000);
}

TEST_F(SupplyTest, DeliveryBeforeTheWindowRefusedAndDefaultAfterGrace) {
  const Evidence e = anchor_evidence(l.state, {4}, 1, sensors::Checkpoint::kWarehouse);
  l.now_ns = 5 * kDayNs;
  EXPECT_EQ(l.call(kSupplier, kAgreement, "deliver", delivery(100, e)).reason,
            "before the delivery window");
  l.now_ns = 50 * kDayNs;  // the window end + 30 days exactly: not yet
  EXPECT_EQ(l.call(kBuyer, kAgreement, "claim_default").reason, "the supplier may still deliver");
  // The two failed calls above paid gas too: recount from the balances.
  buyer0 = l.state.balance(kBuyer);
  buyer_gas = 0;
  l.now_ns = 50 * kDayNs + 1;
  buyer_gas += gas_of(l.call(kBuyer, kAgreement, "claim_default"));
  EXPECT_EQ(buyer_gain(), 5'000 + 1'000);
  EXPECT_EQ(l.query(kAgreement, "status"), "defaulted");
}

}  // namespace
}  // namespace tradesim::contracts
