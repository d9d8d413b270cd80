// Timed faults, as the scenario timeline schedules them: crash and restart nodes, partition and
// heal sites, degrade and restore links. Each applies at `at` and is undone after `duration`
// (Duration::max() = never undone).
#pragma once

#include <vector>

#include "sim/engine.hpp"

namespace tradesim::sim::faults {

void crash(Engine& engine, std::vector<NodeId> nodes, SimTime at, Duration duration);
void partition(Engine& engine, std::vector<std::vector<SiteId>> groups, SimTime at,
               Duration duration);
// Replaces the link's properties by `degraded`, then restores the ones it had at `at`.
void degrade_link(Engine& engine, SiteId a, SiteId b, LinkSpec degraded, SimTime at,
                  Duration duration);

}  // namespace tradesim::sim::faults
