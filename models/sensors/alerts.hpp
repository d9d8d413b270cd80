// The alert rules of issue 6 over verified readings and scans, each alert stamped with the time
// its evidence became visible on the ledger (the commit of the anchor that holds it), and the
// precision and recall of detection against the run's ground truth.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string_view>
#include <vector>

#include "models/sensors/device.hpp"
#include "models/sensors/reading.hpp"

namespace tradesim::sensors {

enum class Rule : uint8_t {
  kTemperature,     // out of [lo, hi] for longer than a duration
  kShock,           // above a threshold
  kRouteDeviation,  // farther than a distance from the planned route
  kDoorOutsideCheckpoint,
  kMissingScan,  // a checkpoint skipped in the expected sequence
};
std::string_view rule_name(Rule rule);

struct Alert {
  Rule rule;
  uint64_t device;                // the device, or the RFID tag for kMissingScan
  sim::SimTime first_evidence_t;  // the reading (or scan) time at which the rule was broken
  sim::SimTime visible_t;         // when that evidence's anchor committed
};

struct AlertRules {
  double temperature_lo_c = -std::numeric_limits<double>::infinity();
  double temperature_hi_c = std::numeric_limits<double>::infinity();
  sim::Duration temperature_for = sim::Duration::from_ns(30 * sim::units::kMinute);
  double shock_g = std::numeric_limits<double>::infinity();
  double deviation_km = std::numeric_limits<double>::infinity();
  std::map<uint64_t, RoutePosition> planned_routes;      // by device
  std::map<uint64_t, std::vector<Window>> door_windows;  // by device: where opening is allowed
  std::vector<Checkpoint> expected_scans;                // in order, for every tag
};

class AlertEngine {
 public:
  explicit AlertEngine(AlertRules rules) : rules_(std::move(rules)) {}
  // A verified reading, in sequence order per device, visible on the ledger from `visible`.
  void observe(const Reading& reading, sim::SimTime visible);
  // A verified scan, in time order per tag.
  void observe_scan(const RfidScan& scan, sim::SimTime visible);
  const std::vector<Alert>& alerts() const { return alerts_; }

 private:
  struct DeviceState {
    bool temperature_out = false, temperature_alerted = false;
    sim::SimTime out_since, out_since_visible;
    bool off_route = false, door_open = false;
  };
  void raise(Rule rule, uint64_t device, sim::SimTime t, sim::SimTime visible) {
    alerts_.push_back({rule, device, t, visible});
  }
  AlertRules rules_;
  std::map<uint64_t, DeviceState> devices_;
  std::map<uint64_t, size_t> next_scan_;  // by tag: the index of the next expected checkpoint
  std::vector<Alert> alerts_;
};

// Ground truth against alerts, matched by (rule, device): an alert with no true event is a
// false positive, a true event with no alert a false negative.
struct Truth {
  Rule rule;
  uint64_t device;
};
struct DetectionScore {
  uint64_t true_positives = 0, false_positives = 0, false_negatives = 0;
  double precision() const;
  double recall() const;
};
DetectionScore score(const std::vector<Alert>& alerts, const std::vector<Truth>& truth);

}  // namespace tradesim::sensors
