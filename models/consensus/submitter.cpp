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
  pending_[tx->id()] = Pending{.tx = tx, .first_sent = ctx.now(), .last_sent = ctx.now()};
  if (send) send_to_validators(ctx, tx, options);
}

std::optional<TxSubmitter::Confirmed> TxSubmitter::on_committed(sim::NodeId from,
                                                                const TxCommitted& reply) {
  const auto it = pending_.find(reply.id);
  if (it == pending_.end()) return std::nullopt;
  Pending& p = it->second;
  if (std::find(p.replied.begin(), p.replied.end(), from) != p.replied.end()) return std::nullopt;
  p.replied.push_back(from);
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
  if (!p.receipt) p.receipt = reply.receipt;
  if (p.applied + p.failed + p.unknown < needed_) return std::nullopt;
  Confirmed c{p.tx, reply.height, p.first_sent, p.applied, p.failed, p.unknown, p.receipt};
  pending_.erase(it);
  return c;
}

std::optional<sim::SimTime> TxSubmitter::next_retry() const {
  if (pending_.empty() || retry_after_ <= sim::Duration::zero()) return std::nullopt;
  sim::SimTime earliest = sim::SimTime::max();
  for (const auto& [id, p] : pending_) earliest = std::min(earliest, p.last_sent + retry_after_);
  return earliest;
}

void TxSubmitter::send_to_validators(sim::Context& ctx, const ledger::TxPtr& tx,
                                     sim::SendOptions options) {
  submit_to_validators(ctx, validators_, submit_to_, tx, options);
}

}  // namespace tradesim::consensus
