// Correspondent banking, the baseline of cross-border payments: a customer credit transfer
// (MT103 / ISO 20022 pacs.008) passes along a chain of banks, each of which processes it within
// its business hours, may hold it for a compliance check, takes its fee and passes it on, until
// the beneficiary's bank credits the beneficiary. CorrespondentNetwork finds the chain.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/payments/calendar.hpp"
#include "models/payments/payer.hpp"
#include "models/payments/payment.hpp"
#include "sim/engine.hpp"
#include "sim/random.hpp"

namespace tradesim::payments {

// A bank's charge for handling one payment: fixed + rate x amount, rounded to the minor unit.
struct FeeSchedule {
  Money fixed = 0;
  double rate = 0;  // a fraction of the amount: 0.001 is 0.1 %
  Money fee(Money amount) const;
};

// A duration drawn per payment: fixed, uniform in [low, high], or lognormal with the given median
// and shape sigma (exp of a normal with mean ln(median) and standard deviation sigma).
struct ProcessingTime {
  enum class Kind : uint8_t { kFixed, kUniform, kLognormal };
  Kind kind = Kind::kFixed;
  sim::Duration low;     // fixed: the value; uniform: the lower bound
  sim::Duration high;    // uniform: the upper bound
  sim::Duration median;  // lognormal
  double sigma = 0;      // lognormal

  static ProcessingTime fixed(sim::Duration d) { return {Kind::kFixed, d, d, d, 0}; }
  static ProcessingTime uniform(sim::Duration low, sim::Duration high) {
    return {Kind::kUniform, low, high, low, 0};
  }
  static ProcessingTime lognormal(sim::Duration median, double sigma) {
    return {Kind::kLognormal, median, median, median, sigma};
  }
  sim::Duration draw(sim::Rng& rng) const;
};

// With probability `probability` a payment is held for a compliance review (sanctions screening,
// anti-money-laundering checks) that adds `delay` of business-hours work.
struct ComplianceCheck {
  double probability = 0;
  ProcessingTime delay = ProcessingTime::fixed(sim::Duration::zero());
};

// What the route finder knows of a bank.
struct BankInfo {
  std::string name;      // "BANK-CNSHA"
  std::string country;   // ISO 3166 code, "CN"
  std::string currency;  // the currency it clears (holds accounts with its central bank), "CNY"
  FeeSchedule fee;       // charged by the bank on every payment it handles
};

// Everything a Bank node needs. The defaults are illustrative, not measured.
struct BankParams {
  BankInfo info;
  CalendarParams calendar;
  ProcessingTime processing = ProcessingTime::lognormal(
      sim::Duration::from_ns(1 * sim::units::kHour), 0.5);  // business-hours work per payment
  ComplianceCheck compliance;
};

// The payment message between banks (MT103 "single customer credit transfer").
struct CreditTransfer {
  uint64_t payment_id = 0;       // field 20, sender's reference (kept end to end, as UETR)
  Money instructed_amount = 0;   // field 33B
  Money amount = 0;              // field 32A: the amount in transit, after deductions so far
  Money originator_charged = 0;  // what the originator is debited: instructed + fees it bore
  Money fees = 0;                // fields 71F/71G: every fee so far, whoever bore it
  std::string currency;          // field 32A
  ChargeBearer charges = ChargeBearer::kShared;  // field 71A
  // The chain, from the originator's bank to the beneficiary's (fields 52-57); `hops` is the
  // position in it of the bank that receives this message, which is also the number of
  // bank-to-bank transfers so far.
  std::vector<sim::NodeId> route;
  uint32_t hops = 0;
  sim::NodeId originator = 0;   // field 50
  sim::NodeId beneficiary = 0;  // field 59
  sim::SimTime initiated = sim::SimTime::zero();
};
// Size on the wire of one message: illustrative (a pacs.008 is a few kilobytes of XML).
inline constexpr uint32_t kCreditTransferBytes = 2048;

// A bank of the correspondent network. It processes each payment independently (no queueing
// between payments: staff capacity is not modelled): on receipt it draws the processing time and
// whether a compliance check holds the payment, finishes that work within its business calendar,
// then takes its fee and forwards the payment to the next bank, or, if it is the beneficiary's
// bank, credits the beneficiary: a PaymentCredited to the beneficiary node and the observer's
// `credited` at that time.
class Bank : public sim::Node {
 public:
  Bank(BankParams params, const PaymentObserver* observer);
  // After a restart (a timeline crash), payments in process are taken up again: they are on
  // stable storage; one whose work was due during the outage leaves at once.
  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  std::string_view kind() const override { return "bank"; }

  const BankInfo& info() const { return params_.info; }
  const BusinessCalendar& calendar() const { return calendar_; }
  uint64_t processed() const { return processed_; }
  uint64_t compliance_holds() const { return compliance_holds_; }
  Money fees_earned() const { return fees_earned_; }
  size_t in_process() const { return in_process_.size(); }

 protected:
  // Takes a payment into processing here: draws the work, the compliance hold, and finishes it
  // within the business calendar (the transfer's route must name this bank at position hops).
  void accept(sim::Context& ctx, const CreditTransfer& t);
  void reject(sim::Context& ctx, uint64_t payment_id, std::string_view reason);

 private:
  // This bank's fee on `t` and who bears it (MT103 field 71A semantics).
  void take_fee(CreditTransfer& t) const;

  BankParams params_;
  BusinessCalendar calendar_;
  const PaymentObserver* observer_;
  uint64_t next_tag_ = 0;
  struct InProcess {
    CreditTransfer transfer;
    sim::SimTime done;
  };
  std::map<uint64_t, InProcess> in_process_;  // by timer tag, in arrival order
  uint64_t processed_ = 0;
  uint64_t compliance_holds_ = 0;
  Money fees_earned_ = 0;
};

// A chain of banks for one payment, from the originator's bank to the beneficiary's.
struct Route {
  std::vector<sim::NodeId> banks;
  Money fees =
      0;  // the banks' fees summed, each on the instructed amount (an estimate for SHA/BEN)
  uint32_t hops() const { return banks.empty() ? 0 : static_cast<uint32_t>(banks.size() - 1); }
  uint32_t intermediaries() const {
    return banks.size() < 2 ? 0 : static_cast<uint32_t>(banks.size() - 2);
  }
};

// Banks and their correspondent relationships (one holds an account with the other: nostro /
// vostro; undirected here). A payment in currency C must pass through a bank that clears C
// (the originator's or beneficiary's own, or a correspondent in C's country): a USD payment from
// Shanghai to Rotterdam goes through a US bank even when the two hold accounts with each other.
class CorrespondentNetwork {
 public:
  // Throws std::invalid_argument on a duplicate id or an unknown bank.
  void add_bank(sim::NodeId id, BankInfo info);
  void add_relationship(sim::NodeId a, sim::NodeId b);
  bool has_bank(sim::NodeId id) const { return banks_.count(id) != 0; }
  const BankInfo& bank(sim::NodeId id) const;
  bool related(sim::NodeId a, sim::NodeId b) const;
  size_t size() const { return banks_.size(); }

  // The chain with the fewest hops that passes through a bank clearing `currency`, ties broken
  // by the lowest total fee on `amount`, then by the lowest bank ids in order; no bank twice.
  // At most `max_hops` bank-to-bank transfers. A payment within one bank is the route {from}.
  // Nothing if there is no such chain.
  std::optional<Route> route(sim::NodeId from, sim::NodeId to, std::string_view currency,
                             Money amount, uint32_t max_hops = 6) const;

 private:
  struct Entry {
    BankInfo info;
    std::set<sim::NodeId> correspondents;  // ordered: the search is deterministic
  };
  std::map<sim::NodeId, Entry> banks_;
};

// An originator whose bank sends its payments through the correspondent network: when an order
// is due it asks the network for a chain from its own bank to the order's beneficiary bank and
// sends the credit transfer to its own bank.
class CorrespondentPayer : public Payer {
 public:
  // `network` must outlive the node.
  CorrespondentPayer(std::vector<PaymentOrder> orders, sim::NodeId own_bank,
                     const CorrespondentNetwork* network, const PaymentObserver* observer);
  std::string_view kind() const override { return "payer"; }

 protected:
  void initiate(sim::Context& ctx, const PaymentOrder& order) override;

 private:
  sim::NodeId own_bank_;
  const CorrespondentNetwork* network_;
  const PaymentObserver* observer_;
};

// The credit transfer an originator hands to the first bank of `route` for `order`.
CreditTransfer make_credit_transfer(const PaymentOrder& order, sim::NodeId originator,
                                    const Route& route, sim::SimTime now);

}  // namespace tradesim::payments
