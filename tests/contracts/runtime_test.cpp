// The contract runtime: call-data encoding, metering and atomic reverts, gas charged even on a
// revert, deterministic replicated execution (through the validators' ExecutionMemo), and oracle
// proofs checked against anchors recorded in the state.
#include <gtest/gtest.h>

#include "models/consensus/validator.hpp"
#include "models/contracts/oracle.hpp"
#include "models/contracts/runtime.hpp"

namespace tradesim::contracts {
namespace {

constexpr uint64_t kFeeAccount = 1, kAlice = 10, kBob = 11, kContract = 100;
constexpr uint64_t kSeed = 9, kDevice = 5000, kGateway = 77;

// A contract for the tests: storage writes, payments out of its balance, failure, a gas burner
// and an oracle check.
class Probe : public Contract {
 public:
  void call(Api& api, std::string_view method, const Args& args) override {
    if (method == "put") {
      const std::string& key = args.str(0);  // read in order: the first missing one is named
      api.put(key, args.str(1));
    } else if (method == "pay") {
      api.transfer(args.u64(0), args.i64(1));
    } else if (method == "pay_then_fail") {
      api.transfer(args.u64(0), args.i64(1));
      api.put("touched", "yes");
      api.fail("refused");
    } else if (method == "burn") {  // writes until the gas runs out
      for (uint64_t i = 0;; ++i) api.put("k" + std::to_string(i), std::string(100, 'x'));
    } else if (method == "get") {
      api.ret(api.get(args.str(0)).value_or("<none>"));
    } else if (method == "reading") {
      const auto proof = decode_reading_proof(args.bytes(0));
      api.require(proof.has_value(), "bad proof encoding");
      const auto key = parse_key(api.param("device_key"));
      const auto v = api.verify_reading(*proof, digest_from_bytes(args.bytes(1)), *key);
      api.require(v == sensors::Verdict::kOk, sensors::verdict_name(v));
      api.emit("reading_ok", std::to_string(proof->reading.value[0]));
    } else {
      api.fail("no method " + std::string(method));
    }
  }
};

ContractRegistry registry() {
  ContractRegistry r;
  r.add(
      {"probe", "test contract", {{"device_key", "hex", std::string(64, '0')}}, [](const Params&) {
         return std::make_unique<Probe>();
       }});
  return r;
}

ledger::WorldState genesis(const ContractRegistry& reg, Params params = {}) {
  ledger::WorldState s;
  s.set_balance(kAlice, 1'000'000);
  s.set_balance(kBob, 1'000'000);
  s.set_balance(kContract, 5'000);
  reg.deploy(s, "probe", kContract, std::move(params));
  return s;
}

ledger::Transaction call_tx(uint64_t sender, uint64_t nonce, CallData call, int64_t value = 0,
                            uint64_t fee = 0) {
  ledger::Transaction tx;
  tx.kind = ledger::TxKind::kContractCall;
  tx.sender = sender;
  tx.nonce = nonce;
  tx.recipient = kContract;
  tx.amount = value;
  tx.fee = fee;
  tx.payload = encode_call(call);
  tx.declared_bytes = static_cast<uint32_t>(tx.payload.size());
  return tx;
}

int64_t total(const ledger::WorldState& s) {
  int64_t sum = 0;
  s.for_each_prefix("balance/",
                    [&](const std::string&, const auto& entry) { sum += std::stoll(entry.value); });
  return sum;
}

TEST(ContractEncoding, RoundTrip) {
  const CallData call{12345, 7, "release",
                      Args{std::string("abc"), int64_t{-5}, uint64_t{1} << 63, Bytes{0, 1, 255}}};
  const Bytes bytes = encode_call(call);
  // 8 + 8 + (4 + 7) + 4 + (1 + 4 + 3) + (1 + 8) + (1 + 8) + (1 + 4 + 3), by the layout.
  EXPECT_EQ(bytes.size(), 65u);
  EXPECT_EQ(decode_call(bytes), call);
}

TEST(ContractEncoding, MalformedInputRefused) {
  const Bytes good = encode_call({1000, 1, "m", Args{std::string("x"), uint64_t{3}}});
  for (size_t cut = 0; cut < good.size(); ++cut) {  // every truncation
    EXPECT_FALSE(decode_call(std::span(good).first(cut))) << "cut at " << cut;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(decode_call(trailing));
  Bytes bad_tag = good;
  bad_tag[8 + 8 + 4 + 1 + 4] = 9;  // the first argument's tag
  EXPECT_FALSE(decode_call(bad_tag));
  Bytes huge_length = good;
  huge_length[8 + 8 + 3] = 0x7f;  // the method's length, far past the end
  EXPECT_FALSE(decode_call(huge_length));
}

TEST(ContractRuntime, BadCallDataFailsTheCallAndChargesOnlyTheFee) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  ledger::WorldState s = genesis(reg);
  ledger::Transaction tx = call_tx(kAlice, 1, {10'000, 1, "put", {}}, 0, 25);
  tx.payload.pop_back();
  const ledger::CallOutcome o = s.apply(tx, kFeeAccount, &runtime, {1, 0});
  EXPECT_FALSE(o.applied);
  EXPECT_EQ(o.gas_used, 0u);
  EXPECT_EQ(s.balance(kAlice), 1'000'000 - 25);
  EXPECT_EQ(s.balance(kFeeAccount), 25);
}

TEST(ContractRuntime, SuccessfulCallWritesAndChargesGas) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  ledger::WorldState s = genesis(reg);
  const auto tx = call_tx(kAlice, 1, {100'000, 2, "put", Args{std::string("k"), std::string("v")}});
  const CallResult r = runtime.call(s, tx, {1, 0}, kFeeAccount);
  ASSERT_TRUE(r.ok()) << r.reason;
  // intrinsic (kCall + payload bytes) + one write of key "c/100/k" (7 bytes) and value (1 byte).
  const uint64_t expected =
      gas::kCall + tx.payload.size() + gas::kStorageWrite + gas::kPerByteWritten * 8;
  EXPECT_EQ(r.gas_used, expected);
  EXPECT_EQ(s.get(storage_key(kContract, "k")), "v");
  EXPECT_EQ(s.balance(kAlice), 1'000'000 - 2 * static_cast<int64_t>(expected));
  EXPECT_EQ(s.balance(kFeeAccount), 2 * static_cast<int64_t>(expected));
  EXPECT_EQ(runtime.query(s, kContract, "get", Args{std::string("k")}).output, "v");
}

TEST(ContractRuntime, OutOfGasRevertsEveryWriteAndStillChargesGas) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  ledger::WorldState s = genesis(reg);
  const ledger::Digest before = s.root();
  const auto tx = call_tx(kAlice, 1, {20'000, 3, "burn", {}}, /*value=*/700);
  const CallResult r = runtime.call(s, tx, {1, 0}, kFeeAccount);
  EXPECT_EQ(r.status, CallStatus::kOutOfGas);
  EXPECT_EQ(r.gas_used, 20'000u);  // the whole limit
  EXPECT_FALSE(s.get(storage_key(kContract, "k0")));
  EXPECT_EQ(s.balance(kContract), 5'000);  // the attached value went back
  EXPECT_EQ(s.balance(kAlice), 1'000'000 - 3 * 20'000);
  EXPECT_EQ(s.balance(kFeeAccount), 3 * 20'000);
  EXPECT_NE(s.root(), before);                   // only the two balances changed
  EXPECT_EQ(s.size(), genesis(reg).size() + 1);  // + the fee account's balance
}

TEST(ContractRuntime, FailingCallRevertsTransfers) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  ledger::WorldState s = genesis(reg);
  const auto tx = call_tx(kAlice, 1, {50'000, 1, "pay_then_fail", Args{kBob, int64_t{1'000}}});
  const CallResult r = runtime.call(s, tx, {1, 0}, kFeeAccount);
  EXPECT_EQ(r.status, CallStatus::kFailed);
  EXPECT_EQ(r.reason, "refused");
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(s.balance(kBob), 1'000'000);
  EXPECT_EQ(s.balance(kContract), 5'000);
  EXPECT_FALSE(s.get(storage_key(kContract, "touched")));
  EXPECT_EQ(s.balance(kAlice), 1'000'000 - static_cast<int64_t>(r.gas_used));
  EXPECT_GT(r.gas_used, gas::kCall + gas::kTransfer);
}

TEST(ContractRuntime, CallerWhoCannotCoverTheGasLimitChangesNothing) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  ledger::WorldState s = genesis(reg);
  const ledger::Digest before = s.root();
  const auto tx =
      call_tx(kAlice, 1, {1'000'000, 2, "put", Args{std::string("k"), std::string("v")}});
  EXPECT_EQ(runtime.call(s, tx, {1, 0}, kFeeAccount).status, CallStatus::kCannotPay);
  EXPECT_EQ(s.root(), before);
}

TEST(ContractRuntime, ContractPaysOnlyFromItsOwnBalance) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  ledger::WorldState s = genesis(reg);
  const auto too_much = call_tx(kAlice, 1, {50'000, 0, "pay", Args{kBob, int64_t{5'001}}});
  EXPECT_EQ(runtime.call(s, too_much, {1, 0}, kFeeAccount).reason, "insufficient contract balance");
  const auto ok = call_tx(kAlice, 2, {50'000, 0, "pay", Args{kBob, int64_t{5'000}}});
  EXPECT_TRUE(runtime.call(s, ok, {1, 0}, kFeeAccount).ok());
  EXPECT_EQ(s.balance(kBob), 1'005'000);
  EXPECT_EQ(s.balance(kContract), 0);
}

TEST(ContractRuntime, MissingArgumentOrContractFails) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  ledger::WorldState s = genesis(reg);
  const CallResult missing =
      runtime.call(s, call_tx(kAlice, 1, {50'000, 0, "put", Args{}}), {1, 0}, kFeeAccount);
  EXPECT_EQ(missing.status, CallStatus::kFailed);
  EXPECT_EQ(missing.reason, "argument 0 missing");
  auto nowhere = call_tx(kAlice, 2, {50'000, 0, "put", Args{}});
  nowhere.recipient = 999;
  EXPECT_EQ(runtime.call(s, nowhere, {1, 0}, kFeeAccount).status, CallStatus::kNoContract);
}

TEST(ContractRegistry, DeployChecksTypeAndParameters) {
  const ContractRegistry reg = registry();
  ledger::WorldState s;
  EXPECT_THROW(reg.deploy(s, "nope", 5, {}), std::invalid_argument);
  EXPECT_THROW(reg.deploy(s, "probe", 5, {{"colour", "red"}}), std::invalid_argument);
  reg.deploy(s, "probe", 5, {});
  EXPECT_THROW(reg.deploy(s, "probe", 5, {}), std::invalid_argument);
  const auto d = deployment(s, 5);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, "probe");
  EXPECT_EQ(d->params.at("device_key"), std::string(64, '0'));  // the default, filled in
}

ledger::Transaction deploy_tx(uint64_t sender, uint64_t nonce, Args args,
                              uint64_t gas_limit = 100'000) {
  ledger::Transaction tx = call_tx(sender, nonce, {gas_limit, 1, "deploy", std::move(args)});
  tx.recipient = kDeployer;
  return tx;
}

TEST(ContractDeployer, AddressIsDeterministicAndOutsideTheNodeIds) {
  const uint64_t a = contract_address(kAlice, 1);
  EXPECT_EQ(a, contract_address(kAlice, 1));  // the client computes it before submitting
  EXPECT_NE(a, contract_address(kAlice, 2));
  EXPECT_NE(a, contract_address(kBob, 1));
  for (uint64_t nonce = 1; nonce <= 1000; ++nonce) {
    const uint64_t c = contract_address(kAlice, nonce);
    EXPECT_EQ(c >> 62, 2u);  // top bit set, bit 62 clear: not a node id, not a reserved account
  }
}

TEST(ContractDeployer, DeployByTransactionCreatesAnInstanceAtTheSendersAddress) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  ledger::WorldState s = genesis(reg);
  const int64_t before = total(s);
  const ledger::Transaction tx = deploy_tx(kAlice, 1, {std::string("probe")});
  const CallResult r = runtime.call(s, tx, {1, 0}, kFeeAccount);
  ASSERT_TRUE(r.ok()) << r.reason;
  const uint64_t address = contract_address(kAlice, 1);
  EXPECT_EQ(r.output, std::to_string(address));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0], (Event{"deployed", std::to_string(address)}));
  const auto d = deployment(s, address);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, "probe");
  // kCall + payload bytes + kStorageWrite + 3 per byte of the record's key and value.
  const std::string key = "deploy/" + std::to_string(address);
  EXPECT_EQ(r.gas_used, gas::kCall + tx.payload.size() + gas::kStorageWrite +
                            gas::kPerByteWritten * (key.size() + s.get(key)->size()));
  EXPECT_EQ(s.balance(kAlice), 1'000'000 - static_cast<int64_t>(r.gas_used));
  EXPECT_EQ(total(s), before);
  // The new instance answers calls.
  ledger::Transaction put =
      call_tx(kAlice, 2, {60'000, 1, "put", {std::string("k"), std::string("v")}});
  put.recipient = address;
  ASSERT_TRUE(runtime.call(s, put, {2, 0}, kFeeAccount).ok());
  EXPECT_EQ(s.get(storage_key(address, "k")), "v");
}

TEST(ContractDeployer, BadTypeParameterOrValueFailsAndChargesGas) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  ledger::WorldState s = genesis(reg);
  const auto refused = [&](ledger::Transaction tx, std::string_view reason) {
    const int64_t alice = s.balance(kAlice);
    const CallResult r = runtime.call(s, tx, {1, 0}, kFeeAccount);
    EXPECT_EQ(r.status, CallStatus::kFailed);
    EXPECT_EQ(r.reason, reason);
    EXPECT_GT(r.gas_used, 0u);
    EXPECT_EQ(s.balance(kAlice), alice - static_cast<int64_t>(r.gas_used));  // gas charged
    EXPECT_FALSE(deployment(s, contract_address(kAlice, tx.nonce)));
  };
  refused(deploy_tx(kAlice, 1, {std::string("nope")}), "unknown contract type nope");
  refused(deploy_tx(kAlice, 2, {std::string("probe"), std::string("colour"), std::string("red")}),
          "contract probe: unknown parameter colour");
  refused(deploy_tx(kAlice, 3, {std::string("probe"), std::string("device_key")}),
          "deploy(type, then parameter name and value pairs)");
  ledger::Transaction valued = deploy_tx(kAlice, 4, {std::string("probe")});
  valued.amount = 10;
  refused(valued, "deploy takes no value");
  // Out of gas: the whole limit is charged, nothing deployed.
  const CallResult r =
      runtime.call(s, deploy_tx(kAlice, 5, {std::string("probe")}, 600), {1, 0}, kFeeAccount);
  EXPECT_EQ(r.status, CallStatus::kOutOfGas);
  EXPECT_EQ(r.gas_used, 600u);
  EXPECT_FALSE(deployment(s, contract_address(kAlice, 5)));
}

TEST(ContractGas, CallBelowTheMinimumGasPriceRunsNothing) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg, {.min_gas_price = 5});
  ledger::WorldState s = genesis(reg);
  const auto low = ledger::seal(
      call_tx(kAlice, 1, {60'000, 4, "put", {std::string("k"), std::string("v")}}, 0, 3));
  const auto body = ledger::make_batch({low});
  consensus::ExecutionMemo memo;
  const auto shared = std::make_shared<const ledger::WorldState>(s);
  const auto r = memo.apply(shared, shared->root(), *body, kFeeAccount, &runtime, {1, 0});
  EXPECT_FALSE((*r.applied)[0]);
  ASSERT_TRUE(r.receipts && (*r.receipts)[0]);
  EXPECT_EQ((*r.receipts)[0]->status, static_cast<uint8_t>(CallStatus::kGasPriceTooLow));
  EXPECT_EQ(r.gas_used, 0u);
  EXPECT_FALSE(r.state->get(storage_key(kContract, "k")));
  EXPECT_EQ(r.state->balance(kAlice), 1'000'000 - 3);  // the inclusion fee only
  EXPECT_EQ(r.state->get("nonce/" + std::to_string(kAlice)), "1");
  // At the minimum it runs.
  EXPECT_TRUE(
      runtime
          .call(s, call_tx(kAlice, 1, {60'000, 5, "put", {std::string("k"), std::string("v")}}),
                {1, 0}, kFeeAccount)
          .ok());
}

TEST(ContractGas, BlockGasLimitSkipsCallsThatDoNotFit) {
  // Cap 100,000; each call asks for 40,000. The block counts the gas used so far, and runs a
  // call only if used + its limit fits under the cap.
  const ContractRegistry reg = registry();
  const Runtime runtime(reg, {.block_gas_limit = 100'000});
  std::vector<ledger::TxPtr> txs;
  for (uint64_t i = 1; i <= 3; ++i) {
    txs.push_back(ledger::seal(call_tx(kAlice, i, {40'000, 1, "burn", {}}, 0, 2)));
  }
  const auto body = ledger::make_batch(std::move(txs));
  const auto g = std::make_shared<const ledger::WorldState>(genesis(reg));
  consensus::ExecutionMemo memo;
  const auto r = memo.apply(g, g->root(), *body, kFeeAccount, &runtime, {1, 0});
  // Each burn uses its whole 40,000 (out of gas): 40,000 + 40,000 used, then 80,000 + 40,000 >
  // 100,000: the third is not run, pays its fee (2) and nonce only.
  ASSERT_TRUE(r.receipts);
  EXPECT_EQ((*r.receipts)[0]->status, static_cast<uint8_t>(CallStatus::kOutOfGas));
  EXPECT_EQ((*r.receipts)[1]->status, static_cast<uint8_t>(CallStatus::kOutOfGas));
  EXPECT_EQ((*r.receipts)[2]->status, static_cast<uint8_t>(CallStatus::kBlockGasLimit));
  EXPECT_FALSE((*r.applied)[2]);
  EXPECT_EQ(r.gas_used, 80'000u);
  EXPECT_EQ(r.state->balance(kAlice), 1'000'000 - 80'000 - 3 * 2);
  EXPECT_EQ(r.state->get("nonce/" + std::to_string(kAlice)), "3");
}

std::shared_ptr<const ledger::TxBatch> block_of_calls() {
  std::vector<ledger::TxPtr> txs;
  for (uint64_t i = 1; i <= 20; ++i) {
    const uint64_t sender = i % 2 ? kAlice : kBob;
    txs.push_back(ledger::seal(
        call_tx(sender, i,
                {60'000, 1, i % 3 ? "put" : "pay",
                 i % 3 ? Args{std::to_string(i), std::to_string(i * i)} : Args{kBob, int64_t{100}}},
                0, 3)));
  }
  return ledger::make_batch(std::move(txs));
}

TEST(ContractRuntime, ReplicatedExecutionIsDeterministic) {
  // Two validators' memos with their own copies of the same genesis: one root.
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  const auto body = block_of_calls();
  consensus::ExecutionMemo memo_a, memo_b;
  const auto a = std::make_shared<const ledger::WorldState>(genesis(reg));
  const auto b = std::make_shared<const ledger::WorldState>(genesis(reg));
  const auto ra = memo_a.apply(a, a->root(), *body, kFeeAccount, &runtime, {7, 1'000});
  const auto rb = memo_b.apply(b, b->root(), *body, kFeeAccount, &runtime, {7, 1'000});
  EXPECT_EQ(ra.root, rb.root);
  EXPECT_EQ(*ra.applied, *rb.applied);
  EXPECT_GT(ra.gas_used, 0u);
  EXPECT_EQ(ra.contract_cpu_ns, static_cast<int64_t>(ra.gas_used) * gas::kNsPerGas);
  EXPECT_EQ(total(*ra.state), total(*a));  // gas and fees moved, not created
  // Without an executor the same block only pays fees: another root.
  consensus::ExecutionMemo memo_c;
  EXPECT_NE(memo_c.apply(a, a->root(), *body, kFeeAccount).root, ra.root);
}

TEST(ContractRuntime, CorruptedStateGivesADifferentRoot) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  const auto body = block_of_calls();
  consensus::ExecutionMemo memo;
  const auto honest = std::make_shared<const ledger::WorldState>(genesis(reg));
  ledger::WorldState corrupted_state = genesis(reg);
  // The contract's balance, which every "pay" call of the block reads: with 150 instead of
  // 5,000 only the first payment of 100 goes through, so the execution itself differs (not
  // only the corrupted entry).
  corrupted_state.set_balance(kContract, 150);
  const auto corrupted = std::make_shared<const ledger::WorldState>(corrupted_state);
  const auto r1 = memo.apply(honest, honest->root(), *body, kFeeAccount, &runtime, {7, 1'000});
  const auto r2 =
      memo.apply(corrupted, corrupted->root(), *body, kFeeAccount, &runtime, {7, 1'000});
  EXPECT_NE(r1.root, r2.root);          // the block header's state root exposes it
  EXPECT_NE(*r1.applied, *r2.applied);  // calls 6, 9, ... failed on the corrupted replica
  EXPECT_FALSE((*r2.applied)[5]);
  EXPECT_TRUE((*r1.applied)[5]);
  // The same body at another height is another execution, not a memo hit.
  const auto r3 = memo.apply(honest, honest->root(), *body, kFeeAccount, &runtime, {8, 1'000});
  EXPECT_EQ(memo.executions(), 3u);
  EXPECT_EQ(r3.root, r1.root);  // (this contract does not read the height)
}

// An anchored batch holding one upload of three temperature readings; the anchor transaction
// is applied to `state` and its id returned.
struct Anchored {
  sensors::Upload upload;
  ledger::Digest anchor_tx;
  sensors::ReadingProof proof(size_t i) const {
    sensors::ReadingProof p;
    p.reading = upload.readings[i];
    p.header = upload.header;
    p.in_upload = sensors::reading_path(upload, i);
    const std::vector<ledger::Digest> leaves{upload.header.leaf()};
    p.in_batch = ledger::merkle_proof(leaves, 0);
    p.gateway = kGateway;
    p.batch_id = 1;
    return p;
  }
};
Anchored anchor(ledger::WorldState& state) {
  std::vector<sensors::Reading> rs;
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    sensors::Reading r;
    r.device = kDevice;
    r.seq = seq;
    r.t = sim::SimTime::from_ns(static_cast<int64_t>(seq) * 1'000'000'000);
    r.value = {4.0 + static_cast<double>(seq), 0};
    rs.push_back(r);
  }
  Anchored a;
  a.upload = sensors::make_upload(kDevice, rs, rs.back().t, sensors::device_key(kSeed, kDevice));
  sensors::AnchorBatch batch;
  batch.gateway = kGateway;
  batch.batch_id = 1;
  const std::vector<ledger::Digest> leaves{a.upload.header.leaf()};
  batch.root = ledger::merkle_root(leaves);
  ledger::Transaction tx;
  tx.kind = ledger::TxKind::kSensorAnchor;
  tx.sender = kGateway;
  tx.nonce = 1;
  tx.payload = batch.payload();
  EXPECT_TRUE(state.apply(tx, kFeeAccount));
  a.anchor_tx = tx.id();
  return a;
}

TEST(ContractOracle, ValidReadingAcceptedTamperedRefused) {
  const ContractRegistry reg = registry();
  const Runtime runtime(reg);
  const std::string key = ledger::to_hex(sensors::device_key(kSeed, kDevice).public_key());
  ledger::WorldState s = genesis(reg, {{"device_key", key}});
  const Anchored a = anchor(s);
  const Bytes anchor_id(a.anchor_tx.begin(), a.anchor_tx.end());
  auto submit = [&](const sensors::ReadingProof& p, const Bytes& id, uint64_t nonce) {
    return runtime.call(
        s, call_tx(kAlice, nonce, {100'000, 1, "reading", Args{encode_reading_proof(p), id}}),
        {2, 0}, kFeeAccount);
  };
  const sensors::ReadingProof good = a.proof(1);
  ASSERT_EQ(decode_reading_proof(encode_reading_proof(good))->reading, good.reading);
  const CallResult ok = submit(good, anchor_id, 1);
  ASSERT_TRUE(ok.ok()) << ok.reason;
  ASSERT_EQ(ok.events.size(), 1u);
  EXPECT_EQ(ok.events[0].name, "reading_ok");
  EXPECT_GE(ok.gas_used, gas::kVerifySignature);

  sensors::ReadingProof warmer = good;  // the temperature changed after signing
  warmer.reading.value[0] = 2.0;
  EXPECT_EQ(submit(warmer, anchor_id, 2).reason, "bad_proof");
  sensors::ReadingProof forged = good;  // a header signed by someone else
  forged.header.signature[0] ^= 1;
  EXPECT_EQ(submit(forged, anchor_id, 3).reason, "bad_signature");
  Bytes unknown = anchor_id;  // no such anchor transaction
  unknown[0] ^= 1;
  EXPECT_EQ(submit(good, unknown, 4).reason, "unknown_root");
  sensors::ReadingProof other_batch = good;  // an anchor of another batch
  other_batch.batch_id = 2;
  EXPECT_EQ(submit(other_batch, anchor_id, 5).reason, "unknown_root");
}

}  // namespace
}  // namespace tradesim::contracts
