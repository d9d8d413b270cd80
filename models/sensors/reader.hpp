// Reading a sensor record back (issue 6): a reader fetches a reading with its proofs from a
// gateway's store and checks it against the root anchored on the ledger and the device key;
// a ReadingAuditor follows each device's sequence numbers to find replays and gaps.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "models/sensors/gateway.hpp"

namespace tradesim::sensors {

enum class Verdict : uint8_t {
  kOk,
  kBadSignature,  // the upload header's signature is not the device key's
  kBadProof,      // the reading is not in the signed upload, or the upload not in the batch
  kUnknownRoot,   // no anchor on the ledger for the proof's batch
  kReplayed,      // a sequence number seen before (auditor)
  kGap,           // valid, but sequence numbers before it are missing (auditor)
};
std::string_view verdict_name(Verdict v);

// The anchors visible on the ledger: (gateway, batch id) -> root, and when it committed.
struct AnchoredRoot {
  ledger::Digest root{};
  sim::SimTime committed;
  uint64_t height = 0;
};
class AnchorIndex {
 public:
  void add(sim::NodeId gateway, uint64_t batch_id, AnchoredRoot anchored) {
    roots_[{gateway, batch_id}] = anchored;
  }
  // Records a gateway's anchored batch (a GatewayObserver::anchored callback).
  void add(const StoredBatch& b) {
    add(b.record.gateway, b.record.batch_id, {b.record.root, b.anchored, b.height});
  }
  const AnchoredRoot* find(sim::NodeId gateway, uint64_t batch_id) const {
    const auto it = roots_.find({gateway, batch_id});
    return it == roots_.end() ? nullptr : &it->second;
  }
  size_t size() const { return roots_.size(); }

 private:
  std::map<std::pair<sim::NodeId, uint64_t>, AnchoredRoot> roots_;
};

// Stateless checks, in this order: the root is anchored; the header's signature under the
// device key; the reading's path to the header's readings root (and its device and sequence
// number within the header's range); the header's path to the anchored root.
Verdict verify_reading(const Reading& reading, const ReadingProof& proof,
                       const std::optional<ledger::Digest>& anchored_root,
                       const ledger::PublicKey& device_key);
Verdict verify_scan(const ScanProof& proof, const std::optional<ledger::Digest>& anchored_root,
                    const ledger::PublicKey& scanner_key);

// Per device: the highest sequence number seen and the ranges still missing below it. A
// missing number that arrives later (store and forward through another gateway) fills its gap;
// a number seen before is a replay.
class ReadingAuditor {
 public:
  struct Gap {
    DeviceId device;
    uint64_t first_seq, last_seq;
  };
  // kOk, kReplayed, or kGap when numbers before this one are missing (the reading itself is
  // accepted).
  Verdict observe(const Reading& reading);
  // The ranges still missing, by device then sequence.
  std::vector<Gap> gaps() const;
  uint64_t replays() const { return replays_; }
  uint64_t highest(DeviceId device) const;

 private:
  struct DeviceSeq {
    uint64_t highest = 0;
    std::map<uint64_t, uint64_t> missing;  // first -> last, disjoint
  };
  std::map<DeviceId, DeviceSeq> devices_;
  uint64_t replays_ = 0;
};

}  // namespace tradesim::sensors
