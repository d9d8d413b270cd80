// Inventory accounting and reorder policies.
#include "models/supply/inventory.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tradesim::supply {

void Inventory::receive(double units) {
  if (!(units >= 0)) {
    throw std::logic_error("inventory: received " + std::to_string(units) +
                           " units; goods are never negative");
  }
  on_hand_ += units;
  on_order_ -= units;
}

double Inventory::fill(double demand) {
  owed_ += demand;
  if (owed_ <= 0) return 0;  // nothing owed, or a credit left by cancellations
  const double shipped = std::min(on_hand_, owed_);
  on_hand_ -= shipped;
  owed_ -= shipped;
  return shipped;
}

double Inventory::charge_period(double holding_cost, double backlog_cost) {
  const double cost = holding_cost * on_hand_ + backlog_cost * std::max(0.0, owed_);
  total_cost_ += cost;
  return cost;
}

MovingAverage::MovingAverage(int p, double initial) {
  if (p < 1) throw std::invalid_argument("moving average: p must be >= 1");
  window_.assign(static_cast<size_t>(p), initial);
  sum_ = initial * p;
}

void MovingAverage::observe(double demand) {
  sum_ += demand - window_.front();
  window_.pop_front();
  window_.push_back(demand);
}

ExponentialSmoothing::ExponentialSmoothing(double alpha, double initial)
    : alpha_(alpha), value_(initial) {
  if (!(alpha > 0 && alpha <= 1))
    throw std::invalid_argument("exponential smoothing: alpha must lie in (0, 1]");
}

SsPolicy::SsPolicy(double s, double S, int review_period)
    : s_(s), S_(S), review_period_(review_period) {
  if (!(S >= s)) throw std::invalid_argument("(s, S) policy: S must be >= s");
  if (review_period < 1) throw std::invalid_argument("(s, S) policy: review period must be >= 1");
}

double SsPolicy::review(const Inventory& inventory) const {
  const double position = inventory.position();
  return position <= s_ ? S_ - position : 0;
}

double SsPolicy::order(const Inventory& inventory, double /*demand*/) {
  const bool review_now = periods_ % review_period_ == 0;
  ++periods_;
  return review_now ? review(inventory) : 0;
}

OrderUpToPolicy::OrderUpToPolicy(OrderUpToParams params, Forecast forecast)
    : params_(params), forecast_(std::move(forecast)) {
  if (params_.lead_time < 0) throw std::invalid_argument("order-up-to: lead time must be >= 0");
  if (params_.review_period < 1)
    throw std::invalid_argument("order-up-to: review period must be >= 1");
  if (params_.z != 0 && params_.sigma_window < 2)
    throw std::invalid_argument("order-up-to: sigma window must be >= 2 when z != 0");
  level_ = protection_periods() * forecast_.value();
}

double OrderUpToPolicy::sigma() const {
  if (recent_.size() < 2) return 0;
  double mean = 0;
  for (double d : recent_) mean += d;
  mean /= static_cast<double>(recent_.size());
  double squares = 0;
  for (double d : recent_) squares += (d - mean) * (d - mean);
  return std::sqrt(squares / static_cast<double>(recent_.size() - 1));
}

double OrderUpToPolicy::order(const Inventory& inventory, double demand) {
  forecast_.observe(demand);
  if (params_.z != 0) {
    recent_.push_back(demand);
    if (recent_.size() > static_cast<size_t>(params_.sigma_window)) recent_.pop_front();
  }
  const bool review_now = periods_ % params_.review_period == 0;
  ++periods_;
  if (!review_now) return 0;
  const double protection = protection_periods();
  level_ = protection * forecast_.value() + params_.z * sigma() * std::sqrt(protection);
  const double q = level_ - inventory.position();
  return params_.allow_negative_orders ? q : std::max(0.0, q);
}

BeerGamePolicy::BeerGamePolicy(BeerGameParams params)
    : params_(params), expected_(params.initial_expectation) {
  if (!(params.theta >= 0 && params.theta <= 1))
    throw std::invalid_argument("beer-game policy: theta must lie in [0, 1]");
}

double BeerGamePolicy::order(const Inventory& inventory, double demand) {
  expected_ = params_.theta * demand + (1 - params_.theta) * expected_;
  const double adjustment = params_.alpha_s * (params_.desired_inventory - inventory.net() -
                                               params_.beta * inventory.on_order());
  return std::max(0.0, expected_ + adjustment);
}

}  // namespace tradesim::supply
