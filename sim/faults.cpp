// Timed faults as pairs of kernel actions.
#include "sim/faults.hpp"

#include <memory>

namespace tradesim::sim::faults {

namespace {
bool ends(SimTime at, Duration duration) {
  return duration != Duration::max() && at.ns() <= SimTime::max().ns() - duration.ns();
}
}  // namespace

void crash(Engine& engine, std::vector<NodeId> nodes, SimTime at, Duration duration) {
  for (NodeId id : nodes) {
    if (!engine.has_node(id))
      throw std::out_of_range("crash: no node with id " + std::to_string(id));
  }
  engine.schedule(at, [&engine, nodes] {
    for (NodeId id : nodes) engine.crash(id);
  });
  if (ends(at, duration)) {
    engine.schedule(at + duration, [&engine, nodes] {
      for (NodeId id : nodes) engine.restart(id);
    });
  }
}

void partition(Engine& engine, std::vector<std::vector<SiteId>> groups, SimTime at,
               Duration duration) {
  auto id = std::make_shared<uint32_t>(0);
  engine.schedule(at, [&engine, groups, id] { *id = engine.network().partition(groups); });
  if (ends(at, duration)) {
    engine.schedule(at + duration, [&engine, id] { engine.network().heal(*id); });
  }
}

void degrade_link(Engine& engine, SiteId a, SiteId b, LinkSpec degraded, SimTime at,
                  Duration duration) {
  engine.network().link(a, b);  // throws now, not at `at`, if there is no such link
  auto saved = std::make_shared<LinkSpec>();
  engine.schedule(at, [&engine, a, b, degraded, saved] {
    *saved = engine.network().update_link(a, b, degraded);
  });
  if (ends(at, duration)) {
    engine.schedule(at + duration,
                    [&engine, a, b, saved] { engine.network().update_link(a, b, *saved); });
  }
}

}  // namespace tradesim::sim::faults
