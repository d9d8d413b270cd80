// The `market` section (see market.hpp and docs/market.md).
#include "models/trade/market.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/consensus/scenario.hpp"
#include "models/consensus/submitter.hpp"
#include "models/consensus/validator.hpp"
#include "models/contracts/oracle.hpp"
#include "models/contracts/scenario.hpp"
#include "models/ledger/crypto.hpp"
#include "models/ledger/transaction.hpp"
#include "models/sensors/conservation.hpp"
#include "models/sensors/gateway.hpp"

namespace tradesim::trade::market {

namespace {

using sim::Duration;
using sim::Field;
using sim::FieldType;
using sim::SimTime;

enum class Kind : uint8_t { kB2B, kB2C, kC2C };

// Ground truth of an order or a review.
enum class Fraud : uint8_t { kNone, kNonDelivery, kCounterfeit, kFakeReview, kSybil };
constexpr size_t kFraudKinds = 5;
constexpr std::array<std::string_view, kFraudKinds> kFraudNames{
    "none", "non_delivery", "counterfeit", "fake_review", "sybil_seller"};

struct PlatformParams {
  std::string name;
  Kind kind = Kind::kB2C;
  double fee = 0.05;
  uint32_t sellers = 20, buyers = 500;
  double orders_per_s = 0;
  double price_mean = 8000, price_sd = 4000;  // cents
  Duration handling, delivery, delivery_sd;
  double defect_rate = 0.02, defect_rate_fraud = 0.4, review_rate = 0.3, claim_defect = 0.6;
  double false_claims = 0.01;
  Duration auto_release, claim_grace, dispute_delay, arbiter_delay, dispute_window, deadline;
  double dispute_accuracy = 0.85;
  int64_t dispute_cost = 2000, arbiter_cost = 200;
  double consumer_detection = 0.3, review_filter = 0.2;
  int64_t fake_review_price = 500, fake_trade_price = 500, shipping_cost = 400;
  int64_t seller_stake = 10000;
  uint32_t rfq_quotes = 3, ban_after = 3;
  uint64_t max_orders = 0;  // genuine orders placed in all (0: no limit)
  double choice_beta = 1.5;
  bool provenance = true;
};

struct Seller {
  uint64_t account = 0;
  bool low_quality = false;  // a fake-review fraudster's shop
  bool sybil = false;
  bool active = true;
  bool banned = false;
  bool staked = false;
  bool used = false;                                         // a Sybil identity already put to use
  SimTime nd_from = SimTime::max(), nd_to = SimTime::max();  // non-delivery window
  SimTime cf_from = SimTime::max(), cf_to = SimTime::max();  // counterfeit window
  double cf_share = 0;
  SimTime fr_from = SimTime::max(), fr_to = SimTime::max();  // fake-review window
  double fr_per_s = 0;
  double stars = 0, reviews = 0;  // the platform's reviews (central)
  double ledger_score = 0;        // the on-ledger score, as last indexed (0: unrated)
  int64_t balance = 0;            // central: paid out, not withdrawn (fraudsters withdraw)
  uint32_t upheld = 0;            // claims decided against it
  bool in(SimTime t, SimTime from, SimTime to) const { return from <= t && t < to; }
  // A shop that went bad and buys reviews to hide it, from its campaign's start.
  bool fake_shop(SimTime t) const { return low_quality && fr_from <= t; }
};

enum class Outcome : uint8_t { kOpen, kReleased, kRefunded, kResolvedBuyer, kResolvedSeller };
constexpr std::array<std::string_view, 5> kOutcomeNames{"open", "released", "refunded",
                                                        "resolved_buyer", "resolved_seller"};

struct Order {
  uint64_t id = 0;
  uint32_t seller = 0;
  uint64_t buyer = 0;
  int64_t price = 0;
  bool fake = false;  // a Sybil trade that buys a review
  Fraud truth = Fraud::kNone;
  bool counterfeit = false, defect = false, shipped = false, released = false;
  bool claimed = false, provenance_ready = false, sale_pending = false, delivering = false;
  uint32_t pending = 0;  // timers and ledger calls still to come back to this order
  SimTime created, paid = SimTime::max(), shipped_at = SimTime::max(), arrived = SimTime::max(),
                   settled = SimTime::max();
  Outcome outcome = Outcome::kOpen;
  bool detected = false;
  SimTime detected_at = SimTime::max();
  std::string detected_by;
  int64_t loss = 0, cost = 0;
  uint64_t escrow = 0;
  uint64_t tag = 0;        // the parcel's RFID tag: in the escrow, scanned at the door
  uint64_t item_tag = 0;   // the item's identity in the provenance registry (a fake's is its own)
  bool delivered = false;  // the escrow accepted the delivery proof
  sim::Rng rng;            // the order's own stream: the same draws whatever else happens
  uint64_t gas_calls = 0;
  uint64_t gas = 0;  // used by the order's contract calls, from their receipts
};

struct KindCounts {
  uint64_t instances = 0, detected = 0, false_detections = 0;
  double money_lost = 0, cost = 0;  // cents
};

struct MarketRun {
  bool ledger = false;
  uint64_t seed = 0;
  contracts::LedgerContracts* contracts = nullptr;
  std::vector<sim::NodeId> validators;
  sim::Engine* engine = nullptr;
  sensors::KeyDirectory keys;
  sensors::Conservation counts;
  sensors::GatewayObserver observer;
  ledger::VerificationMemo memo;
  sim::EventTable* orders = nullptr;
  sim::EventTable* truth = nullptr;
  sim::EventTable* detections = nullptr;
  std::array<KindCounts, kFraudKinds> kinds{};
  uint64_t orders_total = 0, orders_fake = 0, orders_to_fraud_shops = 0, orders_dropped = 0;
  uint64_t ledger_calls = 0, ledger_calls_failed = 0, outcomes_unknown = 0;
  std::map<std::string, uint64_t> failed_by_method;  // contract calls reverted, by method
  std::map<std::string, uint64_t> failure_reasons;   // and why (the receipts' reasons)
  double fees = 0, dispute_costs = 0, shipping_fake = 0;
  std::vector<double> settle_days, payout_days;
  std::vector<double> released_gas;  // gas of each released (completed) genuine trade
  std::map<sim::NodeId, sim::NodeId> market_of_gateway;
  int64_t genesis_money = 0;
};

constexpr uint64_t kSybilBuyers = 1000;  // ledger accounts of the Sybil buyers, per platform
constexpr int64_t kWallet = int64_t{1'000'000} * 100;  // 1 M USD each at genesis: never short

// Accounts of the market's parties: not node ids (small), not contract instances (bit 62) or
// deployed contracts (bit 63): bits 60-61 set, then platform, role and index.
enum class Role : uint64_t { kSeller = 1, kBuyer = 2, kBrand = 3, kSybilBuyer = 4, kPlatform = 5 };
uint64_t account(uint32_t platform, Role role, uint64_t index) {
  return (uint64_t{3} << 60) | (uint64_t{platform} << 44) | (static_cast<uint64_t>(role) << 40) |
         index;
}

void fund(MarketRun& r, ledger::WorldState& state, uint64_t acct) {
  state.set_balance(acct, kWallet);
  r.genesis_money += kWallet;
}

constexpr uint8_t kScanCheckpoint = static_cast<uint8_t>(sensors::Checkpoint::kRetailer);

class Marketplace : public sim::Node {
 public:
  Marketplace(MarketRun* run, uint32_t index, PlatformParams p, sim::NodeId self,
              sim::NodeId gateway)
      : run_(run),
        index_(index),
        p_(std::move(p)),
        self_(self),
        gateway_(gateway),
        scanner_key_(ledger::KeyPair::derive(run->seed, self)) {
    for (uint32_t i = 0; i < p_.sellers; ++i) {
      Seller s;
      s.account = account(index_, Role::kSeller, i);
      sellers_.push_back(s);
    }
    if (run_->ledger) {
      submitter_.emplace(run_->validators, consensus::SubmitTo::kOne,
                         Duration::from_ns(30 * sim::units::kSecond));
    }
  }
  std::string_view kind() const override { return "marketplace"; }
  const PlatformParams& params() const { return p_; }
  const ledger::PublicKey& scanner_key() const { return scanner_key_.public_key(); }
  uint64_t platform_account() const { return account(index_, Role::kPlatform, 0); }
  uint64_t brand_account() const { return account(index_, Role::kBrand, 0); }
  uint32_t index() const { return index_; }
  std::vector<Seller>& sellers() { return sellers_; }
  uint64_t reputation = 0, provenance = 0;  // instance accounts (ledger)
  const sensors::Gateway* gateway_node = nullptr;

  // Reserves sybil seller identities (at build, so that a ledger can fund them at genesis).
  uint32_t add_sybils(uint32_t n) {
    const auto first = static_cast<uint32_t>(sellers_.size());
    for (uint32_t i = 0; i < n; ++i) {
      Seller s;
      s.account = account(index_, Role::kSeller, first + i);
      s.sybil = true;
      s.active = false;
      sellers_.push_back(s);
    }
    return first;
  }
  // The last `n` honest sellers (fraud actions pick from the end of the list).
  std::vector<uint32_t> pick_honest(uint32_t n) const {
    std::vector<uint32_t> out;
    for (uint32_t i = p_.sellers; i-- > 0 && out.size() < n;) {
      const Seller& s = sellers_[i];
      if (!s.low_quality && s.nd_from == SimTime::max() && s.cf_from == SimTime::max()) {
        out.push_back(i);
      }
    }
    return out;
  }
  // sybil_sellers: the reserved identities from `first` go live at `at` for `length`; a banned
  // one is replaced by the next (central platforms only ban, they cannot stop a new account).
  void plan_sybils(uint32_t first, uint32_t live, uint32_t reserve, SimTime at, SimTime until) {
    sybil_plans_.push_back({first, live, reserve, at, until});
  }

  void on_start(sim::Context& ctx) override {
    arrivals_ = ctx.stream("market.arrivals");
    choices_ = ctx.stream("market.choices");
    prices_ = ctx.stream("market.prices");
    campaigns_ = ctx.stream("market.campaigns");
    after(ctx, Duration::from_seconds(ctx.stream("arrivals").exponential(1 / p_.orders_per_s)),
          [this](sim::Context& c) { arrival(c); });
    if (run_->ledger) {
      for (uint32_t i = 0; i < p_.sellers; ++i) stake(ctx, i);
      after(ctx, Duration::from_ns(sim::units::kHour), [this](sim::Context& c) { index(c); });
    }
    for (const SybilPlan& plan : sybil_plans_) {
      const SybilPlan copy = plan;
      after(ctx, plan.at - ctx.now(), [this, copy](sim::Context& c) { start_sybils(c, copy); });
    }
    for (uint32_t i = 0; i < sellers_.size(); ++i) {
      const Seller& s = sellers_[i];
      if (s.fr_per_s <= 0) continue;
      after(ctx, s.fr_from - ctx.now(), [this, i](sim::Context& c) { fake_review(c, i); });
    }
  }

  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override {
    if (const auto* m = msg.get_if<consensus::TxCommitted>()) {
      if (!submitter_) return;
      if (auto done = submitter_->on_committed(from, *m)) {
        const auto it = waiting_.find(done->tx->id());
        if (it == waiting_.end()) return;
        auto fn = std::move(it->second);
        waiting_.erase(it);
        // A validator that caught up by state transfer did not execute the block and cannot say
        // (kUnknown); the call is then taken as applied (counted: ledger_outcomes_unknown).
        const bool applied = done->applied > 0 || done->failed == 0;
        if (done->applied == 0 && done->failed == 0) ++run_->outcomes_unknown;
        if (!applied) {
          ++run_->ledger_calls_failed;
          const std::string why = done->receipt       ? done->receipt->reason
                                  : done->unknown > 0 ? "outcome unknown (state transfer)"
                                                      : "not applied";
          ++run_->failure_reasons[why];
        }
        fn(ctx, applied, done->receipt ? done->receipt->gas_used : 0);
      }
    }
  }

  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) override {
    const auto it = actions_.find(tag);
    if (it == actions_.end()) return;
    auto fn = std::move(it->second);
    actions_.erase(it);
    fn(ctx);
  }

  // A courier's scan of `tag` was anchored by the gateway (called through the engine).
  void on_anchored(sim::Context& ctx, uint64_t batch_id) {
    const sensors::StoredBatch* batch = gateway_node->batch(batch_id);
    if (batch == nullptr) return;
    for (const sensors::RfidScan& scan : batch->scans) {
      const auto it = by_tag_.find(scan.tag);
      if (it == by_tag_.end()) continue;
      const uint64_t id = it->second;
      const auto proof = gateway_node->fetch_scan(scan.tag, scan.checkpoint);
      if (!proof) continue;
      Order& o = orders_.at(id);
      if (o.delivering) continue;
      o.delivering = true;
      --o.pending;  // the scan is anchored (arrive)
      const contracts::Bytes anchor(batch->tx_id.begin(), batch->tx_id.end());
      order_call(ctx, id, sellers_[o.seller].account, o.escrow, "deliver",
                 contracts::Args{contracts::encode_scan_proof(*proof), anchor}, 0,
                 [this](sim::Context& c, Order& order, bool ok) {
                   // Refused (late): the refund armed at funding returns the money.
                   if (ok) inspect(c, order);
                 });
    }
  }

  // Orders still open at the end of the run: their rows, as they stand.
  void finish() {
    for (auto& [id, o] : orders_) record(o);
    orders_.clear();
  }

 private:
  using Action = std::function<void(sim::Context&)>;
  // `gas`: what the call used, from its receipt (0 for a payment).
  using Done = std::function<void(sim::Context&, bool applied, uint64_t gas)>;
  struct SybilPlan {
    uint32_t first, live, reserve;
    SimTime at, until;
  };

  void after(sim::Context& ctx, Duration d, Action fn) {
    const uint64_t tag = ++next_tag_;
    actions_.emplace(tag, std::move(fn));
    ctx.set_timer(std::max(d, Duration::zero()), tag);
  }

  const ledger::KeyPair& key(uint64_t acct) {
    auto it = keys_.find(acct);
    if (it == keys_.end())
      it = keys_.emplace(acct, ledger::KeyPair::derive(run_->seed, acct)).first;
    return it->second;
  }

  ledger::TxPtr sign(sim::Context& ctx, ledger::Transaction tx) {
    tx.sender_key = key(tx.sender).public_key();
    tx.nonce = ++nonces_[tx.sender];
    tx.declared_bytes = static_cast<uint32_t>(tx.payload.size());
    tx.submitted_ns = ctx.now().ns();
    tx.sign_with(key(tx.sender));
    return ledger::seal(std::move(tx));
  }

  void submit(sim::Context& ctx, const ledger::TxPtr& tx, Done done) {
    waiting_.emplace(tx->id(), std::move(done));
    submitter_->submit(ctx, tx);
    ++run_->ledger_calls;
    arm_retry(ctx);
  }

  // A contract call from `from` to `to`; `done` runs when it is confirmed (applied or not).
  void call(sim::Context& ctx, uint64_t from, uint64_t to, std::string method, contracts::Args args,
            int64_t value, Done done) {
    ledger::Transaction tx;
    tx.kind = ledger::TxKind::kContractCall;
    tx.sender = from;
    tx.recipient = to;
    tx.amount = value;
    tx.payload = contracts::encode_call(
        {run_->contracts->gas_limit, run_->contracts->gas_price, method, std::move(args)});
    submit(ctx, sign(ctx, std::move(tx)),
           [this, method = std::move(method), done = std::move(done)](sim::Context& c, bool ok,
                                                                      uint64_t gas) {
             if (!ok) ++run_->failed_by_method[method];
             done(c, ok, gas);
           });
  }

  void pay(sim::Context& ctx, uint64_t from, uint64_t to, int64_t amount) {
    ledger::Transaction tx;
    tx.kind = ledger::TxKind::kPayment;
    tx.sender = from;
    tx.recipient = to;
    tx.amount = amount;
    submit(ctx, sign(ctx, std::move(tx)), [](sim::Context&, bool, uint64_t) {});
  }

  void arm_retry(sim::Context& ctx) {
    if (retry_armed_) return;
    const auto next = submitter_->next_retry();
    if (!next) return;
    retry_armed_ = true;
    after(ctx, *next - ctx.now(), [this](sim::Context& c) {
      retry_armed_ = false;
      submitter_->resend_due(c, {}, [](sim::Context&) { return true; });
      arm_retry(c);
    });
  }

  // The state of a validator that is up: the platform's own consortium node, read locally.
  const ledger::WorldState* replica() const {
    for (sim::NodeId v : run_->validators) {
      if (run_->engine->is_up(v)) {
        return &static_cast<const consensus::Validator&>(run_->engine->node(v)).state();
      }
    }
    return nullptr;
  }
  std::string query(uint64_t contract, std::string method, contracts::Args args) const {
    const ledger::WorldState* state = replica();
    if (state == nullptr) return {};
    return run_->contracts->runtime.query(*state, contract, method, args).output;
  }

  double rating(const Seller& s) const {
    if (run_->ledger) return s.ledger_score > 0 ? s.ledger_score : 4.0;
    return (s.stars + 4.0 * 3) / (s.reviews + 3);  // a prior of three 4-star reviews
  }

  // --- Orders.

  std::optional<uint32_t> choose(sim::Rng& rng) const {
    std::vector<uint32_t> open;
    for (uint32_t i = 0; i < sellers_.size(); ++i) {
      if (sellers_[i].active && !sellers_[i].banned) open.push_back(i);
    }
    if (open.empty()) return std::nullopt;
    if (p_.kind == Kind::kB2B) {
      // A request for quotation to rfq_quotes suppliers; the best price for its risk wins.
      uint32_t best = 0;
      double best_cost = 0;
      for (uint32_t q = 0; q < std::min<uint32_t>(p_.rfq_quotes, open.size()); ++q) {
        const uint32_t i = open[rng.below(open.size())];
        const double quote = std::exp(rng.normal(0, 0.08));
        const double cost = quote * (1 + 0.1 * (5 - rating(sellers_[i])));
        if (q == 0 || cost < best_cost) best = i, best_cost = cost;
      }
      return best;
    }
    double total = 0;
    std::vector<double> w(open.size());
    for (size_t k = 0; k < open.size(); ++k) {
      w[k] = std::exp(p_.choice_beta * (rating(sellers_[open[k]]) - 4));
      total += w[k];
    }
    double x = rng.uniform() * total;
    for (size_t k = 0; k < open.size(); ++k) {
      if ((x -= w[k]) <= 0) return open[k];
    }
    return open.back();
  }

  void arrival(sim::Context& ctx) {
    after(ctx, Duration::from_seconds(arrivals_.exponential(1 / p_.orders_per_s)),
          [this](sim::Context& c) { arrival(c); });
    sim::Rng& rng = choices_;
    if (p_.max_orders != 0 && genuine_orders_ >= p_.max_orders) return;
    const auto seller = choose(rng);
    if (!seller) {
      ++run_->orders_dropped;  // every seller banned or gone
      return;
    }
    ++genuine_orders_;
    const double sigma2 =
        std::log(1 + (p_.price_sd * p_.price_sd) / (p_.price_mean * p_.price_mean));
    const double mu = std::log(p_.price_mean) - sigma2 / 2;
    const uint64_t buyer = account(index_, Role::kBuyer, rng.below(p_.buyers));
    const auto price =
        std::max<int64_t>(100, std::llround(std::exp(prices_.normal(mu, std::sqrt(sigma2)))));
    open_order(ctx, *seller, buyer, price, false);
  }

  uint64_t open_order(sim::Context& ctx, uint32_t seller, uint64_t buyer, int64_t price,
                      bool fake) {
    const uint64_t id = ++next_order_;
    Order& o = orders_[id];
    o.id = id;
    o.seller = seller;
    o.buyer = buyer;
    o.price = price;
    o.fake = fake;
    o.created = ctx.now();
    o.tag = o.item_tag = (uint64_t{index_} << 48) | id;
    o.rng = sim::Rng(run_->seed, self_, 0x6f72646572ULL ^ (id * 0x9e3779b97f4a7c15ULL));
    const Seller& s = sellers_[seller];
    if (fake) {
      o.truth = Fraud::kFakeReview;
      ++run_->orders_fake;
    } else {
      ++run_->orders_total;
      if (s.fake_shop(ctx.now())) ++run_->orders_to_fraud_shops;
    }
    if (!run_->ledger) {
      o.paid = ctx.now();  // card payment, held by the platform
      ship_later(ctx, id);
      return id;
    }
    // Ledger: the buyer deploys an escrow for this order (its address follows from the buyer's
    // account and nonce), then funds it.
    o.escrow = contracts::contract_address(buyer, nonces_[buyer] + 1);
    contracts::Args args{std::string("escrow"),
                         std::string("buyer"),
                         std::to_string(buyer),
                         std::string("seller"),
                         std::to_string(s.account),
                         std::string("amount"),
                         std::to_string(price),
                         std::string("tag"),
                         std::to_string(o.tag),
                         std::string("destination"),
                         std::to_string(kScanCheckpoint),
                         std::string("scanner_key"),
                         ledger::to_hex(scanner_key()),
                         std::string("deadline_ns"),
                         std::to_string((ctx.now() + p_.deadline).ns()),
                         std::string("dispute_window_ns"),
                         std::to_string(p_.dispute_window.ns()),
                         std::string("arbiter"),
                         std::to_string(platform_account())};
    // No cold chain (no sensor_key): the RFID scan is the whole proof of delivery.
    order_call(ctx, id, buyer, contracts::kDeployer, "deploy", std::move(args), 0,
               [this](sim::Context& c, Order& order, bool ok) {
                 if (!ok) return settle(c, order, Outcome::kRefunded);  // nothing was paid
                 order_call(c, order.id, order.buyer, order.escrow, "fund", {}, order.price,
                            [this](sim::Context& c2, Order& o2, bool ok2) {
                              if (!ok2) return settle(c2, o2, Outcome::kRefunded);
                              o2.paid = c2.now();
                              ship_later(c2, o2.id);
                              // Whatever happens to the parcel (never shipped, never scanned,
                              // the proof refused), the buyer takes the money back after the
                              // deadline if it was not delivered.
                              order_after(c2, o2.id,
                                          o2.created + p_.deadline +
                                              Duration::from_ns(sim::units::kMinute) - c2.now(),
                                          [this](sim::Context& c3, Order& o3) { refund(c3, o3); });
                            });
               });
    if (p_.provenance && !fake) register_item(ctx, id);
    return id;
  }

  // The brand registers a genuine item, records its production and hands it to the seller.
  void register_item(sim::Context& ctx, uint64_t id) {
    const uint64_t brand = brand_account();
    const uint64_t tag = orders_.at(id).tag;
    order_call(ctx, id, brand, provenance, "register", contracts::Args{tag}, 0,
               [this, brand, tag](sim::Context& c, Order& o, bool) {
                 order_call(c, o.id, brand, provenance, "event",
                            contracts::Args{tag, std::string("production")}, 0,
                            [this, brand, tag](sim::Context& c2, Order& o2, bool) {
                              order_call(c2, o2.id, brand, provenance, "transfer",
                                         contracts::Args{tag, sellers_[o2.seller].account}, 0,
                                         [this](sim::Context& c3, Order& o3, bool) {
                                           o3.provenance_ready = true;
                                           if (o3.sale_pending) record_sale(c3, o3);
                                         });
                            });
               });
  }

  void record_sale(sim::Context& ctx, Order& o) {
    o.sale_pending = false;
    order_call(ctx, o.id, sellers_[o.seller].account, provenance, "event",
               contracts::Args{o.tag, std::string("sale")}, 0, [](sim::Context&, Order&, bool) {});
  }

  void ship_later(sim::Context& ctx, uint64_t id) {
    Order& o = orders_.at(id);
    order_after(ctx, id, Duration::from_seconds(o.rng.exponential(p_.handling.seconds())),
                [this](sim::Context& c, Order& o) { ship(c, o); });
  }

  void ship(sim::Context& ctx, Order& o) {
    Seller& s = sellers_[o.seller];
    sim::Rng& rng = o.rng;
    const SimTime now = ctx.now();
    if (!o.fake && (s.in(now, s.nd_from, s.nd_to) || s.sybil)) {
      o.truth = s.sybil ? Fraud::kSybil : Fraud::kNonDelivery;
      count_truth(o);
      if (run_->ledger) {
        // Nothing is scanned: after the deadline the buyer takes the money back (the refund
        // armed at funding).
      } else {
        // A fake tracking number: the platform releases the money after auto_release; the
        // buyer claims when nothing came.
        o.shipped_at = now;
        order_after(ctx, o.id, p_.auto_release,
                    [this](sim::Context& c, Order& order) { release_central(c, order); });
        order_after(ctx, o.id, p_.delivery + p_.claim_grace, [this](sim::Context& c, Order& order) {
          claim(c, order, Claim::kNotReceived, true);
        });
      }
      return;
    }
    if (!o.fake && s.in(now, s.cf_from, s.cf_to) && rng.bernoulli(s.cf_share)) {
      o.counterfeit = true;
      o.truth = Fraud::kCounterfeit;
      o.item_tag |= uint64_t{1} << 47;  // an identity the brand never registered
      count_truth(o);
    }
    o.defect = !o.fake && rng.bernoulli(s.fake_shop(now) ? p_.defect_rate_fraud : p_.defect_rate);
    o.shipped = true;
    o.shipped_at = now;
    if (o.fake) run_->shipping_fake += static_cast<double>(p_.shipping_cost);
    if (run_->ledger && p_.provenance && !o.counterfeit && !o.fake) {
      if (o.provenance_ready) {
        record_sale(ctx, o);
      } else {
        o.sale_pending = true;
      }
    }
    if (!run_->ledger) {
      order_after(ctx, o.id, p_.auto_release,
                  [this](sim::Context& c, Order& order) { release_central(c, order); });
    }
    const double mean = p_.delivery.seconds(), sd = p_.delivery_sd.seconds();
    const double sigma2 = std::log(1 + sd * sd / (mean * mean));
    const double transit = std::exp(rng.normal(std::log(mean) - sigma2 / 2, std::sqrt(sigma2)));
    by_tag_[o.tag] = o.id;
    order_after(ctx, o.id, Duration::from_seconds(transit),
                [this](sim::Context& c, Order& order) { arrive(c, order); });
  }

  void arrive(sim::Context& ctx, Order& o) {
    o.arrived = ctx.now();
    if (!run_->ledger) return inspect(ctx, o);
    // The courier scans the parcel at the door; the gateway anchors the scan; the seller then
    // proves delivery to the escrow (on_anchored).
    sensors::RfidScan scan = sensors::make_scan(
        o.tag, self_, static_cast<sensors::Checkpoint>(kScanCheckpoint), ctx.now(), scanner_key_);
    ++o.pending;  // until the anchored scan is turned into a delivery (on_anchored)
    ctx.send(gateway_, sim::Message::make(sensors::ScanMsg{scan}, sensors::RfidScan::kWireBytes));
  }

  // The buyer has the parcel: checks it, disputes or claims, or reviews.
  void inspect(sim::Context& ctx, Order& o) {
    sim::Rng& rng = o.rng;
    if (run_->ledger) {
      o.delivered = true;
      bool flagged = false;
      if (p_.provenance && !o.fake) {
        flagged = !query(provenance, "suspect", contracts::Args{o.item_tag}).empty();
      }
      if (flagged) {
        detect(ctx, o, "provenance", o.truth == Fraud::kCounterfeit);
        return dispute(ctx, o, p_.arbiter_delay, p_.arbiter_cost, true);
      }
      if (o.defect && rng.bernoulli(p_.claim_defect)) {
        return dispute(ctx, o, p_.dispute_delay, p_.dispute_cost, true);
      }
      if (!o.fake && !o.defect && rng.bernoulli(p_.false_claims)) {
        // "Never arrived": the delivery scan on the ledger answers it.
        return dispute(ctx, o, p_.arbiter_delay, p_.arbiter_cost, false, true);
      }
      order_after(ctx, o.id, p_.dispute_window + Duration::from_ns(sim::units::kMinute),
                  [this](sim::Context& c, Order& order) { release_ledger(c, order); });
      return;
    }
    if (o.counterfeit && rng.bernoulli(p_.consumer_detection)) {
      return claim(ctx, o, Claim::kCounterfeit, true);
    }
    if (o.defect && rng.bernoulli(p_.claim_defect)) return claim(ctx, o, Claim::kDefect, true);
    if (!o.defect && !o.counterfeit && rng.bernoulli(p_.false_claims)) {
      return claim(ctx, o, Claim::kNotReceived, false);
    }
    review(ctx, o, o.defect || o.counterfeit ? 2 : (rng.bernoulli(0.7) ? 5 : 4));
    if (o.released) settle(ctx, o, Outcome::kReleased);
  }

  // --- Central platform: claims, manual disputes, release after auto_release.

  // A buyer's claim: `valid` when the complaint is true. Only upheld claims of fraud (nothing
  // came, a counterfeit) count towards banning a seller; a defect is a refund, not a ban.
  enum class Claim : uint8_t { kNotReceived, kCounterfeit, kDefect };
  void claim(sim::Context& ctx, Order& o, Claim what, bool valid) {
    if (o.claimed) return;
    o.claimed = true;
    o.cost += p_.dispute_cost;
    run_->dispute_costs += static_cast<double>(p_.dispute_cost);
    order_after(ctx, o.id, p_.dispute_delay, [this, what, valid](sim::Context& c, Order& order) {
      const bool right = order.rng.bernoulli(p_.dispute_accuracy);
      const bool buyer_wins = valid ? right : !right;
      Seller& s = sellers_[order.seller];
      if (buyer_wins) {
        if (order.truth != Fraud::kNone) {
          detect(c, order, "claim", true);
        } else if (!valid) {
          detect(c, order, "claim", false);  // an honest seller found guilty
        }
        const auto fee =
            static_cast<int64_t>(std::llround(p_.fee * static_cast<double>(order.price)));
        if (!order.released) {
          order.released = true;  // the platform still holds the money: back to the buyer
        } else if (s.balance >= order.price - fee) {
          s.balance -= order.price - fee;  // clawed back from the seller; no commission
          run_->fees -= static_cast<double>(fee);
          order.loss = 0;
        } else {
          // Paid out and withdrawn: the platform refunds the buyer at its own cost; what the
          // seller took is lost (the commission, returned to the buyer, is not revenue).
          run_->fees -= static_cast<double>(fee);
          order.loss = order.truth != Fraud::kNone ? order.price - fee : 0;
        }
        if (what != Claim::kDefect) ban_check(c, order.seller);
        settle(c, order, Outcome::kResolvedBuyer, true);
      } else {
        if (order.truth != Fraud::kNone) order.loss = order.price;  // the buyer's loss
        settle(c, order, Outcome::kResolvedSeller, true);
        if (!order.released) pay_out(c, order);
      }
      if (valid) review(c, order, 1);
    });
  }

  void release_central(sim::Context& ctx, Order& o) {
    if (o.released || o.claimed) return;  // a claim holds the money until it is decided
    pay_out(ctx, o);
    if (o.arrived != SimTime::max() || o.truth != Fraud::kNone) settle(ctx, o, Outcome::kReleased);
  }

  void pay_out(sim::Context& ctx, Order& o) {
    o.released = true;
    const auto fee = static_cast<int64_t>(std::llround(p_.fee * static_cast<double>(o.price)));
    run_->fees += static_cast<double>(fee);
    Seller& s = sellers_[o.seller];
    const SimTime now = ctx.now();
    const bool fraudster = s.sybil || s.nd_from <= now || s.cf_from <= now;
    if (!fraudster) s.balance += o.price - fee;  // fraudsters withdraw at once
    if (!o.fake) run_->payout_days.push_back((now - o.paid).seconds() / 86400);
    // Gone unless a claim later recovers it.
    if (o.truth != Fraud::kNone && o.truth != Fraud::kFakeReview) o.loss = o.price;
  }

  void review(sim::Context& ctx, Order& o, int stars) {
    const double p = stars <= 2 ? std::min(1.0, 2 * p_.review_rate) : p_.review_rate;
    if (!o.fake && !o.rng.bernoulli(p)) return;  // a bought trade always rates
    if (run_->ledger) {
      if (o.outcome != Outcome::kReleased) return;  // ratings come from completed trades only
      order_call(ctx, o.id, o.buyer, reputation, "rate",
                 contracts::Args{o.escrow, static_cast<uint64_t>(stars)}, 0,
                 [this](sim::Context&, Order& order, bool ok) {
                   if (!order.fake || !ok) return;
                   // A fake review that counts: what it cost the fraudster (the commission and
                   // the parcel; the price went from one of its accounts to another).
                   KindCounts& k = run_->kinds[static_cast<size_t>(Fraud::kFakeReview)];
                   ++k.instances;
                   order.cost = static_cast<int64_t>(
                                    std::llround(p_.fee * static_cast<double>(order.price))) +
                                p_.shipping_cost;
                   k.cost += static_cast<double>(order.cost);
                   truth_row(order, "");
                 });
      return;
    }
    Seller& s = sellers_[o.seller];
    s.stars += stars;
    s.reviews += 1;
  }

  void ban_check(sim::Context& ctx, uint32_t seller) {
    Seller& s = sellers_[seller];
    if (++s.upheld < p_.ban_after || s.banned) return;
    s.banned = true;
    if (!s.sybil) return;
    // A banned Sybil seller is back tomorrow under a new name, while the campaign lasts.
    for (SybilPlan& plan : sybil_plans_) {
      if (seller < plan.first || seller >= plan.first + plan.reserve) continue;
      if (ctx.now() >= plan.until) return;
      for (uint32_t i = plan.first; i < plan.first + plan.reserve; ++i) {
        Seller& next = sellers_[i];
        if (next.used) continue;
        next.used = true;
        const SimTime until = plan.until;
        after(ctx, Duration::from_ns(sim::units::kDay), [this, i, until](sim::Context& c) {
          if (c.now() >= until) return;
          sellers_[i].active = true;
          if (run_->ledger) stake(c, i);
        });
        break;
      }
      return;
    }
  }

  // --- Ledger: escrow release, disputes, refunds, reputation.

  void release_ledger(sim::Context& ctx, Order& o) {
    if (o.outcome != Outcome::kOpen) return;
    order_call(ctx, o.id, sellers_[o.seller].account, o.escrow, "release", {}, 0,
               [this](sim::Context& c, Order& order, bool ok) {
                 if (!ok) return;
                 const auto fee =
                     static_cast<int64_t>(std::llround(p_.fee * static_cast<double>(order.price)));
                 run_->fees += static_cast<double>(fee);
                 if (fee > 0) pay(c, sellers_[order.seller].account, platform_account(), fee);
                 if (!order.fake) {
                   run_->payout_days.push_back((c.now() - order.paid).seconds() / 86400);
                 }
                 order.released = true;
                 if (order.truth == Fraud::kCounterfeit) order.loss = order.price;  // not caught
                 settle(c, order, Outcome::kReleased);
                 review(c, order,
                        order.fake ? 5 : (order.defect ? 2 : (order.rng.bernoulli(0.7) ? 5 : 4)));
               });
  }

  // The buyer disputes; the platform, as arbiter, decides after `delay`: with ledger evidence
  // (the provenance record, the anchored delivery scan) it decides right; otherwise with the
  // manual accuracy. `false_claim`: the buyer says it never came, the scan says it did.
  void dispute(sim::Context& ctx, Order& o, Duration delay, int64_t cost, bool valid,
               bool false_claim = false) {
    o.claimed = true;
    order_call(
        ctx, o.id, o.buyer, o.escrow, "dispute", {}, 0,
        [this, delay, cost, valid, false_claim](sim::Context& c, Order& order, bool ok) {
          if (!ok) return release_ledger(c, order);
          order.cost += cost;
          run_->dispute_costs += static_cast<double>(cost);
          order_after(c, order.id, delay, [this, valid, false_claim](sim::Context& c2, Order& o2) {
            bool buyer_wins;
            if (false_claim) {
              buyer_wins = false;  // the anchored delivery scan settles it
            } else if (o2.detected) {
              buyer_wins = true;  // the provenance record settles it
            } else {
              const bool right = o2.rng.bernoulli(p_.dispute_accuracy);
              buyer_wins = valid ? right : !right;
            }
            order_call(
                c2, o2.id, platform_account(), o2.escrow, "resolve",
                contracts::Args{static_cast<uint64_t>(buyer_wins ? 0 : 10000)}, 0,
                [this, buyer_wins](sim::Context& c3, Order& o3, bool ok3) {
                  if (!ok3) return;
                  if (buyer_wins) {
                    if (o3.counterfeit) ban_check(c3, o3.seller);
                  } else {
                    // The seller is paid: the commission is due as on a release, and a
                    // fraud that won its dispute kept the money.
                    const auto fee =
                        static_cast<int64_t>(std::llround(p_.fee * static_cast<double>(o3.price)));
                    run_->fees += static_cast<double>(fee);
                    if (fee > 0) pay(c3, sellers_[o3.seller].account, platform_account(), fee);
                    run_->payout_days.push_back((c3.now() - o3.paid).seconds() / 86400);
                    if (o3.truth != Fraud::kNone) o3.loss = o3.price;
                  }
                  settle(c3, o3, buyer_wins ? Outcome::kResolvedBuyer : Outcome::kResolvedSeller);
                });
          });
        });
  }

  void refund(sim::Context& ctx, Order& o) {
    if (o.outcome != Outcome::kOpen || o.delivered) return;
    order_call(ctx, o.id, o.buyer, o.escrow, "refund", {}, 0,
               [this](sim::Context& c, Order& order, bool ok) {
                 if (!ok) return;
                 if (!order.fake) {
                   detect(c, order, "escrow_deadline", order.truth != Fraud::kNone);
                   ban_check(c, order.seller);
                 }
                 settle(c, order, Outcome::kRefunded);
               });
  }

  void stake(sim::Context& ctx, uint32_t seller) {
    Seller& s = sellers_[seller];
    if (s.staked || p_.seller_stake <= 0) return;
    s.staked = true;
    call(ctx, s.account, reputation, "stake", {}, p_.seller_stake,
         [](sim::Context&, bool, uint64_t) {});
  }

  // The platform's indexer reads each seller's on-ledger score from its replica, hourly.
  void index(sim::Context& ctx) {
    after(ctx, Duration::from_ns(sim::units::kHour), [this](sim::Context& c) { index(c); });
    for (Seller& s : sellers_) {
      if (!s.active) continue;
      const std::string score = query(reputation, "score", contracts::Args{s.account});
      if (!score.empty()) s.ledger_score = std::strtod(score.c_str(), nullptr) / 1000;
    }
  }

  // --- Fraud campaigns.

  void start_sybils(sim::Context& ctx, const SybilPlan& plan) {
    for (uint32_t i = plan.first; i < plan.first + plan.live; ++i) {
      sellers_[i].active = true;
      sellers_[i].used = true;
      if (run_->ledger) stake(ctx, i);
    }
    after(ctx, plan.until - ctx.now(), [this, plan](sim::Context&) {
      for (uint32_t i = plan.first; i < plan.first + plan.reserve; ++i) sellers_[i].active = false;
    });
  }

  void fake_review(sim::Context& ctx, uint32_t seller) {
    Seller& s = sellers_[seller];
    if (ctx.now() >= s.fr_to) return;
    after(ctx, Duration::from_seconds(campaigns_.exponential(1 / s.fr_per_s)),
          [this, seller](sim::Context& c) { fake_review(c, seller); });
    KindCounts& k = run_->kinds[static_cast<size_t>(Fraud::kFakeReview)];
    if (run_->ledger) {
      // A rating needs a completed escrow trade: a Sybil buyer buys a cheap item and rates it
      // (counted when the rating is accepted: review()).
      const uint64_t sybil = account(index_, Role::kSybilBuyer, next_sybil_buyer_++ % kSybilBuyers);
      open_order(ctx, seller, sybil, p_.fake_trade_price, true);
      return;
    }
    ++k.instances;
    k.cost += static_cast<double>(p_.fake_review_price);
    const bool filtered = campaigns_.bernoulli(p_.review_filter);
    Order pseudo;
    pseudo.seller = seller;
    pseudo.truth = Fraud::kFakeReview;
    pseudo.created = ctx.now();
    pseudo.cost = p_.fake_review_price;
    if (filtered) {
      pseudo.detected = true;
      pseudo.detected_at = ctx.now();
      pseudo.detected_by = "review_filter";
      ++k.detected;
    } else {
      s.stars += 5;
      s.reviews += 1;
    }
    truth_row(pseudo, pseudo.detected_by);
  }

  // --- Bookkeeping.

  void count_truth(const Order& o) { ++run_->kinds[static_cast<size_t>(o.truth)].instances; }

  void detect(sim::Context& ctx, Order& o, std::string_view by, bool correct) {
    if (o.detected) return;
    KindCounts& k = run_->kinds[static_cast<size_t>(
        correct ? o.truth : (by == "provenance" ? Fraud::kCounterfeit : Fraud::kNonDelivery))];
    if (correct) {
      o.detected = true;
      o.detected_at = ctx.now();
      o.detected_by = std::string(by);
      ++k.detected;
    } else {
      ++k.false_detections;
    }
    run_->detections->append(
        {static_cast<int64_t>(index_), static_cast<int64_t>(o.id), ctx.now(), by, correct ? 1 : 0});
  }

  // The order's outcome (`force`: a decided claim overrides a release).
  void settle(sim::Context& ctx, Order& o, Outcome outcome, bool force = false) {
    if (o.outcome != Outcome::kOpen && !force) return;
    o.outcome = outcome;
    o.settled = ctx.now();
  }

  // Runs `fn` on order `id` after `d`; the order stays in memory until nothing is pending.
  void order_after(sim::Context& ctx, uint64_t id, Duration d,
                   std::function<void(sim::Context&, Order&)> fn) {
    ++orders_.at(id).pending;
    after(ctx, d, [this, id, fn = std::move(fn)](sim::Context& c) {
      Order& o = orders_.at(id);
      --o.pending;
      fn(c, o);
      retire_if_done(id);
    });
  }
  // A contract call for order `id`; `fn` runs when it is confirmed.
  void order_call(sim::Context& ctx, uint64_t id, uint64_t from, uint64_t to, std::string method,
                  contracts::Args args, int64_t value,
                  std::function<void(sim::Context&, Order&, bool)> fn) {
    Order& o = orders_.at(id);
    ++o.pending;
    ++o.gas_calls;
    call(ctx, from, to, std::move(method), std::move(args), value,
         [this, id, fn = std::move(fn)](sim::Context& c, bool ok, uint64_t gas) {
           Order& order = orders_.at(id);
           --order.pending;
           order.gas += gas;
           fn(c, order, ok);
           retire_if_done(id);
         });
  }
  // A settled order with nothing pending is written out and forgotten.
  void retire_if_done(uint64_t id) {
    const auto it = orders_.find(id);
    if (it == orders_.end()) return;
    const Order& o = it->second;
    if (o.outcome == Outcome::kOpen || o.pending > 0) return;
    record(o);
    by_tag_.erase(o.tag);
    orders_.erase(it);
  }

  void record(const Order& o) {
    const double lost = static_cast<double>(o.loss);
    if (o.outcome != Outcome::kOpen && o.paid != SimTime::max() && !o.fake) {
      run_->settle_days.push_back((o.settled - o.paid).seconds() / 86400);
    }
    if (o.outcome == Outcome::kReleased && !o.fake && o.truth == Fraud::kNone && o.gas > 0) {
      run_->released_gas.push_back(static_cast<double>(o.gas));
    }
    if (o.truth != Fraud::kNone && o.truth != Fraud::kFakeReview) {
      KindCounts& k = run_->kinds[static_cast<size_t>(o.truth)];
      k.money_lost += lost;
      k.cost += static_cast<double>(o.cost);
      truth_row(o, o.detected_by);
    }
    auto t = [](SimTime x) { return x == SimTime::max() ? -1.0 : x.seconds(); };
    run_->orders->append({static_cast<int64_t>(index_),
                          static_cast<int64_t>(o.id),
                          static_cast<int64_t>(o.seller),
                          static_cast<int64_t>(o.buyer),
                          static_cast<double>(o.price) / 100,
                          o.fake ? 1 : 0,
                          kFraudNames[static_cast<size_t>(o.truth)],
                          o.counterfeit ? 1 : 0,
                          o.defect ? 1 : 0,
                          t(o.created),
                          t(o.paid),
                          t(o.shipped_at),
                          t(o.arrived),
                          t(o.settled),
                          kOutcomeNames[static_cast<size_t>(o.outcome)],
                          o.detected ? 1 : 0,
                          t(o.detected_at),
                          o.detected_by,
                          lost / 100,
                          static_cast<double>(o.cost) / 100,
                          static_cast<int64_t>(o.gas_calls),
                          static_cast<int64_t>(o.gas)});
  }

  void truth_row(const Order& o, const std::string& by) {
    auto t = [](SimTime x) { return x == SimTime::max() ? -1.0 : x.seconds(); };
    run_->truth->append({kFraudNames[static_cast<size_t>(o.truth)], static_cast<int64_t>(index_),
                         static_cast<int64_t>(o.seller), static_cast<int64_t>(o.id), t(o.created),
                         o.detected ? 1 : 0, t(o.detected_at), by,
                         static_cast<double>(o.loss) / 100, static_cast<double>(o.cost) / 100});
  }

  MarketRun* run_;
  uint32_t index_;
  PlatformParams p_;
  sim::NodeId self_, gateway_;
  ledger::KeyPair scanner_key_;
  std::vector<Seller> sellers_;
  std::map<uint64_t, Order> orders_;
  std::unordered_map<uint64_t, uint64_t> by_tag_;
  std::optional<consensus::TxSubmitter> submitter_;
  std::map<ledger::Digest, Done> waiting_;
  std::map<uint64_t, Action> actions_;
  std::unordered_map<uint64_t, ledger::KeyPair> keys_;
  std::unordered_map<uint64_t, uint64_t> nonces_;
  std::vector<SybilPlan> sybil_plans_;
  uint64_t next_tag_ = 0, next_order_ = 0, next_sybil_buyer_ = 0, genuine_orders_ = 0;
  bool retry_armed_ = false;
  // Streams by purpose, so that the ledger's extra work does not shift the trades: arrivals,
  // choices, prices, fraud campaigns; each order's behaviour draws from its own stream.
  sim::Rng arrivals_, choices_, prices_, campaigns_;
};

// --- The section.

Field platform_fields_list() {
  auto money = [](std::string key, std::string def, std::string help) {
    return Field::scalar(std::move(key), FieldType::kMoney, std::move(def), std::move(help));
  };
  auto dur = [](std::string key, std::string def, std::string help) {
    return Field::scalar(std::move(key), FieldType::kDuration, std::move(def), std::move(help));
  };
  auto pct = [](std::string key, std::string def, std::string help) {
    return Field::scalar(std::move(key), FieldType::kPercent, std::move(def), std::move(help));
  };
  return Field::list(
      "platforms", "The trade platforms, each one node with its sellers and buyers.",
      {Field::scalar("name", FieldType::kString, "", "node name of the platform").must(),
       Field::choice("kind", {"b2b", "b2c", "c2c"}, "b2c",
                     "b2b: buyers send requests for quotation to rfq_quotes suppliers and take "
                     "the best quote for its risk; b2c: storefronts chosen by rating; c2c: peer "
                     "sellers chosen by reputation"),
       pct("fee", "5%", "the platform's commission on each sale"),
       Field::scalar("sellers", FieldType::kInt, "20", "sellers (suppliers, shops, peers)")
           .at_least(1),
       Field::scalar("buyers", FieldType::kInt, "500", "buyer accounts").at_least(1),
       Field::scalar("orders", FieldType::kRate, "200/d", "orders placed on the platform")
           .at_least(0, true),
       Field::scalar("max_orders", FieldType::kInt, "0",
                     "genuine orders placed in all, then no more (0: no limit; 1: one trade to "
                     "follow step by step)")
           .at_least(0),
       money("price", "80 USD", "mean order value (lognormal)"),
       money("price_sd", "40 USD", "standard deviation of the order value"),
       dur("handling", "1d", "mean time from payment to shipping (exponential)"),
       dur("delivery", "4d", "mean transit time (lognormal)"),
       dur("delivery_sd", "1d", "transit time standard deviation"),
       pct("defect_rate", "2%", "honest sellers: items not as described"),
       pct("defect_rate_fraud", "40%", "shops that buy fake reviews: items not as described"),
       pct("review_rate", "30%", "buyers who review a good trade (twice as many a bad one)"),
       pct("claim_defect", "60%", "buyers who claim for an item not as described"),
       pct("false_claims", "1%",
           "buyers who falsely claim a delivered order never arrived (friendly fraud)"),
       dur("auto_release", "7d",
           "central: the platform pays the seller this long after shipping unless a claim is open"),
       dur("claim_grace", "7d", "central: the buyer claims this long after the expected delivery"),
       dur("dispute_delay", "10d", "manual dispute handling time"),
       money("dispute_cost", "20 USD", "staff cost of one manual dispute"),
       pct("dispute_accuracy", "85%",
           "chance a dispute without shared evidence is decided right (he said, she said)"),
       dur("arbiter_delay", "1d", "ledger: the platform as arbiter decides with ledger evidence"),
       money("arbiter_cost", "2 USD", "ledger: cost of one arbitration with ledger evidence"),
       dur("dispute_window", "3d", "ledger: the buyer may dispute this long after delivery"),
       dur("deadline", "21d", "ledger: the escrow refunds the buyer if not delivered by then"),
       pct("consumer_detection", "30%", "central: buyers who notice a counterfeit"),
       pct("review_filter", "20%", "central: fake reviews the platform's filter removes"),
       money("fake_review_price", "5 USD", "central: price of one bought review"),
       money("fake_trade_price", "5 USD",
             "ledger: a fake review needs a completed escrow trade: its price"),
       money("shipping_cost", "4 USD", "ledger: a fake trade ships a parcel (to be scanned)"),
       money("seller_stake", "100 USD", "ledger: the stake a seller locks to be rated"),
       Field::scalar("rfq_quotes", FieldType::kInt, "3", "b2b: suppliers asked per request")
           .at_least(1),
       Field::scalar("ban_after", FieldType::kInt, "3",
                     "claims decided against a seller before "
                     "the platform bans it")
           .at_least(1),
       Field::scalar("choice_beta", FieldType::kFloat, "1.5",
                     "buyers weight a seller by exp(beta x (rating - 4))")
           .at_least(0),
       Field::scalar("provenance", FieldType::kBool, "true",
                     "ledger: items registered by the brand in a provenance registry that "
                     "buyers query at delivery")});
}

int64_t cents(const sim::Scenario& s, const std::string& path) {
  return std::llround(s.money(path).amount * 100);
}

void build(sim::World& world) {
  const sim::Scenario& s = world.scenario();
  sim::Engine& engine = world.engine();
  sim::Diagnostics& diag = world.diagnostics();
  auto run = std::make_shared<MarketRun>();
  MarketRun& r = *run;
  r.ledger = s.text("market.ledger") == "consortium";
  r.seed = s.seed();
  r.engine = &engine;
  if (r.ledger) {
    r.validators = consensus::consortium_validators(world);
    r.contracts = contracts::ledger_contracts(world);
    if (r.validators.empty() || r.contracts == nullptr) {
      diag.add(s.at("market.ledger").mark, "market.ledger",
               "ledger: consortium needs a `consortium` section and a `contracts` section");
      return;
    }
  }
  sim::SiteId site = 0;
  if (r.ledger) {
    site = engine.site_of(r.validators.front());
  } else if (auto found = engine.network().find_site("market")) {
    site = *found;
  } else {
    site = engine.network().add_site("market");
  }
  sim::Metrics& m = engine.metrics();
  r.orders = &m.table(
      "market_orders", "Every order on the platforms, written when settled (or at the end)",
      {{"platform", sim::ColumnType::kInt, "1", "platform index (market.platforms)"},
       {"order", sim::ColumnType::kInt, "1", "order id on its platform"},
       {"seller", sim::ColumnType::kInt, "1", "seller index on its platform"},
       {"buyer", sim::ColumnType::kInt, "1", "buyer ledger account"},
       {"price", sim::ColumnType::kFloat, "USD", "order value"},
       {"fake", sim::ColumnType::kInt, "1", "1: a Sybil trade bought for a review"},
       {"truth", sim::ColumnType::kText, "",
        "ground truth: none, non_delivery, counterfeit, "
        "fake_review, sybil_seller"},
       {"counterfeit", sim::ColumnType::kInt, "1", "1: a counterfeit item was shipped"},
       {"defect", sim::ColumnType::kInt, "1", "1: not as described"},
       {"created_s", sim::ColumnType::kFloat, "s", "order placed"},
       {"paid_s", sim::ColumnType::kFloat, "s", "paid (escrow funded); -1: never"},
       {"shipped_s", sim::ColumnType::kFloat, "s", "shipped (or marked shipped); -1: never"},
       {"arrived_s", sim::ColumnType::kFloat, "s", "delivered; -1: never"},
       {"settled_s", sim::ColumnType::kFloat, "s", "final outcome; -1: still open at the end"},
       {"outcome", sim::ColumnType::kText, "",
        "open, released, refunded, resolved_buyer, "
        "resolved_seller"},
       {"detected", sim::ColumnType::kInt, "1", "1: its fraud was detected"},
       {"detected_s", sim::ColumnType::kFloat, "s", "when; -1: never"},
       {"detected_by", sim::ColumnType::kText, "",
        "claim, escrow_deadline, provenance, "
        "review_filter"},
       {"loss", sim::ColumnType::kFloat, "USD", "money the fraud took (buyer's or platform's)"},
       {"cost", sim::ColumnType::kFloat, "USD", "dispute handling cost"},
       {"ledger_calls", sim::ColumnType::kInt, "1", "escrow contract calls"},
       {"gas", sim::ColumnType::kInt, "gas", "gas its contract calls used (receipts)"}});
  r.truth =
      &m.table("market_truth", "Ground truth: every fraudulent order and every fake review",
               {{"kind", sim::ColumnType::kText, "",
                 "non_delivery, counterfeit, fake_review, "
                 "sybil_seller"},
                {"platform", sim::ColumnType::kInt, "1", "platform index"},
                {"seller", sim::ColumnType::kInt, "1", "seller index"},
                {"order", sim::ColumnType::kInt, "1", "order id (0: a review without a trade)"},
                {"at_s", sim::ColumnType::kFloat, "s", "when it happened"},
                {"detected", sim::ColumnType::kInt, "1", "1: detected or prevented"},
                {"detected_s", sim::ColumnType::kFloat, "s", "when; -1: never"},
                {"detected_by", sim::ColumnType::kText, "", "what found it"},
                {"loss", sim::ColumnType::kFloat, "USD", "money lost to it"},
                {"cost", sim::ColumnType::kFloat, "USD", "handling or fraud cost"}});
  r.detections = &m.table("market_detections", "Every detection, right or wrong (precision)",
                          {{"platform", sim::ColumnType::kInt, "1", "platform index"},
                           {"order", sim::ColumnType::kInt, "1", "order id"},
                           {"t", sim::ColumnType::kInt, "ns", "when"},
                           {"by", sim::ColumnType::kText, "", "claim, escrow_deadline, provenance"},
                           {"correct", sim::ColumnType::kInt, "1", "1: the order was fraudulent"}});

  std::vector<Marketplace*> markets;
  const size_t n = s.at("market.platforms").list.size();
  for (size_t i = 0; i < n; ++i) {
    const std::string path = "market.platforms." + std::to_string(i);
    PlatformParams p;
    p.name = s.text(path + ".name");
    const std::string kind = s.text(path + ".kind");
    p.kind = kind == "b2b" ? Kind::kB2B : kind == "c2c" ? Kind::kC2C : Kind::kB2C;
    p.fee = s.fraction(path + ".fee");
    p.sellers = static_cast<uint32_t>(s.integer(path + ".sellers"));
    p.buyers = static_cast<uint32_t>(s.integer(path + ".buyers"));
    p.orders_per_s = s.rate_per_second(path + ".orders");
    p.price_mean = static_cast<double>(cents(s, path + ".price"));
    p.price_sd = static_cast<double>(cents(s, path + ".price_sd"));
    p.handling = s.duration(path + ".handling");
    p.delivery = s.duration(path + ".delivery");
    p.delivery_sd = s.duration(path + ".delivery_sd");
    p.defect_rate = s.fraction(path + ".defect_rate");
    p.defect_rate_fraud = s.fraction(path + ".defect_rate_fraud");
    p.review_rate = s.fraction(path + ".review_rate");
    p.claim_defect = s.fraction(path + ".claim_defect");
    p.false_claims = s.fraction(path + ".false_claims");
    p.auto_release = s.duration(path + ".auto_release");
    p.claim_grace = s.duration(path + ".claim_grace");
    p.dispute_delay = s.duration(path + ".dispute_delay");
    p.dispute_cost = cents(s, path + ".dispute_cost");
    p.dispute_accuracy = s.fraction(path + ".dispute_accuracy");
    p.arbiter_delay = s.duration(path + ".arbiter_delay");
    p.arbiter_cost = cents(s, path + ".arbiter_cost");
    p.dispute_window = s.duration(path + ".dispute_window");
    p.deadline = s.duration(path + ".deadline");
    p.consumer_detection = s.fraction(path + ".consumer_detection");
    p.review_filter = s.fraction(path + ".review_filter");
    p.fake_review_price = cents(s, path + ".fake_review_price");
    p.fake_trade_price = cents(s, path + ".fake_trade_price");
    p.shipping_cost = cents(s, path + ".shipping_cost");
    p.seller_stake = cents(s, path + ".seller_stake");
    p.rfq_quotes = static_cast<uint32_t>(s.integer(path + ".rfq_quotes"));
    p.ban_after = static_cast<uint32_t>(s.integer(path + ".ban_after"));
    p.choice_beta = s.number(path + ".choice_beta");
    p.provenance = s.flag(path + ".provenance");
    p.max_orders = static_cast<uint64_t>(s.integer(path + ".max_orders"));
    if (p.price_mean <= 0) {
      diag.add(s.at(path + ".price").mark, path + ".price", "the mean order value must be > 0");
      continue;
    }
    if (p.deadline <= p.handling + p.delivery) {
      diag.add(s.at(path + ".deadline").mark, path + ".deadline",
               "the escrow deadline must leave time for handling and delivery");
      continue;
    }
    if (world.find(p.name)) {
      diag.add(s.at(path + ".name").mark, path + ".name", "\"" + p.name + "\" is taken");
      continue;
    }
    const auto index = static_cast<uint32_t>(markets.size());
    sim::NodeId gateway = 0;
    sensors::Gateway* gw = nullptr;
    const sim::NodeId self = world.next_id() + (r.ledger ? 1 : 0);
    if (r.ledger) {
      sensors::GatewayParams g;
      g.batch_interval = Duration::from_ns(sim::units::kMinute);
      g.memo = &r.memo;
      gateway = world.next_id();
      gw = &world.emplace<sensors::Gateway>(p.name + "-courier-gateway", {"market_gateways"}, site,
                                            r.validators, r.seed, gateway, g, &r.keys, &r.counts,
                                            &r.observer);
    }
    auto& market =
        world.emplace<Marketplace>(p.name, {"platforms"}, site, run.get(), index, p, self, gateway);
    market.gateway_node = gw;
    if (r.ledger) {
      r.keys[self] = market.scanner_key();
      r.market_of_gateway[gateway] = self;
      const std::string rep = p.name + "-reputation", prov = p.name + "-provenance";
      for (const std::string* name : {&rep, &prov}) {
        if (r.contracts->instances.count(*name) != 0) {
          diag.add(s.at(path + ".name").mark, path + ".name",
                   "the platform's contract \"" + *name +
                       "\" clashes with an instance of the contracts section");
        }
      }
      try {
        contracts::deploy_at_genesis(world, *r.contracts, "reputation",
                                     contracts::instance_account(rep),
                                     {{"min_stake", std::to_string(p.seller_stake)}});
        contracts::Params prov_params{{"stages", "production,sale"}};
        for (const auto& spec : r.contracts->registry.find("provenance")->params) {
          // Only the brand registers items (a registry without a producers list lets anyone).
          if (spec.name == "producers") {
            prov_params["producers"] = std::to_string(market.brand_account());
          }
        }
        contracts::deploy_at_genesis(world, *r.contracts, "provenance",
                                     contracts::instance_account(prov), prov_params);
      } catch (const std::exception& e) {
        diag.add(s.at(path).mark, path, e.what());
        continue;
      }
      market.reputation = contracts::instance_account(rep);
      market.provenance = contracts::instance_account(prov);
      r.contracts->instances[rep] = market.reputation;
      r.contracts->instances[prov] = market.provenance;
    }
    markets.push_back(&market);
  }
  r.observer.anchored = [&engine, rp = run.get()](const sensors::StoredBatch& batch, SimTime) {
    const auto it = rp->market_of_gateway.find(batch.record.gateway);
    if (it == rp->market_of_gateway.end()) return;
    const sim::NodeId market = it->second;
    const uint64_t id = batch.record.batch_id;
    engine.schedule(engine.now(), [&engine, market, id] {
      engine.invoke(market, [id](sim::Node& node, sim::Context& ctx) {
        static_cast<Marketplace&>(node).on_anchored(ctx, id);
      });
    });
  };
  world.offer("market", run);
  // Genesis balances of every party, in one change of the genesis state (Sybil identities that
  // the timeline reserves are funded by their action).
  if (r.ledger && !markets.empty()) {
    consensus::modify_genesis(world, [&](ledger::WorldState& state) {
      for (Marketplace* mk : markets) {
        for (const Seller& sl : mk->sellers()) fund(r, state, sl.account);
        for (uint64_t b = 0; b < mk->params().buyers; ++b) {
          fund(r, state, account(mk->index(), Role::kBuyer, b));
        }
        for (uint64_t b = 0; b < kSybilBuyers; ++b) {
          fund(r, state, account(mk->index(), Role::kSybilBuyer, b));
        }
        fund(r, state, mk->brand_account());
      }
    });
  }
  world.at_end([rp = run.get(), markets, &engine] {
    for (Marketplace* mk : markets) mk->finish();
    sim::Metrics& mm = engine.metrics();
    uint64_t truths = 0, found = 0, wrong = 0;
    double lost = 0;
    for (size_t k = 1; k < kFraudKinds; ++k) {
      const KindCounts& c = rp->kinds[k];
      const std::string name = "market." + std::string(kFraudNames[k]);
      truths += c.instances;
      found += c.detected;
      wrong += c.false_detections;
      lost += c.money_lost;
      mm.set_summary(name + ".instances", static_cast<double>(c.instances), "1",
                     "fraud instances (ground truth)");
      mm.set_summary(name + ".detected", static_cast<double>(c.detected), "1",
                     "of which detected or prevented");
      mm.set_summary(name + ".false_detections", static_cast<double>(c.false_detections), "1",
                     "honest orders taken for this fraud");
      mm.set_summary(name + ".recall",
                     c.instances == 0
                         ? std::nan("")
                         : static_cast<double>(c.detected) / static_cast<double>(c.instances),
                     "1", "detected / instances");
      mm.set_summary(name + ".precision",
                     c.detected + c.false_detections == 0
                         ? std::nan("")
                         : static_cast<double>(c.detected) /
                               static_cast<double>(c.detected + c.false_detections),
                     "1", "right detections / all detections");
      mm.set_summary(name + ".money_lost", c.money_lost / 100, "USD",
                     "money the fraud took from buyers or the platform");
      mm.set_summary(name + ".cost", c.cost / 100, "USD",
                     "handling cost (disputes) or, for fake reviews, what they cost the fraudster");
    }
    mm.set_summary("market.orders", static_cast<double>(rp->orders_total), "1",
                   "orders placed by genuine buyers");
    mm.set_summary("market.orders_dropped", static_cast<double>(rp->orders_dropped), "1",
                   "orders not placed: every seller banned or gone");
    mm.set_summary("market.fake_trades", static_cast<double>(rp->orders_fake), "1",
                   "ledger: Sybil trades bought for reviews");
    mm.set_summary("market.orders_to_fake_review_shops",
                   rp->orders_total == 0 ? 0.0
                                         : static_cast<double>(rp->orders_to_fraud_shops) /
                                               static_cast<double>(rp->orders_total),
                   "1", "share of genuine orders placed with shops that buy reviews");
    mm.set_summary("market.money_lost", lost / 100, "USD", "money taken by fraud, all kinds");
    mm.set_summary("market.fees", rp->fees / 100, "USD", "platform commissions");
    mm.set_summary("market.dispute_costs", rp->dispute_costs / 100, "USD",
                   "dispute handling (manual or arbitration)");
    auto median = [](std::vector<double> v) {
      if (v.empty()) return std::nan("");
      std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
      return v[v.size() / 2];
    };
    mm.set_summary("market.days_to_settle_median", median(rp->settle_days), "d",
                   "payment to final outcome");
    mm.set_summary("market.days_to_payout_median", median(rp->payout_days), "d",
                   "payment to the seller's payout");
    mm.set_summary("market.gas_per_trade_median", median(rp->released_gas), "gas",
                   "gas of a completed trade's contract calls (genuine orders released to the "
                   "seller: deploy, fund, delivery, release, rating), median; NaN without ledger");
    mm.set_summary("market.ledger_calls", static_cast<double>(rp->ledger_calls), "1",
                   "ledger transactions the platform's parties sent");
    mm.set_summary("market.ledger_outcomes_unknown", static_cast<double>(rp->outcomes_unknown), "1",
                   "transactions confirmed only by validators that caught up by state transfer "
                   "(taken as applied)");
    mm.set_summary("market.ledger_calls_failed", static_cast<double>(rp->ledger_calls_failed), "1",
                   "of which reverted or refused");
    sim::EventTable& why =
        mm.table("market_call_failures",
                 "Ledger transactions of the platforms that did not apply, by reason",
                 {{"reason", sim::ColumnType::kText, "", "the receipt's reason (or the outcome)"},
                  {"count", sim::ColumnType::kInt, "1", "how many"}});
    for (const auto& [reason, count] : rp->failure_reasons) {
      why.append({reason, static_cast<int64_t>(count)});
    }
    for (const auto& [method, count] : rp->failed_by_method) {
      mm.set_summary("market.ledger_calls_failed." + method, static_cast<double>(count), "1",
                     "contract calls to this method that reverted (a late delivery, a rating "
                     "refused, ...)");
    }
    mm.set_summary("market.detection_total_recall",
                   truths == 0 ? std::nan("") : static_cast<double>(found) / truths, "1",
                   "all kinds");
    (void)wrong;
    // Money conservation on the ledger: every account's balance, summed on a replica.
    if (rp->ledger) {
      for (sim::NodeId v : rp->validators) {
        if (!engine.is_up(v)) continue;
        const auto& state = static_cast<const consensus::Validator&>(engine.node(v)).state();
        int64_t total = 0;
        state.for_each_prefix("balance/", [&](const std::string& key, const auto&) {
          total += state.balance(std::stoull(key.substr(8)));
        });
        mm.set_summary("market.ledger_money_drift", static_cast<double>(total - rp->genesis_money),
                       "cents",
                       "sum of all ledger balances at the end minus at genesis (fees and gas "
                       "move money, never make it: 0)");
        break;
      }
    }
  });
}

}  // namespace

}  // namespace tradesim::trade::market

namespace tradesim::trade::market {

namespace {

// The platform a fraud action targets, or null (reported).
Marketplace* target_market(sim::World& world, const sim::TimelineEntry& e) {
  const sim::Mark mark = e.node->find("target")->mark;
  const auto id = world.find(e.target);
  Marketplace* m = id ? dynamic_cast<Marketplace*>(&world.engine().node(*id)) : nullptr;
  if (m == nullptr) {
    world.diagnostics().add(mark, e.path + ".target",
                            "\"" + e.target + "\" is not a platform of the `market` section");
  }
  return m;
}

SimTime until(const sim::TimelineEntry& e) {
  return e.duration ? e.at + *e.duration : SimTime::max();
}

// The sellers an action turns: `sellers` of them, the last honest ones.
std::vector<uint32_t> pick(sim::World& world, const sim::TimelineEntry& e, Marketplace& m) {
  const auto n = static_cast<uint32_t>(std::stoll(e.param("sellers")));
  std::vector<uint32_t> out = m.pick_honest(n);
  if (out.size() < n) {
    world.diagnostics().add(
        e.node->mark, e.path + ".sellers",
        "only " + std::to_string(out.size()) + " honest sellers left on " + e.target);
  }
  return out;
}

Field sellers_field() {
  return Field::scalar("sellers", FieldType::kInt, "1", "how many sellers (the last honest ones)")
      .at_least(1);
}

}  // namespace

void register_model(sim::Registry& registry) {
  registry.add_field(
      "",
      Field::object(
          "market",
          "Trade platforms (B2B, B2C, C2C) with sellers, buyers, fees, reviews and disputes, "
          "settled by the platform's database or by escrow contracts on the consortium's ledger "
          "(docs/market.md).",
          {Field::choice("ledger", {"none", "consortium"}, "none",
                         "none: the platform holds payments, releases them after shipping and "
                         "handles claims by hand; consortium: an escrow contract per order, "
                         "delivery proved by an anchored RFID scan, provenance and reputation "
                         "on the ledger (needs `consortium` and `contracts` sections)"),
           platform_fields_list()},
          false));
  registry.add_model(sim::ModelSpec{
      "market", "Trade platforms: orders, escrow or central settlement, reviews, disputes",
      "market", build});

  auto pct = [](std::string key, std::string def, std::string help) {
    return Field::scalar(std::move(key), FieldType::kPercent, std::move(def), std::move(help));
  };
  registry.add_action(sim::ActionSpec{
      "non_delivery",
      "Fraud: sellers of a platform take payment and ship nothing (an exit scam); `for` bounds it",
      {sellers_field()},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        Marketplace* m = target_market(world, e);
        if (m == nullptr) return;
        for (uint32_t i : pick(world, e, *m)) {
          m->sellers()[i].nd_from = e.at;
          m->sellers()[i].nd_to = until(e);
        }
      }});
  registry.add_action(sim::ActionSpec{
      "inject_counterfeits",
      "Fraud: sellers of a platform ship a share of counterfeit items, without the brand's "
      "provenance record",
      {sellers_field(), pct("share", "30%", "share of their items that are counterfeit")},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        Marketplace* m = target_market(world, e);
        if (m == nullptr) return;
        for (uint32_t i : pick(world, e, *m)) {
          Seller& s = m->sellers()[i];
          s.cf_from = e.at;
          s.cf_to = until(e);
          s.cf_share = sim::parse_percent(e.param("share"));
        }
      }});
  registry.add_action(sim::ActionSpec{
      "fake_reviews",
      "Fraud: low-quality shops buy five-star reviews (central: posted directly, some filtered; "
      "ledger: each needs a completed escrow trade by a Sybil buyer)",
      {sellers_field(),
       Field::scalar("rate", FieldType::kRate, "5/d", "reviews per shop").at_least(0, true)},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        Marketplace* m = target_market(world, e);
        if (m == nullptr) return;
        for (uint32_t i : pick(world, e, *m)) {
          Seller& s = m->sellers()[i];
          s.low_quality = true;
          s.fr_from = e.at;
          s.fr_to = until(e);
          s.fr_per_s = sim::parse_rate(e.param("rate"));
        }
      }});
  registry.add_action(sim::ActionSpec{
      "sybil_sellers",
      "Fraud: new seller accounts that take payment and ship nothing; a banned one comes back "
      "under a new name a day later while the campaign lasts (ledger: each identity stakes)",
      {Field::scalar("count", FieldType::kInt, "3", "accounts live at once").at_least(1),
       Field::scalar("identities", FieldType::kInt, "30", "names available in all").at_least(1)},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        Marketplace* m = target_market(world, e);
        if (m == nullptr) return;
        const auto live = static_cast<uint32_t>(std::stoll(e.param("count")));
        const auto reserve =
            std::max(live, static_cast<uint32_t>(std::stoll(e.param("identities"))));
        const uint32_t first = m->add_sybils(reserve);
        m->plan_sybils(first, live, reserve, e.at, until(e));
        auto* run = world.service<MarketRun>("market");
        if (run != nullptr && run->ledger) {
          consensus::modify_genesis(world, [&](ledger::WorldState& state) {
            for (uint32_t i = first; i < first + reserve; ++i) {
              fund(*run, state, m->sellers()[i].account);
            }
          });
        }
      }});
}

}  // namespace tradesim::trade::market
