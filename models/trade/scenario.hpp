// The `trade` section of a scenario (the trade world of docs/trade.md), its shocks
// (close_port, close_chokepoint, reduce_capacity, demand_surge, production_stop,
// customs_slowdown) and its metrics.
#pragma once

#include "sim/scenario.hpp"

namespace tradesim::trade {

void register_model(sim::Registry& registry);

}  // namespace tradesim::trade
