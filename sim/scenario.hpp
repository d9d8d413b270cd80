// Scenarios: the registry of sections, timeline actions and models; loading and validating a
// scenario file; building the simulated world from it; expanding sweeps. The kernel declares the
// sections `scenario`, `network`, `metrics`, `timeline` and `sweep` and the actions crash,
// restart, partition and degrade_link; each model folder adds its own through the same registry.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/engine.hpp"
#include "sim/schema.hpp"
#include "sim/units.hpp"

namespace tradesim::sim {

// A validated scenario. Getters take dotted paths; the validator has already checked presence,
// type and unit, so they only fail on a programming error (a path no schema declares).
class Scenario {
 public:
  Scenario(ConfigNode root, std::string file) : root_(std::move(root)), file_(std::move(file)) {}

  const ConfigNode& root() const { return root_; }
  const std::string& file() const { return file_; }
  bool has(std::string_view path) const { return root_.at_path(path) != nullptr; }
  const ConfigNode& at(std::string_view path) const;

  std::string text(std::string_view path) const { return at(path).scalar; }
  int64_t integer(std::string_view path) const;
  double number(std::string_view path) const;
  bool flag(std::string_view path) const { return at(path).scalar == "true"; }
  Duration duration(std::string_view path) const { return Duration::parse(at(path).scalar); }
  double rate_per_second(std::string_view path) const { return parse_rate(at(path).scalar); }
  double bytes(std::string_view path) const { return parse_size(at(path).scalar); }
  Money money(std::string_view path) const { return parse_money(at(path).scalar); }
  double teu(std::string_view path) const { return parse_teu(at(path).scalar); }
  double fraction(std::string_view path) const { return parse_percent(at(path).scalar); }

  std::string name() const { return text("scenario.name"); }
  Duration length() const { return duration("scenario.duration"); }
  uint64_t seed() const { return static_cast<uint64_t>(integer("scenario.seed")); }
  std::string yaml() const { return to_yaml(root_); }

 private:
  ConfigNode root_;
  std::string file_;
};

class World;

// One timeline entry, as an action sees it.
struct TimelineEntry {
  SimTime at;
  std::optional<Duration> duration;  // the entry's `for:`
  std::string target;                // empty when not given
  const ConfigNode* node;            // the whole entry, for action parameters
  std::string path;                  // "timeline.3"
  std::string param(const std::string& key) const;
};

struct ActionSpec {
  std::string name;
  std::string description;
  std::vector<Field> params;  // keys besides at, do, for, target
  bool needs_target = false;
  // Schedules the action on the world's engine; reports bad targets to world.diagnostics().
  std::function<void(World&, const TimelineEntry&)> schedule;
};

struct ModelSpec {
  std::string name;
  std::string description;
  std::string section;  // the model is built when this section (dotted path) is present
  std::function<void(World&)> build;
};

class Registry {
 public:
  Registry();  // with the kernel's sections and actions
  // Adds a field to the object at `parent_path` ("" for a top-level section).
  void add_field(std::string_view parent_path, Field field);
  void add_action(ActionSpec action);
  void add_model(ModelSpec model);

  const Field& schema() const { return schema_; }
  const std::vector<ActionSpec>& actions() const { return actions_; }
  const std::vector<ModelSpec>& models() const { return models_; }
  const ActionSpec* action(const std::string& name) const;

 private:
  Field& object_at(std::string_view path);
  Field schema_;
  std::vector<ActionSpec> actions_;
  std::vector<ModelSpec> models_;
};

// Loads `file` (following extends:), applies the overrides ("key.path=value"), validates.
// Returns nothing if there were errors (every error is in `diagnostics`), unless `keep_invalid`:
// then the tree is returned as far as it could be read, for build_world to check the names it
// uses in the same pass (see check_scenario).
std::optional<Scenario> load_scenario(const Registry& registry, const std::string& file,
                                      const std::vector<std::string>& overrides,
                                      Diagnostics& diagnostics, bool keep_invalid = false);

// The simulated world built from a scenario: the engine plus the names of nodes and groups.
class World {
 public:
  World(Engine& engine, const Scenario& scenario, Diagnostics& diagnostics)
      : engine_(engine), scenario_(scenario), diagnostics_(diagnostics) {}

  Engine& engine() { return engine_; }
  const Scenario& scenario() const { return scenario_; }
  Diagnostics& diagnostics() { return diagnostics_; }

  // Adds a node under a unique name, in zero or more groups; ids are given in order of adding,
  // which follows the scenario file, so they do not depend on anything else.
  template <class T, class... Args>
  T& emplace(const std::string& name, const std::vector<std::string>& groups, SiteId site,
             Args&&... args) {
    return static_cast<T&>(
        add(name, groups, site, std::make_unique<T>(std::forward<Args>(args)...)));
  }
  Node& add(const std::string& name, const std::vector<std::string>& groups, SiteId site,
            std::unique_ptr<Node> node);
  // A node name or a group name; reports an unknown one (with a suggestion) at `mark`.
  std::vector<NodeId> resolve(const std::string& target, const Mark& mark, const std::string& path);
  std::optional<NodeId> find(const std::string& name) const;
  // The id the next node added will get (for nodes whose keys derive from their own id).
  NodeId next_id() const { return next_id_; }
  // A site by name; reports an unknown one at `mark`.
  std::optional<SiteId> site(const std::string& name, const Mark& mark, const std::string& path);
  const std::map<std::string, NodeId>& names() const { return names_; }

  // An object one model offers to the models built after it (the contracts runtime that the
  // platforms submit calls to), by key; the world keeps it alive as long as itself.
  void offer(const std::string& key, std::shared_ptr<void> service) {
    services_[key] = std::move(service);
  }
  // What was offered under `key` (null if nothing: its section is absent).
  template <class T>
  T* service(const std::string& key) const {
    const auto it = services_.find(key);
    return it == services_.end() ? nullptr : static_cast<T*>(it->second.get());
  }

  // Work to do when the run ends (summaries, final rows).
  void at_end(std::function<void()> callback) { at_end_.push_back(std::move(callback)); }
  void finish();

 private:
  Engine& engine_;
  const Scenario& scenario_;
  Diagnostics& diagnostics_;
  std::map<std::string, NodeId> names_;
  std::map<std::string, std::vector<NodeId>> groups_;
  NodeId next_id_ = 0;
  std::vector<std::function<void()>> at_end_;
  std::map<std::string, std::shared_ptr<void>> services_;
};

// Builds the network, the models whose sections are present, and the timeline. Errors (unknown
// sites, targets) go to world.diagnostics(). When world.diagnostics() already holds schema
// errors, the parts under their key paths are skipped and the rest is still checked.
void build_world(const Registry& registry, World& world);

// The runs of a sweep: the cartesian product of the `sweep:` values (in file order), times
// scenario.replications. Replication r of every point uses the same seed (common random numbers).
struct SweepRun {
  size_t index;
  std::vector<std::pair<std::string, std::string>> parameters;  // key path, value as YAML
  uint64_t replication;
  uint64_t seed;
  std::vector<std::string> overrides() const;  // the --set arguments of this run
};
std::vector<SweepRun> expand_sweep(const Scenario& scenario);
uint64_t replication_seed(uint64_t base_seed, uint64_t replication);

}  // namespace tradesim::sim
