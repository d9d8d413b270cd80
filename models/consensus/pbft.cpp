// PBFT's handlers, named after the protocol's messages.
#include "models/consensus/pbft.hpp"

#include <algorithm>
#include <unordered_set>

namespace tradesim::consensus {

using ledger::Digest;
using ledger::Sha256;

namespace {

Digest digest_of(const PrePrepare& m) {
  return Sha256()
      .update("pre-prepare")
      .update_u64(m.view)
      .update_u64(m.seq)
      .update(m.digest)
      .finish();
}
Digest digest_of(const Prepare& m) {
  return Sha256()
      .update("prepare")
      .update_u64(m.view)
      .update_u64(m.seq)
      .update(m.digest)
      .update_u64(m.replica)
      .finish();
}
Digest digest_of(const Commit& m) {
  return Sha256()
      .update("commit")
      .update_u64(m.view)
      .update_u64(m.seq)
      .update(m.digest)
      .update_u64(m.replica)
      .finish();
}
Digest digest_of(const Checkpoint& m) {
  return Sha256()
      .update("checkpoint")
      .update_u64(m.seq)
      .update(m.state)
      .update_u64(m.replica)
      .finish();
}
Digest digest_of(const ViewChange& m) {
  Sha256 h;
  h.update("view-change").update_u64(m.new_view).update_u64(m.stable_seq).update_u64(m.replica);
  for (const PreparedProof& p : m.prepared) h.update(digest_of(p.pre_prepare));
  return h.finish();
}
Digest digest_of(const NewView& m) {
  Sha256 h;
  h.update("new-view").update_u64(m.view);
  for (const ViewChange& v : m.view_changes) h.update(digest_of(v));
  for (const PrePrepare& p : m.pre_prepares) h.update(digest_of(p));
  return h.finish();
}

// Encoded sizes: 8-byte integers, 32-byte digests, 4-byte replica ids, 64-byte signatures.
constexpr uint32_t kVoteBytes = 8 + 8 + 32 + 4 + 64;
constexpr uint32_t kCheckpointBytes = 8 + 32 + 4 + 64;
uint32_t pre_prepare_bytes(const PrePrepare& m) {
  return 8 + 8 + 32 + 64 + 8 + 8 + 4 + static_cast<uint32_t>(m.batch->body->bytes());
}
uint32_t view_change_bytes(const ViewChange& m) {
  uint32_t bytes = 8 + 8 + 4 + 64 + 4;
  for (const PreparedProof& p : m.prepared) {
    bytes += pre_prepare_bytes(p.pre_prepare) + 4 +
             static_cast<uint32_t>(p.prepares.size()) * kVoteBytes;
  }
  return bytes;
}

}  // namespace

PbftReplica::PbftReplica(std::vector<sim::NodeId> replicas, uint32_t index, uint64_t run_seed,
                         PbftParams params, LedgerParams ledger, ValidatorShared* shared)
    : Validator(std::move(replicas), index, run_seed, ledger, shared),
      params_(params),
      view_timeout_(params.view_change_timeout) {
  if (n_ < 4) throw std::invalid_argument("PBFT needs at least 4 replicas (n = 3f + 1, f >= 1)");
  if (params_.watermark_window < 2 * params_.checkpoint_interval) {
    throw std::invalid_argument("PBFT's watermark window must hold at least two checkpoints");
  }
}

void PbftReplica::on_start(sim::Context& ctx) {
  batch_timer_armed_ = false;
  view_timer_ = sim::kNoTimer;
  watch_pending(ctx);
  if (is_primary() && view_active_ && mempool_.size() > 0) send_pre_prepare(ctx);
}

void PbftReplica::on_crash(sim::SimTime at) {
  // The message log, view and checkpoints are on stable storage; only timers are lost.
  Validator::on_crash(at);
  batch_timer_armed_ = false;
  view_timer_ = sim::kNoTimer;
}

void PbftReplica::on_protocol_message(sim::Context& ctx, sim::NodeId from,
                                      const sim::Message& msg) {
  if (const auto* m = msg.get_if<Prepare>()) return on_prepare(ctx, *m);
  if (const auto* m = msg.get_if<Commit>()) return on_commit(ctx, *m);
  if (const auto* m = msg.get_if<PrePrepare>()) return on_pre_prepare(ctx, *m);
  if (const auto* m = msg.get_if<Checkpoint>()) return on_checkpoint(ctx, *m);
  if (const auto* m = msg.get_if<ViewChange>()) return on_view_change(ctx, *m);
  if (const auto* m = msg.get_if<NewView>()) return on_new_view(ctx, *m);
  if (const auto* m = msg.get_if<FetchState>()) return on_fetch_state(ctx, from, *m);
  if (const auto* m = msg.get_if<StateReply>()) return on_state_reply(ctx, *m);
}

void PbftReplica::on_protocol_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) {
  if (tag == kBatchTimer) {
    batch_timer_armed_ = false;
    send_pre_prepare(ctx);
  } else if (tag == kViewTimer && id == view_timer_) {
    view_timer_ = sim::kNoTimer;
    // Section 4.4: the request was not executed in time; suspect the primary. Each further
    // view change waits twice as long (4.5.2, up to a cap), so that correct replicas end up in
    // one view. But a replica that is fetching state, or saw since the timer was set the
    // primary propose above its window or batches commit that it cannot execute yet (it missed
    // earlier ones), is behind, not betrayed: the view works, and the next stable checkpoint
    // brings it up to date. Each sign counts for one timeout only: when the view is stuck
    // (a gap that only a view change settles), new commits stop and the view change follows.
    const bool behind = fetching_.has_value() || ahead_seen_ > last_executed_ + 1 || commits_ahead_;
    if (ahead_seen_ > low_watermark_ + params_.watermark_window && stable_own_) {
      // The others are past our window: show them our stable checkpoint, and those ahead of it
      // answer with theirs (on_checkpoint), which moves our watermarks.
      multicast(ctx, "checkpoint", sim::Message::make(*stable_own_, kCheckpointBytes));
    }
    ahead_seen_ = 0;
    commits_ahead_ = false;
    if (behind && view_active_) return arm_request_timer(ctx);
    if (!view_active_) {
      // Section 4.5.2: the timer that moves on to the next view runs only once 2f + 1 replicas
      // asked for this one. Until then this replica re-sends its view-change (it may have been
      // lost) and waits: moving on alone would leave it a view ahead of the others for good,
      // each new primary short of a quorum in its view.
      const auto asked = view_changes_.find(view_);
      if (asked == view_changes_.end() || asked->second.size() < quorum()) {
        if (asked != view_changes_.end() && asked->second.count(index_)) {
          const ViewChange& own = asked->second.at(index_);
          multicast(ctx, "view_change", sim::Message::make(own, view_change_bytes(own)));
        }
        return arm_view_timer(ctx);
      }
    }
    start_view_change(ctx, view_ + 1);
  }
}

void PbftReplica::arm_view_timer(sim::Context& ctx) {
  if (view_timer_ != sim::kNoTimer) ctx.cancel_timer(view_timer_);
  view_timer_ = ctx.set_timer(view_timeout_, kViewTimer);
}

// A request may wait at a correct primary for up to one block interval before it is proposed
// (blocks are cut by size or time), so the primary is suspected only when the request is still
// not executed a view-change timeout after that. Without the interval, any block interval longer
// than the timeout would change the view at every block.
void PbftReplica::arm_request_timer(sim::Context& ctx) {
  if (view_timer_ != sim::kNoTimer) ctx.cancel_timer(view_timer_);
  view_timer_ = ctx.set_timer(view_timeout_ + ledger_.block_interval, kViewTimer);
}

// A replica that holds pending transactions watches that the primary orders them; one with
// none has nothing to suspect the primary of.
void PbftReplica::watch_pending(sim::Context& ctx) {
  if (!view_active_) {
    // A view change is under way: its own timer (view_timeout_) runs, whatever is pending.
    if (view_timer_ == sim::kNoTimer) arm_view_timer(ctx);
    return;
  }
  if (mempool_.size() == 0) {
    if (view_timer_ != sim::kNoTimer) ctx.cancel_timer(view_timer_);
    view_timer_ = sim::kNoTimer;
  } else {
    arm_request_timer(ctx);
  }
}

// Transactions reach the primary from clients and from the backups that clients chose; the
// backups watch that it orders them.
void PbftReplica::on_transaction(sim::Context& ctx, const ledger::TxPtr&) {
  if (view_timer_ == sim::kNoTimer) arm_request_timer(ctx);
  if (!is_primary() || !view_active_) return;
  // Proposes now if a block is full or due, else arms the batch timer (once).
  if (mempool_.size() >= ledger_.max_block_txs || !batch_timer_armed_) send_pre_prepare(ctx);
}

// Section 4.2: the primary assigns the next sequence number to a batch and multicasts it.
void PbftReplica::send_pre_prepare(sim::Context& ctx) {
  if (!is_primary() || !view_active_ || fetching_) return;
  std::unordered_set<Digest, ledger::DigestHash> proposed;
  for (const auto& [seq, slot] : log_) {
    if (slot.pre_prepare && !slot.committed) {
      for (const ledger::TxPtr& tx : slot.pre_prepare->batch->body->transactions())
        proposed.insert(tx->id());
    }
  }
  while (in_window(next_seq_)) {
    ledger::BatchPtr body = take_batch([&](const Digest& id) { return proposed.count(id) != 0; });
    if (body->empty()) return;
    // A full block goes at once; a partial one waits until a block interval has passed since
    // the last proposal, so that blocks are cut by size or by time, not by every execution.
    const sim::SimTime due = last_proposal_ + ledger_.block_interval;
    if (body->size() < ledger_.max_block_txs && ctx.now() < due) {
      if (!batch_timer_armed_) {
        batch_timer_armed_ = true;
        ctx.set_timer(due - ctx.now(), kBatchTimer);
      }
      return;
    }
    last_proposal_ = ctx.now();
    for (const ledger::TxPtr& tx : body->transactions()) proposed.insert(tx->id());
    charge_hash(ctx, body->bytes());
    auto batch = std::make_shared<const PbftBatch>(body, ctx.self(), ctx.now().ns());
    const uint64_t seq = next_seq_++;
    PrePrepare pp{view_, seq, batch->digest, batch, {}};
    pp.signature = sign(ctx, digest_of(pp));
    log_[seq].pre_prepare = pp;
    if (behaviour_ == Behaviour::kEquivocate) {
      // A faulty primary: half the backups get this batch, the other half a different one.
      auto other = std::make_shared<const PbftBatch>(body, ctx.self(), ctx.now().ns() + 1);
      PrePrepare pp2{view_, seq, other->digest, other, {}};
      pp2.signature = sign(ctx, digest_of(pp2));
      for (uint32_t i = 0; i < n_; ++i) {
        if (i == index_) continue;
        const PrePrepare& chosen = i % 2 == 0 ? pp : pp2;
        send(ctx, i, "pre_prepare", sim::Message::make(chosen, pre_prepare_bytes(chosen)));
      }
    } else if (behaviour_ == Behaviour::kInvalidProposal) {
      // A faulty primary: a bad signature, then a digest (Merkle root) its batch does not have.
      PrePrepare bad = pp;
      if (invalid_proposals_++ % 2 == 0) {
        bad.signature[0] ^= 0xff;
      } else {
        bad.digest[0] ^= 0xff;
        bad.signature = sign(ctx, digest_of(bad));
      }
      multicast(ctx, "pre_prepare", sim::Message::make(bad, pre_prepare_bytes(bad)));
    } else {
      multicast(ctx, "pre_prepare", sim::Message::make(pp, pre_prepare_bytes(pp)));
    }
  }
}

bool PbftReplica::accept_pre_prepare(sim::Context& ctx, const PrePrepare& m) {
  if (!view_active_ || m.view != view_) return false;
  if (!in_window(m.seq)) {
    // Above our window: the others have moved on without us (checked by signature below first,
    // so that a faulty replica cannot make us believe we are behind).
    if (m.seq > low_watermark_ && verify(ctx, primary_of(m.view), digest_of(m), m.signature)) {
      ahead_seen_ = std::max(ahead_seen_, m.seq);
    }
    reject("pre-prepare outside the watermarks");
    return false;
  }
  if (!verify(ctx, primary_of(m.view), digest_of(m), m.signature)) {
    reject("bad pre-prepare signature");
    return false;
  }
  charge_hash(ctx, m.batch->body->bytes());
  if (m.batch->digest != m.digest) {
    reject("pre-prepare digest does not match its batch");
    return false;
  }
  if (m.batch->proposer != node_of(primary_of(m.view))) {
    reject("pre-prepare names another proposer");
    return false;
  }
  if (!verify_body(ctx, *m.batch->body)) {
    reject("pre-prepare with a bad transaction signature");
    return false;
  }
  Slot& slot = log_[m.seq];
  if (slot.pre_prepare && slot.pre_prepare->view == m.view &&
      slot.pre_prepare->digest != m.digest) {
    reject("conflicting pre-prepare");
    return false;
  }
  if (slot.pre_prepare && slot.pre_prepare->view == m.view) return false;  // a duplicate
  slot.pre_prepare = m;
  return true;
}

// Section 4.2: a backup that accepts a pre-prepare multicasts a matching prepare.
void PbftReplica::on_pre_prepare(sim::Context& ctx, const PrePrepare& m) {
  if ((m.view > view_ || (m.view == view_ && !view_active_)) &&
      early_pre_prepares_.size() < kMaxEarlyVotes) {
    early_pre_prepares_.push_back(m);
    return;
  }
  if (!accept_pre_prepare(ctx, m)) return;
  if (behaviour_ == Behaviour::kEquivocate) return;  // votes only as each peer asks (below)
  if (!is_primary()) {
    Prepare p{m.view, m.seq, m.digest, index_, {}};
    p.signature = sign(ctx, digest_of(p));
    log_[m.seq].prepares[index_] = p;
    multicast(ctx, "prepare", sim::Message::make(p, kVoteBytes));
  }
  try_prepared(ctx, m.seq);
}

void PbftReplica::on_prepare(sim::Context& ctx, const Prepare& m) {
  if ((m.view > view_ || (m.view == view_ && !view_active_)) &&
      early_prepares_.size() < kMaxEarlyVotes) {
    early_prepares_.push_back(m);
    return;
  }
  if (!view_active_ || m.view != view_ || !in_window(m.seq) || m.replica == primary_of(m.view))
    return;
  if (!verify(ctx, m.replica, digest_of(m), m.signature)) return reject("bad prepare signature");
  Slot& slot = log_[m.seq];
  if (behaviour_ == Behaviour::kEquivocate) {
    // A faulty replica tells each peer what it wants to hear: it echoes the peer's digest back to
    // it alone, with a prepare and a commit, and takes no part in the honest exchange.
    if (slot.answered.insert({m.replica, m.digest}).second) {
      Prepare mine{m.view, m.seq, m.digest, index_, {}};
      mine.signature = sign(ctx, digest_of(mine));
      send(ctx, m.replica, "prepare", sim::Message::make(mine, kVoteBytes));
      Commit c{m.view, m.seq, m.digest, index_, {}};
      c.signature = sign(ctx, digest_of(c));
      send(ctx, m.replica, "commit", sim::Message::make(c, kVoteBytes));
    }
    return;
  }
  const auto [it, inserted] = slot.prepares.emplace(m.replica, m);
  if (!inserted && it->second.digest != m.digest) {
    // A replica that prepares two digests for one sequence number is faulty; count the first.
    return reject("equivocating prepare");
  }
  try_prepared(ctx, m.seq);
}

// prepared(m, v, n, i): the pre-prepare and 2f matching prepares from different backups.
void PbftReplica::try_prepared(sim::Context& ctx, uint64_t seq) {
  Slot& slot = log_[seq];
  if (!slot.pre_prepare || slot.prepared) return;
  size_t matching = 0;
  for (const auto& [replica, p] : slot.prepares) matching += p.digest == slot.pre_prepare->digest;
  if (matching < 2 * f()) return;
  slot.prepared = true;
  PreparedProof proof{*slot.pre_prepare, {}};
  for (const auto& [replica, p] : slot.prepares) {
    if (p.digest == slot.pre_prepare->digest && p.view == slot.pre_prepare->view &&
        proof.prepares.size() < 2 * f()) {
      proof.prepares.push_back(p);
    }
  }
  slot.certificate = std::move(proof);
  if (!slot.commit_sent) {
    slot.commit_sent = true;
    Commit c{view_, seq, slot.pre_prepare->digest, index_, {}};
    c.signature = sign(ctx, digest_of(c));
    slot.commits[index_] = c;
    multicast(ctx, "commit", sim::Message::make(c, kVoteBytes));
  }
  try_commit(ctx, seq);
}

void PbftReplica::on_commit(sim::Context& ctx, const Commit& m) {
  if ((m.view > view_ || (m.view == view_ && !view_active_)) &&
      early_commits_.size() < kMaxEarlyVotes) {
    early_commits_.push_back(m);
    return;
  }
  if (!view_active_ || m.view != view_ || !in_window(m.seq)) return;
  if (!verify(ctx, m.replica, digest_of(m), m.signature)) return reject("bad commit signature");
  Slot& slot = log_[m.seq];
  const auto [it, inserted] = slot.commits.emplace(m.replica, m);
  if (!inserted && it->second.digest != m.digest) return reject("equivocating commit");
  try_commit(ctx, m.seq);
}

// committed-local(m, v, n, i): prepared and 2f + 1 matching commits (section 4.2).
void PbftReplica::try_commit(sim::Context& ctx, uint64_t seq) {
  Slot& slot = log_[seq];
  if (!slot.prepared || slot.committed) return;
  size_t matching = 0;
  for (const auto& [replica, c] : slot.commits) matching += c.digest == slot.pre_prepare->digest;
  if (matching < quorum()) return;
  slot.committed = true;
  execute_ready(ctx);
  if (last_executed_ < seq) commits_ahead_ = true;
}

// Batches execute in sequence order; every K-th produces a checkpoint (section 4.3).
void PbftReplica::execute_ready(sim::Context& ctx) {
  if (fetching_) return;  // the next batches build on blocks not yet fetched
  bool progressed = false;
  while (true) {
    const auto it = log_.find(last_executed_ + 1);
    if (it == log_.end() || !it->second.committed) break;
    const PrePrepare& pp = *it->second.pre_prepare;
    ++last_executed_;
    progressed = true;
    if (!pp.batch->body->empty()) {
      commit_block(ctx, pp.batch->body, pp.batch->proposer, pp.batch->timestamp_ns);
    }
    if (last_executed_ % params_.checkpoint_interval == 0) {
      // The state a checkpoint certifies is our chain's tip; the world state with it is kept
      // so that replicas that fall behind can fetch both.
      Checkpoint c{last_executed_, chain().tip().hash(), index_, {}};
      checkpoint_states_[c.seq] = {chain().height(), state_ptr()};
      c.signature = sign(ctx, digest_of(c));
      checkpoints_[c.seq][index_] = c.state;
      own_checkpoints_[c.seq] = c;
      multicast(ctx, "checkpoint", sim::Message::make(c, kCheckpointBytes));
      on_checkpoint(ctx, c);
    }
  }
  if (progressed) {
    view_timeout_ = params_.view_change_timeout;  // progress: back to the base timeout
    watch_pending(ctx);
    if (is_primary()) send_pre_prepare(ctx);
  }
}

// Section 4.3: 2f + 1 matching checkpoints make it stable; the log below it is discarded. A
// replica that fell behind fetches the certified blocks and state from the replicas that vouched
// for them (state transfer), and executes nothing until it has them.
void PbftReplica::on_checkpoint(sim::Context& ctx, const Checkpoint& m) {
  if (m.replica != index_ && !verify(ctx, m.replica, digest_of(m), m.signature)) {
    return reject("bad checkpoint signature");
  }
  if (m.seq <= low_watermark_) {
    // A checkpoint older than our stable one: its sender is behind. Ours (stable or not yet)
    // let it move its watermarks.
    if (m.seq < low_watermark_ && m.replica != index_ && m.replica < n_ && stable_own_) {
      send(ctx, m.replica, "checkpoint", sim::Message::make(*stable_own_, kCheckpointBytes));
      for (const auto& [seq, own] : own_checkpoints_) {
        send(ctx, m.replica, "checkpoint", sim::Message::make(own, kCheckpointBytes));
      }
    }
    return;
  }
  auto& votes = checkpoints_[m.seq];
  votes[m.replica] = m.state;
  size_t matching = 0;
  for (const auto& [replica, state] : votes) matching += state == m.state;
  if (matching < quorum()) return;
  low_watermark_ = m.seq;
  if (const auto own = own_checkpoints_.find(m.seq); own != own_checkpoints_.end()) {
    stable_own_ = own->second;
  }
  own_checkpoints_.erase(own_checkpoints_.begin(), own_checkpoints_.upper_bound(m.seq));
  if (last_executed_ < m.seq) {
    if (chain().tip().hash() == m.state) {
      last_executed_ = m.seq;  // what we missed were null batches
    } else {
      fetching_ = {m.seq, m.state};
      const FetchState fetch{m.seq, chain().height()};
      for (const auto& [replica, state] : votes) {
        if (replica != index_ && state == m.state) {
          send(ctx, replica, "state_transfer", sim::Message::make(fetch, 16));
        }
      }
    }
  }
  log_.erase(log_.begin(), log_.upper_bound(m.seq));
  checkpoints_.erase(checkpoints_.begin(), checkpoints_.lower_bound(m.seq));
  checkpoint_states_.erase(checkpoint_states_.begin(), checkpoint_states_.lower_bound(m.seq));
  if (next_seq_ <= m.seq) next_seq_ = m.seq + 1;
  execute_ready(ctx);
  if (is_primary()) send_pre_prepare(ctx);
}

void PbftReplica::on_fetch_state(sim::Context& ctx, sim::NodeId from, const FetchState& m) {
  const auto it = checkpoint_states_.find(m.seq);
  if (it == checkpoint_states_.end() || m.height >= it->second.height) return;
  StateReply reply{m.seq, snapshot(m.height, it->second.height, it->second.state)};
  const uint32_t bytes = 8 + snapshot_bytes(reply.snapshot);
  for (uint32_t v = 0; v < n_; ++v) {
    if (node_of(v) == from) {
      send(ctx, v, "state_transfer", sim::Message::make(std::move(reply), bytes));
      return;
    }
  }
}

void PbftReplica::on_state_reply(sim::Context& ctx, const StateReply& m) {
  if (!fetching_ || fetching_->first != m.seq) return;
  if (!adopt(ctx, m.snapshot, fetching_->second)) return;
  last_executed_ = std::max(last_executed_, m.seq);
  fetching_.reset();
  execute_ready(ctx);
  watch_pending(ctx);
  if (is_primary()) send_pre_prepare(ctx);
}

// Section 4.4: move to view v, stop taking part in the old one, and tell everyone what was
// prepared since the last stable checkpoint.
void PbftReplica::start_view_change(sim::Context& ctx, uint64_t new_view) {
  if (new_view <= view_ && !view_active_) return;
  view_ = new_view;
  view_active_ = false;
  ViewChange vc{new_view, low_watermark_, {}, index_, {}};
  for (const auto& [seq, slot] : log_) {
    if (slot.certificate && seq > low_watermark_) vc.prepared.push_back(*slot.certificate);
  }
  vc.signature = sign(ctx, digest_of(vc));
  view_changes_[new_view][index_] = vc;
  multicast(ctx, "view_change", sim::Message::make(vc, view_change_bytes(vc)));
  view_timeout_ = std::min(view_timeout_ * 2, params_.max_view_change_timeout);
  arm_view_timer(ctx);
  on_view_change(ctx, vc);
}

bool PbftReplica::valid_view_change(sim::Context& ctx, const ViewChange& m) {
  auto invalid = [&](std::string_view why) {
    reject(why);
    return false;
  };
  if (!verify(ctx, m.replica, digest_of(m), m.signature))
    return invalid("view-change: bad signature");
  for (const PreparedProof& p : m.prepared) {
    const PrePrepare& pp = p.pre_prepare;
    if (pp.seq <= m.stable_seq) return invalid("view-change: proof below its checkpoint");
    if (pp.view >= m.new_view) return invalid("view-change: proof from a later view");
    if (!verify(ctx, primary_of(pp.view), digest_of(pp), pp.signature)) {
      return invalid("view-change: proof with a bad pre-prepare signature");
    }
    if (pp.batch->digest != pp.digest) return invalid("view-change: proof with a wrong batch");
    std::set<uint32_t> voters;
    for (const Prepare& q : p.prepares) {
      if (q.view != pp.view || q.seq != pp.seq || q.digest != pp.digest ||
          q.replica == primary_of(pp.view)) {
        return invalid("view-change: proof with a mismatched prepare");
      }
      if (!verify(ctx, q.replica, digest_of(q), q.signature)) {
        return invalid("view-change: proof with a bad prepare signature");
      }
      voters.insert(q.replica);
    }
    if (voters.size() < 2 * f()) return invalid("view-change: proof with too few prepares");
  }
  return true;
}

void PbftReplica::on_view_change(sim::Context& ctx, const ViewChange& m) {
  if (m.new_view < view_ || (m.new_view == view_ && view_active_)) {
    // A replica asking for a view we are past (it was down while the others moved on): the
    // NEW-VIEW that started our view lets it join us instead of waiting for a later one.
    if (view_active_ && last_new_view_ && last_new_view_->first.view >= m.new_view &&
        m.replica != index_ && m.replica < n_) {
      send(ctx, m.replica, "new_view",
           sim::Message::make(last_new_view_->first, last_new_view_->second));
    } else if (!view_active_ && m.replica != index_ && m.replica < n_) {
      // We left that view change for a later one, but the asker may have missed our
      // view-change for it (lost in a partition) and wait for it for ever: send it again, so
      // that the view change completes or its replicas time out and join us.
      const auto asked = view_changes_.find(m.new_view);
      if (asked != view_changes_.end()) {
        if (const auto own = asked->second.find(index_); own != asked->second.end()) {
          send(ctx, m.replica, "view_change",
               sim::Message::make(own->second, view_change_bytes(own->second)));
        }
      }
    }
    return;
  }
  if (m.replica != index_ && !valid_view_change(ctx, m)) return;
  // A replica whose stable checkpoint is behind ours missed checkpoint messages: send it ours,
  // stable or not yet, so that with 2f + 1 of them it can take the certified state and move its
  // watermarks (a full window stops a primary from proposing).
  if (m.replica != index_ && m.replica < n_) {
    if (stable_own_ && m.stable_seq < stable_own_->seq) {
      send(ctx, m.replica, "checkpoint", sim::Message::make(*stable_own_, kCheckpointBytes));
    }
    for (auto it = own_checkpoints_.upper_bound(m.stable_seq); it != own_checkpoints_.end(); ++it) {
      send(ctx, m.replica, "checkpoint", sim::Message::make(it->second, kCheckpointBytes));
    }
  }
  auto& votes = view_changes_[m.new_view];
  const bool added = votes.emplace(m.replica, m).second;
  // 2f + 1 replicas now ask for the view this one is changing to: its timer starts now.
  if (added && m.new_view == view_ && !view_active_ && votes.size() == quorum()) {
    arm_view_timer(ctx);
  }
  // Section 4.5.2: f + 1 replicas asking for views later than ours is proof enough that the
  // current primary is lost: join the smallest of those views.
  if (m.new_view > view_) {
    std::set<uint32_t> ahead;
    uint64_t smallest = UINT64_MAX;
    for (auto it = view_changes_.upper_bound(view_); it != view_changes_.end(); ++it) {
      for (const auto& [r, vc] : it->second) {
        if (r != index_) ahead.insert(r);
      }
      smallest = std::min(smallest, it->first);
    }
    if (ahead.size() >= f() + 1) {
      start_view_change(ctx, smallest);
      return;  // start_view_change has processed our own view-change for that view
    }
  }
  if (primary_of(m.new_view) != index_ || votes.size() < quorum() || m.new_view != view_ ||
      view_active_)
    return;
  // The new primary: O re-proposes, for every sequence number between the latest stable
  // checkpoint and the highest prepared one, the batch prepared in the highest view, and a
  // null batch where nothing was prepared (section 4.4).
  NewView nv{m.new_view, {}, {}, {}};
  uint64_t min_s = 0, max_s = 0;
  for (const auto& [r, vc] : votes) {
    if (nv.view_changes.size() == quorum()) break;
    nv.view_changes.push_back(vc);
  }
  std::map<uint64_t, const PrePrepare*> chosen;
  for (const ViewChange& vc : nv.view_changes) {
    min_s = std::max(min_s, vc.stable_seq);
    for (const PreparedProof& p : vc.prepared) {
      max_s = std::max(max_s, p.pre_prepare.seq);
      auto& c = chosen[p.pre_prepare.seq];
      if (c == nullptr || c->view < p.pre_prepare.view) c = &p.pre_prepare;
    }
  }
  for (uint64_t seq = min_s + 1; seq <= max_s; ++seq) {
    const auto it = chosen.find(seq);
    auto batch = it != chosen.end() ? it->second->batch : PbftBatch::null();
    PrePrepare pp{m.new_view, seq, batch->digest, batch, {}};
    pp.signature = sign(ctx, digest_of(pp));
    nv.pre_prepares.push_back(pp);
  }
  nv.signature = sign(ctx, digest_of(nv));
  uint32_t bytes = 8 + 64;
  for (const ViewChange& vc : nv.view_changes) bytes += view_change_bytes(vc);
  for (const PrePrepare& pp : nv.pre_prepares) bytes += pre_prepare_bytes(pp);
  multicast(ctx, "new_view", sim::Message::make(nv, bytes));
  on_new_view(ctx, nv);
}

// Section 4.4: a backup checks the NEW-VIEW (2f + 1 valid view-changes, and O recomputed from
// them), enters the view and prepares O's batches again.
void PbftReplica::on_new_view(sim::Context& ctx, const NewView& m) {
  if (m.view < view_ || (m.view == view_ && view_active_)) return;
  const bool mine = primary_of(m.view) == index_;
  if (!mine) {
    if (!verify(ctx, primary_of(m.view), digest_of(m), m.signature))
      return reject("bad new-view signature");
    std::set<uint32_t> senders;
    uint64_t min_s = 0, max_s = 0;
    std::map<uint64_t, const PrePrepare*> chosen;
    for (const ViewChange& vc : m.view_changes) {
      if (vc.new_view != m.view || !valid_view_change(ctx, vc))
        return reject("new-view with an invalid view-change");
      senders.insert(vc.replica);
      min_s = std::max(min_s, vc.stable_seq);
      for (const PreparedProof& p : vc.prepared) {
        max_s = std::max(max_s, p.pre_prepare.seq);
        auto& c = chosen[p.pre_prepare.seq];
        if (c == nullptr || c->view < p.pre_prepare.view) c = &p.pre_prepare;
      }
    }
    if (senders.size() < quorum()) return reject("new-view without 2f+1 view-changes");
    if (m.pre_prepares.size() != (max_s > min_s ? max_s - min_s : 0))
      return reject("new-view with a wrong O");
    for (const PrePrepare& pp : m.pre_prepares) {
      const auto it = chosen.find(pp.seq);
      const Digest expected = it != chosen.end() ? it->second->digest : PbftBatch::null()->digest;
      if (pp.view != m.view || pp.digest != expected || pp.seq <= min_s || pp.seq > max_s) {
        return reject("new-view with a wrong O");
      }
    }
  }
  view_ = m.view;
  view_active_ = true;
  view_changes_.erase(view_changes_.begin(), view_changes_.lower_bound(view_));
  uint32_t nv_bytes = 8 + 64;
  for (const ViewChange& vc : m.view_changes) nv_bytes += view_change_bytes(vc);
  for (const PrePrepare& pp : m.pre_prepares) nv_bytes += pre_prepare_bytes(pp);
  last_new_view_ = {m, nv_bytes};
  report_view(ctx, view_);
  if (mine) report_leader(ctx, view_);
  // Votes of older views are dropped; O's batches are prepared again in this view. A slot that
  // prepared in an earlier view keeps its certificate, reset or not: section 4.4's P holds
  // everything a replica ever prepared above its stable checkpoint, and a later view change
  // must still carry it (dropping it once let a committed batch be replaced two views later:
  // long-sweep seed 1556).
  for (auto it = log_.begin(); it != log_.end();) {
    Slot& slot = it->second;
    if (slot.committed) {
      ++it;
    } else if (slot.certificate) {
      std::optional<PreparedProof> certificate = std::move(slot.certificate);
      slot = Slot{};
      slot.certificate = std::move(certificate);
      ++it;
    } else {
      it = log_.erase(it);
    }
  }
  uint64_t max_s = low_watermark_;
  for (const PrePrepare& pp : m.pre_prepares) {
    max_s = std::max(max_s, pp.seq);
    if (pp.seq <= low_watermark_) continue;
    // Slots this replica already committed are voted on again too: replicas that missed them
    // need 2f + 1 votes in this view (execution happens once, in sequence order).
    Slot& slot = log_[pp.seq];
    std::optional<PreparedProof> certificate = std::move(slot.certificate);
    slot = Slot{};
    slot.certificate = std::move(certificate);
    slot.pre_prepare = pp;
    if (!mine) {
      Prepare p{pp.view, pp.seq, pp.digest, index_, {}};
      p.signature = sign(ctx, digest_of(p));
      slot.prepares[index_] = p;
      multicast(ctx, "prepare", sim::Message::make(p, kVoteBytes));
    }
  }
  next_seq_ = std::max(max_s, low_watermark_) + 1;
  for (auto& [seq, slot] : log_) {
    // (A slot holding only an old certificate has no batch in this view: its number is free.)
    if (slot.committed || slot.pre_prepare) next_seq_ = std::max(next_seq_, seq + 1);
  }
  watch_pending(ctx);
  if (!mine) forward_all_pending(ctx);  // what the old primary held may be lost with it
  // Votes of this view that arrived before the NEW-VIEW; later views' stay buffered.
  std::vector<PrePrepare> pre_prepares;
  std::vector<Prepare> prepares;
  std::vector<Commit> commits;
  pre_prepares.swap(early_pre_prepares_);
  prepares.swap(early_prepares_);
  commits.swap(early_commits_);
  for (const PrePrepare& pp : pre_prepares) {
    if (pp.view >= view_) on_pre_prepare(ctx, pp);
  }
  for (const Prepare& p : prepares) {
    if (p.view >= view_) on_prepare(ctx, p);
  }
  for (const Commit& c : commits) {
    if (c.view >= view_) on_commit(ctx, c);
  }
  if (mine) send_pre_prepare(ctx);
}

}  // namespace tradesim::consensus
