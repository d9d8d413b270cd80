// Chained HotStuff's handlers, named after the paper's messages, and its pacemaker.
#include "models/consensus/hotstuff.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tradesim::consensus {

using ledger::Digest;
using ledger::Sha256;

namespace {

Digest block_hash(const HotStuffBlock& b) {
  return Sha256()
      .update("hotstuff-node")
      .update_u64(b.view)
      .update(b.parent)
      .update_u64(b.justify.view)
      .update(b.justify.block)
      .update(b.tx_root)
      .update_u64(b.proposer)
      .update_u64(static_cast<uint64_t>(b.timestamp_ns))
      .finish();
}
Digest vote_digest(uint64_t view, const Digest& block) {
  return Sha256().update("hotstuff-vote").update_u64(view).update(block).finish();
}
Digest digest_of(const HotStuffNewView& m) {
  Sha256 h;
  h.update("hotstuff-new-view")
      .update_u64(m.view)
      .update_u64(m.high_qc.view)
      .update(m.high_qc.block)
      .update_u64(m.replica);
  if (m.last_vote) h.update_u64(m.last_vote->view).update(m.last_vote->block);
  return h.finish();
}

// Encoded sizes: 8-byte views and timestamps, 32-byte digests, 4-byte replica ids and counts,
// 64-byte Ed25519 signatures.
constexpr uint32_t kVoteBytes = 8 + 32 + 4 + 64;
uint32_t qc_bytes(const QuorumCert& qc) {
  return 8 + 32 + 4 + static_cast<uint32_t>(qc.votes.size()) * (4 + 64);
}
uint32_t block_bytes(const HotStuffBlock& b) {
  return 8 + 32 + qc_bytes(b.justify) + 32 + 4 + 8 + 4 + static_cast<uint32_t>(b.body->bytes());
}
uint32_t new_view_bytes(const HotStuffNewView& m) {
  return 8 + qc_bytes(m.high_qc) + 1 + (m.last_vote ? kVoteBytes : 0) + 4 + 64;
}

}  // namespace

void HotStuffBlock::seal() {
  hash = block_hash(*this);
}

HotStuffReplica::HotStuffReplica(std::vector<sim::NodeId> replicas, uint32_t index,
                                 uint64_t run_seed, HotStuffParams params, LedgerParams ledger,
                                 ValidatorShared* shared)
    : Validator(std::move(replicas), index, run_seed, ledger, shared),
      params_(params),
      run_seed_(run_seed),
      view_timeout_(params.view_timeout) {
  if (n_ < 4) throw std::invalid_argument("HotStuff needs at least 4 replicas (n = 3f + 1)");
  auto genesis = std::make_shared<HotStuffBlock>();
  genesis->body = ledger::make_batch({});
  genesis->tx_root = genesis->body->root();
  genesis->seal();
  genesis_ = genesis->hash;
  genesis->justify.block = genesis_;  // the genesis QC certifies the genesis node itself
  blocks_.emplace(genesis_, std::move(genesis));
  high_qc_ = QuorumCert{0, genesis_, {}};
  locked_ = executed_ = genesis_;
}

const HotStuffBlock* HotStuffReplica::block(const Digest& hash) const {
  const auto it = blocks_.find(hash);
  return it == blocks_.end() ? nullptr : it->second.get();
}

void HotStuffReplica::on_start(sim::Context& ctx) {
  if (behaviour_ == Behaviour::kEquivocate && !twin_ && colludes_with(index_)) {
    world_ = 0;
    twin_ = std::make_unique<HotStuffReplica>(validators_, index_, run_seed_, params_, ledger_,
                                              shared_);
    twin_->world_ = 1;
    twin_->timer_base_ = 16;
  }
  if (twin_) twin_->on_start(ctx);
  batch_timer_armed_ = false;
  view_timer_ = sim::kNoTimer;
  if (view_ == 0) return enter_view(ctx, 1);
  watch(ctx);
  try_propose(ctx);
}

void HotStuffReplica::on_crash(sim::SimTime at) {
  // The node tree, locks, views and last vote are on stable storage; timers and fetches die.
  Validator::on_crash(at);
  if (twin_) twin_->on_crash(at);
  batch_timer_armed_ = false;
  view_timer_ = sim::kNoTimer;
  fetching_.clear();
}

std::vector<uint32_t> HotStuffReplica::forward_targets() const {
  std::vector<uint32_t> targets;
  for (uint64_t v = view_ + 1; v <= view_ + params_.forward_leaders; ++v) {
    const uint32_t leader = leader_of(v);
    if (std::find(targets.begin(), targets.end(), leader) == targets.end())
      targets.push_back(leader);
  }
  return targets;
}

bool HotStuffReplica::colludes_with(uint32_t validator) const {
  return std::find(params_.colluders.begin(), params_.colluders.end(), validator) !=
         params_.colluders.end();
}

void HotStuffReplica::send(sim::Context& ctx, uint32_t validator, std::string_view type,
                           const sim::Message& msg) {
  if (world_ < 0) return Validator::send(ctx, validator, type, msg);
  if (colludes_with(validator)) {
    return Validator::send(ctx, validator, type,
                           sim::Message::make(FaceMessage{world_, msg}, msg.bytes()));
  }
  if (static_cast<int>(validator % 2) == world_) Validator::send(ctx, validator, type, msg);
}

void HotStuffReplica::multicast(sim::Context& ctx, std::string_view type, const sim::Message& msg) {
  for (uint32_t v = 0; v < n_; ++v) {
    if (v != index_) send(ctx, v, type, msg);
  }
}

void HotStuffReplica::on_protocol_message(sim::Context& ctx, sim::NodeId from,
                                          const sim::Message& msg) {
  if (const auto* m = msg.get_if<FaceMessage>()) {
    if (world_ < 0) return;  // only two-faced replicas talk this way
    return (m->world == 0 ? *this : *twin_).dispatch(ctx, from, m->inner);
  }
  if (twin_) {
    for (uint32_t v = 1; v < n_; v += 2) {
      if (node_of(v) == from) return twin_->dispatch(ctx, from, msg);  // an odd replica
    }
  }
  dispatch(ctx, from, msg);
}

void HotStuffReplica::dispatch(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) {
  if (const auto* m = msg.get_if<Vote>()) return on_vote(ctx, *m);
  if (const auto* m = msg.get_if<Proposal>()) return on_proposal(ctx, *m);
  if (const auto* m = msg.get_if<HotStuffNewView>()) return on_new_view(ctx, *m);
  if (const auto* m = msg.get_if<BlockRequest>()) return on_block_request(ctx, from, *m);
  if (const auto* m = msg.get_if<BlockReply>()) return on_block_reply(ctx, from, *m);
}

void HotStuffReplica::on_protocol_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) {
  if (twin_ && tag >= twin_->timer_base_) {
    return twin_->on_protocol_timer(ctx, id, tag - twin_->timer_base_);
  }
  if (tag == kBatchTimer) {
    batch_timer_armed_ = false;
    batch_due_view_ = view_;
    try_propose(ctx);
  } else if (tag == kViewTimer && id == view_timer_) {
    view_timer_ = sim::kNoTimer;
    if (has_pending_work()) time_out(ctx, view_ + 1);
  }
}

void HotStuffReplica::on_transaction(sim::Context& ctx, const ledger::TxPtr& tx) {
  if (twin_ && twin_->admit(ctx, tx, false)) twin_->on_transaction(ctx, tx);
  watch(ctx);
  try_propose(ctx);
}

// ---------------------------------------------------------------------------------------------
// Validation.

// A QC is 2f + 1 valid partial signatures from distinct replicas over (view, node). Each is
// checked once per replica (and charged); the genesis QC needs none.
bool HotStuffReplica::valid_qc(sim::Context& ctx, const QuorumCert& qc) {
  if (qc.view == 0) return qc.block == genesis_;
  if (verified_qcs_.count({qc.view, qc.block})) return true;
  std::set<uint32_t> signers;
  const Digest d = vote_digest(qc.view, qc.block);
  for (const PartialSignature& p : qc.votes) {
    if (!signers.insert(p.replica).second) return false;
    if (!verify(ctx, p.replica, d, p.signature)) return false;
  }
  if (signers.size() < quorum()) return false;
  verified_qcs_.insert({qc.view, qc.block});
  return true;
}

bool HotStuffReplica::valid_block(sim::Context& ctx, const HotStuffBlock& b,
                                  std::string_view what) {
  auto invalid = [&](std::string_view why) {
    reject(std::string(what) + ": " + std::string(why));
    return false;
  };
  charge_hash(ctx, 200);
  if (block_hash(b) != b.hash) return invalid("wrong hash");
  // Algorithm 3 builds every node on its justify QC's node (createLeaf(qc_high.node)).
  if (b.parent != b.justify.block || b.view <= b.justify.view)
    return invalid("does not extend its justify QC");
  charge_hash(ctx, b.body->bytes());  // the Merkle root, recomputed
  if (b.body->root() != b.tx_root) return invalid("body does not match its root");
  if (!verify_body(ctx, *b.body)) return invalid("bad transaction signature");
  if (!valid_qc(ctx, b.justify)) return invalid("invalid justify QC");
  return true;
}

// ---------------------------------------------------------------------------------------------
// Replica (Algorithm 3).

void HotStuffReplica::on_proposal(sim::Context& ctx, const Proposal& m) {
  const HotStuffBlock& b = *m.block;
  if (b.view == 0) return;
  if (b.proposer != node_of(leader_of(b.view))) return reject("proposal: not from its leader");
  if (!verify(ctx, leader_of(b.view), b.hash, m.signature))
    return reject("proposal: bad signature");
  const auto [seen, first] = seen_proposal_.emplace(b.view, b.hash);
  if (!first && seen->second != b.hash) reject("proposal: conflicting proposal for its view");
  if (block(b.hash) != nullptr) return process_proposal(ctx, m);
  if (!valid_block(ctx, b, "proposal")) return;
  if (block(b.parent) == nullptr) {
    // Its ancestors are missing (we were down or cut off): fetch them from the proposer before
    // voting.
    if (waiting_.size() < kMaxWaiting) waiting_.push_back(m);
    return fetch(ctx, b.parent, leader_of(b.view));
  }
  blocks_.emplace(b.hash, m.block);
  process_proposal(ctx, m);
}

void HotStuffReplica::process_proposal(sim::Context& ctx, const Proposal& m) {
  const HotStuffBlock& b = *m.block;
  update(ctx, b);
  if (b.view > view_) enter_view(ctx, b.view);  // a proposal for a later view: join it
  if (b.view == view_) {
    if (equivocates()) {
      // A faulty voter signs whatever it is shown, conflicting or not.
      send_vote(ctx, b);
    } else if (b.view > voted_view_) {
      if (safe_node(b)) {
        send_vote(ctx, b);
      } else {
        reject("proposal: neither extends the lock nor has a newer QC");
      }
    }
  }
  try_propose(ctx);
}

// Algorithm 3, update(b*): b'' = b*.justify.node, b' = b''.justify.node, b = b'.justify.node.
// The QC of b'' becomes highQC; b' is locked (two-chain); b is committed when b'' <- b' <- b are
// direct parents in consecutive views (three-chain). Without the paper's dummy nodes, direct
// parents alone are not enough: a conflicting QC could have formed in a view in between.
void HotStuffReplica::update(sim::Context& ctx, const HotStuffBlock& b) {
  update_high_qc(ctx, b.justify);
  const HotStuffBlock* b2 = block(b.justify.block);
  if (b2 == nullptr || b2->view == 0) return;
  const HotStuffBlock* b1 = block(b2->justify.block);
  if (b1 == nullptr || b1->view == 0) return;
  if (b1->view > locked_view_) {
    locked_ = b1->hash;
    locked_view_ = b1->view;
  }
  const HotStuffBlock* b0 = block(b1->justify.block);
  if (b0 == nullptr || b0->view == 0) return;
  if (b2->parent == b1->hash && b1->parent == b0->hash && b2->view == b1->view + 1 &&
      b1->view == b0->view + 1) {
    on_commit(ctx, *b0);
  }
}

// safeNode(b, qc): b extends the locked node, or its QC is newer than the lock (liveness).
bool HotStuffReplica::safe_node(const HotStuffBlock& b) const {
  return extends(b.hash, locked_) || b.justify.view > locked_view_;
}

bool HotStuffReplica::extends(const Digest& descendant, const Digest& ancestor) const {
  const HotStuffBlock* a = block(ancestor);
  if (a == nullptr) return false;
  const HotStuffBlock* d = block(descendant);
  while (d != nullptr && d->view > a->view) d = block(d->parent);
  return d != nullptr && d->hash == ancestor;
}

// onCommit(b): commits b's uncommitted ancestors, oldest first, then b. Nodes with an empty body
// keep the chain going but make no ledger block (like PBFT's null requests).
void HotStuffReplica::on_commit(sim::Context& ctx, const HotStuffBlock& b) {
  const HotStuffBlock* executed = block(executed_);
  if (b.view <= executed->view) {
    if (!extends(executed_, b.hash)) reject("commit: conflicts with the executed node");
    return;
  }
  std::vector<const HotStuffBlock*> path;
  for (const HotStuffBlock* x = &b; x != nullptr && x->view > executed->view;
       x = block(x->parent)) {
    path.push_back(x);
  }
  if (path.empty() || path.back()->parent != executed_) {
    return reject("commit: conflicts with the executed node");
  }
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const HotStuffBlock& x = **it;
    if (!x.body->empty()) commit_block(ctx, x.body, x.proposer, x.timestamp_ns);
  }
  executed_ = b.hash;
  watch(ctx);
}

void HotStuffReplica::send_vote(sim::Context& ctx, const HotStuffBlock& b) {
  Vote v{b.view, b.hash, index_, sign(ctx, vote_digest(b.view, b.hash))};
  voted_view_ = std::max(voted_view_, b.view);
  last_vote_ = v;
  // Linear communication: the vote goes to the next leader only, which aggregates the QC.
  const uint32_t next = leader_of(b.view + 1);
  if (next == index_) return add_vote(ctx, v);
  send(ctx, next, "vote", sim::Message::make(v, kVoteBytes));
}

void HotStuffReplica::on_vote(sim::Context& ctx, const Vote& m) {
  if (leader_of(m.view + 1) != index_ || m.view <= high_qc_.view) return;
  if (!verify(ctx, m.replica, vote_digest(m.view, m.block), m.signature))
    return reject("vote: bad signature");
  add_vote(ctx, m);
}

// Votes of one view for one node, from distinct replicas; a replica's second vote in a view
// (for another node) is refused.
void HotStuffReplica::add_vote(sim::Context& ctx, const Vote& v) {
  if (v.view <= high_qc_.view && !equivocates()) return;
  const auto [voted, first] = voters_.emplace(std::make_pair(v.view, v.replica), v.block);
  if (!first && voted->second != v.block && !equivocates())
    return reject("vote: equivocating vote");
  auto& votes = votes_[{v.view, v.block}];
  if (!votes.emplace(v.replica, v.signature).second || votes.size() != quorum()) return;
  QuorumCert qc{v.view, v.block, {}};
  for (const auto& [replica, signature] : votes) qc.votes.push_back({replica, signature});
  verified_qcs_.insert({qc.view, qc.block});
  update_high_qc(ctx, qc);
  try_propose(ctx);
}

void HotStuffReplica::update_high_qc(sim::Context& ctx, const QuorumCert& qc) {
  if (qc.view <= high_qc_.view) return;
  high_qc_ = qc;
  view_timeout_ = params_.view_timeout;  // progress: back to the base timeout
  votes_.erase(votes_.begin(), votes_.lower_bound({qc.view, Digest{}}));
  voters_.erase(voters_.begin(), voters_.lower_bound({qc.view, 0}));
  if (block(qc.block) == nullptr && !qc.votes.empty()) {
    // A QC for a node we never received (we missed its proposal): fetch it from a voter.
    const uint32_t from =
        qc.votes.front().replica != index_ ? qc.votes.front().replica : qc.votes.back().replica;
    fetch(ctx, qc.block, from);
  }
  // A QC for view v ends view v for everyone: the pacemaker moves on to v + 1.
  if (qc.view >= view_) enter_view(ctx, qc.view + 1);
}

// ---------------------------------------------------------------------------------------------
// Leader.

bool HotStuffReplica::pending_commits(const Digest& from) const {
  const HotStuffBlock* executed = block(executed_);
  for (const HotStuffBlock* x = block(from); x != nullptr && x->view > executed->view;
       x = block(x->parent)) {
    if (!x->body->empty()) return true;
  }
  return false;
}

bool HotStuffReplica::has_pending_work() const {
  return equivocates() || mempool_.size() > 0 || pending_commits(high_qc_.block);
}

// A leader proposes once per view, when it holds the QC of the previous view or 2f + 1
// NEW-VIEWs (Algorithm 3; their highest QC is its highQC). It proposes at once while uncommitted
// nodes with transactions need the next links of their three-chain, and otherwise waits up to
// block_interval for a block to fill.
void HotStuffReplica::try_propose(sim::Context& ctx) {
  if (leader_of(view_) != index_ || proposed_view_ >= view_) return;
  // The NEW-VIEWs of this view or later ones (a replica that timed out to a later view has left
  // this one's predecessor too), with this leader's own.
  std::set<uint32_t> left{index_};
  for (auto it = new_views_.lower_bound(view_); it != new_views_.end(); ++it) {
    for (const auto& [r, nv] : it->second) left.insert(r);
  }
  const bool ready = high_qc_.view + 1 == view_ || left.size() >= quorum();
  if (!ready || block(high_qc_.block) == nullptr) return;
  // A faulty (equivocating) leader keeps every fork it feeds moving, whatever it holds itself.
  const bool pending = equivocates() || pending_commits(high_qc_.block);
  std::unordered_set<Digest, ledger::DigestHash> proposed;
  const HotStuffBlock* executed = block(executed_);
  for (const HotStuffBlock* x = block(high_qc_.block); x != nullptr && x->view > executed->view;
       x = block(x->parent)) {
    for (const ledger::TxPtr& tx : x->body->transactions()) proposed.insert(tx->id());
  }
  ledger::BatchPtr body = take_batch([&](const Digest& id) { return proposed.count(id) != 0; });
  if (body->empty() && !pending) return;
  if (!pending && body->size() < ledger_.max_block_txs && batch_due_view_ != view_) {
    if (!batch_timer_armed_) {
      batch_timer_armed_ = true;
      ctx.set_timer(ledger_.block_interval, kBatchTimer + timer_base_);
    }
    return;
  }
  propose(ctx, body);
}

HotStuffBlockPtr HotStuffReplica::make_block(sim::Context& ctx, const QuorumCert& justify,
                                             const ledger::BatchPtr& body, int64_t timestamp) {
  auto b = std::make_shared<HotStuffBlock>();
  b->view = view_;
  b->parent = justify.block;
  b->justify = justify;
  b->body = body;
  b->tx_root = body->root();
  b->proposer = ctx.self();
  b->timestamp_ns = timestamp;
  charge_hash(ctx, body->bytes() + 200);
  b->seal();
  return b;
}

void HotStuffReplica::propose(sim::Context& ctx, const ledger::BatchPtr& body) {
  proposed_view_ = view_;
  const int64_t now = ctx.now().ns();
  if (behaviour_ == Behaviour::kInvalidProposal) {
    // A faulty leader: a bad signature, then a body whose claimed Merkle root is wrong.
    HotStuffBlockPtr b = make_block(ctx, high_qc_, body, now);
    Proposal bad{b, sign(ctx, b->hash)};
    if (invalid_proposals_++ % 2 == 0) {
      bad.signature[0] ^= 0xff;
    } else {
      auto wrong = std::make_shared<HotStuffBlock>(*b);
      wrong->tx_root[0] ^= 0xff;
      wrong->seal();
      bad = Proposal{wrong, sign(ctx, wrong->hash)};
    }
    return multicast(ctx, "proposal", sim::Message::make(bad, block_bytes(*bad.block) + 64));
  }
  if (equivocates()) {
    // A faulty leader: two nodes for one view; each half of the replicas is shown its own first
    // (an honest replica votes for the first it sees and refuses the second).
    std::array<Proposal, 2> versions;
    for (uint32_t half = 0; half < 2; ++half) {
      HotStuffBlockPtr b = make_block(ctx, high_qc_, body, now + half);
      versions[half] = Proposal{b, sign(ctx, b->hash)};
    }
    for (uint32_t i = 0; i < n_; ++i) {
      if (i == index_) continue;
      const Proposal& first = versions[i % 2];
      const Proposal& second = versions[1 - i % 2];
      send(ctx, i, "proposal", sim::Message::make(first, block_bytes(*first.block) + 64));
      send(ctx, i, "proposal", sim::Message::make(second, block_bytes(*second.block) + 64));
    }
    for (const Proposal& p : versions) on_proposal(ctx, p);
    return;
  }
  HotStuffBlockPtr b = make_block(ctx, high_qc_, body, now);
  const Proposal p{b, sign(ctx, b->hash)};
  multicast(ctx, "proposal", sim::Message::make(p, block_bytes(*b) + 64));
  seen_proposal_.emplace(b->view, b->hash);
  blocks_.emplace(b->hash, b);
  process_proposal(ctx, p);
}

// ---------------------------------------------------------------------------------------------
// Pacemaker.

void HotStuffReplica::enter_view(sim::Context& ctx, uint64_t view) {
  if (view <= view_) return;
  view_ = view;
  report_view(ctx, view_);
  if (leader_of(view_) == index_) report_leader(ctx, view_);
  new_views_.erase(new_views_.begin(), new_views_.lower_bound(view_));
  seen_proposal_.erase(seen_proposal_.begin(), seen_proposal_.lower_bound(view_ - 1));
  // A fresh timer for the new view.
  if (view_timer_ != sim::kNoTimer) ctx.cancel_timer(view_timer_);
  view_timer_ = sim::kNoTimer;
  watch(ctx);
  try_propose(ctx);
}

// A replica with pending work (transactions, or nodes waiting for their three-chain) expects
// the leader to make progress; one with none has nothing to suspect the leader of. A correct
// leader may hold transactions for up to a block interval while its block fills, so then the
// view times out only a view timeout after that (a crashed leader costs the interval more).
void HotStuffReplica::watch(sim::Context& ctx) {
  if (!has_pending_work()) {
    if (view_timer_ != sim::kNoTimer) ctx.cancel_timer(view_timer_);
    view_timer_ = sim::kNoTimer;
  } else if (view_timer_ == sim::kNoTimer) {
    // Nodes waiting for their three-chain are proposed on at once; only transactions alone may
    // wait for a block to fill.
    const bool batching = !equivocates() && !pending_commits(high_qc_.block);
    view_timer_ =
        ctx.set_timer(view_timeout_ + (batching ? ledger_.block_interval : sim::Duration{}),
                      kViewTimer + timer_base_);
  }
}

// The view ended without progress (or f + 1 replicas left it): back off and tell everyone our
// highQC and last vote (nextView in Algorithm 3), for view `new_view`. The replica moves there
// only when 2f + 1 replicas have timed out (a timeout certificate, as in DiemBFT's pacemaker) or
// a QC or proposal shows the view under way: a replica that timed out alone does not run ahead
// of the others, which would keep them forever one view apart, each view's leader short of a
// quorum in its view. Until then the timer re-sends the message (it may have been lost).
void HotStuffReplica::time_out(sim::Context& ctx, uint64_t new_view) {
  if (new_view <= view_) return;
  view_timeout_ = std::min(view_timeout_ * 2, params_.max_view_timeout);
  fetching_.clear();  // the peers asked may be down: ask again when needed
  HotStuffNewView nv{new_view, high_qc_, last_vote_, index_, {}};
  nv.signature = sign(ctx, digest_of(nv));
  multicast(ctx, "new_view", sim::Message::make(nv, new_view_bytes(nv)));
  if (leader_of(new_view) == index_ && last_vote_ && last_vote_->view > high_qc_.view)
    add_vote(ctx, *last_vote_);
  new_views_[new_view][index_] = nv;
  timed_out_to_ = std::max(timed_out_to_, new_view);
  if (advance(ctx)) return;
  if (view_timer_ != sim::kNoTimer) ctx.cancel_timer(view_timer_);
  view_timer_ = ctx.set_timer(view_timeout_, kViewTimer + timer_base_);
}

// Enters the highest view w above ours that 2f + 1 replicas have timed out to (counting a
// replica that timed out to a later view as having left every view before it).
bool HotStuffReplica::advance(sim::Context& ctx) {
  std::set<uint32_t> senders;
  for (auto it = new_views_.rbegin(); it != new_views_.rend() && it->first > view_; ++it) {
    for (const auto& [r, nv] : it->second) senders.insert(r);
    if (senders.size() >= quorum()) {
      enter_view(ctx, it->first);
      return true;
    }
  }
  return false;
}

void HotStuffReplica::on_new_view(sim::Context& ctx, const HotStuffNewView& m) {
  if (m.view < view_ || m.replica == index_ || m.replica >= n_) return;
  if (!verify(ctx, m.replica, digest_of(m), m.signature)) return reject("new-view: bad signature");
  const bool leader = leader_of(m.view) == index_;
  // Every replica learns a higher QC from a new-view (whoever leads next proposes on it).
  if ((leader || m.high_qc.view > high_qc_.view) && !valid_qc(ctx, m.high_qc)) {
    return reject("new-view: invalid QC");
  }
  if (leader && m.last_vote) {
    const Vote& v = *m.last_vote;
    if (v.replica != m.replica ||
        !verify(ctx, v.replica, vote_digest(v.view, v.block), v.signature)) {
      return reject("new-view: bad vote");
    }
  }
  if (leader || m.high_qc.view > high_qc_.view) {
    if (block(m.high_qc.block) == nullptr) fetch(ctx, m.high_qc.block, m.replica);
    update_high_qc(ctx, m.high_qc);
  }
  // The vote the crashed leader did not collect: with 2f + 1 of them the QC is formed here.
  if (leader && m.last_vote && m.last_vote->view > high_qc_.view) add_vote(ctx, *m.last_vote);
  new_views_[m.view].insert_or_assign(m.replica, m);  // a re-sent one carries newer state
  if (m.view > view_) {
    if (advance(ctx)) return;
    // f + 1 replicas timed out of views later than ours: at least one is honest, so the current
    // leader is lost; time out too, towards the smallest of those views (as PBFT's section
    // 4.5.2 rule), unless this replica already did.
    std::set<uint32_t> ahead;
    for (auto it = new_views_.upper_bound(view_); it != new_views_.end(); ++it) {
      for (const auto& [r, nv] : it->second) ahead.insert(r);
    }
    ahead.erase(index_);
    const uint64_t next = new_views_.upper_bound(view_)->first;
    if (ahead.size() >= f() + 1 && timed_out_to_ < next) return time_out(ctx, next);
  }
  try_propose(ctx);
}

// ---------------------------------------------------------------------------------------------
// Fetching missing nodes.

void HotStuffReplica::fetch(sim::Context& ctx, const Digest& hash, uint32_t from) {
  if (from == index_ || from >= n_ || !fetching_.insert(hash).second) return;
  send(ctx, from, "block_fetch", sim::Message::make(BlockRequest{hash, executed_view()}, 32 + 8));
}

void HotStuffReplica::on_block_request(sim::Context& ctx, sim::NodeId from, const BlockRequest& m) {
  BlockReply reply;
  uint32_t bytes = 4;
  for (const HotStuffBlock* x = block(m.block);
       x != nullptr && x->view > m.above_view && reply.blocks.size() < params_.fetch_depth;
       x = block(x->parent)) {
    reply.blocks.push_back(blocks_.at(x->hash));
    bytes += block_bytes(*x);
  }
  if (reply.blocks.empty()) return;
  for (uint32_t v = 0; v < n_; ++v) {
    if (node_of(v) == from) {
      send(ctx, v, "block_fetch", sim::Message::make(std::move(reply), bytes));
      return;
    }
  }
}

void HotStuffReplica::on_block_reply(sim::Context& ctx, sim::NodeId from, const BlockReply& m) {
  if (m.blocks.empty() || !fetching_.count(m.blocks.front()->hash)) return;
  for (size_t i = 0; i + 1 < m.blocks.size(); ++i) {
    if (m.blocks[i]->parent != m.blocks[i + 1]->hash)
      return reject("fetched block: ancestors do not link");
  }
  fetching_.erase(m.blocks.front()->hash);
  // Oldest first, so that every node stored has its parent. Nodes whose older ancestors are still
  // missing wait among the orphans while those are fetched from the same peer.
  for (auto it = m.blocks.rbegin(); it != m.blocks.rend(); ++it) {
    if (block((*it)->hash) == nullptr && orphans_.size() < kMaxWaiting)
      orphans_.emplace((*it)->hash, *it);
  }
  bool linked = true;
  while (linked) {
    linked = false;
    for (auto it = orphans_.begin(); it != orphans_.end();) {
      const HotStuffBlockPtr b = it->second;
      if (block(b->hash) != nullptr) {
        it = orphans_.erase(it);
      } else if (block(b->parent) != nullptr) {
        it = orphans_.erase(it);
        if (valid_block(ctx, *b, "fetched block")) {
          blocks_.emplace(b->hash, b);
          linked = true;
        }
      } else {
        ++it;
      }
    }
  }
  const HotStuffBlock& oldest = *m.blocks.back();
  if (block(oldest.hash) == nullptr && block(oldest.parent) == nullptr) {
    for (uint32_t v = 0; v < n_; ++v) {
      if (node_of(v) == from) fetch(ctx, oldest.parent, v);
    }
  }
  // The proposals that waited for these ancestors, in view order.
  std::vector<Proposal> waiting;
  waiting.swap(waiting_);
  std::sort(waiting.begin(), waiting.end(),
            [](const Proposal& a, const Proposal& b) { return a.block->view < b.block->view; });
  for (const Proposal& p : waiting) {
    if (block(p.block->parent) == nullptr) {
      waiting_.push_back(p);
      fetch(ctx, p.block->parent, leader_of(p.block->view));
      continue;
    }
    blocks_.emplace(p.block->hash, p.block);
    process_proposal(ctx, p);
  }
  watch(ctx);
  try_propose(ctx);
}

}  // namespace tradesim::consensus
