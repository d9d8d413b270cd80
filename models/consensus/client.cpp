// Ledger clients: signed payments at a rate, confirmations from the validators.
#include "models/consensus/client.hpp"

#include <algorithm>

namespace tradesim::consensus {

std::string_view submit_to_name(SubmitTo s) {
  switch (s) {
    case SubmitTo::kOne:
      return "one";
    case SubmitTo::kFPlusOne:
      return "f+1";
    case SubmitTo::kAll:
      return "all";
  }
  return "?";
}

TxClient::TxClient(std::vector<sim::NodeId> validators, uint64_t run_seed, sim::NodeId self,
                   ClientParams params, const ClientObserver* observer)
    : validators_(std::move(validators)),
      params_(params),
      key_(ledger::KeyPair::derive(run_seed, self)),
      observer_(observer) {
  const size_t f = (validators_.size() - 1) / 3;
  needed_ = params_.submit_to == SubmitTo::kOne ? 1 : f + 1;
}

void TxClient::on_start(sim::Context& ctx) {
  if (ctx.now() < sim::SimTime::zero() + params_.start) {
    ctx.set_timer(params_.start - (ctx.now() - sim::SimTime::zero()), kSubmitTimer);
  } else {
    schedule_next(ctx);
  }
}

void TxClient::schedule_next(sim::Context& ctx) {
  if (nonce_ >= params_.count || params_.rate_per_second <= 0) return;
  const double gap = params_.poisson ? ctx.rng().exponential(1.0 / params_.rate_per_second)
                                     : 1.0 / params_.rate_per_second;
  ctx.set_timer(sim::Duration::from_seconds(gap), kSubmitTimer);
}

void TxClient::on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) {
  if (tag == kRetryTimer) return retry(ctx);
  if (ctx.now() - sim::SimTime::zero() >= params_.stop) return;
  ledger::Transaction tx;
  tx.kind = ledger::TxKind::kPayment;
  tx.sender = ctx.self();
  tx.nonce = ++nonce_;
  tx.fee = params_.fee;
  tx.recipient = params_.recipient;
  tx.amount = params_.amount;
  tx.declared_bytes = params_.payload_bytes;
  tx.submitted_ns = ctx.now().ns();
  tx.sign_with(key_);
  ctx.charge(params_.sign_cost);
  const ledger::TxPtr sealed = ledger::seal(std::move(tx));
  ids_.push_back(sealed->id());
  pending_[sealed->id()] = {ctx.now(), ctx.now(), sealed, {}};
  if (observer_ && observer_->submitted) observer_->submitted(ctx.self(), *sealed, ctx.now());
  send_to_validators(ctx, sealed);
  if (!retry_armed_ && params_.retry_after > sim::Duration::zero()) {
    retry_armed_ = true;
    ctx.set_timer(params_.retry_after, kRetryTimer);
  }
  schedule_next(ctx);
}

// Sends what is still unconfirmed after retry_after again, oldest first.
void TxClient::retry(sim::Context& ctx) {
  retry_armed_ = false;
  std::map<int64_t, Pending*> due;  // by submission time: a deterministic order
  for (auto& [id, p] : pending_) {
    if (!(ctx.now() < p.last_sent + params_.retry_after)) due.emplace(p.tx->submitted_ns, &p);
  }
  for (auto& [t, p] : due) {
    p->last_sent = ctx.now();  // replies already counted stay: a commit notice is final
    ++resent_;
    send_to_validators(ctx, p->tx);
  }
  if (!pending_.empty()) {
    retry_armed_ = true;
    ctx.set_timer(params_.retry_after, kRetryTimer);
  }
}

void submit_to_validators(sim::Context& ctx, const std::vector<sim::NodeId>& validators,
                          SubmitTo to, const ledger::TxPtr& tx, sim::SendOptions options) {
  const bool to_all = to == SubmitTo::kAll;
  const sim::Message msg = sim::Message::make(SubmitTx{tx, to_all}, tx->wire_size());
  if (to_all) return ctx.broadcast(validators, msg, options);
  const size_t n = validators.size();
  const size_t k = to == SubmitTo::kOne ? 1 : (n - 1) / 3 + 1;
  std::vector<sim::NodeId> chosen;
  while (chosen.size() < k) {
    const sim::NodeId v = validators[ctx.rng().below(n)];
    if (std::find(chosen.begin(), chosen.end(), v) == chosen.end()) chosen.push_back(v);
  }
  ctx.broadcast(chosen, msg, options);
}

void TxClient::send_to_validators(sim::Context& ctx, const ledger::TxPtr& sealed) {
  submit_to_validators(ctx, validators_, params_.submit_to, sealed);
}

void TxClient::on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) {
  const auto* m = msg.get_if<TxCommitted>();
  if (m == nullptr) return;
  const auto it = pending_.find(m->id);
  if (it == pending_.end()) return;
  std::vector<sim::NodeId>& replied = it->second.replied;
  if (std::find(replied.begin(), replied.end(), from) != replied.end()) return;
  replied.push_back(from);
  if (replied.size() < needed_) return;
  ++confirmed_;
  if (observer_ && observer_->confirmed) {
    observer_->confirmed(ctx.self(), m->id, m->height, it->second.submitted, ctx.now());
  }
  pending_.erase(it);
}

}  // namespace tradesim::consensus
