// Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014):
// randomised election timeouts, heartbeats, log replication with conflict resolution, commit
// index, and forwarding of client requests to the leader. Crash-fault tolerant only. Section
// numbers in comments refer to the paper; the node keeps term, vote and log across crashes
// (Raft's persistent state) and loses the rest.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "sim/engine.hpp"

namespace tradesim::consensus {

struct RaftParams {
  sim::Duration election_timeout_min = sim::Duration::from_ns(150 * sim::units::kMillisecond);
  sim::Duration election_timeout_max = sim::Duration::from_ns(300 * sim::units::kMillisecond);
  sim::Duration heartbeat = sim::Duration::from_ns(50 * sim::units::kMillisecond);
  size_t max_entries_per_append = 64;
  uint32_t command_bytes = 250;  // size of one client command on the wire
};

// A client command: an opaque id (a transaction digest in the ledger) and its size.
struct RaftCommand {
  uint64_t id;
  bool operator==(const RaftCommand&) const = default;
};

struct RaftEntry {
  uint64_t term;
  RaftCommand command;
  bool operator==(const RaftEntry&) const = default;
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
struct ClientRequest {
  RaftCommand command;
};

// What a Raft node reports, for metrics and for the property checkers.
struct RaftObserver {
  std::function<void(sim::NodeId node, uint64_t term, sim::SimTime at)> became_leader;
  std::function<void(sim::NodeId node, uint64_t index, const RaftEntry& entry, sim::SimTime at)>
      committed;
};

class RaftNode : public sim::Node {
 public:
  enum class Role { kFollower, kCandidate, kLeader };

  RaftNode(std::vector<sim::NodeId> cluster, RaftParams params, const RaftObserver* observer);

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  void on_crash(sim::SimTime at) override;
  std::string_view kind() const override { return "raft-validator"; }

  // A client submits a command here; it is forwarded to the leader if known (section 8).
  void submit(sim::Context& ctx, RaftCommand command);

  Role role() const { return role_; }
  uint64_t term() const { return current_term_; }
  uint64_t commit_index() const { return commit_index_; }
  const std::vector<RaftEntry>& log() const { return log_; }  // log_[0] is index 1
  std::optional<sim::NodeId> leader() const { return leader_; }

 private:
  static constexpr uint64_t kElectionTimer = 1, kHeartbeatTimer = 2;

  uint64_t last_log_index() const { return log_.size(); }
  uint64_t term_at(uint64_t index) const { return index == 0 ? 0 : log_[index - 1].term; }
  size_t majority() const { return cluster_.size() / 2 + 1; }

  void reset_election_timer(sim::Context& ctx);
  void become_follower(sim::Context& ctx, uint64_t term);
  void start_election(sim::Context& ctx);
  void become_leader(sim::Context& ctx);
  void send_append_entries(sim::Context& ctx, sim::NodeId peer);
  void broadcast_append_entries(sim::Context& ctx);
  void advance_commit_index(sim::Context& ctx);
  void apply_committed(sim::Context& ctx);

  void on_request_vote(sim::Context& ctx, sim::NodeId from, const RequestVote& m);
  void on_request_vote_reply(sim::Context& ctx, sim::NodeId from, const RequestVoteReply& m);
  void on_append_entries(sim::Context& ctx, sim::NodeId from, const AppendEntries& m);
  void on_append_entries_reply(sim::Context& ctx, sim::NodeId from, const AppendEntriesReply& m);

  std::vector<sim::NodeId> cluster_;  // every member, this node included
  RaftParams params_;
  const RaftObserver* observer_;

  // Persistent state (survives crashes).
  uint64_t current_term_ = 0;
  std::optional<sim::NodeId> voted_for_;
  std::vector<RaftEntry> log_;
  // Volatile state.
  Role role_ = Role::kFollower;
  std::optional<sim::NodeId> leader_;
  uint64_t commit_index_ = 0;
  uint64_t last_applied_ = 0;
  sim::TimerId election_timer_ = sim::kNoTimer;
  size_t votes_ = 0;
  std::vector<uint64_t> next_index_, match_index_;  // leader only, by position in cluster_
  std::vector<RaftCommand> pending_;                // submitted before a leader was known
};

}  // namespace tradesim::consensus
