// What every settlement path (correspondent banks, the ledger) shares: the payment order an
// originator gives, the record kept per payment, the messages trade actors see, and the observer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "sim/ids.hpp"
#include "sim/time.hpp"

namespace tradesim::payments {

// Money in minor units (cents) of the payment's currency. Exchange rates are not modelled: a
// payment keeps its currency from end to end.
using Money = int64_t;

enum class Settlement : uint8_t { kCorrespondent, kLedger };
std::string_view settlement_name(Settlement s);

// When the importer pays: with the order (in advance) or once the goods arrived (on delivery).
enum class PaymentTerms : uint8_t { kInAdvance, kOnDelivery };
std::string_view terms_name(PaymentTerms t);

// Who bears the banks' fees: MT103 field 71A (SWIFT): OUR, the originator pays every fee; SHA,
// the originator pays its own bank's fee and every later bank deducts its fee from the amount in
// transit; BEN, every bank, the originator's included, deducts its fee.
enum class ChargeBearer : uint8_t { kOur, kShared, kBeneficiary };
std::string_view charge_bearer_name(ChargeBearer c);

// A payment an originator will make.
struct PaymentOrder {
  uint64_t id = 0;  // unique in the run
  sim::NodeId beneficiary = 0;
  Money amount = 0;  // instructed amount
  std::string currency = "USD";
  PaymentTerms terms = PaymentTerms::kInAdvance;
  // In advance: when the payment is initiated. On delivery: unused; the payer initiates it when
  // a DeliveryConfirmed for this id reaches it.
  sim::SimTime at = sim::SimTime::zero();
  // Correspondent banking only: the beneficiary's bank and who bears the fees.
  sim::NodeId beneficiary_bank = 0;
  ChargeBearer charges = ChargeBearer::kShared;
};

// One row per payment, whatever the settlement path. Conservation: amount_sent = amount_received
// + fees, checked when the record is made.
struct PaymentRecord {
  uint64_t id = 0;
  Settlement settlement = Settlement::kCorrespondent;
  sim::NodeId originator = 0;
  sim::NodeId beneficiary = 0;
  sim::SimTime initiated = sim::SimTime::zero();  // the originator gave the order
  sim::SimTime credited =
      sim::SimTime::zero();     // the beneficiary's account was credited (see docs/payments.md)
  Money amount_sent = 0;        // debited from the originator, the fees it bore included
  Money amount_received = 0;    // credited to the beneficiary
  Money fees = 0;               // every fee taken on the way, whoever bore it
  uint32_t intermediaries = 0;  // banks between the originator's and the beneficiary's bank
  uint32_t hops = 0;            // bank-to-bank transfers (intermediaries + 1; 0 on the ledger)
  sim::Duration settlement_time() const { return credited - initiated; }
};

// Checks amount_sent = amount_received + fees and non-negative amounts; throws std::logic_error
// naming the payment and the figures if not (an invariant of the model, never bad input).
void check_conservation(const PaymentRecord& r);

// Messages. To the beneficiary node once its account is credited:
struct PaymentCredited {
  PaymentRecord record;
};
inline constexpr uint32_t kPaymentCreditedBytes = 128;

// To a payer: the goods of order `payment_id` were delivered; a pay-on-delivery payment is due.
struct DeliveryConfirmed {
  uint64_t payment_id;
};
inline constexpr uint32_t kDeliveryConfirmedBytes = 64;

// What the settlement paths report. Every member may be empty.
struct PaymentObserver {
  // A payment reached the beneficiary's account.
  std::function<void(const PaymentRecord& record)> credited;
  // A bank held a payment for a compliance check.
  std::function<void(sim::NodeId bank, uint64_t payment_id, sim::SimTime at)> compliance_hold;
  // A payment could not proceed (no correspondent route, undeliverable message, wrong bank).
  std::function<void(sim::NodeId node, uint64_t payment_id, std::string_view reason)> rejected;
};

}  // namespace tradesim::payments
