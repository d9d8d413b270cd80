// The serial supply chain: consumers and stages as kernel nodes, exchanging orders and shipments.
#include "models/supply/serial_chain.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace tradesim::supply {

namespace {

constexpr sim::NodeId kConsumers = 0;
sim::NodeId stage_id(size_t index) {
  return static_cast<sim::NodeId>(index + 1);
}

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
  if (p.periods < 1) throw std::invalid_argument("serial chain: periods must be >= 1");
  // The run must end inside SimTime's range (about 292 years): 20,000 weekly periods do not.
  if (p.demand.period.ns() > 0 &&
      p.periods + p.order_delay + p.shipping_delay + p.production_lead_time >
          sim::Duration::max().ns() / p.demand.period.ns()) {
    throw std::invalid_argument("serial chain: " + std::to_string(p.periods) + " periods of " +
                                p.demand.period.to_string() +
                                " exceed the range of simulated time (about 292 years)");
  }
}

}  // namespace

int SerialChainParams::replenishment_lead_time(size_t stage) const {
  // The order of period t is in stock at the start of t + delay, i.e. usable in period
  // t + delay = t + (delay - 1) + R with review period R = 1.
  const bool factory = stage + 1 == stages();
  return (factory ? production_lead_time : order_delay + shipping_delay) - 1;
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

void ConsumerNode::on_start(sim::Context& ctx) {
  ctx.set_timer(offset_);
}

void ConsumerNode::on_timer(sim::Context& ctx, sim::TimerId, uint64_t) {
  const double units = process_.draw(period_, ctx.rng());
  demand_.push_back(units);
  if (units != 0) ctx.send(retailer_, sim::Message::make(Order{period_, units}, sizeof(Order)));
  if (++period_ < periods_) ctx.set_timer(process_.params().period);
}

// ---- Stages ---------------------------------------------------------------------------------

StageNode::StageNode(const SerialChainParams& p, size_t index, StageLinks links,
                     sim::Duration offset)
    : links_(links),
      period_length_(p.demand.period),
      offset_(offset),
      periods_(p.periods),
      order_delay_(p.order_delay),
      shipping_delay_(p.shipping_delay),
      production_lead_time_(p.production_lead_time),
      initial_flow_(p.initial_flow),
      holding_cost_(p.holding_cost),
      backlog_cost_(p.backlog_cost),
      policy_(p.policies.at(index)),
      inventory_(p.initial_on_hand,
                 p.initial_flow * (links.is_factory ? p.production_lead_time
                                                    : p.order_delay + p.shipping_delay)) {
  series_.name = p.stage_names.at(index);
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
  // Every message is read in the period it is due: the timing of send_for and of the stages'
  // offsets within a period guarantees it; a late one would break the lead times.
  const int64_t now_period = current_period(ctx);
  if (const Shipment* s = msg.get_if<Shipment>()) {
    if (s->due != now_period) {
      throw std::logic_error("serial chain: " + series_.name +
                             " received a shipment due in period " + std::to_string(s->due) +
                             " in period " + std::to_string(now_period));
    }
    arrived_goods_ += s->units;
  } else if (const Order* o = msg.get_if<Order>()) {
    if (o->due != now_period) {
      throw std::logic_error("serial chain: " + series_.name + " received an order due in period " +
                             std::to_string(o->due) + " in period " + std::to_string(now_period));
    }
    arrived_orders_ += o->units;
  } else {
    throw std::logic_error("serial chain: " + series_.name + " received an unknown message");
  }
}

void StageNode::on_timer(sim::Context& ctx, sim::TimerId, uint64_t) {
  on_period(ctx);
  if (++period_ < periods_) ctx.set_timer(period_length_);
}

void StageNode::on_period(sim::Context& ctx) {
  const int64_t t = period_;
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
  series_.demand.push_back(demand);
  series_.orders.push_back(order);
  series_.received.push_back(received);
  series_.shipped.push_back(shipped);
  series_.on_hand.push_back(inventory_.on_hand());
  series_.backorders.push_back(inventory_.backorders());
  series_.on_order.push_back(inventory_.on_order());
  series_.cost.push_back(cost);
  series_.total_cost = inventory_.total_cost();
}

// ---- Running --------------------------------------------------------------------------------

ChainResult run_serial_chain(const SerialChainParams& p, sim::Engine& engine) {
  validate(p);
  const size_t n = p.stages();
  // Within a period the consumers decide first, then the stages from the retailer up, so that
  // an order with no delay is read upstream in the same period; goods arrive at the period's
  // start, before anyone decides.
  const sim::Duration slot = p.demand.period / static_cast<int64_t>(n + 2);
  if (slot <= sim::Duration::zero()) throw std::invalid_argument("serial chain: period too short");
  engine.emplace_node<ConsumerNode>(kConsumers, 0, DemandProcess(p.demand), stage_id(0), slot,
                                    p.periods);
  for (size_t k = 0; k < n; ++k) {
    const bool factory = k + 1 == n;
    const StageLinks links{.downstream = k == 0 ? kConsumers : stage_id(k - 1),
                           .upstream = factory ? stage_id(k) : stage_id(k + 1),
                           .ships_downstream = k != 0,
                           .is_factory = factory};
    engine.emplace_node<StageNode>(stage_id(k), 0, p, k, links, slot * static_cast<int64_t>(k + 2));
  }
  engine.run({.until = sim::SimTime::zero() + p.demand.period * p.periods});

  ChainResult result;
  result.consumer_demand = static_cast<ConsumerNode&>(engine.node(kConsumers)).demand();
  for (size_t k = 0; k < n; ++k)
    result.stages.push_back(static_cast<StageNode&>(engine.node(stage_id(k))).series());
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

std::vector<double> bullwhip_ratios(const ChainResult& result, size_t from) {
  const double demand_variance = sample_variance(result.consumer_demand, from);
  std::vector<double> ratios;
  for (const StageSeries& s : result.stages)
    ratios.push_back(sample_variance(s.orders, from) / demand_variance);
  return ratios;
}

}  // namespace tradesim::supply
