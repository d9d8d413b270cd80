// Appending blocks with parent, height and Merkle-root checks; fork detection.
#include "models/ledger/chain.hpp"

namespace tradesim::ledger {

std::string_view append_name(Append a) {
  switch (a) {
    case Append::kAppended:
      return "appended";
    case Append::kAlreadyHave:
      return "already_have";
    case Append::kFork:
      return "fork";
    case Append::kNotNext:
      return "not_next";
    case Append::kWrongParent:
      return "wrong_parent";
    case Append::kBadTxRoot:
      return "bad_tx_root";
  }
  return "?";
}

Append Chain::append(Block block) {
  const uint64_t h = block.header.height;
  if (h >= 1 && h <= height()) {
    if (blocks_[h].hash() == block.hash()) return Append::kAlreadyHave;
    ++forks_;
    return Append::kFork;
  }
  if (h != height() + 1) return Append::kNotNext;
  if (block.header.parent != tip().hash()) return Append::kWrongParent;
  if (!block.tx_root_matches()) return Append::kBadTxRoot;
  return push(std::move(block));
}

Append Chain::append_certified(Block block) {
  if (block.header.height != height() + 1) return Append::kNotNext;
  if (block.header.parent != tip().hash()) return Append::kWrongParent;
  return push(std::move(block));
}

Append Chain::push(Block block) {
  blocks_.push_back(std::move(block));
  if (keep_bodies_ < height()) {
    static const BatchPtr kPruned = make_batch({});
    blocks_[height() - keep_bodies_].body = kPruned;
  }
  return Append::kAppended;
}

}  // namespace tradesim::ledger
