// The trade world of issue 5: consumers buy from importers, importers order from exporters
// abroad, exporters produce and hand containers to their port, vessels on liner services carry
// them (routed on the route graph, re-routed around closed chokepoints), ports berth the vessels
// (the kernel's multi-server station), customs clear the goods, trucks deliver them, and the
// importer pays. Every step is an event whose time is recorded on the shipment.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/logistics/routes.hpp"
#include "models/payments/service.hpp"
#include "models/supply/demand.hpp"
#include "models/supply/inventory.hpp"
#include "sim/metrics.hpp"
#include "sim/node.hpp"
#include "sim/station.hpp"

namespace tradesim::trade {

// One order's goods on their way: the unit of transport (whole containers) and of lead time.
struct Shipment {
  uint64_t id = 0;
  uint64_t order = 0;
  sim::NodeId exporter = 0, importer = 0;
  uint32_t origin = 0, destination = 0;  // indices into TradeWorld::ports
  double units = 0;
  int teu = 1;
  sim::SimTime ordered, produced, at_origin, loaded, discharged, customs_in, cleared, delivered;
  double sea_km = 0;    // distance sailed with it on board
  double extra_km = 0;  // of which added by re-routing around closures
  double freight = 0;   // cost of its carriage
  bool paid = false;
  bool air = false;          // expedited by air cargo
  bool out_of_spec = false;  // a breach_contract's quality failure (ground truth)
  bool breach = false;       // shipped while its exporter breached its agreements
};
using ShipmentPtr = std::shared_ptr<Shipment>;

// ---- Messages ----------------------------------------------------------------------------------

struct Purchase {  // consumer -> importer: a day's demand
  double units;
};
struct Order {  // importer -> exporter
  uint64_t id;  // also the id of its payment
  sim::NodeId importer;
  uint32_t destination;  // the importer's port
  double units;
  sim::SimTime placed;
  bool air = false;  // expedited: the exporter hands it to air cargo
};
struct Cargo {  // exporter -> origin port; port -> customs; customs -> importer
  ShipmentPtr shipment;
};
struct VesselCall {  // vessel -> port: arrived, wants a berth
  sim::NodeId vessel;
  std::vector<ShipmentPtr> unload;  // cargo for this port
  int free_teu;                     // space left after unloading
  std::vector<uint32_t> ahead;      // ports the vessel calls at next (where it can carry to)
};
struct VesselReleased {  // port -> vessel: cargo handled, free to sail
  std::vector<ShipmentPtr> loaded;
};

// ---- Parameters --------------------------------------------------------------------------------

enum class PolicyKind { kSs, kOrderUpTo };

// Capacity multipliers of the shocks in force on one node: overlapping shocks compose (their
// product), and each one's end removes only its own factor.
class FactorStack {
 public:
  void add(double f) { factors_.push_back(f); }
  void remove(double f) {
    const auto it = std::find(factors_.begin(), factors_.end(), f);
    if (it != factors_.end()) factors_.erase(it);
  }
  double product() const {
    double p = 1;
    for (double f : factors_) p *= f;
    return p;
  }

 private:
  std::vector<double> factors_;
};

struct TradeParams {
  // Consumers and importers.
  supply::DemandParams demand;  // per consumer and day
  PolicyKind policy = PolicyKind::kOrderUpTo;
  double s = 0, S = 0;             // (s, S), in days of mean demand
  int forecast_window = 14;        // order-up-to: moving average of p days
  int protection_days = 45;        // order-up-to: lead time + review, days
  double safety_factor = 1.0;      // z
  double initial_stock_days = 45;  // importers start with this many days of demand
  double holding_cost = 0.05;      // per unit and day (importers and exporters)
  double backlog_cost = 0.5;       // per unit and day owed
  double min_order_teu = 1;        // orders below one container wait
  double expedite_below_days = 0;  // stock below this: an air order (0: never)
  double expedite_days = 14;       // an air order covers this many days of demand
  double units_per_teu = 500;
  // Exporters.
  double capacity_per_day = 2000;  // units
  sim::Duration production_lead_time = sim::Duration::from_ns(7 * sim::units::kDay);
  sim::Duration inland_to_port = sim::Duration::from_ns(2 * sim::units::kDay);
  // Ports.
  double crane_moves_per_hour = 100;  // TEU handled per berth-hour
  sim::Duration berth_fixed = sim::Duration::from_ns(6 * sim::units::kHour);
  // Customs.
  sim::Duration document_check = sim::Duration::from_ns(24 * sim::units::kHour);  // median
  double inspection_probability = 0.05;
  sim::Duration inspection_time = sim::Duration::from_ns(72 * sim::units::kHour);  // median
  int customs_officers = 20;              // parallel clearances per country
  double ledger_document_factor = 0.25;   // document check with ledger documents
  double ledger_inspection_factor = 0.5;  // inspection probability with ledger provenance
  bool ledger_documents = false;
  sim::Duration inland_delivery = sim::Duration::from_ns(1 * sim::units::kDay);
  // Carriers.
  double vessel_speed_knots = 16;
  double freight_per_teu_km = 0.08;  // USD
  // Payments.
  bool pay_in_advance = false;
  double unit_price = 20;                                                // USD per unit
  sim::Duration warmup = sim::Duration::from_ns(14 * sim::units::kDay);  // KPIs start after
};

class TradeWorld;

// What the supply agreements and invoice financing (models/trade/agreements.hpp) learn from the
// trade nodes; called in the node's own context.
class ContractHooks {
 public:
  virtual ~ContractHooks() = default;
  virtual void ordered(sim::Context& ctx, const Order& order, sim::NodeId exporter) = 0;
  // An exporter handed a shipment to its carrier: its invoice may be financed (twice, by a
  // fraudulent exporter).
  virtual void shipped(sim::Context& ctx, const Shipment& s, bool present_twice) = 0;
  virtual void received(sim::Context& ctx, const Shipment& s) = 0;
};

// A uniform draw in [0, 1) from an id (SplitMix64): decisions keyed on orders and shipments
// that must not consume the nodes' random streams (runs without the option stay bit-identical).
double keyed_uniform(uint64_t id, uint64_t salt);

// ---- Nodes
// ---------------------------------------------------------------------------------------

class Consumer : public sim::Node, public supply::HasDemand {
 public:
  Consumer(TradeWorld* world, sim::NodeId importer, supply::DemandProcess demand)
      : world_(world), importer_(importer), demand_(std::move(demand)) {}
  void on_start(sim::Context& ctx) override;
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t) override;
  std::string_view kind() const override { return "consumer"; }
  supply::DemandProcess& demand_process() override { return demand_; }

 private:
  TradeWorld* world_;
  sim::NodeId importer_;
  supply::DemandProcess demand_;
};

class Importer : public sim::Node {
 public:
  Importer(TradeWorld* world, uint32_t index, uint32_t port, std::string country,
           double mean_daily_demand);
  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t) override;
  std::string_view kind() const override { return "importer"; }

  const supply::Inventory& inventory() const { return inventory_; }
  const std::string& country() const { return country_; }
  uint32_t port() const { return port_; }
  double demanded_today() const { return demanded_today_; }
  double filled_today() const { return filled_today_; }
  // For Little's law on the stock: the area under on-hand(t) (unit-seconds) up to `now`, the
  // units that left it and the time they spent in it (first in, first out).
  double stock_area(sim::SimTime now) const {
    return area_ + inventory_.on_hand() * (now - since_).seconds();
  }
  double units_out() const { return units_out_; }
  double unit_seconds_out() const { return unit_seconds_out_; }
  double mean_daily_demand() const { return mean_daily_demand_; }

 private:
  void review(sim::Context& ctx);
  void pay(sim::Context& ctx, uint64_t order, sim::NodeId exporter, double units);
  void advance(sim::SimTime now);
  void take_out(sim::SimTime now, double units);
  TradeWorld* world_;
  uint32_t index_;
  uint32_t port_;
  std::string country_;
  double mean_daily_demand_;
  supply::Inventory inventory_;
  supply::ReorderPolicy policy_;
  double demanded_today_ = 0, filled_today_ = 0, demand_since_review_ = 0;
  double pending_order_ = 0;     // decided but below a container: carried to the next review
  bool air_order_open_ = false;  // an expedited order not yet delivered
  uint64_t next_order_ = 0;
  std::deque<std::pair<sim::SimTime, double>> lots_;  // (arrived, units) on hand, oldest first
  double area_ = 0, units_out_ = 0, unit_seconds_out_ = 0;
  sim::SimTime since_;
};

class Exporter : public sim::Node {
 public:
  Exporter(TradeWorld* world, uint32_t index, uint32_t port, std::string country,
           double capacity_per_day);
  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t) override;
  std::string_view kind() const override { return "exporter"; }

  FactorStack& capacity() { return capacity_; }
  double stock() const { return stock_; }
  double holding_cost() const { return holding_cost_; }
  const std::string& country() const { return country_; }
  uint32_t port() const { return port_; }
  // breach_contract in force: extra production time and a share of shipments out of spec;
  // double_financing in force: a share of invoices also presented to a second bank.
  void add_breach(sim::Duration delay, double quality_failure) {
    breaches_.push_back({delay, quality_failure});
  }
  void remove_breach(sim::Duration delay, double quality_failure);
  void add_fraud(double share) { fraud_.push_back(share); }
  void remove_fraud(double share) {
    const auto it = std::find(fraud_.begin(), fraud_.end(), share);
    if (it != fraud_.end()) fraud_.erase(it);
  }
  // Shipments leaving up to this time are marked as breached (the delay outlasts the window).
  sim::SimTime breach_marked_until = sim::SimTime::zero();

 private:
  void ship_ready(sim::Context& ctx);
  bool cleared_to_ship(const Order& o) const;
  TradeWorld* world_;
  uint32_t index_;
  uint32_t port_;
  std::string country_;
  double capacity_per_day_;
  std::set<uint64_t> paid_;  // orders paid in advance
  FactorStack capacity_;     // reduce_capacity and production_stop (factor 0) in force
  double stock_ = 0;         // finished goods
  std::deque<Order> backlog_;
  std::deque<std::pair<sim::SimTime, double>> pipeline_;  // (ready at, units) in production
  double planned_ = 0;  // units in production or finished, promised to the backlog
  double holding_cost_ = 0;
  struct Breach {
    sim::Duration delay;
    double quality_failure;
  };
  std::vector<Breach> breaches_;
  std::vector<double> fraud_;  // shares of the double_financing actions in force
};

class Port : public sim::Node {
 public:
  // `yard_capacity` TEU (0: unlimited): containers arriving at a full yard wait at the gate.
  Port(TradeWorld* world, uint32_t index, int berths, int yard_capacity = 0);
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) override;
  void on_start(sim::Context& ctx) override;
  std::string_view kind() const override { return "port"; }

  // Closures and capacity losses in force; overlapping shocks compose.
  void close(sim::Context& ctx);
  void reopen(sim::Context& ctx);
  void add_capacity(sim::Context& ctx, double factor);
  void remove_capacity(sim::Context& ctx, double factor);
  bool open() const { return closures_ == 0; }
  size_t vessels_waiting() const { return station_.queue_length(); }
  int yard_teu() const { return yard_teu_; }
  int gate_teu() const { return gate_teu_; }
  const sim::Station& station() const { return station_; }
  // TEU x seconds up to `now`, for Little's law.
  double yard_area(sim::SimTime now) const {
    return yard_area_ + yard_teu_ * (now - yard_since_).seconds();
  }
  uint64_t yard_entries() const { return yard_entries_; }
  double yard_teu_loaded() const { return teu_loaded_; }
  double yard_teu_seconds() const { return teu_seconds_; }  // dwell of those loaded

 private:
  void start_service(sim::Context& ctx, uint64_t call);
  void advance_yard(sim::SimTime now);
  TradeWorld* world_;
  uint32_t index_;
  int berths_;
  void apply(sim::Context& ctx);
  int closures_ = 0;
  FactorStack capacity_;
  double capacity_factor_ = 1;
  sim::Station station_;
  std::map<uint64_t, VesselCall> calls_;         // by call id
  std::map<uint64_t, VesselReleased> released_;  // calls at a berth: what they will load
  uint64_t next_call_ = 1;
  void admit(sim::SimTime now, const ShipmentPtr& s);
  void admit_from_gate(sim::SimTime now);
  std::deque<ShipmentPtr> yard_;  // containers waiting for a vessel, oldest first
  int yard_teu_ = 0;
  int yard_capacity_ = 0;
  std::deque<ShipmentPtr> gate_;  // waiting for room in a full yard
  int gate_teu_ = 0;
  double yard_area_ = 0;
  sim::SimTime yard_since_;
  uint64_t yard_entries_ = 0;
  double teu_loaded_ = 0, teu_seconds_ = 0;
};

class Vessel : public sim::Node {
 public:
  // Vessels of one service keep at least `headway` between their departures from a port (liner
  // schedules hold a vessel that runs early, which keeps them from bunching).
  Vessel(TradeWorld* world, int service, sim::Duration headway, std::vector<uint32_t> rotation,
         size_t start_at, int teu, logistics::RoutingOptions routing,
         sim::Duration first_departure);
  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  std::string_view kind() const override { return "vessel"; }

  // A chokepoint or port closed: a vessel at sea whose route passes it ahead turns onto another.
  void on_closure(sim::Context& ctx);
  FactorStack& capacity() { return capacity_; }
  int cargo_teu() const;

 private:
  void sail(sim::Context& ctx);
  void arrive(sim::Context& ctx);
  TradeWorld* world_;
  int service_;
  sim::Duration headway_;
  std::vector<uint32_t> rotation_;
  size_t at_;  // index in rotation_ of the port it is at or sailing to
  int teu_;
  FactorStack capacity_;
  logistics::RoutingOptions routing_;
  sim::Duration first_departure_;
  std::vector<ShipmentPtr> cargo_;
  std::optional<logistics::Route> route_;  // while at sea
  sim::SimTime departed_;
  std::vector<double> leg_baseline_;  // each leg's length on the open network, km
  sim::TimerId arrival_ = sim::kNoTimer;
  bool waiting_route_ = false;  // no route open: waits at its port and retries daily
};

// Air cargo: expedited shipments fly from an airport of the exporter's country to one of the
// importer's (the route graph's air lanes, at air speed), then go to customs.
class AirCargo : public sim::Node {
 public:
  explicit AirCargo(TradeWorld* world) : world_(world) {}
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t flight) override;
  std::string_view kind() const override { return "air-cargo"; }

 private:
  TradeWorld* world_;
  std::map<uint64_t, ShipmentPtr> flights_;
  uint64_t next_ = 1;
};

class Customs : public sim::Node {
 public:
  Customs(TradeWorld* world, std::string country, int officers);
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) override;
  std::string_view kind() const override { return "customs"; }
  FactorStack& slowdown() { return slowdown_; }

 private:
  void begin(sim::Context& ctx, uint64_t job);
  TradeWorld* world_;
  std::string country_;
  sim::Station station_;
  std::map<uint64_t, ShipmentPtr> jobs_;
  uint64_t next_job_ = 1;
  FactorStack slowdown_;
};

// ---- The shared world
// ----------------------------------------------------------------------------

struct PortInfo {
  std::string code;
  logistics::LocationId location;
  std::string country;
  std::string region;
  sim::NodeId node = 0;
};

// Units of goods by where they are; produced = exporters + in transit + importers + sold + lost
// at every instant (checked at every sample).
struct GoodsLedger {
  double produced = 0, at_exporters = 0, in_transit = 0, at_importers = 0, sold = 0, lost = 0;
  double imbalance() const {
    return produced - (at_exporters + in_transit + at_importers + sold + lost);
  }
};

class TradeWorld {
 public:
  TradeWorld(logistics::RouteGraph graph, TradeParams params)
      : graph_(std::move(graph)), params_(std::move(params)) {}

  logistics::RouteGraph& graph() { return graph_; }
  const TradeParams& params() const { return params_; }
  std::vector<PortInfo>& ports() { return ports_; }
  GoodsLedger& goods() { return goods_; }

  // Who sells to an importer at `port`: an exporter drawn by the gravity model's flows among
  // those whose port a liner service connects to it.
  sim::NodeId pick_exporter(uint32_t port, sim::Rng& rng) const;
  // The share of an importer port's orders that go to `exporter` (0 if it does not supply it).
  double sourcing_share(uint32_t port, sim::NodeId exporter) const;
  sim::NodeId customs_of(const std::string& country) const { return customs_.at(country); }
  // The airport of a country used for air cargo, if it has one.
  std::optional<logistics::LocationId> airport_of(const std::string& country) const {
    const auto it = airports_.find(country);
    if (it == airports_.end()) return std::nullopt;
    return it->second;
  }
  void add_airport(const std::string& country, logistics::LocationId a) {
    airports_.emplace(country, a);
  }
  sim::NodeId air_cargo = 0;
  void add_customs(const std::string& country, sim::NodeId node) { customs_[country] = node; }
  void set_sourcing(uint32_t port, std::vector<sim::NodeId> exporters, std::vector<double> weights);
  // An importer's day: demand, demand filled at once, stock at the end (for TTR and TTS).
  void record_day(uint32_t importer, double demand, double filled, double on_hand) {
    if (days_.size() <= importer) days_.resize(importer + 1);
    days_[importer].push_back({demand, filled, on_hand});
  }
  struct Day {
    double demand, filled, on_hand;
  };
  const std::vector<std::vector<Day>>& days() const { return days_; }
  std::vector<sim::NodeId>& vessels() { return vessels_; }
  // When the last vessel of `service` left `port` (or is scheduled to), if one has.
  std::optional<sim::SimTime> last_departure(int service, uint32_t port) const {
    const auto it = last_departure_.find({service, port});
    if (it == last_departure_.end()) return std::nullopt;
    return it->second;
  }
  void set_last_departure(int service, uint32_t port, sim::SimTime t) {
    last_departure_[{service, port}] = t;
  }
  uint64_t next_shipment_id() { return ++shipments_; }

  // Observations, wired to the run file by the scenario.
  std::function<void(const Shipment&)> delivered;
  std::function<void(sim::NodeId vessel, double extra_km, sim::Duration extra_time)> rerouted;
  // Payments go through this service (correspondent banks or ledger gateways) when it is set.
  std::shared_ptr<payments::PaymentService> payments;
  std::map<sim::NodeId, std::string> country_of;  // exporters' countries, for payees
  sim::Counter* orders = nullptr;
  ContractHooks* contracts = nullptr;  // supply agreements and financing, when enabled

 private:
  logistics::RouteGraph graph_;
  TradeParams params_;
  std::vector<PortInfo> ports_;
  GoodsLedger goods_;
  std::map<std::string, sim::NodeId> customs_;
  std::map<std::string, logistics::LocationId> airports_;
  struct Sourcing {
    std::vector<sim::NodeId> exporters;
    std::vector<double> cumulative;
  };
  std::map<uint32_t, Sourcing> sourcing_;  // by importer port
  std::vector<std::vector<Day>> days_;     // by importer index
  std::vector<sim::NodeId> vessels_;
  std::map<std::pair<int, uint32_t>, sim::SimTime> last_departure_;
  uint64_t shipments_ = 0;
};

}  // namespace tradesim::trade
