// Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014):
// randomised election timeouts, heartbeats, log replication with conflict resolution, commit
// index, and forwarding of client requests to the leader. Crash-fault tolerant only. Section
// numbers in comments refer to the paper; the node keeps term, vote and log across crashes
// (Raft's persistent state) and loses the rest.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "models/consensus/validator.hpp"

namespace tradesim::consensus {

struct RaftParams {
  sim::Duration election_timeout_min = sim::Duration::from_ns(150 * sim::units::kMillisecond);
  sim::Duration election_timeout_max = sim::Duration::from_ns(300 * sim::units::kMillisecond);
  sim::Duration heartbeat = sim::Duration::from_ns(50 * sim::units::kMillisecond);
  size_t max_entries_per_append = 64;
};

// A log entry: the term it was created in and the batch of transactions (a block body) it orders.
struct RaftEntry {
  uint64_t term;
  std::shared_ptr<const ProposedBatch> batch;
  bool operator==(const RaftEntry& o) const {
    return term == o.term && batch->digest == o.batch->digest;
  }
};

// Messages (section 5, figure 2).
struct RequestVote {
  uint64_t term;
  uint64_t last_log_index;
  uint64_t last_log_term;
};
struct RequestVoteReply {
  uint64_t term;
  bool granted;
};
struct AppendEntries {
  uint64_t term;
  uint64_t prev_log_index;
  uint64_t prev_log_term;
  std::vector<RaftEntry> entries;
  uint64_t leader_commit;
};
struct AppendEntriesReply {
  uint64_t term;
  bool success;
  uint64_t match_index;  // on success: the last index known to match; on failure: a hint
};

// What a Raft node reports about its log, for the property checkers (blocks and leaders are
// reported through the validator's observer).
struct RaftObserver {
  std::function<void(sim::NodeId node, uint64_t term, sim::SimTime at)> became_leader;
  std::function<void(sim::NodeId node, uint64_t index, const RaftEntry& entry, sim::SimTime at)>
      committed;
};

// Raft tolerates crashes only: it has no defence against the Byzantine behaviours, which the
// scenario refuses for it.
class RaftNode : public Validator {
 public:
  enum class Role { kFollower, kCandidate, kLeader };

  RaftNode(std::vector<sim::NodeId> cluster, uint32_t index, uint64_t run_seed, RaftParams params,
           LedgerParams ledger, ValidatorShared* shared, const RaftObserver* observer = nullptr);

  void on_start(sim::Context& ctx) override;
  void on_crash(sim::SimTime at) override;
  std::string_view kind() const override { return "raft-validator"; }

  Role role() const { return role_; }
  uint64_t term() const { return current_term_; }
  uint64_t commit_index() const { return commit_index_; }
  const std::vector<RaftEntry>& log() const { return log_; }  // log_[0] is index 1
  std::optional<sim::NodeId> leader() const { return leader_; }

 protected:
  void on_protocol_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_protocol_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  void on_transaction(sim::Context& ctx, const ledger::TxPtr& tx) override;
  std::vector<uint32_t> forward_targets() const override;

 private:
  static constexpr uint64_t kElectionTimer = 1, kHeartbeatTimer = 2, kBlockTimer = 3;

  uint64_t last_log_index() const { return log_.size(); }
  uint64_t term_at(uint64_t index) const { return index == 0 ? 0 : log_[index - 1].term; }
  size_t majority() const { return n_ / 2 + 1; }
  uint32_t index_of(sim::NodeId node) const;

  void reset_election_timer(sim::Context& ctx);
  void become_follower(sim::Context& ctx, uint64_t term);
  void start_election(sim::Context& ctx);
  void become_leader(sim::Context& ctx);
  void propose(sim::Context& ctx);
  void send_append_entries(sim::Context& ctx, uint32_t peer);
  void broadcast_append_entries(sim::Context& ctx);
  void advance_commit_index(sim::Context& ctx);
  void apply_committed(sim::Context& ctx);

  void on_request_vote(sim::Context& ctx, sim::NodeId from, const RequestVote& m);
  void on_request_vote_reply(sim::Context& ctx, sim::NodeId from, const RequestVoteReply& m);
  void on_append_entries(sim::Context& ctx, sim::NodeId from, const AppendEntries& m);
  void on_append_entries_reply(sim::Context& ctx, sim::NodeId from, const AppendEntriesReply& m);

  RaftParams params_;
  const RaftObserver* observer_;

  // Persistent state (survives crashes), with the chain and world state of the validator.
  uint64_t current_term_ = 0;
  std::optional<sim::NodeId> voted_for_;
  std::vector<RaftEntry> log_;
  uint64_t last_applied_ = 0;
  // Volatile state.
  Role role_ = Role::kFollower;
  std::optional<sim::NodeId> leader_;
  uint64_t commit_index_ = 0;
  sim::TimerId election_timer_ = sim::kNoTimer;
  size_t votes_ = 0;
  bool block_timer_armed_ = false;
  std::vector<uint64_t> next_index_, match_index_;  // leader only, by validator index
};

}  // namespace tradesim::consensus
