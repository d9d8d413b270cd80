// The `consortium` section: validators running one protocol, placed on network sites, and ledger
// clients offering load; the `byzantine` timeline action; per-block, per-transaction and
// per-message metrics.
#pragma once

#include "sim/scenario.hpp"

namespace tradesim::consensus {

void register_model(sim::Registry& registry);

}  // namespace tradesim::consensus
