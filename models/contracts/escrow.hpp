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
//       a ScanProof of `tag` at `destination` signed by `scanner_key`, and (unless sensor_key
//       is "": scan only) at least max(1, `min_readings`) temperature readings of `sensor`
//       signed by `sensor_key` with consecutive seq, the first taken by funded_at + max_gap_ns,
//       the last from the scan time - max_gap_ns, each with the id of the anchor transaction
//       of its batch; all before `deadline_ns`. A reading outside [temp_min, temp_max] refuses
//       the delivery for good: status "spoiled" (recorded: "excursions").
//   dispute()                   [buyer] within dispute_window_ns of the delivery, or spoiled
//   release()                   [anyone] after the window: the rest to the seller
//   resolve(seller_bp u64)      [arbiter] a disputed trade: split the rest
//   expire_dispute()            [anyone] disputed for arbiter_timeout_ns: the rest to the buyer
//   refund()                    [anyone] after the deadline, undelivered; [buyer] at once when
//                               spoiled: the rest to the buyer
//   status()                    query: "new", "funded", "spoiled", "delivered", "disputed",
//                               "released", "resolved", "expired" or "refunded"
// Storage: status, buyer, seller, amount, funded_at (from funding), paid (to the seller so far),
// delivered_at, disputed_at, excursions, m/<index>.
ContractType escrow_contract();

}  // namespace tradesim::contracts
