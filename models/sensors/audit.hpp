// The readers of a sensor run (issue 6): banks, customs and consignees read every batch as soon
// as its anchor is visible, check it against the anchored root and the registered keys, follow
// each device's sequence numbers, and run the alert rules. With no ledger they read the
// carrier's platform database as served: nothing is signed for them, so only the physical rules
// apply. Each finding is stamped with the time its evidence became visible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "models/sensors/alerts.hpp"
#include "models/sensors/gateway.hpp"
#include "models/sensors/reader.hpp"

namespace tradesim::sensors {

enum class Finding : uint8_t {
  kTemperature,     // alert rule: out of range for longer than the rule's duration
  kShock,           // alert rule
  kRouteDeviation,  // alert rule
  kDoor,            // alert rule: door opened outside a checkpoint
  kMissingScan,     // alert rule: a checkpoint skipped (subject: the tag)
  kBadSignature,    // a gateway refused a device's upload (fake or wrong key)
  kReplay,          // a sequence number seen before
  kGap,             // sequence numbers still missing at the end of the run
  kSilentSensor,    // a fitted sensor sent nothing for several of its periods
  kTagMismatch,     // a tag scanned far from the container it was sealed in (subject: the tag)
  kInspection,      // no ledger: a customs inspection found other goods (subject: the tag)
};
inline constexpr size_t kFindingCount = 11;
std::string_view finding_name(Finding f);

struct Detection {
  Finding finding;
  uint64_t subject;         // device, or tag
  sim::SimTime evidence_t;  // the reading or scan time of the evidence
  sim::SimTime visible_t;   // when the evidence could be read
};

struct AuditParams {
  // Ledger: signatures, Merkle roots and sequence numbers are checked. No ledger: readings are
  // taken as the platform serves them.
  bool verify = true;
  AlertRules rules;
  // The sampling period of each fitted sensor kind (all hubs of a run carry the same set).
  std::map<ReadingKind, sim::Duration> periods;
  int silent_periods = 3;
  double mismatch_km = 50;                        // tag scanned this far from its container
  std::map<uint64_t, DeviceId> tag_container;     // the container each tag was sealed in
  std::map<DeviceId, Position> scanner_position;  // where each scanner stands
  const KeyDirectory* keys = nullptr;
  ledger::VerificationMemo* memo = nullptr;
  // A reading waits at most this long (in visibility time) for the numbers before it.
  sim::Duration reorder_wait = sim::Duration::from_ns(6 * sim::units::kHour);
  // Every reading the readers accept (ledger: verified and not a replay), when it is visible.
  std::function<void(const Reading&, sim::SimTime visible)> on_reading;
};

class SensorAudit {
 public:
  explicit SensorAudit(AuditParams params);

  // A batch whose anchor is visible from `visible` (no ledger: stored by the platform), with the
  // root the chain holds for it.
  void on_anchored(const StoredBatch& batch, const ledger::Digest& anchored_root,
                   sim::SimTime visible);
  // A gateway refused an upload of `device` at `at` (its signature did not verify).
  void on_rejected(DeviceId device, sim::SimTime at);
  // A finding made outside the data (a customs inspection).
  void add(Detection d) { detections_.push_back(d); }
  // Closes the run: the sequence gaps still open become findings, tag checks still waiting for a
  // position use the nearest one known.
  void finish(sim::SimTime end);

  const std::vector<Detection>& detections() const { return detections_; }
  uint64_t readings_verified() const { return verified_; }
  uint64_t readings_failed() const { return failed_; }
  uint64_t batches_failed() const { return batches_failed_; }
  uint64_t replays() const { return auditor_.replays(); }
  // Readings that came after the readers gave up waiting for them (no ledger: also replayed
  // copies): not run through the rules.
  uint64_t readings_late() const { return late_; }
  // Per upload: the mean time from sensing its readings to their anchor being visible, s.
  const std::vector<float>& latency_to_visible_s() const { return latency_visible_; }
  // Per upload: the mean time from sensing its readings to the upload's arrival in a batch, s.
  const std::vector<float>& latency_to_gateway_s() const { return latency_gateway_; }

 private:
  struct PendingScan {
    RfidScan scan;
    sim::SimTime visible;
  };
  struct Fix {
    sim::SimTime t, visible;
    Position p;
  };
  struct Held {
    std::optional<Reading> reading;  // none: a number the upload's range shows will never come
    sim::SimTime visible;
  };
  struct Order {
    uint64_t next = 1;  // the next sequence number to process
    std::map<uint64_t, Held> held;
  };
  void drain(DeviceId device, sim::SimTime now, bool flush);
  void process(const Reading& r, sim::SimTime visible);
  void scan(const RfidScan& s, sim::SimTime visible);
  void check_tag(const PendingScan& s, const Fix& fix);
  void take_alerts();
  void once(Finding f, uint64_t subject, sim::SimTime evidence, sim::SimTime visible);
  std::optional<Fix> nearest_fix(DeviceId device, sim::SimTime t) const;

  AuditParams params_;
  ReadingAuditor auditor_;
  AlertEngine alerts_;
  size_t alerts_seen_ = 0;
  std::vector<Detection> detections_;
  std::map<std::pair<uint8_t, uint64_t>, bool> reported_;  // (finding, subject) already found
  std::map<std::pair<uint8_t, uint64_t>, sim::SimTime> last_alert_;  // evidence of the last one
  std::map<DeviceId, Order> order_;
  std::map<DeviceId, std::map<ReadingKind, sim::SimTime>> last_of_kind_;
  std::map<DeviceId, std::vector<Fix>> fixes_;  // GPS readings, by time
  std::map<DeviceId, std::vector<PendingScan>> waiting_;
  // The readings that revealed missing numbers before them: (device, seq) -> (t, visible).
  std::map<std::pair<DeviceId, uint64_t>, std::pair<sim::SimTime, sim::SimTime>> gap_seen_;
  uint64_t verified_ = 0, failed_ = 0, batches_failed_ = 0, late_ = 0;
  std::vector<float> latency_visible_, latency_gateway_;
};

}  // namespace tradesim::sensors
