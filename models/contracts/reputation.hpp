// C2C reputation (issue 7): sellers stake to be rated; a rating is accepted only from the buyer
// of a completed (released) escrow trade with that seller, once per trade, weighted by the
// trade's value and the rater's history; the score is computed on the ledger.
#pragma once

#include "models/contracts/runtime.hpp"

namespace tradesim::contracts {

// Type "reputation". Methods:
//   stake()                        [seller] attach any amount; it stays locked (the Sybil cost)
//   rate(escrow u64, score u64)    [buyer] score 1..5; the escrow instance must be of type
//       "escrow", released, bought by the caller from a seller with at least `min_stake`.
//       Weight = trade amount x (1 + min(ratings the rater gave before, max_rater_bonus)).
//   score(seller u64)              query: weighted mean x 1000 ("0" unrated)
//   stake_of(seller u64)           query
ContractType reputation_contract();

}  // namespace tradesim::contracts
