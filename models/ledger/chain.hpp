// One validator's copy of the chain: blocks by height from genesis, each linked to its parent
// by hash. A second, different block at a height already held is a fork: it is counted and
// refused, never silently replaced. Headers are kept for ever; bodies for the last
// `keep_bodies` blocks (a long run would otherwise hold every transaction ever committed).
#pragma once

#include <cstdint>
#include <vector>

#include "models/ledger/block.hpp"

namespace tradesim::ledger {

enum class Append { kAppended, kAlreadyHave, kFork, kNotNext, kWrongParent, kBadTxRoot };
std::string_view append_name(Append a);

class Chain {
 public:
  explicit Chain(uint64_t keep_bodies = UINT64_MAX) : keep_bodies_(keep_bodies) {
    blocks_.push_back(genesis_block());
  }
  Append append(Block block);
  // Appends a block whose place was certified by others (state transfer): its body may have been
  // pruned by the peer it came from, so only height and parent are checked.
  Append append_certified(Block block);
  uint64_t height() const { return blocks_.size() - 1; }
  const Block& tip() const { return blocks_.back(); }
  // The block at `height`; its body is empty once pruned (has_body() says which).
  const Block& at(uint64_t height) const { return blocks_.at(height); }
  bool has_body(uint64_t height) const { return height + keep_bodies_ > this->height(); }
  uint64_t forks_detected() const { return forks_; }

 private:
  Append push(Block block);
  std::vector<Block> blocks_;
  uint64_t keep_bodies_;
  uint64_t forks_ = 0;
};

}  // namespace tradesim::ledger
