// Builds the sensor world from the `sensors` section; its actions, ground truth and metrics.
#include "models/sensors/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <set>

#include "models/consensus/scenario.hpp"
#include "models/logistics/routes.hpp"
#include "models/sensors/audit.hpp"
#include "sim/engine.hpp"

namespace tradesim::sensors {

using sim::Field;
using sim::FieldType;
namespace fs = std::filesystem;

namespace {

constexpr sim::Duration kMinute = sim::Duration::from_ns(sim::units::kMinute);
constexpr sim::Duration kHour = sim::Duration::from_ns(sim::units::kHour);
constexpr uint64_t kTagBase = uint64_t{1} << 40;  // tags: a space of their own

// What the sensors of one container observe: its voyage's position and a reefer's temperature,
// with the power failures, door openings and shocks the timeline adds before the run starts.
class ContainerState : public PhysicalState {
 public:
  ContainerState(ReeferParams reefer, RoutePosition route)
      : reefer_(std::move(reefer)), route_(std::move(route)), model_(reefer_, route_) {}
  Position position(sim::SimTime t) const override {
    Position p = route_.at(t);
    // Waypoints are unwrapped across the antimeridian; a receiver reports -180..180.
    p.lon = std::remainder(p.lon, 360.0);
    return p;
  }
  double temperature_c(sim::SimTime t) const override { return model_.temperature_c(t); }
  double humidity_pct(sim::SimTime t) const override { return model_.humidity_pct(t); }
  bool door_opened(sim::SimTime from, sim::SimTime to) const override {
    return model_.door_opened(from, to);
  }
  double peak_shock_g(sim::SimTime from, sim::SimTime to) const override {
    return model_.peak_shock_g(from, to);
  }
  void power_off(Window w) { add(reefer_.power_off, w); }
  void door_open(Window w) { add(reefer_.door_open, w); }
  const ReeferParams& reefer() const { return reefer_; }
  const RoutePosition& route() const { return route_; }

 private:
  // Inserts and merges so the windows stay ascending and disjoint, then rebuilds the model.
  void add(std::vector<Window>& ws, Window w) {
    ws.push_back(w);
    std::sort(ws.begin(), ws.end(),
              [](const Window& a, const Window& b) { return a.from < b.from; });
    std::vector<Window> merged;
    for (const Window& x : ws) {
      if (!merged.empty() && x.from <= merged.back().to) {
        merged.back().to = std::max(merged.back().to, x.to);
      } else {
        merged.push_back(x);
      }
    }
    ws = std::move(merged);
    model_ = ReeferModel(reefer_, route_);
  }
  ReeferParams reefer_;
  RoutePosition route_;
  ReeferModel model_;
};

struct PortSide {
  std::string code;
  Position at;
  sim::NodeId gateway = 0, scanner = 0;
  sim::NodeId inland = 0;  // the trucks' and warehouses' gateway on this side (or `gateway`)
};

struct Container {
  std::string name;
  sim::NodeId hub = 0;  // also its device id
  uint64_t tag = 0;
  std::string voyage;
  uint32_t origin = 0, destination = 0;  // indices into SensorRun::ports
  sim::NodeId vessel_gateway = 0;
  sim::SimTime start, depart, arrive, stop;
  std::unique_ptr<ContainerState> state;
};

struct PlannedScan {
  sim::SimTime t;
  uint64_t tag;  // of the goods in `container` at time t
  Checkpoint checkpoint;
  uint32_t port;
  size_t container;
};

// One injected fault or fraud: what the readers should find.
enum class Truth : uint8_t {
  kExcursion,  // a reefer out of range for longer than the rule's duration
  kForged,     // readings under a fake or stolen key
  kReplay,
  kSuppressed,
  kWithheld,  // in batches a gateway withheld
  kSensorFailure,
  kSwap,      // the goods behind a tag changed containers (subject: the tag)
  kLinkLoss,  // random: the hub link lost uploads (sensors.hub.link_loss)
  kBattery,   // random: the hub's battery ran out (sensors.hub.battery_samples)
};
std::string_view truth_name(Truth t) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "excursion",      "forged", "replay",    "suppressed", "withheld",
      "sensor_failure", "swap",   "link_loss", "battery"};
  return kNames[static_cast<size_t>(t)];
}
// The findings that count as detecting each kind of truth.
bool detects(Finding f, Truth t) {
  switch (f) {
    case Finding::kTemperature:
      return t == Truth::kExcursion;
    case Finding::kBadSignature:
      return t == Truth::kForged;
    case Finding::kReplay:
      return t == Truth::kReplay;
    case Finding::kGap:
      return t == Truth::kSuppressed || t == Truth::kWithheld || t == Truth::kForged ||
             t == Truth::kLinkLoss;
    case Finding::kSilentSensor:
      return t == Truth::kSensorFailure || t == Truth::kSuppressed || t == Truth::kWithheld ||
             t == Truth::kForged || t == Truth::kLinkLoss || t == Truth::kBattery;
    case Finding::kTagMismatch:
    case Finding::kMissingScan:
    case Finding::kInspection:
    case Finding::kDoor:
      return t == Truth::kSwap;
    case Finding::kShock:
    case Finding::kRouteDeviation:
      return false;
  }
  return false;
}

struct TruthRow {
  Truth kind;
  uint64_t subject;
  uint64_t container_device;  // swap: the hub of the container the tag was sealed in

  sim::SimTime from, to;
  std::string detail;
};

// One predicate for precision and recall: the finding is about the truth's subject (or, for a
// swap, the container the tag was sealed in), its kind can show that truth, and its evidence
// lies from an hour before the truth's start to two days after its end (gaps and silences are
// seen after the fact).
bool matches(const Detection& d, const TruthRow& t) {
  if (d.subject != t.subject && d.subject != t.container_device) return false;
  if (!detects(d.finding, t.kind)) return false;
  const sim::Duration day = sim::Duration::from_ns(sim::units::kDay);
  if (d.evidence_t + day / 24 < t.from) return false;
  return t.to == sim::SimTime::max() || d.evidence_t <= t.to + day * 2;
}

struct Tamper {
  size_t container;
  HubFault fault;
  sim::SimTime from, to;
};

// Stands in for the ledger when there is none: the carrier's platform database stores each batch
// record and answers as validators do, after a write latency.
class Platform : public sim::Node {
 public:
  explicit Platform(sim::Duration write) : write_(write) {}
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override {
    const auto* submit = msg.get_if<consensus::SubmitTx>();
    if (submit == nullptr) return;
    ctx.send(from, sim::Message::make(consensus::TxCommitted{submit->tx->id(), ++rows_}, 48),
             {.delay = write_});
  }
  std::string_view kind() const override { return "sensor-platform"; }

 private:
  sim::Duration write_;
  uint64_t rows_ = 0;
};

struct SensorRun;

// The RFID scanners on one port's side: sign each planned scan at its time and send it to the
// port's gateway (port of loading and discharge, customs) or the inland one (factory, warehouse,
// retailer).
class Scanner : public sim::Node {
 public:
  Scanner(const SensorRun* run, uint32_t port, uint64_t seed, sim::NodeId self, sim::NodeId gateway,
          sim::NodeId inland)
      : run_(run), port_(port), key_(device_key(seed, self)), gateway_(gateway), inland_(inland) {}
  void on_start(sim::Context& ctx) override;
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t index) override;
  std::string_view kind() const override { return "rfid-scanner"; }

 private:
  const SensorRun* run_;
  uint32_t port_;
  ledger::KeyPair key_;
  sim::NodeId gateway_, inland_;
  std::vector<PlannedScan> plan_;
};

struct SensorRun {
  bool ledger = true;
  uint64_t seed = 0;
  std::vector<PortSide> ports;
  std::vector<Container> containers;
  std::map<std::string, size_t> container_of;  // by name
  std::vector<sim::NodeId> gateways;
  std::map<sim::NodeId, std::string> gateway_link;  // "vessel", "port" or "inland"
  std::vector<PlannedScan> scans;
  Conservation counts;
  KeyDirectory keys;
  ledger::VerificationMemo memo{size_t{1} << 16};
  GatewayObserver observer;
  std::unique_ptr<SensorAudit> audit;
  AlertRules rules;
  double inspection_probability = 0;
  sim::Duration inspection_time;
  std::vector<std::pair<size_t, Window>> power_failures;
  std::vector<Tamper> tampers;
  std::vector<std::pair<size_t, sim::SimTime>> failures;
  std::vector<std::tuple<size_t, size_t, sim::SimTime>> swaps;
};

std::map<const sim::Engine*, std::weak_ptr<SensorRun>>& runs() {
  static std::map<const sim::Engine*, std::weak_ptr<SensorRun>> m;
  return m;
}

void Scanner::on_start(sim::Context& ctx) {
  for (const PlannedScan& s : run_->scans) {
    if (s.port == port_) plan_.push_back(s);
  }
  std::stable_sort(plan_.begin(), plan_.end(),
                   [](const PlannedScan& a, const PlannedScan& b) { return a.t < b.t; });
  for (size_t i = 0; i < plan_.size(); ++i) {
    ctx.set_timer(std::max(sim::Duration::zero(), plan_[i].t - ctx.now()), i);
  }
}

void Scanner::on_timer(sim::Context& ctx, sim::TimerId, uint64_t index) {
  const PlannedScan& p = plan_[index];
  ScanMsg msg{make_scan(p.tag, ctx.self(), p.checkpoint, ctx.now(), key_)};
  ctx.charge(sim::Duration::from_ns(20 * sim::units::kMicrosecond));
  const bool inland = p.checkpoint == Checkpoint::kFactory ||
                      p.checkpoint == Checkpoint::kWarehouse ||
                      p.checkpoint == Checkpoint::kRetailer;
  ctx.send(inland ? inland_ : gateway_, sim::Message::make(std::move(msg), RfidScan::kWireBytes));
}

// Hourly: the conservation balances, as sampled gauges.
class Monitor : public sim::Node {
 public:
  Monitor(SensorRun* run, sim::Metrics& m) : run_(run) {
    produced_ = &m.sampled_gauge("sensors.readings.produced", "1", "readings taken by sensors");
    anchored_ = &m.sampled_gauge("sensors.readings.anchored", "1",
                                 "readings in batches whose anchor is visible");
    buffered_ = &m.sampled_gauge(
        "sensors.readings.buffered", "1",
        "readings in hubs' and gateways' buffers and in batches awaiting their anchor");
    transit_ = &m.sampled_gauge("sensors.readings.in_transit", "1",
                                "readings sent by hubs, not yet at a gateway");
    lost_ = &m.sampled_gauge("sensors.readings.lost", "1",
                             "readings lost (link, gateway drop, suppressed, rejected)");
    broken_ = &m.sampled_gauge("sensors.conservation_broken", "1",
                               "1 when a conservation balance does not hold, else 0");
  }
  void on_start(sim::Context& ctx) override {
    sample();
    ctx.set_timer(kHour, 0);
  }
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t) override {
    sample();
    ctx.set_timer(kHour, 0);
  }
  void sample() {
    const Conservation& c = run_->counts;
    produced_->set(static_cast<double>(c.produced()));
    anchored_->set(static_cast<double>(c.anchored()));
    buffered_->set(static_cast<double>(c.in_buffers()));
    transit_->set(static_cast<double>(c.in_transit()));
    double lost = 0;
    for (LossCause cause : {LossCause::kLink, LossCause::kGatewayDrop, LossCause::kSuppressed,
                            LossCause::kRejected}) {
      lost += static_cast<double>(c.lost(cause));
    }
    lost_->set(lost);
    broken_->set(c.check().empty() ? 0 : 1);
  }
  std::string_view kind() const override { return "sensor-monitor"; }

 private:
  SensorRun* run_;
  sim::Gauge *produced_, *anchored_, *buffered_, *transit_, *lost_, *broken_;
};

double percentile(std::vector<float> v, double q) {
  if (v.empty()) return std::nan("");
  const auto k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

const std::vector<std::pair<std::string, ReadingKind>>& sensor_kinds() {
  static const std::vector<std::pair<std::string, ReadingKind>> k = {
      {"temperature", ReadingKind::kTemperature},
      {"gps", ReadingKind::kGps},
      {"humidity", ReadingKind::kHumidity},
      {"shock", ReadingKind::kShock},
      {"door", ReadingKind::kDoor}};
  return k;
}

GatewayParams gateway_params(const sim::Scenario& s, const std::string& path) {
  GatewayParams g;
  g.batch_interval = s.duration(path + ".batch_interval");
  g.batch_max_items = static_cast<size_t>(s.integer(path + ".batch_max_items"));
  g.uplink.latency = s.duration(path + ".latency");
  g.uplink.loss = s.fraction(path + ".loss");
  g.uplink.cost_per_byte = s.number(path + ".cost_per_mb") / 1e6;
  return g;
}

void record_results(SensorRun& r, sim::Engine& engine);

void build(sim::World& world) {
  const sim::Scenario& s = world.scenario();
  sim::Engine& engine = world.engine();
  sim::Diagnostics& diag = world.diagnostics();
  auto mark = [&](const std::string& path) { return s.at(path).mark; };

  auto run = std::make_shared<SensorRun>();
  SensorRun& r = *run;
  r.ledger = s.text("sensors.ledger") == "consortium";
  r.seed = s.seed();
  const std::vector<sim::NodeId> validators = consensus::consortium_validators(world);
  if (r.ledger && validators.empty()) {
    diag.add(mark("sensors.ledger"), "sensors.ledger",
             "ledger: consortium needs a `consortium` section (the validators)");
    return;
  }

  // --- The route network.
  std::string data = s.text("sensors.data");
  if (data.empty()) {
    data = std::string(TRADESIM_DATA_DIR) + "/world";
  } else if (fs::path(data).is_relative()) {
    data = (fs::path(s.file()).parent_path() / data).string();
  }
  logistics::RouteGraph graph;
  try {
    graph = logistics::RouteGraph::load(data + "/locations.csv", data + "/lanes.csv");
  } catch (const std::exception& e) {
    diag.add(mark("sensors.data"), "sensors.data", e.what());
    return;
  }

  // --- Parameters.
  HubParams hub;
  hub.upload_period = s.duration("sensors.hub.upload_period");
  hub.link_latency = s.duration("sensors.hub.link_latency");
  hub.link_loss = s.fraction("sensors.hub.link_loss");
  hub.keep_produced = false;
  if (const int64_t battery = s.integer("sensors.hub.battery_samples"); battery > 0) {
    hub.battery_samples = static_cast<double>(battery);
  }
  std::map<ReadingKind, sim::Duration> periods;
  for (const auto& [key, kind] : sensor_kinds()) {
    const sim::Duration period = s.duration("sensors.hub.sensors." + key);
    if (period <= sim::Duration::zero()) continue;  // not fitted
    SensorSpec spec{kind, period};
    if (kind == ReadingKind::kTemperature) {
      spec.noise_sd = s.number("sensors.hub.temperature_noise_c");
      spec.drift_per_day = s.number("sensors.hub.temperature_drift_c_per_day");
    }
    if (kind == ReadingKind::kGps) spec.noise_sd = s.number("sensors.hub.gps_noise_deg");
    spec.failure_per_sample = s.fraction("sensors.hub.failure_per_sample");
    hub.sensors.push_back(spec);
    periods[kind] = period;
  }
  if (hub.sensors.empty()) {
    diag.add(mark("sensors.hub.sensors"), "sensors.hub.sensors",
             "no sensor fitted: give at least one a period above 0s");
    return;
  }
  ReeferParams reefer;
  reefer.setpoint_c = s.number("sensors.reefer.setpoint_c");
  reefer.ambient_c = s.number("sensors.reefer.ambient_c");
  reefer.warming_c_per_h = s.number("sensors.reefer.warming_c_per_h");
  reefer.cooling_c_per_h = s.number("sensors.reefer.cooling_c_per_h");
  reefer.humidity_pct = s.number("sensors.reefer.humidity_pct");
  const sim::Duration to_port = s.duration("sensors.checkpoints.factory_to_port");
  const sim::Duration dwell = s.duration("sensors.checkpoints.port_dwell");
  const sim::Duration customs = s.duration("sensors.checkpoints.customs");
  const sim::Duration to_warehouse = s.duration("sensors.checkpoints.to_warehouse");
  const sim::Duration to_retailer = s.duration("sensors.checkpoints.to_retailer");
  r.inspection_probability = s.fraction("sensors.checkpoints.inspection_probability");
  r.inspection_time = s.duration("sensors.checkpoints.inspection_time");
  GatewayParams vessel_gw = gateway_params(s, "sensors.gateways.vessel");
  GatewayParams port_gw = gateway_params(s, "sensors.gateways.port");
  GatewayParams inland_gw = gateway_params(s, "sensors.gateways.inland");
  const bool inland = s.flag("sensors.gateways.inland.enabled");
  const bool satellite = s.text("sensors.gateways.vessel.uplink") == "satellite";
  const std::string submit = s.text("sensors.gateways.submit_to");
  for (GatewayParams* g : {&vessel_gw, &port_gw, &inland_gw}) {
    g->submit_to = submit == "all"          ? consensus::SubmitTo::kAll
                   : submit == "f_plus_one" ? consensus::SubmitTo::kFPlusOne
                                            : consensus::SubmitTo::kOne;
    g->verify_uploads = r.ledger;
    g->memo = &r.memo;
    if (!r.ledger) g->submit_to = consensus::SubmitTo::kOne;
  }
  r.rules.temperature_lo_c = s.number("sensors.alerts.temperature_lo_c");
  r.rules.temperature_hi_c = s.number("sensors.alerts.temperature_hi_c");
  r.rules.temperature_for = s.duration("sensors.alerts.temperature_for");
  r.rules.shock_g = s.number("sensors.alerts.shock_g");
  if (r.rules.shock_g <= 0) r.rules.shock_g = std::numeric_limits<double>::infinity();
  r.rules.deviation_km = s.number("sensors.alerts.deviation_km");
  if (r.rules.deviation_km <= 0) r.rules.deviation_km = std::numeric_limits<double>::infinity();
  r.rules.expected_scans = {Checkpoint::kFactory,         Checkpoint::kPortOfLoading,
                            Checkpoint::kPortOfDischarge, Checkpoint::kCustoms,
                            Checkpoint::kWarehouse,       Checkpoint::kRetailer};
  if (!(r.rules.temperature_lo_c < r.rules.temperature_hi_c)) {
    diag.add(mark("sensors.alerts.temperature_hi_c"), "sensors.alerts.temperature_hi_c",
             "must be above temperature_lo_c");
    return;
  }

  // Sensor nodes share the validators' first site (their links are modelled by the hub link and
  // the gateways' uplinks); without a ledger, a site of their own.
  sim::SiteId site = 0;
  if (r.ledger) {
    site = engine.site_of(validators.front());
  } else if (auto found = engine.network().find_site("sensors")) {
    site = *found;
  } else {
    site = engine.network().add_site("sensors");
  }
  std::vector<sim::NodeId> sinks = validators;
  if (!r.ledger) {
    world.emplace<Platform>("sensor-platform", {}, site, s.duration("sensors.platform_write"));
    sinks = {*world.find("sensor-platform")};
  }
  r.observer.anchored = [&r](const StoredBatch& b, sim::SimTime at) {
    r.audit->on_anchored(b, b.record.root, at);
  };
  r.observer.rejected = [&r](DeviceId device, sim::SimTime at) {
    r.audit->on_rejected(device, at);
  };

  // Ports: a gateway and a scanner each, made on first use.
  std::map<std::string, uint32_t> port_index;
  auto port_of = [&](const std::string& path) -> std::optional<uint32_t> {
    const std::string code = s.text(path);
    const auto loc = graph.find(code);
    if (!loc || graph.location(*loc).kind != logistics::LocationKind::kPort) {
      diag.add(mark(path), path, "\"" + code + "\" is not a port of the route network");
      return std::nullopt;
    }
    if (const auto it = port_index.find(code); it != port_index.end()) return it->second;
    const auto index = static_cast<uint32_t>(r.ports.size());
    const logistics::Location& l = graph.location(*loc);
    PortSide p{code, {l.latitude, l.longitude}, 0, 0, 0};
    world.emplace<Gateway>("gateway-" + code, {"gateways", "port_gateways"}, site, sinks, r.seed,
                           world.next_id(), port_gw, &r.keys, &r.counts, &r.observer);
    p.gateway = *world.find("gateway-" + code);
    r.gateways.push_back(p.gateway);
    r.gateway_link[p.gateway] = "port";
    p.inland = p.gateway;
    if (inland) {
      world.emplace<Gateway>("gateway-" + code + "-inland", {"gateways", "inland_gateways"}, site,
                             sinks, r.seed, world.next_id(), inland_gw, &r.keys, &r.counts,
                             &r.observer);
      p.inland = *world.find("gateway-" + code + "-inland");
      r.gateways.push_back(p.inland);
      r.gateway_link[p.inland] = "inland";
    }
    const std::string scanner = "scanner-" + code;
    const auto scanner_id = static_cast<sim::NodeId>(world.next_id());
    world.emplace<Scanner>(scanner, {"scanners"}, site, run.get(), index, r.seed, scanner_id,
                           p.gateway, p.inland);
    p.scanner = *world.find(scanner);
    r.keys[p.scanner] = device_key(r.seed, p.scanner).public_key();
    r.ports.push_back(p);
    port_index[code] = index;
    return index;
  };

  // --- Voyages, their vessels' gateways and their containers.
  const sim::ConfigNode& voyages = s.at("sensors.voyages");
  if (voyages.list.empty()) {
    diag.add(mark("sensors.voyages"), "sensors.voyages", "needs at least one voyage");
    return;
  }
  const double knots = s.number("sensors.vessel_speed_knots");
  std::set<std::string> voyage_names;
  for (size_t k = 0; k < voyages.list.size(); ++k) {
    const std::string path = "sensors.voyages." + std::to_string(k);
    const std::string name = s.text(path + ".name");
    if (!voyage_names.insert(name).second) {
      diag.add(mark(path + ".name"), path + ".name", "voyage \"" + name + "\" is named twice");
      return;
    }
    const auto from = port_of(path + ".from");
    const auto to = port_of(path + ".to");
    if (!from || !to) return;
    if (*from == *to) {
      diag.add(mark(path + ".to"), path + ".to", "the voyage must end at another port");
      return;
    }
    logistics::RoutingOptions options;
    options.modes = logistics::ModeSet::only(logistics::Mode::kSea);
    options.sea_speed_knots = knots;
    if (const sim::ConfigNode* avoid = s.root().at_path(path + ".avoid");
        avoid && avoid->is_list()) {
      for (size_t a = 0; a < avoid->list.size(); ++a) {
        const std::string code = avoid->list[a].scalar;
        if (!graph.find(code)) {
          const std::string at = path + ".avoid." + std::to_string(a);
          diag.add(avoid->list[a].mark, at,
                   "\"" + code + "\" is not a location of the route network");
          return;
        }
        options.avoid.push_back(code);
      }
    }
    const auto route = graph.shortest(r.ports[*from].code, r.ports[*to].code, options);
    if (!route) {
      diag.add(mark(path + ".to"), path + ".to",
               "no sea route from " + r.ports[*from].code + " to " + r.ports[*to].code);
      return;
    }
    const sim::Duration depart0 = s.duration(path + ".depart");
    const sim::Duration interval = s.duration(path + ".interval");
    const auto vessels = static_cast<size_t>(s.integer(path + ".vessels"));
    const auto per_vessel = static_cast<size_t>(s.integer(path + ".containers"));
    if (depart0 < to_port + dwell) {
      diag.add(mark(path + ".depart"), path + ".depart",
               "must leave time for the checkpoints before it (factory_to_port + port_dwell = " +
                   (to_port + dwell).to_string() + ")");
      return;
    }
    for (size_t v = 0; v < vessels; ++v) {
      const sim::SimTime depart =
          sim::SimTime::zero() + depart0 + interval * static_cast<int64_t>(v);
      const sim::SimTime arrive = depart + route->time;
      // The route's stops as waypoints, longitudes unwrapped across the antimeridian.
      std::vector<RoutePosition::Waypoint> points;
      sim::SimTime t = depart;
      double prev_lon = 0;
      for (size_t i = 0; i < route->stops.size(); ++i) {
        if (i > 0) t = t + route->legs[i - 1].time();
        const logistics::Location& l = graph.location(route->stops[i]);
        double lon = l.longitude;
        if (i > 0) lon = prev_lon + std::remainder(lon - prev_lon, 360.0);
        prev_lon = lon;
        points.push_back({t, l.latitude, lon});
      }
      GatewayParams g = vessel_gw;
      if (!satellite) {  // store and forward: the uplink works in port only, on shore networks
        g.uplink.windows = {{sim::SimTime::zero(), depart}, {arrive, sim::SimTime::max()}};
        g.uplink.cost_per_byte = 0;
      }
      const std::string gw_name = "gateway-" + name + "-" + std::to_string(v + 1);
      const auto gw_id = static_cast<sim::NodeId>(world.next_id());
      world.emplace<Gateway>(gw_name, {"gateways", "vessel_gateways", name}, site, sinks, r.seed,
                             gw_id, g, &r.keys, &r.counts, &r.observer);
      r.gateways.push_back(*world.find(gw_name));
      r.gateway_link[r.gateways.back()] = "vessel";
      for (size_t c = 0; c < per_vessel; ++c) {
        Container x;
        x.name = name + "-" + std::to_string(v * per_vessel + c + 1);
        x.voyage = name;
        x.origin = *from;
        x.destination = *to;
        x.vessel_gateway = r.gateways.back();
        x.start = depart - dwell - to_port;
        x.depart = depart;
        x.arrive = arrive;
        x.stop = arrive + customs + to_warehouse;
        x.tag = kTagBase + r.containers.size();
        x.state = std::make_unique<ContainerState>(reefer, RoutePosition(points));
        HubParams hp = hub;
        hp.start = x.start;
        hp.stop = x.stop;
        const auto id = static_cast<sim::NodeId>(world.next_id());
        hp.device = id;
        world.emplace<SensorHub>(x.name, {"containers", name}, site, hp, r.seed, x.state.get(),
                                 r.ports[*from].inland, &r.counts);
        x.hub = *world.find(x.name);
        r.keys[x.hub] = device_key(r.seed, x.hub).public_key();
        r.rules.door_windows[x.hub] = {{x.start, x.depart}, {x.arrive, x.stop + kHour}};
        r.rules.planned_routes[x.hub] = RoutePosition(points);
        for (const auto& [cp, when, port] :
             std::vector<std::tuple<Checkpoint, sim::SimTime, uint32_t>>{
                 {Checkpoint::kFactory, x.start, *from},
                 {Checkpoint::kPortOfLoading, depart - dwell, *from},
                 {Checkpoint::kPortOfDischarge, arrive, *to},
                 {Checkpoint::kCustoms, arrive + customs, *to},
                 {Checkpoint::kWarehouse, x.stop, *to},
                 {Checkpoint::kRetailer, x.stop + to_retailer, *to}}) {
          r.scans.push_back({when, x.tag, cp, port, r.containers.size()});
        }
        r.container_of[x.name] = r.containers.size();
        r.containers.push_back(std::move(x));
      }
    }
  }
  if (!diag.empty()) return;
  if (r.containers.empty()) {
    diag.add(mark("sensors.voyages"), "sensors.voyages", "no container on any voyage");
    return;
  }

  // Hand-overs: the truck's gateway from the factory, the port's in the yard, the vessel's at sea,
  // the port of discharge's on arrival, the inland one from customs to the warehouse (with
  // inland gateways off, the ports' serve the inland legs too).
  for (const Container& x : r.containers) {
    const sim::NodeId hub_id = x.hub;
    for (const auto& [at, gateway] : std::vector<std::pair<sim::SimTime, sim::NodeId>>{
             {x.depart - dwell, r.ports[x.origin].gateway},
             {x.depart, x.vessel_gateway},
             {x.arrive, r.ports[x.destination].gateway},
             {x.arrive + customs, r.ports[x.destination].inland}}) {
      engine.schedule(at, [&engine, hub_id, gw = gateway] {
        engine.invoke(hub_id, [gw](sim::Node& n, sim::Context& ctx) {
          static_cast<SensorHub&>(n).set_gateway(ctx, gw);
        });
      });
    }
  }

  // The readers.
  AuditParams ap;
  ap.verify = r.ledger;
  ap.periods = periods;
  ap.silent_periods = static_cast<int>(s.integer("sensors.alerts.silent_periods"));
  ap.mismatch_km = s.number("sensors.alerts.tag_mismatch_km");
  ap.keys = &r.keys;
  ap.memo = &r.memo;
  for (const Container& x : r.containers) ap.tag_container[x.tag] = x.hub;
  for (const PortSide& p : r.ports) ap.scanner_position[p.scanner] = p.at;
  // The readings of the first containers, as the readers saw them, beside the physical truth.
  const auto recorded = static_cast<size_t>(s.integer("sensors.record_readings"));
  if (recorded > 0) {
    sim::EventTable& rows = engine.metrics().table(
        "sensor_readings",
        "what the readers saw of the first sensors.record_readings containers (ledger: verified "
        "readings only)",
        {{"container", sim::ColumnType::kText, "", "name"},
         {"kind", sim::ColumnType::kText, "", "temperature, gps, humidity, shock or door"},
         {"t_ns", sim::ColumnType::kInt, "ns", "sampled"},
         {"visible_ns", sim::ColumnType::kInt, "ns", "its anchor confirmed (no ledger: stored)"},
         {"value", sim::ColumnType::kFloat, "", "degC, latitude, %, g or door opened (1/0)"},
         {"value2", sim::ColumnType::kFloat, "", "longitude for gps, else 0"},
         {"actual", sim::ColumnType::kFloat, "",
          "the container's physical value then (temperature, latitude; else NaN)"}});
    std::map<DeviceId, const Container*> which;
    for (size_t i = 0; i < std::min(recorded, r.containers.size()); ++i) {
      which[r.containers[i].hub] = &r.containers[i];
    }
    ap.on_reading = [which, &rows](const Reading& x, sim::SimTime visible) {
      const auto it = which.find(x.device);
      if (it == which.end()) return;
      const ContainerState& st = *it->second->state;
      const double actual = x.kind == ReadingKind::kTemperature ? st.temperature_c(x.t)
                            : x.kind == ReadingKind::kGps       ? st.position(x.t).lat
                                                                : std::nan("");
      rows.append(
          {it->second->name, kind_name(x.kind), x.t, visible, x.value[0], x.value[1], actual});
    };
  }
  ap.rules = r.rules;  // door windows and routes as built; the timeline changes only physics
  r.audit = std::make_unique<SensorAudit>(std::move(ap));

  world.emplace<Monitor>("sensor-monitor", {}, site, &r, engine.metrics());
  runs()[&engine] = run;
  sim::Metrics& m = engine.metrics();
  m.set_summary("sensors.ledger", r.ledger ? 1 : 0, "1",
                "1: batches anchored on the consortium's ledger; 0: the carrier's platform");
  m.set_summary("sensors.crypto_modelled",
                ledger::crypto_mode() == ledger::CryptoMode::kModelled ? 1 : 0, "1",
                "1: hash-based stand-in signatures (crypto: modelled); 0: real Ed25519");
  world.at_end([run, &engine] { record_results(*run, engine); });
}

// --- Ground truth, detections and the run file.

void record_results(SensorRun& r, sim::Engine& engine) {
  sim::Metrics& m = engine.metrics();
  const sim::SimTime end = engine.now();
  // No-ledger and ledger alike: customs inspect a share of containers at the customs
  // checkpoint; an inspection of goods that are not the tag's finds the swap.
  std::map<uint64_t, size_t> tag_owner;  // the tag's original container
  for (size_t i = 0; i < r.containers.size(); ++i) tag_owner[r.containers[i].tag] = i;
  for (const Container& x : r.containers) {
    sim::Rng rng(r.seed, x.hub, 0x1a5bec7);
    if (!rng.bernoulli(r.inspection_probability)) continue;
    // Container x is opened at its customs checkpoint: goods that are not its own (their tag is
    // another container's) are found, with the result inspection_time later.
    const auto self = static_cast<size_t>(&x - r.containers.data());
    for (const PlannedScan& p : r.scans) {
      if (p.container != self || p.checkpoint != Checkpoint::kCustoms) continue;
      const sim::SimTime found = p.t + r.inspection_time;
      if (tag_owner.at(p.tag) != self && found <= end) {
        r.audit->add({Finding::kInspection, p.tag, p.t, found});
        r.audit->add({Finding::kInspection, x.tag, p.t, found});
      }
    }
  }
  r.audit->finish(end);

  // Ground truth.
  std::vector<TruthRow> truth;
  auto active = [&](const Container& x, sim::SimTime from, sim::SimTime to) {
    return from < x.stop && to > x.start;
  };
  for (const auto& [i, w] : r.power_failures) {
    const Container& x = r.containers[i];
    if (!active(x, w.from, w.to)) continue;
    // The excursion the sensors could see: out of range, minute by minute, while monitored.
    sim::SimTime out_since = sim::SimTime::max();
    const sim::SimTime last = w.to >= x.stop ? x.stop : std::min(x.stop, w.to + 48 * kHour);
    for (sim::SimTime t = std::max(w.from, x.start); t <= last; t = t + kMinute) {
      const double c = x.state->temperature_c(t);
      const bool out = c < r.rules.temperature_lo_c || c > r.rules.temperature_hi_c;
      if (out && out_since == sim::SimTime::max()) out_since = t;
      if ((!out || t + kMinute > last) && out_since != sim::SimTime::max()) {
        if (t - out_since >= r.rules.temperature_for) {
          truth.push_back({Truth::kExcursion, x.hub, x.hub, out_since, t, "reefer power failure"});
        }
        out_since = sim::SimTime::max();
        if (t >= w.to) break;
      }
    }
  }
  for (const Tamper& tp : r.tampers) {
    const Container& x = r.containers[tp.container];
    if (!active(x, tp.from, tp.to)) continue;
    const DeviceCounts& dc = r.counts.device(x.hub);
    switch (tp.fault) {
      case HubFault::kFakeKey:
        truth.push_back({Truth::kForged, x.hub, x.hub, tp.from, tp.to, "fake key"});
        break;
      case HubFault::kStolenKey:
        truth.push_back({Truth::kForged, x.hub, x.hub, tp.from, tp.to, "stolen key"});
        break;
      case HubFault::kReplay:
        if (dc.replayed > 0)
          truth.push_back({Truth::kReplay, x.hub, x.hub, tp.from, tp.to, "replay"});
        break;
      case HubFault::kSuppress:
        if (dc.lost[static_cast<size_t>(LossCause::kSuppressed)] > 0) {
          truth.push_back(
              {Truth::kSuppressed, x.hub, x.hub, tp.from, tp.to, "suppressed excursion"});
        }
        break;
      case HubFault::kNone:
        break;
    }
  }
  for (const auto& [i, t] : r.failures) {
    const Container& x = r.containers[i];
    if (t < x.stop)
      truth.push_back({Truth::kSensorFailure, x.hub, x.hub, t, x.stop, "sensor failure"});
  }
  // Random faults the scenario's rates caused: they are what the readers see too.
  std::set<size_t> failed_on_purpose;
  for (const auto& [i, t] : r.failures) failed_on_purpose.insert(i);
  for (size_t i = 0; i < r.containers.size(); ++i) {
    const Container& x = r.containers[i];
    const DeviceCounts& dc = r.counts.device(x.hub);
    const auto lost = [&](LossCause c) { return dc.lost[static_cast<size_t>(c)]; };
    if (lost(LossCause::kLink) > 0) {
      truth.push_back({Truth::kLinkLoss, x.hub, x.hub, x.start, x.stop,
                       std::to_string(lost(LossCause::kLink)) + " readings lost on the hub link"});
    }
    if (lost(LossCause::kFailure) > 0 && failed_on_purpose.count(i) == 0) {
      truth.push_back({Truth::kSensorFailure, x.hub, x.hub, x.start, x.stop, "random failure"});
    }
    if (lost(LossCause::kBattery) > 0) {
      truth.push_back({Truth::kBattery, x.hub, x.hub, x.start, x.stop, "battery ran out"});
    }
  }
  for (const auto& [a, b, t] : r.swaps) {
    for (size_t i : {a, b}) {
      const Container& x = r.containers[i];
      truth.push_back({Truth::kSwap, x.tag, x.hub, t, end,
                       "goods swapped with " + r.containers[i == a ? b : a].name});
    }
  }
  std::map<std::pair<sim::NodeId, DeviceId>, std::pair<sim::SimTime, sim::SimTime>> withheld;
  for (sim::NodeId g : r.gateways) {
    const auto& gw = static_cast<const Gateway&>(engine.node(g));
    for (const StoredBatch& b : gw.store()) {
      if (b.state != BatchState::kWithheld) continue;
      for (const Upload& u : b.uploads) {
        auto [it, fresh] =
            withheld.try_emplace({g, u.header.device}, b.record.first_t, b.record.last_t);
        if (!fresh) {
          it->second.first = std::min(it->second.first, b.record.first_t);
          it->second.second = std::max(it->second.second, b.record.last_t);
        }
      }
    }
  }
  for (const auto& [key, span] : withheld) {
    truth.push_back({Truth::kWithheld, key.second, key.second, span.first, span.second,
                     "withheld by gateway " + std::to_string(key.first)});
  }

  // Score: an alert is a true positive when it detects a truth of its subject.
  std::map<uint64_t, std::string> subject_name;
  for (const Container& x : r.containers) {
    subject_name[x.hub] = x.name;
    subject_name[x.tag] = x.name + " tag";
  }
  auto name_of = [&](uint64_t subject) {
    const auto it = subject_name.find(subject);
    return it == subject_name.end() ? std::to_string(subject) : it->second;
  };
  std::vector<Detection> found = r.audit->detections();
  std::stable_sort(found.begin(), found.end(), [](const Detection& a, const Detection& b) {
    return a.visible_t < b.visible_t;
  });
  sim::EventTable& alerts = m.table(
      "sensor_alerts", "every finding of the readers, in the order it became visible",
      {{"evidence_ns", sim::ColumnType::kInt, "ns", "time of the reading or scan of the evidence"},
       {"visible_ns", sim::ColumnType::kInt, "ns", "when the evidence could be read"},
       {"finding", sim::ColumnType::kText, "", "rule or check (docs/sensors.md)"},
       {"subject", sim::ColumnType::kInt, "1", "device (hub node id) or RFID tag"},
       {"container", sim::ColumnType::kText, "", "the subject's container"},
       {"true_positive", sim::ColumnType::kInt, "1", "1: it detects an injected truth"}});
  uint64_t tp = 0, fp = 0;
  for (const Detection& d : found) {
    const bool hit =
        std::any_of(truth.begin(), truth.end(), [&](const TruthRow& t) { return matches(d, t); });
    hit ? ++tp : ++fp;
    alerts.append({d.evidence_t, d.visible_t, finding_name(d.finding),
                   static_cast<int64_t>(d.subject), name_of(d.subject), static_cast<int64_t>(hit)});
  }
  sim::EventTable& truth_table = m.table(
      "sensor_truth",
      "the injected faults and frauds (ground truth), each with whether and when it was found",
      {{"kind", sim::ColumnType::kText, "",
        "excursion, forged, replay, suppressed, withheld, "
        "sensor_failure, swap, link_loss or battery"},
       {"subject", sim::ColumnType::kInt, "1", "device (hub node id) or RFID tag"},
       {"container", sim::ColumnType::kText, "", "the subject's container"},
       {"from_ns", sim::ColumnType::kInt, "ns", "start"},
       {"to_ns", sim::ColumnType::kInt, "ns", "end"},
       {"detail", sim::ColumnType::kText, "", "what was injected"},
       {"detected", sim::ColumnType::kInt, "1", "1: a finding detects it"},
       {"finding", sim::ColumnType::kText, "", "the first finding that did"},
       {"visible_ns", sim::ColumnType::kInt, "ns", "when that finding became visible (-1: never)"},
       {"delay_h", sim::ColumnType::kFloat, "h", "from the start to the finding (NaN: missed)"}});
  uint64_t detected = 0;
  std::vector<float> delays;
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_kind;  // (detected, all)
  for (const TruthRow& t : truth) {
    const Detection* first = nullptr;
    for (const Detection& d : found) {
      if (matches(d, t)) {
        first = &d;
        break;  // sorted by visible time
      }
    }
    auto& k = by_kind[std::string(truth_name(t.kind))];
    ++k.second;
    if (first != nullptr) {
      ++detected;
      ++k.first;
      delays.push_back(static_cast<float>((first->visible_t - t.from).hours()));
    }
    truth_table.append({truth_name(t.kind), static_cast<int64_t>(t.subject), name_of(t.subject),
                        t.from, t.to, t.detail, static_cast<int64_t>(first != nullptr),
                        first ? finding_name(first->finding) : std::string_view(""),
                        first ? first->visible_t.ns() : int64_t{-1},
                        first ? (first->visible_t - t.from).hours() : std::nan("")});
  }
  const auto missed = static_cast<double>(truth.size() - detected);
  m.set_summary("sensors.truths", static_cast<double>(truth.size()), "1",
                "faults and frauds injected (sensor_truth rows)");
  m.set_summary("sensors.detected", static_cast<double>(detected), "1", "truths found");
  m.set_summary("sensors.missed", missed, "1", "truths not found");
  m.set_summary("sensors.alerts", static_cast<double>(found.size()), "1", "findings");
  m.set_summary("sensors.false_alerts", static_cast<double>(fp), "1",
                "findings that detect no injected truth");
  m.set_summary("sensors.precision", found.empty() ? std::nan("") : tp / double(found.size()), "1",
                "true findings / findings");
  m.set_summary("sensors.recall", truth.empty() ? std::nan("") : detected / double(truth.size()),
                "1", "truths found / truths");
  m.set_summary("sensors.detection_delay_median", percentile(delays, 0.5), "h",
                "from each truth's start to its first finding");
  for (const auto& [kind, counts] : by_kind) {
    m.set_summary("sensors.recall_" + kind, counts.first / double(counts.second), "1",
                  "found / injected, " + kind);
  }

  // Batches: what was anchored, when, over which link, at what cost.
  sim::EventTable& batches = m.table(
      "sensor_batches", "every batch a gateway closed, with its anchor",
      {{"gateway", sim::ColumnType::kInt, "1", "node id"},
       {"link", sim::ColumnType::kText, "", "vessel, port or inland"},
       {"batch", sim::ColumnType::kInt, "1", "batch id, per gateway from 1"},
       {"uploads", sim::ColumnType::kInt, "1", "signed hub uploads"},
       {"scans", sim::ColumnType::kInt, "1", "signed RFID scans"},
       {"readings", sim::ColumnType::kInt, "1", "readings"},
       {"first_ns", sim::ColumnType::kInt, "ns", "earliest reading or scan"},
       {"last_ns", sim::ColumnType::kInt, "ns", "latest reading or scan"},
       {"closed_ns", sim::ColumnType::kInt, "ns", "batch closed and signed"},
       {"submitted_ns", sim::ColumnType::kInt, "ns", "anchor sent (-1: never)"},
       {"anchored_ns", sim::ColumnType::kInt, "ns", "anchor confirmed (-1: never)"},
       {"height", sim::ColumnType::kInt, "1", "block (no ledger: platform row)"},
       {"state", sim::ColumnType::kText, "", "anchored, submitted, awaiting_link or withheld"}});
  std::map<std::string, std::pair<uint64_t, double>> uplink;  // link -> (bytes, cost)
  std::map<uint64_t, uint64_t> per_block;
  uint64_t hub_bytes = 0, n_batches = 0, rejected = 0;
  double max_finality = 0;
  for (sim::NodeId g : r.gateways) {
    const auto& gw = static_cast<const Gateway&>(engine.node(g));
    auto& u = uplink[r.gateway_link.at(g)];
    u.first += gw.uplink_bytes();
    u.second += gw.uplink_cost();
    rejected += gw.rejected_uploads();
    for (const StoredBatch& b : gw.store()) {
      ++n_batches;
      for (const Upload& up : b.uploads) hub_bytes += up.wire_size();
      static constexpr std::array<std::string_view, 4> kState = {"awaiting_link", "submitted",
                                                                 "anchored", "withheld"};
      const bool anchored = b.state == BatchState::kAnchored;
      if (anchored) {
        ++per_block[b.height];
        max_finality = std::max(max_finality, (b.anchored - b.submitted).seconds());
      }
      batches.append({static_cast<int64_t>(g), r.gateway_link.at(g),
                      static_cast<int64_t>(b.record.batch_id), b.record.uploads, b.record.scans,
                      b.record.readings, b.record.first_t, b.record.last_t, b.record.closed,
                      b.submitted == sim::SimTime::max() ? int64_t{-1} : b.submitted.ns(),
                      anchored ? b.anchored.ns() : int64_t{-1}, static_cast<int64_t>(b.height),
                      kState[static_cast<size_t>(b.state)]});
    }
  }
  sim::EventTable& containers =
      m.table("sensor_containers", "every monitored container",
              {{"container", sim::ColumnType::kText, "", "name (the hub's node name)"},
               {"device", sim::ColumnType::kInt, "1", "hub node id = device id"},
               {"tag", sim::ColumnType::kInt, "1", "RFID tag of its goods"},
               {"origin", sim::ColumnType::kText, "", "port of loading (UN/LOCODE)"},
               {"destination", sim::ColumnType::kText, "", "port of discharge"},
               {"start_ns", sim::ColumnType::kInt, "ns", "stuffed and sealed: sensors start"},
               {"depart_ns", sim::ColumnType::kInt, "ns", "vessel departs"},
               {"arrive_ns", sim::ColumnType::kInt, "ns", "vessel arrives"},
               {"stop_ns", sim::ColumnType::kInt, "ns", "unpacked at the warehouse: sensors stop"},
               {"produced", sim::ColumnType::kInt, "1", "readings taken"},
               {"sent", sim::ColumnType::kInt, "1", "readings sent to gateways"},
               {"lost", sim::ColumnType::kInt, "1", "readings lost (any cause)"},
               {"uploads", sim::ColumnType::kInt, "1", "signed uploads"}});
  for (const Container& x : r.containers) {
    const DeviceCounts& dc = r.counts.device(x.hub);
    uint64_t lost = 0;
    for (uint64_t l : dc.lost) lost += l;
    const auto& h = static_cast<const SensorHub&>(engine.node(x.hub));
    containers.append({x.name, static_cast<int64_t>(x.hub), static_cast<int64_t>(x.tag),
                       r.ports[x.origin].code, r.ports[x.destination].code, x.start, x.depart,
                       x.arrive, x.stop, dc.produced, dc.sent, lost, h.uploads_sent()});
  }

  const Conservation& c = r.counts;
  m.set_summary("sensors.containers", static_cast<double>(r.containers.size()), "1",
                "monitored containers");
  m.set_summary("sensors.gateways", static_cast<double>(r.gateways.size()), "1",
                "vessel and port gateways");
  m.set_summary("sensors.readings_produced", static_cast<double>(c.produced()), "1",
                "readings taken");
  m.set_summary("sensors.readings_anchored", static_cast<double>(c.anchored()), "1",
                "readings in batches whose anchor is confirmed");
  m.set_summary("sensors.readings_buffered", static_cast<double>(c.in_buffers()), "1",
                "readings still in a hub or gateway buffer, or awaiting an anchor, at the end");
  m.set_summary("sensors.readings_in_transit", static_cast<double>(c.in_transit()), "1",
                "readings on a hub link at the end");
  for (size_t k = 0; k < kLossCauseCount; ++k) {
    const auto cause = static_cast<LossCause>(k);
    m.set_summary("sensors.readings_lost_" + std::string(loss_cause_name(cause)),
                  static_cast<double>(c.lost(cause)), "1", "readings lost by this cause");
  }
  uint64_t replayed = 0;
  for (const auto& [device, dc] : c.devices()) replayed += dc.replayed;
  m.set_summary("sensors.readings_replayed", static_cast<double>(replayed), "1",
                "copies of earlier readings that tampered hubs sent again (anchored ones count "
                "in readings_anchored)");
  m.set_summary("sensors.conserved", c.check().empty() ? 1 : 0, "1",
                "1: every reading is anchored, buffered, in transit or lost by a recorded cause");
  m.set_summary("sensors.readings_verified", static_cast<double>(r.audit->readings_verified()), "1",
                "readings whose signature and proofs the readers checked (ledger only)");
  m.set_summary("sensors.readings_late", static_cast<double>(r.audit->readings_late()), "1",
                "readings that came after the readers gave up waiting for them (no ledger: also "
                "replayed copies): not run through the rules");
  m.set_summary("sensors.readings_failed", static_cast<double>(r.audit->readings_failed()), "1",
                "anchored readings that failed the readers' checks");
  m.set_summary("sensors.uploads_rejected", static_cast<double>(rejected), "1",
                "uploads and scans gateways refused (bad signature)");
  m.set_summary("sensors.batches", static_cast<double>(n_batches), "1", "batches closed");
  double per_block_mean = 0;
  for (const auto& [h, n] : per_block) per_block_mean += static_cast<double>(n);
  m.set_summary("sensors.anchors_per_block",
                per_block.empty() ? std::nan("") : per_block_mean / double(per_block.size()), "1",
                "anchor transactions per block that holds any (no ledger: per row)");
  m.set_summary("sensors.anchor_finality_max", max_finality, "s",
                "longest time from sending an anchor to its confirmation");
  m.set_summary("sensors.latency_to_gateway_median",
                percentile(r.audit->latency_to_gateway_s(), 0.5) / 60, "min",
                "sensing to the gateway's batch (median over uploads of their mean)");
  m.set_summary("sensors.latency_to_visible_median",
                percentile(r.audit->latency_to_visible_s(), 0.5) / 60, "min",
                "sensing to the anchor's confirmation (median over uploads of their mean)");
  m.set_summary("sensors.latency_to_visible_p95",
                percentile(r.audit->latency_to_visible_s(), 0.95) / 60, "min",
                "sensing to the anchor's confirmation, 95th percentile over uploads");
  m.set_summary("sensors.hub_link_bytes", static_cast<double>(hub_bytes), "B",
                "uploads that reached gateways");
  for (const std::string link : {"vessel", "port", "inland"}) {
    m.set_summary("sensors.uplink_bytes_" + link, static_cast<double>(uplink[link].first), "B",
                  "anchor transactions sent by " + link + " gateways");
    m.set_summary("sensors.uplink_cost_" + link, uplink[link].second, "USD",
                  "airtime of " + link + " gateways' uplinks");
  }
  m.set_summary("sensors.verify_real_checks", static_cast<double>(r.memo.real_checks()), "1",
                "signature checks computed (the rest came from the verification memo)");
}

// --- Timeline actions.

std::shared_ptr<SensorRun> sensor_run(sim::World& world, const sim::TimelineEntry& e) {
  const auto it = runs().find(&world.engine());
  if (it == runs().end() || it->second.expired()) {
    world.diagnostics().add(e.node->mark, e.path, "needs a `sensors` section");
    return nullptr;
  }
  return it->second.lock();
}

// The containers the entry's target names.
std::vector<size_t> containers_of(sim::World& world, const sim::TimelineEntry& e,
                                  const SensorRun& r) {
  std::vector<size_t> out;
  const sim::ConfigNode* target = e.node->find("target");
  for (sim::NodeId id : world.resolve(e.target, target->mark, e.path + ".target")) {
    for (size_t i = 0; i < r.containers.size(); ++i) {
      if (r.containers[i].hub == id) out.push_back(i);
    }
  }
  if (out.empty() && world.diagnostics().empty()) {
    world.diagnostics().add(target->mark, e.path + ".target",
                            "\"" + e.target + "\" names no monitored container");
  }
  return out;
}

sim::SimTime end_of(const sim::TimelineEntry& e) {
  return e.duration ? e.at + *e.duration : sim::SimTime::max();
}

void on_hub(sim::Engine& engine, sim::NodeId hub, sim::SimTime at,
            std::function<void(SensorHub&, sim::Context&)> f) {
  engine.schedule(at, [&engine, hub, f] {
    engine.invoke(hub,
                  [f](sim::Node& n, sim::Context& ctx) { f(static_cast<SensorHub&>(n), ctx); });
  });
}

}  // namespace

void register_model(sim::Registry& registry) {
  auto gateway_fields = [](std::string latency, std::string cost, std::string interval,
                           std::string items) {
    return std::vector<Field>{
        Field::scalar("latency", FieldType::kDuration, std::move(latency),
                      "uplink latency to the validators (or the platform)")
            .at_least(0),
        Field::scalar("loss", FieldType::kPercent, "0%", "uplink message loss"),
        Field::scalar("cost_per_mb", FieldType::kFloat, std::move(cost),
                      "airtime, USD per MB sent on the uplink")
            .at_least(0),
        Field::scalar("batch_interval", FieldType::kDuration, std::move(interval),
                      "a batch closes this long after its first item ...")
            .at_least(0, true),
        Field::scalar("batch_max_items", FieldType::kInt, std::move(items),
                      "... or when it holds this many readings and scans")
            .at_least(1)};
  };
  std::vector<Field> vessel = gateway_fields("600ms", "5", "15min", "4096");
  vessel.insert(vessel.begin(),
                Field::choice("uplink", {"satellite", "port_only"}, "satellite",
                              "satellite: always up, paid per byte; port_only: store and forward "
                              "until the vessel is in port"));
  Field inland = Field::object(
      "inland",
      "One per port's hinterland: trucks and warehouses (factory to port, customs to the "
      "warehouse and the retailer), on cellular links.",
      gateway_fields("300ms", "0.5", "5min", "1024"));
  inland.fields.insert(inland.fields.begin(),
                       Field::scalar("enabled", FieldType::kBool, "true",
                                     "false: the port gateways serve the inland legs"));
  registry.add_field(
      "",
      Field::object(
          "sensors",
          "Monitored containers on voyages of the route network: sensor hubs, vessel and port "
          "gateways, RFID checkpoints, anchoring on the ledger (docs/sensors.md).",
          {Field::choice("ledger", {"consortium", "none"}, "consortium",
                         "consortium: batches anchored on the consortium's ledger, readers "
                         "verify; none: the carrier's platform database, read as served"),
           Field::scalar("platform_write", FieldType::kDuration, "200ms",
                         "none: the platform's time to store a batch and answer")
               .at_least(0),
           Field::scalar("data", FieldType::kString, "\"\"",
                         "folder with locations.csv and lanes.csv (empty: the shipped "
                         "data/world; relative paths are from the scenario file)"),
           Field::scalar("vessel_speed_knots", FieldType::kFloat, "16", "service speed")
               .at_least(1)
               .at_most(30),
           Field::scalar("record_readings", FieldType::kInt, "4",
                         "the readings of this many containers (the first) go to the run file")
               .at_least(0),
           Field::list(
               "voyages", "Vessels sailing from one port to another, with containers on board.",
               {Field::scalar("name", FieldType::kString, "",
                              "voyage name: containers are name-1, name-2, ...; the vessels' "
                              "gateways gateway-name-1, ...")
                    .must(),
                Field::scalar("from", FieldType::kString, "", "port of loading (UN/LOCODE)").must(),
                Field::scalar("to", FieldType::kString, "", "port of discharge (UN/LOCODE)").must(),
                Field::scalar("depart", FieldType::kDuration, "3d", "first vessel's departure")
                    .at_least(0),
                Field::scalar("vessels", FieldType::kInt, "1", "vessels on this voyage")
                    .at_least(1),
                Field::scalar("interval", FieldType::kDuration, "1d",
                              "between two vessels' departures")
                    .at_least(0),
                Field::scalar("containers", FieldType::kInt, "1", "monitored containers per vessel")
                    .at_least(1),
                Field::texts("avoid", "locations the vessels do not use (e.g. SUEZ)")}),
           Field::object(
               "hub",
               "Each container's sensor hub: the sensors fitted, and signed uploads of the "
               "readings since the last one.",
               {Field::object(
                    "sensors", "Sampling period per sensor (0s: not fitted).",
                    {Field::scalar("temperature", FieldType::kDuration, "5min", "").at_least(0),
                     Field::scalar("gps", FieldType::kDuration, "15min", "").at_least(0),
                     Field::scalar("humidity", FieldType::kDuration, "0s", "").at_least(0),
                     Field::scalar("shock", FieldType::kDuration, "5min", "").at_least(0),
                     Field::scalar("door", FieldType::kDuration, "5min", "").at_least(0)}),
                Field::scalar("upload_period", FieldType::kDuration, "15min",
                              "signed upload of the buffer")
                    .at_least(0, true),
                Field::scalar("link_latency", FieldType::kDuration, "50ms",
                              "hub to gateway (BLE, LoRa, the vessel's network)")
                    .at_least(0),
                Field::scalar("link_loss", FieldType::kPercent, "0%", "uploads lost on that link"),
                Field::scalar("temperature_noise_c", FieldType::kFloat, "0.1",
                              "standard deviation of a temperature reading")
                    .at_least(0),
                Field::scalar("temperature_drift_c_per_day", FieldType::kFloat, "0",
                              "calibration drift")
                    .at_least(0),
                Field::scalar("gps_noise_deg", FieldType::kFloat, "0.0002",
                              "standard deviation of a position, degrees")
                    .at_least(0),
                Field::scalar("failure_per_sample", FieldType::kPercent, "0%",
                              "chance that a sensor fails for good at a sample"),
                Field::scalar("battery_samples", FieldType::kInt, "0",
                              "samples the hub's battery powers, all sensors together (0: "
                              "powered by the reefer)")
                    .at_least(0)}),
           Field::object(
               "reefer",
               "The containers' refrigeration.",
               {Field::scalar("setpoint_c", FieldType::kFloat, "4", "held while powered"),
                Field::scalar("ambient_c", FieldType::kFloat, "25", "approached while unpowered"),
                Field::scalar("warming_c_per_h", FieldType::kFloat, "1.5", "unpowered").at_least(0),
                Field::scalar("cooling_c_per_h", FieldType::kFloat, "4",
                              "back to the setpoint once powered")
                    .at_least(0),
                Field::scalar("humidity_pct", FieldType::kFloat, "85", "relative humidity")
                    .at_least(0)
                    .at_most(100)}),
           Field::object("gateways",
                         "Gateways batch uploads and scans, and anchor each batch's root.",
                         {Field::object("vessel", "One per vessel.", vessel),
                          Field::object("port", "One per port.",
                                        gateway_fields("100ms", "0", "5min", "1024")),
                          inland,
                          Field::choice("submit_to", {"one", "f_plus_one", "all"}, "one",
                                        "validators an anchor is sent to")}),
           Field::object(
               "checkpoints",
               "RFID checkpoints: factory, port of loading, port of discharge, customs, "
               "warehouse, retailer.",
               {Field::scalar("factory_to_port", FieldType::kDuration, "1d",
                              "sealed at the factory to the port of loading")
                    .at_least(0),
                Field::scalar("port_dwell", FieldType::kDuration, "2d",
                              "in the yard before the vessel leaves")
                    .at_least(0),
                Field::scalar("customs", FieldType::kDuration, "1d",
                              "from discharge to the customs scan")
                    .at_least(0),
                Field::scalar("to_warehouse", FieldType::kDuration, "1d",
                              "customs to the warehouse, where the container is unpacked")
                    .at_least(0),
                Field::scalar("to_retailer", FieldType::kDuration, "1d",
                              "warehouse to the retailer (the goods' last scan)")
                    .at_least(0),
                Field::scalar("inspection_probability", FieldType::kPercent, "5%",
                              "share of containers customs open at the customs checkpoint"),
                Field::scalar("inspection_time", FieldType::kDuration, "2d",
                              "an inspection's result comes this long after the scan")
                    .at_least(0)}),
           Field::object(
               "alerts",
               "The readers' rules.",
               {Field::scalar("temperature_lo_c", FieldType::kFloat, "2", "lowest allowed"),
                Field::scalar("temperature_hi_c", FieldType::kFloat, "8", "highest allowed"),
                Field::scalar("temperature_for", FieldType::kDuration, "30min",
                              "an excursion counts when it lasts this long")
                    .at_least(0),
                Field::scalar("shock_g", FieldType::kFloat, "5", "shock alert (0: off)")
                    .at_least(0),
                Field::scalar("deviation_km", FieldType::kFloat, "0",
                              "route deviation alert (0: off)")
                    .at_least(0),
                Field::scalar("silent_periods", FieldType::kInt, "3",
                              "a fitted sensor silent this many periods is reported")
                    .at_least(1),
                Field::scalar("tag_mismatch_km", FieldType::kFloat, "50",
                              "a tag scanned farther than this from its container's position")
                    .at_least(0)})},
          /*implicit=*/false));

  registry.add_model(sim::ModelSpec{
      "sensors", "Sensor hubs on containers, gateways, RFID checkpoints, anchors on the ledger",
      "sensors", build});

  registry.add_action(sim::ActionSpec{
      "reefer_power_failure",
      "The reefers of the target containers lose power for the entry's duration (to the end "
      "without `for`): they warm towards the ambient temperature.",
      {},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        auto run = sensor_run(world, e);
        if (!run) return;
        for (size_t i : containers_of(world, e, *run)) {
          run->containers[i].state->power_off({e.at, end_of(e)});
          run->power_failures.push_back({i, {e.at, end_of(e)}});
        }
      }});
  registry.add_action(sim::ActionSpec{
      "tamper_sensor",
      "Tamper with the target containers' hubs for the entry's duration: fake_key (forged "
      "readings signed with a key nobody registered), stolen_key (reassuring temperatures under "
      "the real key), replay (a captured upload sent again), suppress (readings outside the "
      "alert range discarded).",
      {Field::choice("mode", {"fake_key", "stolen_key", "replay", "suppress"}, "suppress",
                     "what the attacker does")},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        auto run = sensor_run(world, e);
        if (!run) return;
        const std::string mode = e.param("mode");
        const HubFault fault = mode == "fake_key"     ? HubFault::kFakeKey
                               : mode == "stolen_key" ? HubFault::kStolenKey
                               : mode == "replay"     ? HubFault::kReplay
                                                      : HubFault::kSuppress;
        // suppress: outside the rule's range; stolen_key: the forged value is the setpoint.
        const bool forges = fault == HubFault::kStolenKey || fault == HubFault::kFakeKey;
        const double lo = forges ? run->containers.front().state->reefer().setpoint_c
                                 : run->rules.temperature_lo_c;
        const double hi = run->rules.temperature_hi_c;
        for (size_t i : containers_of(world, e, *run)) {
          run->tampers.push_back({i, fault, e.at, end_of(e)});
          on_hub(world.engine(), run->containers[i].hub, e.at,
                 [fault, lo, hi](SensorHub& h, sim::Context&) { h.set_fault(fault, lo, hi); });
          if (e.duration) {
            on_hub(world.engine(), run->containers[i].hub, end_of(e),
                   [](SensorHub& h, sim::Context&) { h.set_fault(HubFault::kNone); });
          }
        }
      }});
  registry.add_action(sim::ActionSpec{
      "swap_container",
      "The goods of the target container and of container `with` change places (the doors of "
      "both open for 30 minutes): each tag now travels with the other container's goods.",
      {Field::scalar("with", FieldType::kString, "", "the other container").must()},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        auto run = sensor_run(world, e);
        if (!run) return;
        const auto targets = containers_of(world, e, *run);
        const std::string other = e.param("with");
        const auto it = run->container_of.find(other);
        if (it == run->container_of.end()) {
          world.diagnostics().add(e.node->find("with")->mark, e.path + ".with",
                                  "\"" + other + "\" names no monitored container");
          return;
        }
        for (size_t a : targets) {
          const size_t b = it->second;
          if (a == b) {
            world.diagnostics().add(e.node->find("with")->mark, e.path + ".with",
                                    "a container cannot swap with itself");
            return;
          }
          const uint64_t ta = run->containers[a].tag, tb = run->containers[b].tag;
          // Later scans of a's goods are scans of the goods now in it, and the other way round.
          for (PlannedScan& p : run->scans) {
            if (p.t < e.at) continue;
            if (p.tag == ta) {
              p.tag = tb;
            } else if (p.tag == tb) {
              p.tag = ta;
            }
          }
          for (size_t i : {a, b}) run->containers[i].state->door_open({e.at, e.at + 30 * kMinute});
          run->swaps.emplace_back(a, b, e.at);
        }
      }});
  registry.add_action(sim::ActionSpec{
      "gateway_drop",
      "The target gateways withhold every batch they close during the entry's duration: kept in "
      "their store, never anchored.",
      {},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        auto run = sensor_run(world, e);
        if (!run) return;
        sim::Engine& engine = world.engine();
        const sim::ConfigNode* target = e.node->find("target");
        bool any = false;
        for (sim::NodeId id : world.resolve(e.target, target->mark, e.path + ".target")) {
          if (std::find(run->gateways.begin(), run->gateways.end(), id) == run->gateways.end()) {
            continue;
          }
          any = true;
          auto set = [&engine, id](sim::SimTime at, bool on) {
            engine.schedule(at, [&engine, id, on] {
              engine.invoke(id, [on](sim::Node& n, sim::Context&) {
                static_cast<Gateway&>(n).set_withholding(on);
              });
            });
          };
          set(e.at, true);
          if (e.duration) set(end_of(e), false);
        }
        if (!any && world.diagnostics().empty()) {
          world.diagnostics().add(target->mark, e.path + ".target",
                                  "\"" + e.target + "\" names no sensor gateway");
        }
      }});
  registry.add_action(sim::ActionSpec{
      "sensor_failure",
      "One sensor of the target containers fails for good.",
      {Field::choice("sensor", {"temperature", "gps", "humidity", "shock", "door"}, "temperature",
                     "which sensor")},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        auto run = sensor_run(world, e);
        if (!run) return;
        const std::string which = e.param("sensor");
        ReadingKind kind = ReadingKind::kTemperature;
        for (const auto& [key, k] : sensor_kinds()) {
          if (key == which) kind = k;
        }
        const auto& hub =
            static_cast<const SensorHub&>(world.engine().node(run->containers.front().hub));
        const auto& fitted = hub.params().sensors;
        const auto index = static_cast<size_t>(
            std::find_if(fitted.begin(), fitted.end(),
                         [kind](const SensorSpec& sp) { return sp.kind == kind; }) -
            fitted.begin());
        if (index == fitted.size()) {
          world.diagnostics().add(e.node->find("sensor")->mark, e.path + ".sensor",
                                  "no " + which + " sensor is fitted (sensors.hub.sensors)");
          return;
        }
        for (size_t i : containers_of(world, e, *run)) {
          run->failures.push_back({i, e.at});
          on_hub(world.engine(), run->containers[i].hub, e.at,
                 [index](SensorHub& h, sim::Context&) { h.fail_sensor(index); });
        }
      }});
}

}  // namespace tradesim::sensors
