// The kernel's scenario sections and actions, loading, world building and sweeps.
#include "sim/scenario.hpp"

#include <charconv>
#include <limits>

#include "sim/faults.hpp"
#include "sim/random.hpp"

namespace tradesim::sim {

const ConfigNode& Scenario::at(std::string_view path) const {
  const ConfigNode* node = root_.at_path(path);
  if (node == nullptr) throw std::logic_error("scenario has no value at " + std::string(path));
  return *node;
}

int64_t Scenario::integer(std::string_view path) const {
  const std::string& s = at(path).scalar;
  long long v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

double Scenario::number(std::string_view path) const {
  return canonical_value(FieldType::kFloat, at(path).scalar);
}

std::string TimelineEntry::param(const std::string& key) const {
  const ConfigNode* v = node->find(key);
  return v != nullptr ? v->scalar : std::string();
}

namespace {

Field timeline_field() {
  Field f;
  f.key = "timeline";
  f.type = FieldType::kList;
  f.description =
      "Shocks, faults and fraud at given times: each item says when (`at`), what (`do`), for how "
      "long (`for`, optional: for ever) and to whom (`target`: a node or group name).";
  f.fields = {
      Field::scalar("at", FieldType::kDuration, "", "when, from the start of the run").must(),
      Field::scalar("do", FieldType::kEnum, "", "the action").must(),
      Field::scalar("for", FieldType::kDuration, "", "how long until it is undone (optional)")
          .at_least(0, true),
      Field::scalar("target", FieldType::kString, "", "a node or group name")};
  f.variant_key = "do";
  f.implicit = false;
  return f;
}

Field network_field() {
  Field site =
      Field::object("sites", "Places that nodes are put at: cities, ports, data centres.", {});
  site.type = FieldType::kList;
  site.fields = {
      Field::scalar("name", FieldType::kString, "", "unique site name (e.g. a UN/LOCODE)").must(),
      Field::scalar("local_latency", FieldType::kDuration, "0s",
                    "delay between two nodes at this site")
          .at_least(0)};
  Field link = Field::object("links", "Bidirectional links between sites.", {});
  link.type = FieldType::kList;
  link.fields = {
      Field::scalar("a", FieldType::kString, "", "one end (a site name)").must(),
      Field::scalar("b", FieldType::kString, "", "the other end (a site name)").must(),
      Field::scalar("latency", FieldType::kDuration, "0s", "one-way propagation delay").at_least(0),
      Field::scalar("bandwidth", FieldType::kSize, "0 B",
                    "bytes per second; 0 = unlimited (e.g. 12.5 MB = 100 Mbit/s)")
          .at_least(0),
      Field::scalar("jitter", FieldType::kDuration, "0s",
                    "each message adds a uniform delay in [0, jitter]")
          .at_least(0),
      Field::scalar("loss", FieldType::kPercent, "0%", "probability that a message is lost")
          .at_least(0)
          .at_most(1)};
  return Field::object("network",
                       "The sites of the world and the links between them. Without sites the "
                       "network is ideal: no delay, no loss.",
                       {site, link});
}

LinkSpec link_spec(const ConfigNode& item) {
  LinkSpec spec;
  auto get = [&](const char* key) { return item.find(key)->scalar; };
  spec.latency = Duration::parse(get("latency"));
  const double bytes_per_second = parse_size(get("bandwidth"));
  spec.bandwidth_bps =
      bytes_per_second > 0 ? 8 * bytes_per_second : std::numeric_limits<double>::infinity();
  spec.jitter = Duration::parse(get("jitter"));
  spec.loss = parse_percent(get("loss"));
  return spec;
}

void add_kernel_actions(Registry& r) {
  r.add_action(ActionSpec{
      "crash",
      "Crash a node or every node of a group; with `for`, restart them after.",
      {},
      true,
      [](World& w, const TimelineEntry& e) {
        const auto nodes = w.resolve(e.target, e.node->find("target")->mark, e.path + ".target");
        if (!nodes.empty()) {
          faults::crash(w.engine(), nodes, e.at, e.duration.value_or(Duration::max()));
        }
      }});
  r.add_action(ActionSpec{"restart",
                          "Restart a crashed node or group (calls its on_start again).",
                          {},
                          true,
                          [](World& w, const TimelineEntry& e) {
                            const auto nodes = w.resolve(e.target, e.node->find("target")->mark,
                                                         e.path + ".target");
                            Engine& engine = w.engine();
                            engine.schedule(e.at, [&engine, nodes] {
                              for (NodeId id : nodes) engine.restart(id);
                            });
                          }});
  Field sites;
  sites.key = "sites";
  sites.type = FieldType::kList;
  sites.item_type = FieldType::kString;
  sites.description = "sites cut off from all the others (one group)";
  Field groups = Field::scalar("groups", FieldType::kAny, "",
                               "several groups, each a list of sites: [[A, B], [C]]; every group "
                               "is cut off from the others and from the sites not listed");
  r.add_action(ActionSpec{
      "partition",
      "Cut groups of sites off from each other (give `sites` for one group or `groups` for "
      "several); with `for`, heal after.",
      {sites, groups},
      false,
      [](World& w, const TimelineEntry& e) {
        std::vector<std::vector<SiteId>> cut;
        auto add_group = [&](const ConfigNode& list, const std::string& path) {
          if (!list.is_list() || list.list.empty()) {
            w.diagnostics().add(list.mark, path, "expected a non-empty list of site names");
            return;
          }
          std::vector<SiteId> group;
          for (size_t i = 0; i < list.list.size(); ++i) {
            const ConfigNode& item = list.list[i];
            if (auto s = w.site(item.scalar, item.mark, path + "." + std::to_string(i))) {
              group.push_back(*s);
            }
          }
          cut.push_back(group);
        };
        const ConfigNode* one = e.node->find("sites");
        const ConfigNode* many = e.node->find("groups");
        if ((one == nullptr) == (many == nullptr)) {
          w.diagnostics().add(e.node->mark, e.path, "give either `sites` (one group) or `groups`");
          return;
        }
        if (one != nullptr) add_group(*one, e.path + ".sites");
        if (many != nullptr) {
          if (!many->is_list()) {
            w.diagnostics().add(many->mark, e.path + ".groups",
                                "expected a list of lists of sites");
            return;
          }
          for (size_t g = 0; g < many->list.size(); ++g) {
            add_group(many->list[g], e.path + ".groups." + std::to_string(g));
          }
        }
        // A site in two groups is reported now, not when the partition happens.
        std::vector<int> seen(w.engine().network().site_count(), 0);
        for (const auto& group : cut) {
          for (SiteId site : group) {
            if (seen[site]++ != 0) {
              w.diagnostics().add(
                  e.node->mark, e.path,
                  "site " + w.engine().network().site_name(site) + " is in two groups");
              return;
            }
          }
        }
        faults::partition(w.engine(), cut, e.at, e.duration.value_or(Duration::max()));
      }});
  r.add_action(ActionSpec{"heal",
                          "Heal every partition in force (reconnect all sites).",
                          {},
                          false,
                          [](World& w, const TimelineEntry& e) {
                            Engine& engine = w.engine();
                            engine.schedule(e.at, [&engine] { engine.network().heal_all(); });
                          }});
  std::vector<Field> degrade = network_field().fields[1].fields;
  r.add_action(ActionSpec{
      "degrade_link",
      "Give the link between sites a and b new properties (latency, bandwidth, jitter, loss); "
      "with `for`, restore the old ones after.",
      degrade, false, [](World& w, const TimelineEntry& e) {
        const auto a = w.site(e.param("a"), e.node->find("a")->mark, e.path + ".a");
        const auto b = w.site(e.param("b"), e.node->find("b")->mark, e.path + ".b");
        if (!a || !b) return;
        try {
          w.engine().network().link(*a, *b);
        } catch (const std::invalid_argument& error) {
          w.diagnostics().add(e.node->mark, e.path, error.what());
          return;
        }
        faults::degrade_link(w.engine(), *a, *b, link_spec(*e.node), e.at,
                             e.duration.value_or(Duration::max()));
      }});
}

}  // namespace

Registry::Registry() {
  schema_.type = FieldType::kObject;
  schema_.fields = {
      Field::object(
          "scenario", "What the experiment is, how long it runs and with which seed.",
          {Field::scalar("name", FieldType::kString, "", "short name, used in plots and file names")
               .must(),
           Field::scalar("description", FieldType::kString, "\"\"",
                         "what the scenario teaches or tests"),
           Field::scalar("duration", FieldType::kDuration, "", "simulated time to run")
               .must()
               .at_least(0, true),
           Field::scalar("seed", FieldType::kInt, "1", "base seed of every random stream")
               .at_least(0),
           Field::scalar("replications", FieldType::kInt, "1",
                         "independent runs per sweep point (seeds derived from the base seed)")
               .at_least(1)}),
      network_field(),
      Field::object("metrics", "What is recorded.",
                    {Field::scalar("sample_every", FieldType::kDuration, "1h",
                                   "sampling period of gauges into time series")
                         .at_least(0, true),
                     [] {
                       Field f = Field::scalar("disable", FieldType::kList, "",
                                               "metric name prefixes to turn off (e.g. kernel.)");
                       f.item_type = FieldType::kString;
                       return f;
                     }()}),
      timeline_field(),
      [] {
        Field f = Field::scalar("sweep", FieldType::kAny, "",
                                "key paths with lists of values: the runs of `tradesim sweep` are "
                                "their cartesian product times scenario.replications");
        return f;
      }(),
  };
  add_kernel_actions(*this);
}

Field& Registry::object_at(std::string_view path) {
  Field* f = &schema_;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    Field* next = nullptr;
    for (Field& c : f->fields) {
      if (c.key == part) next = &c;
    }
    if (next == nullptr) {
      f->fields.push_back(Field::object(std::string(part), "", {}, false));
      next = &f->fields.back();
    }
    f = next;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return *f;
}

void Registry::add_field(std::string_view parent_path, Field field) {
  object_at(parent_path).fields.push_back(std::move(field));
}

void Registry::add_action(ActionSpec action) {
  Field& timeline = object_at("timeline");
  for (Field& f : timeline.fields) {
    if (f.key == "do") f.choices.push_back(action.name);
  }
  timeline.variants[action.name] = action.params;
  actions_.push_back(std::move(action));
}

void Registry::add_model(ModelSpec model) {
  models_.push_back(std::move(model));
}

const ActionSpec* Registry::action(const std::string& name) const {
  for (const ActionSpec& a : actions_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

namespace {

// Sweep: a map of key paths to lists of values; each value must validate in its place.
void validate_sweep(const Registry& registry, const ConfigNode& root, Diagnostics& diagnostics) {
  const ConfigNode* sweep = root.find("sweep");
  if (sweep == nullptr) return;
  if (!sweep->is_map()) {
    diagnostics.add(sweep->mark, "sweep", "expected key paths, each with a list of values");
    return;
  }
  for (const auto& [path, values] : sweep->map) {
    if (!values.is_list() || values.list.empty()) {
      diagnostics.add(values.mark, "sweep." + path, "expected a non-empty list of values");
      continue;
    }
    if (path.rfind("sweep", 0) == 0) {
      diagnostics.add(values.key_mark, "sweep." + path, "a sweep cannot sweep itself");
      continue;
    }
    for (const ConfigNode& value : values.list) {
      ConfigNode copy = root;
      copy.erase("sweep");
      Diagnostics local;
      apply_override(copy, path + "=" + to_yaml(value), local);
      validate(copy, registry.schema(), "", local);
      for (const Diagnostic& d : local.items()) {
        // Report at the sweep entry, naming the swept value's problem.
        if (d.mark.file.rfind("--set", 0) == 0 || d.path == path) {
          diagnostics.add(value.mark, "sweep." + path, d.message);
        }
      }
    }
  }
}

}  // namespace

std::optional<Scenario> load_scenario(const Registry& registry, const std::string& file,
                                      const std::vector<std::string>& overrides,
                                      Diagnostics& diagnostics, bool keep_invalid) {
  ConfigNode root = load_config_file(file, diagnostics);
  for (const std::string& o : overrides) apply_override(root, o, diagnostics);
  validate(root, registry.schema(), "", diagnostics);
  validate_sweep(registry, root, diagnostics);
  if (!diagnostics.empty() && !keep_invalid) return std::nullopt;
  if (!root.is_map()) return std::nullopt;  // not even a YAML map: nothing to check further
  return Scenario(std::move(root), file);
}

Node& World::add(const std::string& name, const std::vector<std::string>& groups, SiteId site,
                 std::unique_ptr<Node> node) {
  if (names_.count(name) || groups_.count(name)) {
    throw std::invalid_argument("two nodes or groups are named \"" + name + "\"");
  }
  const NodeId id = next_id_++;
  names_[name] = id;
  for (const std::string& g : groups) groups_[g].push_back(id);
  return engine_.add_node(id, std::move(node), site);
}

std::optional<NodeId> World::find(const std::string& name) const {
  const auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

std::vector<NodeId> World::resolve(const std::string& target, const Mark& mark,
                                   const std::string& path) {
  if (const auto it = names_.find(target); it != names_.end()) return {it->second};
  if (const auto it = groups_.find(target); it != groups_.end()) return it->second;
  std::vector<std::string> known;
  for (const auto& [n, id] : names_) known.push_back(n);
  for (const auto& [g, ids] : groups_) known.push_back(g);
  const std::string guess = closest(target, known);
  diagnostics_.add(mark, path,
                   "no node or group named \"" + target + "\"" +
                       (guess.empty() ? "" : "; did you mean \"" + guess + "\"?"));
  return {};
}

std::optional<SiteId> World::site(const std::string& name, const Mark& mark,
                                  const std::string& path) {
  if (auto s = engine_.network().find_site(name)) return s;
  std::vector<std::string> known;
  for (size_t i = 0; i < engine_.network().site_count(); ++i) {
    known.push_back(engine_.network().site_name(static_cast<SiteId>(i)));
  }
  const std::string guess = closest(name, known);
  diagnostics_.add(mark, path,
                   "no site named \"" + name + "\"" +
                       (guess.empty() ? (known.empty() ? " (network.sites is empty)" : "")
                                      : "; did you mean \"" + guess + "\"?"));
  return std::nullopt;
}

void World::finish() {
  for (auto& callback : at_end_) callback();
  at_end_.clear();
}

void build_world(const Registry& registry, World& world) {
  const Scenario& s = world.scenario();
  Network& network = world.engine().network();
  // A scenario with schema errors is still built as far as its valid parts allow, so that name
  // errors (sites, timeline targets) are reported in the same pass; parts under an error path
  // are skipped, and exceptions they would cause are not reported twice.
  std::vector<std::string> broken;
  for (const Diagnostic& d : world.diagnostics().items()) broken.push_back(d.path);
  const bool checking = !broken.empty();
  auto broken_under = [&](const std::string& prefix) {
    for (const std::string& p : broken) {
      if (p == prefix || p.rfind(prefix + ".", 0) == 0 || prefix.rfind(p + ".", 0) == 0)
        return true;
    }
    return false;
  };
  // Network.
  const ConfigNode* network_node = s.root().find("network");
  const ConfigNode* sites = network_node != nullptr ? network_node->find("sites") : nullptr;
  for (size_t i = 0; sites != nullptr && i < sites->list.size(); ++i) {
    const std::string path = "network.sites." + std::to_string(i);
    if (broken_under(path)) continue;
    const ConfigNode& item = sites->list[i];
    const std::string name = item.find("name")->scalar;
    if (network.find_site(name)) {
      world.diagnostics().add(item.find("name")->mark, path + ".name",
                              "duplicate site name \"" + name + "\"");
      continue;
    }
    LinkSpec local;
    local.latency = Duration::parse(item.find("local_latency")->scalar);
    network.add_site(name, local);
  }
  const ConfigNode* links = network_node != nullptr ? network_node->find("links") : nullptr;
  for (size_t i = 0; links != nullptr && i < links->list.size(); ++i) {
    const std::string path = "network.links." + std::to_string(i);
    if (broken_under(path)) continue;
    const ConfigNode& item = links->list[i];
    const auto a = world.site(item.find("a")->scalar, item.find("a")->mark, path + ".a");
    const auto b = world.site(item.find("b")->scalar, item.find("b")->mark, path + ".b");
    if (!a || !b) continue;
    if (*a == *b) {
      world.diagnostics().add(item.mark, path, "a link joins two different sites");
      continue;
    }
    network.add_link(*a, *b, link_spec(item));
  }
  if (!broken_under("metrics")) {
    world.engine().sample_metrics_every(s.duration("metrics.sample_every"));
    if (const ConfigNode* disable = s.at("metrics").find("disable")) {
      for (const ConfigNode& prefix : disable->list) {
        world.engine().metrics().set_enabled(prefix.scalar, false);
      }
    }
  }
  // Models.
  bool every_model_built = true;
  for (const ModelSpec& model : registry.models()) {
    if (!s.has(model.section)) continue;
    if (broken_under(model.section) || broken_under("scenario")) {
      every_model_built = false;
      continue;
    }
    try {
      model.build(world);
    } catch (const std::exception& e) {
      every_model_built = false;
      if (!checking) world.diagnostics().add(s.at(model.section).mark, model.section, e.what());
    }
  }
  // Timeline: its targets name the models' nodes, so it is checked only when they all exist.
  const ConfigNode* timeline = s.root().find("timeline");
  for (size_t i = 0; every_model_built && timeline != nullptr && i < timeline->list.size(); ++i) {
    const ConfigNode& item = timeline->list[i];
    const std::string path = "timeline." + std::to_string(i);
    if (broken_under(path)) continue;
    TimelineEntry entry{SimTime::parse(item.find("at")->scalar), std::nullopt, "", &item, path};
    if (const ConfigNode* f = item.find("for")) entry.duration = Duration::parse(f->scalar);
    if (const ConfigNode* t = item.find("target")) entry.target = t->scalar;
    const ActionSpec* action = registry.action(item.find("do")->scalar);
    if (action->needs_target && entry.target.empty()) {
      world.diagnostics().add(item.mark, entry.path + ".target",
                              "missing required key (the node or group to " + action->name + ")");
      continue;
    }
    // Entries after the end of the run are scheduled and simply never happen (a shortened run).
    action->schedule(world, entry);
  }
}

uint64_t replication_seed(uint64_t base_seed, uint64_t replication) {
  if (replication == 0) return base_seed;
  return mix64(base_seed ^ mix64(replication * 0x9e3779b97f4a7c15ULL)) >> 1;  // fits int64
}

std::vector<std::string> SweepRun::overrides() const {
  std::vector<std::string> out;
  for (const auto& [path, value] : parameters) out.push_back(path + "=" + value);
  out.push_back("scenario.seed=" + std::to_string(seed));
  return out;
}

std::vector<SweepRun> expand_sweep(const Scenario& scenario) {
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  if (const ConfigNode* sweep = scenario.root().find("sweep")) {
    for (const auto& [path, values] : sweep->map) {
      std::vector<std::string> texts;
      for (const ConfigNode& v : values.list) {
        std::string t = to_yaml(v);
        while (!t.empty() && t.back() == '\n') t.pop_back();
        texts.push_back(t);
      }
      axes.emplace_back(path, texts);
    }
  }
  size_t points = 1;
  for (const auto& axis : axes) points *= axis.second.size();
  const auto replications = static_cast<uint64_t>(scenario.integer("scenario.replications"));
  std::vector<SweepRun> runs;
  for (size_t p = 0; p < points; ++p) {
    uint64_t base_seed = scenario.seed();
    std::vector<std::pair<std::string, std::string>> parameters;
    size_t rest = p;
    // The last axis varies fastest.
    std::vector<size_t> digits(axes.size());
    for (size_t a = axes.size(); a-- > 0;) {
      digits[a] = rest % axes[a].second.size();
      rest /= axes[a].second.size();
    }
    for (size_t a = 0; a < axes.size(); ++a) {
      parameters.emplace_back(axes[a].first, axes[a].second[digits[a]]);
      // A swept seed is the base seed of that point's replications.
      if (axes[a].first == "scenario.seed") base_seed = std::stoull(axes[a].second[digits[a]]);
    }
    for (uint64_t r = 0; r < replications; ++r) {
      runs.push_back(SweepRun{runs.size(), parameters, r, replication_seed(base_seed, r)});
    }
  }
  return runs;
}

}  // namespace tradesim::sim
