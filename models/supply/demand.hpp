// Demand processes of consumers and retailers: a mean per period built from a base rate, a linear
// trend, seasonality, step changes and surge windows, with normal or Poisson noise around it.
// Pure and engine-independent: a node passes its own sim::Rng, so draws are reproducible.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/random.hpp"
#include "sim/time.hpp"

namespace tradesim::supply {

enum class Noise {
  kNone,     // the demand is its mean
  kNormal,   // mean + cv * mean * N(0, 1), truncated at zero
  kPoisson,  // Poisson with the period's mean (integer demand, variance = mean)
};

// A change of the demand level from a period on: the beer game's 4 -> 8 step is
// {.at = 4, .kind = kSet, .value = 8} (weeks are counted from 0).
struct DemandStep {
  enum Kind { kMultiply, kSet };
  int64_t at = 0;
  Kind kind = kMultiply;
  double value = 1;
};

// A multiplier on the demand over periods [from, until): the demand_surge shock.
struct DemandMultiplier {
  int64_t from = 0;
  int64_t until = 0;
  double factor = 1;
};

struct DemandParams {
  double base = 100;  // units per period at period 0
  double trend = 0;   // units per period added each period (linear trend)
  // Sinusoidal seasonality: factor 1 + amplitude * sin(2 pi (t + phase) / season_length).
  double seasonal_amplitude = 0;
  double season_length = 52;
  double seasonal_phase = 0;
  // Or seasonal indices, one per period of the season (index t mod size); they replace the
  // sinusoid when not empty. Indices averaging 1 keep the yearly volume.
  std::vector<double> seasonal_indices{};
  Noise noise = Noise::kNone;
  double cv = 0;                    // coefficient of variation of the normal noise
  std::vector<DemandStep> steps{};  // applied in order of `at`
  sim::Duration period = sim::Duration::from_ns(sim::units::kWeek);  // length of one period
};

class DemandProcess {
 public:
  // Throws std::invalid_argument on negative rates, cv or amplitudes above 1, or a zero period.
  explicit DemandProcess(DemandParams params);

  // The expected demand of period t (before noise): level(t) * season(t) * surge(t), where
  // level(t) = base + trend * t with the steps at or before t applied in order; never negative.
  double mean(int64_t period) const;
  // One draw of the demand of period t from `rng`. Normal noise uses two uniforms, Poisson a
  // variable number; either way the result depends only on the stream's state.
  double draw(int64_t period, sim::Rng& rng) const;

  // Seasonal factor of period t (1 without seasonality).
  double seasonal_factor(int64_t period) const;
  // Product of the multipliers whose window holds period t.
  double surge_factor(int64_t period) const;

  void add_step(DemandStep step);
  // Multiplies demand by `factor` over periods [from, until) (a demand_surge shock).
  void add_multiplier(int64_t from, int64_t until, double factor);
  // The same with simulated times, converted to the periods that hold them.
  void add_multiplier(sim::SimTime from, sim::SimTime until, double factor);

  // The period that holds time t (periods start at time 0).
  int64_t period_at(sim::SimTime t) const;
  const DemandParams& params() const { return params_; }

 private:
  DemandParams params_;
  std::vector<DemandMultiplier> multipliers_;
};

// A node whose demand the `demand_surge` timeline action scales (the consumers of the supply
// chain and of the trade world).
class HasDemand {
 public:
  virtual ~HasDemand() = default;
  virtual DemandProcess& demand_process() = 0;
};

// A Poisson draw with the given mean: Knuth's product of uniforms below mean 10, otherwise the
// transformed rejection method PTRS (Hoermann, "The transformed rejection method for generating
// Poisson random variables", Insurance: Mathematics and Economics 12, 1993).
int64_t poisson(double mean, sim::Rng& rng);

}  // namespace tradesim::supply
