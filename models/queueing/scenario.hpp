// The port-queue model in scenarios: section `actors.port` and the action `close_berths`.
#pragma once

#include "sim/scenario.hpp"

namespace tradesim::queueing {
void register_model(sim::Registry& registry);
}
