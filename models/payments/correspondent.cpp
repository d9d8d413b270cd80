// Correspondent banks: processing within business hours, compliance holds, fees by charge
// bearer, forwarding along the chain, crediting; and the search for the chain.
#include "models/payments/correspondent.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <utility>

namespace tradesim::payments {

Money FeeSchedule::fee(Money amount) const {
  return fixed + static_cast<Money>(std::llround(rate * static_cast<double>(amount)));
}

sim::Duration ProcessingTime::draw(sim::Rng& rng) const {
  switch (kind) {
    case Kind::kFixed:
      return low;
    case Kind::kUniform:
      return sim::Duration::from_seconds(rng.uniform(low.seconds(), high.seconds()));
    case Kind::kLognormal:
      return sim::Duration::from_seconds(std::exp(rng.normal(std::log(median.seconds()), sigma)));
  }
  return low;
}

namespace {

void check_processing(const ProcessingTime& p, const std::string& what) {
  const bool ok = p.kind == ProcessingTime::Kind::kFixed ? p.low >= sim::Duration::zero()
                  : p.kind == ProcessingTime::Kind::kUniform
                      ? p.low >= sim::Duration::zero() && p.low <= p.high
                      : p.median > sim::Duration::zero() && p.sigma >= 0;
  if (!ok) throw std::invalid_argument("bank: bad " + what + " distribution");
}

}  // namespace

Bank::Bank(BankParams params, const PaymentObserver* observer)
    : params_(std::move(params)), calendar_(params_.calendar), observer_(observer) {
  const std::string& name = params_.info.name;
  check_processing(params_.processing, "processing time of " + name);
  check_processing(params_.compliance.delay, "compliance delay of " + name);
  if (!(params_.compliance.probability >= 0 && params_.compliance.probability <= 1)) {
    throw std::invalid_argument("bank " + name + ": compliance probability must be in [0, 1]");
  }
  if (params_.info.fee.fixed < 0 || !(params_.info.fee.rate >= 0 && params_.info.fee.rate < 1)) {
    throw std::invalid_argument("bank " + name + ": fees must be >= 0 and the rate below 1");
  }
}

void Bank::reject(sim::Context& ctx, uint64_t payment_id, std::string_view reason) {
  if (observer_ && observer_->rejected) observer_->rejected(ctx.self(), payment_id, reason);
}

void Bank::on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) {
  if (const auto* t = msg.get_if<CreditTransfer>()) accept(ctx, *t);
}

void Bank::accept(sim::Context& ctx, const CreditTransfer& t) {
  if (t.hops >= t.route.size() || t.route[t.hops] != ctx.self()) {
    return reject(ctx, t.payment_id, "bank not on the payment's route");
  }
  // The work this payment needs here, then when it is done within business hours.
  sim::Duration work = params_.processing.draw(ctx.rng());
  if (params_.compliance.probability > 0 && ctx.rng().bernoulli(params_.compliance.probability)) {
    ++compliance_holds_;
    work += params_.compliance.delay.draw(ctx.rng());
    if (observer_ && observer_->compliance_hold) {
      observer_->compliance_hold(ctx.self(), t.payment_id, ctx.now());
    }
  }
  const sim::SimTime done = calendar_.completion_time(ctx.now(), work);
  const uint64_t tag = next_tag_++;
  in_process_.emplace(tag, InProcess{t, done});
  ctx.set_timer(done - ctx.now(), tag);
}

void Bank::on_start(sim::Context& ctx) {
  for (const auto& [tag, p] : in_process_) {
    ctx.set_timer(p.done > ctx.now() ? p.done - ctx.now() : sim::Duration::zero(), tag);
  }
}

void Bank::take_fee(CreditTransfer& t) const {
  const bool originator_bank = t.hops == 0;
  const ChargeBearer c = t.charges;
  const bool billed_to_originator =
      c == ChargeBearer::kOur || (c == ChargeBearer::kShared && originator_bank);
  Money fee;
  if (billed_to_originator) {
    // OUR: every fee is computed on the instructed amount and billed to the originator, so the
    // beneficiary gets the instructed amount in full.
    fee = params_.info.fee.fee(t.instructed_amount);
    t.originator_charged += fee;
  } else {
    // Deducted from the amount in transit, never below zero.
    fee = std::min(params_.info.fee.fee(t.amount), t.amount);
    t.amount -= fee;
  }
  t.fees += fee;
}

void Bank::on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) {
  const auto it = in_process_.find(tag);
  if (it == in_process_.end()) return;
  CreditTransfer t = std::move(it->second.transfer);
  in_process_.erase(it);
  const Money before = t.fees;
  take_fee(t);
  fees_earned_ += t.fees - before;
  ++processed_;

  if (t.hops + 1 < t.route.size()) {
    // Pass it on to the next bank of the chain.
    const uint64_t id = t.payment_id;
    ++t.hops;
    const sim::NodeId next = t.route[t.hops];
    if (!ctx.send(next, sim::Message::make(std::move(t), kCreditTransferBytes), {.fifo = true})) {
      reject(ctx, id, "credit transfer undeliverable");
    }
    return;
  }
  // The beneficiary's bank: credit the beneficiary.
  PaymentRecord r;
  r.id = t.payment_id;
  r.settlement = Settlement::kCorrespondent;
  r.originator = t.originator;
  r.beneficiary = t.beneficiary;
  r.initiated = t.initiated;
  r.credited = ctx.now();
  r.amount_sent = t.originator_charged;
  r.amount_received = t.amount;
  r.fees = t.fees;
  r.hops = t.hops;
  r.intermediaries = t.route.size() < 2 ? 0 : static_cast<uint32_t>(t.route.size() - 2);
  check_conservation(r);
  if (observer_ && observer_->credited) observer_->credited(r);
  ctx.send(r.beneficiary, sim::Message::make(PaymentCredited{r}, kPaymentCreditedBytes));
}

void CorrespondentNetwork::add_bank(sim::NodeId id, BankInfo info) {
  if (!banks_.emplace(id, Entry{std::move(info), {}}).second) {
    throw std::invalid_argument("correspondent network: bank " + std::to_string(id) +
                                " added twice");
  }
}

const BankInfo& CorrespondentNetwork::bank(sim::NodeId id) const {
  const auto it = banks_.find(id);
  if (it == banks_.end()) {
    throw std::invalid_argument("correspondent network: no bank " + std::to_string(id));
  }
  return it->second.info;
}

void CorrespondentNetwork::add_relationship(sim::NodeId a, sim::NodeId b) {
  bank(a);
  bank(b);
  if (a == b)
    throw std::invalid_argument(
        "correspondent network: a bank cannot correspond with "
        "itself (" +
        std::to_string(a) + ")");
  banks_[a].correspondents.insert(b);
  banks_[b].correspondents.insert(a);
}

bool CorrespondentNetwork::related(sim::NodeId a, sim::NodeId b) const {
  const auto it = banks_.find(a);
  return it != banks_.end() && it->second.correspondents.count(b) != 0;
}

std::optional<Route> CorrespondentNetwork::route(sim::NodeId from, sim::NodeId to,
                                                 std::string_view currency, Money amount,
                                                 uint32_t max_hops) const {
  bank(from);
  bank(to);
  if (from == to) return Route{{from}, bank(from).fee.fee(amount)};
  // Iterative deepening over simple paths: the first depth with a valid chain has the fewest
  // hops; among its chains the cheapest wins, and, depth-first in ascending id order, the first
  // found of equal fee has the lowest ids. Correspondent networks are small and chains short.
  std::optional<Route> best;
  std::vector<sim::NodeId> path{from};
  const std::function<void(uint32_t, Money, bool)> extend = [&](uint32_t hops_left, Money fees,
                                                                bool clears) {
    const sim::NodeId at = path.back();
    if (hops_left == 0) {
      if (at == to && clears && (!best || fees < best->fees)) best = Route{path, fees};
      return;
    }
    if (at == to) return;
    for (sim::NodeId next : banks_.at(at).correspondents) {
      if (std::find(path.begin(), path.end(), next) != path.end()) continue;
      const BankInfo& info = banks_.at(next).info;
      path.push_back(next);
      extend(hops_left - 1, fees + info.fee.fee(amount), clears || info.currency == currency);
      path.pop_back();
    }
  };
  const BankInfo& origin = bank(from);
  for (uint32_t hops = 1; hops <= max_hops && !best; ++hops) {
    extend(hops, origin.fee.fee(amount), origin.currency == currency);
  }
  return best;
}

CreditTransfer make_credit_transfer(const PaymentOrder& order, sim::NodeId originator,
                                    const Route& route, sim::SimTime now) {
  CreditTransfer t;
  t.payment_id = order.id;
  t.instructed_amount = order.amount;
  t.amount = order.amount;
  t.originator_charged = order.amount;
  t.currency = order.currency;
  t.charges = order.charges;
  t.route = route.banks;
  t.hops = 0;
  t.originator = originator;
  t.beneficiary = order.beneficiary;
  t.initiated = now;
  return t;
}

CorrespondentPayer::CorrespondentPayer(std::vector<PaymentOrder> orders, sim::NodeId own_bank,
                                       const CorrespondentNetwork* network,
                                       const PaymentObserver* observer)
    : Payer(std::move(orders)), own_bank_(own_bank), network_(network), observer_(observer) {
  network_->bank(own_bank_);
  for (const PaymentOrder& o : this->orders()) network_->bank(o.beneficiary_bank);
}

void CorrespondentPayer::initiate(sim::Context& ctx, const PaymentOrder& order) {
  const std::optional<Route> route =
      network_->route(own_bank_, order.beneficiary_bank, order.currency, order.amount);
  if (!route) {
    if (observer_ && observer_->rejected) {
      observer_->rejected(ctx.self(), order.id, "no correspondent route");
    }
    return;
  }
  ctx.send(own_bank_, sim::Message::make(make_credit_transfer(order, ctx.self(), *route, ctx.now()),
                                         kCreditTransferBytes));
}

}  // namespace tradesim::payments
