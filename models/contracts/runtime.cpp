// The contract runtime: the metered Api over an overlay, deployment, and execution of contract
// calls for the ledger (see runtime.hpp).
#include "models/contracts/runtime.hpp"

#include <charconv>
#include <stdexcept>

namespace tradesim::contracts {

namespace {
// How a call stops early. Thrown only from inside a contract's call (fail, out of gas) and
// caught by the runtime, which discards the overlay: an exception is the one way to unwind a
// contract written as plain C++ from any depth.
struct CallAbort {
  CallStatus status;
  std::string reason;
};

std::string deploy_key(uint64_t account) {
  return "deploy/" + std::to_string(account);
}

std::string encode_deployment(const Deployment& d) {
  Writer w;
  w.str(d.type).u32(static_cast<uint32_t>(d.params.size()));
  for (const auto& [name, value] : d.params) w.str(name).str(value);
  return w.take_string();
}

template <typename T>
std::optional<T> parse_number(std::string_view text) {
  T out{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return out;
}
}  // namespace

std::string_view call_status_name(CallStatus s) {
  switch (s) {
    case CallStatus::kOk:
      return "ok";
    case CallStatus::kFailed:
      return "failed";
    case CallStatus::kOutOfGas:
      return "out_of_gas";
    case CallStatus::kBadCallData:
      return "bad_call_data";
    case CallStatus::kNoContract:
      return "no_contract";
    case CallStatus::kCannotPay:
      return "cannot_pay";
    case CallStatus::kGasPriceTooLow:
      return "gas_price_too_low";
    case CallStatus::kBlockGasLimit:
      return "block_gas_limit";
  }
  return "?";
}

std::string storage_key(uint64_t contract, std::string_view key) {
  std::string out = "c/" + std::to_string(contract) + "/";
  out.append(key);
  return out;
}
std::string balance_key(uint64_t account) {
  return "balance/" + std::to_string(account);
}

Api::Api(const ledger::WorldState& state, uint64_t self, uint64_t caller, int64_t value,
         const ledger::BlockInfo& block, const Params* params, uint64_t gas_limit)
    : state_(state),
      self_(self),
      caller_(caller),
      value_(value),
      block_(block),
      params_(params),
      gas_limit_(gas_limit) {}

void Api::use_gas(uint64_t amount) {
  if (amount > gas_limit_ - gas_used_) {
    gas_used_ = gas_limit_;
    throw CallAbort{CallStatus::kOutOfGas, "out of gas"};
  }
  gas_used_ += amount;
}

void Api::fail(std::string reason) {
  throw CallAbort{CallStatus::kFailed, std::move(reason)};
}

const std::string& Api::param(const std::string& name) const {
  const auto it = params_->find(name);
  if (it == params_->end()) throw CallAbort{CallStatus::kFailed, "no parameter " + name};
  return it->second;
}
uint64_t Api::param_u64(const std::string& name) const {
  const auto v = parse_number<uint64_t>(param(name));
  if (!v) throw CallAbort{CallStatus::kFailed, "parameter " + name + " is not a uint64"};
  return *v;
}
int64_t Api::param_i64(const std::string& name) const {
  const auto v = parse_number<int64_t>(param(name));
  if (!v) throw CallAbort{CallStatus::kFailed, "parameter " + name + " is not an int64"};
  return *v;
}
double Api::param_f64(const std::string& name) const {
  const auto v = parse_number<double>(param(name));
  if (!v) throw CallAbort{CallStatus::kFailed, "parameter " + name + " is not a number"};
  return *v;
}

std::optional<std::string> Api::read(const std::string& state_key) {
  use_gas(gas::kStorageRead);
  std::optional<std::string> v;
  if (const auto it = writes_.find(state_key); it != writes_.end()) {
    v = it->second;
  } else {
    v = state_.get(state_key);
  }
  if (v) use_gas(gas::kPerByteRead * v->size());
  return v;
}

void Api::write(const std::string& state_key, std::string value) {
  use_gas(gas::kStorageWrite + gas::kPerByteWritten * (state_key.size() + value.size()));
  writes_[state_key] = std::move(value);
}

std::optional<std::string> Api::get(std::string_view key) {
  return read(storage_key(self_, key));
}
void Api::put(std::string_view key, std::string value) {
  write(storage_key(self_, key), std::move(value));
}
int64_t Api::get_i64(std::string_view key, int64_t missing) {
  const auto v = get(key);
  if (!v) return missing;
  const auto n = parse_number<int64_t>(*v);
  if (!n) fail("storage " + std::string(key) + " is not a number");
  return *n;
}
std::optional<std::string> Api::read_foreign(uint64_t contract, std::string_view key) {
  return read(storage_key(contract, key));
}
std::optional<std::string> Api::contract_type(uint64_t account) {
  use_gas(gas::kStorageRead);
  const auto d = deployment(state_, account);
  if (!d) return std::nullopt;
  return d->type;
}

int64_t Api::balance(uint64_t account) {
  const auto v = read(balance_key(account));
  return v ? parse_number<int64_t>(*v).value_or(0) : 0;
}

void Api::transfer(uint64_t to, int64_t amount) {
  use_gas(gas::kTransfer);
  if (amount < 0) fail("negative transfer");
  if (amount == 0 || to == self_) return;
  const int64_t have = balance(self_);
  if (have < amount) fail("insufficient contract balance");
  write(balance_key(self_), std::to_string(have - amount));
  write(balance_key(to), std::to_string(checked_add(*this, balance(to), amount)));
}

void Api::emit(std::string name, std::string data) {
  use_gas(gas::kEvent + gas::kPerEventByte * (name.size() + data.size()));
  events_.push_back({std::move(name), std::move(data)});
}

std::optional<ledger::Digest> Api::anchored_root(const ledger::Digest& anchor_tx,
                                                 sim::NodeId gateway, uint64_t batch_id) {
  use_gas(gas::kRecordLookup);
  const auto record = state_.record(anchor_tx);
  if (!record) return std::nullopt;
  use_gas(gas::kPerByteRead * record->payload.size());
  const auto batch = sensors::parse_anchor_payload(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(record->payload.data()), record->payload.size()));
  if (!batch || batch->gateway != gateway || batch->batch_id != batch_id) return std::nullopt;
  return batch->root;
}

sensors::Verdict Api::verify_reading(const sensors::ReadingProof& proof,
                                     const ledger::Digest& anchor_tx,
                                     const ledger::PublicKey& key) {
  const auto root = anchored_root(anchor_tx, proof.gateway, proof.batch_id);
  if (!root) return sensors::Verdict::kUnknownRoot;
  use_gas(gas::kVerifySignature +
          gas::kHash * (4 + proof.in_upload.path.size() + proof.in_batch.path.size()));
  return sensors::verify_reading(proof.reading, proof, root, key);
}

sensors::Verdict Api::verify_scan(const sensors::ScanProof& proof, const ledger::Digest& anchor_tx,
                                  const ledger::PublicKey& key) {
  const auto root = anchored_root(anchor_tx, proof.gateway, proof.batch_id);
  if (!root) return sensors::Verdict::kUnknownRoot;
  use_gas(gas::kVerifySignature + gas::kHash * (2 + proof.in_batch.path.size()));
  return sensors::verify_scan(proof, root, key);
}

int64_t checked_add(Api& api, int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) api.fail("arithmetic overflow");
  return out;
}
int64_t checked_sub(Api& api, int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) api.fail("arithmetic overflow");
  return out;
}
int64_t checked_mul(Api& api, int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) api.fail("arithmetic overflow");
  return out;
}

void ContractRegistry::add(ContractType type) {
  const std::string name = type.name;
  if (!types_.emplace(name, std::move(type)).second) {
    throw std::invalid_argument("contract type " + name + " registered twice");
  }
}

const ContractType* ContractRegistry::find(std::string_view name) const {
  const auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

void ContractRegistry::deploy(ledger::WorldState& state, std::string_view type, uint64_t account,
                              Params params) const {
  auto [key, value] = prepare(state, type, account, std::move(params));
  state.put(key, std::move(value));
}

std::pair<std::string, std::string> ContractRegistry::prepare(const ledger::WorldState& state,
                                                              std::string_view type,
                                                              uint64_t account,
                                                              Params params) const {
  const ContractType* t = find(type);
  if (t == nullptr) throw std::invalid_argument("unknown contract type " + std::string(type));
  if (state.get(deploy_key(account))) {
    throw std::invalid_argument("account " + std::to_string(account) + " already holds a contract");
  }
  for (const auto& [name, value] : params) {
    bool known = false;
    for (const ParamSpec& p : t->params) known |= p.name == name;
    if (!known) {
      throw std::invalid_argument("contract " + t->name + ": unknown parameter " + name);
    }
  }
  for (const ParamSpec& p : t->params) {
    if (params.count(p.name)) continue;
    if (!p.default_value) {
      throw std::invalid_argument("contract " + t->name + ": parameter " + p.name + " missing");
    }
    params.emplace(p.name, *p.default_value);
  }
  return {deploy_key(account), encode_deployment({t->name, std::move(params)})};
}

uint64_t contract_address(uint64_t sender, uint64_t nonce) {
  const ledger::Digest d =
      ledger::Sha256().update("contract").update_u64(sender).update_u64(nonce).finish();
  uint64_t low = 0;
  for (int i = 0; i < 8; ++i) low |= static_cast<uint64_t>(d[static_cast<size_t>(i)]) << (8 * i);
  return (uint64_t{1} << 63) | (low & ((uint64_t{1} << 62) - 1));
}

std::optional<Deployment> deployment(const ledger::WorldState& state, uint64_t account) {
  const auto bytes = state.get(deploy_key(account));
  if (!bytes) return std::nullopt;
  Reader r(*bytes);
  Deployment d;
  d.type = r.str();
  const uint32_t n = r.u32();
  for (uint32_t i = 0; i < n && !r.failed(); ++i) {
    std::string name = r.str();
    d.params.emplace(std::move(name), r.str());
  }
  if (!r.done()) return std::nullopt;
  return d;
}

CallResult Runtime::run(const ledger::WorldState& state, uint64_t contract, uint64_t caller,
                        int64_t value, const ledger::BlockInfo& block, std::string_view method,
                        const Args& args, uint64_t gas_limit, uint64_t initial_gas,
                        std::map<std::string, std::string>* writes) const {
  CallResult result;
  const auto d = deployment(state, contract);
  const ContractType* type = d ? registry_.find(d->type) : nullptr;
  if (type == nullptr) {
    result.status = CallStatus::kNoContract;
    result.reason = "no contract at account " + std::to_string(contract);
    result.gas_used = std::min(initial_gas, gas_limit);
    return result;
  }
  Api api(state, contract, caller, value, block, &d->params, gas_limit);
  try {
    api.use_gas(initial_gas);
    if (value > 0) {  // the attached value, inside the overlay: a revert gives it back
      const int64_t from = api.balance(caller);
      if (from < value) api.fail("cannot attach value");
      api.write(balance_key(caller), std::to_string(from - value));
      api.write(balance_key(contract),
                std::to_string(checked_add(api, api.balance(contract), value)));
    }
    const std::unique_ptr<Contract> code = type->make(d->params);
    code->call(api, method, args);
  } catch (const CallAbort& abort) {
    result.status = abort.status;
    result.reason = abort.reason;
  } catch (const std::invalid_argument& bad) {  // a missing or mistyped argument (Args)
    result.status = CallStatus::kFailed;
    result.reason = bad.what();
  }
  result.gas_used = api.gas_used_;
  if (result.ok()) {
    result.events = std::move(api.events_);
    result.output = std::move(api.output_);
    if (writes != nullptr) *writes = std::move(api.writes_);
  }
  return result;
}

CallResult Runtime::call(ledger::WorldState& state, const ledger::Transaction& tx,
                         const ledger::BlockInfo& block, uint64_t fee_account) const {
  CallResult result;
  const auto call = decode_call(tx.payload);
  if (!call) {
    result.status = CallStatus::kBadCallData;
    result.reason = "call data does not decode";
    return result;
  }
  if (call->gas_price < options_.min_gas_price) {
    result.status = CallStatus::kGasPriceTooLow;
    result.reason = "gas price below the minimum " + std::to_string(options_.min_gas_price);
    return result;
  }
  // The sender must cover the worst case before anything runs (gas_limit x gas_price without
  // overflow), so that the gas is always payable, even after a revert.
  if (tx.sender == tx.recipient) {  // it could spend the gas reserve it is about to pay from
    result.status = CallStatus::kCannotPay;
    result.reason = "a contract account cannot call itself";
    return result;
  }
  const int64_t have = state.balance(tx.sender);
  const bool overflow =
      call->gas_price != 0 && call->gas_limit > uint64_t{INT64_MAX} / call->gas_price;
  if (overflow || tx.amount < 0 ||
      static_cast<int64_t>(call->gas_limit * call->gas_price) > have - tx.amount) {
    result.status = CallStatus::kCannotPay;
    result.reason = "sender cannot cover value and gas limit";
    return result;
  }
  if (tx.recipient == kDeployer) {
    result = deploy(state, tx, *call);
  } else {
    std::map<std::string, std::string> writes;
    const uint64_t intrinsic = gas::kCall + gas::kPerCallDataByte * tx.payload.size();
    result = run(state, tx.recipient, tx.sender, tx.amount, block, call->method, call->args,
                 call->gas_limit, intrinsic, &writes);
    for (auto& [key, value] : writes) state.put(key, std::move(value));
  }
  const int64_t charge = static_cast<int64_t>(result.gas_used * call->gas_price);
  if (charge > 0) {
    state.set_balance(tx.sender, state.balance(tx.sender) - charge);
    state.set_balance(fee_account, state.balance(fee_account) + charge);
  }
  return result;
}

CallResult Runtime::deploy(ledger::WorldState& state, const ledger::Transaction& tx,
                           const CallData& call) const {
  CallResult result;
  uint64_t gas = gas::kCall + gas::kPerCallDataByte * tx.payload.size();
  const uint64_t account = contract_address(tx.sender, tx.nonce);
  std::pair<std::string, std::string> record;
  try {
    if (call.method != "deploy") throw std::invalid_argument("deployer: no method " + call.method);
    if (tx.amount != 0) throw std::invalid_argument("deploy takes no value");
    const Args& args = call.args;
    if (args.size() % 2 != 1) {
      throw std::invalid_argument("deploy(type, then parameter name and value pairs)");
    }
    Params params;
    for (size_t i = 1; i < args.size(); i += 2) {
      if (!params.emplace(args.str(i), args.str(i + 1)).second) {
        throw std::invalid_argument("parameter " + args.str(i) + " given twice");
      }
    }
    record = registry_.prepare(state, args.str(0), account, std::move(params));
    gas += gas::kStorageWrite + gas::kPerByteWritten * (record.first.size() + record.second.size());
  } catch (const std::invalid_argument& bad) {
    result.status = CallStatus::kFailed;
    result.reason = bad.what();
  }
  if (gas > call.gas_limit) {
    result.status = CallStatus::kOutOfGas;
    result.reason = "out of gas";
    gas = call.gas_limit;
  }
  result.gas_used = gas;
  if (!result.ok()) return result;
  state.put(record.first, std::move(record.second));
  result.output = std::to_string(account);
  result.events.push_back({"deployed", result.output});
  return result;
}

uint64_t Runtime::gas_limit(const ledger::Transaction& tx) const {
  const auto call = decode_call(tx.payload);
  return call ? call->gas_limit : 0;
}

ledger::CallOutcome Runtime::execute(ledger::WorldState& state, const ledger::Transaction& tx,
                                     const ledger::BlockInfo& block, uint64_t fee_account) const {
  CallResult r = call(state, tx, block, fee_account);
  auto receipt = std::make_shared<ledger::Receipt>();
  receipt->status = static_cast<uint8_t>(r.status);
  receipt->gas_used = r.gas_used;
  receipt->output = std::move(r.output);
  receipt->reason = std::move(r.reason);
  receipt->events.reserve(r.events.size());
  for (Event& e : r.events) receipt->events.push_back({std::move(e.name), std::move(e.data)});
  return {r.ok(), r.gas_used, static_cast<int64_t>(r.gas_used) * gas::kNsPerGas,
          std::move(receipt)};
}

CallResult Runtime::query(const ledger::WorldState& state, uint64_t contract,
                          std::string_view method, const Args& args, uint64_t caller,
                          const ledger::BlockInfo& block, uint64_t gas_limit) const {
  return run(state, contract, caller, 0, block, method, args, gas_limit, 0, nullptr);
}

}  // namespace tradesim::contracts
