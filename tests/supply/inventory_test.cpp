// Inventory accounting and reorder policies against hand computations of their definitions.
#include "models/supply/inventory.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

namespace tradesim::supply {
namespace {

TEST(Inventory, FillsFromStockAndBackordersTheRest) {
  Inventory inv(10, 5);
  EXPECT_DOUBLE_EQ(inv.position(), 15);
  EXPECT_DOUBLE_EQ(inv.fill(15), 10);  // ships what is on hand
  EXPECT_DOUBLE_EQ(inv.on_hand(), 0);
  EXPECT_DOUBLE_EQ(inv.backorders(), 5);
  EXPECT_DOUBLE_EQ(inv.position(), 0);  // 0 + 5 - 5
  inv.receive(5);
  EXPECT_DOUBLE_EQ(inv.on_order(), 0);
  EXPECT_DOUBLE_EQ(inv.fill(3), 5);  // the 5 backordered first (FIFO); 3 go on backorder
  EXPECT_DOUBLE_EQ(inv.backorders(), 3);
  inv.place_order(20);
  inv.receive(20);
  EXPECT_DOUBLE_EQ(inv.fill(0), 3);  // backorders ship as soon as goods arrive
  EXPECT_DOUBLE_EQ(inv.on_hand(), 17);
  EXPECT_DOUBLE_EQ(inv.position(), 17);
}

TEST(Inventory, NegativeDemandCancelsBackordersThenLeavesACredit) {
  Inventory inv(0, 0);
  inv.fill(5);                        // 5 backordered
  EXPECT_DOUBLE_EQ(inv.fill(-3), 0);  // the cancellation only reduces what is owed
  EXPECT_DOUBLE_EQ(inv.backorders(), 2);
  EXPECT_DOUBLE_EQ(inv.fill(-6), 0);  // 2 cancelled, 4 left as a credit: nothing moves
  EXPECT_DOUBLE_EQ(inv.backorders(), -4);
  EXPECT_DOUBLE_EQ(inv.on_hand(), 0);
  inv.place_order(10);
  inv.receive(10);
  EXPECT_DOUBLE_EQ(inv.fill(7), 3);  // the credit covers 4 of the 7
  EXPECT_DOUBLE_EQ(inv.on_hand(), 7);
  EXPECT_DOUBLE_EQ(inv.backorders(), 0);
  EXPECT_THROW(inv.receive(-1), std::logic_error);
}

TEST(Inventory, HoldingAndBacklogCostsAccumulate) {
  Inventory inv(12, 0);
  EXPECT_DOUBLE_EQ(inv.charge_period(0.5, 1.0), 6.0);  // 12 * 0.5
  inv.fill(20);
  EXPECT_DOUBLE_EQ(inv.charge_period(0.5, 1.0), 8.0);  // 8 backordered * 1.0
  inv.fill(-10);                                       // a credit costs nothing
  EXPECT_DOUBLE_EQ(inv.charge_period(0.5, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(inv.total_cost(), 14.0);  // 6 + 8 + 0
}

TEST(SsPolicy, PeriodicReviewOrdersUpToSAtOrBelowS) {
  SsPolicy policy(20, 60);
  Inventory inv(50, 0);
  // Demands 10, 15, 10, 30: positions 40, 25, 15 (order 45 -> position 60), 30.
  const double demands[] = {10, 15, 10, 30};
  const double expected_orders[] = {0, 0, 45, 0};
  for (int t = 0; t < 4; ++t) {
    inv.fill(demands[t]);
    const double q = policy.order(inv, demands[t]);
    EXPECT_DOUBLE_EQ(q, expected_orders[t]) << "period " << t;
    inv.place_order(q);
  }
  EXPECT_DOUBLE_EQ(inv.position(), 30);
  // Exactly at s orders too.
  Inventory at_s(20, 0);
  EXPECT_DOUBLE_EQ(policy.review(at_s), 40);
}

TEST(SsPolicy, ReviewEveryThirdPeriod) {
  SsPolicy policy(100, 200, /*review_period=*/3);
  Inventory inv(0, 0);
  std::vector<int> ordering_periods;
  // Positions after demand: -60 (order 260), 140, 80 (at or below s, but no review), 20 (order
  // 180), 140, 80, 20 (order 180), ...
  for (int t = 0; t < 9; ++t) {
    inv.fill(60);
    const double q = policy.order(inv, 60);
    if (q > 0) ordering_periods.push_back(t);
    inv.place_order(q);
  }
  EXPECT_EQ(ordering_periods, (std::vector<int>{0, 3, 6}));
}

TEST(SsPolicy, ContinuousReviewKeepsThePositionAboveSForUnitDemands) {
  // Continuous review with unit demands: the position never falls below s and orders are
  // always S - s (the classic (s, S) with unit transactions).
  SsPolicy policy(5, 25);
  Inventory inv(25, 0);
  int orders = 0;
  for (int i = 0; i < 200; ++i) {
    inv.fill(1);
    ASSERT_GE(inv.position(), 5);
    if (const double q = policy.review(inv); q > 0) {
      EXPECT_DOUBLE_EQ(q, 20);
      inv.place_order(q);
      ++orders;
    }
    if (i % 7 == 0) inv.receive(inv.on_order());
  }
  // 200 units pass through; every 20 units one order: 200 / 20 = 10.
  EXPECT_EQ(orders, 10);
}

// S_t = (L + 1) * MA_p, computed here from the definition.
double level_by_hand(const std::vector<double>& history, int p, int lead_time, double initial) {
  double sum = 0;
  for (int i = 0; i < p; ++i) {
    const int idx = static_cast<int>(history.size()) - 1 - i;
    sum += idx >= 0 ? history[static_cast<size_t>(idx)] : initial;
  }
  return (lead_time + 1) * sum / p;
}

TEST(OrderUpToPolicy, OrdersAreLevelChangePlusDemand) {
  constexpr int kP = 3, kL = 2;
  OrderUpToPolicy policy({.lead_time = kL, .allow_negative_orders = true},
                         Forecast::moving_average(kP, 10));
  Inventory inv(30, 0);  // position 30 = S_0 = 3 * 10
  const std::vector<double> demands = {12, 7, 15, 3, 20, 9, 9, 1};
  std::vector<double> history;
  double previous_level = (kL + 1) * 10.0;
  for (double d : demands) {
    inv.fill(d);
    history.push_back(d);
    const double q = policy.order(inv, d);
    const double level = level_by_hand(history, kP, kL, 10);
    // Chen et al. (2000): q_t = S_t - S_{t-1} + D_t when the position was at S_{t-1}.
    EXPECT_NEAR(q, level - previous_level + d, 1e-12);
    EXPECT_NEAR(policy.level(), level, 1e-12);
    inv.place_order(q);
    EXPECT_NEAR(inv.position(), level, 1e-12);
    previous_level = level;
  }
}

TEST(OrderUpToPolicy, SafetyStockUsesTheSampleDeviationOverTheProtectionInterval) {
  OrderUpToPolicy policy({.lead_time = 3, .z = 2, .sigma_window = 4},
                         Forecast::moving_average(4, 0));
  Inventory inv(0, 0);
  double q = 0;
  for (double d : {8.0, 12.0, 10.0, 14.0}) {
    inv.fill(d);
    q = policy.order(inv, d);
    inv.place_order(q);
  }
  // Mean 11, sample variance ((9 + 1 + 1 + 9) / 3) = 20/3; S = 4 * 11 + 2 sqrt(20/3) sqrt(4).
  EXPECT_NEAR(policy.level(), 44 + 2 * std::sqrt(20.0 / 3) * 2, 1e-12);
  EXPECT_NEAR(inv.position(), policy.level(), 1e-12);
}

TEST(OrderUpToPolicy, NoNegativeOrdersUnlessAllowed) {
  OrderUpToPolicy clamped({.lead_time = 1}, Forecast::moving_average(2, 10));
  OrderUpToPolicy signed_orders({.lead_time = 1, .allow_negative_orders = true},
                                Forecast::moving_average(2, 10));
  Inventory inv(100, 0);  // far above S = 2 * forecast
  EXPECT_DOUBLE_EQ(clamped.order(inv, 0), 0);
  // Forecast (10 + 0) / 2 = 5, S = 10, position 100: q = -90.
  EXPECT_DOUBLE_EQ(signed_orders.order(inv, 0), -90);
}

TEST(OrderUpToPolicy, ReviewPeriodWidensTheProtectionInterval) {
  OrderUpToPolicy policy({.lead_time = 2, .review_period = 2}, Forecast::moving_average(1, 5));
  Inventory inv(0, 0);
  EXPECT_EQ(policy.protection_periods(), 4);
  EXPECT_DOUBLE_EQ(policy.order(inv, 5), 20);  // reviewed: S = 4 * 5
  EXPECT_DOUBLE_EQ(policy.order(inv, 5), 0);   // not a review period
  EXPECT_DOUBLE_EQ(policy.order(inv, 6), 24);  // S = 4 * 6, position still 0
}

TEST(Forecast, ExponentialSmoothingByHand) {
  Forecast f = Forecast::exponential_smoothing(0.25, 8);
  f.observe(12);  // 0.25 * 12 + 0.75 * 8 = 9
  EXPECT_DOUBLE_EQ(f.value(), 9);
  f.observe(1);  // 0.25 + 6.75 = 7
  EXPECT_DOUBLE_EQ(f.value(), 7);
  Forecast ma = Forecast::moving_average(3, 6);
  ma.observe(9);  // (6 + 6 + 9) / 3
  EXPECT_DOUBLE_EQ(ma.value(), 7);
  ma.observe(3);
  ma.observe(0);  // (9 + 3 + 0) / 3
  EXPECT_DOUBLE_EQ(ma.value(), 4);
  EXPECT_THROW(Forecast::exponential_smoothing(0, 1), std::invalid_argument);
  EXPECT_THROW(Forecast::moving_average(0, 1), std::invalid_argument);
}

TEST(BeerGamePolicy, AnchoringAndAdjustmentByHand) {
  BeerGamePolicy player({});  // Sterman's mean estimates
  Inventory inv(12, 16);      // the board at the start: 12 on hand, 16 in the supply line
  // L^ = 0.36 * 8 + 0.64 * 4 = 5.44; adjustment 0.26 (17 - 12 - 0.34 * 16) = -0.1144.
  EXPECT_NEAR(player.order(inv, 8), 5.44 - 0.1144, 1e-12);
  EXPECT_NEAR(player.expected_demand(), 5.44, 1e-12);
  // A deep backlog and an empty supply line push orders far up: S_t = -30.
  Inventory backlog(0, 0);
  backlog.fill(30);
  // L^ = 0.36 * 8 + 0.64 * 5.44 = 6.3616; 0.26 * (17 + 30) = 12.22.
  EXPECT_NEAR(player.order(backlog, 8), 6.3616 + 12.22, 1e-12);
  // Overstocked: orders stop at zero, never negative.
  Inventory glut(200, 0);
  EXPECT_DOUBLE_EQ(player.order(glut, 0), 0);
}

TEST(ReorderPolicy, DecideOrderDispatchesToTheHeldPolicy) {
  std::vector<ReorderPolicy> policies;
  policies.emplace_back(SsPolicy(5, 10));
  policies.emplace_back(OrderUpToPolicy({.lead_time = 0}, Forecast::moving_average(1, 4)));
  Inventory inv(3, 0);
  EXPECT_DOUBLE_EQ(decide_order(policies[0], inv, 0), 7);
  EXPECT_DOUBLE_EQ(decide_order(policies[1], inv, 4), 1);  // S = 1 * 4, position 3
}

}  // namespace
}  // namespace tradesim::supply
