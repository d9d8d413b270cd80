// Builds the trade world from the `trade` section; its shocks and its metrics.
#include "models/trade/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "models/supply/gravity.hpp"
#include "models/trade/agreements.hpp"
#include "models/trade/trade.hpp"
#include "sim/engine.hpp"

namespace tradesim::trade {

using sim::Field;
using sim::FieldType;
namespace fs = std::filesystem;

namespace {

constexpr sim::Duration kDay = sim::Duration::from_ns(sim::units::kDay);

std::vector<std::string> texts(const sim::Scenario& s, const std::string& path) {
  std::vector<std::string> out;
  if (const sim::ConfigNode* n = s.root().at_path(path); n != nullptr && n->is_list()) {
    for (const sim::ConfigNode& item : n->list) out.push_back(item.scalar);
  }
  return out;
}

struct CountryData {
  double gdp_bn = 0;
  std::string currency;
};

std::map<std::string, CountryData> load_countries(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  std::map<std::string, CountryData> out;
  std::string line;
  bool header = true;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (cells.size() < 4) {
      throw std::runtime_error(file + ":" + std::to_string(line_no) +
                               ": expected code,name,gdp_usd_bn,currency");
    }
    out[cells[0]] = {std::stod(cells[2]), cells[3]};
  }
  return out;
}

// Everything the run file needs at the end of the run.
struct TradeRun {
  std::shared_ptr<TradeWorld> world;
  std::vector<Importer*> importers;
  std::vector<Exporter*> exporters;
  std::vector<Port*> ports;
  std::vector<Vessel*> vessels;
  struct Shock {
    std::string action, target;
    sim::SimTime at, until;
    size_t index;  // in the timeline
  };
  std::vector<Shock> shocks;
  std::vector<double> lead_days, production_days, origin_days, sea_days, destination_days,
      customs_days, inland_days;
  double delivered_units = 0, freight = 0, extra_km = 0;
  uint64_t reroutes = 0;
  double max_imbalance = 0;
  std::map<std::string, int> chokepoint_closures;
};

// The TradeRun of each engine running a trade world (timeline actions find theirs here).
std::map<const sim::Engine*, std::weak_ptr<TradeRun>>& runs() {
  static std::map<const sim::Engine*, std::weak_ptr<TradeRun>> r;
  return r;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

double mean(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double days(sim::SimTime a, sim::SimTime b) {
  return (b - a).seconds() / 86400.0;
}

// Samples the world once a day: totals as gauges, per-port and per-importer rows.
class Monitor : public sim::Node {
 public:
  Monitor(TradeRun* run, sim::Metrics& m) : run_(run) {
    in_transit_ = &m.sampled_gauge("trade.goods.in_transit", "units",
                                   "goods shipped by exporters and not yet delivered");
    at_importers_ =
        &m.sampled_gauge("trade.goods.at_importers", "units", "goods in importers' stock");
    at_exporters_ = &m.sampled_gauge("trade.goods.at_exporters", "units",
                                     "finished goods at exporters, not yet shipped");
    sold_ = &m.sampled_gauge("trade.goods.sold", "units", "goods sold to consumers so far");
    imbalance_ = &m.sampled_gauge(
        "trade.goods.imbalance", "units",
        "produced - (at exporters + in transit + at importers + sold + lost): 0 when goods are "
        "conserved");
    backorders_ = &m.sampled_gauge("trade.backorders", "units", "units owed to consumers");
    vessels_waiting_ = &m.sampled_gauge("trade.vessels_waiting", "vessels",
                                        "vessels waiting for a berth, all ports");
    yard_ = &m.sampled_gauge("trade.yard", "TEU", "containers waiting in port yards, all ports");
    port_rows_ = &m.table(
        "port_days", "each port once a day",
        {{"t_ns", sim::ColumnType::kInt, "ns", "time of the sample"},
         {"port", sim::ColumnType::kText, "", "UN/LOCODE"},
         {"vessels_waiting", sim::ColumnType::kInt, "vessels", "vessels queued for a berth"},
         {"berths_busy", sim::ColumnType::kInt, "berths", "berths in use"},
         {"berths_open", sim::ColumnType::kInt, "berths", "berths open"},
         {"yard_teu", sim::ColumnType::kInt, "TEU", "containers waiting for a vessel"},
         {"gate_teu", sim::ColumnType::kInt, "TEU",
          "containers waiting at the gate of a full yard"}});
    stock_rows_ =
        &m.table("stock_days", "each importer once a day",
                 {{"t_ns", sim::ColumnType::kInt, "ns", "time of the sample"},
                  {"importer", sim::ColumnType::kInt, "1", "node id"},
                  {"on_hand", sim::ColumnType::kFloat, "units", "stock on hand"},
                  {"backorders", sim::ColumnType::kFloat, "units", "units owed"},
                  {"on_order", sim::ColumnType::kFloat, "units", "ordered, not yet received"}});
  }
  void on_start(sim::Context& ctx) override {
    sample(ctx.now());
    ctx.set_timer(kDay);
  }
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t) override {
    sample(ctx.now());
    ctx.set_timer(kDay);
  }
  std::string_view kind() const override { return "trade-monitor"; }

 private:
  void sample(sim::SimTime now) {
    const GoodsLedger& g = run_->world->goods();
    in_transit_->set(g.in_transit);
    at_importers_->set(g.at_importers);
    at_exporters_->set(g.at_exporters);
    sold_->set(g.sold);
    imbalance_->set(g.imbalance());
    run_->max_imbalance = std::max(run_->max_imbalance, std::abs(g.imbalance()));
    double owed = 0;
    for (const Importer* i : run_->importers) {
      owed += std::max(0.0, i->inventory().backorders());
      stock_rows_->append({now, static_cast<int64_t>(i == nullptr ? 0 : id_of(i)),
                           i->inventory().on_hand(), i->inventory().backorders(),
                           i->inventory().on_order()});
    }
    backorders_->set(owed);
    size_t waiting = 0;
    int yard = 0;
    for (size_t k = 0; k < run_->ports.size(); ++k) {
      const Port* p = run_->ports[k];
      waiting += p->vessels_waiting();
      yard += p->yard_teu();
      port_rows_->append(
          {now, run_->world->ports()[k].code, static_cast<int64_t>(p->vessels_waiting()),
           static_cast<int64_t>(p->station().busy()), static_cast<int64_t>(p->station().servers()),
           static_cast<int64_t>(p->yard_teu()), static_cast<int64_t>(p->gate_teu())});
    }
    vessels_waiting_->set(static_cast<double>(waiting));
    yard_->set(yard);
  }
  sim::NodeId id_of(const Importer* i) const { return ids_.at(i); }

 public:
  std::map<const Importer*, sim::NodeId> ids_;

 private:
  TradeRun* run_;
  sim::Gauge *in_transit_, *at_importers_, *at_exporters_, *sold_, *imbalance_, *backorders_,
      *vessels_waiting_, *yard_;
  sim::EventTable *port_rows_, *stock_rows_;
};

std::vector<Field> demand_fields() {
  return {Field::scalar("per_day", FieldType::kFloat, "40", "units a consumer buys per day")
              .at_least(0),
          Field::scalar("trend", FieldType::kFloat, "0", "units per day added each day"),
          Field::scalar("seasonal_amplitude", FieldType::kFloat, "0",
                        "yearly seasonality: demand x (1 + a sin(2 pi day / 365))")
              .at_least(0)
              .at_most(1),
          Field::scalar("cv", FieldType::kFloat, "0.3",
                        "coefficient of variation of the daily demand (normal noise)")
              .at_least(0)};
}

void build(sim::World& world) {
  const sim::Scenario& s = world.scenario();
  sim::Engine& engine = world.engine();
  sim::Diagnostics& diag = world.diagnostics();
  auto mark = [&](const std::string& path) { return s.at(path).mark; };

  // --- Data files.
  std::string data = s.text("trade.data");
  if (data.empty()) {
    data = std::string(TRADESIM_DATA_DIR) + "/world";
  } else if (fs::path(data).is_relative()) {
    data = (fs::path(s.file()).parent_path() / data).string();
  }
  logistics::RouteGraph graph;
  std::map<std::string, CountryData> countries;
  try {
    graph = logistics::RouteGraph::load(data + "/locations.csv", data + "/lanes.csv");
    countries = load_countries(data + "/countries.csv");
  } catch (const std::exception& e) {
    diag.add(mark("trade.data"), "trade.data", e.what());
    return;
  }

  // --- Parameters.
  TradeParams p;
  p.demand.base = s.number("trade.consumers.demand.per_day");
  p.demand.trend = s.number("trade.consumers.demand.trend");
  p.demand.seasonal_amplitude = s.number("trade.consumers.demand.seasonal_amplitude");
  p.demand.season_length = 365;
  p.demand.cv = s.number("trade.consumers.demand.cv");
  p.demand.noise = p.demand.cv > 0 ? supply::Noise::kNormal : supply::Noise::kNone;
  p.demand.period = kDay;
  p.policy = s.text("trade.importers.policy") == "s_S" ? PolicyKind::kSs : PolicyKind::kOrderUpTo;
  p.s = s.number("trade.importers.s_days");
  p.S = s.number("trade.importers.S_days");
  p.forecast_window = static_cast<int>(s.integer("trade.importers.forecast_days"));
  p.protection_days = static_cast<int>(s.integer("trade.importers.protection_days"));
  p.safety_factor = s.number("trade.importers.safety_factor");
  p.initial_stock_days = s.number("trade.importers.initial_stock_days");
  p.expedite_below_days = s.number("trade.importers.expedite_below_days");
  p.expedite_days = s.number("trade.importers.expedite_days");
  p.holding_cost = s.number("trade.costs.holding");
  p.backlog_cost = s.number("trade.costs.backlog");
  p.unit_price = s.number("trade.costs.unit_price");
  p.freight_per_teu_km = s.number("trade.costs.freight_per_teu_km");
  p.units_per_teu = s.number("trade.units_per_teu");
  p.capacity_per_day = s.number("trade.exporters.capacity_per_day");
  p.production_lead_time = s.duration("trade.exporters.production_lead_time");
  p.inland_to_port = s.duration("trade.exporters.to_port");
  p.crane_moves_per_hour = s.number("trade.port.crane_moves_per_hour");
  p.berth_fixed = s.duration("trade.port.berth_fixed");
  p.document_check = s.duration("trade.customs.document_check");
  p.inspection_probability = s.fraction("trade.customs.inspection_probability");
  p.inspection_time = s.duration("trade.customs.inspection_time");
  p.customs_officers = static_cast<int>(s.integer("trade.customs.officers"));
  p.ledger_document_factor = s.number("trade.customs.ledger_document_factor");
  p.ledger_inspection_factor = s.number("trade.customs.ledger_inspection_factor");
  p.inland_delivery = s.duration("trade.customs.to_importer");
  p.vessel_speed_knots = s.number("trade.vessel_speed_knots");
  p.pay_in_advance = s.text("trade.payment_terms") == "in_advance";
  p.warmup = s.duration("trade.warmup");
  const bool ledger = s.text("trade.ledger") == "consortium";
  if (ledger && !s.has("consortium")) {
    diag.add(mark("trade.ledger"), "trade.ledger",
             "ledger: consortium needs a `consortium` section (the validators)");
    return;
  }
  p.ledger_documents = ledger;
  if (!(p.warmup < s.length())) {
    diag.add(mark("trade.warmup"), "trade.warmup", "must end before scenario.duration");
    return;
  }

  auto run = std::make_shared<TradeRun>();
  run->world = std::make_shared<TradeWorld>(std::move(graph), p);
  TradeWorld& w = *run->world;
  runs()[&engine] = run;
  // The shocks of the timeline, for the recovery records.
  if (const sim::ConfigNode* timeline = s.root().at_path("timeline");
      timeline != nullptr && timeline->is_list()) {
    static const std::set<std::string> kShocks = {"close_port",      "close_chokepoint",
                                                  "reduce_capacity", "production_stop",
                                                  "demand_surge",    "customs_slowdown"};
    for (size_t index = 0; index < timeline->list.size(); ++index) {
      const sim::ConfigNode& entry = timeline->list[index];
      const sim::ConfigNode* action = entry.find("do");
      const sim::ConfigNode* at = entry.find("at");
      if (action == nullptr || at == nullptr || !kShocks.count(action->scalar)) continue;
      const sim::SimTime start = sim::SimTime::zero() + sim::Duration::parse(at->scalar);
      const sim::ConfigNode* length = entry.find("for");
      const sim::ConfigNode* target = entry.find("target");
      run->shocks.push_back(
          {action->scalar, target ? target->scalar : "", start,
           length ? start + sim::Duration::parse(length->scalar) : sim::SimTime::max(), index});
    }
  }

  // All trade nodes share one site: physical delays are the model's, not the network's.
  sim::SiteId site = 0;
  if (auto found = engine.network().find_site("trade")) {
    site = *found;
  } else {
    site = engine.network().add_site("trade");
  }

  // --- Ports and customs.
  const sim::ConfigNode& port_list = s.at("trade.ports");
  std::map<std::string, uint32_t> port_index;
  for (size_t k = 0; k < port_list.list.size(); ++k) {
    const std::string path = "trade.ports." + std::to_string(k);
    const std::string code = s.text(path + ".code");
    const auto loc = w.graph().find(code);
    if (!loc || w.graph().location(*loc).kind != logistics::LocationKind::kPort) {
      diag.add(mark(path + ".code"), path + ".code",
               "\"" + code + "\" is not a port of " + data + "/locations.csv");
      continue;
    }
    if (port_index.count(code)) {
      diag.add(mark(path + ".code"), path + ".code", "port " + code + " is listed twice");
      continue;
    }
    const logistics::Location& l = w.graph().location(*loc);
    const auto index = static_cast<uint32_t>(w.ports().size());
    port_index[code] = index;
    w.ports().push_back({code, *loc, l.country, l.region, 0});
    auto& port = world.emplace<Port>(code, {"ports", "region:" + l.region, "country:" + l.country},
                                     site, &w, index, static_cast<int>(s.integer(path + ".berths")),
                                     static_cast<int>(s.teu(path + ".yard")));
    (void)port;
    w.ports().back().node = *world.find(code);
    run->ports.push_back(&port);
    if (!countries.count(l.country)) {
      diag.add(mark(path + ".code"), path + ".code",
               "country " + l.country + " of " + code + " is not in countries.csv");
    }
  }
  if (!diag.empty()) return;
  std::set<std::string> port_countries;
  for (const PortInfo& pi : w.ports()) port_countries.insert(pi.country);
  for (logistics::LocationId id = 0; id < w.graph().location_count(); ++id) {
    const logistics::Location& l = w.graph().location(id);
    if (l.kind == logistics::LocationKind::kAirport) w.add_airport(l.country, id);
  }
  world.emplace<AirCargo>("air-cargo", {"carriers"}, site, &w);
  w.air_cargo = *world.find("air-cargo");
  for (const std::string& c : port_countries) {
    world.emplace<Customs>("customs:" + c, {"customs", "country:" + c}, site, &w, c,
                           p.customs_officers);
    w.add_customs(c, *world.find("customs:" + c));
  }

  auto ports_of = [&](const std::string& path) {
    std::vector<uint32_t> out;
    const std::vector<std::string> codes = texts(s, path);
    for (size_t k = 0; k < codes.size(); ++k) {
      const auto it = port_index.find(codes[k]);
      if (it == port_index.end()) {
        diag.add(mark(path + "." + std::to_string(k)), path + "." + std::to_string(k),
                 "\"" + codes[k] + "\" is not one of trade.ports");
      } else {
        out.push_back(it->second);
      }
    }
    if (codes.empty()) {
      for (uint32_t i = 0; i < w.ports().size(); ++i) out.push_back(i);
    }
    return out;
  };

  // --- Liner services and their vessels.
  const sim::ConfigNode& services = s.at("trade.services");
  std::vector<std::vector<uint32_t>> rotations;
  for (size_t k = 0; k < services.list.size(); ++k) {
    const std::string path = "trade.services." + std::to_string(k);
    std::vector<uint32_t> rotation = ports_of(path + ".ports");
    if (texts(s, path + ".ports").size() < 2) {
      diag.add(mark(path), path, "a service calls at two ports at least");
      continue;
    }
    rotations.push_back(rotation);
    const int teu = static_cast<int>(s.teu(path + ".teu"));
    logistics::RoutingOptions routing;
    routing.modes = logistics::ModeSet::only(logistics::Mode::kSea);
    routing.sea_speed_knots = p.vessel_speed_knots;
    // Ships beyond Neopanamax size (about 14,000 TEU) cannot use the Panama Canal.
    if (teu > 14000) routing.avoid.push_back("PANAMA");
    const std::vector<std::string> avoid = texts(s, path + ".avoid");
    for (size_t i = 0; i < avoid.size(); ++i) {
      if (!w.graph().find(avoid[i])) {
        diag.add(mark(path + ".avoid." + std::to_string(i)), path + ".avoid." + std::to_string(i),
                 "\"" + avoid[i] + "\" is not a location of the route network");
      } else {
        routing.avoid.push_back(avoid[i]);
      }
    }
    if (!diag.empty()) return;
    for (size_t leg = 0; leg < rotation.size(); ++leg) {
      const PortInfo& a = w.ports()[rotation[leg]];
      const PortInfo& b = w.ports()[rotation[(leg + 1) % rotation.size()]];
      if (!w.graph().shortest(a.location, b.location, routing)) {
        diag.add(mark(path + ".ports"), path + ".ports",
                 "no sea route from " + a.code + " to " + b.code + " for this service" +
                     (routing.avoid.empty() ? "" : " (it avoids some locations)"));
      }
    }
    const int vessels = static_cast<int>(s.integer(path + ".vessels"));
    const sim::Duration spacing = s.duration(path + ".frequency");
    const std::string name = s.text(path + ".name");
    for (int v = 0; v < vessels; ++v) {
      const std::string vname = name + "-" + std::to_string(v + 1);
      auto& vessel = world.emplace<Vessel>(vname, {"vessels", "service:" + name}, site, &w,
                                           static_cast<int>(k), spacing, rotation, 0, teu, routing,
                                           sim::Duration::from_ns(spacing.ns() * v));
      run->vessels.push_back(&vessel);
      w.vessels().push_back(*world.find(vname));
    }
  }
  if (!diag.empty()) return;
  auto connected = [&](uint32_t a, uint32_t b) {
    for (const auto& r : rotations) {
      if (std::find(r.begin(), r.end(), a) != r.end() &&
          std::find(r.begin(), r.end(), b) != r.end())
        return true;
    }
    return false;
  };

  // --- Exporters, importers, consumers.
  const std::vector<uint32_t> exporter_ports = ports_of("trade.exporters.ports");
  const std::vector<uint32_t> importer_ports = ports_of("trade.importers.ports");
  if (!diag.empty()) return;
  const auto n_exporters = static_cast<uint32_t>(s.integer("trade.exporters.count"));
  const auto n_importers = static_cast<uint32_t>(s.integer("trade.importers.count"));
  const auto n_consumers = static_cast<uint32_t>(s.integer("trade.consumers.count"));
  std::vector<sim::NodeId> exporter_ids;
  for (uint32_t i = 0; i < n_exporters; ++i) {
    const uint32_t port = exporter_ports[i % exporter_ports.size()];
    const std::string country = w.ports()[port].country;
    const std::string name = "exporter-" + std::to_string(i + 1);
    auto& e = world.emplace<Exporter>(
        name, {"exporters", "country:" + country, "region:" + w.ports()[port].region}, site, &w, i,
        port, country, p.capacity_per_day);
    run->exporters.push_back(&e);
    exporter_ids.push_back(*world.find(name));
  }
  std::vector<double> importer_demand(n_importers, 0);
  for (uint32_t c = 0; c < n_consumers; ++c) importer_demand[c % n_importers] += p.demand.base;
  auto monitor_ptr = std::make_unique<Monitor>(run.get(), engine.metrics());
  Monitor* monitor = monitor_ptr.get();
  std::vector<sim::NodeId> importer_ids;
  for (uint32_t i = 0; i < n_importers; ++i) {
    const uint32_t port = importer_ports[i % importer_ports.size()];
    const std::string country = w.ports()[port].country;
    const std::string name = "importer-" + std::to_string(i + 1);
    auto& imp = world.emplace<Importer>(
        name, {"importers", "country:" + country, "region:" + w.ports()[port].region}, site, &w, i,
        port, country, std::max(1e-9, importer_demand[i]));
    run->importers.push_back(&imp);
    importer_ids.push_back(*world.find(name));
    monitor->ids_[&imp] = importer_ids.back();
  }
  for (uint32_t c = 0; c < n_consumers; ++c) {
    const uint32_t i = c % n_importers;
    const uint32_t port = importer_ports[i % importer_ports.size()];
    supply::DemandParams d = p.demand;
    world.emplace<Consumer>(
        "consumer-" + std::to_string(c + 1),
        {"consumers", "country:" + w.ports()[port].country, "region:" + w.ports()[port].region},
        site, &w, importer_ids[i], supply::DemandProcess(d));
  }
  world.add("trade-monitor", {}, site, std::move(monitor_ptr));
  for (size_t k = 0; k < run->exporters.size(); ++k) {
    w.country_of[exporter_ids[k]] = run->exporters[k]->country();
  }

  // --- Payments: correspondent banks or ledger gateways, one access node per country.
  std::vector<payments::Country> pay_countries;
  for (const std::string& c : port_countries) {
    double offset = 0;
    for (const PortInfo& pi : w.ports()) {
      if (pi.country == c) offset = w.graph().location(pi.location).utc_offset_hours;
    }
    pay_countries.push_back({c, offset, countries.at(c).currency});
  }
  w.payments = payments::PaymentService::build(world, "trade.payments", pay_countries, site);
  if (!w.payments) return;

  // --- Sourcing: the gravity model's flow from each exporter country to each importer country,
  // shared among that country's exporters that a service connects to the importer's port.
  std::vector<std::string> names(port_countries.begin(), port_countries.end());
  const auto n = static_cast<Eigen::Index>(names.size());
  supply::GravityInputs in;
  in.gdp.resize(n);
  Eigen::VectorXd lat(n), lon(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    in.gdp(i) = countries.at(names[static_cast<size_t>(i)]).gdp_bn;
    double la = 0, lo = 0, k = 0;
    for (const PortInfo& pi : w.ports()) {
      if (pi.country != names[static_cast<size_t>(i)]) continue;
      la += w.graph().location(pi.location).latitude;
      lo += w.graph().location(pi.location).longitude;
      ++k;
    }
    lat(i) = la / k;
    lon(i) = lo / k;
  }
  in.distance = supply::distance_matrix_km(lat, lon);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) in.distance(i, j) = std::max(in.distance(i, j), 100.0);
  }
  supply::GravityParams gp;
  gp.exporter_gdp_elasticity = s.number("trade.gravity.exporter_gdp_elasticity");
  gp.importer_gdp_elasticity = s.number("trade.gravity.importer_gdp_elasticity");
  gp.distance_elasticity = s.number("trade.gravity.distance_elasticity");
  const Eigen::MatrixXd flows = supply::gravity_flows(in, gp);
  auto country_index = [&](const std::string& c) {
    return static_cast<Eigen::Index>(std::find(names.begin(), names.end(), c) - names.begin());
  };
  std::map<std::pair<std::string, uint32_t>, int> exporters_per;  // (country, importer port)
  for (uint32_t ip : std::set<uint32_t>(importer_ports.begin(), importer_ports.end())) {
    for (const Exporter* e : run->exporters) {
      if (connected(e->port(), ip) && e->port() != ip) ++exporters_per[{e->country(), ip}];
    }
  }
  for (uint32_t ip : std::set<uint32_t>(importer_ports.begin(), importer_ports.end())) {
    std::vector<sim::NodeId> ids;
    std::vector<double> weights;
    const Eigen::Index j = country_index(w.ports()[ip].country);
    for (size_t k = 0; k < run->exporters.size(); ++k) {
      const Exporter* e = run->exporters[k];
      if (!connected(e->port(), ip) || e->port() == ip) continue;
      const Eigen::Index i = country_index(e->country());
      ids.push_back(exporter_ids[k]);
      weights.push_back(i == j ? 0 : flows(i, j) / exporters_per[{e->country(), ip}]);
    }
    try {
      w.set_sourcing(ip, ids, weights);
    } catch (const std::exception& e) {
      diag.add(mark("trade.services"), "trade.services",
               std::string(e.what()) +
                   ": no liner service connects it to an exporter's port "
                   "in another country");
      return;
    }
  }

  // --- Supply agreements and invoice financing (docs/trade.md).
  if (!build_contracts(world, w, run->importers, importer_ids, exporter_ids, site, ledger)) return;

  // Trade nodes carry goods, vessels and clearances in their timers and messages: a crash would
  // lose them untracked. Disruptions of the trade world are its shocks.
  if (const sim::ConfigNode* timeline = s.root().at_path("timeline");
      timeline != nullptr && timeline->is_list()) {
    static const std::set<std::string> kGroups = {"ports",     "vessels", "exporters", "importers",
                                                  "consumers", "customs", "carriers"};
    for (size_t index = 0; index < timeline->list.size(); ++index) {
      const sim::ConfigNode& entry = timeline->list[index];
      const sim::ConfigNode* action = entry.find("do");
      const sim::ConfigNode* target = entry.find("target");
      if (action == nullptr || target == nullptr || action->scalar != "crash") continue;
      const std::string& t = target->scalar;
      bool trade_node = kGroups.count(t) || t.rfind("country:", 0) == 0 ||
                        t.rfind("region:", 0) == 0 || t.rfind("service:", 0) == 0;
      if (const auto id = world.find(t)) {
        sim::Node& n = engine.node(*id);
        trade_node = dynamic_cast<Port*>(&n) || dynamic_cast<Vessel*>(&n) ||
                     dynamic_cast<Exporter*>(&n) || dynamic_cast<Importer*>(&n) ||
                     dynamic_cast<Consumer*>(&n) || dynamic_cast<Customs*>(&n) ||
                     dynamic_cast<AirCargo*>(&n);
      }
      if (trade_node) {
        const std::string where = "timeline." + std::to_string(index) + ".target";
        diag.add(target->mark, where,
                 "trade nodes cannot crash (goods in their care would be lost untracked): use "
                 "close_port, reduce_capacity, production_stop or customs_slowdown");
      }
    }
    if (!diag.empty()) return;
  }

  // --- Metrics.
  sim::Metrics& m = engine.metrics();
  sim::EventTable& shipments =
      m.table("shipments", "one row per shipment, when the importer receives it",
              {{"id", sim::ColumnType::kInt, "1", "shipment id"},
               {"exporter", sim::ColumnType::kInt, "1", "node id"},
               {"importer", sim::ColumnType::kInt, "1", "node id"},
               {"origin", sim::ColumnType::kText, "", "port of loading (UN/LOCODE)"},
               {"destination", sim::ColumnType::kText, "", "port of discharge (UN/LOCODE)"},
               {"units", sim::ColumnType::kFloat, "units", "goods"},
               {"teu", sim::ColumnType::kInt, "TEU", "containers"},
               {"ordered_ns", sim::ColumnType::kInt, "ns", "order placed"},
               {"produced_ns", sim::ColumnType::kInt, "ns", "goods ready and shipped to the port"},
               {"at_port_ns", sim::ColumnType::kInt, "ns", "in the port of loading's yard"},
               {"loaded_ns", sim::ColumnType::kInt, "ns", "loaded on a vessel"},
               {"discharged_ns", sim::ColumnType::kInt, "ns", "unloaded at the port of discharge"},
               {"cleared_ns", sim::ColumnType::kInt, "ns", "released by customs"},
               {"delivered_ns", sim::ColumnType::kInt, "ns", "received by the importer"},
               {"lead_time_d", sim::ColumnType::kFloat, "d", "order to delivery"},
               {"sea_km", sim::ColumnType::kFloat, "km", "distance sailed"},
               {"extra_km", sim::ColumnType::kFloat, "km", "of which added by re-routing"},
               {"freight_usd", sim::ColumnType::kFloat, "USD", "cost of carriage"},
               {"air", sim::ColumnType::kInt, "1", "1: expedited by air cargo"}});
  sim::EventTable& reroutes =
      m.table("reroutes", "one row per vessel voyage that took a longer route than usual",
              {{"t_ns", sim::ColumnType::kInt, "ns", "when the new route was taken"},
               {"vessel", sim::ColumnType::kInt, "1", "node id"},
               {"extra_km", sim::ColumnType::kFloat, "km", "added distance"},
               {"extra_h", sim::ColumnType::kFloat, "h", "added time"}});
  sim::Counter& delivered_count =
      m.counter("trade.shipments_delivered", "1", "shipments received by importers");
  w.orders = &m.counter("trade.orders", "1", "orders placed by importers");
  TradeRun* r = run.get();
  w.delivered = [r, &shipments, &delivered_count,
                 warmup = sim::SimTime::zero() + p.warmup](const Shipment& x) {
    delivered_count.add();
    shipments.append({static_cast<int64_t>(x.id), static_cast<int64_t>(x.exporter),
                      static_cast<int64_t>(x.importer), r->world->ports()[x.origin].code,
                      r->world->ports()[x.destination].code, x.units, x.teu, x.ordered, x.produced,
                      x.at_origin, x.loaded, x.discharged, x.cleared, x.delivered,
                      days(x.ordered, x.delivered), x.sea_km, x.extra_km, x.freight,
                      static_cast<int64_t>(x.air)});
    r->freight += x.freight;
    if (x.ordered < warmup) return;
    r->delivered_units += x.units;
    r->lead_days.push_back(days(x.ordered, x.delivered));
    r->production_days.push_back(days(x.ordered, x.produced));
    r->origin_days.push_back(days(x.produced, x.loaded));
    r->sea_days.push_back(days(x.loaded, x.discharged));
    r->destination_days.push_back(days(x.discharged, x.customs_in));
    r->customs_days.push_back(days(x.customs_in, x.cleared));
    r->inland_days.push_back(days(x.cleared, x.delivered));
  };
  w.rerouted = [r, &reroutes, &engine](sim::NodeId vessel, double km, sim::Duration t) {
    ++r->reroutes;
    r->extra_km += km;
    reroutes.append({engine.now(), static_cast<int64_t>(vessel), km, t.seconds() / 3600});
  };

  world.at_end([run, &engine, warmup = sim::SimTime::zero() + p.warmup] {
    TradeRun& x = *run;
    TradeWorld& tw = *x.world;
    sim::Metrics& mm = engine.metrics();
    const sim::SimTime end = engine.now();
    // Fill rate: demand met from stock on the day, after the warm-up.
    const auto first_day = static_cast<size_t>((warmup - sim::SimTime::zero()).ns() / kDay.ns());
    double demand = 0, filled = 0;
    for (const auto& series : tw.days()) {
      for (size_t d = first_day; d < series.size(); ++d) {
        demand += series[d].demand;
        filled += series[d].filled;
      }
    }
    double holding = 0, backlog_holding = 0;
    for (const Importer* i : x.importers) holding += i->inventory().total_cost();
    for (const Exporter* e : x.exporters) backlog_holding += e->holding_cost();
    mm.set_summary("trade.fill_rate", demand > 0 ? filled / demand : std::nan(""), "1",
                   "consumer demand met from stock on the day, after the warm-up");
    mm.set_summary("trade.lead_time_mean", mean(x.lead_days), "d",
                   "order to delivery, orders placed after the warm-up");
    mm.set_summary("trade.lead_time_median", percentile(x.lead_days, 0.5), "d",
                   "order to delivery, median");
    mm.set_summary("trade.lead_time_p95", percentile(x.lead_days, 0.95), "d",
                   "order to delivery, 95th percentile");
    mm.set_summary("trade.lead_time_production", mean(x.production_days), "d",
                   "mean: order to goods shipped to the port (backlog and production)");
    mm.set_summary("trade.lead_time_origin_port", mean(x.origin_days), "d",
                   "mean: goods shipped by the exporter to loaded on a vessel");
    mm.set_summary("trade.lead_time_sea", mean(x.sea_days), "d",
                   "mean: loaded to discharged (sailing, calls on the way, berth queues)");
    mm.set_summary("trade.lead_time_destination_port", mean(x.destination_days), "d",
                   "mean: discharged to presented to customs");
    mm.set_summary("trade.lead_time_customs", mean(x.customs_days), "d",
                   "mean: presented to customs to released");
    mm.set_summary("trade.lead_time_inland", mean(x.inland_days), "d",
                   "mean: released to received by the importer");
    mm.set_summary("trade.cost_freight", x.freight, "USD", "carriage of every delivered shipment");
    mm.set_summary("trade.cost_inventory", holding, "USD", "importers' holding and backlog costs");
    mm.set_summary("trade.cost_exporter_holding", backlog_holding, "USD",
                   "exporters' holding cost of finished goods");
    mm.set_summary("trade.reroutes", static_cast<double>(x.reroutes), "1",
                   "voyages that took a longer route because of a closure");
    mm.set_summary("trade.reroute_extra_km", x.extra_km, "km", "distance added by re-routing");
    mm.set_summary("trade.goods_max_imbalance", x.max_imbalance, "units",
                   "largest |produced - where the goods are| over the daily samples (0)");
    // Little's law, per port (berth queue and yard) and per importer (stock).
    sim::EventTable& little = mm.table(
        "little", "Little's law per queue over the run: L (time average) against lambda x W",
        {{"queue", sim::ColumnType::kText, "",
          "port:<code>:berths, port:<code>:yard, importer:<id>"},
         {"L", sim::ColumnType::kFloat, "1", "time-average number in the queue"},
         {"lambda_per_day", sim::ColumnType::kFloat, "1/d", "departures per day"},
         {"W_days", sim::ColumnType::kFloat, "d", "mean time in the queue of those departed"}});
    const double horizon_d = (end - sim::SimTime::zero()).seconds() / 86400;
    for (size_t k = 0; k < x.ports.size(); ++k) {
      const sim::Station& st = x.ports[k]->station();
      little.append({"port:" + tw.ports()[k].code + ":berths", st.mean_in_queue(end),
                     static_cast<double>(st.services_started()) / horizon_d,
                     st.mean_wait_hours() / 24});
      const Port* port = x.ports[k];
      const double loaded = port->yard_teu_loaded();
      little.append({"port:" + tw.ports()[k].code + ":yard",
                     port->yard_area(end) / 86400 / horizon_d, loaded / horizon_d,
                     loaded > 0 ? port->yard_teu_seconds() / loaded / 86400 : 0.0});
    }
    for (size_t k = 0; k < x.importers.size(); ++k) {
      const Importer* i = x.importers[k];
      const double out = i->units_out();
      little.append({"importer:" + std::to_string(k + 1), i->stock_area(end) / 86400 / horizon_d,
                     out / horizon_d, out > 0 ? i->unit_seconds_out() / out / 86400 : 0.0});
    }
    // Time to recover and time to survive after each shock, per importer that felt it. Shocks
    // that start on the same day are one event; each is judged up to the next one (a later
    // shock's dip is not charged to an earlier one).
    sim::EventTable& rec = mm.table(
        "recovery", "per shock and importer whose fill rate fell or whose stock ran out",
        {{"shock", sim::ColumnType::kInt, "1",
          "index in the timeline (from 0) of the shock, or of the first of those starting "
          "that day"},
         {"action", sim::ColumnType::kText, "", "the timeline action(s), joined by +"},
         {"importer", sim::ColumnType::kInt, "1", "importer number (1-based)"},
         {"pre_fill_rate", sim::ColumnType::kFloat, "1", "fill rate in the 14 days before"},
         {"min_fill_rate", sim::ColumnType::kFloat, "1",
          "lowest 7-day fill rate after, up to the next shock"},
         {"tts_d", sim::ColumnType::kFloat, "d",
          "time to survive: shock start to the first day the stock ran out (NaN: never)"},
         {"ttr_d", sim::ColumnType::kFloat, "d",
          "time to recover: shock start until the 7-day fill rate is back within 5% of its "
          "pre-shock level after first falling below it (0: it never fell; NaN: not by the "
          "next shock or the end of the run)"}});
    std::vector<double> ttrs, ttss;  // NaN: not recovered
    std::vector<TradeRun::Shock> shocks = x.shocks;
    std::stable_sort(shocks.begin(), shocks.end(),
                     [](const auto& a, const auto& b) { return a.at < b.at; });
    auto day_of = [](sim::SimTime t) {
      return static_cast<size_t>((t - sim::SimTime::zero()).ns() / kDay.ns());
    };
    for (size_t si = 0; si < shocks.size();) {
      const size_t start_day = day_of(shocks[si].at);
      std::string action = shocks[si].action;
      const size_t index = shocks[si].index;
      size_t next = si + 1;
      while (next < shocks.size() && day_of(shocks[next].at) == start_day) {
        action += "+" + shocks[next].action;
        ++next;
      }
      const size_t window_end =
          next < shocks.size() ? day_of(shocks[next].at) : std::numeric_limits<size_t>::max();
      si = next;
      for (size_t k = 0; k < tw.days().size(); ++k) {
        const auto& d = tw.days()[k];
        if (start_day >= d.size() || start_day < 7) continue;
        const size_t last = std::min(d.size(), window_end);
        auto rate = [&](size_t from, size_t to) {
          double dem = 0, fil = 0;
          for (size_t t = from; t < to && t < d.size(); ++t) {
            dem += d[t].demand;
            fil += d[t].filled;
          }
          return dem > 0 ? fil / dem : 1.0;
        };
        const double pre = rate(start_day >= 14 ? start_day - 14 : 0, start_day);
        double low = pre;
        std::optional<size_t> below;
        double tts = std::nan("");
        for (size_t t = start_day; t < last; ++t) {
          const double r7 = rate(t >= 6 ? t - 6 : 0, t + 1);
          low = std::min(low, r7);
          if (!below && r7 < 0.95 * pre) below = t;
          if (std::isnan(tts) && d[t].on_hand <= 0) tts = static_cast<double>(t - start_day);
        }
        if (!below && std::isnan(tts)) continue;  // not affected
        double ttr = below ? std::nan("") : 0.0;
        for (size_t t = below.value_or(last); t < last; ++t) {
          if (rate(t >= 6 ? t - 6 : 0, t + 1) >= 0.95 * pre) {
            ttr = static_cast<double>(t - start_day);
            break;
          }
        }
        rec.append(
            {static_cast<int64_t>(index), action, static_cast<int64_t>(k + 1), pre, low, tts, ttr});
        ttrs.push_back(ttr);
        if (!std::isnan(tts)) ttss.push_back(tts);
      }
    }
    // Not recovered counts as longer than any recovery: the median is NaN when half or more
    // of the importers never recovered.
    double ttr_median = std::nan("");
    size_t unrecovered = 0;
    for (double t : ttrs) unrecovered += std::isnan(t);
    if (!ttrs.empty()) {
      std::vector<double> sorted = ttrs;
      for (double& t : sorted) {
        if (std::isnan(t)) t = std::numeric_limits<double>::infinity();
      }
      std::sort(sorted.begin(), sorted.end());
      const double m = sorted.size() % 2
                           ? sorted[sorted.size() / 2]
                           : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
      if (std::isfinite(m)) ttr_median = m;
    }
    mm.set_summary("trade.ttr_median", ttr_median, "d",
                   "median time to recover over the recovery rows, not recovered counting as "
                   "longest (NaN: no rows, or half or more not recovered)");
    mm.set_summary("trade.unrecovered", static_cast<double>(unrecovered), "1",
                   "recovery rows not recovered by the next shock or the end of the run");
    mm.set_summary("trade.tts_median", percentile(ttss, 0.5), "d",
                   "median time to survive over the rows whose stock ran out (NaN: none)");
    mm.set_summary("trade.affected", static_cast<double>(ttrs.size()), "1",
                   "recovery rows: importers that felt a shock, per shock");
    runs().erase(&engine);
  });
}

// The trade world of the engine, for a timeline action, or nullptr with a diagnostic.
std::shared_ptr<TradeRun> trade_run(sim::World& world, const sim::TimelineEntry& e) {
  const auto it = runs().find(&world.engine());
  if (it == runs().end() || it->second.expired()) {
    world.diagnostics().add(e.node->mark, e.path, "needs a `trade` section");
    return nullptr;
  }
  return it->second.lock();
}

// Nodes of type T among the target's, or a diagnostic when there are none.
template <typename T>
std::vector<sim::NodeId> nodes_of(sim::World& world, const sim::TimelineEntry& e,
                                  const char* what) {
  std::vector<sim::NodeId> out;
  for (sim::NodeId id : world.resolve(e.target, e.node->find("target")->mark, e.path + ".target")) {
    if (dynamic_cast<T*>(&world.engine().node(id)) != nullptr) out.push_back(id);
  }
  if (out.empty() && world.diagnostics().empty()) {
    world.diagnostics().add(e.node->find("target")->mark, e.path + ".target",
                            "\"" + e.target + "\" names no " + what);
  }
  return out;
}

// Runs `on` at the entry's start and `off` at its end (if it has a `for`) on each node.
template <typename T>
void over(sim::World& world, const sim::TimelineEntry& e, const std::vector<sim::NodeId>& nodes,
          std::function<void(T&, sim::Context&)> on, std::function<void(T&, sim::Context&)> off) {
  sim::Engine& engine = world.engine();
  for (sim::NodeId id : nodes) {
    engine.schedule(e.at, [&engine, id, on] {
      engine.invoke(id, [on](sim::Node& n, sim::Context& ctx) { on(static_cast<T&>(n), ctx); });
    });
    if (e.duration && off) {
      engine.schedule(e.at + *e.duration, [&engine, id, off] {
        engine.invoke(id, [off](sim::Node& n, sim::Context& ctx) { off(static_cast<T&>(n), ctx); });
      });
    }
  }
}

Field factor_field(std::string def, std::string description) {
  return Field::scalar("factor", FieldType::kFloat, std::move(def), std::move(description))
      .at_least(0);
}

}  // namespace

void register_model(sim::Registry& registry) {
  Field port = Field::object("ports", "The ports of the world (UN/LOCODE from locations.csv).", {});
  port.type = FieldType::kList;
  port.fields = {Field::scalar("code", FieldType::kString, "", "UN/LOCODE, e.g. NLRTM").must(),
                 Field::scalar("berths", FieldType::kInt, "8", "container berths").at_least(1),
                 Field::scalar("yard", FieldType::kTeu, "0 TEU",
                               "yard capacity; containers arriving at a full yard wait at the "
                               "gate (0: unlimited)")
                     .at_least(0)};
  Field service = Field::list(
      "services", "Liner services: vessels that call at a loop of ports in turn.",
      {Field::scalar("name", FieldType::kString, "", "service name (vessels are name-1, ...)")
           .must(),
       Field::texts("ports", "the ports of call, in order (the loop returns to the first)"),
       Field::scalar("vessels", FieldType::kInt, "4", "vessels on the loop").at_least(1),
       Field::scalar("teu", FieldType::kTeu, "8000 TEU",
                     "capacity per vessel; above 14,000 TEU ships avoid the Panama Canal")
           .at_least(1),
       Field::scalar("frequency", FieldType::kDuration, "7d",
                     "time between two vessels' first calls (the service's frequency)")
           .at_least(0),
       Field::texts("avoid", "locations the service does not use (e.g. BAB_EL_MANDEB)")});
  registry.add_field(
      "",
      Field::object(
          "trade",
          "The trade world: consumers, importers, exporters, ports, customs and liner services "
          "on the route network (docs/trade.md).",
          {Field::scalar("data", FieldType::kString, "\"\"",
                         "folder with locations.csv, lanes.csv and countries.csv (empty: the "
                         "shipped data/world; relative paths are from the scenario file)"),
           Field::choice(
               "ledger", {"none", "consortium"}, "none",
               "none: paper documents; consortium: trade documents on the consortium's ledger "
               "(customs checks them faster)"),
           Field::choice("payment_terms", {"on_delivery", "in_advance"}, "on_delivery",
                         "when importers pay exporters"),
           Field::scalar("warmup", FieldType::kDuration, "14d", "KPIs count orders after this")
               .at_least(0),
           Field::scalar("units_per_teu", FieldType::kFloat, "500", "goods per container")
               .at_least(1),
           Field::scalar("vessel_speed_knots", FieldType::kFloat, "16", "service speed")
               .at_least(1)
               .at_most(30),
           port, service,
           Field::object(
               "exporters", "Producers that make to order and ship from their port.",
               {Field::scalar("count", FieldType::kInt, "20", "exporters").at_least(1),
                Field::texts("ports", "ports they ship from, in turn (empty: all ports)"),
                Field::scalar("capacity_per_day", FieldType::kFloat, "20000", "units per day")
                    .at_least(0),
                Field::scalar("production_lead_time", FieldType::kDuration, "7d",
                              "from starting production to finished goods")
                    .at_least(0),
                Field::scalar("to_port", FieldType::kDuration, "2d",
                              "inland transport to the port of loading")
                    .at_least(0)}),
           Field::object(
               "importers", "Importers and retailers: they sell to consumers and reorder.",
               {Field::scalar("count", FieldType::kInt, "40", "importers").at_least(1),
                Field::texts("ports", "ports they import through, in turn (empty: all ports)"),
                Field::choice("policy", {"order_up_to", "s_S"}, "order_up_to",
                              "reorder policy, reviewed daily"),
                Field::scalar("forecast_days", FieldType::kInt, "14",
                              "order-up-to: moving-average window p, days")
                    .at_least(1),
                Field::scalar("protection_days", FieldType::kInt, "50",
                              "order-up-to: days of demand covered (lead time + review)")
                    .at_least(1),
                Field::scalar("safety_factor", FieldType::kFloat, "1.65",
                              "order-up-to: z of the safety stock")
                    .at_least(0),
                Field::scalar("s_days", FieldType::kFloat, "40", "(s, S): s in days of demand")
                    .at_least(0),
                Field::scalar("S_days", FieldType::kFloat, "70", "(s, S): S in days of demand")
                    .at_least(0),
                Field::scalar("initial_stock_days", FieldType::kFloat, "50",
                              "opening stock in days of demand")
                    .at_least(0),
                Field::scalar("expedite_below_days", FieldType::kFloat, "0",
                              "stock below this many days of demand: one order by air cargo "
                              "(when both countries have an airport; 0: never)")
                    .at_least(0),
                Field::scalar("expedite_days", FieldType::kFloat, "14",
                              "an air order covers this many days of demand")
                    .at_least(0)}),
           Field::object(
               "consumers", "Consumers buying daily from their importer.",
               {Field::scalar("count", FieldType::kInt, "200", "consumer nodes").at_least(1),
                Field::object("demand", "Daily demand of one consumer.", demand_fields())}),
           Field::object("gravity",
                         "Trade flows between countries: T_ij = GDP_i^a GDP_j^b / d_ij^c.",
                         {Field::scalar("exporter_gdp_elasticity", FieldType::kFloat, "1", "a"),
                          Field::scalar("importer_gdp_elasticity", FieldType::kFloat, "1", "b"),
                          Field::scalar("distance_elasticity", FieldType::kFloat, "1", "c")}),
           Field::object("port", "Every port's cranes.",
                         {Field::scalar("crane_moves_per_hour", FieldType::kFloat, "100",
                                        "TEU handled per hour at one berth")
                              .at_least(1),
                          Field::scalar("berth_fixed", FieldType::kDuration, "6h",
                                        "mooring, pilotage and paperwork per call")
                              .at_least(0)}),
           Field::object("customs", "Customs of each importing country.",
                         {Field::scalar("document_check", FieldType::kDuration, "1d",
                                        "median document check (lognormal)")
                              .at_least(0),
                          Field::scalar("inspection_probability", FieldType::kPercent, "5%",
                                        "share of shipments inspected"),
                          Field::scalar("inspection_time", FieldType::kDuration, "3d",
                                        "median physical inspection (lognormal)")
                              .at_least(0),
                          Field::scalar("officers", FieldType::kInt, "20", "clearances in parallel")
                              .at_least(1),
                          Field::scalar("ledger_document_factor", FieldType::kFloat, "0.25",
                                        "ledger: document check time x this")
                              .at_least(0),
                          Field::scalar("ledger_inspection_factor", FieldType::kFloat, "0.5",
                                        "ledger: inspection probability x this")
                              .at_least(0),
                          Field::scalar("to_importer", FieldType::kDuration, "1d",
                                        "inland delivery after release")
                              .at_least(0)}),
           Field::object("payments",
                         "How importers pay exporters: correspondent banking or the ledger "
                         "(docs/payments.md).",
                         payments::service_fields()),
           Field::object(
               "costs", "Prices and costs.",
               {Field::scalar("unit_price", FieldType::kFloat, "20", "USD per unit").at_least(0),
                Field::scalar("holding", FieldType::kFloat, "0.02", "USD per unit and day held")
                    .at_least(0),
                Field::scalar("backlog", FieldType::kFloat, "0.5", "USD per unit and day owed")
                    .at_least(0),
                Field::scalar("freight_per_teu_km", FieldType::kFloat, "0.08",
                              "USD per container and km at sea")
                    .at_least(0)}),
           contract_fields()[0], contract_fields()[1]},
          /*implicit=*/false));

  registry.add_model(sim::ModelSpec{
      "trade", "Trade world: consumers, importers, exporters, ports, customs, liner services",
      "trade", build});

  registry.add_action(
      sim::ActionSpec{"close_port",
                      "Close ports (target: a port, `ports`, region:<r> or country:<CC>): no "
                      "vessel berths until they reopen; vessels queue at anchor.",
                      {},
                      true,
                      [](sim::World& world, const sim::TimelineEntry& e) {
                        const auto ports = nodes_of<Port>(world, e, "port");
                        over<Port>(
                            world, e, ports, [](Port& p, sim::Context& ctx) { p.close(ctx); },
                            [](Port& p, sim::Context& ctx) { p.reopen(ctx); });
                      }});
  registry.add_action(sim::ActionSpec{
      "close_chokepoint",
      "Close a location of the route network (target: SUEZ, PANAMA, BAB_EL_MANDEB, ...): "
      "vessels at sea that have not passed it turn onto the next fastest route.",
      {},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        auto run = trade_run(world, e);
        if (!run) return;
        if (!run->world->graph().find(e.target)) {
          world.diagnostics().add(e.node->find("target")->mark, e.path + ".target",
                                  "\"" + e.target + "\" is not a location of the route network");
          return;
        }
        sim::Engine& engine = world.engine();
        std::weak_ptr<TradeRun> weak = run;
        const std::string code = e.target;
        auto notify = [&engine, weak] {
          if (auto r = weak.lock()) {
            for (sim::NodeId v : r->world->vessels()) {
              engine.invoke(v, [](sim::Node& n, sim::Context& ctx) {
                static_cast<Vessel&>(n).on_closure(ctx);
              });
            }
          }
        };
        engine.schedule(e.at, [weak, code, notify] {
          if (auto r = weak.lock(); r && r->chokepoint_closures[code]++ == 0) {
            r->world->graph().close(code);
          }
          notify();
        });
        if (e.duration) {
          engine.schedule(e.at + *e.duration, [weak, code] {
            // Overlapping closures: the place reopens when the last one ends.
            if (auto r = weak.lock(); r && --r->chokepoint_closures[code] == 0) {
              r->world->graph().reopen(code);
            }
          });
        }
      }});
  registry.add_action(sim::ActionSpec{
      "reduce_capacity",
      "Scale capacity (target: ports -> open berths, vessels -> TEU, exporters -> production) "
      "by `factor` for the entry's duration.",
      {factor_field("0.5", "capacity multiplier")},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        const double f = std::stod(e.param("factor"));
        std::vector<sim::NodeId> all;
        for (sim::NodeId id :
             world.resolve(e.target, e.node->find("target")->mark, e.path + ".target")) {
          sim::Node& n = world.engine().node(id);
          if (dynamic_cast<Port*>(&n) || dynamic_cast<Vessel*>(&n) || dynamic_cast<Exporter*>(&n))
            all.push_back(id);
        }
        if (all.empty()) {
          if (world.diagnostics().empty()) {
            world.diagnostics().add(e.node->find("target")->mark, e.path + ".target",
                                    "\"" + e.target + "\" names no port, vessel or exporter");
          }
          return;
        }
        over<sim::Node>(
            world, e, all,
            [f](sim::Node& n, sim::Context& ctx) {
              if (auto* p = dynamic_cast<Port*>(&n)) p->add_capacity(ctx, f);
              if (auto* v = dynamic_cast<Vessel*>(&n)) v->capacity().add(f);
              if (auto* x = dynamic_cast<Exporter*>(&n)) x->capacity().add(f);
            },
            [f](sim::Node& n, sim::Context& ctx) {
              if (auto* p = dynamic_cast<Port*>(&n)) p->remove_capacity(ctx, f);
              if (auto* v = dynamic_cast<Vessel*>(&n)) v->capacity().remove(f);
              if (auto* x = dynamic_cast<Exporter*>(&n)) x->capacity().remove(f);
            });
      }});
  registry.add_action(
      sim::ActionSpec{"production_stop",
                      "Stop exporters' production (target: exporters, country:<CC>, ...).",
                      {},
                      true,
                      [](sim::World& world, const sim::TimelineEntry& e) {
                        const auto xs = nodes_of<Exporter>(world, e, "exporter");
                        over<Exporter>(
                            world, e, xs, [](Exporter& x, sim::Context&) { x.capacity().add(0); },
                            [](Exporter& x, sim::Context&) { x.capacity().remove(0); });
                      }});
  registry.add_action(sim::ActionSpec{
      "breach_contract",
      "Exporters breach their supply agreements (target: exporters, country:<CC>, ...): "
      "production takes `delay` longer and `quality_failure` of their shipments are out of "
      "spec, for the entry's duration.",
      {Field::scalar("delay", FieldType::kDuration, "0d", "extra production time").at_least(0),
       Field::scalar("quality_failure", FieldType::kPercent, "0%",
                     "share of shipments out of specification")},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        const auto xs = nodes_of<Exporter>(world, e, "exporter");
        const sim::Duration delay =
            sim::Duration::parse(e.param("delay").empty() ? "0d" : e.param("delay"));
        const double q = e.param("quality_failure").empty()
                             ? 0.0
                             : sim::parse_percent(e.param("quality_failure"));
        const sim::Duration lead =
            world.scenario().duration("trade.exporters.production_lead_time");
        over<Exporter>(
            world, e, xs, [delay, q](Exporter& x, sim::Context&) { x.add_breach(delay, q); },
            [delay, q, lead](Exporter& x, sim::Context& ctx) {
              x.remove_breach(delay, q);
              // Production started in the window is still delayed: its shipments count too.
              x.breach_marked_until =
                  std::max(x.breach_marked_until, ctx.now() + lead + delay + kDay);
            });
      }});
  registry.add_action(sim::ActionSpec{
      "double_financing",
      "Exporters present a `share` of their invoices to a second bank (target: exporters, ...) "
      "for the entry's duration, and default at its end: without the ledger the second advance "
      "is lost; with it the invoice registry refuses it.",
      {Field::scalar("share", FieldType::kPercent, "100%", "share of invoices presented twice")},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        const auto xs = nodes_of<Exporter>(world, e, "exporter");
        const double share = e.param("share").empty() ? 1.0 : sim::parse_percent(e.param("share"));
        over<Exporter>(
            world, e, xs, [share](Exporter& x, sim::Context&) { x.add_fraud(share); },
            [share](Exporter& x, sim::Context&) { x.remove_fraud(share); });
      }});
  registry.add_action(sim::ActionSpec{
      "customs_slowdown",
      "Customs take `factor` times longer (target: customs, customs:<CC>, country:<CC>).",
      {factor_field("2", "clearance time multiplier")},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        const auto cs = nodes_of<Customs>(world, e, "customs office");
        const double f = std::stod(e.param("factor"));
        over<Customs>(
            world, e, cs, [f](Customs& c, sim::Context&) { c.slowdown().add(f); },
            [f](Customs& c, sim::Context&) { c.slowdown().remove(f); });
      }});
}

}  // namespace tradesim::trade
