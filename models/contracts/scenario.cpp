// The `contracts` section (see scenario.hpp).
#include "models/contracts/scenario.hpp"

#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "models/consensus/scenario.hpp"
#include "models/contracts/library.hpp"
#include "models/ledger/crypto.hpp"

namespace tradesim::contracts {

namespace {

using sim::Field;
using sim::FieldType;

constexpr char kService[] = "contracts";

// Counts what the validators' executions did (once per distinct execution: the execution memo
// runs a block once per state, and every validator is charged its CPU).
class CountingExecutor : public ledger::CallExecutor {
 public:
  explicit CountingExecutor(const Runtime& runtime) : runtime_(runtime) {}
  ledger::CallOutcome execute(ledger::WorldState& state, const ledger::Transaction& tx,
                              const ledger::BlockInfo& block, uint64_t fee_account) const override {
    ledger::CallOutcome out = runtime_.execute(state, tx, block, fee_account);
    ++calls_;
    applied_ += out.applied ? 1 : 0;
    gas_ += out.gas_used;
    return out;
  }
  uint64_t calls() const { return calls_; }
  uint64_t applied() const { return applied_; }
  uint64_t gas() const { return gas_; }

 private:
  const Runtime& runtime_;
  mutable uint64_t calls_ = 0, applied_ = 0, gas_ = 0;
};

struct ContractsRun {
  LedgerContracts contracts;
  CountingExecutor executor{contracts.runtime};
  size_t scenario_instances = 0;
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The instance fields, one variant per library type (`type:` selects it).
Field instances_field() {
  ContractRegistry library;
  add_library(library);
  std::vector<std::string> names;
  for (const auto& [name, type] : library.types()) names.push_back(name);
  Field type = Field::choice("type", names, "", "the contract type (tradesim list)");
  type.required = true;
  Field list = Field::list(
      "instances",
      "Contract instances deployed at genesis, each at the account of its name. Parameters "
      "that name nodes take node names; money takes \"1200 USD\" (held in cents); *_ns "
      "parameters take durations (\"3d\").",
      {Field::scalar("name", FieldType::kString, "", "instance name, unique").must(), type});
  list.variant_key = "type";
  for (const auto& [name, t] : library.types()) {
    std::vector<Field> params;
    for (const ParamSpec& p : t.params) {
      Field f = Field::scalar(p.name, FieldType::kString, p.default_value.value_or(""), p.help);
      f.required = !p.default_value.has_value();
      params.push_back(std::move(f));
    }
    list.variants[name] = std::move(params);
  }
  return list;
}

void build(sim::World& world) {
  const sim::Scenario& s = world.scenario();
  sim::Diagnostics& diag = world.diagnostics();
  const std::vector<sim::NodeId> validators = consensus::consortium_validators(world);
  if (validators.empty()) {
    diag.add(s.at("contracts").mark, "contracts",
             "contracts run on the consortium's validators: add a `consortium` section");
    return;
  }
  auto run = std::make_shared<ContractsRun>();
  LedgerContracts& c = run->contracts;
  add_library(c.registry);
  c.validators = validators;
  c.gas_price = static_cast<uint64_t>(s.integer("contracts.gas_price"));
  c.gas_limit = static_cast<uint64_t>(s.integer("contracts.gas_limit"));
  consensus::set_call_executor(world, &run->executor);

  const size_t n = s.has("contracts.instances") ? s.at("contracts.instances").list.size() : 0;
  for (size_t i = 0; i < n; ++i) {
    const sim::ConfigNode& item = s.at("contracts.instances").list[i];
    const std::string path = "contracts.instances." + std::to_string(i);
    const std::string name = item.find("name")->scalar;
    const std::string type = item.find("type")->scalar;
    if (c.instances.count(name) != 0) {
      diag.add(item.find("name")->mark, path + ".name", "instance \"" + name + "\" given twice");
      continue;
    }
    Params params;
    for (const auto& [key, node] : item.map) {
      if (key == "name" || key == "type") continue;
      params[key] = ledger_param(world, key, node.scalar);
    }
    const uint64_t account = instance_account(name);
    try {
      deploy_at_genesis(world, c, type, account, std::move(params));
    } catch (const std::invalid_argument& e) {
      diag.add(item.mark, path, e.what());
      continue;
    }
    c.instances[name] = account;
  }

  run->scenario_instances = c.instances.size();
  world.offer(kService, run);
  ContractsRun* r = run.get();
  sim::Engine& engine = world.engine();
  world.at_end([r, &engine] {
    sim::Metrics& m = engine.metrics();
    m.set_summary("contracts.calls_executed", static_cast<double>(r->executor.calls()), "1",
                  "contract calls executed (once per distinct state and block; every validator "
                  "is charged the CPU)");
    m.set_summary("contracts.calls_applied", static_cast<double>(r->executor.applied()), "1",
                  "of which succeeded (the rest reverted)");
    m.set_summary("contracts.gas_used", static_cast<double>(r->executor.gas()), "gas",
                  "gas of the calls executed");
    m.set_summary("contracts.cpu_per_validator",
                  static_cast<double>(r->executor.gas()) * gas::kNsPerGas * 1e-9, "s",
                  "simulated CPU the calls cost each validator that executed them");
    double busy = 0;
    for (sim::NodeId v : r->contracts.validators) busy += engine.cpu_charged(v).seconds();
    busy /= static_cast<double>(r->contracts.validators.size());
    m.set_summary("contracts.validator_cpu_mean", busy, "s",
                  "simulated CPU time charged to a validator in all (signatures, hashing, "
                  "execution, contracts), mean over validators");
    m.set_summary(
        "contracts.cpu_share",
        busy > 0 ? static_cast<double>(r->executor.gas()) * gas::kNsPerGas * 1e-9 / busy : 0.0, "1",
        "the contracts' share of a validator's CPU time");
    m.set_summary("contracts.instances", static_cast<double>(r->scenario_instances), "1",
                  "instances deployed from the contracts section");
  });
}

}  // namespace

LedgerContracts* ledger_contracts(sim::World& world) {
  auto* run = world.service<ContractsRun>(kService);
  return run == nullptr ? nullptr : &run->contracts;
}

uint64_t instance_account(std::string_view name) {
  const std::string text = "instance:" + std::string(name);
  const ledger::Digest d = ledger::sha256(std::string_view(text));
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | d[static_cast<size_t>(i)];  // little endian
  return (v & ((uint64_t{1} << 62) - 1)) | (uint64_t{1} << 62);
}

void deploy_at_genesis(sim::World& world, const LedgerContracts& contracts, std::string_view type,
                       uint64_t account, Params params) {
  // Checked once here (so a bad parameter is reported, not thrown from inside the copy).
  ledger::WorldState probe;
  contracts.registry.deploy(probe, type, account, params);
  consensus::modify_genesis(world, [&](ledger::WorldState& state) {
    contracts.registry.deploy(state, type, account, params);
  });
}

std::string ledger_param(sim::World& world, std::string_view name, const std::string& value) {
  if (auto id = world.find(value)) return std::to_string(*id);
  if (value.find(',') != std::string::npos) {
    std::string out;
    size_t at = 0;
    bool all_nodes = true;
    while (at <= value.size() && all_nodes) {
      const size_t comma = std::min(value.find(',', at), value.size());
      std::string part = value.substr(at, comma - at);
      while (!part.empty() && part.front() == ' ') part.erase(0, 1);
      while (!part.empty() && part.back() == ' ') part.pop_back();
      const auto id = world.find(part);
      all_nodes = id.has_value();
      if (all_nodes) out += (out.empty() ? "" : ",") + std::to_string(*id);
      at = comma + 1;
    }
    if (all_nodes) return out;
  }
  if (value.size() > 4 && value[value.size() - 4] == ' ') {
    try {
      const sim::Money m = sim::parse_money(value);
      return std::to_string(std::llround(m.amount * 100));
    } catch (const std::exception&) {
    }
  }
  if (ends_with(name, "_ns") && !value.empty() && std::isalpha(value.back()) != 0) {
    try {
      return std::to_string(sim::Duration::parse(value).ns());
    } catch (const std::exception&) {
    }
  }
  return value;
}

void register_model(sim::Registry& registry) {
  registry.add_field(
      "", Field::object(
              "contracts",
              "Smart contracts on the consortium's ledger: every validator executes the calls "
              "of each committed block with the metered contract runtime (docs/contracts.md).",
              {Field::scalar("gas_price", FieldType::kInt, "0",
                             "ledger units (cents) per gas that clients offer; a permissioned "
                             "consortium usually charges none: gas still bounds and measures "
                             "every call's validator CPU (1 gas = 10 ns)")
                   .at_least(0),
               Field::scalar("gas_limit", FieldType::kInt, "2000000",
                             "gas limit of each call clients send")
                   .at_least(1000),
               instances_field()},
              false));
  registry.add_model(sim::ModelSpec{
      "contracts", "Contract runtime on the validators; instances deployed at genesis", "contracts",
      build});
}

}  // namespace tradesim::contracts
