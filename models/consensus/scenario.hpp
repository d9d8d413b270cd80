// The `consortium` section: validators running one protocol, placed on network sites, and ledger
// clients offering load; the `byzantine` timeline action; per-block, per-transaction and
// per-message metrics.
#pragma once

#include <cstdint>
#include <vector>

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

}  // namespace tradesim::consensus
