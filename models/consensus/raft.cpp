// Raft's handlers, each named after the message of figure 2 it implements.
#include "models/consensus/raft.hpp"

#include <algorithm>
#include <unordered_set>

namespace tradesim::consensus {

namespace {
// Encoded sizes: fixed fields of 8 bytes each; an entry is its term, proposer, time stamp and
// its transactions.
constexpr uint32_t kRequestVoteBytes = 3 * 8;
constexpr uint32_t kReplyBytes = 2 * 8 + 1;
uint32_t append_bytes(const AppendEntries& m) {
  uint64_t bytes = 4 * 8 + 4;
  for (const RaftEntry& e : m.entries) bytes += 8 + 8 + 8 + 4 + e.batch->body->bytes();
  return static_cast<uint32_t>(bytes);
}
}  // namespace

RaftNode::RaftNode(std::vector<sim::NodeId> cluster, uint32_t index, uint64_t run_seed,
                   RaftParams params, LedgerParams ledger, ValidatorShared* shared,
                   const RaftObserver* observer)
    : Validator(std::move(cluster), index, run_seed, ledger, shared),
      params_(params),
      observer_(observer) {
  if (!(params_.election_timeout_min <= params_.election_timeout_max) ||
      !(params_.heartbeat < params_.election_timeout_min)) {
    throw std::invalid_argument(
        "Raft needs heartbeat < election_timeout_min <= election_timeout_max");
  }
}

void RaftNode::on_start(sim::Context& ctx) {
  role_ = Role::kFollower;
  reset_election_timer(ctx);
}

uint32_t RaftNode::index_of(sim::NodeId node) const {
  return static_cast<uint32_t>(std::find(validators_.begin(), validators_.end(), node) -
                               validators_.begin());
}

std::vector<uint32_t> RaftNode::forward_targets() const {
  if (!leader_ || *leader_ == validators_[index_]) return {};
  return {index_of(*leader_)};
}

void RaftNode::on_crash(sim::SimTime at) {
  // Volatile state is lost; term, vote, log and what was applied are on stable storage.
  Validator::on_crash(at);
  block_timer_armed_ = false;
  role_ = Role::kFollower;
  leader_.reset();
  commit_index_ = 0;
  election_timer_ = sim::kNoTimer;
  votes_ = 0;
  next_index_.clear();
  match_index_.clear();
}

// Section 5.2: a follower that hears nothing for a random timeout starts an election.
void RaftNode::reset_election_timer(sim::Context& ctx) {
  if (election_timer_ != sim::kNoTimer) ctx.cancel_timer(election_timer_);
  const int64_t lo = params_.election_timeout_min.ns(), hi = params_.election_timeout_max.ns();
  const auto jitter = static_cast<int64_t>(ctx.rng().below(static_cast<uint64_t>(hi - lo) + 1));
  election_timer_ = ctx.set_timer(sim::Duration::from_ns(lo + jitter), kElectionTimer);
}

void RaftNode::become_follower(sim::Context& ctx, uint64_t term) {
  if (term > current_term_) {
    current_term_ = term;
    voted_for_.reset();
  }
  if (role_ == Role::kLeader) reset_election_timer(ctx);
  role_ = Role::kFollower;
}

void RaftNode::start_election(sim::Context& ctx) {
  role_ = Role::kCandidate;
  ++current_term_;
  voted_for_ = ctx.self();
  votes_ = 1;
  leader_.reset();
  reset_election_timer(ctx);
  if (votes_ >= majority()) {
    become_leader(ctx);
    return;
  }
  const RequestVote vote{current_term_, last_log_index(), term_at(last_log_index())};
  multicast(ctx, "request_vote", sim::Message::make(vote, kRequestVoteBytes));
}

// Section 5.2: a candidate with votes from a majority becomes leader and asserts it at once.
void RaftNode::become_leader(sim::Context& ctx) {
  role_ = Role::kLeader;
  leader_ = ctx.self();
  if (election_timer_ != sim::kNoTimer) ctx.cancel_timer(election_timer_);
  election_timer_ = sim::kNoTimer;
  next_index_.assign(n_, last_log_index() + 1);
  match_index_.assign(n_, 0);
  if (observer_ && observer_->became_leader)
    observer_->became_leader(ctx.self(), current_term_, ctx.now());
  report_leader(ctx, current_term_);
  broadcast_append_entries(ctx);
  advance_commit_index(ctx);  // a cluster of one commits alone
  propose(ctx);
  ctx.set_timer(params_.heartbeat, kHeartbeatTimer);
}

void RaftNode::on_transaction(sim::Context& ctx, const ledger::TxPtr&) {
  if (role_ != Role::kLeader) return;
  if (mempool_.size() >= ledger_.max_block_txs) {
    propose(ctx);
  } else if (!block_timer_armed_) {
    block_timer_armed_ = true;
    ctx.set_timer(ledger_.block_interval, kBlockTimer);
  }
}

// The leader appends the next block body from its mempool as one entry, leaving out the
// transactions that entries not yet applied already carry.
void RaftNode::propose(sim::Context& ctx) {
  if (role_ != Role::kLeader) return;
  std::unordered_set<ledger::Digest, ledger::DigestHash> proposed;
  for (uint64_t i = last_applied_; i < log_.size(); ++i) {
    for (const ledger::TxPtr& tx : log_[i].batch->body->transactions()) proposed.insert(tx->id());
  }
  ledger::BatchPtr body =
      take_batch([&](const ledger::Digest& id) { return proposed.count(id) != 0; });
  if (body->empty()) return;
  charge_hash(ctx, body->bytes());
  log_.push_back(RaftEntry{
      current_term_, std::make_shared<const ProposedBatch>(body, ctx.self(), ctx.now().ns())});
  broadcast_append_entries(ctx);
  advance_commit_index(ctx);
  if (mempool_.size() > proposed.size() + body->size() && !block_timer_armed_) {
    block_timer_armed_ = true;  // more waiting: the next block after one interval
    ctx.set_timer(ledger_.block_interval, kBlockTimer);
  }
}

void RaftNode::on_protocol_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) {
  if (tag == kBlockTimer) {
    block_timer_armed_ = false;
    propose(ctx);
  } else if (tag == kElectionTimer) {
    if (id != election_timer_) return;
    election_timer_ = sim::kNoTimer;
    if (role_ != Role::kLeader) start_election(ctx);
  } else if (tag == kHeartbeatTimer && role_ == Role::kLeader) {
    broadcast_append_entries(ctx);
    ctx.set_timer(params_.heartbeat, kHeartbeatTimer);
  }
}

void RaftNode::send_append_entries(sim::Context& ctx, uint32_t p) {
  AppendEntries m;
  m.term = current_term_;
  m.prev_log_index = next_index_[p] - 1;
  m.prev_log_term = term_at(m.prev_log_index);
  const uint64_t end =
      std::min<uint64_t>(last_log_index(), m.prev_log_index + params_.max_entries_per_append);
  m.entries.assign(log_.begin() + static_cast<long>(m.prev_log_index),
                   log_.begin() + static_cast<long>(end));
  m.leader_commit = commit_index_;
  // Pipelining: entries sent are taken as on their way, so the next heartbeat or block does not
  // send them again; a failed reply moves next_index back (section 5.3).
  next_index_[p] = end + 1;
  const uint32_t bytes = append_bytes(m);
  send(ctx, p, "append_entries", sim::Message::make(std::move(m), bytes));
}

void RaftNode::broadcast_append_entries(sim::Context& ctx) {
  for (uint32_t p = 0; p < n_; ++p) {
    if (p != index_) send_append_entries(ctx, p);
  }
}

void RaftNode::on_protocol_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) {
  if (const auto* m = msg.get_if<AppendEntries>()) return on_append_entries(ctx, from, *m);
  if (const auto* m = msg.get_if<AppendEntriesReply>())
    return on_append_entries_reply(ctx, from, *m);
  if (const auto* m = msg.get_if<RequestVote>()) return on_request_vote(ctx, from, *m);
  if (const auto* m = msg.get_if<RequestVoteReply>()) return on_request_vote_reply(ctx, from, *m);
}

// Section 5.2 and 5.4.1: vote once per term, and only for a candidate whose log is at least as
// up to date as ours.
void RaftNode::on_request_vote(sim::Context& ctx, sim::NodeId from, const RequestVote& m) {
  if (m.term > current_term_) become_follower(ctx, m.term);
  const uint64_t my_last_term = term_at(last_log_index());
  const bool up_to_date = m.last_log_term > my_last_term ||
                          (m.last_log_term == my_last_term && m.last_log_index >= last_log_index());
  const bool granted =
      m.term == current_term_ && (!voted_for_ || *voted_for_ == from) && up_to_date;
  if (granted) {
    voted_for_ = from;
    reset_election_timer(ctx);
  }
  send(ctx, index_of(from), "request_vote_reply",
       sim::Message::make(RequestVoteReply{current_term_, granted}, kReplyBytes));
}

void RaftNode::on_request_vote_reply(sim::Context& ctx, sim::NodeId, const RequestVoteReply& m) {
  if (m.term > current_term_) return become_follower(ctx, m.term);
  if (role_ != Role::kCandidate || m.term != current_term_ || !m.granted) return;
  if (++votes_ >= majority()) become_leader(ctx);
}

// Section 5.3: the consistency check on (prev_log_index, prev_log_term); conflicting entries
// and all that follow them are deleted; the commit index follows the leader's.
void RaftNode::on_append_entries(sim::Context& ctx, sim::NodeId from, const AppendEntries& m) {
  if (m.term < current_term_) {
    send(ctx, index_of(from), "append_entries_reply",
         sim::Message::make(AppendEntriesReply{current_term_, false, 0}, kReplyBytes + 8));
    return;
  }
  become_follower(ctx, m.term);
  const bool new_leader = leader_ != from;
  leader_ = from;
  reset_election_timer(ctx);
  if (new_leader) forward_all_pending(ctx);  // our clients' transactions, to the new leader
  if (m.prev_log_index > last_log_index() || term_at(m.prev_log_index) != m.prev_log_term) {
    const uint64_t hint =
        std::min(last_log_index(), m.prev_log_index == 0 ? 0 : m.prev_log_index - 1);
    send(ctx, index_of(from), "append_entries_reply",
         sim::Message::make(AppendEntriesReply{current_term_, false, hint}, kReplyBytes + 8));
    return;
  }
  uint64_t index = m.prev_log_index;
  for (const RaftEntry& e : m.entries) {
    ++index;
    if (index <= last_log_index()) {
      if (log_[index - 1].term == e.term) continue;
      log_.resize(index - 1);  // a conflict: drop it and everything after
    }
    log_.push_back(e);
  }
  if (m.leader_commit > commit_index_) {
    commit_index_ = std::min(m.leader_commit, m.prev_log_index + m.entries.size());
    apply_committed(ctx);
  }
  send(ctx, index_of(from), "append_entries_reply",
       sim::Message::make(
           AppendEntriesReply{current_term_, true, m.prev_log_index + m.entries.size()},
           kReplyBytes + 8));
}

void RaftNode::on_append_entries_reply(sim::Context& ctx, sim::NodeId from,
                                       const AppendEntriesReply& m) {
  if (m.term > current_term_) return become_follower(ctx, m.term);
  if (role_ != Role::kLeader || m.term != current_term_) return;
  const uint32_t p = index_of(from);
  if (p == n_) return;
  if (m.success) {
    match_index_[p] = std::max(match_index_[p], m.match_index);
    next_index_[p] = std::max(next_index_[p], match_index_[p] + 1);
    advance_commit_index(ctx);
    if (next_index_[p] <= last_log_index()) send_append_entries(ctx, p);
  } else {
    next_index_[p] = std::max<uint64_t>(1, std::min(next_index_[p] - 1, m.match_index + 1));
    send_append_entries(ctx, p);
  }
}

// Sections 5.3 and 5.4.2: the leader commits an index once a majority holds it and the entry is
// from its own term (earlier terms' entries are committed indirectly).
void RaftNode::advance_commit_index(sim::Context& ctx) {
  match_index_[index_] = last_log_index();
  for (uint64_t n = last_log_index(); n > commit_index_; --n) {
    if (term_at(n) != current_term_) break;
    size_t holders = 0;
    for (uint64_t mi : match_index_) holders += mi >= n;
    if (holders >= majority()) {
      commit_index_ = n;
      apply_committed(ctx);
      break;
    }
  }
}

void RaftNode::apply_committed(sim::Context& ctx) {
  while (last_applied_ < commit_index_) {
    ++last_applied_;
    const RaftEntry& e = log_[last_applied_ - 1];
    if (!e.batch->body->empty()) {
      commit_block(ctx, e.batch->body, e.batch->proposer, e.batch->timestamp_ns);
    }
    if (observer_ && observer_->committed) {
      observer_->committed(ctx.self(), last_applied_, e, ctx.now());
    }
  }
}

}  // namespace tradesim::consensus
