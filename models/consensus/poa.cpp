// Clique's handlers: sealing in and out of turn, header validation, fork choice, finality by depth.
#include "models/consensus/poa.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tradesim::consensus {

using ledger::Digest;
using ledger::Sha256;

namespace {

constexpr uint8_t kDiffInTurn = 2;  // EIP-225 DIFF_INTURN
constexpr uint8_t kDiffNoTurn = 1;  // EIP-225 DIFF_NOTURN
constexpr uint32_t kFetchBytes = 32 + 8;

// Block 0: no signer, no transactions, time zero. Every signer starts its tree from it.
PoaBlockPtr genesis() {
  static const PoaBlockPtr kGenesis = [] {
    auto b = std::make_shared<PoaBlock>();
    b->body = ledger::make_batch({});
    b->header.tx_root = b->body->root();
    b->hash = b->header.hash();
    return PoaBlockPtr(std::move(b));
  }();
  return kGenesis;
}

sim::Message blocks_message(std::vector<PoaBlockPtr> blocks) {
  uint32_t bytes = 4;
  for (const PoaBlockPtr& b : blocks) bytes += b->wire_size();
  return sim::Message::make(PoaBlocks{std::move(blocks)}, bytes);
}

}  // namespace

uint64_t safe_confirmations(size_t n) {
  return std::max<uint64_t>({2 * ((n - 1) / 2), n / 2, n});
}

Digest PoaHeader::hash() const {
  return Sha256()
      .update("clique-header")
      .update_u64(height)
      .update(parent)
      .update(tx_root)
      .update_u64(signer)
      .update_u64(difficulty)
      .update_u64(static_cast<uint64_t>(timestamp_ns))
      .update_u64(tx_count)
      .update_u64(extra)
      .finish();
}

PoaSigner::PoaSigner(std::vector<sim::NodeId> signers, uint32_t index, uint64_t run_seed,
                     PoaParams params, LedgerParams ledger, ValidatorShared* shared)
    : Validator(std::move(signers), index, run_seed, ledger, shared),
      params_(params),
      confirmations_(params.confirmations.value_or(safe_confirmations(n_))) {
  if (params_.period <= sim::Duration::zero()) {
    throw std::invalid_argument("proof of authority needs a positive block period");
  }
  if (params_.fetch_batch == 0) throw std::invalid_argument("fetch_batch must be at least 1");
  const PoaBlockPtr g = genesis();
  tree_.emplace(g->hash, TreeNode{g, 0});
  head_ = g->hash;
  canonical_.push_back(g->hash);
}

void PoaSigner::on_start(sim::Context& ctx) {
  seal_timer_ = sim::kNoTimer;
  announce_timer_ = sim::kNoTimer;
  started_at_ = ctx.now();
  // A restarted signer first asks the others for their heads, as a Clique node syncs before it
  // seals; schedule_seal keeps it from sealing within one period of the restart, when the
  // answers are in, so that it does not seal on a stale head.
  if (ctx.now() > sim::SimTime::zero()) {
    multicast(ctx, "block_fetch", sim::Message::make(PoaFetch{{}, final_height_}, kFetchBytes));
  }
  schedule_seal(ctx);
  arm_announce(ctx);
}

void PoaSigner::on_crash(sim::SimTime at) {
  // The block tree and the ledger are on stable storage; timers and parked orphans are lost.
  Validator::on_crash(at);
  seal_timer_ = sim::kNoTimer;
  announce_timer_ = sim::kNoTimer;
  orphans_.clear();
  orphan_hashes_.clear();
  orphan_count_ = 0;
  requested_.clear();
}

void PoaSigner::on_protocol_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) {
  if (const auto* m = msg.get_if<PoaBlocks>()) return on_blocks(ctx, from, *m);
  if (const auto* m = msg.get_if<PoaFetch>()) return on_fetch(ctx, from, *m);
}

void PoaSigner::on_protocol_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) {
  if (tag == kSealTimer && id == seal_timer_) {
    seal_timer_ = sim::kNoTimer;
    seal(ctx);
  } else if (tag == kAnnounceTimer && id == announce_timer_) {
    announce_timer_ = sim::kNoTimer;
    // EIP-225 leaves propagation to eth's block gossip, which re-announces heads. Without it a
    // head that stalled (after a partition each side may hold a branch on which only the other
    // side's signers may seal) would never reach the signers that can extend it.
    multicast(ctx, "block_announce", blocks_message({tree_.at(head_).block}));
    arm_announce(ctx);
  }
}

// Transactions go to the signers in turn for the next three heights: one of them seals the next
// block unless it is down, and the out-of-turn signers that stand in for it seldom hold many.
std::vector<uint32_t> PoaSigner::forward_targets() const {
  std::vector<uint32_t> targets;
  for (uint64_t h = head_height() + 1; h <= head_height() + 3; ++h) {
    const uint32_t s = in_turn(h);
    if (std::find(targets.begin(), targets.end(), s) == targets.end()) targets.push_back(s);
  }
  return targets;
}

std::optional<uint32_t> PoaSigner::index_of(sim::NodeId node) const {
  for (uint32_t v = 0; v < n_; ++v) {
    if (validators_[v] == node) return v;
  }
  return std::nullopt;
}

// EIP-225 "signer limit": a signer may seal on `parent` only if it sealed none of the last
// floor(n/2) blocks up to and including `parent`.
bool PoaSigner::signed_recently(uint32_t signer, const Digest& parent) const {
  const PoaBlock* b = tree_.at(parent).block.get();
  for (uint64_t k = 0; k < n_ / 2 && b->header.height > 0; ++k) {
    if (b->header.signer == signer) return true;
    b = tree_.at(b->header.parent).block.get();
  }
  return false;
}

// EIP-225 "heaviest chain": the greater total difficulty; EIP-225 breaks ties at random, here
// the lower hash wins so that every signer with the same tree picks the same head.
bool PoaSigner::better(const Digest& a, const Digest& b) const {
  const uint64_t ta = tree_.at(a).total_difficulty, tb = tree_.at(b).total_difficulty;
  return ta != tb ? ta > tb : a < b;
}

void PoaSigner::arm_announce(sim::Context& ctx) {
  if (announce_timer_ != sim::kNoTimer) ctx.cancel_timer(announce_timer_);
  // Longer than any healthy gap between blocks: the period plus the whole wiggle window, twice.
  const sim::Duration stall =
      (params_.period + params_.wiggle * static_cast<int64_t>(n_ / 2 + 1)) * 2;
  announce_timer_ = ctx.set_timer(stall, kAnnounceTimer);
}

// EIP-225 "sealing": the in-turn signer seals at parent time + period; an out-of-turn signer
// waits a random wiggle more, so that the in-turn block usually arrives first and cancels it.
void PoaSigner::schedule_seal(sim::Context& ctx) {
  if (seal_timer_ != sim::kNoTimer) ctx.cancel_timer(seal_timer_);
  seal_timer_ = sim::kNoTimer;
  if (signed_recently(index_, head_)) return;  // wait until others have sealed enough blocks
  const PoaBlock& parent = head();
  const uint64_t height = parent.header.height + 1;
  sim::SimTime target =
      sim::SimTime::zero() + sim::Duration::from_ns(parent.header.timestamp_ns) + params_.period;
  target = std::max({target, ctx.now(), started_at_ + params_.period});
  seal_timestamp_ns_ = target.ns();
  sim::Duration delay = target - ctx.now();
  if (in_turn(height) != index_) {
    const int64_t window = static_cast<int64_t>(n_ / 2 + 1) * params_.wiggle.ns();
    if (window > 0) {
      delay += sim::Duration::from_ns(static_cast<int64_t>(ctx.rng().below(window)));
    }
  }
  seal_timer_ = ctx.set_timer(delay, kSealTimer);
}

void PoaSigner::seal(sim::Context& ctx) {
  if (signed_recently(index_, head_)) return;
  const PoaBlock& parent = head();
  // The transactions of the canonical blocks that are not final yet are still in the mempool:
  // a block must not include them again.
  std::unordered_set<Digest, ledger::DigestHash> included;
  for (uint64_t h = final_height_ + 1; h <= parent.header.height; ++h) {
    for (const ledger::TxPtr& tx : canonical(h).body->transactions()) included.insert(tx->id());
  }
  const ledger::BatchPtr body =
      take_batch([&](const Digest& id) { return included.count(id) != 0; });
  charge_hash(ctx, body->bytes());
  PoaHeader header;
  header.height = parent.header.height + 1;
  header.parent = head_;
  header.tx_root = body->root();
  header.signer = index_;
  header.difficulty = in_turn(header.height) == index_ ? kDiffInTurn : kDiffNoTurn;
  header.timestamp_ns = seal_timestamp_ns_;
  header.tx_count = static_cast<uint32_t>(body->size());
  auto make = [&](const PoaHeader& h) {
    auto b = std::make_shared<PoaBlock>();
    b->header = h;
    b->body = body;
    b->hash = h.hash();
    charge_hash(ctx, PoaHeader::kBytes);
    b->seal = sign(ctx, b->hash);
    return b;
  };
  std::shared_ptr<PoaBlock> block = make(header);

  if (behaviour_ == Behaviour::kInvalidProposal) {
    // A faulty signer alternates a seal that does not verify and a correctly sealed header whose
    // transaction root is not its body's. It keeps neither: no honest signer may build on them.
    if (invalid_sealed_++ % 2 == 0) {
      block->seal[0] ^= 0xff;
    } else {
      PoaHeader wrong = header;
      wrong.tx_root = Sha256().update("not the body").update(header.tx_root).finish();
      block = make(wrong);
    }
    multicast(ctx, "block", blocks_message({block}));
    return;
  }
  if (header.difficulty == kDiffInTurn) {
    ++stats_.sealed_in_turn;
    report_leader(ctx, header.height);
  } else {
    ++stats_.sealed_out_of_turn;
  }
  seal_of_.emplace(std::make_pair(index_, head_), block->hash);
  if (behaviour_ == Behaviour::kEquivocate) {
    // Two blocks at one height on one parent, differing in their vanity: the lower half of the
    // signers gets one, the upper half the other.
    PoaHeader other = header;
    other.extra = 1;
    const PoaBlockPtr twin = make(other);
    for (uint32_t v = 0; v < n_; ++v) {
      if (v == index_) continue;
      send(ctx, v, "block", blocks_message({v < n_ / 2 ? PoaBlockPtr(block) : twin}));
    }
  } else {
    multicast(ctx, "block", blocks_message({block}));
  }
  std::vector<PoaBlockPtr> own{block};
  connect_all(ctx, std::move(own));
}

void PoaSigner::on_blocks(sim::Context& ctx, sim::NodeId from, const PoaBlocks& m) {
  for (const PoaBlockPtr& b : m.blocks) receive(ctx, from, b);
}

// A peer asks for a block it lacks the parent of (or, with a zero hash, for our head): send it
// with its ancestors above the peer's final height, oldest first, at most fetch_batch of them.
void PoaSigner::on_fetch(sim::Context& ctx, sim::NodeId from, const PoaFetch& m) {
  const std::optional<uint32_t> peer = index_of(from);
  if (!peer) return;
  const Digest tip = m.hash == Digest{} ? head_ : m.hash;
  const auto it = tree_.find(tip);
  if (it == tree_.end()) return;
  std::vector<PoaBlockPtr> blocks;
  const PoaBlock* b = it->second.block.get();
  while (b->header.height > 0 && blocks.size() < params_.fetch_batch &&
         (blocks.empty() || b->header.height > m.known_height)) {
    blocks.push_back(tree_.at(b->hash).block);
    b = tree_.at(b->header.parent).block.get();
  }
  if (blocks.empty()) return;
  std::reverse(blocks.begin(), blocks.end());
  send(ctx, *peer, "block_reply", blocks_message(std::move(blocks)));
}

// The checks that need no parent (EIP-225 verifyHeader and verifySeal): the header hashes to the
// block's name, the seal is an authorised signer's, the body matches the header's root and its
// transactions are signed. Then the block joins the tree, or waits for its parent.
void PoaSigner::receive(sim::Context& ctx, sim::NodeId from, const PoaBlockPtr& block) {
  const Digest& hash = block->hash;
  if (tree_.count(hash) || invalid_.count(hash) || orphan_hashes_.count(hash)) return;
  const PoaHeader& h = block->header;
  charge_hash(ctx, PoaHeader::kBytes);
  if (h.hash() != hash) {
    ++stats_.invalid_blocks;
    return reject("block: hash does not match its header");
  }
  // A bad seal or body does not condemn the header (a peer could attach them to a good one):
  // the block is dropped, not marked invalid.
  if (h.signer >= n_ || !verify(ctx, h.signer, hash, block->seal)) {
    ++stats_.invalid_blocks;
    return reject("block: bad seal");
  }
  if (h.tx_root != block->body->root() || h.tx_count != block->body->size()) {
    ++stats_.invalid_blocks;
    return reject("block: transaction root does not match its body");
  }
  if (!verify_body(ctx, *block->body)) {
    ++stats_.invalid_blocks;
    invalid_.insert(hash);  // the signed root commits to a badly signed transaction
    return reject("block: bad transaction signature");
  }
  const auto [seen, first] = seal_of_.emplace(std::make_pair(h.signer, h.parent), hash);
  if (!first && seen->second != hash) {
    // Clique does not punish it, but a signer that seals twice on one parent is faulty.
    ++stats_.equivocations;
    reject("equivocating seal");
  }
  if (invalid_.count(h.parent)) {
    ++stats_.invalid_blocks;
    invalid_.insert(hash);
    return reject("block: parent is invalid");
  }
  if (!tree_.count(h.parent)) {
    if (orphan_count_ >= kMaxOrphans) {
      orphans_.clear();
      orphan_hashes_.clear();
      orphan_count_ = 0;
    }
    orphans_[h.parent].push_back(block);
    orphan_hashes_.insert(hash);
    ++orphan_count_;
    if (orphan_hashes_.count(h.parent)) return;  // its own parent is being fetched
    // Ask the sender, which built on or relayed it; again if no answer within a period. A parent
    // above our final block is fetched with its ancestors above that block; one at or below it
    // lies on a branch that forked below it, fetched in full.
    const auto [asked, fresh] = requested_.emplace(h.parent, ctx.now());
    if (!fresh && ctx.now() - asked->second < params_.period) return;
    asked->second = ctx.now();
    const std::optional<uint32_t> peer = index_of(from);
    if (!peer) return;
    ++stats_.fetches;
    const uint64_t known = h.height - 1 > final_height_ ? final_height_ : 0;
    send(ctx, *peer, "block_fetch", sim::Message::make(PoaFetch{h.parent, known}, kFetchBytes));
    return;
  }
  connect_all(ctx, {block});
}

// Connects a block whose parent is in the tree, then the orphans that waited for it.
void PoaSigner::connect_all(sim::Context& ctx, std::vector<PoaBlockPtr> ready) {
  while (!ready.empty()) {
    const PoaBlockPtr b = std::move(ready.back());
    ready.pop_back();
    const bool connected = connect(ctx, b);
    const auto waiting = orphans_.find(b->hash);
    if (waiting == orphans_.end()) continue;
    std::vector<PoaBlockPtr> children = std::move(waiting->second);
    orphans_.erase(waiting);
    requested_.erase(b->hash);
    for (const PoaBlockPtr& c : children) {
      orphan_hashes_.erase(c->hash);
      --orphan_count_;
      if (connected) {
        ready.push_back(c);
      } else {
        ++stats_.invalid_blocks;
        invalid_.insert(c->hash);
        reject("block: parent is invalid");
      }
    }
  }
}

// The checks against the parent (EIP-225 verifyCascadingFields and the signer rules), then the
// block joins the tree and the fork choice runs.
bool PoaSigner::connect(sim::Context& ctx, const PoaBlockPtr& block) {
  const PoaHeader& h = block->header;
  auto refuse = [&](std::string_view reason) {
    ++stats_.invalid_blocks;
    invalid_.insert(block->hash);
    reject(reason);
    return false;
  };
  TreeNode& parent = tree_.at(h.parent);
  const PoaHeader& p = parent.block->header;
  if (h.height != p.height + 1) return refuse("block: wrong height");
  if (h.timestamp_ns < p.timestamp_ns + params_.period.ns()) {
    return refuse("block: sealed less than a period after its parent");
  }
  if (h.timestamp_ns > ctx.now().ns()) {
    ++stats_.invalid_blocks;
    reject("block: timestamp in the future");  // Clique queues these; none arrive here
    return false;
  }
  const uint8_t expected = in_turn(h.height) == h.signer ? kDiffInTurn : kDiffNoTurn;
  if (h.difficulty != expected) return refuse("block: wrong difficulty for its turn");
  if (signed_recently(h.signer, h.parent)) return refuse("block: signer sealed too recently");
  if (!block->body->empty()) {
    // No transaction twice on one branch: the final blocks' ones left our mempool, and their
    // senders' nonces went up; the ones above must not repeat in this body.
    std::unordered_set<Digest, ledger::DigestHash> ids;
    for (const ledger::TxPtr& tx : block->body->transactions()) {
      if (!ids.insert(tx->id()).second) return refuse("block: transaction included twice");
    }
    for (const PoaBlock* a = parent.block.get(); a->header.height > final_height_;
         a = tree_.at(a->header.parent).block.get()) {
      for (const ledger::TxPtr& tx : a->body->transactions()) {
        if (ids.count(tx->id())) return refuse("block: transaction included twice");
      }
    }
  }
  const uint64_t total = parent.total_difficulty + h.difficulty;
  if (parent.children++ > 0) ++stats_.forks;
  tree_.emplace(block->hash, TreeNode{block, total});
  choose_head(ctx, block->hash);
  return true;
}

// EIP-225 fork choice with finality: switch to the heavier head unless that would abandon a
// block already handed to the ledger, which is a safety violation (counted, and refused).
void PoaSigner::choose_head(sim::Context& ctx, const Digest& candidate) {
  if (!better(candidate, head_)) return;
  std::vector<Digest> branch;  // the candidate's blocks that are not canonical, newest first
  const PoaBlock* b = tree_.at(candidate).block.get();
  while (!(b->header.height < canonical_.size() && canonical_[b->header.height] == b->hash)) {
    branch.push_back(b->hash);
    b = tree_.at(b->header.parent).block.get();
  }
  const uint64_t fork_height = b->header.height;
  if (fork_height < final_height_) {
    if (deep_branches_.insert(branch.back()).second) {
      ++stats_.deep_reorgs;
      reject("reorg below finality");
    }
    return;
  }
  const uint64_t abandoned = head_height() - fork_height;
  if (abandoned > 0) {
    ++stats_.reorgs;
    stats_.max_reorg_depth = std::max(stats_.max_reorg_depth, abandoned);
  }
  canonical_.resize(fork_height + 1);
  for (auto it = branch.rbegin(); it != branch.rend(); ++it) canonical_.push_back(*it);
  head_ = candidate;
  finalize(ctx);
  schedule_seal(ctx);
  arm_announce(ctx);
}

// A block `confirmations` deep on the canonical chain is final: it goes to the ledger, in order.
void PoaSigner::finalize(sim::Context& ctx) {
  const uint64_t height = head_height();
  if (height < confirmations_) return;
  while (final_height_ < height - confirmations_) {
    const PoaBlock& b = canonical(++final_height_);
    commit_block(ctx, b.body, node_of(b.header.signer), b.header.timestamp_ns);
  }
}

}  // namespace tradesim::consensus
