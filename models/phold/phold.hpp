// PHOLD (Fujimoto 1990), the standard benchmark of discrete-event engines, with ROSS's semantics
// and parameter names: each LP starts with `start_events` events; an event at LP i schedules one
// event at t + lookahead + Exp(mean - lookahead), to an LP drawn uniformly among all LPs with
// probability `remote`, else to i itself. It runs on the Node/Context API like every model.
#pragma once

#include <cstdint>

#include "sim/engine.hpp"

namespace tradesim::phold {

struct Params {
  uint32_t lps = 1024;
  uint32_t start_events = 16;
  double remote = 0.1;     // probability that the next event goes to a uniformly chosen LP
  double mean = 1.0;       // mean total increment, seconds
  double lookahead = 0.1;  // minimum increment, seconds
  double end = 1000.0;     // seconds
  uint64_t seed = 1;
};

// Throws std::invalid_argument naming the bad parameter.
void validate(const Params& p);

class LogicalProcess : public sim::Node {
 public:
  // LPs have ids first_id .. first_id + lps - 1.
  explicit LogicalProcess(const Params& p, sim::NodeId first_id = 0)
      : first_id_(first_id),
        lps_(p.lps),
        remote_(p.remote),
        lookahead_(sim::Duration::from_seconds(p.lookahead)),
        exp_mean_s_(p.mean - p.lookahead),
        start_events_(p.start_events) {}

  void on_start(sim::Context& ctx) override {
    for (uint32_t k = 0; k < start_events_; ++k)
      ctx.send(ctx.self(), {}, {.delay = increment(ctx)});
  }
  void on_message(sim::Context& ctx, sim::NodeId, const sim::Message&) override {
    ++processed_;
    sim::Rng& rng = ctx.rng();
    const sim::NodeId dest = rng.uniform() <= remote_
                                 ? first_id_ + static_cast<sim::NodeId>(rng.below(lps_))
                                 : ctx.self();
    ctx.send(dest, {}, {.delay = increment(ctx)});
  }
  std::string_view kind() const override { return "phold-lp"; }
  uint64_t processed() const { return processed_; }

 private:
  sim::Duration increment(sim::Context& ctx) {
    return lookahead_ + sim::Duration::from_seconds(ctx.rng().exponential(exp_mean_s_));
  }

  sim::NodeId first_id_;
  uint32_t lps_;
  double remote_;
  sim::Duration lookahead_;
  double exp_mean_s_;
  uint32_t start_events_;
  uint64_t processed_ = 0;
};

struct Result {
  uint64_t events = 0;
  double wall_seconds = 0;
  uint64_t checksum = 0;  // over per-LP processed counts: equal runs give equal checksums
};

// Builds the LPs on an ideal network and runs until `end`.
Result run(const Params& p);

}  // namespace tradesim::phold
