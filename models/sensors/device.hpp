// A container's sensor hub (issue 6): sensors sampling the container's physical state with
// noise, drift, battery drain and failures, and signed uploads of the readings since the last
// upload to the hub's current gateway. The physical state is an interface so that the trade
// world's shipments can drive it later; ReeferModel and RoutePosition are simple stand-ins.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "models/ledger/crypto.hpp"
#include "models/sensors/conservation.hpp"
#include "models/sensors/reading.hpp"
#include "sim/node.hpp"

namespace tradesim::sensors {

struct Position {
  double lat = 0, lon = 0;  // degrees
};

// A time interval [from, to).
struct Window {
  sim::SimTime from, to;
  bool contains(sim::SimTime t) const { return from <= t && t < to; }
};

// What the sensors of one container can observe.
class PhysicalState {
 public:
  virtual ~PhysicalState() = default;
  virtual Position position(sim::SimTime t) const = 0;
  virtual double temperature_c(sim::SimTime t) const = 0;  // inside the container
  virtual double humidity_pct(sim::SimTime) const { return 60; }
  // Whether the door was open at some time in (from, to]: a door sensor latches openings.
  virtual bool door_opened(sim::SimTime from, sim::SimTime to) const = 0;
  // The peak acceleration in (from, to], g: an accelerometer holds its peak between samples.
  virtual double peak_shock_g(sim::SimTime from, sim::SimTime to) const = 0;
};

// Position along (time, lat, lon) waypoints, linear in latitude and longitude between them
// (adequate for legs much shorter than the Earth's radius); before the first and after the last
// waypoint the container is at that waypoint.
class RoutePosition {
 public:
  struct Waypoint {
    sim::SimTime t;
    double lat, lon;
  };
  RoutePosition() = default;
  // Throws std::invalid_argument unless the times are ascending.
  explicit RoutePosition(std::vector<Waypoint> waypoints);
  Position at(sim::SimTime t) const;
  const std::vector<Waypoint>& waypoints() const { return waypoints_; }
  // The distance (km, haversine) from `p` to the closest point of the route's polyline.
  double distance_km(Position p) const;

 private:
  std::vector<Waypoint> waypoints_;
};

// A refrigerated container: held at `setpoint_c` while powered; unpowered it warms towards
// `ambient_c` at `warming_c_per_h`, and once powered again cools back at `cooling_c_per_h`.
struct ReeferParams {
  double setpoint_c = 4;
  double ambient_c = 30;
  double warming_c_per_h = 1.5;
  double cooling_c_per_h = 4;
  double humidity_pct = 85;
  std::vector<Window> power_off;  // ascending, disjoint
  std::vector<Window> door_open;  // ascending, disjoint
  struct Shock {
    sim::SimTime t;
    double g;
  };
  std::vector<Shock> shocks;  // ascending
};

class ReeferModel : public PhysicalState {
 public:
  ReeferModel(ReeferParams params, RoutePosition route)
      : params_(std::move(params)), route_(std::move(route)) {}
  Position position(sim::SimTime t) const override { return route_.at(t); }
  double temperature_c(sim::SimTime t) const override;
  double humidity_pct(sim::SimTime) const override { return params_.humidity_pct; }
  bool door_opened(sim::SimTime from, sim::SimTime to) const override;
  double peak_shock_g(sim::SimTime from, sim::SimTime to) const override;
  const ReeferParams& params() const { return params_; }

 private:
  ReeferParams params_;
  RoutePosition route_;
};

struct SensorSpec {
  ReadingKind kind = ReadingKind::kTemperature;
  sim::Duration period = sim::Duration::from_ns(5 * sim::units::kMinute);
  double noise_sd = 0;            // Gaussian noise, in the reading's unit (degrees for GPS)
  double drift_per_day = 0;       // calibration drift, in the reading's unit per day since start
  double failure_per_sample = 0;  // probability that the sensor fails for good at a sample
};

struct HubParams {
  DeviceId device = 0;
  std::vector<SensorSpec> sensors;
  sim::Duration upload_period = sim::Duration::from_ns(15 * sim::units::kMinute);
  // Energy: the battery powers this many samples (infinity: mains-powered).
  double battery_samples = std::numeric_limits<double>::infinity();
  sim::Duration sign_cost = sim::Duration::from_ns(20 * sim::units::kMicrosecond);
  // The hub-to-gateway radio link (BLE, LoRa, the vessel's network): latency and loss.
  sim::Duration link_latency = sim::Duration::from_ns(50 * sim::units::kMillisecond);
  double link_loss = 0;
  // The first samples are taken one period after `start` (the container is stuffed and sealed);
  // none after `stop`, when the buffer is uploaded a last time.
  sim::SimTime start = sim::SimTime::zero();
  sim::SimTime stop = sim::SimTime::max();
  // Keep every reading produced (ground truth for tests); runs of millions of readings do not.
  bool keep_produced = true;
};

// Tampering with a hub (issue 6's tamper_sensor), set by a test or a timeline action.
enum class HubFault : uint8_t {
  kNone,
  // Forged temperatures (the value given to set_fault as `lo`, e.g. the setpoint) signed with a
  // key that is not the device's (kFakeKey) or with the device's real key (kStolenKey).
  kFakeKey,
  kStolenKey,
  kReplay,    // with each upload, sends its first upload again (a captured upload replayed)
  kSuppress,  // discards temperature readings outside [suppress_lo, suppress_hi]
};

// Sent by the hub to its gateway.
struct UploadMsg {
  Upload upload;
};

class SensorHub : public sim::Node {
 public:
  static constexpr sim::NodeId kNoGateway = std::numeric_limits<sim::NodeId>::max();
  // `physical` and `counts` must outlive the node; the hub's key is device_key(run_seed, device).
  SensorHub(HubParams params, uint64_t run_seed, const PhysicalState* physical, sim::NodeId gateway,
            Conservation* counts);
  void on_start(sim::Context& ctx) override;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  std::string_view kind() const override { return "sensor-hub"; }

  // The gateway in reach (vessel, port, warehouse, truck), or kNoGateway: readings stay in the
  // buffer until one is in reach (store and forward).
  void set_gateway(sim::Context& ctx, sim::NodeId gateway);
  void set_fault(HubFault fault, double lo = 0, double hi = 0) {
    fault_ = fault;
    suppress_lo_ = lo;
    suppress_hi_ = hi;
  }
  void fail_sensor(size_t index) { sensors_.at(index).failed = true; }

  const HubParams& params() const { return params_; }
  const ledger::PublicKey& public_key() const { return key_.public_key(); }
  uint64_t last_seq() const { return seq_; }
  uint64_t uploads_sent() const { return uploads_sent_; }
  // Ground truth, when params().keep_produced.
  const std::vector<Reading>& produced() const { return produced_; }

 private:
  static constexpr uint64_t kUploadTag = uint64_t{1} << 32;
  void sample(sim::Context& ctx, size_t sensor);
  void upload(sim::Context& ctx);

  struct SensorState {
    SensorSpec spec;
    sim::SimTime last_sample;
    sim::SimTime next_due;
    bool failed = false;
  };
  HubParams params_;
  ledger::KeyPair key_;
  ledger::KeyPair fake_key_;
  const PhysicalState* physical_;
  sim::NodeId gateway_;
  Conservation* counts_;
  std::vector<SensorState> sensors_;
  std::vector<Reading> buffer_;
  std::vector<Reading> produced_;
  double battery_used_ = 0;
  uint64_t seq_ = 0;
  uint64_t last_uploaded_ = 0;  // the last sequence number an upload's signed range covered
  uint64_t uploads_sent_ = 0;
  HubFault fault_ = HubFault::kNone;
  double suppress_lo_ = 0, suppress_hi_ = 0;
  std::optional<UploadMsg> first_upload_;  // what a replaying hub sends again
  sim::SimTime start_;
};

}  // namespace tradesim::sensors
