// B2B supply agreement (issue 7): a quantity at a unit price within a delivery window, under a
// temperature limit; the supplier posts a bond; at delivery the contract computes the penalties
// (per day late, per excursion, the shortfall refunded) and pays them from the bond.
#pragma once

#include "models/contracts/runtime.hpp"

namespace tradesim::contracts {

// Type "supply_agreement". Methods:
//   post_bond()   [supplier] attach exactly `bond`
//   pay()         [buyer] attach exactly quantity x unit_price, after the bond
//   deliver(quantity u64, {reading bytes, anchor bytes}...)  [supplier] from window_start_ns;
//       readings of `sensor` (none if sensor is 0) verified against `sensor_key`, with
//       consecutive seq, the first taken by paid_at + max_gap_ns, the last from now -
//       max_gap_ns; settles at once:
//       days late = ceil((now - window_end_ns) / 1 day), at least 0;
//       penalty = min(bond, days late x penalty_per_day + excursions x penalty_per_excursion);
//       buyer gets penalty + (quantity - delivered) x unit_price; supplier gets
//       delivered x unit_price + bond - penalty.
//   claim_default()  [anyone] no delivery by window_end_ns + max_late_days: the buyer gets the
//       payment back and the whole bond.
//   withdraw_bond()  [supplier] still unpaid after pay_by_ns (default window_start_ns): the
//       bond goes back.
//   status()      query: "new", "bonded", "active", "settled", "defaulted" or "withdrawn"
// Storage: status, paid_at, penalty, days_late, excursions, delivered.
ContractType supply_agreement_contract();

}  // namespace tradesim::contracts
