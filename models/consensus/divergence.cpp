// Counting validators whose state root differs from the majority's (see divergence.hpp).
#include "models/consensus/divergence.hpp"

namespace tradesim::consensus {

void StateDivergence::committed(sim::NodeId validator, uint64_t height,
                                const ledger::Digest& state_root) {
  auto& reports = open_[height];
  reports.emplace_back(validator, state_root);
  if (reports.size() >= validators_) {
    judge(open_.find(height));
  } else if (open_.size() > kWindow) {
    judge(open_.begin());
  }
}

void StateDivergence::finish() {
  while (!open_.empty()) judge(open_.begin());
}

void StateDivergence::judge(
    std::map<uint64_t, std::vector<std::pair<sim::NodeId, ledger::Digest>>>::iterator it) {
  std::map<ledger::Digest, size_t> votes;  // ordered: ties go to the smallest root
  for (const auto& [validator, root] : it->second) ++votes[root];
  const ledger::Digest* majority = nullptr;
  size_t most = 0;
  for (const auto& [root, count] : votes) {
    if (count > most) {
      most = count;
      majority = &root;
    }
  }
  for (const auto& [validator, root] : it->second) {
    if (root == *majority) continue;
    ++divergences_;
    if (on_divergent_) on_divergent_(validator, it->first);
  }
  open_.erase(it);
}

}  // namespace tradesim::consensus
