// Divergent validators: every honest validator executes each committed block itself and puts its
// own state root in the block header, so a validator whose execution differs (a corrupted state,
// a nondeterministic contract) shows a root that most validators did not report at that height.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "models/ledger/crypto.hpp"
#include "sim/engine.hpp"

namespace tradesim::consensus {

class StateDivergence {
 public:
  // Called once per (height, validator) found divergent.
  using OnDivergent = std::function<void(sim::NodeId validator, uint64_t height)>;
  // `validators`: how many report each height (a height is judged once all of them reported, or
  // when it falls out of the window of recent heights, or at finish()).
  StateDivergence(size_t validators, OnDivergent on_divergent = {})
      : validators_(validators), on_divergent_(std::move(on_divergent)) {}
  // `validator` committed a block at `height` whose header carries `state_root`.
  void committed(sim::NodeId validator, uint64_t height, const ledger::Digest& state_root);
  // Judges every height still open (end of the run).
  void finish();
  // Validators, summed over heights, whose root differed from the root most validators
  // reported at that height (ties: the smallest root counts as the majority).
  uint64_t divergences() const { return divergences_; }

 private:
  static constexpr size_t kWindow = 4096;  // heights kept open at most
  void judge(std::map<uint64_t, std::vector<std::pair<sim::NodeId, ledger::Digest>>>::iterator it);
  size_t validators_;
  OnDivergent on_divergent_;
  std::map<uint64_t, std::vector<std::pair<sim::NodeId, ledger::Digest>>> open_;
  uint64_t divergences_ = 0;
};

}  // namespace tradesim::consensus
