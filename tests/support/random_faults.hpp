// The random fault schedule of the consensus property tests: from `start` until `stop`, one
// fault after another, each crashing or cutting off `victims` distinct nodes (ids 0..n-1, node i
// at sites[i]) for a uniform [min_length, max_length] s, with a uniform [0.1, 1] s gap between
// faults. Drawn from the seed's "faults" stream, so a seed names its schedule. Returns the
// schedule as text, for failure messages.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/consensus/validator.hpp"
#include "sim/faults.hpp"

namespace tradesim::test {

struct FaultPlan {
  size_t n;        // nodes 0..n-1
  size_t victims;  // per fault
  sim::SimTime start, stop;
  double min_length = 0.2, max_length = 2.0;           // seconds
  std::optional<sim::SimTime> heal_by = std::nullopt;  // every fault ends by then
};

inline std::string schedule_random_faults(sim::Engine& engine,
                                          const std::vector<sim::SiteId>& sites, uint64_t seed,
                                          const FaultPlan& plan) {
  sim::Rng rng(seed, 1000, sim::purpose("faults"));
  std::string schedule;
  if (plan.victims == 0) return " no crashes or partitions";
  sim::SimTime at = plan.start;
  while (at < plan.stop) {
    sim::Duration length =
        sim::Duration::from_seconds(rng.uniform(plan.min_length, plan.max_length));
    if (plan.heal_by) length = std::min(length, *plan.heal_by - at);
    std::vector<sim::NodeId> victims;
    while (victims.size() < plan.victims) {
      const auto v = static_cast<sim::NodeId>(rng.below(plan.n));
      if (std::find(victims.begin(), victims.end(), v) == victims.end()) victims.push_back(v);
    }
    const bool crash = rng.bernoulli(0.5);
    schedule += crash ? " crash" : " cut";
    for (sim::NodeId v : victims) schedule += " " + std::to_string(v);
    schedule += " @" + std::to_string(at.seconds()) + "+" + std::to_string(length.seconds());
    if (crash) {
      sim::faults::crash(engine, victims, at, length);
    } else {
      std::vector<sim::SiteId> cut;
      for (sim::NodeId v : victims) cut.push_back(sites[v]);
      sim::faults::partition(engine, {cut}, at, length);
    }
    at = at + length + sim::Duration::from_seconds(rng.uniform(0.1, 1.0));
  }
  return schedule;
}

// The Byzantine validators of a seed's schedule: none for half the seeds; otherwise between one
// and `max` distinct validators of 0..n-1, each with a behaviour drawn from `behaviours`, faulty
// for the whole run. Drawn from the seed's "byzantine" stream.
inline std::map<uint32_t, consensus::Behaviour> random_byzantine(
    uint64_t seed, size_t n, size_t max, const std::vector<consensus::Behaviour>& behaviours) {
  sim::Rng rng(seed, 1001, sim::purpose("byzantine"));
  std::map<uint32_t, consensus::Behaviour> out;
  if (max == 0 || rng.bernoulli(0.5)) return out;
  const size_t count = 1 + rng.below(max);
  while (out.size() < count) {
    const auto v = static_cast<uint32_t>(rng.below(n));
    if (!out.count(v)) out[v] = behaviours[rng.below(behaviours.size())];
  }
  return out;
}

inline std::string describe(const std::map<uint32_t, consensus::Behaviour>& byzantine) {
  std::string s;
  for (const auto& [v, b] : byzantine) {
    s += " " + std::string(consensus::behaviour_name(b)) + " " + std::to_string(v);
  }
  return s;
}

}  // namespace tradesim::test
