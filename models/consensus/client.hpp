// A ledger client: submits signed payments to the consortium at a rate (Poisson arrivals or a
// fixed period), to one validator, to f + 1 of them or to all, and counts a transaction as
// confirmed once enough validators said they committed it (one when it submitted to one; f + 1
// otherwise, so that f faulty validators cannot fool it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

#include "models/consensus/validator.hpp"

namespace tradesim::consensus {

enum class SubmitTo : uint8_t { kOne, kFPlusOne, kAll };
std::string_view submit_to_name(SubmitTo s);

struct ClientParams {
  double rate_per_second = 10;  // offered load of this client
  bool poisson = true;          // exponential gaps; otherwise exactly 1/rate apart
  uint64_t count = UINT64_MAX;  // transactions to submit at most
  sim::Duration start = sim::Duration::zero();
  sim::Duration stop = sim::Duration::max();  // no submissions after this time
  SubmitTo submit_to = SubmitTo::kOne;
  uint32_t payload_bytes = 100;  // declared payload size
  uint64_t fee = 1;
  int64_t amount = 1;
  uint64_t recipient = 0;
  sim::Duration sign_cost = sim::Duration::from_ns(20 * sim::units::kMicrosecond);
  // A transaction not confirmed this long after its last sending is sent again, to validators
  // chosen afresh (the ones it went to may have crashed). Zero: never.
  sim::Duration retry_after = sim::Duration::from_ns(5 * sim::units::kSecond);
};

struct ClientObserver {
  std::function<void(sim::NodeId client, const ledger::Transaction& tx, sim::SimTime at)> submitted;
  std::function<void(sim::NodeId client, const ledger::Digest& id, uint64_t height,
                     sim::SimTime submitted, sim::SimTime at)>
      confirmed;
};

// Submits `tx` as a client does: to every validator, or to one or f + 1 of them chosen at
// random without replacement (from the node's model stream). Clients, payment gateways and
// sensor gateways all submit through this.
void submit_to_validators(sim::Context& ctx, const std::vector<sim::NodeId>& validators,
                          SubmitTo to, const ledger::TxPtr& tx, sim::SendOptions options = {});

class TxClient : public sim::Node {
 public:
  TxClient(std::vector<sim::NodeId> validators, uint64_t run_seed, sim::NodeId self,
           ClientParams params, const ClientObserver* observer);
  void on_start(sim::Context& ctx) override;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  std::string_view kind() const override { return "ledger-client"; }

  uint64_t submitted() const { return nonce_; }
  uint64_t confirmed() const { return confirmed_; }
  uint64_t resent() const { return resent_; }
  const std::vector<ledger::Digest>& ids() const { return ids_; }

 private:
  static constexpr uint64_t kSubmitTimer = 0, kRetryTimer = 1;
  void schedule_next(sim::Context& ctx);
  void send_to_validators(sim::Context& ctx, const ledger::TxPtr& tx);
  void retry(sim::Context& ctx);
  bool retry_armed_ = false;
  std::vector<sim::NodeId> validators_;
  ClientParams params_;
  ledger::KeyPair key_;
  const ClientObserver* observer_;
  size_t needed_;  // confirmations
  uint64_t nonce_ = 0;
  uint64_t confirmed_ = 0;
  uint64_t resent_ = 0;
  std::vector<ledger::Digest> ids_;
  struct Pending {
    sim::SimTime submitted;
    sim::SimTime last_sent;
    ledger::TxPtr tx;
    std::vector<sim::NodeId> replied{};  // distinct validators that reported the commit
  };
  std::unordered_map<ledger::Digest, Pending, ledger::DigestHash> pending_;
};

}  // namespace tradesim::consensus
