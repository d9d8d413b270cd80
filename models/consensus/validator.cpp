// The protocol-independent half of a validator: clients, mempool, blocks, world state.
#include "models/consensus/validator.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tradesim::consensus {

using ledger::Digest;

std::string_view behaviour_name(Behaviour b) {
  switch (b) {
    case Behaviour::kHonest:
      return "honest";
    case Behaviour::kSilent:
      return "silent";
    case Behaviour::kEquivocate:
      return "equivocate";
    case Behaviour::kDelay:
      return "delay";
    case Behaviour::kInvalidProposal:
      return "invalid_proposal";
  }
  return "?";
}

std::string_view tx_outcome_name(TxOutcome o) {
  switch (o) {
    case TxOutcome::kApplied:
      return "applied";
    case TxOutcome::kFailed:
      return "failed";
    case TxOutcome::kUnknown:
      return "unknown";
  }
  return "?";
}

std::optional<Behaviour> behaviour_from_name(std::string_view name) {
  for (Behaviour b : {Behaviour::kHonest, Behaviour::kSilent, Behaviour::kEquivocate,
                      Behaviour::kDelay, Behaviour::kInvalidProposal}) {
    if (behaviour_name(b) == name) return b;
  }
  return std::nullopt;
}

ProposedBatch::ProposedBatch(ledger::BatchPtr body_, sim::NodeId proposer_, int64_t timestamp_ns_)
    : body(std::move(body_)),
      proposer(proposer_),
      timestamp_ns(timestamp_ns_),
      digest(ledger::Sha256()
                 .update("batch")
                 .update(body->root())
                 .update_u64(proposer)
                 .update_u64(static_cast<uint64_t>(timestamp_ns))
                 .finish()) {}

std::shared_ptr<const ProposedBatch> ProposedBatch::null() {
  static const auto kNull = std::make_shared<const ProposedBatch>(ledger::make_batch({}), 0, 0);
  return kNull;
}

ExecutionMemo::Result ExecutionMemo::apply(const std::shared_ptr<const ledger::WorldState>& before,
                                           const Digest& before_root, const ledger::TxBatch& body,
                                           uint64_t fee_account,
                                           const ledger::CallExecutor* executor,
                                           const ledger::BlockInfo& block) {
  ledger::Sha256 hasher;
  hasher.update("execute").update(before_root).update(body.root()).update_u64(fee_account);
  // Contract calls read the block's height and time: two blocks with the same body at different
  // heights may execute differently. Without an executor nothing reads them (same keys as before).
  if (executor != nullptr) {
    hasher.update_u64(block.height).update_u64(static_cast<uint64_t>(block.time_ns));
  }
  const Digest key = hasher.finish();
  if (const auto it = results_.find(key); it != results_.end()) return it->second;
  if (const auto it = older_.find(key); it != older_.end()) return it->second;
  ++executions_;
  Result r;
  if (body.empty()) {
    r = {before, before_root, nullptr};
  } else {
    auto after = std::make_shared<ledger::WorldState>(*before);
    auto applied = std::make_shared<std::vector<bool>>();
    applied->reserve(body.size());
    std::shared_ptr<std::vector<ledger::ReceiptPtr>> receipts;
    const uint64_t gas_cap = executor != nullptr ? executor->block_gas_limit() : 0;
    uint64_t gas = 0;
    int64_t cpu_ns = 0;
    for (size_t i = 0; i < body.size(); ++i) {
      const ledger::Transaction& tx = *body.transactions()[i];
      ledger::CallOutcome o;
      if (gas_cap > 0 && tx.kind == ledger::TxKind::kContractCall &&
          executor->gas_limit(tx) > gas_cap - std::min(gas, gas_cap)) {
        // The worst case of this call does not fit in the block: fee and nonce only.
        after->apply(tx, fee_account, nullptr, block);
        auto receipt = std::make_shared<ledger::Receipt>();
        receipt->status = ledger::kReceiptBlockGasLimit;
        receipt->reason = "block gas limit reached";
        o.receipt = std::move(receipt);
      } else {
        o = after->apply(tx, fee_account, executor, block);
      }
      applied->push_back(o.applied);
      gas += o.gas_used;
      cpu_ns += o.cpu_ns;
      if (o.receipt) {
        if (!receipts) receipts = std::make_shared<std::vector<ledger::ReceiptPtr>>(body.size());
        (*receipts)[i] = std::move(o.receipt);
      }
    }
    r = {after, after->root(), std::move(applied), gas, cpu_ns, std::move(receipts)};
  }
  if (results_.size() >= kCapacity) {
    older_ = std::move(results_);
    results_ = {};
  }
  results_.emplace(key, r);
  return r;
}

Validator::Validator(std::vector<sim::NodeId> validators, uint32_t index, uint64_t run_seed,
                     LedgerParams ledger, ValidatorShared* shared)
    : validators_(std::move(validators)),
      n_(validators_.size()),
      index_(index),
      ledger_(ledger),
      key_(ledger::KeyPair::derive(run_seed, validators_.at(index))),
      shared_(shared),
      mempool_(ledger.mempool_txs, ledger.mempool_bytes),
      chain_(ledger.keep_bodies),
      state_(shared->genesis ? shared->genesis : std::make_shared<const ledger::WorldState>()) {
  keys_.reserve(n_);
  for (sim::NodeId v : validators_)
    keys_.push_back(ledger::KeyPair::derive(run_seed, v).public_key());
  state_root_ = state_->root();
  genesis_money_ = state_->money();
}

void Validator::replace_genesis(std::shared_ptr<const ledger::WorldState> genesis) {
  if (chain_.height() != 0) {
    throw std::logic_error("validator " + std::to_string(validators_[index_]) +
                           ": the genesis state cannot change after a block was committed");
  }
  state_ = std::move(genesis);
  state_root_ = state_->root();
  genesis_money_ = state_->money();
}

void Validator::on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) {
  if (const auto* m = msg.get_if<SubmitTx>()) return on_submit(ctx, from, *m);
  if (const auto* m = msg.get_if<ForwardTxs>()) {
    // A forwarded transaction may have been committed meanwhile (a "replay" that is only
    // late): only bad signatures from peers are counted.
    for (const ledger::TxPtr& tx : m->txs) {
      if (admit(ctx, tx, /*count=*/false)) on_transaction(ctx, tx);
    }
    return;
  }
  on_protocol_message(ctx, from, msg);
}

void Validator::on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) {
  if (tag == kForwardTimer) {
    forward_timer_armed_ = false;
    return flush_forward(ctx);
  }
  on_protocol_timer(ctx, id, tag);
}

void Validator::on_crash(sim::SimTime) {
  // Timers die with the node; the mempool, chain and state are on stable storage.
  forward_timer_armed_ = false;
  to_forward_.clear();  // still in the mempool, and watched by the protocol
}

void Validator::on_submit(sim::Context& ctx, sim::NodeId from, const SubmitTx& m) {
  const ledger::TxPtr& tx = m.tx;
  const Digest id = tx->id();
  const bool known = mempool_.contains(id);
  if (!known) {
    if (const auto c = recent_commits_.find(id); c != recent_commits_.end()) {
      // Committed already: answer now (its signature was checked when it was admitted).
      reply_committed(ctx, from, id, c->second.height, c->second.outcome, c->second.receipt);
      return;
    }
    if (!admit(ctx, tx)) return;
  }
  waiting_clients_[id] = from;
  // A client sending a transaction we hold again has waited too long for it: forward it again
  // too (the proposer it went to may have changed).
  if (!m.to_all) to_forward_.push_back(tx);
  if (!m.to_all && !forward_timer_armed_) {
    forward_timer_armed_ = true;
    ctx.set_timer(ledger_.forward_interval, kForwardTimer);
  }
  if (!known) on_transaction(ctx, tx);
}

void Validator::forward_all_pending(sim::Context& ctx) {
  to_forward_ = mempool_.select(SIZE_MAX, UINT64_MAX);
  flush_forward(ctx);
}

void Validator::flush_forward(sim::Context& ctx) {
  if (to_forward_.empty()) return;
  const std::vector<uint32_t> targets = forward_targets();
  if (targets.empty()) {  // nobody to send them to yet (no leader known): try again later
    if (!forward_timer_armed_) {
      forward_timer_armed_ = true;
      ctx.set_timer(ledger_.forward_interval, kForwardTimer);
    }
    return;
  }
  ForwardTxs m{std::move(to_forward_)};
  to_forward_.clear();
  // Forward only what is still pending here: the rest was proposed and committed meanwhile.
  std::erase_if(m.txs, [&](const ledger::TxPtr& tx) { return !mempool_.contains(tx->id()); });
  if (m.txs.empty()) return;
  uint32_t bytes = 4;
  for (const ledger::TxPtr& tx : m.txs) bytes += tx->wire_size();
  const sim::Message msg = sim::Message::make(std::move(m), bytes);
  for (uint32_t v : targets) {
    if (v != index_) send(ctx, v, "tx_forward", msg);
  }
}

ledger::Signature Validator::sign(sim::Context& ctx, const Digest& d) {
  ctx.charge(ledger_.costs.sign);
  return key_.sign(d);
}

bool Validator::verify(sim::Context& ctx, uint32_t validator, const Digest& d,
                       const ledger::Signature& s) {
  ctx.charge(ledger_.costs.verify);  // every validator pays, even when the memo knows the answer
  return validator < n_ && shared_->verification.verify(keys_[validator], d, s);
}

void Validator::send(sim::Context& ctx, uint32_t validator, std::string_view type,
                     const sim::Message& msg) {
  if (behaviour_ == Behaviour::kSilent) return;
  const sim::Duration extra = behaviour_ == Behaviour::kDelay ? delay_ : sim::Duration::zero();
  ctx.send(validators_[validator], msg, {.delay = extra, .fifo = true});
  if (shared_->observer.sent) shared_->observer.sent(type, msg.bytes());
}

void Validator::multicast(sim::Context& ctx, std::string_view type, const sim::Message& msg) {
  for (uint32_t v = 0; v < n_; ++v) {
    if (v != index_) send(ctx, v, type, msg);
  }
}

void Validator::reject(std::string_view reason) {
  if (shared_->observer.rejected) shared_->observer.rejected(validators_[index_], reason);
}

void Validator::report_view(sim::Context& ctx, uint64_t view) {
  if (shared_->observer.view_changed) shared_->observer.view_changed(ctx.self(), view, ctx.now());
}

void Validator::report_leader(sim::Context& ctx, uint64_t term) {
  if (shared_->observer.became_leader) shared_->observer.became_leader(ctx.self(), term, ctx.now());
}

bool Validator::admit(sim::Context& ctx, const ledger::TxPtr& tx, bool count) {
  ctx.charge(ledger_.costs.hash(tx->wire_size()) + ledger_.costs.verify);
  const ledger::Admission a = mempool_.admit(tx, &shared_->verification);
  if (a == ledger::Admission::kAdmitted) return true;
  if (a == ledger::Admission::kBadSignature || (count && a != ledger::Admission::kDuplicate)) {
    reject(std::string("transaction: ") + std::string(ledger::admission_name(a)));
  }
  return false;
}

ledger::BatchPtr Validator::take_batch(const std::function<bool(const Digest&)>& skip) const {
  return ledger::make_batch(mempool_.select(ledger_.max_block_txs, ledger_.max_block_bytes, skip));
}

bool Validator::verify_body(sim::Context& ctx, const ledger::TxBatch& body) {
  charge_hash(ctx, body.bytes());  // the Merkle root, recomputed
  for (const ledger::TxPtr& tx : body.transactions()) {
    ctx.charge(ledger_.costs.verify);
    if (!tx->verify_signature(&shared_->verification)) return false;
  }
  return true;
}

const ledger::Block& Validator::commit_block(sim::Context& ctx, const ledger::BatchPtr& body,
                                             sim::NodeId proposer, int64_t timestamp_ns) {
  ledger::Block block;
  block.header.height = chain_.height() + 1;
  block.header.parent = chain_.tip().hash();
  block.header.tx_root = body->root();
  block.header.proposer = proposer;
  block.header.timestamp_ns = timestamp_ns;
  block.header.tx_count = static_cast<uint32_t>(body->size());
  block.body = body;
  ctx.charge(ledger_.execute_per_tx * static_cast<int64_t>(body->size()));
  const ExecutionMemo::Result r =
      shared_->execution.apply(state_, state_root_, *body, ledger_.fee_account, shared_->executor,
                               {block.header.height, timestamp_ns});
  // Every validator runs the contract calls itself: each is charged their gas as CPU time.
  if (r.contract_cpu_ns > 0) ctx.charge(sim::Duration::from_ns(r.contract_cpu_ns));
  state_ = r.state;
  state_root_ = r.root;
  block.header.state_root = r.root;
  charge_hash(ctx, 200);  // the header
  const ledger::Append appended = chain_.append(std::move(block));
  if (appended != ledger::Append::kAppended) {
    reject(std::string("block: ") + std::string(ledger::append_name(appended)));
  }
  mempool_.remove_committed(*body);
  const ledger::Block& tip = chain_.tip();
  notify_clients(ctx, tip, r.applied.get(), r.receipts.get());
  if (shared_->observer.block_committed)
    shared_->observer.block_committed(ctx.self(), tip, ctx.now());
  return tip;
}

void Validator::reply_committed(sim::Context& ctx, sim::NodeId client, const Digest& id,
                                uint64_t height, TxOutcome outcome, ledger::ReceiptPtr receipt) {
  if (behaviour_ == Behaviour::kSilent) return;
  const uint32_t bytes = 32 + 8 + 1 + (receipt ? receipt->wire_size() : 0);
  ctx.send(client, sim::Message::make(TxCommitted{id, height, outcome, std::move(receipt)}, bytes));
}

void Validator::notify_clients(sim::Context& ctx, const ledger::Block& block,
                               const std::vector<bool>* applied,
                               const std::vector<ledger::ReceiptPtr>* receipts) {
  const ledger::TxBatch& body = *block.body;
  const auto outcome_at = [&](size_t pos) {
    return applied == nullptr ? TxOutcome::kUnknown
           : (*applied)[pos]  ? TxOutcome::kApplied
                              : TxOutcome::kFailed;
  };
  const auto receipt_at = [&](size_t pos) {
    return receipts != nullptr ? (*receipts)[pos] : nullptr;
  };
  for (size_t i = 0; i < body.size(); ++i) {
    const Digest& id = body.transactions()[i]->id();
    if (recent_commits_
            .insert_or_assign(id, RecentCommit{block.header.height, outcome_at(i), receipt_at(i)})
            .second) {
      recent_order_.push_back(id);
    }
  }
  while (recent_order_.size() > kRecentCommits) {
    recent_commits_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  if (waiting_clients_.empty()) return;
  // (position in the block, waiting entry): clients are told in block order.
  std::vector<std::pair<size_t, decltype(waiting_clients_)::iterator>> found;
  if (waiting_clients_.size() < body.size()) {
    for (auto it = waiting_clients_.begin(); it != waiting_clients_.end(); ++it) {
      if (const auto pos = body.find(it->first)) found.emplace_back(*pos, it);
    }
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  } else {
    for (size_t i = 0; i < body.size(); ++i) {
      const auto it = waiting_clients_.find(body.transactions()[i]->id());
      if (it != waiting_clients_.end()) found.emplace_back(i, it);
    }
  }
  for (const auto& [pos, it] : found) {
    reply_committed(ctx, it->second, it->first, block.header.height, outcome_at(pos),
                    receipt_at(pos));
    waiting_clients_.erase(it);
  }
}

Validator::Snapshot Validator::snapshot(uint64_t above_height, uint64_t to_height,
                                        std::shared_ptr<const ledger::WorldState> state) const {
  Snapshot s;
  for (uint64_t h = above_height + 1; h <= std::min(to_height, chain_.height()); ++h) {
    s.blocks.push_back(chain_.at(h));
  }
  s.state = std::move(state);
  return s;
}

uint32_t Validator::snapshot_bytes(const Snapshot& s) {
  uint64_t bytes = 8;
  for (const ledger::Block& b : s.blocks) bytes += b.wire_size();
  bytes += s.state->entry_bytes();
  bytes += s.state->record_bytes();
  return static_cast<uint32_t>(std::min<uint64_t>(bytes, UINT32_MAX));
}

bool Validator::adopt(sim::Context& ctx, const Snapshot& s, const Digest& certified) {
  if (s.blocks.empty() || s.blocks.back().hash() != certified) return false;
  Digest parent = chain_.tip().hash();
  uint64_t height = chain_.height();
  for (const ledger::Block& b : s.blocks) {
    charge_hash(ctx, 200);
    if (b.header.height != height + 1 || b.header.parent != parent) {
      reject("state transfer: blocks do not link");
      return false;
    }
    parent = b.hash();
    ++height;
  }
  charge_hash(ctx, snapshot_bytes(s));
  if (s.state->root() != s.blocks.back().header.state_root) {
    reject("state transfer: state does not match its block");
    return false;
  }
  // The state first: observers of the commits below see the state after them.
  state_ = s.state;
  state_root_ = s.blocks.back().header.state_root;
  for (const ledger::Block& b : s.blocks) {
    chain_.append_certified(b);
    mempool_.remove_committed(*b.body);
    // A pruned body names no transactions: their clients will retry. The blocks were not
    // executed here, so their outcome is unknown.
    notify_clients(ctx, b, nullptr);
    if (shared_->observer.block_committed) {
      shared_->observer.block_committed(ctx.self(), chain_.tip(), ctx.now());
    }
  }
  return true;
}

}  // namespace tradesim::consensus
