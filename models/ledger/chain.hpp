// One validator's copy of the chain: blocks by height from genesis, each linked to its parent
// by hash. A second, different block at a height already held is a fork: it is counted and
// refused, never silently replaced.
#pragma once

#include <vector>

#include "models/ledger/block.hpp"

namespace tradesim::ledger {

enum class Append { kAppended, kAlreadyHave, kFork, kNotNext, kWrongParent, kBadTxRoot };
std::string_view append_name(Append a);

class Chain {
 public:
  Chain() { blocks_.push_back(genesis_block()); }
  Append append(Block block);
  uint64_t height() const { return blocks_.size() - 1; }
  const Block& tip() const { return blocks_.back(); }
  const Block& at(uint64_t height) const { return blocks_.at(height); }
  uint64_t forks_detected() const { return forks_; }

 private:
  std::vector<Block> blocks_;
  uint64_t forks_ = 0;
};

}  // namespace tradesim::ledger
