// PBFT (Castro and Liskov, "Practical Byzantine Fault Tolerance", OSDI 1999): pre-prepare,
// prepare and commit with 2f+1 quorums, sequence-number watermarks, checkpoints and garbage
// collection, view change and NEW-VIEW with a doubling timeout, and batching of requests.
// Messages are signed with Ed25519 and checked through a shared verification memo; every sign
// and verify is charged as simulated CPU time. Section numbers refer to the paper.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/ledger/crypto.hpp"
#include "sim/engine.hpp"

namespace tradesim::consensus {

struct PbftParams {
  size_t max_batch = 64;  // requests per pre-prepare
  sim::Duration batch_interval = sim::Duration::from_ns(10 * sim::units::kMillisecond);
  uint64_t checkpoint_interval = 16;  // K (section 4.3)
  uint64_t watermark_window = 64;     // L = H - h
  sim::Duration view_change_timeout = sim::Duration::from_ns(500 * sim::units::kMillisecond);
  uint32_t request_bytes = 250;
  sim::Duration sign_cost = sim::Duration::from_ns(20 * sim::units::kMicrosecond);
  sim::Duration verify_cost = sim::Duration::from_ns(45 * sim::units::kMicrosecond);
};

// Byzantine behaviours a replica can be given (section 4 assumes at most f of them).
enum class PbftBehaviour {
  kHonest,
  kSilent,      // receives but sends nothing
  kEquivocate,  // as primary: different batches to the two halves; as any replica: answers
                // each peer's prepare with a prepare and a commit for that peer's digest
};

struct PbftBatch {
  std::vector<uint64_t> requests;
  ledger::Digest digest() const;
};

// The messages of section 4, each with its sender's signature over its digest.
struct PrePrepare {
  uint64_t view, seq;
  ledger::Digest digest;
  std::shared_ptr<const PbftBatch> batch;
  ledger::Signature signature;
};
struct Prepare {
  uint64_t view, seq;
  ledger::Digest digest;
  uint32_t replica;
  ledger::Signature signature;
};
struct Commit {
  uint64_t view, seq;
  ledger::Digest digest;
  uint32_t replica;
  ledger::Signature signature;
};
struct Checkpoint {
  uint64_t seq;
  ledger::Digest state;
  uint32_t replica;
  ledger::Signature signature;
};
// A prepared certificate: the pre-prepare and 2f matching prepares (section 4.4, the P set).
struct PreparedProof {
  PrePrepare pre_prepare;
  std::vector<Prepare> prepares;
};
struct ViewChange {
  uint64_t new_view;
  uint64_t stable_seq;
  std::vector<PreparedProof> prepared;
  uint32_t replica;
  ledger::Signature signature;
};
struct NewView {
  uint64_t view;
  std::vector<ViewChange> view_changes;  // V
  std::vector<PrePrepare> pre_prepares;  // O
  ledger::Signature signature;
};
struct PbftRequest {
  uint64_t id;
};

struct PbftObserver {
  std::function<void(sim::NodeId node, uint64_t seq, const ledger::Digest& digest,
                     const PbftBatch& batch, sim::SimTime at)>
      committed;
  std::function<void(sim::NodeId node, uint64_t view, sim::SimTime at)> entered_view;
  std::function<void(sim::NodeId node, std::string_view reason)> rejected;
};

class PbftReplica : public sim::Node {
 public:
  // `replicas` in index order: replica i is replicas[i]; keys are derived from the run seed.
  PbftReplica(std::vector<sim::NodeId> replicas, uint32_t index, uint64_t run_seed,
              PbftParams params, ledger::VerificationMemo* memo, const PbftObserver* observer,
              PbftBehaviour behaviour = PbftBehaviour::kHonest);

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  void on_crash(sim::SimTime at) override;
  std::string_view kind() const override { return "pbft-validator"; }

  void set_behaviour(PbftBehaviour b) { behaviour_ = b; }
  uint64_t view() const { return view_; }
  bool view_active() const { return view_active_; }
  size_t waiting_requests() const { return queue_.size(); }
  uint64_t last_executed() const { return last_executed_; }
  uint64_t stable_checkpoint() const { return low_watermark_; }
  size_t f() const { return (n_ - 1) / 3; }
  bool is_primary() const { return primary_of(view_) == index_; }

 private:
  static constexpr uint64_t kBatchTimer = 1, kViewTimer = 2;

  uint32_t primary_of(uint64_t view) const { return static_cast<uint32_t>(view % n_); }
  size_t quorum() const { return 2 * f() + 1; }
  bool in_window(uint64_t seq) const {
    return seq > low_watermark_ && seq <= low_watermark_ + params_.watermark_window;
  }
  ledger::Signature sign(sim::Context& ctx, const ledger::Digest& d);
  bool verify(sim::Context& ctx, uint32_t replica, const ledger::Digest& d,
              const ledger::Signature& s);
  void multicast(sim::Context& ctx, const sim::Message& msg);
  void reject(std::string_view reason);

  void send_pre_prepare(sim::Context& ctx);
  void on_request(sim::Context& ctx, const PbftRequest& m);
  void on_pre_prepare(sim::Context& ctx, const PrePrepare& m);
  void on_prepare(sim::Context& ctx, const Prepare& m);
  void on_commit(sim::Context& ctx, const Commit& m);
  void on_checkpoint(sim::Context& ctx, const Checkpoint& m);
  void on_view_change(sim::Context& ctx, const ViewChange& m);
  void on_new_view(sim::Context& ctx, const NewView& m);

  bool accept_pre_prepare(sim::Context& ctx, const PrePrepare& m);
  void try_prepared(sim::Context& ctx, uint64_t seq);
  void try_commit(sim::Context& ctx, uint64_t seq);
  void execute_ready(sim::Context& ctx);
  void start_view_change(sim::Context& ctx, uint64_t new_view);
  void arm_view_timer(sim::Context& ctx);
  void enter_view(sim::Context& ctx, uint64_t view);
  bool valid_view_change(sim::Context& ctx, const ViewChange& m);

  // Per sequence number in the current window (section 4.2: the message log).
  struct Slot {
    std::optional<PrePrepare> pre_prepare;
    std::map<uint32_t, Prepare> prepares;  // by replica, matching the pre-prepare's digest
    std::map<uint32_t, Commit> commits;
    bool prepared = false, commit_sent = false, committed = false;
    // The prepared certificate of the highest view in which this slot prepared; kept when the
    // slot is voted on again in a new view, so that later view-changes still carry it.
    std::optional<PreparedProof> certificate;
    std::set<std::pair<uint32_t, ledger::Digest>> answered;  // an equivocating replica's replies
  };

  std::vector<sim::NodeId> replicas_;
  size_t n_;
  uint32_t index_;
  PbftParams params_;
  ledger::KeyPair key_;
  std::vector<ledger::PublicKey> keys_;
  ledger::VerificationMemo* memo_;
  const PbftObserver* observer_;
  PbftBehaviour behaviour_;

  uint64_t view_ = 0;
  bool view_active_ = true;  // false between sending VIEW-CHANGE and accepting NEW-VIEW
  uint64_t next_seq_ = 1;    // primary: the next sequence number to assign
  uint64_t low_watermark_ = 0;
  uint64_t last_executed_ = 0;
  ledger::Digest state_{};  // a running hash of executed batches
  std::map<uint64_t, Slot> log_;
  std::map<uint64_t, std::map<uint32_t, ledger::Digest>> checkpoints_;  // seq -> replica -> state
  std::optional<Checkpoint> stable_own_;            // our signed checkpoint at the low watermark
  std::map<uint64_t, Checkpoint> own_checkpoints_;  // ours, not yet stable
  // Votes for a view this replica has not entered yet (they can overtake the NEW-VIEW); replayed
  // when it enters that view.
  std::vector<PrePrepare> early_pre_prepares_;
  std::vector<Prepare> early_prepares_;
  std::vector<Commit> early_commits_;
  static constexpr size_t kMaxEarlyVotes = 100000;
  std::vector<uint64_t> queue_;  // requests waiting for a pre-prepare (primary) or execution
  std::set<uint64_t> seen_requests_;
  std::map<uint64_t, std::map<uint32_t, ViewChange>> view_changes_;
  sim::TimerId view_timer_ = sim::kNoTimer;
  sim::Duration view_timeout_;
  bool batch_timer_armed_ = false;
};

}  // namespace tradesim::consensus
