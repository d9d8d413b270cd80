// mmc-port: runs the M/M/c port (ships, berths) on the kernel, prints the measured figures next to
// Erlang C theory, and writes the run to an HDF5 file. The kernel's end-to-end demonstration.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <exception>

#include "models/queueing/mmc.hpp"
#include "models/queueing/theory.hpp"
#include "sim/hdf5_writer.hpp"

using namespace tradesim;

int main(int argc, char** argv) {
  queueing::MmcParams p;
  p.arrivals_per_hour = 30;
  p.services_per_hour = 12;
  p.berths = 3;
  p.warmup = sim::Duration::from_ns(100 * sim::units::kHour);
  p.horizon = sim::Duration::from_ns(10100 * sim::units::kHour);
  p.sample_every = sim::Duration::from_ns(sim::units::kHour);
  p.record_ships = true;
  std::string warmup = "100h", horizon = "10100h", sample = "1h", output = "port.h5";

  CLI::App app{"M/M/c port: Poisson ship arrivals, c berths, exponential service"};
  app.add_option("--arrivals", p.arrivals_per_hour, "ship arrivals per hour (lambda)")
      ->capture_default_str();
  app.add_option("--service-rate", p.services_per_hour, "ships served per hour per berth (mu)")
      ->capture_default_str();
  app.add_option("--berths", p.berths, "berths (c)")->capture_default_str();
  app.add_option("--warmup", warmup, "warm-up before statistics start")->capture_default_str();
  app.add_option("--horizon", horizon, "simulated time, including the warm-up")
      ->capture_default_str();
  app.add_option("--sample-every", sample, "queue-length sampling period")->capture_default_str();
  app.add_option("--seed", p.seed, "run seed")->capture_default_str();
  app.add_option("-o,--output", output, "HDF5 run file")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    p.warmup = sim::Duration::parse(warmup);
    p.horizon = sim::Duration::parse(horizon);
    p.sample_every = sim::Duration::parse(sample);
    if (p.arrivals_per_hour >= p.berths * p.services_per_hour) {
      throw std::invalid_argument(
          "unstable queue: --arrivals must be below --berths x --service-rate");
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "mmc-port: {}\n", e.what());
    return 2;
  }
  try {
    sim::Hdf5Writer writer(output);
    sim::Engine engine(p.seed);
    engine.metrics().set_sink(&writer);
    const queueing::MmcResult r = queueing::run_mmc(p, engine);
    const queueing::MmcTheory t =
        queueing::mmc_theory(p.arrivals_per_hour, p.services_per_hour, p.berths);
    auto& m = engine.metrics();
    m.set_summary("p_wait", r.p_wait, "1", "share of ships that found every berth busy");
    m.set_summary("mean_wait", r.mean_wait_hours, "h", "mean wait for a berth (Wq)");
    m.set_summary("mean_in_system", r.mean_in_system, "ships", "time-average ships in port (L)");
    m.set_summary("utilisation", r.utilisation, "1", "share of berth time in service");
    m.set_summary("theory_p_wait", t.p_wait, "1", "Erlang C probability of waiting");
    m.set_summary("theory_mean_wait", t.wq, "h", "Erlang C mean wait");
    engine.publish_nodes();
    engine.publish_stats();
    writer.set_attribute("seed", static_cast<int64_t>(p.seed));
    writer.set_attribute("sim_end_ns", engine.now().ns());
    writer.set_attribute("events", static_cast<int64_t>(engine.stats().events));
    writer.finish(m, "complete");

    fmt::print("M/M/{} port: lambda = {}/h, mu = {}/h, {} of simulated time after {} warm-up\n",
               p.berths, p.arrivals_per_hour, p.services_per_hour,
               (p.horizon - p.warmup).to_string(), p.warmup.to_string());
    fmt::print("{:<28}{:>12}{:>12}\n", "", "simulated", "theory");
    fmt::print("{:<28}{:>12.4f}{:>12.4f}\n", "P(wait)", r.p_wait, t.p_wait);
    fmt::print("{:<28}{:>12.3f}{:>12.3f}\n", "mean wait Wq (min)", r.mean_wait_hours * 60,
               t.wq * 60);
    fmt::print("{:<28}{:>12.3f}{:>12.3f}\n", "ships in port L", r.mean_in_system, t.l);
    fmt::print("{:<28}{:>12.3f}{:>12.3f}\n", "ships waiting Lq", r.mean_in_queue, t.lq);
    fmt::print("{:<28}{:>12.4f}{:>12.4f}\n", "berth utilisation", r.utilisation,
               p.arrivals_per_hour / (p.berths * p.services_per_hour));
    fmt::print("ships served {}, events {}, written to {}\n", r.served, r.events, output);
  } catch (const sim::Hdf5Error& e) {
    fmt::print(stderr, "mmc-port: {}\n", e.what());
    return 4;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mmc-port: {}\n", e.what());
    return 1;
  }
  return 0;
}
