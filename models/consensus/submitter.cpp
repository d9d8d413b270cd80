// The submitting side of a ledger client (see submitter.hpp).
#include "models/consensus/submitter.hpp"

#include <algorithm>
#include <stdexcept>

#include "sim/engine.hpp"

namespace tradesim::consensus {

TxSubmitter::TxSubmitter(std::vector<sim::NodeId> validators, SubmitTo submit_to,
                         sim::Duration retry_after)
    : validators_(std::move(validators)), submit_to_(submit_to), retry_after_(retry_after) {
  if (validators_.empty()) throw std::invalid_argument("ledger submitter: no validators");
  const size_t f = (validators_.size() - 1) / 3;
  needed_ = submit_to_ == SubmitTo::kOne ? 1 : f + 1;
}

void TxSubmitter::submit(sim::Context& ctx, const ledger::TxPtr& tx, sim::SendOptions options,
                         bool send) {
  pending_[tx->id()] = Pending{tx, ctx.now(), ctx.now()};
  if (send) send_to_validators(ctx, tx, options);
}

std::optional<TxSubmitter::Confirmed> TxSubmitter::on_committed(const TxCommitted& reply) {
  const auto it = pending_.find(reply.id);
  if (it == pending_.end()) return std::nullopt;
  Pending& p = it->second;
  switch (reply.outcome) {
    case TxOutcome::kApplied:
      ++p.applied;
      break;
    case TxOutcome::kFailed:
      ++p.failed;
      break;
    case TxOutcome::kUnknown:
      ++p.unknown;
      break;
  }
  if (p.applied + p.failed + p.unknown < needed_) return std::nullopt;
  Confirmed c{p.tx, reply.height, p.first_sent, p.applied, p.failed, p.unknown};
  pending_.erase(it);
  return c;
}

std::optional<sim::SimTime> TxSubmitter::next_retry() const {
  if (pending_.empty() || retry_after_ <= sim::Duration::zero()) return std::nullopt;
  sim::SimTime earliest = sim::SimTime::max();
  for (const auto& [id, p] : pending_) earliest = std::min(earliest, p.last_sent + retry_after_);
  return earliest;
}

// As TxClient: one validator or f + 1 chosen at random, or all of them.
void TxSubmitter::send_to_validators(sim::Context& ctx, const ledger::TxPtr& tx,
                                     sim::SendOptions options) {
  const bool to_all = submit_to_ == SubmitTo::kAll;
  const sim::Message msg = sim::Message::make(SubmitTx{tx, to_all}, tx->wire_size());
  if (to_all) return ctx.broadcast(validators_, msg, options);
  const size_t n = validators_.size();
  const size_t k = submit_to_ == SubmitTo::kOne ? 1 : (n - 1) / 3 + 1;
  std::vector<sim::NodeId> chosen;
  while (chosen.size() < k) {
    const sim::NodeId v = validators_[ctx.rng().below(n)];
    if (std::find(chosen.begin(), chosen.end(), v) == chosen.end()) chosen.push_back(v);
  }
  ctx.broadcast(chosen, msg, options);
}

}  // namespace tradesim::consensus
