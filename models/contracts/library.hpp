// The contract library (issue 7): every library contract type, for a run's registry.
#pragma once

#include "models/contracts/runtime.hpp"

namespace tradesim::contracts {

// escrow, framework_agreement, invoice_registry, provenance, supply_agreement, reputation.
void add_library(ContractRegistry& registry);

}  // namespace tradesim::contracts
