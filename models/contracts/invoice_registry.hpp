// Invoice registry (issue 7): an invoice, identified by the hash of its document, can be
// financed once; a second financing request, by any financier, is refused and recorded.
#pragma once

#include "models/contracts/runtime.hpp"

namespace tradesim::contracts {

// Type "invoice_registry". Methods:
//   finance(invoice_hash bytes, issuer u64)  [financier] attach the advance, paid to the issuer.
//       A hash financed before: the attached advance goes back to the caller, the attempt is
//       stored (attempts/<hash hex>/<n> = financier) and "double_financing" is emitted.
//   financier(invoice_hash bytes)  query: the first financier's account, or "".
//   attempts(invoice_hash bytes)   query: refused attempts.
ContractType invoice_registry_contract();

}  // namespace tradesim::contracts
