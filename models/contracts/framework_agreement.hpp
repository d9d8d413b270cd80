// A framework supply agreement between one buyer and one supplier covering many orders: the
// supplier's bond sits in the instance's balance; the buyer registers each order with its value
// and due date, and the delivery confirmation computes the penalty and pays it from the bond in
// the same call (docs/contracts.md, docs/trade.md "Supply agreements").
#pragma once

#include <cstdint>

#include "models/contracts/runtime.hpp"

namespace tradesim::contracts {

// Penalty for one order, in the order value's units: basis points of the value per day late
// (days late = ceil((delivered - due) / 1 day), 0 when on time), capped at cap_bp of the value,
// plus defect_bp of the value when the goods were out of specification. The same function is
// used by the contract and by the trade world's claims without a ledger.
int64_t framework_penalty(int64_t value, int64_t due_ns, int64_t delivered_ns, bool out_of_spec,
                          int64_t per_day_bp, int64_t cap_bp, int64_t defect_bp);
// Whole days late (rounded up), 0 when on time.
int64_t framework_days_late(int64_t due_ns, int64_t delivered_ns);

// Parameters: buyer, supplier, confirmer (an extra account allowed to confirm deliveries: the
// port of discharge's scanner, 0: none), penalty_per_day_bp, penalty_cap_bp, defect_bp.
// Methods: `order(id, value, due_ns)` (buyer), `delivered(id, out_of_spec)` (buyer or confirmer,
// once per order: pays min(penalty, bond left) to the buyer), `top_up` (supplier, value attached),
// `release` (supplier, after every registered order was settled: the bond left back),
// queries `settlement(id)` ("<days_late> <penalty_due> <penalty_paid>" or ""), `bond`.
ContractType framework_agreement_contract();

}  // namespace tradesim::contracts
