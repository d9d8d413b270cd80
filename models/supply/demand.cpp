// Demand processes: mean shapes (trend, seasonality, steps, surges) and noise draws.
#include "models/supply/demand.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace tradesim::supply {

DemandProcess::DemandProcess(DemandParams params) : params_(std::move(params)) {
  const DemandParams& p = params_;
  if (!(p.base >= 0)) throw std::invalid_argument("demand: base must be >= 0");
  if (!(p.cv >= 0)) throw std::invalid_argument("demand: cv must be >= 0");
  if (!(std::fabs(p.seasonal_amplitude) <= 1))
    throw std::invalid_argument("demand: seasonal amplitude must lie in [-1, 1]");
  if (p.seasonal_amplitude != 0 && !(p.season_length > 0))
    throw std::invalid_argument("demand: season length must be > 0");
  for (double index : p.seasonal_indices)
    if (!(index >= 0)) throw std::invalid_argument("demand: seasonal indices must be >= 0");
  if (p.period <= sim::Duration::zero()) throw std::invalid_argument("demand: period must be > 0");
  std::stable_sort(params_.steps.begin(), params_.steps.end(),
                   [](const DemandStep& a, const DemandStep& b) { return a.at < b.at; });
}

double DemandProcess::seasonal_factor(int64_t period) const {
  const DemandParams& p = params_;
  if (!p.seasonal_indices.empty()) {
    const auto n = static_cast<int64_t>(p.seasonal_indices.size());
    return p.seasonal_indices[static_cast<size_t>(((period % n) + n) % n)];
  }
  if (p.seasonal_amplitude == 0) return 1;
  return 1 + p.seasonal_amplitude *
                 std::sin(2 * std::numbers::pi * (static_cast<double>(period) + p.seasonal_phase) /
                          p.season_length);
}

double DemandProcess::surge_factor(int64_t period) const {
  double factor = 1;
  for (const DemandMultiplier& m : multipliers_)
    if (period >= m.from && period < m.until) factor *= m.factor;
  return factor;
}

double DemandProcess::mean(int64_t period) const {
  double level = params_.base + params_.trend * static_cast<double>(period);
  for (const DemandStep& step : params_.steps) {
    if (step.at > period) break;
    level = step.kind == DemandStep::kSet ? step.value : level * step.value;
  }
  return std::max(0.0, level * seasonal_factor(period) * surge_factor(period));
}

double DemandProcess::draw(int64_t period, sim::Rng& rng) const {
  const double mu = mean(period);
  switch (params_.noise) {
    case Noise::kNone:
      return mu;
    case Noise::kNormal:
      return std::max(0.0, rng.normal(mu, params_.cv * mu));
    case Noise::kPoisson:
      return static_cast<double>(poisson(mu, rng));
  }
  return mu;
}

void DemandProcess::add_step(DemandStep step) {
  auto at = std::upper_bound(params_.steps.begin(), params_.steps.end(), step,
                             [](const DemandStep& a, const DemandStep& b) { return a.at < b.at; });
  params_.steps.insert(at, step);
}

void DemandProcess::add_multiplier(int64_t from, int64_t until, double factor) {
  if (!(factor >= 0)) throw std::invalid_argument("demand: a multiplier must be >= 0");
  if (until < from) {
    throw std::invalid_argument("demand: multiplier window ends (period " + std::to_string(until) +
                                ") before it starts (period " + std::to_string(from) + ")");
  }
  multipliers_.push_back({from, until, factor});
}

void DemandProcess::add_multiplier(sim::SimTime from, sim::SimTime until, double factor) {
  // A window that ends inside a period still covers that period.
  const int64_t period_ns = params_.period.ns();
  const int64_t last = (until.ns() + period_ns - 1) / period_ns;
  add_multiplier(period_at(from), last, factor);
}

int64_t DemandProcess::period_at(sim::SimTime t) const {
  const int64_t period_ns = params_.period.ns();
  const int64_t q = t.ns() / period_ns;
  return (t.ns() % period_ns < 0) ? q - 1 : q;
}

int64_t poisson(double mean, sim::Rng& rng) {
  if (!(mean > 0)) return 0;
  if (mean < 10) {
    const double limit = std::exp(-mean);
    int64_t k = 0;
    double product = rng.uniform();
    while (product > limit) {
      ++k;
      product *= rng.uniform();
    }
    return k;
  }
  // PTRS, Hoermann (1993), section 3.
  const double slam = std::sqrt(mean);
  const double loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double v_r = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = rng.uniform() - 0.5;
    const double v = rng.uniform();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= v_r) return static_cast<int64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -mean + k * loglam - std::lgamma(k + 1)) {
      return static_cast<int64_t>(k);
    }
  }
}

}  // namespace tradesim::supply
