// The ledger's one seam for smart contracts: WorldState::apply hands a contract call to a
// CallExecutor when it is given one, so the ledger does not depend on the contract runtime
// (models/contracts implements it).
#pragma once

#include <cstdint>

namespace tradesim::ledger {

class WorldState;
struct Transaction;

// The committed block a call executes in: every validator sees the same height and proposer time.
struct BlockInfo {
  uint64_t height = 0;
  int64_t time_ns = 0;
};

struct CallOutcome {
  bool applied = false;   // the call took effect (a reverted call only paid for its gas)
  uint64_t gas_used = 0;  // metered by the executor
  int64_t cpu_ns = 0;     // the simulated CPU time that gas stands for on one validator
};

class CallExecutor {
 public:
  virtual ~CallExecutor() = default;
  // Runs a TxKind::kContractCall whose inclusion fee and nonce are already accounted for: it
  // must change `state` deterministically from (state, tx, block) alone and charge its gas to
  // tx.sender, in favour of `fee_account`.
  virtual CallOutcome execute(WorldState& state, const Transaction& tx, const BlockInfo& block,
                              uint64_t fee_account) const = 0;
};

}  // namespace tradesim::ledger
