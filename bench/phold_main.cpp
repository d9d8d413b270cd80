// The PHOLD benchmark executable: ROSS's parameter names; prints events processed, wall seconds,
// events per second and peak RSS. See docs/performance.md for the standard configurations.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "models/phold/phold.hpp"

int main(int argc, char** argv) {
  tradesim::phold::Params p;
  CLI::App app{"PHOLD benchmark on the tradesim kernel"};
  app.add_option("--lps", p.lps, "number of logical processes")->capture_default_str();
  app.add_option("--start-events", p.start_events, "initial events per LP")->capture_default_str();
  app.add_option("--remote", p.remote,
                 "probability that the next event goes to a uniformly chosen LP")
      ->capture_default_str();
  app.add_option("--mean", p.mean, "mean total increment, seconds")->capture_default_str();
  app.add_option("--lookahead", p.lookahead,
                 "minimum increment, seconds (increment = lookahead + Exp(mean - lookahead))")
      ->capture_default_str();
  app.add_option("--end", p.end, "end of simulated time, seconds")->capture_default_str();
  app.add_option("--seed", p.seed, "run seed")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    const tradesim::phold::Result r = tradesim::phold::run(p);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("phold lps=%u start_events=%u remote=%g mean=%g lookahead=%g end=%g seed=%llu\n",
                p.lps, p.start_events, p.remote, p.mean, p.lookahead, p.end,
                static_cast<unsigned long long>(p.seed));
    std::printf(
        "events_processed %llu\nwall_seconds %.4f\nevents_per_second %.0f\n"
        "peak_rss_mb %.1f\nchecksum %016llx\n",
        static_cast<unsigned long long>(r.events), r.wall_seconds,
        static_cast<double>(r.events) / r.wall_seconds, usage.ru_maxrss / 1024.0,
        static_cast<unsigned long long>(r.checksum));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "phold: %s\n", e.what());
    return 2;
  }
  return 0;
}
