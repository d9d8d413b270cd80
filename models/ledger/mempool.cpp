// Admission, selection and removal of pending transactions.
#include "models/ledger/mempool.hpp"

namespace tradesim::ledger {

std::string_view admission_name(Admission a) {
  switch (a) {
    case Admission::kAdmitted:
      return "admitted";
    case Admission::kDuplicate:
      return "duplicate";
    case Admission::kReplay:
      return "replay";
    case Admission::kBadSignature:
      return "bad_signature";
    case Admission::kFull:
      return "full";
  }
  return "?";
}

Admission Mempool::admit(const TxPtr& tx, VerificationMemo* memo) {
  if (!tx->verify_signature(memo)) return Admission::kBadSignature;
  const Digest id = tx->id();
  if (by_id_.count(id)) return Admission::kDuplicate;
  const auto committed = committed_.find(tx->sender);
  if ((committed != committed_.end() && committed->second.has(tx->nonce)) ||
      pending_nonces_.count({tx->sender, tx->nonce})) {
    return Admission::kReplay;
  }
  const Rank rank = rank_of(*tx);
  while (size() >= max_transactions_ || bytes_ + tx->wire_size() > max_bytes_) {
    if (ranked_.empty() || !(rank < ranked_.rbegin()->first)) return Admission::kFull;
    erase(std::get<2>(ranked_.rbegin()->first));  // evict the lowest-ranked
  }
  ranked_.emplace(rank, tx);
  by_id_.emplace(id, rank);
  pending_nonces_.insert({tx->sender, tx->nonce});
  bytes_ += tx->wire_size();
  return Admission::kAdmitted;
}

void Mempool::erase(const Digest& id) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  const auto ranked = ranked_.find(it->second);
  const Transaction& tx = *ranked->second;
  bytes_ -= tx.wire_size();
  pending_nonces_.erase({tx.sender, tx.nonce});
  ranked_.erase(ranked);
  by_id_.erase(it);
}

std::vector<TxPtr> Mempool::select(size_t max_transactions, uint64_t max_bytes,
                                   const std::function<bool(const Digest&)>& skip) const {
  std::vector<TxPtr> out;
  uint64_t bytes = 0;
  for (const auto& [rank, tx] : ranked_) {
    if (out.size() >= max_transactions) break;
    if (skip && skip(std::get<2>(rank))) continue;
    if (bytes + tx->wire_size() > max_bytes) continue;  // a smaller one may still fit
    bytes += tx->wire_size();
    out.push_back(tx);
  }
  return out;
}

void Mempool::remove(const std::vector<Digest>& ids) {
  for (const Digest& id : ids) erase(id);
}

void Mempool::clear() {
  ranked_.clear();
  by_id_.clear();
  pending_nonces_.clear();
  bytes_ = 0;
}

void Mempool::remove_committed(const std::vector<TxPtr>& transactions) {
  for (const TxPtr& tx : transactions) erase(tx->id());
  mark_committed(transactions);
}

void Mempool::remove_committed(const TxBatch& batch) {
  if (by_id_.size() < batch.size()) {
    // Fewer pending here than in the block (a backup that forwards what it is sent): look up
    // ours in the block rather than the whole block in ours.
    std::vector<Digest> held;
    for (const auto& entry : by_id_) {
      if (batch.find(entry.first)) held.push_back(entry.first);
    }
    for (const Digest& id : held) erase(id);
  } else {
    for (const TxPtr& tx : batch.transactions()) erase(tx->id());
  }
  mark_committed(batch.transactions());
}

void Mempool::mark_committed(const std::vector<TxPtr>& transactions) {
  uint64_t sender = 0;
  Committed* c = nullptr;
  for (const TxPtr& tx : transactions) {
    if (c == nullptr || tx->sender != sender) {  // blocks hold runs of one sender's transactions
      sender = tx->sender;
      c = &committed_[sender];
    }
    if (tx->nonce < c->below) continue;
    if (tx->nonce == c->below && (c->above.empty() || *c->above.begin() != c->below + 1)) {
      ++c->below;  // the usual case: the next nonce, nothing above it waiting
      continue;
    }
    c->above.insert(tx->nonce);
    while (!c->above.empty() && *c->above.begin() == c->below) {
      c->above.erase(c->above.begin());
      ++c->below;
    }
  }
}

}  // namespace tradesim::ledger
