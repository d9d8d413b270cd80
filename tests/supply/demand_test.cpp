// Demand processes: the shapes of the mean (trend, seasonality, steps, surges) and the moments of
// the noise, checked against their definitions within a few standard errors of the sample mean.
#include "models/supply/demand.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace tradesim::supply {
namespace {

using namespace sim::literals;

struct Moments {
  double mean = 0, variance = 0;
};

Moments moments_of(const DemandProcess& d, int64_t period, int draws, uint64_t seed) {
  sim::Rng rng(seed, 0, sim::purpose("demand-test"));
  std::vector<double> xs;
  for (int i = 0; i < draws; ++i) xs.push_back(d.draw(period, rng));
  Moments m;
  for (double x : xs) m.mean += x;
  m.mean /= draws;
  for (double x : xs) m.variance += (x - m.mean) * (x - m.mean);
  m.variance /= draws - 1;
  return m;
}

TEST(Demand, LinearTrendMeanAndNormalNoise) {
  DemandProcess d({.base = 50, .trend = 2, .noise = Noise::kNormal, .cv = 0.2});
  // mean(t) = base + trend * t by definition.
  EXPECT_DOUBLE_EQ(d.mean(0), 50);
  EXPECT_DOUBLE_EQ(d.mean(10), 70);
  EXPECT_DOUBLE_EQ(d.mean(100), 250);
  constexpr int kDraws = 20000;
  for (int64_t t : {10, 100}) {
    const Moments m = moments_of(d, t, kDraws, 7);
    const double mu = d.mean(t), sd = 0.2 * mu;
    // Sample mean within 4 standard errors; sample sd within 4 of its standard errors
    // (sd / sqrt(2n) for normal data).
    EXPECT_NEAR(m.mean, mu, 4 * sd / std::sqrt(kDraws)) << "period " << t;
    EXPECT_NEAR(std::sqrt(m.variance), sd, 4 * sd / std::sqrt(2.0 * kDraws)) << "period " << t;
  }
}

TEST(Demand, SinusoidalSeasonalityPeaksAndTroughs) {
  DemandProcess d(
      {.base = 100, .seasonal_amplitude = 0.5, .season_length = 12, .noise = Noise::kPoisson});
  // 1 + 0.5 sin(2 pi t / 12): peak at t = 3 (x1.5), trough at t = 9 (x0.5), 1 at t = 0 and 6.
  EXPECT_NEAR(d.mean(3), 150, 1e-9);
  EXPECT_NEAR(d.mean(9), 50, 1e-9);
  EXPECT_NEAR(d.mean(6), 100, 1e-9);
  EXPECT_NEAR(d.mean(15), 150, 1e-9);  // periodic
  // The season averages to the base.
  double season = 0;
  for (int t = 0; t < 12; ++t) season += d.mean(t);
  EXPECT_NEAR(season / 12, 100, 1e-9);
  // The phase shifts the peak: with phase 3 the peak is at t = 0.
  DemandProcess shifted(
      {.base = 100, .seasonal_amplitude = 0.5, .season_length = 12, .seasonal_phase = 3});
  EXPECT_NEAR(shifted.mean(0), 150, 1e-9);
  constexpr int kDraws = 20000;
  for (int64_t t : {3, 9}) {
    const Moments m = moments_of(d, t, kDraws, 11);
    EXPECT_NEAR(m.mean, d.mean(t), 4 * std::sqrt(d.mean(t) / kDraws)) << "period " << t;
  }
}

TEST(Demand, SeasonalIndicesRepeat) {
  DemandProcess d({.base = 10, .seasonal_indices = {0.5, 1.0, 1.5, 1.0}});
  const double expected[] = {5, 10, 15, 10, 5, 10, 15, 10};
  for (int t = 0; t < 8; ++t) EXPECT_DOUBLE_EQ(d.mean(t), expected[t]) << "period " << t;
}

TEST(Demand, BeerGameStepFromFourToEightInWeekFive) {
  DemandProcess d({.base = 4, .steps = {{.at = 4, .kind = DemandStep::kSet, .value = 8}}});
  sim::Rng rng(1, 0, 0);
  for (int t = 0; t < 4; ++t) EXPECT_EQ(d.draw(t, rng), 4) << "week " << t + 1;
  for (int t = 4; t < 36; ++t) EXPECT_EQ(d.draw(t, rng), 8) << "week " << t + 1;
}

TEST(Demand, MultiplyStepsComposeWithTrend) {
  DemandProcess d({.base = 100, .trend = 1});
  d.add_step({.at = 10, .kind = DemandStep::kMultiply, .value = 2});
  d.add_step({.at = 5, .kind = DemandStep::kMultiply, .value = 0.5});
  EXPECT_DOUBLE_EQ(d.mean(4), 104);
  EXPECT_DOUBLE_EQ(d.mean(5), 0.5 * 105);  // steps apply in order of their period
  EXPECT_DOUBLE_EQ(d.mean(10), 0.5 * 2 * 110);
}

TEST(Demand, SurgeMultiplierOverItsWindowOnly) {
  DemandProcess d({.base = 20, .period = 1_d});
  d.add_multiplier(int64_t{10}, int64_t{20}, 1.5);
  EXPECT_DOUBLE_EQ(d.mean(9), 20);
  EXPECT_DOUBLE_EQ(d.mean(10), 30);
  EXPECT_DOUBLE_EQ(d.mean(19), 30);
  EXPECT_DOUBLE_EQ(d.mean(20), 20);
  // Overlapping surges multiply; a window given in time covers the days it touches.
  d.add_multiplier(sim::SimTime::zero() + 15_d + 12_h, sim::SimTime::zero() + 25_d + 1_h, 2.0);
  EXPECT_DOUBLE_EQ(d.mean(14), 30);
  EXPECT_DOUBLE_EQ(d.mean(15), 60);
  EXPECT_DOUBLE_EQ(d.mean(22), 40);
  EXPECT_DOUBLE_EQ(d.mean(25), 40);
  EXPECT_DOUBLE_EQ(d.mean(26), 20);
  EXPECT_THROW(d.add_multiplier(int64_t{5}, int64_t{4}, 2.0), std::invalid_argument);
}

TEST(Demand, DrawsAreDeterministicGivenTheStream) {
  DemandProcess d({.base = 30, .noise = Noise::kPoisson});
  sim::Rng a(5, 1, sim::purpose("demand")), b(5, 1, sim::purpose("demand")),
      c(6, 1, sim::purpose("demand"));
  std::vector<double> xa, xb, xc;
  for (int t = 0; t < 50; ++t) {
    xa.push_back(d.draw(t, a));
    xb.push_back(d.draw(t, b));
    xc.push_back(d.draw(t, c));
  }
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
}

TEST(Demand, PoissonMeanAndVarianceBothSidesOfTheMethodSwitch) {
  // Knuth below mean 10, PTRS above: both must give mean = variance = lambda.
  constexpr int kDraws = 40000;
  for (double lambda : {0.7, 3.0, 9.5, 10.0, 40.0, 500.0}) {
    sim::Rng rng(3, 0, sim::purpose("poisson"));
    double sum = 0, squares = 0;
    for (int i = 0; i < kDraws; ++i) {
      const double k = static_cast<double>(poisson(lambda, rng));
      ASSERT_GE(k, 0);
      ASSERT_EQ(k, std::floor(k));
      sum += k;
      squares += k * k;
    }
    const double mean = sum / kDraws;
    const double variance = (squares - kDraws * mean * mean) / (kDraws - 1);
    // Standard errors: sqrt(lambda / n) for the mean; sqrt((lambda + 2 lambda^2) / n) for the
    // sample variance (fourth central moment of a Poisson: lambda (1 + 3 lambda)).
    EXPECT_NEAR(mean, lambda, 4 * std::sqrt(lambda / kDraws)) << "lambda " << lambda;
    EXPECT_NEAR(variance, lambda, 4 * std::sqrt((lambda + 2 * lambda * lambda) / kDraws))
        << "lambda " << lambda;
  }
}

TEST(Demand, RejectsBadParameters) {
  EXPECT_THROW(DemandProcess({.base = -1}), std::invalid_argument);
  EXPECT_THROW(DemandProcess({.seasonal_amplitude = 1.5}), std::invalid_argument);
  EXPECT_THROW(DemandProcess({.cv = -0.1}), std::invalid_argument);
}

}  // namespace
}  // namespace tradesim::supply
