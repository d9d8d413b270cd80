// The `contracts` section of a scenario (docs/contracts.md): the consortium's validators execute
// contract calls with the contract runtime, and named instances of the library's types are
// deployed at genesis with their parameters. Models built after it (platforms, the trade world's
// agreements) find the runtime through ledger_contracts(world) and deploy more at genesis or by
// transaction.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "models/contracts/runtime.hpp"
#include "sim/scenario.hpp"

namespace tradesim::contracts {

void register_model(sim::Registry& registry);

// What the `contracts` section offers the models built after it.
struct LedgerContracts {
  ContractRegistry registry;
  Runtime runtime{registry};
  uint64_t gas_price = 0;          // ledger units per gas, for the calls clients send
  uint64_t gas_limit = 2'000'000;  // per call
  std::map<std::string, uint64_t, std::less<>> instances;  // scenario name -> account
  std::vector<sim::NodeId> validators;
};

// The run's contracts, or null when the scenario has no `contracts` section.
LedgerContracts* ledger_contracts(sim::World& world);

// The account of a named instance deployed from the scenario: bit 62 set and the low 62 bits of
// SHA-256("instance:" + name), so it is neither a node id (small integers) nor the fee account.
uint64_t instance_account(std::string_view name);

// Deploys `type` at `account` in the genesis state of every validator (while the world is
// being built). Throws std::invalid_argument as ContractRegistry::deploy does.
void deploy_at_genesis(sim::World& world, const LedgerContracts& contracts, std::string_view type,
                       uint64_t account, Params params);

// A deployment parameter as a scenario writes it, in the ledger's terms: a node name becomes its
// id (a comma-separated list of names, a list of ids), money ("1200 USD") its minor units
// (cents), a duration ("3d") nanoseconds for parameters named *_ns; anything else as written.
std::string ledger_param(sim::World& world, std::string_view name, const std::string& value);

}  // namespace tradesim::contracts
