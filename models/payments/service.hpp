// Payments as a service for any model's nodes: an importer (any node) sends a PayRequest to its
// country's payment access node, and the payee receives a PaymentCredited when the money
// arrives. Behind the access nodes: correspondent banking (a domestic bank per country and
// clearing banks per currency) or settlement on the consortium's ledger (a gateway per country),
// chosen by the `payments:` keys a model embeds in its own scenario section.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/payments/correspondent.hpp"
#include "models/payments/ledger_settlement.hpp"
#include "models/payments/payment.hpp"
#include "sim/scenario.hpp"

namespace tradesim::payments {

// Sent by any node (an importer paying an exporter) to its payment access node.
struct PayRequest {
  uint64_t payment_id;  // unique in the run
  sim::NodeId payee;
  std::string payee_country;  // ISO 3166 code of the payee's bank, one of the service's countries
  Money amount;               // minor units of `currency`, positive
  std::string currency;       // ISO 4217
  PaymentTerms terms;         // recorded; the payer chose when to send the request
};
inline constexpr uint32_t kPayRequestBytes = 256;

// A country the service serves: its time zone and its currency.
struct Country {
  std::string code;         // ISO 3166, "CN"
  double utc_offset_hours;  // hours east of UTC, as CalendarParams
  std::string currency;     // ISO 4217, "CNY"
};

// The keys of a `payments:` object that a model embeds in its own section:
// Field::object("payments", "...", payments::service_fields()). See docs/payments.md.
std::vector<sim::Field> service_fields();

// What the access nodes report besides the settlement paths' PaymentObserver.
struct ServiceObserver {
  PaymentObserver payments;
  // An access node accepted a request from `payer`: the payment is initiated.
  std::function<void(sim::NodeId access_node, sim::NodeId payer, const PayRequest& request,
                     sim::SimTime at)>
      requested;
};

class PaymentService {
 public:
  // Builds the bank nodes (correspondent) or ledger gateway nodes (ledger) for these countries
  // into the world, reading the keys under `path` (e.g. "trade.payments"); errors go to
  // world.diagnostics() with the key's position, and then nothing is returned.
  // `default_site` places the banks or gateways when the `site` key is empty (the site of the
  // model's own nodes, so that they reach them).
  static std::shared_ptr<PaymentService> build(sim::World& world, const std::string& path,
                                               const std::vector<Country>& countries,
                                               sim::SiteId default_site = 0);
  // Where a node in `country` sends PayRequest. Throws std::invalid_argument for a country the
  // service was not built for.
  sim::NodeId access_node(const std::string& country) const;
  Settlement settlement() const { return settlement_; }

  // Correspondent mode: the banks and their relationships (empty on the ledger).
  const CorrespondentNetwork& network() const { return network_; }
  // Totals so far, as in the run file.
  uint64_t requests() const { return requests_; }
  uint64_t credited() const { return static_cast<uint64_t>(times_to_credit_h_.size()); }
  uint64_t rejections() const { return rejections_; }
  uint64_t compliance_holds() const { return compliance_holds_; }
  Money fees_total() const { return fees_total_; }

  PaymentService(const PaymentService&) = delete;
  PaymentService& operator=(const PaymentService&) = delete;

 private:
  PaymentService() = default;
  bool build_correspondent(sim::World& world, const std::string& path,
                           const std::vector<Country>& countries, sim::SiteId site);
  bool build_ledger(sim::World& world, const std::string& path,
                    const std::vector<Country>& countries, sim::SiteId site);
  void record(const PaymentRecord& r);
  void write_summary(sim::Metrics& m) const;

  Settlement settlement_ = Settlement::kCorrespondent;
  std::map<std::string, sim::NodeId> access_;  // by country code
  CorrespondentNetwork network_;
  ServiceObserver observer_;
  struct Open {
    PaymentTerms terms;
    std::string currency;
  };
  std::map<uint64_t, Open> open_;  // requested, not yet credited or rejected
  sim::EventTable* table_ = nullptr;
  sim::Counter* requests_counter_ = nullptr;
  sim::Counter* holds_counter_ = nullptr;
  sim::Counter* rejections_counter_ = nullptr;
  uint64_t requests_ = 0, rejections_ = 0, compliance_holds_ = 0;
  Money fees_total_ = 0;
  std::vector<double> times_to_credit_h_;
};

// Correspondent mode's access node: a country's domestic bank. It takes PayRequests from its
// customers (originator = the requesting node), finds the chain to the payee country's domestic
// bank with the CorrespondentNetwork, and processes the credit transfer as the chain's first
// bank; otherwise it is a Bank like any other (it also receives and credits payments).
class DomesticBank : public Bank {
 public:
  // `network` and `bank_of_country` must outlive the node.
  DomesticBank(BankParams params, const CorrespondentNetwork* network,
               const std::map<std::string, sim::NodeId>* bank_of_country, ChargeBearer charges,
               const ServiceObserver* observer);
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  std::string_view kind() const override { return "domestic-bank"; }

 private:
  void on_pay_request(sim::Context& ctx, sim::NodeId payer, const PayRequest& request);
  const CorrespondentNetwork* network_;
  const std::map<std::string, sim::NodeId>* bank_of_country_;
  ChargeBearer charges_;
  const ServiceObserver* service_observer_;
};

// Ledger mode's access node: the on-ledger presence of a country's banks. For each PayRequest it
// signs a ledger payment from its own account to the payee country's gateway account (the
// payment id as remittance information), submits it like a consensus::TxClient and, once enough
// validators confirmed the commit (one, or f + 1) and said it applied, credits the payee: a
// PaymentCredited to the payee node. A payment the ledger refused (the account could not pay) is
// rejected. Its account is funded in the consortium's genesis state (fund_at_genesis).
class LedgerGateway : public sim::Node {
 public:
  // `validators` of the consortium; the key is derived from (run_seed, self) like the clients'.
  // `gateway_of_country` must outlive the node.
  LedgerGateway(std::vector<sim::NodeId> validators, uint64_t run_seed, sim::NodeId self,
                LedgerSettlementParams params,
                const std::map<std::string, sim::NodeId>* gateway_of_country,
                const ServiceObserver* observer);
  // A restart takes up the retries of what is still unconfirmed (kept on stable storage).
  void on_start(sim::Context& ctx) override;
  void on_crash(sim::SimTime at) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  std::string_view kind() const override { return "ledger-gateway"; }

  uint64_t confirmed() const { return confirmed_; }
  uint64_t failed() const { return failed_; }
  uint64_t resent() const { return resent_; }
  size_t pending() const { return pending_.size(); }

 private:
  void on_pay_request(sim::Context& ctx, sim::NodeId payer, const PayRequest& request);
  void on_tx_committed(sim::Context& ctx, sim::NodeId from, const consensus::TxCommitted& m);
  void reject_request(sim::Context& ctx, uint64_t payment_id, std::string_view reason);
  void send_to_validators(sim::Context& ctx, const ledger::TxPtr& tx);
  void arm_retry(sim::Context& ctx);

  std::vector<sim::NodeId> validators_;
  LedgerSettlementParams params_;
  ledger::KeyPair key_;
  const std::map<std::string, sim::NodeId>* gateway_of_country_;
  const ServiceObserver* observer_;
  size_t needed_;  // confirmations
  uint64_t nonce_ = 0;
  uint64_t confirmed_ = 0, failed_ = 0, resent_ = 0;
  bool retry_armed_ = false;
  struct Pending {
    PayRequest request;
    sim::NodeId payer;
    sim::SimTime initiated;
    sim::SimTime last_sent;
    ledger::TxPtr tx;
    CommitReplies replies;
  };
  // By transaction id; ordered so that retries go out in a deterministic order.
  std::map<ledger::Digest, Pending> pending_;
};

}  // namespace tradesim::payments
