// The port's berths: arrivals join the station, completions start the next ship in line.
#include "models/queueing/mmc.hpp"

#include <stdexcept>

namespace tradesim::queueing {

Port::Port(const MmcParams& p)
    : berths_(p.berths),
      mean_service_hours_(1.0 / p.services_per_hour),
      warmup_(p.warmup),
      record_ships_(p.record_ships) {}

void Port::on_start(sim::Context& ctx) {
  queue_gauge_ =
      &ctx.metrics().sampled_gauge("port.queue_length", "ships", "ships waiting for a berth");
  busy_gauge_ = &ctx.metrics().sampled_gauge("port.berths_busy", "berths", "berths serving a ship");
  if (record_ships_) {
    ships_ = &ctx.metrics().table(
        "ships", "one row per ship that left the port",
        {{"ship", sim::ColumnType::kInt, "1", "ship number, in order of arrival"},
         {"arrival_ns", sim::ColumnType::kInt, "ns", "arrival at the anchorage"},
         {"berth_ns", sim::ColumnType::kInt, "ns", "start of service at a berth"},
         {"departure_ns", sim::ColumnType::kInt, "ns", "end of service"},
         {"wait_h", sim::ColumnType::kFloat, "h", "time waiting for a berth"}});
  }
  ships_lost_ = &ctx.metrics().counter("port.ships_lost", "ships",
                                       "ships in port forgotten when the port crashed");
  // Started again after a crash: the warm-up is over or its timer is still to come.
  if (ctx.now() < sim::SimTime::zero() + warmup_)
    ctx.set_timer(warmup_ - ctx.now().since_start(), kWarmupOver);
  update_gauges();
}

void Port::on_crash(sim::SimTime at) {
  in_service_.clear();
  const size_t lost = berths_.clear(at);
  if (ships_lost_ != nullptr) ships_lost_->add(static_cast<int64_t>(lost));
}

void Port::on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) {
  const ShipArrival& ship = msg.get<ShipArrival>();
  if (auto job = berths_.arrive(ctx.now(), ship.ship)) begin_service(ctx, *job);
  update_gauges();
}

void Port::begin_service(sim::Context& ctx, const sim::Station::Job& job) {
  in_service_.emplace(job.id, job);
  const double hours = ctx.rng().exponential(mean_service_hours_);
  ctx.set_timer(sim::Duration::from_seconds(3600.0 * hours), job.id + 1);
}

void Port::on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) {
  if (tag == kWarmupOver) {
    berths_.reset_statistics(ctx.now());
    sojourn_sum_hours_ = 0;
    departed_after_warmup_ = 0;
    return;
  }
  const auto it = in_service_.find(tag - 1);
  if (it == in_service_.end()) throw std::logic_error("port: completion of a ship not in service");
  const sim::Station::Job done = it->second;
  in_service_.erase(it);
  if (done.arrival >= sim::SimTime::zero() + warmup_) {
    sojourn_sum_hours_ += (ctx.now() - done.arrival).hours();
    ++departed_after_warmup_;
  }
  if (ships_ != nullptr) {
    ships_->append({static_cast<int64_t>(done.id), done.arrival, done.service_start, ctx.now(),
                    (done.service_start - done.arrival).hours()});
  }
  if (auto next = berths_.depart(ctx.now())) begin_service(ctx, *next);
  update_gauges();
}

void Port::set_berths(sim::Context& ctx, int berths) {
  for (const sim::Station::Job& job : berths_.set_servers(ctx.now(), berths))
    begin_service(ctx, job);
  update_gauges();
}

void Port::update_gauges() {
  queue_gauge_->set(static_cast<double>(berths_.queue_length()));
  busy_gauge_->set(berths_.busy());
}

MmcResult Port::result(sim::SimTime now) const {
  MmcResult r;
  const double hours = (now - (sim::SimTime::zero() + warmup_)).hours();
  r.arrivals = berths_.arrivals();
  r.served = berths_.services_started();
  r.arrival_rate_per_hour = hours > 0 ? static_cast<double>(r.arrivals) / hours : 0;
  r.p_wait = r.arrivals ? static_cast<double>(berths_.arrivals_waited()) / r.arrivals : 0;
  r.mean_wait_hours = berths_.mean_wait_hours();
  r.mean_sojourn_hours =
      departed_after_warmup_ ? static_cast<double>(sojourn_sum_hours_ / departed_after_warmup_) : 0;
  r.mean_in_system = berths_.mean_in_system(now);
  r.mean_in_queue = berths_.mean_in_queue(now);
  r.utilisation = berths_.utilisation(now);
  return r;
}

MmcResult run_mmc(const MmcParams& p, sim::Engine& engine) {
  if (!(p.arrivals_per_hour > 0 && p.services_per_hour > 0 && p.berths >= 1)) {
    throw std::invalid_argument("M/M/c needs positive rates and at least one berth");
  }
  if (!(p.warmup < p.horizon))
    throw std::invalid_argument("the warm-up must end before the horizon");
  constexpr sim::NodeId kPort = 0, kSource = 1;
  auto& port = engine.emplace_node<Port>(kPort, 0, p);
  engine.emplace_node<ShipSource>(kSource, 0, kPort, p.arrivals_per_hour);
  if (p.sample_every > sim::Duration::zero()) engine.sample_metrics_every(p.sample_every);
  const sim::SimTime end = sim::SimTime::zero() + p.horizon;
  engine.run({.until = end});
  MmcResult r = port.result(end);
  r.events = engine.stats().events;
  return r;
}

MmcResult run_mmc(const MmcParams& p) {
  sim::Engine engine(p.seed);
  return run_mmc(p, engine);
}

}  // namespace tradesim::queueing
