// Inventory of one stocking point (importer, retailer, wholesaler, ...) and the reorder policies
// that decide its orders: (s, S), order-up-to with a moving-average or exponential-smoothing
// forecast (Chen, Drezner, Ryan and Simchi-Levi 2000), and Sterman's (1989) anchoring-and-
// adjustment heuristic of beer-game players. Pure and engine-independent: nodes call them.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <variant>

namespace tradesim::supply {

// Stock on hand, backorders and the pipeline of one stocking point, in units. Goods are never
// negative. Orders may be, when a policy allows them (Chen et al.'s idealisation): a negative
// order is a cancellation; beyond what is still owed it leaves a credit (negative backorders)
// that later orders use up first, so no goods ever travel backwards.
class Inventory {
 public:
  Inventory() = default;
  Inventory(double on_hand, double on_order) : on_hand_(on_hand), on_order_(on_order) {}

  double on_hand() const { return on_hand_; }
  // Units owed to downstream customers; negative = their credit from cancelled orders.
  double backorders() const { return owed_; }
  // Net inventory = on hand - backorders.
  double net() const { return on_hand_ - owed_; }
  // Ordered and not yet received (in the mail, in the upstream backlog, in transit).
  double on_order() const { return on_order_; }
  // Inventory position = on hand + on order - backorders.
  double position() const { return on_hand_ + on_order_ - owed_; }

  // Goods arrive from upstream (never negative).
  void receive(double units);
  // The period's demand (orders from downstream or consumers) is added to what is owed, and as
  // much of it as is on hand is shipped at once (oldest first); the rest stays backordered.
  // Returns the units shipped (sold, for a retailer).
  double fill(double demand);
  void place_order(double units) { on_order_ += units; }

  // Charges one period of holding and backlog costs on the current stock; returns the period's
  // cost and adds it to total_cost().
  double charge_period(double holding_cost, double backlog_cost);
  double total_cost() const { return total_cost_; }

 private:
  double on_hand_ = 0;
  double owed_ = 0;
  double on_order_ = 0;
  double total_cost_ = 0;
};

// ---- Forecasts of the next period's demand --------------------------------------------------

// Mean of the last p demands; before p observations the window holds `initial` values.
class MovingAverage {
 public:
  MovingAverage(int p, double initial);
  void observe(double demand);
  double value() const { return sum_ / static_cast<double>(window_.size()); }
  int p() const { return static_cast<int>(window_.size()); }

 private:
  std::deque<double> window_;
  double sum_ = 0;
};

// F_t = alpha D_t + (1 - alpha) F_{t-1}.
class ExponentialSmoothing {
 public:
  ExponentialSmoothing(double alpha, double initial);
  void observe(double demand) { value_ = alpha_ * demand + (1 - alpha_) * value_; }
  double value() const { return value_; }
  double alpha() const { return alpha_; }

 private:
  double alpha_;
  double value_;
};

class Forecast {
 public:
  static Forecast moving_average(int p, double initial) {
    return Forecast(MovingAverage(p, initial));
  }
  static Forecast exponential_smoothing(double alpha, double initial) {
    return Forecast(ExponentialSmoothing(alpha, initial));
  }
  void observe(double demand) {
    std::visit([demand](auto& f) { f.observe(demand); }, method_);
  }
  double value() const {
    return std::visit([](const auto& f) { return f.value(); }, method_);
  }

 private:
  explicit Forecast(std::variant<MovingAverage, ExponentialSmoothing> method)
      : method_(std::move(method)) {}
  std::variant<MovingAverage, ExponentialSmoothing> method_;
};

// ---- Policies -------------------------------------------------------------------------------
// Each policy's order(inventory, demand) is called once per period after the period's demand has
// been filled; it returns the quantity to order now (it does not change the inventory).

// (s, S): when the inventory position is at or below s, order up to S. Periodic review calls
// order() every period and reviews every review_period-th call; continuous review calls
// review() after every demand transaction.
class SsPolicy {
 public:
  SsPolicy(double s, double S, int review_period = 1);
  double review(const Inventory& inventory) const;
  double order(const Inventory& inventory, double demand);
  double s() const { return s_; }
  double S() const { return S_; }

 private:
  double s_, S_;
  int review_period_;
  int64_t periods_ = 0;
};

// Order-up-to with a forecast, reviewed every period (review_period R = 1) or every R periods.
// An order placed at the end of period t arrives after `lead_time` whole periods in transit, at
// the start of period t + L + R, so the level covers the protection interval L + R:
//   S_t = (L + R) F_t + z sigma_t sqrt(L + R),  order q_t = S_t - inventory position,
// where F_t is the forecast after observing D_t and sigma_t the sample standard deviation of the
// last sigma_window demands. With R = 1 and z = 0 this is q_t = S_t - S_{t-1} + D_t. Chen et al.
// (2000) write the lead time as the protection interval: their L is lead_time + R here.
struct OrderUpToParams {
  int lead_time = 1;      // L, whole periods in transit
  int review_period = 1;  // R
  double z = 0;           // safety factor
  int sigma_window = 4;   // demands used for sigma_t (>= 2 when z != 0)
  // Chen et al. assume negative orders (returns) are allowed; without them the order is
  // max(0, S_t - position).
  bool allow_negative_orders = false;
};

class OrderUpToPolicy {
 public:
  OrderUpToPolicy(OrderUpToParams params, Forecast forecast);
  double order(const Inventory& inventory, double demand);
  // The level computed at the last review.
  double level() const { return level_; }
  double forecast() const { return forecast_.value(); }
  int protection_periods() const { return params_.lead_time + params_.review_period; }

 private:
  double sigma() const;
  OrderUpToParams params_;
  Forecast forecast_;
  std::deque<double> recent_;  // the last sigma_window demands
  double level_ = 0;
  int64_t periods_ = 0;
};

// Sterman (1989), "Modeling managerial behavior: misperceptions of feedback in a dynamic decision
// making experiment", Management Science 35(3), eq. (5)-(9): beer-game players anchor on expected
// demand and adjust for the gap between desired and effective inventory and a fraction beta of
// the supply line:
//   O_t = max(0, L^_t + alpha_s (S' - S_t - beta SL_t)),  L^_t = theta D_t + (1 - theta) L^_{t-1},
// with S_t = on hand - backorders and SL_t = on order. The defaults are the mean estimates over
// the players of Sterman's Table 2 (theta 0.36, alpha_s 0.26, beta 0.34, S' 17).
struct BeerGameParams {
  double alpha_s = 0.26;           // fraction of the stock gap ordered per week
  double beta = 0.34;              // weight of the supply line (1 = fully accounted)
  double theta = 0.36;             // weight of the newest demand in the expectation
  double desired_inventory = 17;   // S', cases (desired stock plus desired supply line)
  double initial_expectation = 4;  // L^_0, cases per week
};

class BeerGamePolicy {
 public:
  explicit BeerGamePolicy(BeerGameParams params);
  double order(const Inventory& inventory, double demand);
  double expected_demand() const { return expected_; }

 private:
  BeerGameParams params_;
  double expected_;
};

using ReorderPolicy = std::variant<SsPolicy, OrderUpToPolicy, BeerGamePolicy>;

// The order of whichever policy `policy` holds.
inline double decide_order(ReorderPolicy& policy, const Inventory& inventory, double demand) {
  return std::visit([&](auto& p) { return p.order(inventory, demand); }, policy);
}

}  // namespace tradesim::supply
