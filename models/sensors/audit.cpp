#include "models/sensors/audit.hpp"

#include <algorithm>
#include <cmath>

namespace tradesim::sensors {

std::string_view finding_name(Finding f) {
  switch (f) {
    case Finding::kTemperature:
      return "temperature";
    case Finding::kShock:
      return "shock";
    case Finding::kRouteDeviation:
      return "route_deviation";
    case Finding::kDoor:
      return "door";
    case Finding::kMissingScan:
      return "missing_scan";
    case Finding::kBadSignature:
      return "bad_signature";
    case Finding::kReplay:
      return "replay";
    case Finding::kGap:
      return "gap";
    case Finding::kSilentSensor:
      return "silent_sensor";
    case Finding::kTagMismatch:
      return "tag_mismatch";
    case Finding::kInspection:
      return "inspection";
  }
  return "?";
}

namespace {

double haversine_km(Position a, Position b) {
  constexpr double kEarthKm = 6371.0;
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (b.lat - a.lat) * kRad, dlon = (b.lon - a.lon) * kRad;
  const double h =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(a.lat * kRad) * std::cos(b.lat * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthKm * std::asin(std::min(1.0, std::sqrt(h)));
}

Finding finding_of(Rule rule) {
  switch (rule) {
    case Rule::kTemperature:
      return Finding::kTemperature;
    case Rule::kShock:
      return Finding::kShock;
    case Rule::kRouteDeviation:
      return Finding::kRouteDeviation;
    case Rule::kDoorOutsideCheckpoint:
      return Finding::kDoor;
    case Rule::kMissingScan:
      return Finding::kMissingScan;
  }
  return Finding::kTemperature;
}

}  // namespace

SensorAudit::SensorAudit(AuditParams params) : params_(std::move(params)), alerts_(params_.rules) {}

void SensorAudit::once(Finding f, uint64_t subject, sim::SimTime evidence, sim::SimTime visible) {
  if (reported_.emplace(std::pair{static_cast<uint8_t>(f), subject}, true).second) {
    detections_.push_back({f, subject, evidence, visible});
  }
}

// The alert engine's new alerts. Batches may become visible out of order (two anchors in flight,
// a store-and-forward gateway), which can split one event into two alerts: an alert of the same
// rule and subject within kSameEvent of the last one is the same event.
void SensorAudit::take_alerts() {
  static constexpr sim::Duration kSameEvent = sim::Duration::from_ns(2 * sim::units::kHour);
  for (; alerts_seen_ < alerts_.alerts().size(); ++alerts_seen_) {
    const Alert& a = alerts_.alerts()[alerts_seen_];
    const Finding f = finding_of(a.rule);
    auto [it, fresh] =
        last_alert_.try_emplace(std::pair{static_cast<uint8_t>(f), a.device}, a.first_evidence_t);
    if (!fresh) {
      const sim::SimTime before = it->second;
      it->second = a.first_evidence_t;
      const sim::Duration apart =
          a.first_evidence_t > before ? a.first_evidence_t - before : before - a.first_evidence_t;
      if (apart < kSameEvent) continue;
    }
    detections_.push_back({f, a.device, a.first_evidence_t, a.visible_t});
  }
}

void SensorAudit::on_rejected(DeviceId device, sim::SimTime at) {
  once(Finding::kBadSignature, device, at, at);
}

void SensorAudit::on_anchored(const StoredBatch& b, const ledger::Digest& anchored_root,
                              sim::SimTime visible) {
  if (params_.verify) {
    // The reader rebuilds the batch's tree from what the gateway serves: a root that differs
    // from the anchored one discredits the whole batch.
    std::vector<ledger::Digest> leaves;
    leaves.reserve(b.uploads.size() + b.scans.size());
    for (const Upload& u : b.uploads) leaves.push_back(u.header.leaf());
    for (const RfidScan& s : b.scans) leaves.push_back(s.leaf());
    if (ledger::merkle_root(leaves) != anchored_root) {
      ++batches_failed_;
      failed_ += b.record.readings;
      return;
    }
  }
  for (const Upload& u : b.uploads) {
    if (params_.verify) {
      const auto key = params_.keys->find(u.header.device);
      if (key == params_.keys->end() || !verify_upload(u, key->second, params_.memo)) {
        failed_ += u.readings.size();
        once(Finding::kBadSignature, u.header.device, u.header.sent, visible);
        continue;
      }
      verified_ += u.readings.size();
    }
    if (u.readings.empty()) continue;
    // Silence is judged only on data with nothing missing before it (a store-and-forward
    // gateway may deliver older readings later).
    const DeviceId device = u.header.device;
    auto& last = last_of_kind_[device];
    const bool contiguous =
        auditor_.highest(device) == 0 || auditor_.highest(device) + 1 >= u.header.first_seq;
    double to_visible = 0, to_gateway = 0;
    uint32_t present = 0;  // bit per kind
    for (const Reading& r : u.readings) {
      to_visible += (visible - r.t).seconds();
      to_gateway += (b.record.closed - r.t).seconds();
      present |= 1u << static_cast<uint32_t>(r.kind);
      reading(r, visible);
    }
    latency_visible_.push_back(static_cast<float>(to_visible / u.readings.size()));
    latency_gateway_.push_back(static_cast<float>(to_gateway / u.readings.size()));
    const sim::SimTime end = u.readings.back().t;
    if (contiguous && last.count(ReadingKind::kRfid) != 0) {  // kRfid: the device's first time
      for (const auto& [kind, period] : params_.periods) {
        if ((present & (1u << static_cast<uint32_t>(kind))) != 0) continue;
        const auto seen = last.find(kind);
        const sim::SimTime since = seen != last.end() ? seen->second : last[ReadingKind::kRfid];
        if (end - since > period * params_.silent_periods) {
          once(Finding::kSilentSensor, device, end, visible);
        }
      }
    }
    for (const Reading& r : u.readings) {
      auto& t = last[r.kind];
      t = std::max(t, r.t);
    }
    if (last.count(ReadingKind::kRfid) == 0) last[ReadingKind::kRfid] = u.readings.front().t;
  }
  for (const RfidScan& s : b.scans) {
    if (params_.verify) {
      const auto key = params_.keys->find(s.scanner);
      if (key == params_.keys->end() || !verify_scan(s, key->second)) continue;
    }
    scan(s, visible);
  }
}

void SensorAudit::reading(const Reading& r, sim::SimTime visible) {
  if (params_.verify) {
    const Verdict v = auditor_.observe(r);
    if (v == Verdict::kReplayed) {
      once(Finding::kReplay, r.device, r.t, visible);
      return;
    }
    if (v == Verdict::kGap) gap_seen_.emplace(std::pair{r.device, r.seq}, std::pair{r.t, visible});
  }
  if (params_.on_reading) params_.on_reading(r, visible);
  alerts_.observe(r, visible);
  take_alerts();
  if (r.kind == ReadingKind::kGps) {
    auto& fixes = fixes_[r.device];
    const Fix fix{r.t, visible, {r.value[0], r.value[1]}};
    const auto at = std::upper_bound(fixes.begin(), fixes.end(), r.t,
                                     [](sim::SimTime t, const Fix& f) { return t < f.t; });
    fixes.insert(at, fix);
    auto& waiting = waiting_[r.device];
    for (size_t i = 0; i < waiting.size();) {
      if (waiting[i].scan.t <= r.t) {
        check_tag(waiting[i], *nearest_fix(r.device, waiting[i].scan.t));
        waiting.erase(waiting.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }
}

std::optional<SensorAudit::Fix> SensorAudit::nearest_fix(DeviceId device, sim::SimTime t) const {
  const auto it = fixes_.find(device);
  if (it == fixes_.end() || it->second.empty()) return std::nullopt;
  const auto& fixes = it->second;
  const auto after = std::lower_bound(fixes.begin(), fixes.end(), t,
                                      [](const Fix& f, sim::SimTime x) { return f.t < x; });
  if (after == fixes.begin()) return *after;
  if (after == fixes.end()) return fixes.back();
  const auto before = std::prev(after);
  return (t - before->t) <= (after->t - t) ? *before : *after;
}

void SensorAudit::scan(const RfidScan& s, sim::SimTime visible) {
  alerts_.observe_scan(s, visible);
  take_alerts();
  const auto bound = params_.tag_container.find(s.tag);
  if (bound == params_.tag_container.end() || !params_.verify) return;
  const PendingScan pending{s, visible};
  const auto fixes = fixes_.find(bound->second);
  if (fixes != fixes_.end() && !fixes->second.empty() && fixes->second.back().t >= s.t) {
    check_tag(pending, *nearest_fix(bound->second, s.t));
  } else {
    waiting_[bound->second].push_back(pending);
  }
}

void SensorAudit::check_tag(const PendingScan& s, const Fix& fix) {
  const auto where = params_.scanner_position.find(s.scan.scanner);
  if (where == params_.scanner_position.end()) return;
  if (haversine_km(where->second, fix.p) > params_.mismatch_km) {
    once(Finding::kTagMismatch, s.scan.tag, s.scan.t, std::max(s.visible, fix.visible));
  }
}

void SensorAudit::finish(sim::SimTime) {
  for (auto& [device, waiting] : waiting_) {
    for (const PendingScan& s : waiting) {
      if (const auto fix = nearest_fix(device, s.scan.t)) check_tag(s, *fix);
    }
    waiting.clear();
  }
  if (!params_.verify) return;
  for (const ReadingAuditor::Gap& g : auditor_.gaps()) {
    // Revealed by the first reading after it (the earliest such record at or after last + 1).
    const auto seen = gap_seen_.lower_bound({g.device, g.last_seq + 1});
    if (seen == gap_seen_.end() || seen->first.first != g.device) continue;
    once(Finding::kGap, g.device, seen->second.first, seen->second.second);
  }
}

}  // namespace tradesim::sensors
