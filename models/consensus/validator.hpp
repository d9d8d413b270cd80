// The validator: what every consortium validator does whatever its protocol. It keeps a mempool,
// its own chain and world state; takes transactions from clients and forwards them to whoever
// proposes next; turns each batch its protocol orders into a block, applies it and tells the
// submitting clients. The protocols (PBFT, Raft, HotStuff, proof of authority) derive from it
// and implement only agreement: this class is their one common interface to the ledger.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/ledger/block.hpp"
#include "models/ledger/chain.hpp"
#include "models/ledger/mempool.hpp"
#include "models/ledger/world_state.hpp"
#include "sim/engine.hpp"

namespace tradesim::consensus {

// Simulated CPU time of the cryptography, charged to the node that does it. Defaults are this
// machine's measurements (libsodium Ed25519 sign ~52k/s, verify ~22k/s; OpenSSL SHA-256 of 256 B
// ~3.4M/s): see docs/consensus.md.
struct CryptoCosts {
  sim::Duration sign = sim::Duration::from_ns(20 * sim::units::kMicrosecond);
  sim::Duration verify = sim::Duration::from_ns(45 * sim::units::kMicrosecond);
  sim::Duration hash_per_kib = sim::Duration::from_ns(1200);  // SHA-256 throughput
  sim::Duration hash_fixed = sim::Duration::from_ns(150);     // per digest
  sim::Duration hash(uint64_t bytes) const {
    return hash_fixed +
           sim::Duration::from_ns(hash_per_kib.ns() * static_cast<int64_t>(bytes) / 1024);
  }
};

struct LedgerParams {
  size_t max_block_txs = 500;
  uint64_t max_block_bytes = 1 << 20;
  // How long a proposer waits for a block to fill before it proposes what it has.
  sim::Duration block_interval = sim::Duration::from_ns(200 * sim::units::kMillisecond);
  size_t mempool_txs = 200000;
  uint64_t mempool_bytes = uint64_t{256} << 20;
  uint64_t keep_bodies = 64;  // block bodies each validator keeps (headers are always kept)
  // Client transactions a validator collects before forwarding them (or this long at most).
  sim::Duration forward_interval = sim::Duration::from_ns(20 * sim::units::kMillisecond);
  uint64_t fee_account = 0;  // receives the fees of committed payments
  // Simulated CPU to execute one transaction against the world state.
  sim::Duration execute_per_tx = sim::Duration::from_ns(5 * sim::units::kMicrosecond);
  CryptoCosts costs;
};

// Faulty behaviours a validator can be given (set from the scenario timeline). Honest validators
// reject what these produce and count each reason.
enum class Behaviour : uint8_t {
  kHonest,
  kSilent,           // receives but sends nothing
  kEquivocate,       // conflicting proposals or votes (what that means is per protocol)
  kDelay,            // sends everything late, by `delay`
  kInvalidProposal,  // proposes blocks with a bad signature or a bad Merkle root, in turn
};
std::string_view behaviour_name(Behaviour b);
std::optional<Behaviour> behaviour_from_name(std::string_view name);

// Messages between clients and validators.
struct SubmitTx {  // client -> validator
  ledger::TxPtr tx;
  bool to_all = false;  // the client sent it to every validator: nobody needs to forward it
};
struct ForwardTxs {  // validator -> the validators that propose next
  std::vector<ledger::TxPtr> txs;
};
// Whether a committed transaction changed the world state.
enum class TxOutcome : uint8_t {
  kApplied,
  kFailed,   // ordered, but it changed nothing (a payment from an account that cannot pay)
  kUnknown,  // the validator took the block by state transfer, without executing it
};
std::string_view tx_outcome_name(TxOutcome o);
struct TxCommitted {  // validator -> client, once its block is committed
  ledger::Digest id;
  uint64_t height;
  TxOutcome outcome = TxOutcome::kApplied;
  // What a contract call did (with an executor); null for other transactions. Its bytes are
  // part of the message.
  ledger::ReceiptPtr receipt = nullptr;
};

// What validators report, for metrics and for the property checkers. Every member may be empty.
struct ValidatorObserver {
  // `validator` appended `block` to its chain at `at` (each validator reports each block).
  std::function<void(sim::NodeId validator, const ledger::Block& block, sim::SimTime at)>
      block_committed;
  // An honest validator refused a message, a transaction or a block, and why.
  std::function<void(sim::NodeId validator, std::string_view reason)> rejected;
  // A protocol message left a validator (client traffic is counted by the clients).
  std::function<void(std::string_view type, uint32_t bytes)> sent;
  // `validator` moved to `view` (PBFT, HotStuff), `term` (Raft) or became leader of it.
  std::function<void(sim::NodeId validator, uint64_t view, sim::SimTime at)> view_changed;
  std::function<void(sim::NodeId validator, uint64_t term, sim::SimTime at)> became_leader;
};

// Shared by the validators of a run, like the verification memo: executing one block on one
// state gives one result, so the real work runs once per unique (state, block) and every
// validator is still charged its CPU time. A validator whose state differs (a fault) computes its
// own, and its state root shows it.
class ExecutionMemo {
 public:
  struct Result {
    std::shared_ptr<const ledger::WorldState> state;
    ledger::Digest root;
    // By position in the block body: did the transaction apply (WorldState::apply)? Empty for
    // an empty body.
    std::shared_ptr<const std::vector<bool>> applied;
    // Contract calls (with an executor): total gas and the simulated CPU it stands for, charged
    // to each validator that executes the block.
    uint64_t gas_used = 0;
    int64_t contract_cpu_ns = 0;
    // By position in the block body: the receipt of each contract call (null for the other
    // transactions). Null when the block has no receipt at all (no executor, no calls).
    std::shared_ptr<const std::vector<ledger::ReceiptPtr>> receipts = nullptr;
  };
  // With `executor`, contract calls run through it in `block` (its height and proposer time
  // are then part of the memo key); without, `block` is ignored and nothing changes. With an
  // executor that has a block gas limit, a call whose gas limit would take the gas used so far
  // in the block past it is not run: it pays its fee and nonce only, is not applied, and its
  // receipt says kReceiptBlockGasLimit.
  Result apply(const std::shared_ptr<const ledger::WorldState>& before,
               const ledger::Digest& before_root, const ledger::TxBatch& body, uint64_t fee_account,
               const ledger::CallExecutor* executor = nullptr, const ledger::BlockInfo& block = {});
  uint64_t executions() const { return executions_; }

 private:
  // Two generations of at most kCapacity results: validators apply a block within moments of
  // each other, so only recent results are ever asked for again.
  static constexpr size_t kCapacity = 1024;
  std::unordered_map<ledger::Digest, Result, ledger::DigestHash> results_, older_;
  uint64_t executions_ = 0;
};

// What the validators of one consortium share: the verification and execution memos (caches of
// pure functions, not shared knowledge) and the observer.
struct ValidatorShared {
  std::shared_ptr<const ledger::WorldState> genesis;  // the state every chain starts from
  ledger::VerificationMemo verification;
  ExecutionMemo execution;
  ValidatorObserver observer;
  // Runs contract calls (models/contracts); null: a contract call pays its fee only. Must
  // outlive the validators.
  const ledger::CallExecutor* executor = nullptr;
};

// What a leader proposes for ordering: a block body with the proposer and its clock, so that
// every validator derives the same block from it, whenever and in whichever view or term it is
// finally committed.
struct ProposedBatch {
  ProposedBatch(ledger::BatchPtr body, sim::NodeId proposer, int64_t timestamp_ns);
  ledger::BatchPtr body;
  sim::NodeId proposer;
  int64_t timestamp_ns;
  ledger::Digest digest;  // of the three fields above, computed from them
  static std::shared_ptr<const ProposedBatch> null();  // nothing, proposed by nobody
};

// What a validator that fell behind fetches from a peer: blocks and the state after the last.
struct ChainSnapshot {
  std::vector<ledger::Block> blocks;  // consecutive, from the requester's height + 1
  std::shared_ptr<const ledger::WorldState> state;
};

class Validator : public sim::Node {
 public:
  using Snapshot = ChainSnapshot;
  // `validators` in index order (validator i is validators[i]); keys are derived from the run
  // seed.
  Validator(std::vector<sim::NodeId> validators, uint32_t index, uint64_t run_seed,
            LedgerParams ledger, ValidatorShared* shared);

  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) final;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) final;
  void on_crash(sim::SimTime at) override;  // derived protocols call it too
  // Before the run, while no block is committed: start from `genesis` instead of the shared
  // genesis state (models built after the consortium fund their ledger accounts this way: see
  // fund_at_genesis in scenario.hpp). Throws std::logic_error once a block is committed.
  void replace_genesis(std::shared_ptr<const ledger::WorldState> genesis);

  // Before the run: contract calls run through `executor` (shared by the consortium's
  // validators; see ValidatorShared::executor).
  void set_call_executor(const ledger::CallExecutor* executor) { shared_->executor = executor; }

  void set_behaviour(Behaviour b, sim::Duration delay = {}) {
    behaviour_ = b;
    delay_ = delay;
    ever_faulty_ |= b != Behaviour::kHonest;
  }
  Behaviour behaviour() const { return behaviour_; }
  // Was ever given a faulty behaviour: its commits do not count for the safety checks.
  bool ever_faulty() const { return ever_faulty_; }
  const ledger::Chain& chain() const { return chain_; }
  const ledger::WorldState& state() const { return *state_; }
  const ledger::Digest& state_root() const { return state_root_; }
  // The sum of all balances in the genesis state (money is conserved from there on).
  int64_t genesis_money() const { return genesis_money_; }
  const ledger::Mempool& mempool() const { return mempool_; }
  uint32_t index() const { return index_; }
  size_t size() const { return n_; }
  const ledger::PublicKey& public_key() const { return key_.public_key(); }

 protected:
  // Protocol hooks.
  virtual void on_protocol_message(sim::Context& ctx, sim::NodeId from,
                                   const sim::Message& msg) = 0;
  virtual void on_protocol_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) = 0;
  // A transaction was admitted to this validator's mempool (from a client or a peer).
  virtual void on_transaction(sim::Context& ctx, const ledger::TxPtr& tx) = 0;
  // The validators that should receive this validator's client transactions: those that
  // propose next. Empty: none (the transactions wait here).
  virtual std::vector<uint32_t> forward_targets() const = 0;

  // For the protocols.
  ledger::Signature sign(sim::Context& ctx, const ledger::Digest& d);
  bool verify(sim::Context& ctx, uint32_t validator, const ledger::Digest& d,
              const ledger::Signature& s);
  void charge_hash(sim::Context& ctx, uint64_t bytes) { ctx.charge(ledger_.costs.hash(bytes)); }
  // Sends a protocol message, counted by `type`; silent validators send nothing, delaying ones
  // send late. Replicas talk over FIFO (TCP-like) channels.
  void send(sim::Context& ctx, uint32_t validator, std::string_view type, const sim::Message& msg);
  void multicast(sim::Context& ctx, std::string_view type, const sim::Message& msg);
  void reject(std::string_view reason);
  void report_view(sim::Context& ctx, uint64_t view);
  void report_leader(sim::Context& ctx, uint64_t term);
  // Admits a transaction: charges its signature check; duplicates, replays, bad signatures and
  // overflow are refused (and counted when `count` is true).
  bool admit(sim::Context& ctx, const ledger::TxPtr& tx, bool count = true);
  // The next block body from the mempool, within the block limits, leaving out transactions
  // already proposed (`skip`).
  ledger::BatchPtr take_batch(const std::function<bool(const ledger::Digest&)>& skip = {}) const;
  // Checks every transaction signature in a proposed body (charged; memoised), false if one is
  // bad.
  bool verify_body(sim::Context& ctx, const ledger::TxBatch& body);
  // Appends the next block: its body as ordered, its proposer and proposal time as agreed. Applies
  // it, drops its transactions from the mempool, tells the clients that submitted here. Returns
  // the block (the chain's copy).
  const ledger::Block& commit_block(sim::Context& ctx, const ledger::BatchPtr& body,
                                    sim::NodeId proposer, int64_t timestamp_ns);
  // State transfer: takes a peer's blocks above our tip and its world state, after checking that
  // they link up to `certified` (a block hash that 2f+1 validators vouched for) and that the
  // state matches the last block's state root.
  // Our blocks above `above_height` up to `to_height`, with the state `state` after the last.
  Snapshot snapshot(uint64_t above_height, uint64_t to_height,
                    std::shared_ptr<const ledger::WorldState> state) const;
  const std::shared_ptr<const ledger::WorldState>& state_ptr() const { return state_; }
  static uint32_t snapshot_bytes(const Snapshot& s);
  bool adopt(sim::Context& ctx, const Snapshot& s, const ledger::Digest& certified);
  // Forgets every pending transaction (a validator that adopted a certified state).
  void clear_pending() { mempool_.clear(); }
  // Forwards the client transactions collected so far (also done on a timer).
  void flush_forward(sim::Context& ctx);
  // Forwards every pending transaction again (the proposer changed).
  void forward_all_pending(sim::Context& ctx);
  sim::NodeId node_of(uint32_t validator) const { return validators_[validator]; }

  std::vector<sim::NodeId> validators_;
  size_t n_;
  uint32_t index_;
  LedgerParams ledger_;
  ledger::KeyPair key_;
  std::vector<ledger::PublicKey> keys_;
  ValidatorShared* shared_;
  Behaviour behaviour_ = Behaviour::kHonest;
  bool ever_faulty_ = false;
  sim::Duration delay_;
  ledger::Mempool mempool_;

 private:
  static constexpr uint64_t kForwardTimer = ~uint64_t{0};
  void on_submit(sim::Context& ctx, sim::NodeId from, const SubmitTx& m);
  // `applied`: the outcome of each transaction by position in the body; null: not executed here.
  // `receipts`: by position, null when there are none.
  void reply_committed(sim::Context& ctx, sim::NodeId client, const ledger::Digest& id,
                       uint64_t height, TxOutcome outcome, ledger::ReceiptPtr receipt);
  void notify_clients(sim::Context& ctx, const ledger::Block& block,
                      const std::vector<bool>* applied,
                      const std::vector<ledger::ReceiptPtr>* receipts = nullptr);

  ledger::Chain chain_;
  std::shared_ptr<const ledger::WorldState> state_;
  int64_t genesis_money_ = 0;
  ledger::Digest state_root_{};
  std::unordered_map<ledger::Digest, sim::NodeId, ledger::DigestHash>
      waiting_clients_;  // tx id -> the client that submitted it here
  // The most recent committed transactions and what became of them, so that a client whose
  // copy arrives after the transaction was committed (forwarded by another validator first)
  // gets its answer instead of a silent refusal as a replay. Bounded: the oldest go first.
  struct RecentCommit {
    uint64_t height;
    TxOutcome outcome;
    ledger::ReceiptPtr receipt;
  };
  static constexpr size_t kRecentCommits = 16384;
  std::unordered_map<ledger::Digest, RecentCommit, ledger::DigestHash> recent_commits_;
  std::deque<ledger::Digest> recent_order_;
  std::vector<ledger::TxPtr> to_forward_;
  bool forward_timer_armed_ = false;
};

}  // namespace tradesim::consensus
