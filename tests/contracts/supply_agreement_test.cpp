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
  // A record from just after payment (at 0) to `delivery_ns`, as the agreement requires.
  Evidence record(const std::vector<double>& temps, int64_t delivery_ns, uint64_t batch = 1) {
    const int64_t first = 60'000'000'000;
    return anchor_evidence(l.state, temps, 1, sensors::Checkpoint::kWarehouse, batch, first,
                           (delivery_ns - first) / static_cast<int64_t>(temps.size() - 1));
  }
  // What each party gained, gas aside.
  int64_t buyer_gain() const { return l.state.balance(kBuyer) - buyer0 + buyer_gas; }
  int64_t supplier_gain() const { return l.state.balance(kSupplier) - supplier0 + supplier_gas; }
};

TEST_F(SupplyTest, OnTimeCleanDeliveryPaysPriceAndReturnsBond) {
  l.now_ns = 15 * kDayNs;
  const Evidence e = record({4, 5, 6}, l.now_ns);
  supplier_gas += gas_of(l.call(kSupplier, kAgreement, "deliver", delivery(100, e)));
  EXPECT_EQ(buyer_gain(), -5'000);
  EXPECT_EQ(supplier_gain(), 5'000);
  EXPECT_EQ(l.state.balance(kAgreement), 0);
  EXPECT_EQ(l.query(kAgreement, "status"), "settled");
}

TEST_F(SupplyTest, LateAndOutOfSpecDeliveryPaysPenaltiesFromTheBond) {
  l.now_ns = 22 * kDayNs + 1;  // 2 days and 1 ns late: 3 days by the ceiling
  const Evidence e = record({4, 9, 1, 5}, l.now_ns);
  supplier_gas += gas_of(l.call(kSupplier, kAgreement, "deliver", delivery(100, e)));
  // 3 days x 100 + 2 excursions (9 and 1 degC outside [2, 8]) x 50 = 400.
  EXPECT_EQ(l.state.get(storage_key(kAgreement, "penalty")), "400");
  EXPECT_EQ(buyer_gain(), -5'000 + 400);
  EXPECT_EQ(supplier_gain(), 5'000 - 400);
}

TEST_F(SupplyTest, PenaltyCappedAtTheBondAndShortfallRefunded) {
  l.now_ns = 40 * kDayNs;  // 20 days late: 2,000 > the 1,000 bond
  const Evidence e = record({4, 4}, l.now_ns);
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

TEST_F(SupplyTest, TheRecordMustCoverPaymentToDeliveryWithoutGaps) {
  l.now_ns = 15 * kDayNs;
  // Readings from 2 h after payment on: the first hours are missing (max_gap_ns is 1 h).
  const Evidence late = anchor_evidence(l.state, {4, 5}, 1, sensors::Checkpoint::kWarehouse, 1,
                                        7'200'000'000'000, l.now_ns - 7'200'000'000'000);
  EXPECT_EQ(l.call(kSupplier, kAgreement, "deliver", delivery(100, late)).reason,
            "the record starts too late");
  // Only the clean start of a record: it ends days before the delivery.
  const Evidence short_record =
      anchor_evidence(l.state, {4, 5}, 1, sensors::Checkpoint::kWarehouse, 2);
  EXPECT_EQ(l.call(kSupplier, kAgreement, "deliver", delivery(100, short_record)).reason,
            "the record ends too early");
  // A whole record with the excursion (reading 2) left out.
  const Evidence e = record({4, 11, 5}, l.now_ns, 3);
  std::vector<Value> skip = delivery(100, e).values();
  skip.erase(skip.begin() + 3, skip.begin() + 5);
  EXPECT_EQ(l.call(kSupplier, kAgreement, "deliver", Args(skip)).reason,
            "readings must have consecutive sequence numbers");
  // No readings at all, with a sensor in the agreement.
  EXPECT_EQ(l.call(kSupplier, kAgreement, "deliver", {uint64_t{100}}).reason,
            "readings come with their anchors");
  EXPECT_EQ(l.query(kAgreement, "status"), "active");
}

TEST(SupplyAgreement, UnpaidBondCanBeWithdrawnAfterPayBy) {
  Ledger l;
  l.state.set_balance(kBuyer, 1'000'000);
  l.state.set_balance(kSupplier, 1'000'000);
  l.deploy("supply_agreement", kAgreement,
           {{"buyer", "10"},
            {"supplier", "11"},
            {"quantity", "10"},
            {"unit_price", "5"},
            {"window_start_ns", std::to_string(10 * kDayNs)},
            {"window_end_ns", std::to_string(20 * kDayNs)},
            {"bond", "1000"}});  // pay_by_ns: the window start
  ASSERT_TRUE(l.call(kSupplier, kAgreement, "post_bond", {}, 1'000).ok());
  l.now_ns = 10 * kDayNs;
  EXPECT_EQ(l.call(kSupplier, kAgreement, "withdraw_bond").reason, "the buyer may still pay");
  l.now_ns = 10 * kDayNs + 1;
  EXPECT_EQ(l.call(kBuyer, kAgreement, "withdraw_bond").reason,
            "only the supplier withdraws the bond");
  const CallResult r = l.call(kSupplier, kAgreement, "withdraw_bond");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(l.query(kAgreement, "status"), "withdrawn");
  EXPECT_EQ(l.state.balance(kAgreement), 0);
  EXPECT_EQ(l.call(kBuyer, kAgreement, "pay", {}, 50).reason, "no bond posted");
}

TEST(SupplyAgreement, OverflowingPriceFailsTheCall) {
  Ledger l;
  l.state.set_balance(kBuyer, 1'000'000);
  l.state.set_balance(kSupplier, 1'000'000);
  l.deploy("supply_agreement", kAgreement,
           {{"buyer", "10"},
            {"supplier", "11"},
            {"quantity", "4"},
            {"unit_price", std::to_string(INT64_MAX / 2)},
            {"window_end_ns", "0"}});
  ASSERT_TRUE(l.call(kSupplier, kAgreement, "post_bond").ok());  // bond 0
  // 4 x (INT64_MAX / 2) does not fit in an int64: refused, not wrapped to a small price.
  EXPECT_EQ(l.call(kBuyer, kAgreement, "pay", {}, 100).reason, "arithmetic overflow");
}

}  // namespace
}  // namespace tradesim::contracts
