// Framework supply agreements between importers and their exporters (every order has a due date;
// late or out-of-spec deliveries owe a penalty) and invoice financing by banks (a fraudulent
// exporter may present an invoice twice). With the consortium's ledger and the `contracts`
// section, penalties are paid from bonds by framework_agreement instances and banks check the
// invoice_registry before advancing; without it, claims take months and banks see only their
// own books (docs/trade.md, "Supply agreements and invoice financing").
#pragma once

#include <cstdint>
#include <vector>

#include "models/trade/trade.hpp"
#include "sim/scenario.hpp"

namespace tradesim::trade {

struct AgreementParams {
  bool enabled = false;
  sim::Duration delivery = sim::Duration::from_ns(75 * sim::units::kDay);  // promised lead time
  double penalty_per_day = 0.005;  // share of the order value per day late
  double penalty_cap = 0.10;       // the lateness penalty's cap, share of the order value
  double quality_penalty = 0.05;   // per order out of spec, share of the order value
  double bond = 0.05;              // share of the expected annual value of the agreement
  // From the start of the run: no order is placed under an agreement after it; with the ledger
  // each supplier releases its bond once no order under it is open.
  sim::Duration term = sim::Duration::from_ns(365 * sim::units::kDay);
  sim::Duration claim_delay = sim::Duration::from_ns(90 * sim::units::kDay);
  double claim_cost = 1500;     // USD per manual claim
  double claim_recovery = 0.6;  // probability a manual claim is paid
};

struct FinancingParams {
  bool enabled = false;
  double share = 0.5;         // of invoices financed
  double advance_rate = 0.8;  // advance as a share of the invoice
  int banks = 3;
};

// Reads trade.agreements and trade.financing; when either is enabled adds the `contract-desk`
// node (the parties' systems: claims, bank checks, ledger calls) and sets world.contracts. With
// `ledger`, needs the `contracts` section (diagnostic otherwise). Returns false on a diagnostic.
bool build_contracts(sim::World& world, TradeWorld& trade, const std::vector<Importer*>& importers,
                     const std::vector<sim::NodeId>& importer_ids,
                     const std::vector<sim::NodeId>& exporter_ids, sim::SiteId site, bool ledger);

// The scenario keys under `trade`: agreements and financing.
std::vector<sim::Field> contract_fields();

}  // namespace tradesim::trade
