// The framework supply agreement: penalties per day late (rounded up) and for goods out of spec,
// capped, paid from the bond in the delivery call, once per order, only by the parties.
#include "models/contracts/framework_agreement.hpp"

#include <gtest/gtest.h>

#include "tests/contracts/fixtures.hpp"

namespace tradesim::contracts {
namespace {

using namespace testing;
constexpr uint64_t kBuyer = 10, kSupplier = 11, kStranger = 12, kPort = 13, kAgreement = 600;

struct FrameworkTest : ::testing::Test {
  Ledger l;
  int64_t total0 = 0;
  void SetUp() override {
    l.state.set_balance(kBuyer, 1'000'000);
    l.state.set_balance(kSupplier, 1'000'000);
    l.state.set_balance(kStranger, 1'000'000);
    l.state.set_balance(kPort, 1'000'000);
    // 0.5% a day, capped at 10%, 5% for goods out of spec; a bond of 3,000.
    l.deploy("framework_agreement", kAgreement,
             {{"buyer", "10"},
              {"supplier", "11"},
              {"confirmer", "13"},
              {"penalty_per_day_bp", "50"},
              {"penalty_cap_bp", "1000"},
              {"defect_bp", "500"}});
    l.state.set_balance(kAgreement, 3'000);  // the bond, posted at genesis
    total0 = l.total();
  }
  void order(uint64_t id, int64_t value, int64_t due_ns) {
    const CallResult r = l.call(kBuyer, kAgreement, "order", {id, value, due_ns});
    ASSERT_TRUE(r.ok()) << r.reason;
  }
  std::string settlement(uint64_t id) { return l.query(kAgreement, "settlement", {id}); }
};

TEST(FrameworkPenalty, HandComputed) {
  // 10,000 value, 0.5%/day: 3 days late = 150; 2.5 days rounds up to 3; cap 10% = 1,000 after
  // 20 days; out of spec adds 5% = 500 on top of the capped lateness.
  EXPECT_EQ(framework_days_late(0, 0), 0);
  EXPECT_EQ(framework_days_late(10 * kDayNs, 12 * kDayNs + kDayNs / 2), 3);
  EXPECT_EQ(framework_penalty(10'000, 0, 3 * kDayNs, false, 50, 1000, 500), 150);
  EXPECT_EQ(framework_penalty(10'000, 0, 2 * kDayNs + 1, false, 50, 1000, 500), 150);
  EXPECT_EQ(framework_penalty(10'000, 0, 40 * kDayNs, false, 50, 1000, 500), 1'000);
  EXPECT_EQ(framework_penalty(10'000, 0, 40 * kDayNs, true, 50, 1000, 500), 1'500);
  EXPECT_EQ(framework_penalty(10'000, 5 * kDayNs, 4 * kDayNs, false, 50, 1000, 500), 0);
  EXPECT_EQ(framework_penalty(10'000, 5 * kDayNs, 4 * kDayNs, true, 50, 1000, 500), 500);
  // No overflow: 10^13 cents, 10 days at 100%/day capped at 100%.
  EXPECT_EQ(framework_penalty(10'000'000'000'000, 0, 10 * kDayNs, false, 10'000, 10'000, 0),
            10'000'000'000'000);
}

TEST_F(FrameworkTest, LateDeliveryPaysThePenaltyFromTheBondAtOnce) {
  order(1, 10'000, 10 * kDayNs);
  const int64_t buyer0 = l.state.balance(kBuyer);
  l.now_ns = 13 * kDayNs;  // 3 days late: 150
  const CallResult r = l.call(kBuyer, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}});
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(settlement(1), "3 150 150");
  EXPECT_EQ(l.state.balance(kBuyer) - buyer0 + static_cast<int64_t>(r.gas_used), 150);
  EXPECT_EQ(l.state.balance(kAgreement), 3'000 - 150);
  EXPECT_EQ(l.total(), total0);  // money is only moved
}

TEST_F(FrameworkTest, OnTimeDeliveryOwesNothing) {
  order(2, 10'000, 10 * kDayNs);
  l.now_ns = 10 * kDayNs;
  ASSERT_TRUE(l.call(kBuyer, kAgreement, "delivered", {uint64_t{2}, uint64_t{0}}).ok());
  EXPECT_EQ(settlement(2), "0 0 0");
  EXPECT_EQ(l.state.balance(kAgreement), 3'000);
}

TEST_F(FrameworkTest, PenaltyIsCappedByWhatIsLeftOfTheBond) {
  order(1, 20'000, 0);
  order(2, 20'000, 0);
  l.now_ns = 30 * kDayNs;  // capped at 10% = 2,000 each; out of spec +1,000
  ASSERT_TRUE(l.call(kBuyer, kAgreement, "delivered", {uint64_t{1}, uint64_t{1}}).ok());
  EXPECT_EQ(settlement(1), "30 3000 3000");
  ASSERT_TRUE(l.call(kBuyer, kAgreement, "delivered", {uint64_t{2}, uint64_t{0}}).ok());
  EXPECT_EQ(settlement(2), "30 2000 0");  // the bond is used up
  EXPECT_EQ(l.state.balance(kAgreement), 0);
  EXPECT_EQ(l.total(), total0);
}

TEST_F(FrameworkTest, NoDoubleSettlement) {
  order(1, 10'000, 0);
  l.now_ns = 2 * kDayNs;
  ASSERT_TRUE(l.call(kBuyer, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}}).ok());
  const CallResult again = l.call(kBuyer, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}});
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.reason, "order 1 already settled");
  EXPECT_EQ(l.state.balance(kAgreement), 3'000 - 100);
  EXPECT_FALSE(l.call(kBuyer, kAgreement, "order", {uint64_t{1}, int64_t{5}, int64_t{0}}).ok());
}

TEST_F(FrameworkTest, OnlyThePartiesAct) {
  EXPECT_FALSE(
      l.call(kStranger, kAgreement, "order", {uint64_t{1}, int64_t{10'000}, int64_t{0}}).ok());
  EXPECT_FALSE(
      l.call(kSupplier, kAgreement, "order", {uint64_t{1}, int64_t{10'000}, int64_t{0}}).ok());
  order(1, 10'000, 0);
  l.now_ns = 5 * kDayNs;
  EXPECT_FALSE(l.call(kStranger, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}}).ok());
  EXPECT_FALSE(l.call(kSupplier, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}}).ok());
  EXPECT_FALSE(l.call(kStranger, kAgreement, "release").ok());
  // The port of discharge's scanner may confirm; an unregistered order cannot be confirmed.
  EXPECT_FALSE(l.call(kPort, kAgreement, "delivered", {uint64_t{9}, uint64_t{0}}).ok());
  ASSERT_TRUE(l.call(kPort, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}}).ok());
  EXPECT_EQ(settlement(1), "5 250 250");
  EXPECT_EQ(l.total(), total0);
}

TEST_F(FrameworkTest, ReleaseOnlyWhenEveryOrderIsSettled) {
  order(1, 10'000, 0);
  EXPECT_FALSE(l.call(kSupplier, kAgreement, "release").ok());
  ASSERT_TRUE(l.call(kBuyer, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}}).ok());
  const int64_t supplier0 = l.state.balance(kSupplier);
  const CallResult r = l.call(kSupplier, kAgreement, "release");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(l.state.balance(kSupplier) - supplier0 + static_cast<int64_t>(r.gas_used), 3'000);
  EXPECT_FALSE(l.call(kBuyer, kAgreement, "order", {uint64_t{2}, int64_t{10}, int64_t{0}}).ok());
}

}  // namespace
}  // namespace tradesim::contracts
