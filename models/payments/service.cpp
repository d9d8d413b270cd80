// The payment service: its scenario keys, the bank or gateway nodes it builds, the access nodes'
// handling of PayRequests, and the records, counters and summaries it writes to the run file.
#include "models/payments/service.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

#include "models/consensus/scenario.hpp"

namespace tradesim::payments {

using sim::Field;
using sim::FieldType;

namespace {

// The keys of one class of banks (domestic, clearing); the defaults are illustrative.
Field bank_class(std::string key, std::string description, std::string fee_fixed,
                 std::string processing, std::string compliance_probability) {
  return Field::object(
      std::move(key), std::move(description),
      {Field::scalar("fee_fixed", FieldType::kInt, std::move(fee_fixed),
                     "fixed fee per payment, in minor units of the payment's currency")
           .at_least(0),
       Field::scalar("fee_rate", FieldType::kPercent, "0%", "fee as a share of the amount")
           .at_least(0)
           .at_most(0.5),
       Field::scalar("processing", FieldType::kDuration, std::move(processing),
                     "median business-hours work per payment")
           .at_least(0, true),
       Field::scalar("processing_sigma", FieldType::kFloat, "0.5",
                     "lognormal shape of the processing time and of the compliance review "
                     "(0: always the median)")
           .at_least(0)
           .at_most(3),
       Field::scalar("compliance_probability", FieldType::kPercent,
                     std::move(compliance_probability),
                     "share of payments held for a compliance review (sanctions, AML)")
           .at_least(0)
           .at_most(1),
       Field::scalar("compliance_delay", FieldType::kDuration, "4h",
                     "median business-hours work of a compliance review")
           .at_least(0, true)});
}

// The default clearing banks: the main correspondent-banking centres of five currencies.
Field clearing_banks() {
  Field f = Field::scalar(
      "clearing_banks", FieldType::kList,
      "[{currency: USD, country: US, city: New York, utc_offset: -5}, "
      "{currency: EUR, country: DE, city: Frankfurt, utc_offset: 1}, "
      "{currency: CNY, country: CN, city: Shanghai, utc_offset: 8}, "
      "{currency: GBP, country: GB, city: London, utc_offset: 0}, "
      "{currency: JPY, country: JP, city: Tokyo, utc_offset: 9}]",
      "one bank per currency that clears it and is a correspondent of the domestic banks; the "
      "clearing banks all hold accounts with each other");
  f.item_type = FieldType::kObject;
  f.fields = {
      Field::scalar("currency", FieldType::kString, "", "the currency it clears (ISO 4217)").must(),
      Field::scalar("country", FieldType::kString, "", "its country (ISO 3166): its weekend")
          .must(),
      Field::scalar("city", FieldType::kString, "\"\"", "where it is (for the reader)"),
      Field::scalar("utc_offset", FieldType::kFloat, "",
                    "hours east of UTC (no daylight saving time)")
          .must()
          .at_least(-12)
          .at_most(14)};
  return f;
}

// NaN when there is nothing: no payment is not a time of zero.
double percentile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t k = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1) + 0.5));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(k), values.end());
  return values[k];
}

ChargeBearer charge_bearer_from(const std::string& text) {
  return text == "OUR"   ? ChargeBearer::kOur
         : text == "BEN" ? ChargeBearer::kBeneficiary
                         : ChargeBearer::kShared;
}

// A processing time from its median and lognormal shape (sigma 0: fixed).
ProcessingTime processing_time(sim::Duration median, double sigma) {
  return sigma > 0 ? ProcessingTime::lognormal(median, sigma) : ProcessingTime::fixed(median);
}

}  // namespace

std::vector<Field> service_fields() {
  return {
      Field::choice(
          "settlement", {"correspondent", "ledger"}, "correspondent",
          "correspondent: a chain of banks with business hours, cut-offs and fees; ledger: one "
          "transaction on the scenario's `consortium` (which must be present)"),
      Field::choice("charges", {"SHA", "OUR", "BEN"}, "SHA",
                    "correspondent banking: who bears the banks' fees (MT103 field 71A)"),
      Field::scalar(
          "site", FieldType::kString, "\"\"",
          "network site of every bank or gateway (empty: the site of the model that uses the "
          "service)"),
      Field::scalar("record", FieldType::kBool, "true",
                    "one row per credited payment in /events/payments"),
      Field::object(
          "correspondent",
          "Correspondent banking: a domestic bank per country and a clearing bank per currency "
          "(see docs/payments.md). The defaults are illustrative, not measured.",
          {Field::scalar("open", FieldType::kDuration, "9h", "local opening time of every bank")
               .at_least(0),
           Field::scalar("close", FieldType::kDuration, "17h", "local closing time")
               .at_least(0, true)
               .at_most(86400),
           Field::scalar("cutoff", FieldType::kDuration, "15h",
                         "local cut-off for same-day processing (open < cutoff <= close)")
               .at_least(0, true),
           Field::texts("fri_sat_weekend",
                        "countries (ISO 3166 codes) whose banks close on Friday and Saturday "
                        "instead of Saturday and Sunday",
                        "[BH, EG, IL, KW, OM, QA, SA]"),
           Field::texts("correspondents",
                        "currencies whose clearing bank every domestic bank holds an account "
                        "with, besides its own currency's",
                        "[USD, EUR]"),
           clearing_banks(),
           bank_class("domestic",
                      "Each country's domestic bank (the originator's and the "
                      "beneficiary's bank).",
                      "2500", "1h", "2%"),
           bank_class("clearing", "The clearing banks (the intermediaries).", "1500", "30min",
                      "1%")}),
      Field::object(
          "ledger",
          "Settlement on the consortium's ledger: a gateway per country (its banks' on-ledger "
          "presence).",
          {Field::choice(
               "submit_to", {"one", "f+1", "all"}, "f+1",
               "validators each payment is sent to; confirmed after one reply (one) or f + 1 "
               "(f+1, all)"),
           Field::scalar("fee", FieldType::kInt, "1", "ledger fee per payment, in minor units")
               .at_least(0),
           Field::scalar("payload", FieldType::kSize, "100 B",
                         "declared payload of each transaction (remittance information)")
               .at_least(0),
           Field::scalar("retry_after", FieldType::kDuration, "5s",
                         "a payment not confirmed this long after it was sent is sent again, to "
                         "validators chosen afresh (0s: never)")
               .at_least(0),
           Field::scalar("gateway_balance", FieldType::kInt, "1000000000000000",
                         "each gateway's balance in the genesis state, in minor units of the "
                         "ledger's settlement asset")
               .at_least(0)})};
}

std::shared_ptr<PaymentService> PaymentService::build(sim::World& world, const std::string& path,
                                                      const std::vector<Country>& countries,
                                                      sim::SiteId default_site) {
  const sim::Scenario& s = world.scenario();
  sim::Diagnostics& diagnostics = world.diagnostics();
  // The countries come from the calling model's data: report bad ones at its section.
  bool countries_ok = true;
  std::set<std::string> codes;
  for (const Country& c : countries) {
    std::string problem;
    if (c.code.empty()) problem = "a country without a code";
    if (!codes.insert(c.code).second) problem = "country " + c.code + " given twice";
    if (!(c.utc_offset_hours >= -12 && c.utc_offset_hours <= 14)) {
      problem = "country " + c.code + ": UTC offset out of [-12, 14]";
    }
    if (c.currency.size() != 3) problem = "country " + c.code + ": currency must be ISO 4217";
    if (!problem.empty()) {
      diagnostics.add(s.at(path).mark, path, "payments: " + problem);
      countries_ok = false;
    }
  }
  if (!countries_ok) return nullptr;

  std::shared_ptr<PaymentService> service(new PaymentService());
  PaymentService* svc = service.get();
  sim::Engine& engine = world.engine();
  sim::Metrics& m = engine.metrics();
  if (s.flag(path + ".record")) {
    svc->table_ = &m.table(
        "payments", "one row per payment, when the beneficiary is credited",
        {{"payment", sim::ColumnType::kInt, "1", "payment id"},
         {"payer", sim::ColumnType::kInt, "1", "node id of the originator (the requesting node)"},
         {"payee", sim::ColumnType::kInt, "1", "node id of the beneficiary"},
         {"settlement", sim::ColumnType::kText, "", "correspondent or ledger"},
         {"terms", sim::ColumnType::kText, "", "in_advance or on_delivery"},
         {"currency", sim::ColumnType::kText, "", "ISO 4217 code of the amounts"},
         {"initiated_ns", sim::ColumnType::kInt, "ns", "the access node took the request"},
         {"credited_ns", sim::ColumnType::kInt, "ns", "the beneficiary's account was credited"},
         {"time_to_credit_h", sim::ColumnType::kFloat, "h", "credited minus initiated"},
         {"amount_sent", sim::ColumnType::kInt, "minor units",
          "debited from the originator, the fees it bore included"},
         {"amount_received", sim::ColumnType::kInt, "minor units", "credited to the beneficiary"},
         {"fees", sim::ColumnType::kInt, "minor units", "every fee taken, whoever bore it"},
         {"intermediaries", sim::ColumnType::kInt, "1",
          "banks between the originator's and the beneficiary's bank (0 on the ledger)"},
         {"hops", sim::ColumnType::kInt, "1", "bank-to-bank transfers (0 on the ledger)"}});
  }
  svc->requests_counter_ =
      &m.counter("payments.requests", "1", "payment requests the access nodes received");
  svc->holds_counter_ =
      &m.counter("payments.compliance_holds", "1", "payments a bank held for a compliance review");
  svc->rejections_counter_ = &m.counter(
      "payments.rejections", "1",
      "payments that could not proceed (no route, unknown country, refused by the ledger)");

  svc->observer_.requested = [svc](sim::NodeId, sim::NodeId, const PayRequest& r, sim::SimTime) {
    ++svc->requests_;
    svc->requests_counter_->add();
    svc->open_[r.payment_id] = Open{r.terms, r.currency};
  };
  svc->observer_.payments.credited = [svc](const PaymentRecord& r) { svc->record(r); };
  svc->observer_.payments.compliance_hold = [svc](sim::NodeId, uint64_t, sim::SimTime) {
    ++svc->compliance_holds_;
    svc->holds_counter_->add();
  };
  svc->observer_.payments.rejected = [svc](sim::NodeId, uint64_t payment_id, std::string_view) {
    ++svc->rejections_;
    svc->rejections_counter_->add();
    svc->open_.erase(payment_id);
  };

  sim::SiteId site = default_site;
  const std::string site_name = s.text(path + ".site");
  if (!site_name.empty()) {
    const auto found = world.site(site_name, s.at(path + ".site").mark, path + ".site");
    if (!found) return nullptr;
    site = *found;
  }
  const bool ledger = s.text(path + ".settlement") == "ledger";
  svc->settlement_ = ledger ? Settlement::kLedger : Settlement::kCorrespondent;
  const bool built = ledger ? svc->build_ledger(world, path, countries, site)
                            : svc->build_correspondent(world, path, countries, site);
  if (!built) return nullptr;
  world.at_end([service, &engine] { service->write_summary(engine.metrics()); });
  return service;
}

bool PaymentService::build_correspondent(sim::World& world, const std::string& path,
                                         const std::vector<Country>& countries, sim::SiteId site) {
  const sim::Scenario& s = world.scenario();
  sim::Diagnostics& diagnostics = world.diagnostics();
  const std::string c = path + ".correspondent";
  CalendarParams hours;
  hours.open = s.duration(c + ".open");
  hours.close = s.duration(c + ".close");
  hours.cutoff = s.duration(c + ".cutoff");
  if (!(hours.open < hours.cutoff && hours.cutoff <= hours.close)) {
    diagnostics.add(s.at(c + ".cutoff").mark, c + ".cutoff",
                    "needs open < cutoff <= close (" + hours.open.to_string() + ", " +
                        hours.cutoff.to_string() + ", " + hours.close.to_string() + ")");
    return false;
  }
  std::set<std::string> fri_sat;
  for (const sim::ConfigNode& code : s.at(c + ".fri_sat_weekend").list) fri_sat.insert(code.scalar);
  auto calendar = [&](double utc_offset, const std::string& country) {
    CalendarParams p = hours;
    p.utc_offset_hours = utc_offset;
    if (fri_sat.count(country)) p.weekend = WeekdaySet{Weekday::kFriday, Weekday::kSaturday};
    return p;
  };
  auto bank_params = [&](const std::string& cls) {
    const std::string k = c + "." + cls;
    BankParams p;
    p.info.fee.fixed = s.integer(k + ".fee_fixed");
    p.info.fee.rate = s.fraction(k + ".fee_rate");
    const double sigma = s.number(k + ".processing_sigma");
    p.processing = processing_time(s.duration(k + ".processing"), sigma);
    p.compliance.probability = s.fraction(k + ".compliance_probability");
    p.compliance.delay = processing_time(s.duration(k + ".compliance_delay"), sigma);
    return p;
  };

  // The clearing banks, one per currency.
  struct Clearing {
    std::string currency, country, city;
    double utc_offset;
  };
  std::vector<Clearing> clearing;
  const sim::ConfigNode& list = s.at(c + ".clearing_banks");
  bool ok = true;
  std::set<std::string> cleared;
  for (size_t i = 0; i < list.list.size(); ++i) {
    const sim::ConfigNode& item = list.list[i];
    Clearing b{item.find("currency")->scalar, item.find("country")->scalar,
               item.find("city") ? item.find("city")->scalar : "",
               std::stod(item.find("utc_offset")->scalar)};
    if (!cleared.insert(b.currency).second) {
      diagnostics.add(item.find("currency")->mark,
                      c + ".clearing_banks." + std::to_string(i) + ".currency",
                      "a second clearing bank for " + b.currency);
      ok = false;
    }
    clearing.push_back(b);
  }
  const sim::ConfigNode& correspondents = s.at(c + ".correspondents");
  for (size_t i = 0; i < correspondents.list.size(); ++i) {
    if (!cleared.count(correspondents.list[i].scalar)) {
      diagnostics.add(
          correspondents.list[i].mark, c + ".correspondents." + std::to_string(i),
          "no clearing bank for " + correspondents.list[i].scalar + " in " + c + ".clearing_banks");
      ok = false;
    }
  }
  if (!ok) return false;

  const ChargeBearer charges = charge_bearer_from(s.text(path + ".charges"));
  // Domestic banks first, in the countries' order, then the clearing banks: node ids follow.
  for (const Country& country : countries) {
    BankParams p = bank_params("domestic");
    p.info.name = "bank-" + country.code;
    p.info.country = country.code;
    p.info.currency = country.currency;
    p.calendar = calendar(country.utc_offset_hours, country.code);
    world.emplace<DomesticBank>(p.info.name, {"banks"}, site, p, &network_, &access_, charges,
                                &observer_);
    const sim::NodeId id = *world.find(p.info.name);
    network_.add_bank(id, p.info);
    access_[country.code] = id;
  }
  std::map<std::string, sim::NodeId> clearing_bank;  // by currency
  for (const Clearing& b : clearing) {
    BankParams p = bank_params("clearing");
    p.info.name = "clearing-" + b.currency;
    p.info.country = b.country;
    p.info.currency = b.currency;
    p.calendar = calendar(b.utc_offset, b.country);
    world.emplace<Bank>(p.info.name, {"banks", "clearing-banks"}, site, p, &observer_.payments);
    const sim::NodeId id = *world.find(p.info.name);
    network_.add_bank(id, p.info);
    clearing_bank[b.currency] = id;
  }
  // Relationships: every domestic bank with the clearing bank of its own currency and those of
  // the correspondent currencies; the clearing banks with each other. A cross-border payment
  // then passes one to three intermediaries.
  for (const Country& country : countries) {
    const sim::NodeId bank = access_.at(country.code);
    if (const auto it = clearing_bank.find(country.currency); it != clearing_bank.end()) {
      network_.add_relationship(bank, it->second);
    }
    for (const sim::ConfigNode& currency : correspondents.list) {
      network_.add_relationship(bank, clearing_bank.at(currency.scalar));
    }
  }
  for (auto a = clearing_bank.begin(); a != clearing_bank.end(); ++a) {
    for (auto b = std::next(a); b != clearing_bank.end(); ++b) {
      network_.add_relationship(a->second, b->second);
    }
  }
  return true;
}

bool PaymentService::build_ledger(sim::World& world, const std::string& path,
                                  const std::vector<Country>& countries, sim::SiteId site) {
  const sim::Scenario& s = world.scenario();
  const std::string key = path + ".settlement";
  if (!s.has("consortium")) {
    world.diagnostics().add(s.at(key).mark, key,
                            "settlement: ledger needs a `consortium` section (the validators of "
                            "the ledger); this scenario has none");
    return false;
  }
  const std::vector<sim::NodeId> validators = consensus::consortium_validators(world);
  if (validators.empty()) {
    world.diagnostics().add(s.at(key).mark, key,
                            "settlement: ledger found no validators: the `consortium` section "
                            "was not built (see its errors) or is built after this model");
    return false;
  }
  const std::string l = path + ".ledger";
  LedgerSettlementParams params;
  const std::string to = s.text(l + ".submit_to");
  params.submit_to = to == "all"   ? consensus::SubmitTo::kAll
                     : to == "one" ? consensus::SubmitTo::kOne
                                   : consensus::SubmitTo::kFPlusOne;
  params.fee = s.integer(l + ".fee");
  params.payload_bytes = static_cast<uint32_t>(s.bytes(l + ".payload"));
  params.retry_after = s.duration(l + ".retry_after");
  params.sign_cost = s.duration("consortium.crypto.sign");
  const int64_t balance = s.integer(l + ".gateway_balance");
  for (const Country& country : countries) {
    const std::string name = "gateway-" + country.code;
    // The key is derived from the node id, so the id is needed before the node exists: the
    // world numbers nodes in order of adding.
    const auto id = static_cast<sim::NodeId>(world.names().size());
    world.emplace<LedgerGateway>(name, {"ledger-gateways"}, site, validators, s.seed(), id, params,
                                 &access_, &observer_);
    if (world.find(name) != id) throw std::logic_error("payments: gateway id mismatch");
    access_[country.code] = id;
    consensus::fund_at_genesis(world, id, balance);
  }
  return true;
}

sim::NodeId PaymentService::access_node(const std::string& country) const {
  const auto it = access_.find(country);
  if (it == access_.end()) {
    throw std::invalid_argument("payments: no access node for country \"" + country + "\"");
  }
  return it->second;
}

void PaymentService::record(const PaymentRecord& r) {
  Open open{PaymentTerms::kInAdvance, ""};
  if (const auto it = open_.find(r.id); it != open_.end()) {
    open = it->second;
    open_.erase(it);
  }
  const double hours = r.settlement_time().hours();
  times_to_credit_h_.push_back(hours);
  fees_total_ += r.fees;
  if (table_ != nullptr) {
    table_->append({r.id, r.originator, r.beneficiary, settlement_name(r.settlement),
                    terms_name(open.terms), open.currency, r.initiated, r.credited, hours,
                    r.amount_sent, r.amount_received, r.fees, r.intermediaries, r.hops});
  }
}

void PaymentService::write_summary(sim::Metrics& m) const {
  const auto n = static_cast<double>(times_to_credit_h_.size());
  m.set_summary("payments.count", n, "payments", "payments credited to their beneficiaries");
  m.set_summary("payments.time_to_credit_median", percentile(times_to_credit_h_, 0.5), "h",
                "median time from initiation to the beneficiary's credit");
  m.set_summary("payments.time_to_credit_p95", percentile(times_to_credit_h_, 0.95), "h",
                "95th percentile of the time from initiation to the beneficiary's credit");
  m.set_summary("payments.fees_total", static_cast<double>(fees_total_), "minor units",
                "fees of the credited payments, summed over currencies without conversion");
  m.set_summary(
      "payments.fees_mean",
      n > 0 ? static_cast<double>(fees_total_) / n : std::numeric_limits<double>::quiet_NaN(),
      "minor units", "mean fee per credited payment");
}

DomesticBank::DomesticBank(BankParams params, const CorrespondentNetwork* network,
                           const std::map<std::string, sim::NodeId>* bank_of_country,
                           ChargeBearer charges, const ServiceObserver* observer)
    : Bank(std::move(params), &observer->payments),
      network_(network),
      bank_of_country_(bank_of_country),
      charges_(charges),
      service_observer_(observer) {}

void DomesticBank::on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) {
  if (const auto* r = msg.get_if<PayRequest>()) return on_pay_request(ctx, from, *r);
  Bank::on_message(ctx, from, msg);
}

// The customer's order: the chain to the payee's bank, then processed here as its first bank.
void DomesticBank::on_pay_request(sim::Context& ctx, sim::NodeId payer, const PayRequest& request) {
  if (service_observer_->requested) {
    service_observer_->requested(ctx.self(), payer, request, ctx.now());
  }
  if (request.amount <= 0) return reject(ctx, request.payment_id, "amount must be positive");
  const auto payee_bank = bank_of_country_->find(request.payee_country);
  if (payee_bank == bank_of_country_->end()) {
    return reject(ctx, request.payment_id, "no bank in the payee's country");
  }
  const std::optional<Route> route =
      network_->route(ctx.self(), payee_bank->second, request.currency, request.amount);
  if (!route) return reject(ctx, request.payment_id, "no correspondent route");
  PaymentOrder order;
  order.id = request.payment_id;
  order.beneficiary = request.payee;
  order.amount = request.amount;
  order.currency = request.currency;
  order.terms = request.terms;
  order.at = ctx.now();
  order.beneficiary_bank = payee_bank->second;
  order.charges = charges_;
  accept(ctx, make_credit_transfer(order, payer, *route, ctx.now()));
}

LedgerGateway::LedgerGateway(std::vector<sim::NodeId> validators, uint64_t run_seed,
                             sim::NodeId self, LedgerSettlementParams params,
                             const std::map<std::string, sim::NodeId>* gateway_of_country,
                             const ServiceObserver* observer)
    : validators_(std::move(validators)),
      params_(params),
      key_(ledger::KeyPair::derive(run_seed, self)),
      gateway_of_country_(gateway_of_country),
      observer_(observer) {
  if (validators_.empty()) throw std::invalid_argument("ledger gateway: no validators");
  const size_t f = (validators_.size() - 1) / 3;
  needed_ = params_.submit_to == consensus::SubmitTo::kOne ? 1 : f + 1;
}

void LedgerGateway::on_start(sim::Context& ctx) {
  arm_retry(ctx);
}

void LedgerGateway::on_crash(sim::SimTime) {
  retry_armed_ = false;  // the timer died with the crash
}

void LedgerGateway::on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) {
  if (const auto* r = msg.get_if<PayRequest>()) return on_pay_request(ctx, from, *r);
  if (const auto* c = msg.get_if<consensus::TxCommitted>()) return on_tx_committed(ctx, from, *c);
}

void LedgerGateway::reject_request(sim::Context& ctx, uint64_t payment_id,
                                   std::string_view reason) {
  if (observer_->payments.rejected) observer_->payments.rejected(ctx.self(), payment_id, reason);
}

// The payment as one ledger transaction from this gateway's account to the payee country's
// gateway account; the payee's bank credits the payee off the ledger.
void LedgerGateway::on_pay_request(sim::Context& ctx, sim::NodeId payer,
                                   const PayRequest& request) {
  if (observer_->requested) observer_->requested(ctx.self(), payer, request, ctx.now());
  if (request.amount <= 0)
    return reject_request(ctx, request.payment_id, "amount must be positive");
  const auto payee_gateway = gateway_of_country_->find(request.payee_country);
  if (payee_gateway == gateway_of_country_->end()) {
    return reject_request(ctx, request.payment_id, "no gateway in the payee's country");
  }
  PaymentOrder order;
  order.id = request.payment_id;
  order.beneficiary = payee_gateway->second;
  order.amount = request.amount;
  order.currency = request.currency;
  order.terms = request.terms;
  order.at = ctx.now();
  ledger::Transaction tx = make_payment_transaction(order, ctx.self(), ++nonce_, params_.fee,
                                                    ctx.now(), params_.payload_bytes, key_);
  ctx.charge(params_.sign_cost);
  const ledger::TxPtr sealed = ledger::seal(std::move(tx));
  pending_[sealed->id()] = Pending{request, payer, ctx.now(), ctx.now(), sealed, {}};
  send_to_validators(ctx, sealed);
  arm_retry(ctx);
}

void LedgerGateway::send_to_validators(sim::Context& ctx, const ledger::TxPtr& tx) {
  consensus::submit_to_validators(ctx, validators_, params_.submit_to, tx);
}

void LedgerGateway::arm_retry(sim::Context& ctx) {
  if (retry_armed_ || pending_.empty() || params_.retry_after <= sim::Duration::zero()) return;
  retry_armed_ = true;
  ctx.set_timer(params_.retry_after);
}

void LedgerGateway::on_timer(sim::Context& ctx, sim::TimerId, uint64_t) {
  retry_armed_ = false;
  for (auto& [id, p] : pending_) {
    if (ctx.now() < p.last_sent + params_.retry_after) continue;
    p.last_sent = ctx.now();
    ++resent_;
    send_to_validators(ctx, p.tx);
  }
  arm_retry(ctx);
}

void LedgerGateway::on_tx_committed(sim::Context& ctx, sim::NodeId from,
                                    const consensus::TxCommitted& m) {
  const auto it = pending_.find(m.id);
  if (it == pending_.end()) return;
  Pending& p = it->second;
  if (!p.replies.add(from, m.outcome)) return;
  if (p.replies.total() < needed_) return;
  if (!p.replies.applied_in_the_end()) {
    // Ordered, but this gateway's account could not pay: nothing moved.
    ++failed_;
    const uint64_t payment_id = p.request.payment_id;
    pending_.erase(it);
    return reject_request(ctx, payment_id, "ledger payment failed: insufficient funds");
  }
  ++confirmed_;
  PaymentRecord r;
  r.id = p.request.payment_id;
  r.settlement = Settlement::kLedger;
  r.originator = p.payer;
  r.beneficiary = p.request.payee;
  r.initiated = p.initiated;
  r.credited = ctx.now();
  r.amount_received = p.request.amount;
  r.fees = params_.fee;
  r.amount_sent = r.amount_received + r.fees;
  check_conservation(r);
  pending_.erase(it);
  if (observer_->payments.credited) observer_->payments.credited(r);
  ctx.send(r.beneficiary, sim::Message::make(PaymentCredited{r}, kPaymentCreditedBytes));
}

}  // namespace tradesim::payments
