// The ledger's one seam for smart contracts: WorldState::apply hands a contract call to a
// CallExecutor when it is given one, so the ledger does not depend on the contract runtime
// (models/contracts implements it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tradesim::ledger {

class WorldState;
struct Transaction;

// The committed block a call executes in: every validator sees the same height and proposer time.
struct BlockInfo {
  uint64_t height = 0;
  int64_t time_ns = 0;
};

// Status codes of a receipt: the values of contracts::CallStatus (runtime.hpp checks that they
// agree). The ledger itself sets only kReceiptBlockGasLimit: a call it did not run because the
// block's gas cap was reached (ExecutionMemo::apply).
inline constexpr uint8_t kReceiptOk = 0;
inline constexpr uint8_t kReceiptBlockGasLimit = 7;

// What a contract call did, as every honest validator computed it: sent to the submitting client
// with TxCommitted, so that a platform learns its call's output (a query's answer, a new
// contract's address) and events without reading the state.
struct Receipt {
  struct Event {
    std::string name;
    std::string data;
    bool operator==(const Event&) const = default;
  };
  uint8_t status = kReceiptOk;  // a contracts::CallStatus
  uint64_t gas_used = 0;
  std::string output;         // Api::ret, of a successful call
  std::string reason;         // why it failed (empty on success)
  std::vector<Event> events;  // of a successful call
  bool ok() const { return status == kReceiptOk; }
  // Bytes on the wire: status, gas, then each string length-prefixed (u32), event count (u32).
  uint32_t wire_size() const {
    uint64_t bytes = 1 + 8 + 4 + output.size() + 4 + reason.size() + 4;
    for (const Event& e : events) bytes += 4 + e.name.size() + 4 + e.data.size();
    return static_cast<uint32_t>(bytes < UINT32_MAX ? bytes : UINT32_MAX);
  }
};
using ReceiptPtr = std::shared_ptr<const Receipt>;

struct CallOutcome {
  bool applied = false;          // the call took effect (a reverted call only paid for its gas)
  uint64_t gas_used = 0;         // metered by the executor
  int64_t cpu_ns = 0;            // the simulated CPU time that gas stands for on one validator
  ReceiptPtr receipt = nullptr;  // what the call did (null: not a contract call, or no executor)
};

class CallExecutor {
 public:
  virtual ~CallExecutor() = default;
  // Runs a TxKind::kContractCall whose inclusion fee and nonce are already accounted for: it
  // must change `state` deterministically from (state, tx, block) alone and charge its gas to
  // tx.sender, in favour of `fee_account`.
  virtual CallOutcome execute(WorldState& state, const Transaction& tx, const BlockInfo& block,
                              uint64_t fee_account) const = 0;
  // The per-block gas cap (0: none), enforced by the block's executor (ExecutionMemo::apply):
  // a call whose gas limit would take the block's gas past it is not run.
  virtual uint64_t block_gas_limit() const { return 0; }
  // The gas limit a call asks for (0 if its payload does not decode).
  virtual uint64_t gas_limit(const Transaction& /*tx*/) const { return 0; }
};

}  // namespace tradesim::ledger
