// Alert rules and detection scores (see alerts.hpp).
#include "models/sensors/alerts.hpp"

#include <algorithm>
#include <set>

namespace tradesim::sensors {

std::string_view rule_name(Rule rule) {
  switch (rule) {
    case Rule::kTemperature:
      return "temperature";
    case Rule::kShock:
      return "shock";
    case Rule::kRouteDeviation:
      return "route_deviation";
    case Rule::kDoorOutsideCheckpoint:
      return "door_outside_checkpoint";
    case Rule::kMissingScan:
      return "missing_scan";
  }
  return "?";
}

void AlertEngine::observe(const Reading& r, sim::SimTime visible) {
  DeviceState& d = devices_[r.device];
  switch (r.kind) {
    case ReadingKind::kTemperature: {
      const bool out = r.value[0] < rules_.temperature_lo_c || r.value[0] > rules_.temperature_hi_c;
      if (!out) {
        d.temperature_out = d.temperature_alerted = false;
        break;
      }
      if (!d.temperature_out) {
        d.temperature_out = true;
        d.out_since = r.t;
        d.out_since_visible = visible;
      }
      // The excursion has lasted the duration: the alert needs both ends of the evidence.
      if (!d.temperature_alerted && r.t - d.out_since >= rules_.temperature_for) {
        d.temperature_alerted = true;
        raise(Rule::kTemperature, r.device, r.t, std::max(visible, d.out_since_visible));
      }
      break;
    }
    case ReadingKind::kShock:
      if (r.value[0] > rules_.shock_g) raise(Rule::kShock, r.device, r.t, visible);
      break;
    case ReadingKind::kGps: {
      const auto route = rules_.planned_routes.find(r.device);
      if (route == rules_.planned_routes.end()) break;
      const bool off = route->second.distance_km({r.value[0], r.value[1]}) > rules_.deviation_km;
      if (off && !d.off_route) raise(Rule::kRouteDeviation, r.device, r.t, visible);
      d.off_route = off;
      break;
    }
    case ReadingKind::kDoor: {
      const bool open = r.value[0] != 0;
      if (open && !d.door_open) {
        const auto w = rules_.door_windows.find(r.device);
        const bool allowed = w != rules_.door_windows.end() &&
                             std::any_of(w->second.begin(), w->second.end(),
                                         [&](const Window& x) { return x.contains(r.t); });
        if (!allowed) raise(Rule::kDoorOutsideCheckpoint, r.device, r.t, visible);
      }
      d.door_open = open;
      break;
    }
    case ReadingKind::kHumidity:
    case ReadingKind::kRfid:
      break;
  }
}

// A scan at checkpoint k when the next expected is j < k: checkpoints j..k-1 were skipped.
void AlertEngine::observe_scan(const RfidScan& scan, sim::SimTime visible) {
  const auto& expected = rules_.expected_scans;
  const auto pos = std::find(expected.begin(), expected.end(), scan.checkpoint);
  if (pos == expected.end()) return;
  const size_t k = static_cast<size_t>(pos - expected.begin());
  size_t& next = next_scan_[scan.tag];
  if (k > next) raise(Rule::kMissingScan, scan.tag, scan.t, visible);
  next = std::max(next, k + 1);
}

double DetectionScore::precision() const {
  const uint64_t flagged = true_positives + false_positives;
  return flagged == 0 ? 1.0 : static_cast<double>(true_positives) / static_cast<double>(flagged);
}

double DetectionScore::recall() const {
  const uint64_t real = true_positives + false_negatives;
  return real == 0 ? 1.0 : static_cast<double>(true_positives) / static_cast<double>(real);
}

DetectionScore score(const std::vector<Alert>& alerts, const std::vector<Truth>& truth) {
  std::set<std::pair<Rule, uint64_t>> raised, real;
  for (const Alert& a : alerts) raised.insert({a.rule, a.device});
  for (const Truth& t : truth) real.insert({t.rule, t.device});
  DetectionScore s;
  for (const auto& r : raised) (real.count(r) ? s.true_positives : s.false_positives) += 1;
  for (const auto& r : real) s.false_negatives += raised.count(r) ? 0 : 1;
  return s;
}

}  // namespace tradesim::sensors
