// One run: scenario -> world -> engine -> HDF5 file, with progress, Ctrl-C and exit codes.
// Sweeps: the cartesian product of runs, each in its own process.
#include "app/run.hpp"

#include <fmt/core.h>
#include <hdf5.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>

#include "sim/hdf5_writer.hpp"

extern char** environ;

namespace tradesim::app {

namespace {

namespace fs = std::filesystem;

// The engine that SIGINT stops; set only while a run is in progress.
std::atomic<sim::Engine*> g_running_engine{nullptr};
std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
  g_interrupted.store(true);
  if (sim::Engine* e = g_running_engine.load()) e->request_stop();
}

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string clock_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string rate_text(double v) {
  if (v >= 1e9) return fmt::format("{:.1f}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

// A progress bar on a terminal (at most 10 updates a second), a plain line every 10 s otherwise.
class ProgressReporter {
 public:
  explicit ProgressReporter(bool tty) : tty_(tty) {}
  void operator()(const sim::Progress& p) {
    const double fraction =
        p.until == sim::SimTime::max() ? 0 : std::min(1.0, p.now.seconds() / p.until.seconds());
    const double events_per_second = p.wall_seconds > 0 ? p.events / p.wall_seconds : 0;
    const double sim_per_wall = p.wall_seconds > 0 ? p.now.seconds() / p.wall_seconds : 0;
    const double eta = fraction > 0 ? p.wall_seconds * (1 - fraction) / fraction : NAN;
    const std::string figures =
        fmt::format("{} of {}  {} events/s  {} sim-s/wall-s  ETA {}",
                    sim::Duration::from_ns(p.now.ns()).to_string(),
                    sim::Duration::from_ns(p.until.ns()).to_string(), rate_text(events_per_second),
                    rate_text(sim_per_wall), clock_text(eta));
    if (tty_) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(fraction * kWidth);
      fmt::print(stderr, "\r[{}{}] {:3.0f}%  {}\033[K",
                 std::string(static_cast<size_t>(filled), '#'),
                 std::string(static_cast<size_t>(kWidth - filled), '.'), fraction * 100, figures);
      drawn_ = true;
    } else {
      fmt::print(stderr, "progress: {:.0f}%  {}\n", fraction * 100, figures);
    }
  }
  void done() {
    if (tty_ && drawn_) fmt::print(stderr, "\n");
  }

 private:
  bool tty_;
  bool drawn_ = false;
};

// Prints every error with a count; true if there was any.
bool report_errors(const sim::Diagnostics& diagnostics, const std::string& file) {
  if (diagnostics.empty()) return false;
  fmt::print(stderr, "{}{}: {} error{} in the scenario; nothing was run\n", diagnostics.to_string(),
             file, diagnostics.size(), diagnostics.size() == 1 ? "" : "s");
  return true;
}

std::optional<sim::Scenario> load(const sim::Registry& registry, const RunOptions& options) {
  sim::Diagnostics diagnostics;
  auto scenario =
      sim::load_scenario(registry, options.scenario_file, options.overrides, diagnostics,
                         /*keep_invalid=*/true);
  if (diagnostics.empty()) return scenario;
  // Schema errors: still build what is valid, so that name errors come in the same report.
  if (scenario) {
    try {
      sim::Engine engine(0);
      sim::World world(engine, *scenario, diagnostics);
      sim::build_world(registry, world);
    } catch (const std::exception&) {
      // A part that cannot be built because of an error already reported.
    }
  }
  report_errors(diagnostics, options.scenario_file);
  return std::nullopt;
}

// Builds the world; every problem (including a model's exception) becomes a diagnostic.
bool build(const sim::Registry& registry, sim::World& world, const std::string& file) {
  try {
    sim::build_world(registry, world);
  } catch (const std::exception& e) {
    world.diagnostics().add(sim::Mark{file, 0, 0}, "", e.what());
  }
  return !report_errors(world.diagnostics(), file);
}

}  // namespace

int validate_scenario(const sim::Registry& registry, const RunOptions& options) {
  const auto scenario = load(registry, options);
  if (!scenario) return kInvalidScenario;
  sim::Engine engine(scenario->seed());
  sim::Diagnostics diagnostics;
  sim::World world(engine, *scenario, diagnostics);
  if (!build(registry, world, options.scenario_file)) return kInvalidScenario;
  if (!options.quiet) {
    fmt::print("{}: valid. {} nodes, {} sites, {} of simulated time, {} sweep run(s)\n",
               options.scenario_file, engine.node_count(), engine.network().site_count(),
               scenario->length().to_string(), sim::expand_sweep(*scenario).size());
  }
  return kDone;
}

int run_scenario(const sim::Registry& registry, const RunOptions& options) {
  const auto scenario = load(registry, options);
  if (!scenario) return kInvalidScenario;
  sim::Engine engine(scenario->seed());
  sim::Diagnostics diagnostics;
  sim::World world(engine, *scenario, diagnostics);
  if (!build(registry, world, options.scenario_file)) return kInvalidScenario;

  const std::string output = options.output.empty() ? scenario->name() + ".h5" : options.output;
  std::unique_ptr<sim::Hdf5Writer> writer;
  try {
    if (const fs::path parent = fs::path(output).parent_path(); !parent.empty()) {
      fs::create_directories(parent);
    }
    writer = std::make_unique<sim::Hdf5Writer>(output);
    writer->set_attribute("scenario", scenario->name());
    writer->set_attribute("scenario_file", options.scenario_file);
    writer->set_attribute("seed", static_cast<int64_t>(scenario->seed()));
    writer->set_attribute("replication", static_cast<int64_t>(options.replication));
    writer->set_attribute("created_utc", utc_now());
    writer->write_text("/scenario", scenario->yaml(),
                       "the resolved scenario (after extends, --set and defaults)");
  } catch (const std::exception& e) {
    fmt::print(stderr, "tradesim: cannot write {}: {}\n", output, e.what());
    return kOutputError;
  }
  engine.metrics().set_sink(writer.get());

  ProgressReporter progress(isatty(STDERR_FILENO) != 0);
  if (!options.quiet) {
    const bool tty = isatty(STDERR_FILENO) != 0;
    engine.set_progress([&progress](const sim::Progress& p) { progress(p); },
                        std::chrono::milliseconds(tty ? 100 : 10000));
  }
  install_interrupt_handler();
  const auto wall_start = std::chrono::steady_clock::now();
  sim::StopReason reason;
  g_running_engine.store(&engine);
  try {
    if (g_interrupted.load()) engine.request_stop();
    reason = engine.run(
        {.until = sim::SimTime::zero() + scenario->length(), .max_events = options.max_events});
  } catch (const sim::Hdf5Error& e) {
    g_running_engine.store(nullptr);
    progress.done();
    fmt::print(stderr, "tradesim: cannot write {} at {}: {}\n", output, engine.now().to_string(),
               e.what());
    return kOutputError;  // the file keeps its .partial name: it is not a complete run
  } catch (const std::exception& e) {
    g_running_engine.store(nullptr);
    progress.done();
    fmt::print(stderr, "tradesim: the run failed at {}: {}\n", engine.now().to_string(), e.what());
    return kRunError;  // the file keeps its .partial name: it is not a complete run
  }
  g_running_engine.store(nullptr);
  progress.done();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const bool interrupted = reason == sim::StopReason::kStopRequested;
  try {
    world.finish();
    engine.publish_stats();
    engine.publish_nodes();
    writer->set_attribute("sim_end_ns", engine.now().ns());
    writer->set_attribute("wall_seconds", wall);
    writer->set_attribute("events", static_cast<int64_t>(engine.stats().events));
    // "event-limit": stopped early on purpose by --max-events, a valid but shortened run.
    writer->finish(engine.metrics(), interrupted                              ? "interrupted"
                                     : reason == sim::StopReason::kEventLimit ? "event-limit"
                                                                              : "complete");
  } catch (const std::exception& e) {
    fmt::print(stderr, "tradesim: cannot write {}: {}\n", output, e.what());
    return kOutputError;
  }
  if (options.print_summary && !options.quiet) {
    fmt::print("{}: {} of simulated time, {} events in {:.2f} s ({} events/s){}\n",
               scenario->name(), engine.now().to_string(), engine.stats().events, wall,
               rate_text(wall > 0 ? engine.stats().events / wall : 0),
               interrupted ? ", INTERRUPTED" : "");
    for (const auto& [name, value] : engine.metrics().summary()) {
      fmt::print("  {:<28} {:>14.6g} {}\n", name, value.value,
                 value.info.units == "1" ? "" : value.info.units);
    }
    fmt::print("written to {}\n", output);
  }
  return interrupted ? kInterrupted : kDone;
}

std::string run_file_status(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return "";
  std::string status;
  const hid_t attr = H5Aopen(file, "status", H5P_DEFAULT);
  if (attr >= 0) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    char* value = nullptr;
    if (H5Aread(attr, type, &value) >= 0 && value != nullptr) {
      status = value;
      H5free_memory(value);
    }
    H5Tclose(type);
    H5Aclose(attr);
  }
  H5Fclose(file);
  return status;
}

int run_sweep(const sim::Registry& registry, const SweepOptions& options) {
  const auto scenario = load(registry, options.base);
  if (!scenario) return kInvalidScenario;
  const std::vector<sim::SweepRun> runs = sim::expand_sweep(*scenario);
  auto run_path = [&](size_t index) {
    return (fs::path(options.directory) / std::to_string(index) / "run.h5").string();
  };
  if (options.run_index >= 0) {
    if (static_cast<size_t>(options.run_index) >= runs.size()) {
      fmt::print(stderr,
                 "tradesim: --run-index {} is out of range: the sweep has {} runs (0 to {})\n",
                 options.run_index, runs.size(), runs.size() - 1);
      return kUsage;
    }
    const sim::SweepRun& run = runs[static_cast<size_t>(options.run_index)];
    RunOptions one = options.base;
    for (const std::string& o : run.overrides()) one.overrides.push_back(o);
    one.output = run_path(run.index);
    one.replication = run.replication;
    return run_scenario(registry, one);
  }
  try {
    fs::create_directories(options.directory);
  } catch (const std::exception& e) {
    fmt::print(stderr, "tradesim: cannot create {}: {}\n", options.directory, e.what());
    return kOutputError;
  }
  install_interrupt_handler();
  std::vector<std::string> status(runs.size());
  std::map<pid_t, size_t> running;
  size_t next = 0, skipped = 0;
  auto reap_one = [&] {
    int wstatus = 0;
    const pid_t pid = waitpid(-1, &wstatus, 0);
    if (pid <= 0) return;
    const size_t index = running.at(pid);
    running.erase(pid);
    const int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    status[index] = code == kDone          ? "complete"
                    : code == kInterrupted ? "interrupted"
                                           : "failed (exit " + std::to_string(code) + ")";
    if (!options.base.quiet)
      fmt::print(stderr, "sweep: run {} of {}: {}\n", index + 1, runs.size(), status[index]);
  };
  while (next < runs.size() || !running.empty()) {
    while (next < runs.size() && static_cast<int>(running.size()) < options.jobs &&
           !g_interrupted.load()) {
      const size_t index = next++;
      if (run_file_status(run_path(index)) == "complete") {
        status[index] = "complete";
        ++skipped;
        continue;
      }
      std::vector<std::string> args{
          options.self_executable, "sweep",       options.base.scenario_file, "-o",
          options.directory,       "--run-index", std::to_string(index),      "--quiet"};
      for (const std::string& o : options.base.overrides) {
        args.push_back("--set");
        args.push_back(o);
      }
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      pid_t pid = 0;
      if (posix_spawn(&pid, options.self_executable.c_str(), nullptr, nullptr, argv.data(),
                      environ) != 0) {
        status[index] = "failed (cannot start)";
        continue;
      }
      running[pid] = index;
    }
    if (running.empty()) break;
    reap_one();
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    if (status[i].empty()) status[i] = "not run";
  }
  // The manifest: one row per run.
  const std::string manifest = (fs::path(options.directory) / "manifest.csv").string();
  std::ofstream out(manifest);
  out << "index";
  if (!runs.empty()) {
    for (const auto& [path, value] : runs[0].parameters) out << "," << path;
  }
  out << ",replication,seed,status,file\n";
  for (const sim::SweepRun& run : runs) {
    out << run.index;
    for (const auto& [path, value] : run.parameters) {
      const bool needs_quotes = value.find_first_of(",\"") != std::string::npos;
      std::string escaped;
      for (char c : value) escaped += c == '"' ? std::string("\"\"") : std::string(1, c);
      out << "," << (needs_quotes ? "\"" + escaped + "\"" : value);
    }
    out << "," << run.replication << "," << run.seed << "," << status[run.index] << ","
        << std::to_string(run.index) + "/run.h5\n";
  }
  out.close();
  if (!out) {
    fmt::print(stderr, "tradesim: cannot write {}\n", manifest);
    return kOutputError;
  }
  size_t complete = 0;
  for (const std::string& s : status) complete += s == "complete";
  if (!options.base.quiet) {
    fmt::print("sweep: {} runs, {} complete ({} already were), manifest {}\n", runs.size(),
               complete, skipped, manifest);
  }
  if (g_interrupted.load()) return kInterrupted;
  return complete == runs.size() ? kDone : kRunError;
}

}  // namespace tradesim::app
