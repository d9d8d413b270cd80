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
    const DeviceId device = u.header.device;
    Order& order = order_[device];
    double to_visible = 0, to_gateway = 0;
    size_t accepted = 0;
    for (const Reading& r : u.readings) {
      if (params_.verify) {
        const Verdict v = auditor_.observe(r);
        if (v == Verdict::kReplayed) {
          // The evidence is the copy's arrival: the reading itself is old.
          once(Finding::kReplay, r.device, visible, visible);
          continue;
        }
        if (v == Verdict::kGap) {
          gap_seen_.emplace(std::pair{r.device, r.seq}, std::pair{r.t, visible});
        }
      }
      if (r.seq < order.next) {
        ++late_;  // the readers gave up waiting for it (or, with no ledger, a replayed copy)
        continue;
      }
      order.held.emplace(r.seq, Held{r, visible});
      to_visible += (visible - r.t).seconds();
      to_gateway += (b.record.closed - r.t).seconds();
      ++accepted;
    }
    // Numbers inside the upload's range that it does not hold will never come: the hub signed
    // the range and the count.
    if (u.header.last_seq - u.header.first_seq + 1 > u.readings.size()) {
      size_t k = 0;
      for (uint64_t seq = u.header.first_seq; seq <= u.header.last_seq; ++seq) {
        while (k < u.readings.size() && u.readings[k].seq < seq) ++k;
        if (k < u.readings.size() && u.readings[k].seq == seq) continue;
        if (seq >= order.next) order.held.emplace(seq, Held{std::nullopt, visible});
      }
    }
    if (accepted > 0) {
      latency_visible_.push_back(static_cast<float>(to_visible / static_cast<double>(accepted)));
      latency_gateway_.push_back(static_cast<float>(to_gateway / static_cast<double>(accepted)));
    }
    drain(device, visible, false);
  }
  for (const RfidScan& s : b.scans) {
    if (params_.verify) {
      const auto key = params_.keys->find(s.scanner);
      if (key == params_.keys->end() || !verify_scan(s, key->second)) continue;
    }
    scan(s, visible);
  }
}

// Readings go to the rules in sequence order, whatever order their batches became visible in: a
// reading waits for the numbers before it, for at most `reorder_wait` (a withheld batch, a
// refused upload: those never come).
void SensorAudit::drain(DeviceId device, sim::SimTime now, bool flush) {
  Order& o = order_[device];
  sim::SimTime at = now;  // when the readers process what is released
  for (;;) {
    while (!o.held.empty() && o.held.begin()->first <= o.next) {
      const auto it = o.held.begin();
      if (it->first == o.next) {
        if (it->second.reading) process(*it->second.reading, std::max(it->second.visible, at));
        ++o.next;
      }
      o.held.erase(it);
    }
    if (o.held.empty()) return;
    // Give up on the missing numbers once the first reading after them has waited long
    // enough; at the end of the run (flush), as of when that would have been.
    const sim::SimTime give_up = o.held.begin()->second.visible + params_.reorder_wait;
    if (!flush && now < give_up) return;
    if (flush) at = std::min(give_up, now);
    o.next = o.held.begin()->first;
  }
}

void SensorAudit::process(const Reading& r, sim::SimTime visible) {
  // Silence: a fitted sensor with nothing for silent_periods of its periods, judged on data in
  // sequence order (so a late batch is not taken for silence).
  auto& last = last_of_kind_[r.device];
  if (last.empty()) {
    for (const auto& [kind, period] : params_.periods) last[kind] = r.t;
  }
  for (const auto& [kind, period] : params_.periods) {
    if (kind != r.kind && r.t - last[kind] > period * params_.silent_periods) {
      once(Finding::kSilentSensor, r.device, r.t, visible);
    }
  }
  last[r.kind] = std::max(last[r.kind], r.t);
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

void SensorAudit::finish(sim::SimTime end) {
  for (auto& [device, order] : order_) drain(device, end, true);
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
