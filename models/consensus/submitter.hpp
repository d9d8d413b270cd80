// The submitting side of a ledger client, for nodes that are something else first (a sensor
// gateway, a payment gateway): sends a sealed transaction to one validator, f + 1 or all, keeps
// it until enough validators said they committed it, and sends it again when it waited too long.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "models/consensus/client.hpp"

namespace tradesim::consensus {

class TxSubmitter {
 public:
  // Confirmation needs one TxCommitted when submitting to one validator, f + 1 otherwise (so
  // that f faulty validators cannot fool the submitter). Throws on an empty consortium.
  TxSubmitter(std::vector<sim::NodeId> validators, SubmitTo submit_to, sim::Duration retry_after);

  struct Confirmed {
    ledger::TxPtr tx;
    uint64_t height;
    sim::SimTime first_sent;
    uint32_t applied, failed, unknown;  // the replies that made it confirmed
    // The receipt of the first reply that carried one (a contract call with an executor), else
    // null. Honest validators send the same receipt; with f + 1 replies, compare them yourself
    // if a faulty one matters.
    ledger::ReceiptPtr receipt = nullptr;
  };

  // Sends `tx` now with `options` (an uplink's latency) and keeps it until confirmed. `send` is
  // false when the owner's own link lost the message: it stays pending and is sent again.
  void submit(sim::Context& ctx, const ledger::TxPtr& tx, sim::SendOptions options = {},
              bool send = true);
  // Validator `from`'s reply; the transaction once enough distinct validators replied (then it
  // is forgotten). A validator's second reply (to a resent copy) counts once.
  std::optional<Confirmed> on_committed(sim::NodeId from, const TxCommitted& reply);
  // Sends again what waited retry_after since its last sending (in id order, deterministic);
  // `link_up(ctx)` decides per message whether the owner's link carries it. Returns how many.
  template <class LinkUp>
  size_t resend_due(sim::Context& ctx, sim::SendOptions options, LinkUp&& link_up) {
    size_t n = 0;
    for (auto& [id, p] : pending_) {
      if (ctx.now() < p.last_sent + retry_after_) continue;
      // The replies already counted stay: a validator's commit notice is final, and the
      // validators that sent one may be the only ones up.
      p.last_sent = ctx.now();
      ++n;
      if (link_up(ctx)) send_to_validators(ctx, p.tx, options);
    }
    resent_ += n;
    return n;
  }
  // When the next resend is due, if anything is pending and retries are on.
  std::optional<sim::SimTime> next_retry() const;

  size_t pending() const { return pending_.size(); }
  size_t confirmations_needed() const { return needed_; }
  uint64_t resent() const { return resent_; }
  sim::Duration retry_after() const { return retry_after_; }

 private:
  void send_to_validators(sim::Context& ctx, const ledger::TxPtr& tx, sim::SendOptions options);
  struct Pending {
    ledger::TxPtr tx;
    sim::SimTime first_sent, last_sent;
    uint32_t applied = 0, failed = 0, unknown = 0;
    ledger::ReceiptPtr receipt = nullptr;
    std::vector<sim::NodeId> replied{};  // the validators counted
  };
  std::vector<sim::NodeId> validators_;
  SubmitTo submit_to_;
  sim::Duration retry_after_;
  size_t needed_;
  uint64_t resent_ = 0;
  std::map<ledger::Digest, Pending> pending_;  // ordered: retries go out in a fixed order
};

}  // namespace tradesim::consensus
