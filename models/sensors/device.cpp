// Sensor hubs and the simple physical models that drive them (see device.hpp).
#include "models/sensors/device.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/logistics/routes.hpp"
#include "sim/engine.hpp"

namespace tradesim::sensors {

RoutePosition::RoutePosition(std::vector<Waypoint> waypoints) : waypoints_(std::move(waypoints)) {
  for (size_t i = 1; i < waypoints_.size(); ++i) {
    if (waypoints_[i].t < waypoints_[i - 1].t) {
      throw std::invalid_argument("route: waypoint times must ascend");
    }
  }
}

Position RoutePosition::at(sim::SimTime t) const {
  if (waypoints_.empty()) return {};
  if (t <= waypoints_.front().t) return {waypoints_.front().lat, waypoints_.front().lon};
  if (t >= waypoints_.back().t) return {waypoints_.back().lat, waypoints_.back().lon};
  const auto next = std::upper_bound(waypoints_.begin(), waypoints_.end(), t,
                                     [](sim::SimTime x, const Waypoint& w) { return x < w.t; });
  const Waypoint& b = *next;
  const Waypoint& a = *(next - 1);
  const double f = (t - a.t).seconds() / (b.t - a.t).seconds();
  return {a.lat + f * (b.lat - a.lat), a.lon + f * (b.lon - a.lon)};
}

// The closest point of each leg in a local equirectangular projection (longitude scaled by the
// cosine of the leg's mean latitude), then the haversine distance to it: exact on the equator
// and along meridians, and close elsewhere for legs much shorter than the Earth's radius.
double RoutePosition::distance_km(Position p) const {
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < waypoints_.size(); ++i) {
    const Waypoint& a = waypoints_[i];
    const Waypoint& b = i + 1 < waypoints_.size() ? waypoints_[i + 1] : a;
    const double k = std::cos((a.lat + b.lat) * 0.5 * 3.14159265358979323846 / 180.0);
    const double dx = (b.lon - a.lon) * k, dy = b.lat - a.lat;
    const double px = (p.lon - a.lon) * k, py = p.lat - a.lat;
    const double len2 = dx * dx + dy * dy;
    const double f = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0, 1.0) : 0.0;
    best = std::min(best, logistics::haversine_km(p.lat, p.lon, a.lat + f * (b.lat - a.lat),
                                                  a.lon + f * (b.lon - a.lon)));
  }
  return best;
}

// Piecewise linear: towards the ambient temperature while unpowered, back to the setpoint while
// powered, never past either.
double ReeferModel::temperature_c(sim::SimTime t) const {
  const ReeferParams& p = params_;
  double temp = p.setpoint_c;
  sim::SimTime cursor = sim::SimTime::zero();
  const auto cool = [&](sim::SimTime until) {
    if (until <= cursor) return;
    const double h = (until - cursor).hours();
    temp = temp > p.setpoint_c ? std::max(p.setpoint_c, temp - p.cooling_c_per_h * h)
                               : std::min(p.setpoint_c, temp + p.cooling_c_per_h * h);
    cursor = until;
  };
  for (const Window& off : p.power_off) {
    if (off.from >= t) break;
    cool(off.from);
    const sim::SimTime end = std::min(off.to, t);
    const double h = (end - std::max(cursor, off.from)).hours();
    temp = p.ambient_c > temp ? std::min(p.ambient_c, temp + p.warming_c_per_h * h)
                              : std::max(p.ambient_c, temp - p.warming_c_per_h * h);
    cursor = end;
  }
  cool(t);
  return temp;
}

bool ReeferModel::door_opened(sim::SimTime from, sim::SimTime to) const {
  for (const Window& w : params_.door_open) {
    if (w.from <= to && w.to > from) return true;
  }
  return false;
}

double ReeferModel::peak_shock_g(sim::SimTime from, sim::SimTime to) const {
  double peak = 0;
  for (const auto& s : params_.shocks) {
    if (s.t > from && s.t <= to) peak = std::max(peak, s.g);
  }
  return peak;
}

SensorHub::SensorHub(HubParams params, uint64_t run_seed, const PhysicalState* physical,
                     sim::NodeId gateway, Conservation* counts)
    : params_(std::move(params)),
      key_(device_key(run_seed, params_.device)),
      // A key nobody registered: derived under the device id's complement.
      fake_key_(device_key(run_seed ^ 0x5eed5eed5eed5eedULL, ~params_.device)),
      physical_(physical),
      gateway_(gateway),
      counts_(counts) {
  if (physical_ == nullptr || counts_ == nullptr) {
    throw std::invalid_argument("sensor hub: no physical state or counters");
  }
  for (const SensorSpec& s : params_.sensors) {
    if (s.period <= sim::Duration::zero()) throw std::invalid_argument("sensor: period <= 0");
    sensors_.push_back({s, {}, {}, false});
  }
  if (params_.upload_period <= sim::Duration::zero()) {
    throw std::invalid_argument("sensor hub: upload period <= 0");
  }
}

void SensorHub::on_start(sim::Context& ctx) {
  start_ = std::max(ctx.now(), params_.start);
  for (size_t i = 0; i < sensors_.size(); ++i) {
    sensors_[i].last_sample = start_;
    sensors_[i].next_due = start_ + sensors_[i].spec.period;
    ctx.set_timer(sensors_[i].next_due - ctx.now(), i);
  }
  ctx.set_timer(start_ + params_.upload_period - ctx.now(), kUploadTag);
}

void SensorHub::on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) {
  if ((tag & kUploadTag) != 0) {
    upload(ctx);
    if (tag == kUploadTag && ctx.now() < params_.stop) {
      ctx.set_timer(params_.upload_period, kUploadTag);
    }
    return;
  }
  // Samples keep to their schedule (due times), even when a timer waited behind the hub's CPU.
  SensorState& s = sensors_[tag];
  if (s.next_due > params_.stop) return;
  sample(ctx, static_cast<size_t>(tag));
  s.next_due += s.spec.period;
  if (s.next_due <= params_.stop) {
    ctx.set_timer(std::max(sim::Duration::zero(), s.next_due - ctx.now()), tag);
  } else {
    // The last sample was taken: upload what is left at the stop time.
    ctx.set_timer(std::max(sim::Duration::zero(), params_.stop - ctx.now()),
                  kUploadTag | (tag + 1));
  }
}

void SensorHub::sample(sim::Context& ctx, size_t index) {
  SensorState& s = sensors_[index];
  DeviceCounts& counts = counts_->device(params_.device);
  ++counts.samples_due;
  const sim::SimTime now = ctx.now();
  if (!s.failed && s.spec.failure_per_sample > 0 &&
      ctx.rng().bernoulli(s.spec.failure_per_sample)) {
    s.failed = true;
  }
  if (s.failed) {
    ++counts.lost[static_cast<size_t>(LossCause::kFailure)];
    return;
  }
  if (battery_used_ + 1 > params_.battery_samples) {
    ++counts.lost[static_cast<size_t>(LossCause::kBattery)];
    return;
  }
  battery_used_ += 1;
  Reading r;
  r.device = params_.device;
  r.seq = ++seq_;
  r.kind = s.spec.kind;
  r.t = now;
  const double drift = s.spec.drift_per_day * (now - start_).seconds() / 86400.0;
  const auto noisy = [&](double x) {
    return x + drift + (s.spec.noise_sd > 0 ? ctx.rng().normal(0, s.spec.noise_sd) : 0.0);
  };
  switch (s.spec.kind) {
    case ReadingKind::kGps: {
      const Position p = physical_->position(now);
      r.value = {noisy(p.lat), noisy(p.lon)};
      break;
    }
    case ReadingKind::kTemperature:
      r.value[0] = noisy(physical_->temperature_c(now));
      break;
    case ReadingKind::kHumidity:
      r.value[0] = noisy(physical_->humidity_pct(now));
      break;
    case ReadingKind::kShock:
      r.value[0] = noisy(physical_->peak_shock_g(s.last_sample, now));
      break;
    case ReadingKind::kDoor:
      r.value[0] = physical_->door_opened(s.last_sample, now) ? 1 : 0;
      break;
    case ReadingKind::kRfid:
      r.value[0] = static_cast<double>(params_.device);
      break;
  }
  s.last_sample = now;
  ++counts.produced;
  if (params_.keep_produced) produced_.push_back(r);
  if (fault_ == HubFault::kSuppress && r.kind == ReadingKind::kTemperature &&
      (r.value[0] < suppress_lo_ || r.value[0] > suppress_hi_)) {
    ++counts.lost[static_cast<size_t>(LossCause::kSuppressed)];
    return;
  }
  if ((fault_ == HubFault::kStolenKey || fault_ == HubFault::kFakeKey) &&
      r.kind == ReadingKind::kTemperature) {
    r.value[0] = suppress_lo_;  // a forged, reassuring value under the real key or a fake one
  }
  buffer_.push_back(r);
  ++counts.in_hub_buffer;
}

void SensorHub::set_gateway(sim::Context& ctx, sim::NodeId gateway) {
  gateway_ = gateway;
  if (gateway_ != kNoGateway && !buffer_.empty()) upload(ctx);
}

// One signed upload of the buffer to the gateway in reach; the link may lose it.
void SensorHub::upload(sim::Context& ctx) {
  if (gateway_ == kNoGateway || buffer_.empty()) return;
  DeviceCounts& counts = counts_->device(params_.device);
  const uint64_t n = buffer_.size();
  const ledger::KeyPair& key = fault_ == HubFault::kFakeKey ? fake_key_ : key_;
  ctx.charge(params_.sign_cost);
  UploadMsg msg{
      make_upload(params_.device, std::move(buffer_), ctx.now(), key, last_uploaded_ + 1)};
  last_uploaded_ = msg.upload.header.last_seq;
  buffer_.clear();
  counts.in_hub_buffer -= n;
  ++uploads_sent_;
  const uint32_t bytes = msg.upload.wire_size();
  if (!first_upload_) first_upload_ = msg;
  if (fault_ == HubFault::kReplay && first_upload_->upload.header.sent < ctx.now()) {
    counts.replayed += first_upload_->upload.readings.size();
    ctx.send(gateway_, sim::Message::make(*first_upload_, first_upload_->upload.wire_size()),
             {.delay = params_.link_latency});
  }
  if (params_.link_loss > 0 && ctx.rng().bernoulli(params_.link_loss)) {
    counts.lost[static_cast<size_t>(LossCause::kLink)] += n;
    return;
  }
  // The network (when the engine has sites) may drop it too.
  if (ctx.send(gateway_, sim::Message::make(std::move(msg), bytes),
               {.delay = params_.link_latency})) {
    counts.sent += n;
  } else {
    counts.lost[static_cast<size_t>(LossCause::kLink)] += n;
  }
}

}  // namespace tradesim::sensors
