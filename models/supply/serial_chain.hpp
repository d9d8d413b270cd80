// A serial supply chain on the simulation kernel: consumers -> retailer -> wholesaler ->
// distributor -> factory (any number of stages). Each period every stage receives goods from
// upstream and orders from downstream, fills what it can (backordering the rest), lets its
// reorder policy decide and orders upstream; the factory's orders are production runs. It is the
// setting of the bullwhip effect (Lee, Padmanabhan and Whang 1997; Chen et al. 2000) and of
// Sterman's (1989) beer game.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/supply/demand.hpp"
#include "models/supply/inventory.hpp"
#include "sim/engine.hpp"

namespace tradesim::supply {

// Timing, in periods (the demand's period, one week by default). An order placed at the end of
// period t reaches the upstream stage in period t + order_delay; the goods it ships then arrive
// at the start of period t + order_delay + shipping_delay. A factory's production run ordered in
// period t is in stock at the start of period t + production_lead_time.
struct SerialChainParams {
  std::vector<std::string> stage_names = {"retailer", "wholesaler", "distributor", "factory"};
  DemandParams demand;
  std::vector<ReorderPolicy> policies;  // one per stage, retailer first
  int order_delay = 2;                  // >= 0
  int shipping_delay = 2;               // >= 1
  int production_lead_time = 2;         // >= 1
  // Per link, when the links differ (a chain stretched across borders): entry k is the link
  // between stage k and its supplier k + 1, so stages() - 1 entries; empty: every link uses
  // order_delay and shipping_delay.
  std::vector<int> order_delays{};
  std::vector<int> shipping_delays{};
  double initial_on_hand = 12;
  // Orders and shipments per period already in every pipeline at the start (a steady state).
  double initial_flow = 4;
  double holding_cost = 0.5;  // per unit and period on hand
  double backlog_cost = 1.0;  // per unit and period backordered
  int64_t periods = 36;
  uint64_t seed = 1;

  size_t stages() const { return stage_names.size(); }
  // The delays of the link between `stage` and its supplier (not for the factory).
  int order_delay_to_supplier(size_t stage) const;
  int shipping_delay_from_supplier(size_t stage) const;
  // The whole periods in transit of a stage's replenishment when upstream has stock: the
  // lead_time an order-up-to policy of that stage should use (OrderUpToParams, R = 1).
  int replenishment_lead_time(size_t stage) const;
};

// Per-period records of one stage; index = period (a stage that was crashed has no records of the
// periods it was down: then `period` says which period each record is).
struct StageSeries {
  std::string name;
  std::vector<int64_t> period;     // the period of each record
  std::vector<double> demand;      // orders received from downstream (consumer demand: retailer)
  std::vector<double> orders;      // orders placed upstream (production runs: factory)
  std::vector<double> received;    // goods received from upstream (production: factory)
  std::vector<double> shipped;     // goods shipped downstream (sold: retailer)
  std::vector<double> on_hand;     // at the end of the period
  std::vector<double> backorders;  // at the end of the period (negative: a credit left by
                                   // cancellations, only with negative orders allowed)
  std::vector<double> on_order;    // at the end of the period
  std::vector<double> cost;        // holding + backlog cost of the period
  double total_cost = 0;
  // Orders and shipments that arrived after the period they were due in (a slow or degraded
  // network link): they are used in the next decision.
  int64_t late_messages = 0;
};

struct ChainResult {
  std::vector<double> consumer_demand;
  std::vector<StageSeries> stages;  // retailer first
  uint64_t events = 0;
  double total_cost() const;
};

// Messages between stages.
struct Order {
  int64_t due;  // the period in which the upstream stage reads it
  double units;
};
struct Shipment {
  int64_t due;  // the period at whose start the goods are in stock
  double units;
};

// The end customers: draws the period's demand and orders it from the retailer at once. After a
// crash and restart they resume with the next period (the periods they were down order nothing).
class ConsumerNode : public sim::Node, public HasDemand {
 public:
  // Called after every period's draw with the period and the units demanded.
  using Observer = std::function<void(int64_t period, double units)>;

  ConsumerNode(DemandProcess demand, sim::NodeId retailer, sim::Duration offset, int64_t periods);
  void on_start(sim::Context& ctx) override;
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t) override;
  std::string_view kind() const override { return "consumers"; }
  const std::vector<double>& demand() const { return demand_; }
  // The demand process, for shocks (DemandProcess::add_multiplier: a demand surge).
  DemandProcess& process() { return process_; }
  DemandProcess& demand_process() override { return process_; }
  void set_observer(Observer observer) { observer_ = std::move(observer); }

 private:
  DemandProcess process_;
  sim::NodeId retailer_;
  sim::Duration offset_;
  int64_t periods_;
  std::vector<double> demand_;
  Observer observer_;
};

struct StageLinks {
  sim::NodeId downstream;  // the consumers for the retailer
  sim::NodeId upstream;    // itself for the factory
  bool ships_downstream;   // false for the retailer: its shipments are sales
  bool is_factory;
};

// One stage of the chain. A crash loses the orders and goods that arrive while it is down (the
// kernel drops them; the stage still counts the goods on order) and its pending decision; after
// a restart it decides again from the next period on, with its books as they were.
class StageNode : public sim::Node {
 public:
  // Called at the end of every period, after the period's records were appended to `series`.
  using Observer = std::function<void(const StageSeries& series)>;

  StageNode(const SerialChainParams& params, size_t index, StageLinks links, sim::Duration offset);
  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t) override;
  std::string_view kind() const override { return "supply-stage"; }
  const StageSeries& series() const { return series_; }
  const Inventory& inventory() const { return inventory_; }
  void set_observer(Observer observer) { observer_ = std::move(observer); }

 private:
  // One period: receive, fill, decide, order, charge costs, record.
  void on_period(sim::Context& ctx);
  // Sends a message that the receiver reads in period `due` (arriving at the start of it, or
  // at once when `due` is the current period).
  void send_for(sim::Context& ctx, sim::NodeId to, int64_t due, sim::Message msg);
  int64_t current_period(sim::Context& ctx) const;

  StageLinks links_;
  sim::Duration period_length_;
  sim::Duration offset_;
  int64_t periods_;
  int order_delay_;     // of the orders this stage sends to its supplier
  int shipping_delay_;  // of the goods this stage ships to its customer
  int production_lead_time_;
  double initial_flow_;
  double holding_cost_, backlog_cost_;
  ReorderPolicy policy_;
  Inventory inventory_;
  bool started_ = false;
  double arrived_goods_ = 0;    // received since the last period's decision
  double arrived_orders_ = 0;   // ordered by downstream since then
  double production_owed_ = 0;  // factory: requested and not started (negative: a credit)
  StageSeries series_;
  Observer observer_;
};

// The nodes of a chain, owned by the engine they were added to.
struct ChainNodes {
  ConsumerNode* consumers = nullptr;
  std::vector<StageNode*> stages;  // retailer first
  // The records so far (a whole run's, once the engine has run).
  ChainResult result() const;
};

// Adds node `index` of a chain (0 = consumers, k + 1 = stage k) to an engine, directly or through
// a sim::World, under the id first_id + index, and returns it.
using AddChainNode = std::function<sim::Node&(size_t index, std::unique_ptr<sim::Node> node)>;

// Creates the consumers and the stages with their timing and links, node ids first_id (the
// consumers), first_id + 1 (the retailer), ..., and hands each to `add`. Throws
// std::invalid_argument on bad parameters.
ChainNodes add_serial_chain(const SerialChainParams& params, sim::NodeId first_id,
                            const AddChainNode& add);

// Builds the chain on `engine` (node 0 = consumers, node k = stage k - 1) and runs it.
ChainResult run_serial_chain(const SerialChainParams& params, sim::Engine& engine);
ChainResult run_serial_chain(const SerialChainParams& params);

// Sterman's (1989) beer game: four stages, order and shipping delays of 2 weeks, production
// lead time 3 weeks (1 to place the production request + 2 to brew), 12 cases on hand and 4 in
// every delay, consumer demand 4 cases per week stepping to 8 in week 5 (period 4), holding
// 0.5 and backlog 1.0 per case-week, every stage played by `player`.
SerialChainParams beer_game_params(const BeerGameParams& player = {}, int64_t weeks = 36);

// Sample variance (n - 1 denominator) of xs[from, end).
double sample_variance(const std::vector<double>& xs, size_t from = 0);
// Var(orders of each stage) / Var(consumer demand), over periods [from, end).
std::vector<double> bullwhip_ratios(const ChainResult& result, size_t from = 0);
// Share of the demand of records [from, end) that was shipped in the period it arrived (the
// fill rate; backorders are filled first, oldest first). 1 when there was no demand.
double fill_rate(const StageSeries& series, size_t from = 0);

}  // namespace tradesim::supply
