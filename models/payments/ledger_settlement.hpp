// Settlement on the consortium ledger: a payment order becomes one signed ledger payment
// transaction (ledger::TxKind::kPayment) from the payer's account to the beneficiary's,
// submitted to the validators the way consensus::TxClient does (SubmitTx, confirmed by TxCommitted
// from one validator, or from f + 1 when it went to more than one). Pay in advance submits it when
// the order is due, pay on delivery when the DeliveryConfirmed arrives.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "models/consensus/client.hpp"
#include "models/consensus/validator.hpp"
#include "models/ledger/crypto.hpp"
#include "models/ledger/transaction.hpp"
#include "models/payments/payer.hpp"
#include "models/payments/payment.hpp"

namespace tradesim::payments {

struct LedgerSettlementParams {
  consensus::SubmitTo submit_to = consensus::SubmitTo::kFPlusOne;
  Money fee = 1;                 // the ledger fee of one payment (to LedgerParams::fee_account)
  uint32_t payload_bytes = 100;  // declared size of the transaction's payload
  sim::Duration sign_cost = sim::Duration::from_ns(20 * sim::units::kMicrosecond);
  // Sent again to validators chosen afresh if not confirmed this long after it was last sent.
  sim::Duration retry_after = sim::Duration::from_ns(5 * sim::units::kSecond);
};

// The TxCommitted replies a submitter holds for one transaction, and what they say it did.
struct CommitReplies {
  uint32_t applied = 0, failed = 0, unknown = 0;
  std::vector<sim::NodeId> from{};  // the validators counted: each once
  // Counts validator `v`'s reply; false (not counted) if `v` was counted already.
  bool add(sim::NodeId v, consensus::TxOutcome outcome);
  uint32_t total() const { return applied + failed + unknown; }
  // Applied unless more of the replies that know say it failed than say it applied (validators
  // that caught up by state transfer do not know, and honest ones that know agree).
  bool applied_in_the_end() const { return failed <= applied; }
};

// The signed ledger payment for `order`: sender = payer's ledger account (its node id),
// recipient = the beneficiary's node id, amount and fee in the ledger's unit (the order's
// currency is not converted: the ledger holds one settlement asset).
ledger::Transaction make_payment_transaction(const PaymentOrder& order, sim::NodeId payer,
                                             uint64_t nonce, Money fee, sim::SimTime now,
                                             uint32_t payload_bytes, const ledger::KeyPair& key);

// The record of a payment settled on the ledger: credited when confirmed, the ledger fee as the
// only fee, no intermediaries.
PaymentRecord ledger_record(const ledger::Transaction& tx, sim::SimTime submitted,
                            sim::SimTime confirmed);

class LedgerPayer : public Payer {
 public:
  // `validators` of the consortium; the key is derived from (run_seed, self) like the clients'.
  LedgerPayer(std::vector<PaymentOrder> orders, std::vector<sim::NodeId> validators,
              uint64_t run_seed, sim::NodeId self, LedgerSettlementParams params,
              const PaymentObserver* observer);
  // A restart takes up the retries of what is still unconfirmed (kept on stable storage).
  void on_start(sim::Context& ctx) override;
  void on_crash(sim::SimTime at) override;
  std::string_view kind() const override { return "ledger-payer"; }

  uint64_t confirmed() const { return confirmed_; }
  uint64_t failed() const {
    return failed_;
  }  // committed, but the ledger refused to move the money
  uint64_t resent() const { return resent_; }
  size_t pending() const { return pending_.size(); }

 protected:
  void initiate(sim::Context& ctx, const PaymentOrder& order) override;
  void on_other_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_own_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;

 private:
  static constexpr uint64_t kRetryTimer = kOwnTimers;
  void send_to_validators(sim::Context& ctx, const ledger::TxPtr& tx);
  void arm_retry(sim::Context& ctx);
  std::vector<sim::NodeId> validators_;
  LedgerSettlementParams params_;
  ledger::KeyPair key_;
  const PaymentObserver* observer_;
  size_t needed_;  // confirmations
  uint64_t nonce_ = 0;
  uint64_t confirmed_ = 0;
  uint64_t failed_ = 0;
  uint64_t resent_ = 0;
  bool retry_armed_ = false;
  struct Pending {
    sim::SimTime submitted;
    sim::SimTime last_sent;
    ledger::TxPtr tx;
    CommitReplies replies;
  };
  // By transaction id; an ordered map so that retries go out in a deterministic order.
  std::map<ledger::Digest, Pending> pending_;
};

}  // namespace tradesim::payments
