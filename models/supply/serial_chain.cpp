// The serial supply chain: consumers and stages as kernel nodes, exchanging orders and shipments.
#include "models/supply/serial_chain.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace tradesim::supply {

namespace {

void validate(const SerialChainParams& p) {
  if (p.stages() == 0) throw std::invalid_argument("serial chain: no stages");
  if (p.policies.size() != p.stages()) {
    throw std::invalid_argument("serial chain: " + std::to_string(p.policies.size()) +
                                " policies for " + std::to_string(p.stages()) + " stages");
  }
  if (p.order_delay < 0) throw std::invalid_argument("serial chain: order delay must be >= 0");
  if (p.shipping_delay < 1)
    throw std::invalid_argument("serial chain: shipping delay must be >= 1 period");
  if (p.production_lead_time < 1)
    throw std::invalid_argument("serial chain: production lead time must be >= 1 period");
  for (const auto* delays : {&p.order_delays, &p.shipping_delays}) {
    if (!delays->empty() && delays->size() + 1 != p.stages()) {
      throw std::invalid_argument("serial chain: " + std::to_string(delays->size()) +
                                  " link delays for " + std::to_string(p.stages()) +
                                  " stages (one per link: stages - 1)");
    }
  }
  for (size_t k = 0; k + 1 < p.stages(); ++k) {
    if (p.order_delay_to_supplier(k) < 0)
      throw std::invalid_argument("serial chain: order delay must be >= 0");
    if (p.shipping_delay_from_supplier(k) < 1)
      throw std::invalid_argument("serial chain: shipping delay must be >= 1 period");
  }
  if (p.periods < 1) throw std::invalid_argument("serial chain: periods must be >= 1");
  // The run must end inside SimTime's range (about 292 years): 20,000 weekly periods do not.
  int64_t longest_delay = p.order_delay + p.shipping_delay;
  for (size_t k = 0; k + 1 < p.stages(); ++k) {
    longest_delay = std::max<int64_t>(
        longest_delay, p.order_delay_to_supplier(k) + p.shipping_delay_from_supplier(k));
  }
  if (p.demand.period.ns() > 0 && p.periods + longest_delay + p.production_lead_time >
                                      sim::Duration::max().ns() / p.demand.period.ns()) {
    throw std::invalid_argument("serial chain: " + std::to_string(p.periods) + " periods of " +
                                p.demand.period.to_string() +
                                " exceed the range of simulated time (about 292 years)");
  }
}

}  // namespace

int SerialChainParams::order_delay_to_supplier(size_t stage) const {
  return order_delays.empty() ? order_delay : order_delays.at(stage);
}

int SerialChainParams::shipping_delay_from_supplier(size_t stage) const {
  return shipping_delays.empty() ? shipping_delay : shipping_delays.at(stage);
}

int SerialChainParams::replenishment_lead_time(size_t stage) const {
  // The order of period t is in stock at the start of t + delay, i.e. usable in period
  // t + delay = t + (delay - 1) + R with review period R = 1.
  const bool factory = stage + 1 == stages();
  return (factory ? production_lead_time
                  : order_delay_to_supplier(stage) + shipping_delay_from_supplier(stage)) -
         1;
}

double ChainResult::total_cost() const {
  double sum = 0;
  for (const StageSeries& s : stages) sum += s.total_cost;
  return sum;
}

// ---- Consumers ------------------------------------------------------------------------------

ConsumerNode::ConsumerNode(DemandProcess demand, sim::NodeId retailer, sim::Duration offset,
                           int64_t periods)
    : process_(std::move(demand)), retailer_(retailer), offset_(offset), periods_(periods) {
  demand_.reserve(static_cast<size_t>(periods));
}

namespace {

// The time from `now` to the next decision at `offset` into a period (this period's, if it is
// still ahead), or nothing when that period is at or past `periods`.
std::optional<sim::Duration> next_decision(sim::SimTime now, sim::Duration period,
                                           sim::Duration offset, int64_t periods) {
  const int64_t current = now.ns() / period.ns();
  const sim::SimTime in_current = sim::SimTime::zero() + period * current + offset;
  const int64_t next = in_current >= now ? current : current + 1;
  if (next >= periods) return std::nullopt;
  return (sim::SimTime::zero() + period * next + offset) - now;
}

}  // namespace

void ConsumerNode::on_start(sim::Context& ctx) {
  // At time zero: the first period's decision; after a restart: the next one still ahead.
  if (auto delay = next_decision(ctx.now(), process_.params().period, offset_, periods_))
    ctx.set_timer(*delay);
}

void ConsumerNode::on_timer(sim::Context& ctx, sim::TimerId, uint64_t) {
  const sim::Duration length = process_.params().period;
  const int64_t period = ctx.now().ns() / length.ns();
  const double units = process_.draw(period, ctx.rng());
  demand_.push_back(units);
  if (units != 0) ctx.send(retailer_, sim::Message::make(Order{period, units}, sizeof(Order)));
  if (observer_) observer_(period, units);
  if (period + 1 < periods_) ctx.set_timer(length);
}

// ---- Stages ---------------------------------------------------------------------------------

StageNode::StageNode(const SerialChainParams& p, size_t index, StageLinks links,
                     sim::Duration offset)
    : links_(links),
      period_length_(p.demand.period),
      offset_(offset),
      periods_(p.periods),
      order_delay_(links.is_factory ? 0 : p.order_delay_to_supplier(index)),
      shipping_delay_(links.ships_downstream ? p.shipping_delay_from_supplier(index - 1) : 0),
      production_lead_time_(p.production_lead_time),
      initial_flow_(p.initial_flow),
      holding_cost_(p.holding_cost),
      backlog_cost_(p.backlog_cost),
      policy_(p.policies.at(index)),
      inventory_(p.initial_on_hand,
                 p.initial_flow * (links.is_factory ? p.production_lead_time
                                                    : p.order_delay_to_supplier(index) +
                                                          p.shipping_delay_from_supplier(index))) {
  series_.name = p.stage_names.at(index);
  series_.period.reserve(static_cast<size_t>(periods_));
  for (auto* v : {&series_.demand, &series_.orders, &series_.received, &series_.shipped,
                  &series_.on_hand, &series_.backorders, &series_.on_order, &series_.cost}) {
    v->reserve(static_cast<size_t>(periods_));
  }
}

int64_t StageNode::current_period(sim::Context& ctx) const {
  return ctx.now().ns() / period_length_.ns();
}

void StageNode::send_for(sim::Context& ctx, sim::NodeId to, int64_t due, sim::Message msg) {
  const sim::SimTime at = sim::SimTime::zero() + period_length_ * due;
  const sim::Duration delay = at > ctx.now() ? at - ctx.now() : sim::Duration::zero();
  ctx.send(to, std::move(msg), {.delay = delay});
}

void StageNode::on_start(sim::Context& ctx) {
  if (started_) {
    // A restart after a crash: the books are as they were; decide again from the next period.
    if (auto delay = next_decision(ctx.now(), period_length_, offset_, periods_))
      ctx.set_timer(*delay);
    return;
  }
  started_ = true;
  // The pipelines start full, as on the beer-game board: initial_flow in every delay slot.
  if (links_.is_factory) {
    for (int due = 0; due < production_lead_time_; ++due) {
      send_for(ctx, ctx.self(), due,
               sim::Message::make(Shipment{due, initial_flow_}, sizeof(Shipment)));
    }
  } else {
    for (int due = 0; due < order_delay_; ++due)
      send_for(ctx, links_.upstream, due,
               sim::Message::make(Order{due, initial_flow_}, sizeof(Order)));
  }
  if (links_.ships_downstream) {
    for (int due = 0; due < shipping_delay_; ++due) {
      send_for(ctx, links_.downstream, due,
               sim::Message::make(Shipment{due, initial_flow_}, sizeof(Shipment)));
    }
  }
  ctx.set_timer(offset_);
}

void StageNode::on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) {
  // Every message is read in the period it is due: send_for never delivers early, and the
  // stages' offsets within a period leave room for network latency. A message slowed past its
  // period (a degraded link) is counted and used in the next decision; an early one is a bug.
  const int64_t now_period = current_period(ctx);
  auto check = [&](int64_t due, const char* what) {
    if (due > now_period) {
      throw std::logic_error("serial chain: " + series_.name + " received " + what +
                             " due in period " + std::to_string(due) + " in period " +
                             std::to_string(now_period));
    }
    if (due < now_period) ++series_.late_messages;
  };
  if (const Shipment* s = msg.get_if<Shipment>()) {
    check(s->due, "a shipment");
    arrived_goods_ += s->units;
  } else if (const Order* o = msg.get_if<Order>()) {
    check(o->due, "an order");
    arrived_orders_ += o->units;
  } else {
    throw std::logic_error("serial chain: " + series_.name + " received an unknown message");
  }
}

void StageNode::on_timer(sim::Context& ctx, sim::TimerId, uint64_t) {
  on_period(ctx);
  if (current_period(ctx) + 1 < periods_) ctx.set_timer(period_length_);
}

void StageNode::on_period(sim::Context& ctx) {
  const int64_t t = current_period(ctx);
  const double received = std::exchange(arrived_goods_, 0.0);
  const double demand = std::exchange(arrived_orders_, 0.0);
  inventory_.receive(received);
  const double shipped = inventory_.fill(demand);
  if (links_.ships_downstream && shipped != 0) {
    send_for(ctx, links_.downstream, t + shipping_delay_,
             sim::Message::make(Shipment{t + shipping_delay_, shipped}, sizeof(Shipment)));
  }
  const double order = decide_order(policy_, inventory_, demand);
  inventory_.place_order(order);
  if (links_.is_factory) {
    // The plant has no capacity limit: it starts what is requested; a negative request cancels
    // runs not yet started, and its excess is a credit against later requests.
    production_owed_ += order;
    if (production_owed_ > 0) {
      const int64_t due = t + production_lead_time_;
      send_for(ctx, ctx.self(), due,
               sim::Message::make(Shipment{due, production_owed_}, sizeof(Shipment)));
      production_owed_ = 0;
    }
  } else if (order != 0) {
    const int64_t due = t + order_delay_;
    send_for(ctx, links_.upstream, due, sim::Message::make(Order{due, order}, sizeof(Order)));
  }
  const double cost = inventory_.charge_period(holding_cost_, backlog_cost_);
  series_.period.push_back(t);
  series_.demand.push_back(demand);
  series_.orders.push_back(order);
  series_.received.push_back(received);
  series_.shipped.push_back(shipped);
  series_.on_hand.push_back(inventory_.on_hand());
  series_.backorders.push_back(inventory_.backorders());
  series_.on_order.push_back(inventory_.on_order());
  series_.cost.push_back(cost);
  series_.total_cost = inventory_.total_cost();
  if (observer_) observer_(series_);
}

// ---- Running --------------------------------------------------------------------------------

ChainNodes add_serial_chain(const SerialChainParams& p, sim::NodeId first_id,
                            const AddChainNode& add) {
  validate(p);
  const size_t n = p.stages();
  // Within a period the consumers decide first, then the stages from the retailer up, so that
  // an order with no delay is read upstream in the same period; goods arrive at the period's
  // start, before anyone decides.
  const sim::Duration slot = p.demand.period / static_cast<int64_t>(n + 2);
  if (slot <= sim::Duration::zero()) throw std::invalid_argument("serial chain: period too short");
  const sim::NodeId consumers = first_id;
  auto stage_id = [first_id](size_t k) { return first_id + static_cast<sim::NodeId>(k + 1); };
  ChainNodes nodes;
  nodes.consumers = &static_cast<ConsumerNode&>(add(
      0, std::make_unique<ConsumerNode>(DemandProcess(p.demand), stage_id(0), slot, p.periods)));
  for (size_t k = 0; k < n; ++k) {
    const bool factory = k + 1 == n;
    const StageLinks links{.downstream = k == 0 ? consumers : stage_id(k - 1),
                           .upstream = factory ? stage_id(k) : stage_id(k + 1),
                           .ships_downstream = k != 0,
                           .is_factory = factory};
    nodes.stages.push_back(&static_cast<StageNode&>(
        add(k + 1, std::make_unique<StageNode>(p, k, links, slot * static_cast<int64_t>(k + 2)))));
  }
  return nodes;
}

ChainResult ChainNodes::result() const {
  ChainResult result;
  result.consumer_demand = consumers->demand();
  for (const StageNode* stage : stages) result.stages.push_back(stage->series());
  return result;
}

ChainResult run_serial_chain(const SerialChainParams& p, sim::Engine& engine) {
  const ChainNodes nodes = add_serial_chain(
      p, 0, [&engine](size_t index, std::unique_ptr<sim::Node> node) -> sim::Node& {
        return engine.add_node(static_cast<sim::NodeId>(index), std::move(node));
      });
  engine.run({.until = sim::SimTime::zero() + p.demand.period * p.periods});
  ChainResult result = nodes.result();
  result.events = engine.stats().events;
  return result;
}

ChainResult run_serial_chain(const SerialChainParams& p) {
  sim::Engine engine(p.seed);
  return run_serial_chain(p, engine);
}

SerialChainParams beer_game_params(const BeerGameParams& player, int64_t weeks) {
  SerialChainParams p;
  p.stage_names = {"retailer", "wholesaler", "distributor", "factory"};
  p.demand.base = 4;
  p.demand.noise = Noise::kNone;
  p.demand.steps = {DemandStep{.at = 4, .kind = DemandStep::kSet, .value = 8}};
  p.policies.assign(4, BeerGamePolicy(player));
  p.order_delay = 2;
  p.shipping_delay = 2;
  p.production_lead_time = 3;
  p.initial_on_hand = 12;
  p.initial_flow = 4;
  p.holding_cost = 0.5;
  p.backlog_cost = 1.0;
  p.periods = weeks;
  return p;
}

double sample_variance(const std::vector<double>& xs, size_t from) {
  if (xs.size() < from + 2) return 0;
  const double n = static_cast<double>(xs.size() - from);
  double mean = 0;
  for (size_t i = from; i < xs.size(); ++i) mean += xs[i];
  mean /= n;
  double squares = 0;
  for (size_t i = from; i < xs.size(); ++i) squares += (xs[i] - mean) * (xs[i] - mean);
  return squares / (n - 1);
}

double fill_rate(const StageSeries& s, size_t from) {
  // FIFO: a period's shipments first clear what was owed at the end of the last period; the
  // rest went out against the period's own demand.
  double demanded = 0, at_once = 0;
  for (size_t i = from; i < s.demand.size(); ++i) {
    const double owed_before = i == 0 ? 0.0 : std::max(0.0, s.backorders[i - 1]);
    demanded += s.demand[i];
    at_once += std::clamp(s.shipped[i] - owed_before, 0.0, std::max(0.0, s.demand[i]));
  }
  return demanded > 0 ? at_once / demanded : 1.0;
}

std::vector<double> bullwhip_ratios(const ChainResult& result, size_t from) {
  const double demand_variance = sample_variance(result.consumer_demand, from);
  std::vector<double> ratios;
  for (const StageSeries& s : result.stages)
    ratios.push_back(sample_variance(s.orders, from) / demand_variance);
  return ratios;
}

}  // namespace tradesim::supply
