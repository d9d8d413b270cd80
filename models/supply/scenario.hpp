// The serial supply chain in scenarios: section `supply_chain` (the beer game and its
// order-up-to variants, stretched across sites and countries) and the action `demand_surge`.
#pragma once

#include "sim/scenario.hpp"

namespace tradesim::supply {
void register_model(sim::Registry& registry);
}
