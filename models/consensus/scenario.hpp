// The `consortium` section: validators running one protocol, placed on network sites, and ledger
// clients offering load; the `byzantine` timeline action; per-block, per-transaction and
// per-message metrics.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "models/ledger/call_executor.hpp"
#include "models/ledger/world_state.hpp"
#include "sim/scenario.hpp"

namespace tradesim::consensus {

void register_model(sim::Registry& registry);

// For models built after the `consortium` section that use its ledger (the payment gateways of
// models/payments/service.hpp).
//
// The ledger account that receives every transaction fee: no node's id, so that no node built
// later holds it by accident.
inline constexpr uint64_t kFeeAccount = UINT64_MAX;
// The node ids of the consortium's validators in the world built so far, in index order (v0,
// v1, ...); empty when the world has no consortium.
std::vector<sim::NodeId> consortium_validators(sim::World& world);
// Gives `account` the balance `balance` in the genesis state of every validator of the world's
// consortium. Only while the world is being built (no block committed yet); throws
// std::logic_error otherwise, or when the world has no consortium.
void fund_at_genesis(sim::World& world, uint64_t account, int64_t balance);
// The same for any change of the genesis state (a contract deployed at genesis); same rules.
void modify_genesis(sim::World& world, const std::function<void(ledger::WorldState&)>& change);
// Makes every validator of the world's consortium execute contract calls with `executor`
// (models/contracts), which must outlive the run. Same rules as fund_at_genesis.
void set_call_executor(sim::World& world, const ledger::CallExecutor* executor);

}  // namespace tradesim::consensus
