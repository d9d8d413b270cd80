// Escrow and letter of credit (issue 7): the buyer funds the price; milestones release parts of
// it; proof of delivery (an RFID scan at the destination checkpoint and a clean temperature
// record) opens a dispute window, after which the rest goes to the seller; before delivery, the
// deadline passing lets the buyer take back what is left.
#pragma once

#include "models/contracts/runtime.hpp"

namespace tradesim::contracts {

// Type "escrow". Methods (caller in brackets):
//   fund()                      [buyer] attach exactly `amount`
//   milestone(index u64)        [buyer] pays milestones[index] basis points of amount, once
//   deliver(scan bytes, scan_anchor bytes, {reading bytes, reading_anchor bytes}...)  [anyone]
//       a ScanProof of `tag` at `destination` signed by `scanner_key`, and at least
//       `min_readings` temperature readings of `sensor` (ascending seq) signed by `sensor_key`,
//       each with the id of the anchor transaction of its batch; all before `deadline_ns`. A
//       reading outside [temp_min, temp_max] refuses the delivery (recorded: "excursions").
//   dispute()                   [buyer] within dispute_window_ns of the delivery
//   release()                   [anyone] after the window: the rest to the seller
//   resolve(seller_bp u64)      [arbiter] a disputed trade: split the rest
//   refund()                    [anyone] after the deadline, undelivered: the rest to the buyer
//   status()                    query: "new", "funded", "delivered", "disputed", "released",
//                               "resolved" or "refunded"
// Storage: status, buyer, seller, amount (from funding), paid (to the seller so far),
// delivered_at, excursions, m/<index>.
ContractType escrow_contract();

}  // namespace tradesim::contracts
