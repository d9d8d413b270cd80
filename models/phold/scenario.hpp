// PHOLD in scenarios: the section `phold`.
#pragma once

#include "sim/scenario.hpp"

namespace tradesim::phold {
void register_model(sim::Registry& registry);
}
