// The trade world's nodes: consumers, importers, exporters, ports, vessels and customs.
#include "models/trade/trade.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/engine.hpp"

namespace tradesim::trade {

using sim::Duration;
using sim::SimTime;

namespace {
constexpr Duration kDay = Duration::from_ns(sim::units::kDay);
constexpr uint64_t kDaily = 1;

// A lognormal draw with the given median and a spread sigma of 0.5 (service times are skewed).
Duration lognormal(Duration median, sim::Rng& rng) {
  const double x = std::exp(rng.normal(0, 0.5));
  return Duration::from_seconds(median.seconds() * x);
}
}  // namespace

double keyed_uniform(uint64_t id, uint64_t salt) {
  uint64_t z = id * 0x9e3779b97f4a7c15ULL + salt;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

// ---- TradeWorld
// ----------------------------------------------------------------------------------

void TradeWorld::set_sourcing(uint32_t port, std::vector<sim::NodeId> exporters,
                              std::vector<double> weights) {
  Sourcing s;
  double sum = 0;
  for (size_t i = 0; i < exporters.size(); ++i) {
    if (!(weights[i] > 0)) continue;
    sum += weights[i];
    s.exporters.push_back(exporters[i]);
    s.cumulative.push_back(sum);
  }
  if (s.exporters.empty()) {
    throw std::invalid_argument("no exporter can supply importers at " + ports_.at(port).code);
  }
  for (double& c : s.cumulative) c /= sum;
  sourcing_[port] = std::move(s);
}

double TradeWorld::sourcing_share(uint32_t port, sim::NodeId exporter) const {
  const auto it = sourcing_.find(port);
  if (it == sourcing_.end()) return 0;
  const Sourcing& s = it->second;
  for (size_t i = 0; i < s.exporters.size(); ++i) {
    if (s.exporters[i] == exporter) return s.cumulative[i] - (i == 0 ? 0.0 : s.cumulative[i - 1]);
  }
  return 0;
}

sim::NodeId TradeWorld::pick_exporter(uint32_t port, sim::Rng& rng) const {
  const Sourcing& s = sourcing_.at(port);
  const double u = rng.uniform();
  const size_t i = static_cast<size_t>(
      std::lower_bound(s.cumulative.begin(), s.cumulative.end(), u) - s.cumulative.begin());
  return s.exporters[std::min(i, s.exporters.size() - 1)];
}

// ---- Consumer
// ------------------------------------------------------------------------------------

void Consumer::on_start(sim::Context& ctx) {
  ctx.set_timer(kDay, kDaily);
}

// Each day's demand goes to the consumer's retailer (the importer) at the day's end.
void Consumer::on_timer(sim::Context& ctx, sim::TimerId, uint64_t) {
  const int64_t day = demand_.period_at(ctx.now() - kDay);
  const double units = demand_.draw(day, ctx.rng());
  if (units > 0) ctx.send(importer_, sim::Message::make(Purchase{units}, 16));
  ctx.set_timer(kDay, kDaily);
}

// ---- Importer
// ------------------------------------------------------------------------------------

namespace {
supply::ReorderPolicy make_policy(const TradeParams& p, double mean) {
  if (p.policy == PolicyKind::kSs) return supply::SsPolicy(p.s * mean, p.S * mean, 1);
  supply::OrderUpToParams o;
  o.review_period = 1;
  o.lead_time = std::max(0, p.protection_days - 1);
  o.z = p.safety_factor;
  o.sigma_window = std::max(2, p.forecast_window);
  return supply::OrderUpToPolicy(o, supply::Forecast::moving_average(p.forecast_window, mean));
}
}  // namespace

Importer::Importer(TradeWorld* world, uint32_t index, uint32_t port, std::string country,
                   double mean_daily_demand)
    : world_(world),
      index_(index),
      port_(port),
      country_(std::move(country)),
      mean_daily_demand_(mean_daily_demand),
      inventory_(world->params().initial_stock_days * mean_daily_demand, 0),
      policy_(make_policy(world->params(), mean_daily_demand)) {
  world_->goods().produced += inventory_.on_hand();  // the opening stock was made before the run
  world_->goods().at_importers += inventory_.on_hand();
  if (inventory_.on_hand() > 0) lots_.emplace_back(SimTime::zero(), inventory_.on_hand());
}

void Importer::advance(SimTime now) {
  area_ += inventory_.on_hand() * (now - since_).seconds();
  since_ = now;
}

void Importer::take_out(SimTime now, double units) {
  units_out_ += units;
  while (units > 1e-12 && !lots_.empty()) {
    auto& [at, left] = lots_.front();
    const double take = std::min(units, left);
    unit_seconds_out_ += take * (now - at).seconds();
    left -= take;
    units -= take;
    if (left <= 1e-12) lots_.pop_front();
  }
}

void Importer::on_start(sim::Context& ctx) {
  ctx.set_timer(kDay, kDaily);
}

void Importer::on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) {
  GoodsLedger& g = world_->goods();
  advance(ctx.now());
  if (const auto* p = msg.get_if<Purchase>()) {
    // Backorders first, then today's customers: what is short is owed (a backorder).
    const double before = inventory_.backorders();
    const double shipped = inventory_.fill(p->units);
    const double to_new = std::max(0.0, shipped - std::max(0.0, before));
    demanded_today_ += p->units;
    filled_today_ += std::min(p->units, to_new);
    demand_since_review_ += p->units;
    take_out(ctx.now(), shipped);
    g.at_importers -= shipped;
    g.sold += shipped;
  } else if (const auto* c = msg.get_if<Cargo>()) {
    Shipment& s = *c->shipment;
    s.delivered = ctx.now();
    if (s.air) air_order_open_ = false;
    inventory_.receive(s.units);
    lots_.emplace_back(ctx.now(), s.units);
    g.in_transit -= s.units;
    g.at_importers += s.units;
    const double shipped = inventory_.fill(0);  // customers waiting are served first
    take_out(ctx.now(), shipped);
    g.at_importers -= shipped;
    g.sold += shipped;
    if (world_->delivered) world_->delivered(s);
    if (world_->contracts) world_->contracts->received(ctx, s);
    if (!world_->params().pay_in_advance) pay(ctx, s.order, s.exporter, s.units);
  }
}

void Importer::on_timer(sim::Context& ctx, sim::TimerId, uint64_t) {
  review(ctx);
  ctx.set_timer(kDay, kDaily);
}

// Daily review: the policy decides how much to order; orders of less than a container wait.
void Importer::review(sim::Context& ctx) {
  const TradeParams& p = world_->params();
  world_->record_day(index_, demanded_today_, filled_today_, inventory_.on_hand());
  inventory_.charge_period(p.holding_cost, p.backlog_cost);
  const double q = supply::decide_order(policy_, inventory_, demand_since_review_);
  demand_since_review_ = 0;
  demanded_today_ = filled_today_ = 0;
  pending_order_ = std::max(0.0, q);
  // Stock about to run out, and air cargo between the two countries: expedite by air.
  if (p.expedite_below_days > 0 && !air_order_open_ &&
      inventory_.on_hand() < p.expedite_below_days * mean_daily_demand_ &&
      world_->airport_of(country_)) {
    const sim::NodeId exporter = world_->pick_exporter(port_, ctx.rng());
    if (world_->airport_of(world_->country_of.at(exporter))) {
      const double units =
          std::ceil(p.expedite_days * mean_daily_demand_ / p.units_per_teu) * p.units_per_teu;
      inventory_.place_order(units);
      pending_order_ = std::max(0.0, pending_order_ - units);  // the air order covers that much
      air_order_open_ = true;
      const Order order{(static_cast<uint64_t>(index_) << 32) | ++next_order_,
                        ctx.self(),
                        port_,
                        units,
                        ctx.now(),
                        true};
      ctx.send(exporter, sim::Message::make(order, 64));
      if (world_->orders) world_->orders->add();
      if (world_->contracts) world_->contracts->ordered(ctx, order, exporter);
      if (p.pay_in_advance) pay(ctx, order.id, exporter, units);
    }
  }
  if (pending_order_ < p.min_order_teu * p.units_per_teu) return;
  const double units = std::ceil(pending_order_ / p.units_per_teu) * p.units_per_teu;
  pending_order_ = 0;
  inventory_.place_order(units);
  const sim::NodeId exporter = world_->pick_exporter(port_, ctx.rng());
  const Order order{(static_cast<uint64_t>(index_) << 32) | ++next_order_,
                    ctx.self(),
                    port_,
                    units,
                    ctx.now(),
                    false};
  ctx.send(exporter, sim::Message::make(order, 64));
  if (world_->orders) world_->orders->add();
  if (world_->contracts) world_->contracts->ordered(ctx, order, exporter);
  if (p.pay_in_advance) pay(ctx, order.id, exporter, units);
}

// The importer instructs its bank (or the ledger gateway of its country) to pay the exporter.
void Importer::pay(sim::Context& ctx, uint64_t order, sim::NodeId exporter, double units) {
  if (!world_->payments) return;
  const payments::PayRequest request{
      order,
      exporter,
      world_->country_of.at(exporter),
      static_cast<payments::Money>(std::llround(units * world_->params().unit_price * 100)),
      "USD",
      world_->params().pay_in_advance ? payments::PaymentTerms::kInAdvance
                                      : payments::PaymentTerms::kOnDelivery};
  ctx.send(world_->payments->access_node(country_),
           sim::Message::make(request, payments::kPayRequestBytes));
}

// ---- Exporter
// ------------------------------------------------------------------------------------

Exporter::Exporter(TradeWorld* world, uint32_t index, uint32_t port, std::string country,
                   double capacity_per_day)
    : world_(world),
      index_(index),
      port_(port),
      country_(std::move(country)),
      capacity_per_day_(capacity_per_day) {}

void Exporter::on_start(sim::Context& ctx) {
  ctx.set_timer(kDay, kDaily);
}

void Exporter::on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) {
  if (const auto* o = msg.get_if<Order>()) {
    if (o->air) {
      backlog_.push_front(*o);  // expedited: made and shipped first
    } else {
      backlog_.push_back(*o);
    }
    ship_ready(ctx);
  } else if (const auto* c = msg.get_if<payments::PaymentCredited>()) {
    if (world_->params().pay_in_advance) {
      paid_.insert(c->record.id);
      ship_ready(ctx);
    }
  }
}

// Paid in advance: an order is produced and shipped only once its payment has arrived.
bool Exporter::cleared_to_ship(const Order& o) const {
  return !world_->params().pay_in_advance || !world_->payments || paid_.count(o.id) != 0;
}

// Daily: finished production joins the stock; new production starts for the backlog not yet
// covered, up to the day's capacity (make to order).
void Exporter::on_timer(sim::Context& ctx, sim::TimerId, uint64_t) {
  GoodsLedger& g = world_->goods();
  while (!pipeline_.empty() && pipeline_.front().first <= ctx.now()) {
    stock_ += pipeline_.front().second;
    g.produced += pipeline_.front().second;
    g.at_exporters += pipeline_.front().second;
    pipeline_.pop_front();
  }
  double owed = 0;
  for (const Order& o : backlog_) owed += cleared_to_ship(o) ? o.units : 0;
  const double uncovered = owed - planned_;
  const double make = std::min(std::max(0.0, uncovered), capacity_per_day_ * capacity_.product());
  if (make > 0) {
    // A breach of the agreements in force: production takes the longest extra delay.
    Duration extra = Duration::zero();
    for (const Breach& b : breaches_) extra = std::max(extra, b.delay);
    pipeline_.emplace_back(ctx.now() + world_->params().production_lead_time + extra, make);
    planned_ += make;
  }
  holding_cost_ += world_->params().holding_cost * stock_;
  ship_ready(ctx);
  ctx.set_timer(kDay, kDaily);
}

// Orders are shipped whole, oldest first, as stock allows: a container load to the port.
void Exporter::ship_ready(sim::Context& ctx) {
  const TradeParams& p = world_->params();
  GoodsLedger& g = world_->goods();
  // Oldest first among the orders cleared to ship (paid, when paid in advance), while stock
  // covers them: an unpaid order does not hold up the paid ones behind it.
  for (auto it = backlog_.begin(); it != backlog_.end();) {
    if (!cleared_to_ship(*it)) {
      ++it;
      continue;
    }
    if (it->units > stock_ + 1e-9) break;
    const Order o = *it;
    it = backlog_.erase(it);
    paid_.erase(o.id);
    stock_ -= o.units;
    planned_ -= o.units;
    g.at_exporters -= o.units;
    g.in_transit += o.units;
    auto s = std::make_shared<Shipment>();
    s->id = world_->next_shipment_id();
    s->order = o.id;
    s->exporter = ctx.self();
    s->importer = o.importer;
    s->origin = port_;
    s->destination = o.destination;
    s->units = o.units;
    s->teu = static_cast<int>(std::ceil(o.units / p.units_per_teu));
    s->ordered = o.placed;
    s->produced = ctx.now();
    s->air = o.air;
    s->breach = !breaches_.empty() ||
                (breach_marked_until > SimTime::zero() && ctx.now() <= breach_marked_until);
    double quality_failure = 0;
    for (const Breach& b : breaches_)
      quality_failure = std::max(quality_failure, b.quality_failure);
    s->out_of_spec = quality_failure > 0 && keyed_uniform(s->id, 0x0a11) < quality_failure;
    double fraud = 0;
    for (double f : fraud_) fraud = std::max(fraud, f);
    if (world_->contracts) {
      world_->contracts->shipped(ctx, *s, fraud > 0 && keyed_uniform(s->id, 0xf4a0d) < fraud);
    }
    ctx.send(o.air ? world_->air_cargo : world_->ports()[port_].node,
             sim::Message::make(Cargo{s}, 64), {.delay = p.inland_to_port});
  }
}

void Exporter::remove_breach(Duration delay, double quality_failure) {
  const auto it = std::find_if(breaches_.begin(), breaches_.end(), [&](const Breach& b) {
    return b.delay == delay && b.quality_failure == quality_failure;
  });
  if (it != breaches_.end()) breaches_.erase(it);
}

// ---- Port
// ----------------------------------------------------------------------------------------

Port::Port(TradeWorld* world, uint32_t index, int berths, int yard_capacity)
    : world_(world),
      index_(index),
      berths_(berths),
      station_(berths),
      yard_capacity_(yard_capacity) {}

void Port::admit(SimTime now, const ShipmentPtr& s) {
  advance_yard(now);
  s->at_origin = now;
  yard_.push_back(s);
  yard_teu_ += s->teu;
  ++yard_entries_;
}

// Room freed in the yard lets the containers at the gate in, oldest first.
void Port::admit_from_gate(SimTime now) {
  // A shipment larger than the whole yard goes in when the yard is empty.
  while (!gate_.empty() && (yard_capacity_ == 0 || yard_teu_ == 0 ||
                            yard_teu_ + gate_.front()->teu <= yard_capacity_)) {
    gate_teu_ -= gate_.front()->teu;
    admit(now, gate_.front());
    gate_.pop_front();
  }
}

void Port::advance_yard(SimTime now) {
  yard_area_ += static_cast<double>(yard_teu_) * (now - yard_since_).seconds();
  yard_since_ = now;
}

void Port::on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) {
  if (const auto* c = msg.get_if<Cargo>()) {
    if (!gate_.empty() ||
        (yard_capacity_ > 0 && yard_teu_ > 0 && yard_teu_ + c->shipment->teu > yard_capacity_)) {
      gate_.push_back(c->shipment);
      gate_teu_ += c->shipment->teu;
    } else {
      admit(ctx.now(), c->shipment);
    }
  } else if (const auto* v = msg.get_if<VesselCall>()) {
    const uint64_t call = next_call_++;
    calls_.emplace(call, *v);
    if (const auto job = station_.arrive(ctx.now(), call)) start_service(ctx, job->id);
  }
}

// At a berth: unload this port's cargo (to customs), load what waits here for the ports the
// vessel calls at next, oldest first, as space allows; the cranes' time is the berth time.
void Port::start_service(sim::Context& ctx, uint64_t call) {
  VesselCall& v = calls_.at(call);
  const TradeParams& p = world_->params();
  int moves = 0;
  for (const ShipmentPtr& s : v.unload) {
    s->discharged = ctx.now();
    moves += s->teu;
  }
  VesselReleased released;
  int space = v.free_teu;
  advance_yard(ctx.now());
  for (auto it = yard_.begin(); it != yard_.end() && space > 0;) {
    Shipment& s = **it;
    if ((*it)->teu <= space &&
        std::find(v.ahead.begin(), v.ahead.end(), s.destination) != v.ahead.end()) {
      s.loaded = ctx.now();
      teu_loaded_ += s.teu;
      teu_seconds_ += s.teu * (ctx.now() - s.at_origin).seconds();
      space -= s.teu;
      moves += s.teu;
      yard_teu_ -= s.teu;
      released.loaded.push_back(*it);
      it = yard_.erase(it);
    } else {
      ++it;
    }
  }
  // A port at reduced capacity (a strike, an outage) also works its cranes at that share.
  const double rate = p.crane_moves_per_hour * std::max(0.05, std::min(1.0, capacity_factor_));
  const Duration handling = p.berth_fixed + Duration::from_seconds(3600.0 * moves / rate);
  admit_from_gate(ctx.now());
  v.free_teu = 0;
  calls_.at(call).ahead.clear();
  // The loaded cargo leaves with the vessel when the berth is done (timer tag = call id).
  ctx.set_timer(handling, call);
  released_.emplace(call, std::move(released));
}

void Port::on_timer(sim::Context& ctx, sim::TimerId, uint64_t call) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return;
  VesselCall v = std::move(it->second);
  calls_.erase(it);
  const sim::NodeId customs = world_->customs_of(world_->ports()[index_].country);
  for (const ShipmentPtr& s : v.unload) ctx.send(customs, sim::Message::make(Cargo{s}, 64));
  auto r = released_.find(call);
  ctx.send(v.vessel, sim::Message::make(std::move(r->second), 64));
  released_.erase(r);
  if (const auto next = station_.depart(ctx.now())) start_service(ctx, next->id);
}

void Port::close(sim::Context& ctx) {
  ++closures_;
  apply(ctx);
}
void Port::reopen(sim::Context& ctx) {
  closures_ = std::max(0, closures_ - 1);
  apply(ctx);
}
void Port::add_capacity(sim::Context& ctx, double factor) {
  capacity_.add(factor);
  apply(ctx);
}
void Port::remove_capacity(sim::Context& ctx, double factor) {
  capacity_.remove(factor);
  apply(ctx);
}

// Berths open now: berths x the capacity factors in force (at least one while the factor is
// above zero), or none while a closure is in force.
void Port::apply(sim::Context& ctx) {
  capacity_factor_ = capacity_.product();
  const int servers = open() ? std::max(capacity_factor_ > 0 ? 1 : 0,
                                        static_cast<int>(std::lround(berths_ * capacity_factor_)))
                             : 0;
  for (const sim::Station::Job& job : station_.set_servers(ctx.now(), servers)) {
    start_service(ctx, job.id);
  }
}

// A port's berths, yard and the vessels in it survive a crash of its systems; the work in
// progress restarts when they come back.
void Port::on_start(sim::Context& ctx) {
  for (const auto& [call, r] : released_) ctx.set_timer(world_->params().berth_fixed, call);
}

// ---- Vessel
// --------------------------------------------------------------------------------------

namespace {
constexpr uint64_t kArrive = 1, kRetry = 2, kDepart = 3;
}

Vessel::Vessel(TradeWorld* world, int service, Duration headway, std::vector<uint32_t> rotation,
               size_t start_at, int teu, logistics::RoutingOptions routing,
               Duration first_departure)
    : world_(world),
      service_(service),
      headway_(headway),
      rotation_(std::move(rotation)),
      at_(start_at),
      teu_(teu),
      routing_(std::move(routing)),
      first_departure_(first_departure) {}

// The service starts with the vessel arriving at its first port of call; vessels of one service
// are spread over the loop by their first arrival times.
void Vessel::on_start(sim::Context& ctx) {
  if (leg_baseline_.empty()) {
    // Each leg's length on the open network: re-routing is measured against it.
    for (size_t k = 0; k < rotation_.size(); ++k) {
      const auto& ports = world_->ports();
      const auto r =
          world_->graph().shortest(ports[rotation_[k]].location,
                                   ports[rotation_[(k + 1) % rotation_.size()]].location, routing_);
      if (!r) {
        throw std::invalid_argument("no sea route from " + ports[rotation_[k]].code + " to " +
                                    ports[rotation_[(k + 1) % rotation_.size()]].code);
      }
      leg_baseline_.push_back(r->distance_km);
    }
    arrival_ = ctx.set_timer(first_departure_, kArrive);
  }
}

int Vessel::cargo_teu() const {
  int teu = 0;
  for (const ShipmentPtr& s : cargo_) teu += s->teu;
  return teu;
}

void Vessel::on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) {
  if (tag == kArrive && id == arrival_) {
    arrival_ = sim::kNoTimer;
    arrive(ctx);
  } else if (tag == kRetry || tag == kDepart) {
    sail(ctx);
  }
}

void Vessel::arrive(sim::Context& ctx) {
  route_.reset();
  const uint32_t port = rotation_[at_];
  VesselCall call{ctx.self(), {}, 0, {}};
  std::erase_if(cargo_, [&](const ShipmentPtr& s) {
    if (s->destination != port) return false;
    call.unload.push_back(s);
    return true;
  });
  const int capacity = static_cast<int>(std::floor(teu_ * capacity_.product()));
  call.free_teu = std::max(0, capacity - cargo_teu());
  for (size_t k = 1; k < rotation_.size(); ++k) {
    call.ahead.push_back(rotation_[(at_ + k) % rotation_.size()]);
  }
  ctx.send(world_->ports()[port].node, sim::Message::make(std::move(call), 256));
}

void Vessel::on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) {
  if (const auto* r = msg.get_if<VesselReleased>()) {
    for (const ShipmentPtr& s : r->loaded) cargo_.push_back(s);
    // Held to the service's headway behind the vessel ahead of it.
    const auto last = world_->last_departure(service_, rotation_[at_]);
    const SimTime leave = last ? std::max(ctx.now(), *last + headway_) : ctx.now();
    world_->set_last_departure(service_, rotation_[at_], leave);
    if (leave > ctx.now()) {
      ctx.set_timer(leave - ctx.now(), kDepart);
    } else {
      sail(ctx);
    }
  }
}

// To the next port of call by the fastest open sea route; none open: wait a day and retry.
void Vessel::sail(sim::Context& ctx) {
  const auto& ports = world_->ports();
  const size_t next = (at_ + 1) % rotation_.size();
  const auto route = world_->graph().shortest(ports[rotation_[at_]].location,
                                              ports[rotation_[next]].location, routing_);
  if (!route) {
    waiting_route_ = true;
    ctx.set_timer(kDay, kRetry);
    return;
  }
  waiting_route_ = false;
  const double baseline = leg_baseline_[at_];
  route_ = *route;
  departed_ = ctx.now();
  at_ = next;
  const double extra = std::max(0.0, route->distance_km - baseline);
  const double freight_per_teu = world_->params().freight_per_teu_km * route->distance_km;
  for (const ShipmentPtr& s : cargo_) {
    s->sea_km += route->distance_km;
    s->extra_km += extra;
    s->freight += freight_per_teu * s->teu;
  }
  if (extra > 1.0 && world_->rerouted) {
    world_->rerouted(ctx.self(), extra,
                     route->time - Duration::from_seconds(baseline / route->distance_km *
                                                          route->time.seconds()));
  }
  arrival_ = ctx.set_timer(route->time, kArrive);
}

// At sea when a location closes: if the route passes it ahead, the vessel finishes the leg it
// is on (or turns back, when the leg's end is the closed place) and takes another route.
void Vessel::on_closure(sim::Context& ctx) {
  if (!route_ || arrival_ == sim::kNoTimer) return;
  const logistics::Route& r = *route_;
  const logistics::RouteGraph& graph = world_->graph();
  const double elapsed = (ctx.now() - departed_).seconds();
  size_t done = 0;
  double t = 0;
  while (done < r.legs.size() && t + r.legs[done].time().seconds() <= elapsed) {
    t += r.legs[done].time().seconds();
    ++done;
  }
  bool blocked = false;
  for (size_t k = done + 1; k + 1 < r.stops.size(); ++k) blocked |= !graph.is_open(r.stops[k]);
  if (!blocked) return;
  // Where the new route starts: the end of the current leg, or its start when that is closed.
  size_t from = done;
  double to_start_s = 0, detour_km = 0, detour_s = 0;
  if (done < r.legs.size()) {
    const double into = elapsed - t;
    if (graph.is_open(r.stops[done + 1])) {
      from = done + 1;
      to_start_s = r.legs[done].time().seconds() - into;
    } else {
      const double fraction = into / r.legs[done].time().seconds();
      to_start_s = into;  // back the way it came
      detour_s = 2 * into;
      detour_km = 2 * fraction * r.legs[done].distance_km;
    }
  }
  const logistics::Reroute rr = graph.reroute(r, from, routing_);
  if (rr.status != logistics::RerouteStatus::kRerouted) return;
  ctx.cancel_timer(arrival_);
  const double extra_km = rr.extra_km + detour_km;
  for (const ShipmentPtr& s : cargo_) {
    s->extra_km += extra_km;
    s->sea_km += extra_km;
    s->freight += world_->params().freight_per_teu_km * extra_km * s->teu;
  }
  if (world_->rerouted) {
    world_->rerouted(ctx.self(), extra_km, rr.extra_time + Duration::from_seconds(detour_s));
  }
  route_ = rr.route;
  departed_ = ctx.now() + Duration::from_seconds(to_start_s);
  arrival_ = ctx.set_timer(Duration::from_seconds(to_start_s) + rr.route.time, kArrive);
}

// ---- Air cargo
// -----------------------------------------------------------------------------------

void AirCargo::on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) {
  const auto* c = msg.get_if<Cargo>();
  if (c == nullptr) return;
  Shipment& s = *c->shipment;
  const auto& ports = world_->ports();
  const auto from = world_->airport_of(ports[s.origin].country);
  const auto to = world_->airport_of(ports[s.destination].country);
  logistics::RoutingOptions air;
  air.modes = logistics::ModeSet::only(logistics::Mode::kAir);
  const auto route = from && to ? world_->graph().shortest(*from, *to, air) : std::nullopt;
  // No air route open (closed airports): the shipment waits a day and is tried again.
  if (!route) {
    ctx.send(ctx.self(), sim::Message::make(Cargo{c->shipment}, 64), {.delay = kDay});
    return;
  }
  s.at_origin = s.loaded = ctx.now();
  s.freight += route->cost * s.teu;
  const uint64_t flight = next_++;
  flights_.emplace(flight, c->shipment);
  ctx.set_timer(route->time + kDay + kDay, flight);  // a day of handling at each end
}

void AirCargo::on_timer(sim::Context& ctx, sim::TimerId, uint64_t flight) {
  const auto it = flights_.find(flight);
  if (it == flights_.end()) return;
  ShipmentPtr s = it->second;
  flights_.erase(it);
  s->discharged = ctx.now();
  ctx.send(world_->customs_of(world_->ports()[s->destination].country),
           sim::Message::make(Cargo{s}, 64));
}

// ---- Customs
// -------------------------------------------------------------------------------------

Customs::Customs(TradeWorld* world, std::string country, int officers)
    : world_(world), country_(std::move(country)), station_(officers) {}

void Customs::on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) {
  if (const auto* c = msg.get_if<Cargo>()) {
    c->shipment->customs_in = ctx.now();
    const uint64_t job = next_job_++;
    jobs_.emplace(job, c->shipment);
    if (station_.arrive(ctx.now(), job)) begin(ctx, job);
  }
}

// A document check, and for some an inspection; ledger documents (provenance, certificates and
// sensor records anchored on the ledger) shorten the check and target inspections better.
void Customs::begin(sim::Context& ctx, uint64_t job) {
  const TradeParams& p = world_->params();
  const bool ledger = p.ledger_documents;
  Duration d = lognormal(p.document_check, ctx.rng());
  if (ledger) d = Duration::from_seconds(d.seconds() * p.ledger_document_factor);
  const double inspect = p.inspection_probability * (ledger ? p.ledger_inspection_factor : 1.0);
  if (ctx.rng().bernoulli(inspect)) d = d + lognormal(p.inspection_time, ctx.rng());
  ctx.set_timer(Duration::from_seconds(d.seconds() * slowdown_.product()), job);
}

void Customs::on_timer(sim::Context& ctx, sim::TimerId, uint64_t job) {
  const auto it = jobs_.find(job);
  if (it == jobs_.end()) return;
  ShipmentPtr s = it->second;
  jobs_.erase(it);
  s->cleared = ctx.now();
  ctx.send(s->importer, sim::Message::make(Cargo{s}, 64),
           {.delay = world_->params().inland_delivery});
  if (const auto next = station_.depart(ctx.now())) begin(ctx, next->id);
}

}  // namespace tradesim::trade
