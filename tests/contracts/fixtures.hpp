// Test fixtures for the contract library: a world state with the library deployed, calls with
// one block per call, and anchored sensor evidence (temperature readings and an RFID scan).
#pragma once

#include <map>
#include <string>

#include "models/contracts/library.hpp"
#include "models/contracts/oracle.hpp"

namespace tradesim::contracts::testing {

inline constexpr uint64_t kFeeAccount = 1;
inline constexpr uint64_t kSeed = 21, kSensor = 7001, kScanner = 7002, kGateway = 90;
inline constexpr int64_t kDayNs = int64_t{86'400} * 1'000'000'000;

inline std::string key_hex(uint64_t device) {
  return ledger::to_hex(sensors::device_key(kSeed, device).public_key());
}

struct Ledger {
  ContractRegistry registry;
  Runtime runtime{registry};
  ledger::WorldState state;
  std::map<uint64_t, uint64_t> nonces;
  uint64_t height = 0;
  int64_t now_ns = 0;
  uint64_t gas_limit = 200'000;

  Ledger() { add_library(registry); }
  void deploy(std::string_view type, uint64_t account, Params params) {
    registry.deploy(state, type, account, std::move(params));
  }
  CallResult call(uint64_t sender, uint64_t contract, std::string method, Args args = {},
                  int64_t value = 0) {
    ledger::Transaction tx;
    tx.kind = ledger::TxKind::kContractCall;
    tx.sender = sender;
    tx.nonce = ++nonces[sender];
    tx.recipient = contract;
    tx.amount = value;
    tx.payload = encode_call({gas_limit, 1, std::move(method), std::move(args)});
    return runtime.call(state, tx, {++height, now_ns}, kFeeAccount);
  }
  std::string query(uint64_t contract, std::string method, Args args = {}) {
    return runtime.query(state, contract, method, args, 0, {height, now_ns}).output;
  }
  int64_t total() const {
    int64_t sum = 0;
    state.for_each_prefix(
        "balance/", [&](const std::string&, const auto& entry) { sum += std::stoll(entry.value); });
    return sum;
  }
};

// One anchored gateway batch: an upload of temperature readings of kSensor (seq 1..n, the given
// values, taken at first_ns, first_ns + step_ns, ...) and a scan of `tag` at `checkpoint` by
// kScanner at the time of the last reading.
struct Evidence {
  sensors::Upload upload;
  sensors::RfidScan scan;
  std::vector<ledger::Digest> leaves;
  Bytes anchor;  // the anchor transaction's id
  uint64_t batch_id;

  Bytes reading(size_t i) const {
    sensors::ReadingProof p;
    p.reading = upload.readings[i];
    p.header = upload.header;
    p.in_upload = sensors::reading_path(upload, i);
    p.in_batch = ledger::merkle_proof(leaves, 0);
    p.gateway = kGateway;
    p.batch_id = batch_id;
    return encode_reading_proof(p);
  }
  Bytes scan_proof() const {
    sensors::ScanProof p;
    p.scan = scan;
    p.in_batch = ledger::merkle_proof(leaves, 1);
    p.gateway = kGateway;
    p.batch_id = batch_id;
    return encode_scan_proof(p);
  }
  // scan, anchor, then each reading with the anchor: the arguments of escrow.deliver.
  Args delivery() const {
    std::vector<Value> v{scan_proof(), anchor};
    for (size_t i = 0; i < upload.readings.size(); ++i) {
      v.emplace_back(reading(i));
      v.emplace_back(anchor);
    }
    return Args(std::move(v));
  }
};

inline Evidence anchor_evidence(ledger::WorldState& state, const std::vector<double>& temps,
                                uint64_t tag, sensors::Checkpoint checkpoint, uint64_t batch_id = 1,
                                int64_t first_ns = 60'000'000'000,
                                int64_t step_ns = 60'000'000'000) {
  Evidence e;
  e.batch_id = batch_id;
  std::vector<sensors::Reading> rs;
  for (size_t i = 0; i < temps.size(); ++i) {
    sensors::Reading r;
    r.device = kSensor;
    r.seq = i + 1;
    r.t = sim::SimTime::from_ns(first_ns + static_cast<int64_t>(i) * step_ns);
    r.value = {temps[i], 0};
    rs.push_back(r);
  }
  e.upload = sensors::make_upload(kSensor, rs, rs.back().t, sensors::device_key(kSeed, kSensor));
  e.scan = sensors::make_scan(tag, kScanner, checkpoint, rs.back().t,
                              sensors::device_key(kSeed, kScanner));
  e.leaves = {e.upload.header.leaf(), e.scan.leaf()};
  sensors::AnchorBatch batch;
  batch.gateway = kGateway;
  batch.batch_id = batch_id;
  batch.root = ledger::merkle_root(e.leaves);
  ledger::Transaction tx;
  tx.kind = ledger::TxKind::kSensorAnchor;
  tx.sender = kGateway;
  tx.nonce = batch_id;
  tx.payload = batch.payload();
  state.apply(tx, kFeeAccount);
  const ledger::Digest id = tx.id();
  e.anchor.assign(id.begin(), id.end());
  return e;
}

}  // namespace tradesim::contracts::testing
