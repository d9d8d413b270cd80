// Builds a serial supply chain (consumers, retailer, ..., factory) from the `supply_chain`
// section on the scenario's engine, registers the `demand_surge` action, and records each stage's
// orders, stock and costs per period and the bullwhip ratios, costs and fill rates of the run.
#include "models/supply/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/supply/serial_chain.hpp"

namespace tradesim::supply {

using sim::Field;
using sim::FieldType;

namespace {

constexpr const char* kSection = "supply_chain";

// The policy keys, the same for the whole chain and for one stage.
Field policy_field(bool implicit, std::string description) {
  return Field::object(
      "policy", std::move(description),
      {Field::choice(
           "kind", {"beer_game", "order_up_to", "s_S"}, "beer_game",
           "beer_game: Sterman's (1989) anchoring and adjustment; order_up_to: a base-stock "
           "level from a demand forecast (Chen et al. 2000); s_S: order up to S when the "
           "inventory position is at or below s"),
       Field::scalar("alpha_s", FieldType::kFloat, "0.26",
                     "beer_game: share of the stock gap ordered per period")
           .at_least(0),
       Field::scalar("beta", FieldType::kFloat, "0.34",
                     "beer_game: weight of the supply line (1: fully counted)")
           .at_least(0),
       Field::scalar("theta", FieldType::kFloat, "0.36",
                     "beer_game: weight of the newest demand in the expected demand")
           .at_least(0)
           .at_most(1),
       Field::scalar("desired_inventory", FieldType::kFloat, "",
                     "beer_game: S', desired stock plus desired supply line, units (default: "
                     "the start is a steady state: initial.on_hand + beta x the supply line at "
                     "the stage's first decision; Sterman's players averaged 17)"),
       Field::scalar("initial_expectation", FieldType::kFloat, "",
                     "beer_game: expected demand at the start, units per period (default: "
                     "demand.base)")
           .at_least(0),
       Field::scalar("lead_time", FieldType::kInt, "",
                     "order_up_to: whole periods an order is in transit, L (default: the "
                     "stage's order delay + shipping delay - 1, its production delay - 1 for "
                     "the last stage); Chen's lead time is L + review_period")
           .at_least(0),
       Field::scalar("review_period", FieldType::kInt, "1",
                     "order_up_to: R, periods between reviews")
           .at_least(1),
       Field::choice("forecast", {"moving_average", "exponential_smoothing"}, "moving_average",
                     "order_up_to: how demand is forecast"),
       Field::scalar("p", FieldType::kInt, "4",
                     "order_up_to: demands in the moving average (its window)")
           .at_least(1),
       Field::scalar("alpha", FieldType::kFloat, "0.3",
                     "order_up_to: smoothing constant of exponential smoothing")
           .at_least(0, true)
           .at_most(1),
       Field::scalar("z", FieldType::kFloat, "0",
                     "order_up_to: safety factor (z sigma sqrt(L + R) of safety stock)")
           .at_least(0),
       Field::scalar("sigma_window", FieldType::kInt, "4",
                     "order_up_to: demands used to estimate sigma")
           .at_least(2),
       Field::scalar("negative_orders", FieldType::kBool, "false",
                     "order_up_to: allow negative orders (returns: Chen et al.'s assumption)"),
       Field::scalar("s", FieldType::kFloat, "", "s_S: reorder point s, units (required for s_S)"),
       Field::scalar("S", FieldType::kFloat, "",
                     "s_S: order-up-to level S, units (required for s_S)"),
       Field::scalar("s_S_review_period", FieldType::kInt, "1", "s_S: periods between reviews")
           .at_least(1)},
      implicit);
}

void declare(sim::Registry& registry) {
  registry.add_field(
      "",
      Field::object(
          kSection,
          "A serial supply chain: consumers buy from a retailer, who orders from a wholesaler, "
          "and so on up to a factory; every stage is a node that fills orders from stock, "
          "backorders the rest and orders upstream each period. The beer game (Sterman 1989) and "
          "the bullwhip effect (Chen et al. 2000). See docs/supply.md.",
          {Field::scalar("period", FieldType::kDuration, "1w",
                         "one period: every stage decides once per period")
               .at_least(0, true),
           Field::scalar("periods", FieldType::kInt, "0",
                         "periods to play; 0: as many as fit in scenario.duration")
               .at_least(0),
           Field::scalar("warmup", FieldType::kDuration, "0s",
                         "variance ratios and fill rates count the periods from this on (costs "
                         "count every period)")
               .at_least(0),
           Field::scalar("count", FieldType::kInt, "4",
                         "stages when `stages` is not given: retailer, wholesaler, distributor, "
                         "distributor_2, ..., factory")
               .at_least(1)
               .at_most(1000),
           Field::scalar("unit", FieldType::kString, "cases",
                         "what the goods are counted in (the units of the time series)"),
           Field::list(
               "stages",
               "The stages, retailer (the consumers' supplier) first, factory last. Each "
               "item's delays are those of the link to its supplier, the next item.",
               {Field::scalar("name", FieldType::kString, "",
                              "node name (letters, digits and _): used in metric names")
                    .must(),
                Field::scalar("site", FieldType::kString, "\"\"",
                              "network site of the stage (empty: none); the retailer's "
                              "consumers are at its site"),
                Field::scalar("country", FieldType::kString, "\"\"",
                              "country of the stage; a link between two countries adds "
                              "delays.border_order and delays.border_shipping"),
                Field::scalar("order_delay", FieldType::kDuration, "",
                              "orders to the supplier take this long (default: "
                              "delays.order, plus delays.border_order across a border)")
                    .at_least(0),
                Field::scalar("shipping_delay", FieldType::kDuration, "",
                              "goods from the supplier take this long (default: "
                              "delays.shipping, plus delays.border_shipping across a border)")
                    .at_least(0, true),
                policy_field(false, "This stage's policy, instead of supply_chain.policy.")}),
           Field::object(
               "demand", "The consumers' demand per period (see docs/supply.md).",
               {Field::scalar("base", FieldType::kFloat, "4", "units per period at the start")
                    .at_least(0),
                Field::scalar("trend", FieldType::kFloat, "0",
                              "units per period added each period"),
                Field::choice("noise", {"none", "normal", "poisson"}, "none",
                              "none: the mean; normal: sd = cv x mean, truncated at 0; poisson"),
                Field::scalar("cv", FieldType::kFloat, "0", "coefficient of variation (normal)")
                    .at_least(0),
                Field::scalar("seasonal_amplitude", FieldType::kFloat, "0",
                              "A of the seasonal factor 1 + A sin(2 pi (t + phase) / length)")
                    .at_least(0)
                    .at_most(1),
                Field::scalar("season_length", FieldType::kDuration, "52w",
                              "length of a season (whole periods)")
                    .at_least(0, true),
                Field::scalar("seasonal_phase", FieldType::kDuration, "0s",
                              "phase of the season (whole periods)")
                    .at_least(0),
                Field::list(
                    "steps", "Changes of the demand level from a time on (give `to` or `factor`).",
                    {Field::scalar("at", FieldType::kDuration, "",
                                   "from the period that starts at this time (4w: week 5)")
                         .must()
                         .at_least(0),
                     Field::scalar("to", FieldType::kFloat, "", "the new level, units per period")
                         .at_least(0),
                     Field::scalar("factor", FieldType::kFloat, "",
                                   "or: the level is multiplied by this")
                         .at_least(0)})}),
           Field::object(
               "initial", "The state at the start: a steady state as on the beer-game board.",
               {Field::scalar("on_hand", FieldType::kFloat, "12", "units on hand at every stage")
                    .at_least(0),
                Field::scalar("pipeline", FieldType::kFloat, "4",
                              "units in every period of every order, shipping and production "
                              "delay")
                    .at_least(0)}),
           Field::object(
               "costs", "Costs charged on the stock at the end of every period.",
               {Field::scalar("holding", FieldType::kFloat, "0.5", "per unit on hand and period")
                    .at_least(0),
                Field::scalar("backlog", FieldType::kFloat, "1.0",
                              "per unit backordered and period")
                    .at_least(0)}),
           Field::object(
               "delays",
               "Delays of every link (whole periods), unless a stage gives its own. An order "
               "placed "
               "in period t is read upstream in t + order; the goods shipped then are in stock at "
               "the start of t + order + shipping.",
               {Field::scalar("order", FieldType::kDuration, "2w",
                              "orders to the supplier (the mail: an information delay)")
                    .at_least(0),
                Field::scalar("shipping", FieldType::kDuration, "2w", "goods from the supplier")
                    .at_least(0, true),
                Field::scalar("production", FieldType::kDuration, "3w",
                              "the last stage's production runs: from the decision to stock")
                    .at_least(0, true),
                Field::scalar("border_order", FieldType::kDuration, "0s",
                              "added to the order delay of a link between two countries")
                    .at_least(0),
                Field::scalar("border_shipping", FieldType::kDuration, "0s",
                              "added to the shipping delay of a link between two countries "
                              "(customs, longer transport)")
                    .at_least(0)}),
           policy_field(true, "Every stage's reorder policy, unless a stage gives its own.")},
          /*implicit=*/false));
}

std::string default_stage_name(size_t k, size_t n) {
  if (k + 1 == n) return "factory";
  if (k == 0) return "retailer";
  if (k == 1) return "wholesaler";
  if (k == 2) return "distributor";
  return "distributor_" + std::to_string(k - 1);
}

bool is_metric_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Reads the model's section; reports every bad value to the world's diagnostics.
class ChainReader {
 public:
  explicit ChainReader(sim::World& world) : world_(world), s_(world.scenario()) {}

  bool ok() const { return ok_; }
  void error(const std::string& path, const std::string& message) {
    world_.diagnostics().add(s_.at(path).mark, path, message);
    ok_ = false;
  }

  // A duration as whole periods.
  int periods_of(const std::string& path, sim::Duration period) {
    const sim::Duration d = s_.duration(path);
    if (d.ns() % period.ns() != 0) {
      error(path, d.to_string() + " is not a whole number of periods of " + period.to_string());
      return 0;
    }
    const int64_t n = d.ns() / period.ns();
    if (n > std::numeric_limits<int>::max()) {
      error(path, "too many periods");
      return 0;
    }
    return static_cast<int>(n);
  }

  ReorderPolicy policy(const std::string& path, size_t stage, const SerialChainParams& p) {
    const std::string kind = s_.text(path + ".kind");
    auto number = [&](const char* key) { return s_.number(path + "." + key); };
    if (kind == "beer_game") {
      BeerGameParams b;
      b.alpha_s = number("alpha_s");
      b.beta = number("beta");
      b.theta = number("theta");
      // Without a given S', the one that makes the starting state a steady state: the order
      // then equals the expected demand until the demand changes. At its first decision a stage
      // has received the first period's goods, so its supply line is one period short.
      const double supply_line = p.initial_flow * p.replenishment_lead_time(stage);
      b.desired_inventory = s_.has(path + ".desired_inventory")
                                ? number("desired_inventory")
                                : p.initial_on_hand + b.beta * supply_line;
      b.initial_expectation =
          s_.has(path + ".initial_expectation") ? number("initial_expectation") : p.demand.base;
      return BeerGamePolicy(b);
    }
    if (kind == "order_up_to") {
      OrderUpToParams o;
      o.lead_time = s_.has(path + ".lead_time") ? static_cast<int>(s_.integer(path + ".lead_time"))
                                                : p.replenishment_lead_time(stage);
      o.review_period = static_cast<int>(s_.integer(path + ".review_period"));
      o.z = number("z");
      o.sigma_window = static_cast<int>(s_.integer(path + ".sigma_window"));
      o.allow_negative_orders = s_.flag(path + ".negative_orders");
      const Forecast forecast =
          s_.text(path + ".forecast") == "moving_average"
              ? Forecast::moving_average(static_cast<int>(s_.integer(path + ".p")), p.demand.base)
              : Forecast::exponential_smoothing(number("alpha"), p.demand.base);
      return OrderUpToPolicy(o, forecast);
    }
    if (!s_.has(path + ".s") || !s_.has(path + ".S")) {
      error(path, "an s_S policy needs s and S");
      return SsPolicy(0, 0);
    }
    if (number("S") < number("s")) {
      error(path + ".S", "S must be at least s");
      return SsPolicy(0, 0);
    }
    return SsPolicy(number("s"), number("S"),
                    static_cast<int>(s_.integer(path + ".s_S_review_period")));
  }

 private:
  sim::World& world_;
  const sim::Scenario& s_;
  bool ok_ = true;
};

// Chen et al. (2000), eq. (3): the variance ratio of an order-up-to stage with a p-period moving
// average and lead time L (theirs: the protection interval, lead_time + R here) is at least
// 1 + 2L/p + 2L^2/p^2; in a chain with decentralised demand information the bounds multiply
// (their section 5). Nothing for other policies.
std::optional<double> chen_bound(const std::string& policy_path, const sim::Scenario& s,
                                 const SerialChainParams& p, size_t stage) {
  if (s.text(policy_path + ".kind") != "order_up_to" ||
      s.text(policy_path + ".forecast") != "moving_average")
    return std::nullopt;
  const int lead_time = s.has(policy_path + ".lead_time")
                            ? static_cast<int>(s.integer(policy_path + ".lead_time"))
                            : p.replenishment_lead_time(stage);
  const double chen_l = lead_time + static_cast<double>(s.integer(policy_path + ".review_period"));
  const double window = static_cast<double>(s.integer(policy_path + ".p"));
  return 1 + 2 * chen_l / window + 2 * chen_l * chen_l / (window * window);
}

// The sampling error of a variance ratio by batch means: the measured periods are cut into 20
// batches, each long against the memory of the stages' filters, so that batch ratios are nearly
// independent; the half-width is t(0.995, 19) = 2.861 standard errors of their mean (a 99%
// interval). Nothing when the batches would be shorter than kMinBatchPeriods.
constexpr size_t kBatches = 20;
constexpr size_t kMinBatchPeriods = 50;

std::optional<double> ratio_half_width(const ChainResult& r, size_t stage, size_t from) {
  const std::vector<double>& orders = r.stages[stage].orders;
  const std::vector<double>& demand = r.consumer_demand;
  const size_t measured = std::min(orders.size(), demand.size());
  if (measured < from || (measured - from) / kBatches < kMinBatchPeriods) return std::nullopt;
  const size_t batch = (measured - from) / kBatches;
  std::vector<double> ratios;
  for (size_t b = 0; b < kBatches; ++b) {
    const auto begin = static_cast<std::ptrdiff_t>(from + b * batch);
    const auto end = begin + static_cast<std::ptrdiff_t>(batch);
    const double d =
        sample_variance(std::vector<double>(demand.begin() + begin, demand.begin() + end));
    if (!(d > 0)) return std::nullopt;
    ratios.push_back(
        sample_variance(std::vector<double>(orders.begin() + begin, orders.begin() + end)) / d);
  }
  double mean = 0, squares = 0;
  for (double x : ratios) mean += x;
  mean /= kBatches;
  for (double x : ratios) squares += (x - mean) * (x - mean);
  constexpr double kT995 = 2.861;
  return kT995 * std::sqrt(squares / (kBatches - 1) / kBatches);
}

// What the end-of-run summaries need, kept alive by the world's callbacks.
struct ChainRun {
  ChainNodes nodes;
  std::vector<std::string> names;
  std::vector<std::optional<double>> chen_bounds;  // per stage, the product up to it
  size_t warmup_periods = 0;
};

void build(sim::World& world) {
  const sim::Scenario& s = world.scenario();
  const std::string root = kSection;
  auto path = [&root](const std::string& key) { return root + "." + key; };
  ChainReader read(world);
  SerialChainParams p;
  p.seed = s.seed();

  // Demand.
  const sim::Duration period = s.duration(path("period"));
  p.demand.period = period;
  p.demand.base = s.number(path("demand.base"));
  p.demand.trend = s.number(path("demand.trend"));
  const std::string noise = s.text(path("demand.noise"));
  p.demand.noise = noise == "none"     ? Noise::kNone
                   : noise == "normal" ? Noise::kNormal
                                       : Noise::kPoisson;
  p.demand.cv = s.number(path("demand.cv"));
  p.demand.seasonal_amplitude = s.number(path("demand.seasonal_amplitude"));
  p.demand.season_length = read.periods_of(path("demand.season_length"), period);
  p.demand.seasonal_phase = read.periods_of(path("demand.seasonal_phase"), period);
  if (const sim::ConfigNode* steps = s.root().at_path(path("demand.steps"))) {
    for (size_t i = 0; i < steps->list.size(); ++i) {
      const std::string step = path("demand.steps." + std::to_string(i));
      const bool to = s.has(step + ".to"), factor = s.has(step + ".factor");
      if (to == factor) {
        read.error(step, "give either `to` (a new level) or `factor` (a multiplier)");
        continue;
      }
      p.demand.steps.push_back(DemandStep{.at = read.periods_of(step + ".at", period),
                                          .kind = to ? DemandStep::kSet : DemandStep::kMultiply,
                                          .value = s.number(step + (to ? ".to" : ".factor"))});
    }
  }
  p.initial_on_hand = s.number(path("initial.on_hand"));
  p.initial_flow = s.number(path("initial.pipeline"));
  p.holding_cost = s.number(path("costs.holding"));
  p.backlog_cost = s.number(path("costs.backlog"));

  // Stages, their sites, countries and link delays.
  const sim::ConfigNode* stage_list = s.root().at_path(path("stages"));
  const bool listed = stage_list != nullptr && !stage_list->list.empty();
  const size_t n = listed ? stage_list->list.size() : static_cast<size_t>(s.integer(path("count")));
  std::vector<std::string> countries(n);
  std::vector<std::optional<sim::SiteId>> sites(n);
  p.stage_names.clear();
  for (size_t k = 0; k < n; ++k) {
    const std::string item = path("stages." + std::to_string(k));
    std::string name = default_stage_name(k, n);
    if (listed) {
      name = s.text(item + ".name");
      if (!is_metric_name(name)) {
        read.error(item + ".name", "\"" + name + "\": a stage name is letters, digits and _");
      }
      countries[k] = s.text(item + ".country");
      const std::string site = s.text(item + ".site");
      if (!site.empty()) {
        sites[k] = world.site(site, s.at(item + ".site").mark, item + ".site");
        if (!sites[k]) return;
      }
    }
    for (size_t j = 0; j < k; ++j) {
      if (p.stage_names[j] == name) read.error(item + ".name", "two stages are named " + name);
    }
    p.stage_names.push_back(name);
  }
  const int order_delay = read.periods_of(path("delays.order"), period);
  const int shipping_delay = read.periods_of(path("delays.shipping"), period);
  const int border_order = read.periods_of(path("delays.border_order"), period);
  const int border_shipping = read.periods_of(path("delays.border_shipping"), period);
  p.production_lead_time = read.periods_of(path("delays.production"), period);
  for (size_t k = 0; k + 1 < n; ++k) {
    const std::string item = path("stages." + std::to_string(k));
    const bool border = countries[k] != countries[k + 1];
    p.order_delays.push_back(listed && s.has(item + ".order_delay")
                                 ? read.periods_of(item + ".order_delay", period)
                                 : order_delay + (border ? border_order : 0));
    p.shipping_delays.push_back(listed && s.has(item + ".shipping_delay")
                                    ? read.periods_of(item + ".shipping_delay", period)
                                    : shipping_delay + (border ? border_shipping : 0));
    if (p.shipping_delays.back() < 1 && read.ok()) {
      read.error(item + ".shipping_delay", "goods take at least one period");
    }
    if (sites[k] && sites[k + 1] && !world.engine().network().has_route(*sites[k], *sites[k + 1])) {
      read.error(item + ".site", "no network route between the sites of " + p.stage_names[k] +
                                     " and " + p.stage_names[k + 1] +
                                     ": their orders and goods "
                                     "would be lost");
    }
  }
  if (listed) {
    const std::string last = path("stages." + std::to_string(n - 1));
    for (const char* key : {"order_delay", "shipping_delay"}) {
      if (s.has(last + "." + key)) {
        read.error(last + "." + key,
                   "the last stage has no supplier: its production takes delays.production");
      }
    }
  }
  if (!read.ok()) return;

  // Periods and warm-up.
  const int64_t periods_given = s.integer(path("periods"));
  p.periods = periods_given > 0 ? periods_given : s.length().ns() / period.ns();
  if (p.periods < 1) {
    read.error(path("period"), "scenario.duration (" + s.length().to_string() +
                                   ") holds no whole period of " + period.to_string());
    return;
  }
  auto run = std::make_shared<ChainRun>();
  run->warmup_periods = static_cast<size_t>(read.periods_of(path("warmup"), period));
  if (!read.ok()) return;
  if (run->warmup_periods + 2 > static_cast<size_t>(p.periods)) {
    read.error(path("warmup"), "the warm-up leaves fewer than 2 periods to measure");
    return;
  }

  // Policies: the stage's own or the chain's.
  double bound_product = 1;
  bool bounds_hold = true;
  for (size_t k = 0; k < n; ++k) {
    const std::string own = path("stages." + std::to_string(k) + ".policy");
    const std::string policy_path = listed && s.has(own) ? own : path("policy");
    p.policies.push_back(read.policy(policy_path, k, p));
    const std::optional<double> bound = chen_bound(policy_path, s, p, k);
    bounds_hold = bounds_hold && bound.has_value();
    bound_product *= bound.value_or(1);
    run->chen_bounds.push_back(bounds_hold ? std::optional<double>(bound_product) : std::nullopt);
  }
  if (!read.ok()) return;

  // The nodes, in the world (names, sites, groups) and on its engine.
  const auto first_id = static_cast<sim::NodeId>(world.names().size());
  const std::optional<sim::SiteId> consumer_site = sites[0];
  run->names = p.stage_names;
  run->nodes = add_serial_chain(
      p, first_id, [&](size_t index, std::unique_ptr<sim::Node> node) -> sim::Node& {
        const bool consumers = index == 0;
        const std::string name = consumers ? "consumers" : p.stage_names[index - 1];
        const sim::SiteId site =
            (consumers ? consumer_site : sites[index - 1]).value_or(sim::SiteId{0});
        sim::Node& added = world.add(
            name,
            consumers ? std::vector<std::string>{} : std::vector<std::string>{"supply_stages"},
            site, std::move(node));
        if (world.find(name) != first_id + static_cast<sim::NodeId>(index)) {
          throw std::logic_error("supply_chain: node " + name + " did not get the id it links to");
        }
        return added;
      });

  // Time series, one value per period at the period's start.
  sim::Metrics& m = world.engine().metrics();
  const std::string unit = s.text(path("unit"));
  sim::TimeSeries& consumer_demand =
      m.series("supply.demand", unit, "the consumers' demand of each period");
  run->nodes.consumers->set_observer([&consumer_demand, period](int64_t t, double units) {
    consumer_demand.record(sim::SimTime::zero() + period * t, units);
  });
  for (size_t k = 0; k < n; ++k) {
    const std::string prefix = "supply." + p.stage_names[k] + ".";
    const std::string who = p.stage_names[k];
    struct Series {
      sim::TimeSeries* demand;
      sim::TimeSeries* orders;
      sim::TimeSeries* on_hand;
      sim::TimeSeries* backorders;
      sim::TimeSeries* on_order;
      sim::TimeSeries* cost;
    };
    const bool factory = k + 1 == n;
    const Series out{
        &m.series(prefix + "demand", unit,
                  "orders " + who + " received in the period (from " +
                      (k == 0 ? std::string("the consumers") : p.stage_names[k - 1]) + ")"),
        &m.series(prefix + "orders", unit,
                  factory ? "production runs " + who + " started in the period"
                          : "orders " + who + " placed with " + p.stage_names[k + 1]),
        &m.series(prefix + "on_hand", unit, "stock " + who + " held at the end of the period"),
        &m.series(prefix + "backorders", unit,
                  "units " + who + " owed downstream at the end of the period"),
        &m.series(prefix + "on_order", unit,
                  "units " + who + " had ordered and not yet received (its supply line)"),
        &m.series(prefix + "cost", "cost", "holding + backlog cost of " + who + " in the period")};
    run->nodes.stages[k]->set_observer([out, period](const StageSeries& r) {
      const sim::SimTime t = sim::SimTime::zero() + period * r.period.back();
      out.demand->record(t, r.demand.back());
      out.orders->record(t, r.orders.back());
      out.on_hand->record(t, r.on_hand.back());
      out.backorders->record(t, r.backorders.back());
      out.on_order->record(t, r.on_order.back());
      out.cost->record(t, r.cost.back());
    });
    m.set_summary(prefix + "lead_time", p.replenishment_lead_time(k), "periods",
                  "whole periods an order of " + who +
                      " is in transit when its supplier has "
                      "stock (order delay + shipping delay - 1; production delay - 1 for the last "
                      "stage)");
  }

  world.at_end([run, &m, unit] {
    const ChainResult r = run->nodes.result();
    const size_t from = run->warmup_periods;
    const double demand_variance = sample_variance(r.consumer_demand, from);
    const bool has_variance = demand_variance > 0;
    m.set_summary("supply.demand_variance", demand_variance, unit + "^2",
                  "variance of the consumers' demand per period after the warm-up");
    double team = 0;
    int64_t late = 0;
    for (size_t k = 0; k < r.stages.size(); ++k) {
      const StageSeries& st = r.stages[k];
      const std::string prefix = "supply." + st.name + ".";
      const double order_variance = sample_variance(st.orders, from);
      m.set_summary(prefix + "order_variance", order_variance, unit + "^2",
                    "variance of " + st.name + "'s orders per period after the warm-up");
      m.set_summary(prefix + "variance_ratio",
                    has_variance ? order_variance / demand_variance
                                 : std::numeric_limits<double>::quiet_NaN(),
                    "1",
                    "bullwhip: variance of " + st.name +
                        "'s orders / variance of the consumers' demand (NaN: constant demand)");
      if (const std::optional<double> half = ratio_half_width(r, k, from)) {
        m.set_summary(prefix + "variance_ratio_ci99", *half, "1",
                      "half-width of a 99% interval of " + st.name +
                          "'s variance ratio by batch means (20 batches; runs of at least " +
                          std::to_string(kMinBatchPeriods * kBatches) + " measured periods)");
      }
      if (run->chen_bounds[k]) {
        m.set_summary(prefix + "chen_bound", *run->chen_bounds[k], "1",
                      "Chen et al. (2000): the least variance ratio of order-up-to stages with "
                      "moving averages up to " +
                          st.name + " (product of 1 + 2L/p + 2L^2/p^2)");
      }
      m.set_summary(prefix + "total_cost", st.total_cost, "cost",
                    "holding + backlog cost of " + st.name + " over the run");
      m.set_summary(prefix + "fill_rate", fill_rate(st, from), "1",
                    "share of the demand " + st.name +
                        " received that it shipped in the same period, after the warm-up");
      team += st.total_cost;
      late += st.late_messages;
    }
    m.set_summary("supply.team_cost", team, "cost", "holding + backlog cost of every stage");
    m.set_summary("supply.late_messages", static_cast<double>(late), "messages",
                  "orders and shipments that arrived after the period they were due in (slow "
                  "network links); used in the next period");
  });
}

}  // namespace

void register_model(sim::Registry& registry) {
  declare(registry);
  registry.add_model(sim::ModelSpec{
      "supply-chain",
      "Serial supply chain (beer game): consumers, retailer, ..., factory; bullwhip, costs",
      kSection, build});
  registry.add_action(sim::ActionSpec{
      "demand_surge",
      "Multiply consumers' demand by `factor` from `at` (for every period that starts then or "
      "later; target: the supply chain's `consumers`, or the trade world's `consumers`, "
      "region:<r> or country:<CC>); with `for`, until then.",
      {Field::scalar("factor", FieldType::kFloat, "", "the multiplier (2: twice the demand)")
           .must()
           .at_least(0)},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        const auto nodes =
            world.resolve(e.target, e.node->find("target")->mark, e.path + ".target");
        const double factor = std::stod(e.param("factor"));
        sim::Engine& engine = world.engine();
        for (sim::NodeId id : nodes) {
          if (dynamic_cast<HasDemand*>(&engine.node(id)) == nullptr) {
            world.diagnostics().add(e.node->find("target")->mark, e.path + ".target",
                                    "\"" + e.target + "\" names nodes that are not consumers");
            return;
          }
          const sim::SimTime from = e.at;
          const std::optional<sim::Duration> length = e.duration;
          engine.schedule(e.at, [&engine, id, from, length, factor] {
            engine.invoke(id, [from, length, factor](sim::Node& node, sim::Context&) {
              DemandProcess& demand = dynamic_cast<HasDemand&>(node).demand_process();
              if (length) {
                demand.add_multiplier(from, from + *length, factor);
              } else {
                demand.add_multiplier(demand.period_at(from), std::numeric_limits<int64_t>::max(),
                                      factor);
              }
            });
          });
        }
      }});
}

}  // namespace tradesim::supply
