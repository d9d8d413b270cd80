// Supply agreements and invoice financing in the trade world (see agreements.hpp).
#include "models/trade/agreements.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "models/consensus/scenario.hpp"
#include "models/consensus/submitter.hpp"
#include "models/consensus/validator.hpp"
#include "models/contracts/framework_agreement.hpp"
#include "models/contracts/invoice_registry.hpp"
#include "models/contracts/oracle.hpp"
#include "models/contracts/scenario.hpp"
#include "models/ledger/crypto.hpp"
#include "models/ledger/transaction.hpp"
#include "models/sensors/gateway.hpp"
#include "sim/engine.hpp"

namespace tradesim::trade {

using sim::Duration;
using sim::Field;
using sim::FieldType;
using sim::SimTime;

namespace {

constexpr int64_t kNone = -1;
constexpr uint64_t kRetryTimer = 1;
constexpr uint64_t kFirstClaim = 2;  // claims take timer tags from here up
constexpr uint64_t kTermTimer = std::numeric_limits<uint64_t>::max();
// The receiving scan is taken at the importer's warehouse (the framework_agreement's default
// destination): the promise is "received by the importer".
constexpr auto kReceivingDock = sensors::Checkpoint::kWarehouse;
// Banks' ledger accounts hold enough for every advance of a run.
constexpr int64_t kBankFunds = int64_t{1} << 52;

int64_t ns(SimTime t) {
  return (t - SimTime::zero()).ns();
}
int64_t basis_points(double share) {
  return static_cast<int64_t>(std::llround(share * 10'000));
}

// Messages from the trade nodes' hooks to the desk.
struct OrderPlaced {
  uint64_t order;
  sim::NodeId importer, exporter;
  int64_t value;  // cents
  SimTime placed;
  bool air;
};
struct OrderReceived {
  uint64_t order;
  bool out_of_spec, breach;
};
struct InvoicePresented {
  uint64_t invoice;  // the shipment id
  sim::NodeId exporter, importer;
  int64_t advance;  // cents
  int bank;
  bool fraud;  // the second presentation of a fraudulent exporter
};

struct AgreementRecord {
  uint64_t order = 0;
  sim::NodeId importer = 0, exporter = 0;
  int64_t value = 0;
  SimTime placed, due, delivered = SimTime::max(), paid_at = SimTime::max();
  SimTime evidence = SimTime::max();  // the receiving scan's time (ledger)
  int64_t days_late = 0, penalty_due = 0, penalty_paid = 0;
  double claim_cost = 0;
  bool out_of_spec = false, breach = false, air = false;
  std::string settled_by = "open";
};

// One framework_agreement instance (ledger): what the desk knows of its orders and its bond.
struct BondRecord {
  sim::NodeId importer = 0, exporter = 0;
  int64_t bond = 0;  // cents posted at genesis
  int64_t open = 0;  // orders registered (or being registered) and not yet settled
  bool release_submitted = false;
  int64_t released = 0;  // cents returned to the supplier
  SimTime released_at = SimTime::max();
};

struct FinancingRecord {
  uint64_t invoice = 0;
  sim::NodeId exporter = 0, importer = 0;
  int bank = 0;
  int64_t amount = 0;
  SimTime presented, decided = SimTime::max();
  std::string outcome = "pending";
  bool fraud = false;
  int64_t lost = 0;
};

class ContractDesk : public sim::Node, public ContractHooks {
 public:
  ContractDesk(sim::Engine* engine, AgreementParams a, FinancingParams f, double unit_price,
               contracts::LedgerContracts* ledger, uint64_t seed)
      : engine_(engine),
        agreements_(a),
        financing_(f),
        unit_price_(unit_price),
        ledger_(ledger),
        seed_(seed) {
    observer_.anchored = [this](const sensors::StoredBatch& batch, SimTime) {
      // Called in the gateway's context: the desk handles the batch in its own.
      const uint64_t id = batch.record.batch_id;
      engine_->schedule(engine_->now(), [this, id] {
        engine_->invoke(self_, [id](sim::Node& node, sim::Context& ctx) {
          static_cast<ContractDesk&>(node).on_anchored(ctx, id);
        });
      });
    };
    if (ledger_ != nullptr) {
      submitter_ =
          std::make_unique<consensus::TxSubmitter>(ledger_->validators, consensus::SubmitTo::kOne,
                                                   Duration::from_ns(30 * sim::units::kSecond));
    }
  }
  std::string_view kind() const override { return "contract-desk"; }

  // ---- Hooks, in the trade nodes' contexts: a message to the desk (same site, no delay).
  void ordered(sim::Context& ctx, const Order& o, sim::NodeId exporter) override {
    if (!agreements_.enabled) return;
    ctx.send(self_,
             sim::Message::make(
                 OrderPlaced{o.id, o.importer, exporter, cents(o.units), o.placed, o.air}, 64));
  }
  void shipped(sim::Context& ctx, const Shipment& s, bool present_twice) override {
    if (!financing_.enabled) return;
    const bool financed = keyed_uniform(s.id, 0xf1) < financing_.share;
    if (!financed && !present_twice) return;
    const int64_t advance = static_cast<int64_t>(
        std::llround(static_cast<double>(cents(s.units)) * financing_.advance_rate));
    const int bank = std::min(financing_.banks - 1,
                              static_cast<int>(keyed_uniform(s.id, 0xba) * financing_.banks));
    ctx.send(self_, sim::Message::make(
                        InvoicePresented{s.id, s.exporter, s.importer, advance, bank, false}, 64));
    if (present_twice) {
      // The same invoice, an hour later, at another bank.
      ctx.send(self_,
               sim::Message::make(InvoicePresented{s.id, s.exporter, s.importer, advance,
                                                   (bank + 1) % financing_.banks, true},
                                  64),
               {.delay = Duration::from_ns(sim::units::kHour)});
    }
  }
  void received(sim::Context& ctx, const Shipment& s) override {
    if (!agreements_.enabled) return;
    ctx.send(self_, sim::Message::make(OrderReceived{s.order, s.out_of_spec, s.breach}, 32));
  }

  // ---- The desk's own handlers.
  void on_start(sim::Context& ctx) override {
    self_ = ctx.self();
    // The agreements' term: no order is registered after it, and each supplier releases its
    // bond once no order under it is open.
    if (ledger_ != nullptr && agreements_.enabled) ctx.set_timer(agreements_.term, kTermTimer);
  }

  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override {
    if (const auto* o = msg.get_if<OrderPlaced>()) return on_order(ctx, *o);
    if (const auto* r = msg.get_if<OrderReceived>()) return on_received(ctx, *r);
    if (const auto* i = msg.get_if<InvoicePresented>()) return on_invoice(ctx, *i);
    if (const auto* c = msg.get_if<consensus::TxCommitted>()) return on_committed(ctx, from, *c);
  }

  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) override {
    if (tag == kTermTimer) {
      term_over_ = true;
      for (auto& [instance, b] : bond_records) release_if_done(ctx, instance, b);
      return;
    }
    if (tag == kRetryTimer) {
      retry_armed_ = false;
      submitter_->resend_due(ctx, {}, [](sim::Context&) { return true; });
      arm_retry(ctx);
      return;
    }
    // A manual claim paid by the exporter after claim_delay.
    const auto it = claims_.find(tag);
    if (it == claims_.end()) return;
    AgreementRecord& a = agreements_by_order_.at(it->second);
    a.penalty_paid = a.penalty_due;
    a.paid_at = ctx.now();
    a.settled_by = "claim";
    claims_.erase(it);
  }

  // Set while building.
  sim::NodeId self_ = 0;
  std::map<std::pair<sim::NodeId, sim::NodeId>, uint64_t> instance_of;  // (importer, exporter)
  std::map<uint64_t, BondRecord> bond_records;                          // by instance account
  // The receiving scanner (hosted by the desk, its key registered with the consortium) and the
  // gateway that anchors its scans (ledger and agreements).
  sim::NodeId gateway_ = 0;
  const sensors::Gateway* gateway_node_ = nullptr;
  sensors::KeyDirectory scanner_keys_;
  sensors::Conservation scan_counts_;
  sensors::GatewayObserver observer_;
  ledger::KeyPair scanner_key_;
  std::vector<uint64_t> bank_accounts;
  uint64_t invoice_registry = 0;
  int64_t bonds = 0, genesis_total = 0;

  std::map<uint64_t, AgreementRecord> agreements_by_order_;
  std::vector<FinancingRecord> financings_;

  const AgreementParams& agreements() const { return agreements_; }
  const FinancingParams& financing() const { return financing_; }

  // The ledger's answer to a read-only query: the first validator whose state has one.
  std::string query(uint64_t contract, std::string_view method, const contracts::Args& args) const {
    for (sim::NodeId v : ledger_->validators) {
      const auto* validator = dynamic_cast<const consensus::Validator*>(&engine_->node(v));
      if (validator == nullptr) continue;
      std::string out = ledger_->runtime.query(validator->state(), contract, method, args).output;
      if (!out.empty()) return out;
    }
    return "";
  }

 private:
  int64_t cents(double units) const {
    return static_cast<int64_t>(std::llround(units * unit_price_ * 100));
  }

  SimTime term_end() const { return SimTime::zero() + agreements_.term; }

  void on_order(sim::Context& ctx, const OrderPlaced& o) {
    // The agreements' term is over: not under one (the contract refuses orders from then on).
    if (ctx.now() >= term_end()) return;
    AgreementRecord a;
    a.order = o.order;
    a.importer = o.importer;
    a.exporter = o.exporter;
    a.value = o.value;
    a.placed = o.placed;
    a.due = o.placed + agreements_.delivery;
    a.air = o.air;
    agreements_by_order_[o.order] = a;
    if (ledger_ == nullptr) return;
    const auto it = instance_of.find({o.importer, o.exporter});
    if (it == instance_of.end()) return;
    ++bond_records.at(it->second).open;
    submit(ctx, o.importer, it->second, 0, "order", contracts::Args{o.order, o.value, ns(a.due)},
           {Call::kOrder, it->second});
  }

  void on_received(sim::Context& ctx, const OrderReceived& r) {
    const auto found = agreements_by_order_.find(r.order);
    if (found == agreements_by_order_.end()) return;
    AgreementRecord& a = found->second;
    a.delivered = ctx.now();
    a.out_of_spec = r.out_of_spec;
    a.breach = r.breach;
    a.days_late = contracts::framework_days_late(ns(a.due), ns(a.delivered));
    // Only a value or rate beyond 64 bits has no penalty; it would show as -1 (and the
    // contract would refuse the call).
    a.penalty_due = contracts::framework_penalty(a.value, ns(a.due), ns(a.delivered), a.out_of_spec,
                                                 basis_points(agreements_.penalty_per_day),
                                                 basis_points(agreements_.penalty_cap),
                                                 basis_points(agreements_.quality_penalty))
                        .value_or(kNone);
    if (ledger_ != nullptr && instance_of.count({a.importer, a.exporter}) != 0) {
      // The neutral receiving scanner signs the scan of the order's tag; once the gateway has
      // anchored it, the exporter proves the delivery with it (on_anchored). The days late are
      // the scan's, whoever submits the proof and whenever.
      a.settled_by = "pending";
      a.evidence = ctx.now();
      const sensors::RfidScan scan =
          sensors::make_scan(a.order, self_, kReceivingDock, a.evidence, scanner_key_);
      ctx.send(gateway_, sim::Message::make(sensors::ScanMsg{scan}, sensors::RfidScan::kWireBytes));
      return;
    }
    if (a.penalty_due == 0) {
      a.settled_by = "on_time";
      return;
    }
    // Without the ledger: the importer files a claim (lawyers, staff); the exporter pays it
    // after claim_delay, or never.
    a.claim_cost = agreements_.claim_cost;
    if (ctx.rng().bernoulli(agreements_.claim_recovery)) {
      a.settled_by = "claim_filed";
      const uint64_t tag = next_claim_++;
      claims_[tag] = a.order;
      ctx.set_timer(agreements_.claim_delay, tag);
    } else {
      a.settled_by = "unpaid";
    }
  }

  // The gateway anchored a batch of receiving scans: the importer of each order settles it with
  // the scan's Merkle proof and the anchor transaction (as escrow deliveries are) and its own
  // inspection's verdict on the goods. The scan, not the importer, dates the delivery; had the
  // importer stayed silent, the exporter could settle as in spec after the inspection window.
  void on_anchored(sim::Context& ctx, uint64_t batch_id) {
    const sensors::StoredBatch* batch = gateway_node_->batch(batch_id);
    if (batch == nullptr) return;
    const contracts::Bytes anchor(batch->tx_id.begin(), batch->tx_id.end());
    for (const sensors::RfidScan& scan : batch->scans) {
      const auto found = agreements_by_order_.find(scan.tag);
      if (found == agreements_by_order_.end()) continue;
      const AgreementRecord& a = found->second;
      const auto proof = gateway_node_->fetch_scan(scan.tag, scan.checkpoint);
      if (!proof) continue;
      submit(ctx, a.importer, instance_of.at({a.importer, a.exporter}), 0, "delivered",
             contracts::Args{a.order, uint64_t{a.out_of_spec ? 1u : 0u},
                             contracts::encode_scan_proof(*proof), anchor},
             {Call::kDelivered, a.order});
    }
  }

  // After the term, an agreement with no open order is closed: its supplier takes back what is
  // left of its bond.
  void release_if_done(sim::Context& ctx, uint64_t instance, BondRecord& b) {
    if (!term_over_ || b.open != 0 || b.release_submitted) return;
    b.release_submitted = true;
    submit(ctx, b.exporter, instance, 0, "release", {}, {Call::kRelease, instance});
  }

  void on_invoice(sim::Context& ctx, const InvoicePresented& i) {
    FinancingRecord f;
    f.invoice = i.invoice;
    f.exporter = i.exporter;
    f.importer = i.importer;
    f.bank = i.bank;
    f.amount = i.advance;
    f.presented = ctx.now();
    f.fraud = i.fraud;
    const size_t index = financings_.size();
    financings_.push_back(f);
    if (ledger_ != nullptr && invoice_registry != 0) {
      submit(ctx, bank_accounts[static_cast<size_t>(i.bank)], invoice_registry, i.advance,
             "finance", contracts::Args{invoice_hash(i.invoice), uint64_t{i.exporter}},
             {Call::kFinance, index});
      return;
    }
    // Without the ledger each bank checks only its own books.
    FinancingRecord& r = financings_.back();
    r.decided = ctx.now();
    const bool seen = !books_[i.bank].insert(i.invoice).second;
    r.outcome =
        seen ? "refused"
             : (financed_anywhere_.insert(i.invoice).second ? "financed" : "double_financed");
    // A fraudulent exporter defaults at the end of its window: the second advance is lost.
    if (r.outcome == "double_financed") r.lost = r.amount;
  }

  static contracts::Bytes invoice_hash(uint64_t invoice) {
    const ledger::Digest d = ledger::sha256(std::string_view("invoice:" + std::to_string(invoice)));
    return contracts::Bytes(d.begin(), d.end());
  }

  enum class Call : uint8_t { kOrder, kDelivered, kRelease, kFinance };
  struct Pending {
    Call call;
    uint64_t key;  // instance account (order, release), order id or financing record index
  };

  void submit(sim::Context& ctx, uint64_t sender, uint64_t recipient, int64_t amount,
              std::string method, contracts::Args args, Pending what) {
    ledger::Transaction tx;
    tx.kind = ledger::TxKind::kContractCall;
    tx.sender = sender;
    tx.nonce = ++nonces_[sender];
    tx.recipient = recipient;
    tx.amount = amount;
    tx.payload = contracts::encode_call(
        {ledger_->gas_limit, ledger_->gas_price, std::move(method), std::move(args)});
    tx.declared_bytes = static_cast<uint32_t>(tx.payload.size());
    tx.submitted_ns = ctx.now().ns();
    auto key = keys_.find(sender);
    if (key == keys_.end())
      key = keys_.emplace(sender, ledger::KeyPair::derive(seed_, sender)).first;
    tx.sign_with(key->second);
    const ledger::TxPtr sealed = ledger::seal(std::move(tx));
    pending_[sealed->id()] = what;
    submitter_->submit(ctx, sealed);
    arm_retry(ctx);
  }

  void arm_retry(sim::Context& ctx) {
    if (retry_armed_) return;
    const auto next = submitter_->next_retry();
    if (!next) return;
    retry_armed_ = true;
    ctx.set_timer(std::max(Duration::zero(), *next - ctx.now()), kRetryTimer);
  }

  void on_committed(sim::Context& ctx, sim::NodeId from, const consensus::TxCommitted& m) {
    const auto confirmed = submitter_->on_committed(from, m);
    if (!confirmed) return;
    const auto it = pending_.find(m.id);
    if (it == pending_.end()) return;
    const Pending what = it->second;
    pending_.erase(it);
    const bool applied =
        m.outcome == consensus::TxOutcome::kApplied && m.receipt != nullptr && m.receipt->ok();
    if (what.call == Call::kOrder) {
      // An order the contract refused is not open there either.
      BondRecord& b = bond_records.at(what.key);
      if (!applied) --b.open;
      release_if_done(ctx, what.key, b);
    } else if (what.call == Call::kRelease) {
      BondRecord& b = bond_records.at(what.key);
      if (applied) {
        b.released = std::stoll(m.receipt->output);
        b.released_at = ctx.now();
      }
    } else if (what.call == Call::kDelivered) {
      AgreementRecord& a = agreements_by_order_.at(what.key);
      const auto& instance = instance_of.at({a.importer, a.exporter});
      // "<days late> <penalty due> <penalty paid>", as the contract computed them.
      const std::string s = query(instance, "settlement", contracts::Args{a.order});
      long long days = 0, due = 0, paid = 0;
      if (std::sscanf(s.c_str(), "%lld %lld %lld", &days, &due, &paid) != 3) {
        a.settled_by = "failed";
        return;
      }
      BondRecord& b = bond_records.at(instance);
      --b.open;
      release_if_done(ctx, instance, b);
      a.penalty_paid = paid;
      if (due != a.penalty_due || days != a.days_late) {
        a.settled_by = "mismatch";  // the contract and the rule disagree (a test catches it)
      } else if (due == 0) {
        a.settled_by = "on_time";
      } else if (paid > 0) {
        a.settled_by = "ledger";
        a.paid_at = ctx.now();
      } else {
        a.settled_by = "unpaid";  // the bond was used up
      }
    } else if (what.call == Call::kFinance) {
      FinancingRecord& f = financings_[what.key];
      f.decided = ctx.now();
      const std::string financier =
          query(invoice_registry, "financier", contracts::Args{invoice_hash(f.invoice)});
      f.outcome = m.outcome != consensus::TxOutcome::kApplied ? "failed"
                  : financier == std::to_string(bank_accounts[static_cast<size_t>(f.bank)])
                      ? "financed"
                      : "refused";
    }
  }

  sim::Engine* engine_;
  AgreementParams agreements_;
  FinancingParams financing_;
  double unit_price_;
  contracts::LedgerContracts* ledger_;
  uint64_t seed_;
  std::unique_ptr<consensus::TxSubmitter> submitter_;
  std::map<uint64_t, uint64_t> nonces_;
  std::map<uint64_t, ledger::KeyPair> keys_;
  std::map<ledger::Digest, Pending> pending_;
  bool retry_armed_ = false;
  bool term_over_ = false;
  std::map<uint64_t, uint64_t> claims_;  // timer tag -> order
  uint64_t next_claim_ = kFirstClaim;
  std::map<int, std::set<uint64_t>> books_;  // each bank's own books (no ledger)
  std::set<uint64_t> financed_anywhere_;     // ground truth: invoices advanced at least once
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

int64_t total_balance(const ledger::WorldState& state) {
  int64_t sum = 0;
  state.for_each_prefix("balance/", [&](const std::string&, const ledger::WorldState::Entry& e) {
    sum += std::stoll(e.value);
  });
  return sum;
}

}  // namespace

std::vector<Field> contract_fields() {
  return {
      Field::object(
          "agreements",
          "Framework supply agreements between each importer and each exporter it sources from: "
          "every order is due `delivery` after it is placed; late or out-of-spec deliveries owe "
          "a penalty (docs/trade.md).",
          {Field::scalar("enabled", FieldType::kBool, "false", "agreements in force"),
           Field::scalar("delivery", FieldType::kDuration, "75d",
                         "promised lead time: order placed to received by the importer")
               .at_least(0),
           Field::scalar("penalty_per_day", FieldType::kPercent, "0.5%",
                         "penalty per day late (days rounded up), share of the order value"),
           Field::scalar("penalty_cap", FieldType::kPercent, "10%",
                         "cap of the lateness penalty, share of the order value"),
           Field::scalar("quality_penalty", FieldType::kPercent, "5%",
                         "penalty for an order delivered out of specification, share of its "
                         "value"),
           Field::scalar("bond", FieldType::kPercent, "5%",
                         "ledger: the supplier's bond, share of the agreement's expected annual "
                         "value (importer's mean demand x 365 x unit price x its share of the "
                         "importer's orders), posted at genesis"),
           Field::scalar("term", FieldType::kDuration, "365d",
                         "the agreements' term from the start of the run: orders placed after it "
                         "are not under an agreement; with the ledger each supplier releases what "
                         "is left of its bond once the term is over and no order under it is open")
               .at_least(0),
           Field::scalar("claim_delay", FieldType::kDuration, "90d",
                         "no ledger: a manual claim filed at delivery is paid this much later")
               .at_least(0),
           Field::scalar("claim_cost", FieldType::kFloat, "1500",
                         "no ledger: USD each manual claim costs the importer (lawyers, staff)")
               .at_least(0),
           Field::scalar("claim_recovery", FieldType::kPercent, "60%",
                         "no ledger: probability that a manual claim is paid")}),
      Field::object(
          "financing",
          "Invoice financing: exporters sell a share of their shipments' invoices to banks for "
          "an advance; with the ledger the banks check the invoice registry first.",
          {Field::scalar("enabled", FieldType::kBool, "false", "financing in use"),
           Field::scalar("share", FieldType::kPercent, "50%", "share of invoices financed"),
           Field::scalar("advance_rate", FieldType::kPercent, "80%",
                         "advance paid, share of the invoice value"),
           Field::scalar("banks", FieldType::kInt, "3",
                         "banks that finance invoices (a double presentation goes to another)")
               .at_least(2)})};
}

bool build_contracts(sim::World& world, TradeWorld& trade, const std::vector<Importer*>& importers,
                     const std::vector<sim::NodeId>& importer_ids,
                     const std::vector<sim::NodeId>& exporter_ids, sim::SiteId site, bool ledger) {
  const sim::Scenario& s = world.scenario();
  sim::Diagnostics& diag = world.diagnostics();
  AgreementParams a;
  a.enabled = s.flag("trade.agreements.enabled");
  a.delivery = s.duration("trade.agreements.delivery");
  a.penalty_per_day = s.fraction("trade.agreements.penalty_per_day");
  a.penalty_cap = s.fraction("trade.agreements.penalty_cap");
  a.quality_penalty = s.fraction("trade.agreements.quality_penalty");
  a.bond = s.fraction("trade.agreements.bond");
  a.term = s.duration("trade.agreements.term");
  a.claim_delay = s.duration("trade.agreements.claim_delay");
  a.claim_cost = s.number("trade.agreements.claim_cost");
  a.claim_recovery = s.fraction("trade.agreements.claim_recovery");
  FinancingParams f;
  f.enabled = s.flag("trade.financing.enabled");
  f.share = s.fraction("trade.financing.share");
  f.advance_rate = s.fraction("trade.financing.advance_rate");
  f.banks = static_cast<int>(s.integer("trade.financing.banks"));
  if (!a.enabled && !f.enabled) return true;

  contracts::LedgerContracts* lc = nullptr;
  if (ledger) {
    lc = contracts::ledger_contracts(world);
    if (lc == nullptr) {
      const std::string path = a.enabled ? "trade.agreements.enabled" : "trade.financing.enabled";
      diag.add(s.at(path).mark, path,
               "with trade.ledger: consortium, agreements and financing run on contracts: add a "
               "`contracts` section");
      return false;
    }
  }
  const double price = trade.params().unit_price;
  auto desk_ptr = std::make_unique<ContractDesk>(&world.engine(), a, f, price, lc, s.seed());
  ContractDesk* desk = desk_ptr.get();
  world.add("contract-desk", {}, site, std::move(desk_ptr));
  desk->self_ = *world.find("contract-desk");
  trade.contracts = desk;

  if (lc != nullptr && a.enabled) {
    // The receiving scanner's key is registered with the gateway (the consortium's device
    // registry), which anchors its scans within a minute.
    desk->scanner_key_ = ledger::KeyPair::derive(s.seed(), desk->self_);
    desk->scanner_keys_[desk->self_] = desk->scanner_key_.public_key();
    sensors::GatewayParams g;
    g.batch_interval = Duration::from_ns(sim::units::kMinute);
    desk->gateway_ = world.next_id();
    desk->gateway_node_ = &world.emplace<sensors::Gateway>(
        "agreements-gateway", {}, site, lc->validators, s.seed(), desk->gateway_, g,
        &desk->scanner_keys_, &desk->scan_counts_, &desk->observer_);
  }

  if (lc != nullptr) {
    // One framework_agreement per (importer, exporter it sources from), its bond at genesis.
    if (a.enabled) {
      for (size_t i = 0; i < importers.size(); ++i) {
        const Importer* imp = importers[i];
        for (sim::NodeId e : exporter_ids) {
          const double share = trade.sourcing_share(imp->port(), e);
          if (!(share > 0)) continue;
          const uint64_t account = contracts::instance_account(
              "agreement/" + std::to_string(importer_ids[i]) + "/" + std::to_string(e));
          contracts::deploy_at_genesis(
              world, *lc, "framework_agreement", account,
              {{"buyer", std::to_string(importer_ids[i])},
               {"supplier", std::to_string(e)},
               {"scanner_key", ledger::to_hex(desk->scanner_key_.public_key())},
               {"destination", std::to_string(static_cast<int>(kReceivingDock))},
               {"term_end_ns", std::to_string(a.term.ns())},
               {"penalty_per_day_bp", std::to_string(basis_points(a.penalty_per_day))},
               {"penalty_cap_bp", std::to_string(basis_points(a.penalty_cap))},
               {"defect_bp", std::to_string(basis_points(a.quality_penalty))}});
          const int64_t bond = static_cast<int64_t>(
              std::llround(a.bond * imp->mean_daily_demand() * 365 * share * price * 100));
          if (bond > 0) consensus::fund_at_genesis(world, account, bond);
          desk->instance_of[{importer_ids[i], e}] = account;
          desk->bond_records[account] = BondRecord{
              .importer = importer_ids[i], .exporter = e, .bond = std::max<int64_t>(bond, 0)};
          desk->bonds += bond;
        }
      }
    }
    if (f.enabled) {
      desk->invoice_registry = contracts::instance_account("trade/invoice_registry");
      contracts::deploy_at_genesis(world, *lc, "invoice_registry", desk->invoice_registry, {});
      for (int b = 0; b < f.banks; ++b) {
        desk->bank_accounts.push_back(contracts::instance_account("bank-" + std::to_string(b + 1)));
        consensus::fund_at_genesis(world, desk->bank_accounts.back(), kBankFunds);
      }
    }
    consensus::modify_genesis(
        world, [desk](ledger::WorldState& state) { desk->genesis_total = total_balance(state); });
  }

  sim::Engine& engine = world.engine();
  world.at_end([desk, &engine, lc] {
    sim::Metrics& m = engine.metrics();
    if (desk->agreements().enabled) {
      sim::EventTable& t = m.table(
          "agreements", "one row per order under a supply agreement, at the end of the run",
          {{"order", sim::ColumnType::kInt, "1", "order id"},
           {"importer", sim::ColumnType::kInt, "1", "node id (the buyer)"},
           {"exporter", sim::ColumnType::kInt, "1", "node id (the supplier)"},
           {"value_usd", sim::ColumnType::kFloat, "USD", "order value"},
           {"ordered_ns", sim::ColumnType::kInt, "ns", "order placed"},
           {"due_ns", sim::ColumnType::kInt, "ns", "promised delivery (placed + delivery)"},
           {"delivered_ns", sim::ColumnType::kInt, "ns", "received by the importer (-1: not yet)"},
           {"days_late", sim::ColumnType::kInt, "d", "whole days late, rounded up (0: on time)"},
           {"out_of_spec", sim::ColumnType::kInt, "1", "1: delivered out of specification"},
           {"breach", sim::ColumnType::kInt, "1",
            "ground truth: 1 when shipped under a breach_contract of its exporter"},
           {"air", sim::ColumnType::kInt, "1", "1: expedited by air"},
           {"penalty_due_usd", sim::ColumnType::kFloat, "USD", "penalty owed under the agreement"},
           {"penalty_paid_usd", sim::ColumnType::kFloat, "USD", "penalty paid to the importer"},
           {"paid_ns", sim::ColumnType::kInt, "ns", "when it was paid (-1: not paid)"},
           {"claim_cost_usd", sim::ColumnType::kFloat, "USD", "cost of the manual claim"},
           {"settled_by", sim::ColumnType::kText, "",
            "ledger, claim, unpaid, on_time, open (not delivered), claim_filed (not paid by the "
            "end), pending (ledger call not confirmed by the end)"},
           {"evidence_ns", sim::ColumnType::kInt, "ns",
            "ledger: time of the receiving scan that proves the delivery, from which the "
            "contract counts the days late (-1: no scan)"}});
      double due = 0, paid = 0, unpaid = 0, claims = 0, claim_cost = 0, late = 0, orders = 0;
      std::vector<double> to_comp;
      for (const auto& [id, r] : desk->agreements_by_order_) {
        ++orders;
        t.append({static_cast<int64_t>(r.order), static_cast<int64_t>(r.importer),
                  static_cast<int64_t>(r.exporter), r.value / 100.0, ns(r.placed), ns(r.due),
                  r.delivered == SimTime::max() ? kNone : ns(r.delivered), r.days_late,
                  static_cast<int64_t>(r.out_of_spec), static_cast<int64_t>(r.breach),
                  static_cast<int64_t>(r.air), r.penalty_due / 100.0, r.penalty_paid / 100.0,
                  r.paid_at == SimTime::max() ? kNone : ns(r.paid_at), r.claim_cost, r.settled_by,
                  r.evidence == SimTime::max() ? kNone : ns(r.evidence)});
        if (r.delivered == SimTime::max()) continue;
        late += r.days_late > 0 ? 1 : 0;
        due += r.penalty_due / 100.0;
        paid += r.penalty_paid / 100.0;
        unpaid += (r.penalty_due - r.penalty_paid) / 100.0;
        claim_cost += r.claim_cost;
        claims += r.claim_cost > 0 ? 1 : 0;
        if (r.paid_at != SimTime::max())
          to_comp.push_back((r.paid_at - r.delivered).seconds() / 86400);
      }
      m.set_summary("agreements.orders", orders, "1", "orders under a supply agreement");
      m.set_summary("agreements.late_orders", late, "1", "delivered orders that were late");
      m.set_summary("agreements.penalties_due", due, "USD", "penalties owed on delivered orders");
      m.set_summary("agreements.penalties_paid", paid, "USD", "of which paid by the end");
      m.set_summary("agreements.penalties_unpaid", unpaid, "USD",
                    "of which not paid (claims refused or pending, bonds used up)");
      m.set_summary("agreements.compensation_days_median", percentile(to_comp, 0.5), "d",
                    "median delivery to penalty paid, over the penalties paid (NaN: none)");
      m.set_summary("agreements.claims", claims, "1", "manual claims filed (no ledger)");
      m.set_summary("agreements.claim_costs", claim_cost, "USD", "their cost to the importers");
      m.set_summary("agreements.bonds", desk->bonds / 100.0, "USD",
                    "suppliers' bonds posted at genesis (ledger)");
      double released = 0, released_count = 0;
      for (const auto& [instance, b] : desk->bond_records) {
        released += b.released / 100.0;
        released_count += b.released_at != SimTime::max() ? 1 : 0;
      }
      m.set_summary("agreements.bonds_released", released, "USD",
                    "what was left of the bonds, returned to the suppliers at the end of the "
                    "term once no order under their agreement was open (ledger)");
      m.set_summary("agreements.agreements_released", released_count, "1",
                    "agreements whose bond was released (ledger)");
    }
    if (desk->financing().enabled) {
      sim::EventTable& t = m.table(
          "financing", "one row per presentation of an invoice to a bank",
          {{"invoice", sim::ColumnType::kInt, "1", "invoice (shipment) id"},
           {"exporter", sim::ColumnType::kInt, "1", "node id of the issuer"},
           {"importer", sim::ColumnType::kInt, "1", "node id of the debtor"},
           {"bank", sim::ColumnType::kText, "", "bank-<n>"},
           {"amount_usd", sim::ColumnType::kFloat, "USD", "advance requested"},
           {"presented_ns", sim::ColumnType::kInt, "ns", "presented to the bank"},
           {"decided_ns", sim::ColumnType::kInt, "ns", "advanced or refused (-1: pending)"},
           {"outcome", sim::ColumnType::kText, "",
            "financed, refused, double_financed (a second advance on one invoice), pending"},
           {"fraud", sim::ColumnType::kInt, "1",
            "ground truth: 1 for the second presentation by a fraudulent exporter"},
           {"lost_usd", sim::ColumnType::kFloat, "USD",
            "advance lost when the fraudulent exporter defaults"}});
      double attempts = 0, prevented = 0, doubled = 0, lost = 0, financed = 0;
      for (const FinancingRecord& r : desk->financings_) {
        t.append({static_cast<int64_t>(r.invoice), static_cast<int64_t>(r.exporter),
                  static_cast<int64_t>(r.importer), "bank-" + std::to_string(r.bank + 1),
                  r.amount / 100.0, ns(r.presented),
                  r.decided == SimTime::max() ? kNone : ns(r.decided), r.outcome,
                  static_cast<int64_t>(r.fraud), r.lost / 100.0});
        attempts += r.fraud ? 1 : 0;
        prevented += r.fraud && r.outcome == "refused" ? 1 : 0;
        doubled += r.outcome == "double_financed" ? 1 : 0;
        financed += r.outcome == "financed" ? 1 : 0;
        lost += r.lost / 100.0;
      }
      m.set_summary("financing.financed", financed, "1", "invoices advanced once");
      m.set_summary("financing.attempts", attempts, "1",
                    "second presentations of an invoice (double financing attempts)");
      m.set_summary("financing.prevented", prevented, "1", "of which refused");
      m.set_summary("financing.double_financed", doubled, "1", "of which advanced a second time");
      m.set_summary("financing.money_lost", lost, "USD",
                    "second advances lost when the fraudulent exporters defaulted");
    }
    if (lc != nullptr) {
      // Money is only moved on the ledger: every balance summed is what genesis held.
      const auto* v = dynamic_cast<const consensus::Validator*>(&engine.node(lc->validators[0]));
      const double drift =
          v == nullptr
              ? std::nan("")
              : static_cast<double>(total_balance(v->state()) - desk->genesis_total) / 100.0;
      m.set_summary("agreements.ledger_money_drift", drift, "USD",
                    "sum of all ledger balances at the end minus at genesis (0: conserved)");
    }
  });
  return true;
}

}  // namespace tradesim::trade
