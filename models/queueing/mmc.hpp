// The M/M/c port: ships arrive as a Poisson process (a ShipSource node) and are served by c
// berths (a Port node holding a sim::Station) with exponential service times. It is the first
// brick of ports and customs and the model the kernel is validated with against queueing theory.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "sim/engine.hpp"
#include "sim/station.hpp"

namespace tradesim::queueing {

struct MmcParams {
  double arrivals_per_hour = 8;   // lambda
  double services_per_hour = 10;  // mu, per berth
  int berths = 1;                 // c
  sim::Duration warmup = sim::Duration::from_ns(1000 * sim::units::kHour);
  sim::Duration horizon = sim::Duration::from_ns(100000 * sim::units::kHour);  // incl. warm-up
  sim::Duration sample_every = sim::Duration::zero();  // queue-length time series; 0 = none
  bool record_ships = false;                           // one row per ship in /events/ships
  uint64_t seed = 1;
};

// Statistics over [warmup, horizon].
struct MmcResult {
  uint64_t arrivals = 0;
  uint64_t served = 0;
  double arrival_rate_per_hour = 0;  // observed
  double p_wait = 0;                 // share of arrivals that found every berth busy
  double mean_wait_hours = 0;        // Wq
  double mean_sojourn_hours = 0;     // W, of ships that left
  double mean_in_system = 0;         // L, time average
  double mean_in_queue = 0;          // Lq, time average
  double utilisation = 0;
  uint64_t events = 0;
};

struct ShipArrival {
  uint64_t ship;
};

class ShipSource : public sim::Node {
 public:
  ShipSource(sim::NodeId port, double arrivals_per_hour)
      : port_(port), mean_gap_hours_(1.0 / arrivals_per_hour) {}
  void on_start(sim::Context& ctx) override { schedule_next(ctx); }
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t) override {
    ctx.send(port_, sim::Message::make(ShipArrival{next_ship_++}, sizeof(ShipArrival)));
    schedule_next(ctx);
  }
  std::string_view kind() const override { return "ship-source"; }

 private:
  void schedule_next(sim::Context& ctx) {
    ctx.set_timer(sim::Duration::from_seconds(3600.0 * ctx.rng().exponential(mean_gap_hours_)));
  }
  sim::NodeId port_;
  double mean_gap_hours_;
  uint64_t next_ship_ = 0;
};

class Port : public sim::Node {
 public:
  Port(const MmcParams& p);
  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  // The port's records are lost: ships in port are forgotten (counted in port.ships_lost).
  void on_crash(sim::SimTime at) override;
  std::string_view kind() const override { return "port"; }

  MmcResult result(sim::SimTime now) const;
  // Closes (fewer) or reopens (more) berths; ships in service finish, waiting ships start at once
  // on reopened berths.
  void set_berths(sim::Context& ctx, int berths);
  int berths() const { return berths_.servers(); }

 private:
  void begin_service(sim::Context& ctx, const sim::Station::Job& job);
  void update_gauges();

  static constexpr uint64_t kWarmupOver = 0;
  sim::Station berths_;
  double mean_service_hours_;
  sim::Duration warmup_;
  bool record_ships_;
  std::unordered_map<uint64_t, sim::Station::Job> in_service_;
  long double sojourn_sum_hours_ = 0;
  uint64_t departed_after_warmup_ = 0;
  sim::Gauge* queue_gauge_ = nullptr;
  sim::Gauge* busy_gauge_ = nullptr;
  sim::EventTable* ships_ = nullptr;
  sim::Counter* ships_lost_ = nullptr;
};

// Builds a source and a port on `engine` and runs to the horizon.
MmcResult run_mmc(const MmcParams& p, sim::Engine& engine);
MmcResult run_mmc(const MmcParams& p);

}  // namespace tradesim::queueing
