// The contract runtime (issue 7): contracts are C++ classes that see the world only through a
// narrow, deterministic, metered Api (their storage, transfers, caller, block time and height,
// events, verified oracle proofs); the Runtime executes a TxKind::kContractCall on a WorldState
// for every validator (it is the ledger's CallExecutor), reverting failed and out-of-gas calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/contracts/encoding.hpp"
#include "models/ledger/call_executor.hpp"
#include "models/ledger/world_state.hpp"
#include "models/sensors/reader.hpp"

namespace tradesim::contracts {

// The gas schedule. One gas stands for kNsPerGas of validator CPU; the figures are of the order
// of this machine's cost of each operation (a std::map lookup and copy, a SHA-256, an Ed25519
// verification at ~45 us as in consensus::CryptoCosts), rounded: see docs/contracts.md.
namespace gas {
inline constexpr int64_t kNsPerGas = 10;
inline constexpr uint64_t kCall = 500;           // decoding, instantiation, nonce (5 us)
inline constexpr uint64_t kPerCallDataByte = 1;  // the payload, decoded once
inline constexpr uint64_t kStorageRead = 50;     // a get, plus kPerByteRead per byte read
inline constexpr uint64_t kPerByteRead = 1;
inline constexpr uint64_t kStorageWrite = 200;  // a put (the state grows, the root rehashes)
inline constexpr uint64_t kPerByteWritten = 3;  // per byte of key and value
inline constexpr uint64_t kTransfer = 300;      // two balance reads and writes
inline constexpr uint64_t kEvent = 50;          // plus kPerEventByte per byte of name and data
inline constexpr uint64_t kPerEventByte = 1;
inline constexpr uint64_t kRecordLookup = 100;      // an anchor record found by its tx id
inline constexpr uint64_t kHash = 20;               // one SHA-256 of a Merkle step or leaf
inline constexpr uint64_t kVerifySignature = 4500;  // one Ed25519 verification (45 us)
}  // namespace gas

// Deployment parameters, by name; values are text (numbers in decimal, keys in hex).
using Params = std::map<std::string, std::string>;
struct ParamSpec {
  std::string name;
  std::string help;
  std::optional<std::string> default_value;  // none: required at deployment
};

struct Event {
  std::string name;
  std::string data;
  bool operator==(const Event&) const = default;
};

class Api;

// A contract type's code. One object serves one call: it is made from the instance's deployed
// parameters, and every bit of state it keeps between calls lives in its storage.
class Contract {
 public:
  virtual ~Contract() = default;
  virtual void call(Api& api, std::string_view method, const Args& args) = 0;
};

struct ContractType {
  std::string name;
  std::string description;
  std::vector<ParamSpec> params;
  std::function<std::unique_ptr<Contract>(const Params& params)> make;
};

enum class CallStatus : uint8_t {
  kOk,
  kFailed,  // the contract called fail(), or read a missing or mistyped argument
  kOutOfGas,
  kBadCallData,     // the payload does not decode
  kNoContract,      // nothing deployed at the recipient's account
  kCannotPay,       // the sender cannot cover the attached value plus gas limit x gas price
  kGasPriceTooLow,  // below the runtime's min_gas_price: nothing ran (fee and nonce only)
  kBlockGasLimit,   // set by the block's executor: the block's gas cap was reached, not run
};
static_assert(static_cast<uint8_t>(CallStatus::kOk) == ledger::kReceiptOk &&
                  static_cast<uint8_t>(CallStatus::kBlockGasLimit) == ledger::kReceiptBlockGasLimit,
              "ledger receipts reuse the CallStatus codes");
std::string_view call_status_name(CallStatus s);

struct CallResult {
  CallStatus status = CallStatus::kOk;
  std::string reason;  // why it failed
  uint64_t gas_used = 0;
  std::vector<Event> events;  // emitted by a successful call (none if reverted)
  std::string output;         // set by Api::ret
  bool ok() const { return status == CallStatus::kOk; }
};

// What a contract may do. Every operation is metered; reads see the call's own writes; writes
// and transfers are buffered in an overlay that reaches the WorldState only if the call
// succeeds.
class Api {
 public:
  uint64_t self() const { return self_; }      // the contract instance's account
  uint64_t caller() const { return caller_; }  // the transaction's sender
  int64_t value() const { return value_; }     // attached to the call, already in self's balance
  uint64_t height() const { return block_.height; }
  sim::SimTime now() const { return sim::SimTime::from_ns(block_.time_ns); }
  const Params& params() const { return *params_; }
  // A deployment parameter (declared in the type, so always present) as a number or a key.
  const std::string& param(const std::string& name) const;
  uint64_t param_u64(const std::string& name) const;
  int64_t param_i64(const std::string& name) const;
  double param_f64(const std::string& name) const;

  // This instance's storage (state keys "c/<self>/<key>").
  std::optional<std::string> get(std::string_view key);
  void put(std::string_view key, std::string value);
  // Numbers stored as decimal text; a missing key reads `missing`.
  int64_t get_i64(std::string_view key, int64_t missing = 0);
  void put_i64(std::string_view key, int64_t value) { put(key, std::to_string(value)); }
  // A read of another instance's storage (no writes): how one contract checks another's record.
  std::optional<std::string> read_foreign(uint64_t contract, std::string_view key);
  // The type deployed at `account`, if any.
  std::optional<std::string> contract_type(uint64_t account);

  int64_t balance(uint64_t account);
  // Pays from this instance's own balance only; fails the call if it cannot.
  void transfer(uint64_t to, int64_t amount);
  void emit(std::string name, std::string data = {});
  void ret(std::string output) { output_ = std::move(output); }
  // Aborts the call: every write and transfer is reverted; gas used so far is charged.
  [[noreturn]] void fail(std::string reason);
  void require(bool condition, std::string_view reason) {
    if (!condition) fail(std::string(reason));
  }
  // Explicit metering of a contract's own loops.
  void use_gas(uint64_t amount);

  // Oracle inputs: a reading or a scan with its Merkle proof, checked against the root of the
  // anchor transaction `anchor_tx` recorded in the state (which must be the proof's gateway
  // and batch) and against the registered `key`. Metered per signature and hash.
  sensors::Verdict verify_reading(const sensors::ReadingProof& proof,
                                  const ledger::Digest& anchor_tx, const ledger::PublicKey& key);
  sensors::Verdict verify_scan(const sensors::ScanProof& proof, const ledger::Digest& anchor_tx,
                               const ledger::PublicKey& key);

 private:
  friend class Runtime;
  Api(const ledger::WorldState& state, uint64_t self, uint64_t caller, int64_t value,
      const ledger::BlockInfo& block, const Params* params, uint64_t gas_limit);
  std::optional<std::string> read(const std::string& state_key);
  void write(const std::string& state_key, std::string value);
  std::optional<ledger::Digest> anchored_root(const ledger::Digest& anchor_tx, sim::NodeId gateway,
                                              uint64_t batch_id);

  const ledger::WorldState& state_;
  uint64_t self_, caller_;
  int64_t value_;
  ledger::BlockInfo block_;
  const Params* params_;
  uint64_t gas_limit_, gas_used_ = 0;
  std::map<std::string, std::string> writes_;  // state key -> value: the overlay, in key order
  std::vector<Event> events_;
  std::string output_;
};

// The contract types a run knows, by name (`tradesim list` shows them with their parameters).
class ContractRegistry {
 public:
  void add(ContractType type);
  const ContractType* find(std::string_view name) const;
  const std::map<std::string, ContractType, std::less<>>& types() const { return types_; }
  // Stores an instance of `type` at `account` with its parameters (defaults filled in) under
  // "deploy/<account>", where contract code cannot write, so that every validator can
  // instantiate it from the state alone. Throws std::invalid_argument for an unknown type, an
  // unknown or missing parameter, or an account already holding a contract.
  void deploy(ledger::WorldState& state, std::string_view type, uint64_t account,
              Params params) const;
  // The same checks, without writing: the state key and value deploy() would store.
  std::pair<std::string, std::string> prepare(const ledger::WorldState& state,
                                              std::string_view type, uint64_t account,
                                              Params params) const;

 private:
  std::map<std::string, ContractType, std::less<>> types_;
};

// The deployment record at an account, if any.
struct Deployment {
  std::string type;
  Params params;
};
std::optional<Deployment> deployment(const ledger::WorldState& state, uint64_t account);

// Deployment by transaction: a kContractCall to kDeployer with method "deploy" and arguments
// (type string, then name string, value string pairs) creates an instance of `type` at
// contract_address(sender, nonce), with gas kCall + per payload byte + kStorageWrite + per byte
// of the deployment record. Output and event "deployed": the new account in decimal. An unknown
// type, a bad or missing parameter, a value attached: the call fails (gas charged).
// consensus::kFeeAccount is UINT64_MAX; this is the account just below it.
inline constexpr uint64_t kDeployer = UINT64_MAX - 1;
// Where the instance deployed by `sender`'s transaction `nonce` lives: the top bit set, bit 62
// clear, and the low 62 bits of SHA-256("contract", sender, nonce). Node ids (and so the accounts
// of nodes) are assigned from 0 up and stay far below 2^63; the reserved accounts UINT64_MAX and
// kDeployer have bit 62 set; so an instance never lands on another account's id, and two
// instances collide only if SHA-256 collides on 62 bits (a nonce is used once per sender).
uint64_t contract_address(uint64_t sender, uint64_t nonce);

// Options of the runtime as the validators' executor (consensus::ValidatorShared::executor).
struct RuntimeOptions {
  // A call with a lower gas price fails with kGasPriceTooLow: nothing runs, the inclusion fee
  // and nonce are taken as for any transaction.
  uint64_t min_gas_price = 0;
  // The gas one block may use (0: unlimited), enforced by ExecutionMemo::apply: a call whose
  // gas limit would take the block past it is not run (kBlockGasLimit, fee and nonce only).
  uint64_t block_gas_limit = 0;
};

// Checked money and count arithmetic for contracts and the runtime: an int64 overflow fails the
// call ("arithmetic overflow") instead of wrapping, so a huge parameter or attached value cannot
// mint or destroy money.
int64_t checked_add(Api& api, int64_t a, int64_t b);
int64_t checked_sub(Api& api, int64_t a, int64_t b);
int64_t checked_mul(Api& api, int64_t a, int64_t b);

class Runtime : public ledger::CallExecutor {
 public:
  explicit Runtime(const ContractRegistry& registry, RuntimeOptions options = {})
      : registry_(registry), options_(options) {}
  const RuntimeOptions& options() const { return options_; }
  uint64_t block_gas_limit() const override { return options_.block_gas_limit; }
  uint64_t gas_limit(const ledger::Transaction& tx) const override;
  // Executes a contract call whose inclusion fee and nonce were accounted for: decodes the
  // payload, checks the sender can cover value + gas_limit x gas_price, moves the value
  // (tx.amount) to the contract, runs the method, and then, applied or reverted, charges
  // gas_used x gas_price from the sender to `fee_account`.
  CallResult call(ledger::WorldState& state, const ledger::Transaction& tx,
                  const ledger::BlockInfo& block, uint64_t fee_account) const;
  ledger::CallOutcome execute(ledger::WorldState& state, const ledger::Transaction& tx,
                              const ledger::BlockInfo& block, uint64_t fee_account) const override;
  // A read-only call (a consumer's query): runs the method on a copy of nothing, no gas charged
  // (limited to `gas_limit`), every write discarded; returns its output.
  CallResult query(const ledger::WorldState& state, uint64_t contract, std::string_view method,
                   const Args& args, uint64_t caller = 0, const ledger::BlockInfo& block = {},
                   uint64_t gas_limit = 10'000'000) const;

 private:
  CallResult run(const ledger::WorldState& state, uint64_t contract, uint64_t caller, int64_t value,
                 const ledger::BlockInfo& block, std::string_view method, const Args& args,
                 uint64_t gas_limit, uint64_t initial_gas,
                 std::map<std::string, std::string>* writes) const;
  CallResult deploy(ledger::WorldState& state, const ledger::Transaction& tx,
                    const CallData& call) const;
  const ContractRegistry& registry_;
  RuntimeOptions options_;
};

// Keys of a contract's storage in the state.
std::string storage_key(uint64_t contract, std::string_view key);
std::string balance_key(uint64_t account);

}  // namespace tradesim::contracts
