// Building and running a PHOLD world.
#include "models/phold/phold.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

namespace tradesim::phold {

void validate(const Params& p) {
  if (p.lps == 0 || p.lps >= sim::kMaxNodes) {
    throw std::invalid_argument("--lps must be between 1 and " +
                                std::to_string(sim::kMaxNodes - 1));
  }
  if (!(p.remote >= 0 && p.remote <= 1)) throw std::invalid_argument("--remote must be in [0, 1]");
  if (!(p.lookahead >= 0)) throw std::invalid_argument("--lookahead must not be negative");
  if (!(p.mean >= p.lookahead)) throw std::invalid_argument("--mean must be at least --lookahead");
  if (!(p.end > 0)) throw std::invalid_argument("--end must be positive");
}

Result run(const Params& p) {
  validate(p);
  const auto t0 = std::chrono::steady_clock::now();
  sim::Engine engine(p.seed);
  for (sim::NodeId id = 0; id < p.lps; ++id) engine.emplace_node<LogicalProcess>(id, 0, p);
  engine.run({.until = sim::SimTime::zero() + sim::Duration::from_seconds(p.end)});
  const auto t1 = std::chrono::steady_clock::now();
  Result r;
  r.events = engine.stats().events;
  r.wall_seconds = std::chrono::duration<double>(t1 - t0).count();
  for (sim::NodeId id = 0; id < p.lps; ++id) {
    r.checksum =
        r.checksum * 1000003ULL + static_cast<LogicalProcess&>(engine.node(id)).processed();
  }
  return r;
}

}  // namespace tradesim::phold
