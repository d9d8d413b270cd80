// The contract library's registration (see library.hpp).
#include "models/contracts/library.hpp"

#include "models/contracts/escrow.hpp"
#include "models/contracts/framework_agreement.hpp"
#include "models/contracts/invoice_registry.hpp"
#include "models/contracts/provenance.hpp"
#include "models/contracts/reputation.hpp"
#include "models/contracts/supply_agreement.hpp"

namespace tradesim::contracts {

void add_library(ContractRegistry& registry) {
  registry.add(escrow_contract());
  registry.add(framework_agreement_contract());
  registry.add(invoice_registry_contract());
  registry.add(provenance_contract());
  registry.add(supply_agreement_contract());
  registry.add(reputation_contract());
}

}  // namespace tradesim::contracts
