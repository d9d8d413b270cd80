// A framework supply agreement between one buyer and one supplier covering many orders: the
// supplier's bond sits in the instance's balance; the buyer registers each order with its value
// and due date, and the delivery, proven by an anchored RFID scan (or, without a scanner key,
// confirmed by the buyer), computes the penalty and pays it from the bond in the same call
// (docs/contracts.md, docs/trade.md "Supply agreements").
#pragma once

#include <cstdint>
#include <optional>

#include "models/contracts/runtime.hpp"

namespace tradesim::contracts {

// Penalty for one order, in the order value's units: basis points of the value per day late
// (days late = ceil((delivered - due) / 1 day), 0 when on time), capped at cap_bp of the value,
// plus defect_bp of the value when the goods were out of specification. The same function is
// used by the contract and by the trade world's claims without a ledger. Null when a figure is
// negative or a product overflows 64 bits (the contract then fails the call).
std::optional<int64_t> framework_penalty(int64_t value, int64_t due_ns, int64_t delivered_ns,
                                         bool out_of_spec, int64_t per_day_bp, int64_t cap_bp,
                                         int64_t defect_bp);
// Whole days late (rounded up), 0 when on time; exact for any two times.
int64_t framework_days_late(int64_t due_ns, int64_t delivered_ns);

// Parameters: buyer, supplier, confirmer (an extra account allowed to confirm deliveries
// without a scanner, 0: none), scanner_key (hex key of the neutral receiving scanner; "": the
// buyer's or confirmer's word at block time), destination (checkpoint of that scan, 4: the
// buyer's receiving warehouse), penalty_per_day_bp, penalty_cap_bp, defect_bp.
// Methods:
//   order(id u64, value i64, due_ns i64)  [buyer] registers an order; its RFID tag is its id.
//   delivered(id u64, out_of_spec u64)    [buyer or confirmer] without a scanner key: delivered
//       at the block time.
//   delivered(id u64, out_of_spec u64, scan bytes, scan_anchor bytes)  [anyone] with a scanner
//       key: a ScanProof of tag `id` at `destination` signed by `scanner_key` and anchored by
//       the transaction `scan_anchor`; delivered at the scan's time (not after the block).
//     Either way once per order: pays min(penalty, bond left) to the buyer.
//   top_up()   [supplier] value attached.
//   release()  [supplier] when no registered order is open: the bond left back; no orders after.
//   settlement(id) query: "<days_late> <penalty_due> <penalty_paid>" or ""; bond() query.
ContractType framework_agreement_contract();

}  // namespace tradesim::contracts
