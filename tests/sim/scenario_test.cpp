// Scenario files: units, duplicate keys, extends, overrides, validation errors, sweeps, timeline.
#include "sim/scenario.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "models/queueing/mmc.hpp"
#include "models/queueing/scenario.hpp"

namespace tradesim::sim {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() / ("tradesim_scenario_" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }

 private:
  fs::path path_;
};

Registry registry() {
  Registry r;
  queueing::register_model(r);
  return r;
}

std::vector<std::string> messages(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const Diagnostic& x : d.items()) out.push_back(x.to_string());
  return out;
}

bool any_contains(const Diagnostics& d, const std::string& needle) {
  for (const std::string& m : messages(d)) {
    if (m.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(Units, ParseWithUnits) {
  EXPECT_DOUBLE_EQ(parse_size("64 kB"), 64000);
  EXPECT_DOUBLE_EQ(parse_size("1.5MB"), 1.5e6);
  EXPECT_DOUBLE_EQ(parse_size("2 KiB"), 2048);
  EXPECT_DOUBLE_EQ(parse_rate("30/h"), 30.0 / 3600);
  EXPECT_DOUBLE_EQ(parse_rate("2/min"), 2.0 / 60);
  EXPECT_DOUBLE_EQ(parse_rate("0.5/s"), 0.5);
  EXPECT_DOUBLE_EQ(parse_money("1200 USD").amount, 1200);
  EXPECT_EQ(parse_money("1200 USD").currency, "USD");
  EXPECT_DOUBLE_EQ(parse_teu("20 TEU"), 20);
  EXPECT_DOUBLE_EQ(parse_percent("5%"), 0.05);
  EXPECT_DOUBLE_EQ(parse_percent("0.25"), 0.25);
  EXPECT_THROW(parse_size("3 parsecs"), UnitError);
  EXPECT_THROW(parse_rate("30 per hour"), UnitError);
  EXPECT_THROW(parse_money("1200"), UnitError);
  EXPECT_THROW(parse_money("1200 usd"), UnitError);
  EXPECT_THROW(parse_teu("20 FEU"), UnitError);
  EXPECT_THROW(parse_size("-1 kB"), UnitError);
}

TEST(Config, DuplicateKeysAreErrorsWithBothLines) {
  Diagnostics d;
  load_config_text("scenario:\n  name: a\n  seed: 1\n  name: b\n", "dup.yaml", d);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d.items()[0].to_string(),
            "dup.yaml:4:3: scenario.name: duplicate key (first given at line 2)");
}

TEST(Config, SyntaxErrorsHaveAPosition) {
  Diagnostics d;
  load_config_text("scenario: [a, b\n", "bad.yaml", d);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d.items()[0].mark.file, "bad.yaml");
  EXPECT_GT(d.items()[0].mark.line, 0);
}

TEST(Config, ExtendsMergesMapsAndReplacesTheRest) {
  TempDir dir;
  dir.write("base.yaml",
            "scenario: {name: base, duration: 1d, seed: 3}\nmetrics:\n  disable: [a, b]\n");
  const std::string top = dir.write(
      "top.yaml", "extends: base.yaml\nscenario: {name: top}\nmetrics:\n  disable: [c]\n");
  Diagnostics d;
  const ConfigNode root = load_config_file(top, d);
  ASSERT_TRUE(d.empty()) << d.to_string();
  EXPECT_EQ(root.at_path("scenario.name")->scalar, "top");
  EXPECT_EQ(root.at_path("scenario.duration")->scalar, "1d");   // from the base
  EXPECT_EQ(root.at_path("metrics.disable")->list.size(), 1u);  // lists are replaced
  EXPECT_EQ(root.find("extends"), nullptr);
  // Marks point at the file each value came from.
  EXPECT_NE(root.at_path("scenario.duration")->mark.file.find("base.yaml"), std::string::npos);
  EXPECT_NE(root.at_path("scenario.name")->mark.file.find("top.yaml"), std::string::npos);
}

TEST(Config, CircularExtendsIsAnError) {
  TempDir dir;
  dir.write("a.yaml", "extends: b.yaml\n");
  const std::string b = dir.write("b.yaml", "extends: a.yaml\n");
  Diagnostics d;
  load_config_file(b, d);
  EXPECT_TRUE(any_contains(d, "circular extends")) << d.to_string();
}

TEST(Config, OverridesReplaceCreateAndIndexLists) {
  Diagnostics d;
  ConfigNode root = load_config_text("a: {b: 1}\nl: [{x: 1}, {x: 2}]\n", "t.yaml", d);
  apply_override(root, "a.b=2", d);
  apply_override(root, "a.c.d=hello", d);
  apply_override(root, "l.1.x=5", d);
  apply_override(root, "a.list=[1, 2, 3]", d);
  ASSERT_TRUE(d.empty()) << d.to_string();
  EXPECT_EQ(root.at_path("a.b")->scalar, "2");
  EXPECT_EQ(root.at_path("a.c.d")->scalar, "hello");
  EXPECT_EQ(root.at_path("l.1.x")->scalar, "5");
  EXPECT_EQ(root.at_path("a.list")->list.size(), 3u);
  apply_override(root, "l.7.x=1", d);
  apply_override(root, "novalue", d);
  EXPECT_EQ(d.size(), 2u);
}

const char* kPort =
    "scenario: {name: p, duration: 2d}\n"
    "actors:\n  port: {berths: 2, arrivals: 10/h, service_time: 6min}\n";

TEST(Validation, DefaultsAreFilledIn) {
  TempDir dir;
  Diagnostics d;
  const auto s = load_scenario(registry(), dir.write("p.yaml", kPort), {}, d);
  ASSERT_TRUE(s) << d.to_string();
  EXPECT_EQ(s->seed(), 1u);
  EXPECT_EQ(s->text("metrics.sample_every"), "1h");
  EXPECT_EQ(s->text("actors.port.warmup"), "0s");
  EXPECT_DOUBLE_EQ(s->rate_per_second("actors.port.arrivals"), 10.0 / 3600);
  // The resolved text carries the defaults, so the run file says everything that was used.
  EXPECT_NE(s->yaml().find("sample_every: 1h"), std::string::npos);
}

TEST(Validation, AllErrorsAtOnceWithPositionsAndSuggestions) {
  TempDir dir;
  const std::string file = dir.write("bad.yaml",
                                     "scenario:\n"
                                     "  name: bad\n"
                                     "  duraton: 3d\n"
                                     "actors:\n"
                                     "  port:\n"
                                     "    berths: 0\n"
                                     "    arrivals: fast\n"
                                     "    servce_time: 5min\n"
                                     "timeline:\n"
                                     "  - {at: 1d, do: close_berth, target: port}\n"
                                     "  - {do: crash, target: port}\n");
  Diagnostics d;
  EXPECT_FALSE(load_scenario(registry(), file, {}, d));
  const std::string all = d.to_string();
  EXPECT_EQ(d.size(), 7u) << all;
  EXPECT_TRUE(
      any_contains(d, "bad.yaml:3:3: scenario.duraton: unknown key; did you mean \"duration\"?"))
      << all;
  EXPECT_TRUE(any_contains(d, "scenario.duration: missing required key")) << all;
  EXPECT_TRUE(any_contains(d, "bad.yaml:6:13: actors.port.berths: \"0\" is out of range")) << all;
  EXPECT_TRUE(any_contains(d, "bad.yaml:7:15: actors.port.arrivals:")) << all;
  EXPECT_TRUE(
      any_contains(d, "actors.port.servce_time: unknown key; did you mean \"service_time\"?"))
      << all;
  EXPECT_TRUE(any_contains(d, "timeline.0.do: \"close_berth\" is not one of")) << all;
  EXPECT_TRUE(any_contains(d, "did you mean \"close_berths\"?")) << all;
  EXPECT_TRUE(any_contains(d, "timeline.1.at: missing required key")) << all;
}

TEST(Validation, OverridesAreValidatedToo) {
  TempDir dir;
  const std::string file = dir.write("p.yaml", kPort);
  Diagnostics d;
  EXPECT_FALSE(load_scenario(registry(), file, {"actors.port.bertsh=4"}, d));
  EXPECT_TRUE(any_contains(
      d, "--set actors.port.bertsh=4: actors.port.bertsh: unknown key; did you mean \"berths\"?"))
      << d.to_string();
  Diagnostics ok;
  const auto s = load_scenario(registry(), file, {"actors.port.berths=4"}, ok);
  ASSERT_TRUE(s) << ok.to_string();
  EXPECT_EQ(s->integer("actors.port.berths"), 4);
}

TEST(Sweep, CartesianProductTimesReplications) {
  TempDir dir;
  const std::string file = dir.write(
      "s.yaml",
      std::string(kPort) +
          "sweep:\n  actors.port.berths: [2, 3, 4]\n  actors.port.arrivals: [10/h, 15/h]\n");
  Diagnostics d;
  const auto s = load_scenario(registry(), file, {"scenario.replications=2", "scenario.seed=9"}, d);
  ASSERT_TRUE(s) << d.to_string();
  const auto runs = expand_sweep(*s);
  ASSERT_EQ(runs.size(), 3u * 2u * 2u);
  EXPECT_EQ(runs[0].parameters[0].second, "2");
  EXPECT_EQ(runs[0].parameters[1].second, "10/h");
  EXPECT_EQ(runs[2].parameters[1].second, "15/h");  // the last key varies fastest
  EXPECT_EQ(runs[4].parameters[0].second, "3");
  // Replication r has the same seed at every point; replication 0 keeps the base seed.
  EXPECT_EQ(runs[0].seed, 9u);
  EXPECT_EQ(runs[0].seed, runs[2].seed);
  EXPECT_EQ(runs[1].seed, runs[3].seed);
  EXPECT_NE(runs[0].seed, runs[1].seed);
  EXPECT_EQ(runs[11].index, 11u);
}

TEST(Sweep, BadSweepValuesAreReported) {
  TempDir dir;
  const std::string file =
      dir.write("s.yaml", std::string(kPort) +
                              "sweep:\n  actors.port.berths: [2, many]\n  actors.port.nope: [1]\n");
  Diagnostics d;
  EXPECT_FALSE(load_scenario(registry(), file, {}, d));
  EXPECT_TRUE(any_contains(d, "sweep.actors.port.berths: expected an integer, got \"many\""))
      << d.to_string();
  EXPECT_TRUE(any_contains(d, "sweep.actors.port.nope: unknown key")) << d.to_string();
}

TEST(World, TimelineTargetsMustExist) {
  TempDir dir;
  const std::string file =
      dir.write("t.yaml", std::string(kPort) +
                              "timeline:\n  - {at: 1d, do: close_berths, target: prot, berths: 1}\n"
                              "  - {at: 1d, do: crash, target: port}\n"
                              "  - {at: 1d, do: partition, sites: [X]}\n");
  Diagnostics d;
  const Registry r = registry();
  const auto s = load_scenario(r, file, {}, d);
  ASSERT_TRUE(s) << d.to_string();
  Engine engine(1);
  World world(engine, *s, d);
  build_world(r, world);
  EXPECT_EQ(d.size(), 2u) << d.to_string();
  EXPECT_TRUE(any_contains(
      d, "t.yaml:5:40: timeline.0.target: no node or group named \"prot\"; did you mean \"port\"?"))
      << d.to_string();
  EXPECT_TRUE(any_contains(d, "timeline.2.sites.0: no site named \"X\"")) << d.to_string();
}

TEST(World, ClosingBerthsLengthensTheQueue) {
  TempDir dir;
  // Two berths at 83% load; closing one for a day makes the queue grow at 10 - 6 = 4 ships/h.
  const std::string base =
      "scenario: {name: p, duration: 4d}\n"
      "actors:\n  port: {berths: 2, arrivals: 10/h, service_time: 10min, record_ships: false}\n";
  auto longest_queue = [&](const std::string& extra) {
    Diagnostics d;
    const Registry r = registry();
    const auto s = load_scenario(r, dir.write("w.yaml", base + extra), {}, d);
    EXPECT_TRUE(s) << d.to_string();
    Engine engine(s->seed());
    MemoryRecorder recorder;
    engine.metrics().set_sink(&recorder);
    World world(engine, *s, d);
    build_world(r, world);
    EXPECT_TRUE(d.empty()) << d.to_string();
    engine.run({.until = SimTime::zero() + s->length()});
    world.finish();
    engine.metrics().flush();
    const auto& q = recorder.series("port.queue_length").values;
    // While one berth is closed (over day 1, samples after a ship's service ends there), at
    // most one berth may be busy.
    const auto& busy = recorder.series("port.berths_busy");
    for (size_t i = 0; i < busy.t_ns.size(); ++i) {
      const double day = busy.t_ns[i] / 86400e9;
      if (!extra.empty() && day > 1.05 && day < 2.0) {
        EXPECT_LE(busy.values[i], 1.0) << "day " << day;
      }
    }
    return *std::max_element(q.begin(), q.end());
  };
  // Undisturbed M/M/2 at 83% load: Lq = 3.8 on average; hourly samples rarely pass 30.
  EXPECT_LT(longest_queue(""), 40);
  // Closed for a day: the queue grows by about 10 - 6 = 4 ships an hour, to about 96.
  EXPECT_GT(longest_queue(
                "timeline:\n  - {at: 1d, do: close_berths, target: port, berths: 1, for: 1d}\n"),
            60);
}

// A crashed port forgets the ships it held, frees its berths and serves again after restarting.
TEST(World, PortCrashAndRestart) {
  TempDir dir;
  const std::string file = dir.write(
      "c.yaml",
      "scenario: {name: c, duration: 4d}\n"
      "actors:\n  port: {berths: 3, arrivals: 30/h, service_time: 5min, record_ships: false}\n"
      "metrics: {sample_every: 1h}\n"
      "timeline:\n  - {at: 2d, do: crash, target: port, for: 1h}\n");
  Diagnostics d;
  const Registry r = registry();
  const auto s = load_scenario(r, file, {}, d);
  ASSERT_TRUE(s) << d.to_string();
  Engine engine(s->seed());
  MemoryRecorder recorder;
  engine.metrics().set_sink(&recorder);
  World world(engine, *s, d);
  build_world(r, world);
  ASSERT_TRUE(d.empty()) << d.to_string();
  engine.run({.until = SimTime::zero() + s->length()});
  world.finish();
  engine.metrics().flush();
  const auto& busy = recorder.series("port.berths_busy");
  // After the restart the port works normally: berths are not all stuck busy.
  int idle_samples_after = 0;
  for (size_t i = 0; i < busy.t_ns.size(); ++i) {
    if (busy.t_ns[i] > 50 * 3600e9 && busy.values[i] < 3) ++idle_samples_after;
  }
  EXPECT_GT(idle_samples_after, 10);
  EXPECT_GT(engine.metrics().counters().at("port.ships_lost")->value(), 0);
  EXPECT_GT(engine.metrics().summary().at("port.ships_served").value, 2000);
  EXPECT_EQ(engine.stats().crashes, 1u);
  EXPECT_EQ(engine.stats().restarts, 1u);
}

}  // namespace
}  // namespace tradesim::sim
