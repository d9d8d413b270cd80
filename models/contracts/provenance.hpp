// Provenance registry (issue 7): each item's identity (its RFID tag) registered at origin, its
// events (production, transport, sale) and ownership transfers, each by the current owner; a
// query returns the whole history; an item whose history skips an expected stage, or whose
// identity was registered twice, is flagged as a suspected counterfeit.
#pragma once

#include "models/contracts/runtime.hpp"

namespace tradesim::contracts {

// Type "provenance". Parameter `stages`: the expected sequence, comma-separated (default
// "production,transport,sale"); a stage may repeat (two legs of transport), and may not skip
// one or go back. Parameter `producers`: comma-separated accounts that may register (default
// "": anyone). Methods:
//   register(tag u64)                 [a producer] the caller becomes the owner; a tag already
//                                     registered is flagged "duplicate" (not reverted).
//   event(tag u64, stage string)      [owner] appends; an unexpected stage flags "gap".
//   transfer(tag u64, to u64)         [owner] appends an ownership transfer.
//   history(tag u64)                  query: one line per entry, "<height> <kind> <who> <what>".
//   suspect(tag u64)                  query: "" if genuine, else the reasons ("duplicate",
//                                     "gap", "incomplete" if the last stage is not reached).
ContractType provenance_contract();

}  // namespace tradesim::contracts
