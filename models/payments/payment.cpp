// Names of the payment enums and the money-conservation check.
#include "models/payments/payment.hpp"

#include <stdexcept>
#include <string>

namespace tradesim::payments {

std::string_view settlement_name(Settlement s) {
  switch (s) {
    case Settlement::kCorrespondent:
      return "correspondent";
    case Settlement::kLedger:
      return "ledger";
  }
  return "?";
}

std::string_view terms_name(PaymentTerms t) {
  switch (t) {
    case PaymentTerms::kInAdvance:
      return "in_advance";
    case PaymentTerms::kOnDelivery:
      return "on_delivery";
  }
  return "?";
}

std::string_view charge_bearer_name(ChargeBearer c) {
  switch (c) {
    case ChargeBearer::kOur:
      return "OUR";
    case ChargeBearer::kShared:
      return "SHA";
    case ChargeBearer::kBeneficiary:
      return "BEN";
  }
  return "?";
}

void check_conservation(const PaymentRecord& r) {
  if (r.amount_sent != r.amount_received + r.fees || r.amount_received < 0 || r.fees < 0) {
    throw std::logic_error("payment " + std::to_string(r.id) + ": money not conserved: sent " +
                           std::to_string(r.amount_sent) + " != received " +
                           std::to_string(r.amount_received) + " + fees " + std::to_string(r.fees));
  }
}

}  // namespace tradesim::payments
