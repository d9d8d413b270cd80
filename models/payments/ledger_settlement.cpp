// Ledger settlement: payment orders as signed ledger payments, submitted and confirmed.
#include "models/payments/ledger_settlement.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tradesim::payments {

bool CommitReplies::add(sim::NodeId v, consensus::TxOutcome outcome) {
  if (std::find(from.begin(), from.end(), v) != from.end()) return false;
  from.push_back(v);
  switch (outcome) {
    case consensus::TxOutcome::kApplied:
      ++applied;
      break;
    case consensus::TxOutcome::kFailed:
      ++failed;
      break;
    case consensus::TxOutcome::kUnknown:
      ++unknown;
      break;
  }
  return true;
}

ledger::Transaction make_payment_transaction(const PaymentOrder& order, sim::NodeId payer,
                                             uint64_t nonce, Money fee, sim::SimTime now,
                                             uint32_t payload_bytes, const ledger::KeyPair& key) {
  if (fee < 0) throw std::invalid_argument("ledger settlement: negative fee");
  ledger::Transaction tx;
  tx.kind = ledger::TxKind::kPayment;
  tx.sender = payer;
  tx.nonce = nonce;
  tx.fee = static_cast<uint64_t>(fee);
  tx.recipient = order.beneficiary;
  tx.amount = order.amount;
  // The payment id travels in the payload, so that the beneficiary and auditors can match the
  // ledger entry to the trade (as the remittance information of a credit transfer).
  for (int shift = 0; shift < 64; shift += 8) {
    tx.payload.push_back(static_cast<uint8_t>(order.id >> shift));
  }
  tx.declared_bytes = std::max<uint32_t>(payload_bytes, static_cast<uint32_t>(tx.payload.size()));
  tx.submitted_ns = now.ns();
  tx.sign_with(key);
  return tx;
}

PaymentRecord ledger_record(const ledger::Transaction& tx, sim::SimTime submitted,
                            sim::SimTime confirmed) {
  PaymentRecord r;
  for (size_t i = 0; i < 8 && i < tx.payload.size(); ++i) {
    r.id |= static_cast<uint64_t>(tx.payload[i]) << (8 * i);
  }
  r.settlement = Settlement::kLedger;
  r.originator = static_cast<sim::NodeId>(tx.sender);
  r.beneficiary = static_cast<sim::NodeId>(tx.recipient);
  r.initiated = submitted;
  r.credited = confirmed;
  r.amount_received = tx.amount;
  r.fees = static_cast<Money>(tx.fee);
  r.amount_sent = r.amount_received + r.fees;
  r.intermediaries = 0;
  r.hops = 0;
  check_conservation(r);
  return r;
}

LedgerPayer::LedgerPayer(std::vector<PaymentOrder> orders, std::vector<sim::NodeId> validators,
                         uint64_t run_seed, sim::NodeId self, LedgerSettlementParams params,
                         const PaymentObserver* observer)
    : Payer(std::move(orders)),
      validators_(std::move(validators)),
      params_(params),
      key_(ledger::KeyPair::derive(run_seed, self)),
      observer_(observer) {
  if (validators_.empty()) throw std::invalid_argument("ledger payer: no validators");
  const size_t f = (validators_.size() - 1) / 3;
  needed_ = params_.submit_to == consensus::SubmitTo::kOne ? 1 : f + 1;
}

void LedgerPayer::initiate(sim::Context& ctx, const PaymentOrder& order) {
  ledger::Transaction tx = make_payment_transaction(order, ctx.self(), ++nonce_, params_.fee,
                                                    ctx.now(), params_.payload_bytes, key_);
  ctx.charge(params_.sign_cost);
  const ledger::TxPtr sealed = ledger::seal(std::move(tx));
  pending_[sealed->id()] = {ctx.now(), ctx.now(), sealed, {}};
  send_to_validators(ctx, sealed);
  arm_retry(ctx);
}

void LedgerPayer::arm_retry(sim::Context& ctx) {
  if (retry_armed_ || pending_.empty() || params_.retry_after <= sim::Duration::zero()) return;
  retry_armed_ = true;
  ctx.set_timer(params_.retry_after, kRetryTimer);
}

void LedgerPayer::on_start(sim::Context& ctx) {
  Payer::on_start(ctx);
  arm_retry(ctx);
}

void LedgerPayer::on_crash(sim::SimTime) {
  retry_armed_ = false;  // the timer died with the crash
}

void LedgerPayer::send_to_validators(sim::Context& ctx, const ledger::TxPtr& tx) {
  consensus::submit_to_validators(ctx, validators_, params_.submit_to, tx);
}

void LedgerPayer::on_own_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) {
  if (tag != kRetryTimer) return;
  retry_armed_ = false;
  for (auto& [id, p] : pending_) {
    if (ctx.now() < p.last_sent + params_.retry_after) continue;
    p.last_sent = ctx.now();
    ++resent_;
    send_to_validators(ctx, p.tx);
  }
  arm_retry(ctx);
}

void LedgerPayer::on_other_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) {
  const auto* m = msg.get_if<consensus::TxCommitted>();
  if (m == nullptr) return;
  const auto it = pending_.find(m->id);
  if (it == pending_.end()) return;
  if (!it->second.replies.add(from, m->outcome)) return;
  if (it->second.replies.total() < needed_) return;
  if (!it->second.replies.applied_in_the_end()) {
    // Ordered, but the payer's account could not pay: nothing moved, nobody is credited.
    ++failed_;
    const uint64_t payment_id = ledger_record(*it->second.tx, it->second.submitted, ctx.now()).id;
    pending_.erase(it);
    if (observer_ && observer_->rejected) {
      observer_->rejected(ctx.self(), payment_id, "ledger payment failed: insufficient funds");
    }
    return;
  }
  ++confirmed_;
  const PaymentRecord r = ledger_record(*it->second.tx, it->second.submitted, ctx.now());
  pending_.erase(it);
  if (observer_ && observer_->credited) observer_->credited(r);
  ctx.send(r.beneficiary, sim::Message::make(PaymentCredited{r}, kPaymentCreditedBytes));
}

}  // namespace tradesim::payments
