// Validation of the kernel and the M/M/c port against queueing theory: the analytic value must
// lie inside the 95% confidence interval of the mean over independent replications.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "models/queueing/mmc.hpp"
#include "models/queueing/theory.hpp"

namespace tradesim::queueing {
namespace {

using namespace sim::literals;

struct Interval {
  double mean, half_width;
  bool contains(double x) const { return std::fabs(x - mean) <= half_width; }
};

// Student t quantile t(0.975, n-1) for n = 20 replications (tables: 2.093).
constexpr int kReplications = 20;
constexpr double kT975 = 2.093;

Interval confidence_interval(const std::vector<double>& xs) {
  double sum = 0, sq = 0;
  for (double x : xs) sum += x;
  const double mean = sum / xs.size();
  for (double x : xs) sq += (x - mean) * (x - mean);
  const double sd = std::sqrt(sq / (xs.size() - 1));
  return Interval{mean, kT975 * sd / std::sqrt(static_cast<double>(xs.size()))};
}

std::vector<MmcResult> replicate(MmcParams p, int n) {
  std::vector<MmcResult> out;
  for (int r = 0; r < n; ++r) {
    p.seed = 1000 + static_cast<uint64_t>(r);
    out.push_back(run_mmc(p));
  }
  return out;
}

Interval ci_of(const std::vector<MmcResult>& rs, const std::function<double(const MmcResult&)>& f) {
  std::vector<double> xs;
  for (const auto& r : rs) xs.push_back(f(r));
  return confidence_interval(xs);
}

TEST(QueueingTheory, ErlangCMatchesTheTextbookValues) {
  // Gross et al. tables / the issue: lambda = 30/h, mu = 12/h.
  EXPECT_NEAR(mmc_theory(30, 12, 3).p_wait, 0.702, 0.0005);
  EXPECT_NEAR(mmc_theory(30, 12, 4).p_wait, 0.320, 0.0005);
  EXPECT_NEAR(mmc_theory(30, 12, 5).p_wait, 0.130, 0.0005);
  EXPECT_NEAR(mmc_theory(30, 12, 3).wq * 60, 7.02, 0.005);
  EXPECT_NEAR(mmc_theory(30, 12, 4).wq * 60, 1.07, 0.005);
  EXPECT_NEAR(mmc_theory(30, 12, 5).wq * 60, 0.26, 0.005);
  // M/M/1: Wq = rho / (mu - lambda) = 0.8 / 2 = 0.4 h, L = rho / (1 - rho) = 4.
  EXPECT_NEAR(mmc_theory(8, 10, 1).wq, 0.4, 1e-12);
  EXPECT_NEAR(mmc_theory(8, 10, 1).l, 4.0, 1e-12);
}

TEST(PortValidation, MM1WaitAndNumberInSystem) {
  MmcParams p;
  p.arrivals_per_hour = 8;
  p.services_per_hour = 10;
  p.berths = 1;
  p.warmup = 500_h;
  p.horizon = 20500_h;
  const auto rs = replicate(p, kReplications);
  const Interval wq = ci_of(rs, [](const MmcResult& r) { return r.mean_wait_hours; });
  const Interval l = ci_of(rs, [](const MmcResult& r) { return r.mean_in_system; });
  EXPECT_TRUE(wq.contains(0.4)) << "Wq " << wq.mean << " +- " << wq.half_width;
  EXPECT_TRUE(l.contains(4.0)) << "L " << l.mean << " +- " << l.half_width;
  EXPECT_LT(wq.half_width, 0.04);  // the interval is tight enough to mean something
}

class MMcValidation : public ::testing::TestWithParam<int> {};

TEST_P(MMcValidation, ProbabilityOfWaitingAndMeanWait) {
  const int c = GetParam();
  MmcParams p;
  p.arrivals_per_hour = 30;
  p.services_per_hour = 12;
  p.berths = c;
  p.warmup = 50_h;
  p.horizon = 2050_h;
  const MmcTheory theory = mmc_theory(30, 12, c);
  const auto rs = replicate(p, kReplications);
  const Interval pw = ci_of(rs, [](const MmcResult& r) { return r.p_wait; });
  const Interval wq = ci_of(rs, [](const MmcResult& r) { return r.mean_wait_hours * 60; });
  EXPECT_TRUE(pw.contains(theory.p_wait))
      << "c=" << c << " P(wait) " << pw.mean << " +- " << pw.half_width << " vs " << theory.p_wait;
  EXPECT_TRUE(wq.contains(theory.wq * 60))
      << "c=" << c << " Wq " << wq.mean << " +- " << wq.half_width << " min vs " << theory.wq * 60;
  EXPECT_LT(pw.half_width, 0.02);
}

INSTANTIATE_TEST_SUITE_P(Berths, MMcValidation, ::testing::Values(3, 4, 5));

// Little's law L = lambda W holds on every long sample path (Little 1961); with lambda and W
// measured in the same run the two sides agree to well within 1%.
TEST(PortValidation, LittlesLawOnOneExtendedRun) {
  MmcParams p;
  p.arrivals_per_hour = 30;
  p.services_per_hour = 12;
  p.berths = 3;
  p.warmup = 100_h;
  p.horizon = 50100_h;
  p.seed = 77;
  const MmcResult r = run_mmc(p);
  const double lw = r.arrival_rate_per_hour * r.mean_sojourn_hours;
  EXPECT_NEAR(r.mean_in_system / lw, 1.0, 0.01) << "L=" << r.mean_in_system << " lambda W=" << lw;
  // And both are near the theory (L = 4.96): a looser check, one long run.
  EXPECT_NEAR(r.mean_in_system, mmc_theory(30, 12, 3).l, 0.15);
}

}  // namespace
}  // namespace tradesim::queueing

namespace tradesim::queueing {
namespace {

// The long label: M/M/c for c = 1..8 at 80% load with 100 replications each; the analytic mean
// wait must lie in the 95% interval (t(0.975, 99) = 1.984). About a minute.
TEST(PortValidationLong, ManyServerCountsAndReplications) {
  for (int c = 1; c <= 8; ++c) {
    MmcParams p;
    p.services_per_hour = 10;
    p.arrivals_per_hour = 0.8 * c * p.services_per_hour;
    p.berths = c;
    p.warmup = 200_h;
    p.horizon = 5200_h;
    std::vector<double> waits;
    for (int r = 0; r < 100; ++r) {
      p.seed = 50000 + static_cast<uint64_t>(r);
      waits.push_back(run_mmc(p).mean_wait_hours);
    }
    double mean = 0, sq = 0;
    for (double w : waits) mean += w / waits.size();
    for (double w : waits) sq += (w - mean) * (w - mean);
    const double half = 1.984 * std::sqrt(sq / (waits.size() - 1)) / std::sqrt(100.0);
    const double theory = mmc_theory(p.arrivals_per_hour, p.services_per_hour, c).wq;
    EXPECT_NEAR(mean, theory, half) << "c=" << c;
  }
}

}  // namespace
}  // namespace tradesim::queueing
