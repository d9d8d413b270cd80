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

#include "models/consensus/validator.hpp"

namespace tradesim::consensus {

struct PbftParams {
  uint64_t checkpoint_interval = 16;  // K (section 4.3)
  uint64_t watermark_window = 64;     // L = H - h
  sim::Duration view_change_timeout = sim::Duration::from_ns(500 * sim::units::kMillisecond);
  // Each failed view change doubles the timeout (section 4.5.2), up to this: unbounded doubling
  // lets a replica that ran ahead alone keep the others waiting for minutes.
  sim::Duration max_view_change_timeout = sim::Duration::from_ns(4 * sim::units::kSecond);
};

// What a pre-prepare orders (see validator.hpp); a null batch is the null request of 4.4.
using PbftBatch = ProposedBatch;

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
// `state` is the replica's chain tip after executing `seq`.
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
// State transfer for a replica that fell behind a stable checkpoint.
struct FetchState {
  uint64_t seq;     // the stable checkpoint wanted
  uint64_t height;  // the requester's chain height
};
struct StateReply {
  uint64_t seq;
  Validator::Snapshot snapshot;
};

class PbftReplica : public Validator {
 public:
  PbftReplica(std::vector<sim::NodeId> replicas, uint32_t index, uint64_t run_seed,
              PbftParams params, LedgerParams ledger, ValidatorShared* shared);

  void on_start(sim::Context& ctx) override;
  void on_crash(sim::SimTime at) override;
  std::string_view kind() const override { return "pbft-validator"; }

  uint64_t view() const { return view_; }
  bool view_active() const { return view_active_; }
  uint64_t last_executed() const { return last_executed_; }
  uint64_t stable_checkpoint() const { return low_watermark_; }
  size_t f() const { return (n_ - 1) / 3; }
  bool is_primary() const { return primary_of(view_) == index_; }
  bool fetching() const { return fetching_.has_value(); }

 protected:
  void on_protocol_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_protocol_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  void on_transaction(sim::Context& ctx, const ledger::TxPtr& tx) override;
  std::vector<uint32_t> forward_targets() const override { return {primary_of(view_)}; }

 private:
  static constexpr uint64_t kBatchTimer = 1, kViewTimer = 2;

  uint32_t primary_of(uint64_t view) const { return static_cast<uint32_t>(view % n_); }
  size_t quorum() const { return 2 * f() + 1; }
  bool in_window(uint64_t seq) const {
    return seq > low_watermark_ && seq <= low_watermark_ + params_.watermark_window;
  }

  void send_pre_prepare(sim::Context& ctx);
  void on_pre_prepare(sim::Context& ctx, const PrePrepare& m);
  void on_prepare(sim::Context& ctx, const Prepare& m);
  void on_commit(sim::Context& ctx, const Commit& m);
  void on_checkpoint(sim::Context& ctx, const Checkpoint& m);
  void on_view_change(sim::Context& ctx, const ViewChange& m);
  void on_new_view(sim::Context& ctx, const NewView& m);
  void on_fetch_state(sim::Context& ctx, sim::NodeId from, const FetchState& m);
  void on_state_reply(sim::Context& ctx, const StateReply& m);

  bool accept_pre_prepare(sim::Context& ctx, const PrePrepare& m);
  void try_prepared(sim::Context& ctx, uint64_t seq);
  void try_commit(sim::Context& ctx, uint64_t seq);
  void execute_ready(sim::Context& ctx);
  void start_view_change(sim::Context& ctx, uint64_t new_view);
  void arm_view_timer(sim::Context& ctx);
  void arm_request_timer(sim::Context& ctx);
  void watch_pending(sim::Context& ctx);
  bool valid_view_change(sim::Context& ctx, const ViewChange& m);

  // Votes of one slot, one per replica, in arrival order: a flat vector (a slot holds at most n,
  // and a map's node per vote was the largest cost of large consortia).
  template <class Vote>
  class Votes {
   public:
    std::pair<std::pair<uint32_t, Vote>*, bool> emplace(uint32_t replica, const Vote& v) {
      for (auto& e : votes_) {
        if (e.first == replica) return {&e, false};
      }
      votes_.emplace_back(replica, v);
      return {&votes_.back(), true};
    }
    Vote& operator[](uint32_t replica) { return emplace(replica, Vote{}).first->second; }
    auto begin() const { return votes_.begin(); }
    auto end() const { return votes_.end(); }
    size_t size() const { return votes_.size(); }

   private:
    std::vector<std::pair<uint32_t, Vote>> votes_;
  };
  // Per sequence number in the current window (section 4.2: the message log).
  struct Slot {
    std::optional<PrePrepare> pre_prepare;
    Votes<Prepare> prepares;  // by replica, matching the pre-prepare's digest
    Votes<Commit> commits;
    bool prepared = false, commit_sent = false, committed = false;
    // The prepared certificate of the highest view in which this slot prepared; kept when the
    // slot is voted on again in a new view, so that later view-changes still carry it.
    std::optional<PreparedProof> certificate;
    std::set<std::pair<uint32_t, ledger::Digest>> answered;  // an equivocating replica's replies
  };
  // Our chain height and state at one of our checkpoints, kept to serve state transfers.
  struct CheckpointState {
    uint64_t height;
    std::shared_ptr<const ledger::WorldState> state;
  };

  PbftParams params_;

  uint64_t view_ = 0;
  bool view_active_ = true;  // false between sending VIEW-CHANGE and accepting NEW-VIEW
  uint64_t next_seq_ = 1;    // primary: the next sequence number to assign
  uint64_t low_watermark_ = 0;
  uint64_t last_executed_ = 0;
  uint64_t ahead_seen_ = 0;     // the highest sequence number seen proposed above our window
  bool commits_ahead_ = false;  // a batch committed that we could not execute yet
  std::map<uint64_t, Slot> log_;
  std::map<uint64_t, std::map<uint32_t, ledger::Digest>> checkpoints_;  // seq -> replica -> state
  std::optional<Checkpoint> stable_own_;            // our signed checkpoint at the low watermark
  std::map<uint64_t, Checkpoint> own_checkpoints_;  // ours, not yet stable
  std::map<uint64_t, CheckpointState> checkpoint_states_;
  // A stable checkpoint above what we executed: the state we are fetching.
  std::optional<std::pair<uint64_t, ledger::Digest>> fetching_;
  // Votes for a view this replica has not entered yet (they can overtake the NEW-VIEW); replayed
  // when it enters that view.
  std::vector<PrePrepare> early_pre_prepares_;
  std::vector<Prepare> early_prepares_;
  std::vector<Commit> early_commits_;
  static constexpr size_t kMaxEarlyVotes = 100000;
  std::map<uint64_t, std::map<uint32_t, ViewChange>> view_changes_;
  sim::TimerId view_timer_ = sim::kNoTimer;
  sim::Duration view_timeout_;
  bool batch_timer_armed_ = false;
  sim::SimTime last_proposal_ = sim::SimTime::zero();
  std::optional<std::pair<NewView, uint32_t>> last_new_view_;  // and its size on the wire
  uint64_t invalid_proposals_ = 0;  // an invalid_proposal primary alternates its faults
};

}  // namespace tradesim::consensus
