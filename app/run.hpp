// Running scenarios: one run to one HDF5 file, and sweeps of runs in parallel processes.
#pragma once

#include <string>
#include <vector>

#include "sim/scenario.hpp"

namespace tradesim::app {

// The command's exit codes.
enum ExitCode : int {
  kDone = 0,
  kRunError = 1,
  kUsage = 2,
  kInvalidScenario = 3,
  kOutputError = 4,
  kInterrupted = 130,
};

struct RunOptions {
  std::string scenario_file;
  std::vector<std::string> overrides;  // --set key=value, in order
  std::string output;                  // empty: <scenario name>.h5
  uint64_t replication = 0;
  uint64_t max_events = UINT64_MAX;  // stop early after this many events (a shortened run)
  bool quiet = false;
  bool print_summary = true;
};

// Loads, validates, builds, runs and writes one scenario. Returns an ExitCode.
int run_scenario(const sim::Registry& registry, const RunOptions& options);
// Loads, validates and builds (without running). Prints what it found.
int validate_scenario(const sim::Registry& registry, const RunOptions& options);

struct SweepOptions {
  RunOptions base;  // scenario_file, overrides, quiet
  std::string directory;
  int jobs = 1;
  long run_index = -1;  // >= 0: run just this one, in this process
  std::string self_executable;
};
int run_sweep(const sim::Registry& registry, const SweepOptions& options);

// Status attribute of a run file ("complete", "interrupted", ...), "" if it cannot be read.
std::string run_file_status(const std::string& path);

}  // namespace tradesim::app
