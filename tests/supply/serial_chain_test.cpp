// The serial supply chain on the kernel: conservation of goods at every stage, the bullwhip
// effect of order-up-to policies against Chen, Drezner, Ryan and Simchi-Levi (2000), and the
// amplification of Sterman's (1989) beer-game players after the 4 -> 8 demand step.
#include "models/supply/serial_chain.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace tradesim::supply {
namespace {

// ---- Helpers --------------------------------------------------------------------------------

// Stationary i.i.d. normal demand (mean 100, sd 10), every stage an order-up-to policy with a
// moving average of p demands and the protection interval its replenishment timing implies.
SerialChainParams chen_chain(int order_delay, int shipping_delay, int production_lead_time, int p,
                             int64_t periods, uint64_t seed) {
  SerialChainParams params;
  // Daily periods: 20,000 weeks would exceed the range of simulated time.
  params.demand = {.base = 100,
                   .noise = Noise::kNormal,
                   .cv = 0.1,
                   .period = sim::Duration::from_ns(sim::units::kDay)};
  params.order_delay = order_delay;
  params.shipping_delay = shipping_delay;
  params.production_lead_time = production_lead_time;
  params.initial_flow = 100;
  params.initial_on_hand = 300;
  params.periods = periods;
  params.seed = seed;
  for (size_t k = 0; k < params.stages(); ++k) {
    params.policies.emplace_back(OrderUpToPolicy(
        {.lead_time = params.replenishment_lead_time(k), .allow_negative_orders = true},
        Forecast::moving_average(p, 100)));
  }
  return params;
}

// Chen et al. (2000), eq. (3): Var(q)/Var(D) >= 1 + 2L/p + 2L^2/p^2 for i.i.d. demand, with L
// their lead time (the protection interval); equality when z = 0.
double chen_bound(double protection, double p) {
  return 1 + 2 * protection / p + 2 * protection * protection / (p * p);
}

// With z = 0 and negative orders allowed, a stage's order is a linear filter of the demand it
// sees: q_t = (1 + P/p) D_t - (P/p) D_{t-p}. Stage k applies it k times to the i.i.d. consumer
// demand, so Var(q_k)/Var(D) is the sum of the squared coefficients of the k-fold convolution.
std::vector<double> exact_ratios(double protection, int p, size_t stages) {
  std::vector<double> filter(static_cast<size_t>(p) + 1, 0.0);
  filter.front() = 1 + protection / p;
  filter.back() = -protection / p;
  std::vector<double> response = {1.0};
  std::vector<double> ratios;
  for (size_t k = 0; k < stages; ++k) {
    std::vector<double> next(response.size() + filter.size() - 1, 0.0);
    for (size_t i = 0; i < response.size(); ++i)
      for (size_t j = 0; j < filter.size(); ++j) next[i + j] += response[i] * filter[j];
    response = next;
    double sum = 0;
    for (double c : response) sum += c * c;
    ratios.push_back(sum);
  }
  return ratios;
}

// The variance ratio of one stage over periods [warmup, end) and its sampling error by batch
// means: the series is cut into 20 batches of equal length, each long against the filter's
// memory (4p + 1 periods), so that batch ratios are nearly independent; the half-width is
// t(0.995, 19) = 2.861 standard errors of their mean: a 99% interval. Sweeps that check hundreds
// of ratios use t(1 - 0.0001/2, 19) = 4.897, so that the whole sweep rarely fails by chance.
struct RatioEstimate {
  double ratio;
  double half_width;
};

constexpr double kT995 = 2.861;
constexpr double kT99995 = 4.897;

RatioEstimate estimate_ratio(const ChainResult& r, size_t stage, size_t warmup,
                             double t_quantile = kT995) {
  constexpr int kBatches = 20;
  const std::vector<double>& orders = r.stages[stage].orders;
  const std::vector<double>& demand = r.consumer_demand;
  const size_t batch = (orders.size() - warmup) / kBatches;
  std::vector<double> batch_ratios;
  for (int b = 0; b < kBatches; ++b) {
    const auto from = static_cast<std::ptrdiff_t>(warmup + b * batch);
    const std::vector<double> q(orders.begin() + from, orders.begin() + from + batch);
    const std::vector<double> d(demand.begin() + from, demand.begin() + from + batch);
    batch_ratios.push_back(sample_variance(q) / sample_variance(d));
  }
  double mean = 0, squares = 0;
  for (double x : batch_ratios) mean += x;
  mean /= kBatches;
  for (double x : batch_ratios) squares += (x - mean) * (x - mean);
  const double se = std::sqrt(squares / (kBatches - 1) / kBatches);
  return {bullwhip_ratios(r, warmup)[stage], t_quantile * se};
}

double variance_of(const std::vector<double>& xs) {
  return sample_variance(xs);
}

// ---- Conservation ---------------------------------------------------------------------------

// Every stage's books balance every period, and what one stage ships is what the next receives
// after the shipping delay; checked with random demand, with and without negative orders.
void expect_balanced(const SerialChainParams& params, const ChainResult& r) {
  constexpr double kEps = 1e-9;
  const size_t n = params.stages();
  const auto T = static_cast<size_t>(params.periods);
  ASSERT_EQ(r.consumer_demand.size(), T);
  for (size_t k = 0; k < n; ++k) {
    const StageSeries& s = r.stages[k];
    ASSERT_EQ(s.orders.size(), T) << s.name;
    const bool factory = k + 1 == n;
    double on_hand = params.initial_on_hand, backorders = 0;
    double on_order = params.initial_flow * (factory ? params.production_lead_time
                                                     : params.order_delay_to_supplier(k) +
                                                           params.shipping_delay_from_supplier(k));
    double production_owed = 0;
    for (size_t t = 0; t < T; ++t) {
      SCOPED_TRACE(s.name + " period " + std::to_string(t));
      // Goods: on hand changes by receipts minus shipments; what is owed by demand minus
      // shipments; the pipeline by orders minus receipts.
      EXPECT_NEAR(s.on_hand[t], on_hand + s.received[t] - s.shipped[t], kEps);
      EXPECT_NEAR(s.backorders[t], backorders + s.demand[t] - s.shipped[t], kEps);
      EXPECT_NEAR(s.on_order[t], on_order + s.orders[t] - s.received[t], kEps);
      EXPECT_GE(s.on_hand[t], 0);
      EXPECT_NEAR(
          s.cost[t],
          params.holding_cost * s.on_hand[t] + params.backlog_cost * std::max(0.0, s.backorders[t]),
          kEps);
      on_hand = s.on_hand[t];
      backorders = s.backorders[t];
      on_order = s.on_order[t];
      // Links: demand is the downstream's orders after the order delay; receipts are the
      // upstream's shipments after the shipping delay (production runs for the factory).
      // The customer's link brings the demand; the stage's own link its goods.
      const auto od = static_cast<size_t>(k == 0 ? 0 : params.order_delay_to_supplier(k - 1));
      const auto sd = static_cast<size_t>(factory ? 0 : params.shipping_delay_from_supplier(k));
      const auto pl = static_cast<size_t>(params.production_lead_time);
      if (k == 0) {
        EXPECT_NEAR(s.demand[t], r.consumer_demand[t], kEps);
      } else {
        const double expected = t >= od ? r.stages[k - 1].orders[t - od] : params.initial_flow;
        EXPECT_NEAR(s.demand[t], expected, kEps);
      }
      if (factory) {
        // A plant without capacity limit starts what is owed to it: the requests, less the
        // credit of earlier negative requests.
        double expected = params.initial_flow;
        if (t >= pl) {
          production_owed += s.orders[t - pl];
          expected = std::max(0.0, production_owed);
          production_owed -= expected;
        }
        EXPECT_NEAR(s.received[t], expected, kEps);
      } else {
        const double expected = t >= sd ? r.stages[k + 1].shipped[t - sd] : params.initial_flow;
        EXPECT_NEAR(s.received[t], expected, kEps);
      }
    }
    double cost = 0;
    for (double c : s.cost) cost += c;
    EXPECT_NEAR(s.total_cost, cost, 1e-6) << s.name;
  }
}

TEST(SerialChain, GoodsAreConservedAtEveryStage) {
  SerialChainParams params = chen_chain(2, 2, 3, 4, 400, 17);
  params.demand.noise = Noise::kPoisson;  // integer demand, sometimes far from the mean
  for (auto& policy : params.policies) {  // non-negative orders: stock-outs and backlogs happen
    auto& out = std::get<OrderUpToPolicy>(policy);
    out = OrderUpToPolicy({.lead_time = out.protection_periods() - 1},
                          Forecast::moving_average(4, 100));
  }
  params.initial_on_hand = 150;
  const ChainResult r = run_serial_chain(params);
  expect_balanced(params, r);
  double backordered = 0;
  for (const StageSeries& s : r.stages)
    for (double b : s.backorders) backordered += b;
  EXPECT_GT(backordered, 0) << "the run should exercise backorders";
}

TEST(SerialChain, NegativeOrdersAreReturnsThatStillBalance) {
  const SerialChainParams params = chen_chain(1, 1, 2, 4, 400, 5);
  const ChainResult r = run_serial_chain(params);
  expect_balanced(params, r);
  const auto& factory_orders = r.stages.back().orders;
  EXPECT_LT(*std::min_element(factory_orders.begin(), factory_orders.end()), 0)
      << "upstream orders of this chain go negative: the returns path is exercised";
}

// A chain stretched across borders: every link has its own delays. The books still balance
// link by link (expect_balanced reads each link's delays), and an order-up-to stage's lead time
// is its own link's order + shipping delay - 1.
TEST(SerialChain, LinksWithTheirOwnDelaysBalance) {
  SerialChainParams params = chen_chain(2, 2, 3, 4, 300, 23);
  params.order_delays = {0, 2, 1};
  params.shipping_delays = {3, 6, 1};
  for (size_t k = 0; k < params.stages(); ++k) {
    params.policies[k] = OrderUpToPolicy({.lead_time = params.replenishment_lead_time(k)},
                                         Forecast::moving_average(4, 100));
  }
  EXPECT_EQ(params.replenishment_lead_time(0), 2);  // 0 + 3 - 1
  EXPECT_EQ(params.replenishment_lead_time(1), 7);  // 2 + 6 - 1
  EXPECT_EQ(params.replenishment_lead_time(2), 1);  // 1 + 1 - 1
  EXPECT_EQ(params.replenishment_lead_time(3), 2);  // production 3 - 1
  const ChainResult r = run_serial_chain(params);
  expect_balanced(params, r);
  params.shipping_delays = {3, 6};  // one short: three links for four stages
  EXPECT_THROW(run_serial_chain(params), std::invalid_argument);
}

// A crashed stage misses the periods it is down and decides again from the next period after its
// restart, with its books as they were (the timeline's crash and restart in a scenario).
TEST(SerialChain, ACrashedStageResumesAfterItsRestart) {
  SerialChainParams params = beer_game_params({}, 20);
  sim::Engine engine(1);
  const sim::Duration week = params.demand.period;
  // The wholesaler (node 2) is down over weeks 6 to 8: from the start of week 6 (t = 5w) until
  // t = 8w, so its decisions of periods 5, 6 and 7 are lost.
  engine.schedule(sim::SimTime::zero() + week * 5, [&engine] { engine.crash(2); });
  engine.schedule(sim::SimTime::zero() + week * 8, [&engine] { engine.restart(2); });
  const ChainResult r = run_serial_chain(params, engine);
  const StageSeries& wholesaler = r.stages[1];
  std::vector<int64_t> expected;
  for (int64_t t = 0; t < 20; ++t)
    if (t < 5 || t >= 8) expected.push_back(t);
  EXPECT_EQ(wholesaler.period, expected);
  EXPECT_EQ(r.stages[0].orders.size(), 20u) << "the others play every week";
}

// Fill rate by hand: demand 4, 4, 8, 8; on hand allows shipping 4, 2 (2 owed), 8 (the 2 owed
// first, then 6 of 8), 10 (the 2 owed, then all 8). At once: 4 + 2 + 6 + 8 = 20 of 24.
TEST(SerialChain, FillRateCountsWhatShipsInTheSamePeriod) {
  StageSeries s;
  s.demand = {4, 4, 8, 8};
  s.shipped = {4, 2, 8, 10};
  s.backorders = {0, 2, 2, 0};
  EXPECT_DOUBLE_EQ(fill_rate(s), 20.0 / 24.0);
  EXPECT_DOUBLE_EQ(fill_rate(s, 2), 14.0 / 16.0);
}

TEST(SerialChain, RejectsRunsBeyondTheRangeOfSimulatedTime) {
  SerialChainParams p = beer_game_params({}, 20000);  // 20,000 weeks: 384 years
  EXPECT_THROW(run_serial_chain(p), std::invalid_argument);
  p.policies.pop_back();
  p.periods = 36;
  EXPECT_THROW(run_serial_chain(p), std::invalid_argument);  // 3 policies for 4 stages
}

TEST(SerialChain, SameSeedSameRunOtherSeedOtherRun) {
  auto run = [](uint64_t seed) {
    SerialChainParams p = chen_chain(1, 2, 2, 4, 300, seed);
    sim::Engine engine(seed);
    engine.enable_fingerprint();
    const ChainResult r = run_serial_chain(p, engine);
    return std::make_pair(engine.fingerprint(), r.stages.back().orders);
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3).second, run(4).second);
}

// ---- Bullwhip (Chen et al. 2000) --------------------------------------------------------------

constexpr int64_t kPeriods = 20000;
constexpr size_t kWarmup = 100;  // the filter forgets the initial state after p periods

// The issue: order-up-to with a p = 4 moving average and lead time L = 2 gives
// Var(orders)/Var(demand) >= 1 + 2L/p + 2L^2/p^2 = 2.5. Chen's L is the protection interval: an
// order placed at the end of period t is in stock at the start of t + L. Here that is an order
// delay of 1 and a shipping delay of 1 (policy lead_time 1 + review period 1).
TEST(Bullwhip, MovingAverageOrderUpToMeetsChenBoundAtTheRetailer) {
  constexpr int kP = 4;
  const SerialChainParams params = chen_chain(1, 1, 2, kP, kPeriods, 2000);
  ASSERT_EQ(std::get<OrderUpToPolicy>(params.policies[0]).protection_periods(), 2);
  const double bound = chen_bound(2, kP);
  ASSERT_DOUBLE_EQ(bound, 2.5);
  const ChainResult r = run_serial_chain(params);
  const RatioEstimate retailer = estimate_ratio(r, 0, kWarmup);
  std::printf("retailer Var(q)/Var(D) = %.4f +- %.4f (bound %.4f)\n", retailer.ratio,
              retailer.half_width, bound);
  EXPECT_GE(retailer.ratio + retailer.half_width, bound);
  // With z = 0 the bound is reached: the estimate must also not exceed it beyond sampling error.
  EXPECT_LE(retailer.ratio - retailer.half_width, bound);
  EXPECT_LT(retailer.half_width, 0.05 * bound) << "20,000 periods give a tight interval";
}

TEST(Bullwhip, RatioGrowsUpstreamAcrossFourStages) {
  constexpr int kP = 4;
  const SerialChainParams params = chen_chain(1, 1, 2, kP, kPeriods, 2001);
  const ChainResult r = run_serial_chain(params);
  const std::vector<double> exact = exact_ratios(2, kP, 4);
  double chen_product = 1;  // Chen et al. (2000), section 5: the bound multiplies per stage
  std::vector<RatioEstimate> est;
  for (size_t k = 0; k < 4; ++k) {
    est.push_back(estimate_ratio(r, k, kWarmup));
    chen_product *= chen_bound(2, kP);
    std::printf("%-11s Var(q)/Var(D) = %8.4f +- %.4f  exact %8.4f  Chen bound %8.4f\n",
                r.stages[k].name.c_str(), est[k].ratio, est[k].half_width, exact[k], chen_product);
    EXPECT_NEAR(est[k].ratio, exact[k], est[k].half_width) << r.stages[k].name;
    EXPECT_GE(est[k].ratio + est[k].half_width, chen_product) << r.stages[k].name;
    if (k > 0) {
      EXPECT_GT(est[k].ratio - est[k].half_width, est[k - 1].ratio + est[k - 1].half_width)
          << r.stages[k].name << " amplifies " << r.stages[k - 1].name;
    }
  }
}

// The brief's convention, S_t = (L + 1) F_t with L = 2 whole periods in transit, is Chen's
// L = 3: the ratio is 1 + 6/4 + 18/16 = 3.625, again at least the 2.5.
TEST(Bullwhip, TwoPeriodsInTransitIsChensLeadTimeThree) {
  constexpr int kP = 4;
  const SerialChainParams params = chen_chain(1, 2, 3, kP, kPeriods, 2002);
  ASSERT_EQ(params.replenishment_lead_time(0), 2);
  const ChainResult r = run_serial_chain(params);
  const RatioEstimate retailer = estimate_ratio(r, 0, kWarmup);
  std::printf("retailer Var(q)/Var(D) = %.4f +- %.4f (Chen, L = 3: %.4f)\n", retailer.ratio,
              retailer.half_width, chen_bound(3, kP));
  EXPECT_NEAR(retailer.ratio, chen_bound(3, kP), retailer.half_width);
  EXPECT_GE(retailer.ratio + retailer.half_width, 2.5);
}

// Chen, Ryan and Simchi-Levi (2000), Naval Research Logistics 47: with exponential smoothing,
// Var(q)/Var(D) = 1 + 2 L alpha + 2 L^2 alpha^2 / (2 - alpha) for i.i.d. demand.
TEST(Bullwhip, ExponentialSmoothingMatchesItsFormula) {
  constexpr double kAlpha = 0.3;
  SerialChainParams params = chen_chain(1, 1, 2, 4, kPeriods, 2003);
  for (size_t k = 0; k < params.stages(); ++k) {
    params.policies[k] = OrderUpToPolicy(
        {.lead_time = params.replenishment_lead_time(k), .allow_negative_orders = true},
        Forecast::exponential_smoothing(kAlpha, 100));
  }
  const ChainResult r = run_serial_chain(params);
  const RatioEstimate retailer = estimate_ratio(r, 0, kWarmup);
  const double expected = 1 + 2 * 2 * kAlpha + 2 * 4 * kAlpha * kAlpha / (2 - kAlpha);
  std::printf("retailer Var(q)/Var(D) = %.4f +- %.4f (formula %.4f)\n", retailer.ratio,
              retailer.half_width, expected);
  EXPECT_NEAR(retailer.ratio, expected, retailer.half_width) << "formula " << expected;
}

// The safety stock z sigma sqrt(L) moves with the estimated sigma, adding variance: the reason
// Chen's relation is an inequality.
TEST(Bullwhip, SafetyStockAddsVariance) {
  SerialChainParams base = chen_chain(1, 1, 2, 4, kPeriods, 2004);
  SerialChainParams with_z = base;
  for (size_t k = 0; k < with_z.stages(); ++k) {
    with_z.policies[k] = OrderUpToPolicy(
        {.lead_time = with_z.replenishment_lead_time(k), .z = 1.65, .allow_negative_orders = true},
        Forecast::moving_average(4, 100));
  }
  const ChainResult r0 = run_serial_chain(base), r1 = run_serial_chain(with_z);
  ASSERT_EQ(r0.consumer_demand, r1.consumer_demand);  // the same demand path
  const RatioEstimate e0 = estimate_ratio(r0, 0, kWarmup), e1 = estimate_ratio(r1, 0, kWarmup);
  std::printf("retailer Var(q)/Var(D): z = 0 %.4f +- %.4f, z = 1.65 %.4f +- %.4f\n", e0.ratio,
              e0.half_width, e1.ratio, e1.half_width);
  EXPECT_GT(e1.ratio - e1.half_width, e0.ratio + e0.half_width);
  EXPECT_GE(e1.ratio, chen_bound(2, 4));
}

// ---- The beer game (Sterman 1989) -------------------------------------------------------------

TEST(BeerGame, StermanPlayersAmplifyTheDemandStep) {
  const SerialChainParams params = beer_game_params({}, 36);
  const ChainResult r = run_serial_chain(params);
  expect_balanced(params, r);
  // Consumers: 4 cases in weeks 1-4, 8 from week 5.
  EXPECT_EQ(r.consumer_demand[3], 4);
  EXPECT_EQ(r.consumer_demand[4], 8);
  std::vector<double> variances, peaks;
  for (const StageSeries& s : r.stages) {
    variances.push_back(variance_of(s.orders));
    peaks.push_back(*std::max_element(s.orders.begin(), s.orders.end()));
    std::printf("%-11s order variance %8.2f  peak order %6.2f  cost %8.2f\n", s.name.c_str(),
                variances.back(), peaks.back(), s.total_cost);
  }
  std::printf("team cost over 36 weeks: %.2f\n", r.total_cost());
  EXPECT_GT(variances.back(), variances.front()) << "factory orders vary more than retailer's";
  EXPECT_GT(variances.front(), variance_of(r.consumer_demand))
      << "the retailer already amplifies the step";
  EXPECT_GT(peaks.back(), 8) << "the factory overshoots the new demand level";
  // A single step of 4 cases reaches the factory as a surge: peak above twice the step.
  EXPECT_GT(peaks.back() - 4, 2 * 4);
}

// Sterman's finding: players underweight the supply line (beta < 1) and that drives the
// oscillation. The same players with the supply line fully counted (beta = 1, and S' raised by
// the desired supply line of 16 cases so that the start is again an equilibrium) amplify less.
TEST(BeerGame, CountingTheSupplyLineDampsTheBullwhip) {
  const ChainResult myopic = run_serial_chain(beer_game_params({}, 52));
  const ChainResult careful =
      run_serial_chain(beer_game_params({.beta = 1, .desired_inventory = 12 + 16}, 52));
  const double v_myopic = variance_of(myopic.stages.back().orders);
  const double v_careful = variance_of(careful.stages.back().orders);
  std::printf("factory order variance: beta 0.34 %.2f, beta 1 %.2f; team cost %.1f vs %.1f\n",
              v_myopic, v_careful, myopic.total_cost(), careful.total_cost());
  EXPECT_LT(v_careful, v_myopic);
  EXPECT_LT(careful.total_cost(), myopic.total_cost());
}

// ---- Long sweep -------------------------------------------------------------------------------

// Chen's relation over lead times and window lengths, several seeds each.
TEST(BullwhipLong, ChenRelationOverLeadTimesAndWindows) {
  for (int shipping = 1; shipping <= 4; ++shipping) {
    for (int p : {2, 4, 8, 16}) {
      for (uint64_t seed = 1; seed <= 3; ++seed) {
        const SerialChainParams params = chen_chain(1, shipping, shipping + 1, p, 50000, seed);
        const double protection = shipping + 1;
        const ChainResult r = run_serial_chain(params);
        const std::vector<double> exact = exact_ratios(protection, p, 4);
        for (size_t k = 0; k < 4; ++k) {
          const RatioEstimate e = estimate_ratio(r, k, 20 * static_cast<size_t>(p), kT99995);
          EXPECT_NEAR(e.ratio, exact[k], e.half_width)
              << "L " << protection << " p " << p << " seed " << seed << " stage " << k;
        }
        const RatioEstimate retailer = estimate_ratio(r, 0, 20 * static_cast<size_t>(p), kT99995);
        EXPECT_NEAR(retailer.ratio, chen_bound(protection, p), retailer.half_width)
            << "L " << protection << " p " << p << " seed " << seed;
      }
    }
  }
}

}  // namespace
}  // namespace tradesim::supply
