// Memory per idle node: builds N nodes that do nothing (placed at sites, started, never sending)
// and reports the growth of the resident set. Budget: 100,000 nodes in <= 100 MB.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "sim/engine.hpp"

namespace {

// Resident set size now (not the peak), from /proc/self/statm, in bytes.
long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * 4096;
}

// An idle node with the state a small model keeps: a few counters.
class Idle : public tradesim::sim::Node {
 public:
  std::string_view kind() const override { return "idle"; }

 private:
  uint64_t counters_[2] = {0, 0};
};

}  // namespace

int main(int argc, char** argv) {
  uint32_t nodes = 100000, sites = 100;
  CLI::App app{"Memory of idle nodes on the tradesim kernel"};
  app.add_option("--nodes", nodes, "number of idle nodes")->capture_default_str();
  app.add_option("--sites", sites, "number of network sites (a ring)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  using namespace tradesim::sim;
  const long before = resident_bytes();
  {
    Engine engine(1);
    for (uint32_t s = 0; s < sites; ++s) engine.network().add_site("site" + std::to_string(s));
    for (uint32_t s = 0; s + 1 < sites; ++s)
      engine.network().add_link(s, s + 1, {.latency = Duration::from_ns(units::kMillisecond)});
    for (uint32_t id = 0; id < nodes; ++id) engine.emplace_node<Idle>(id, id % sites);
    engine.run({.until = SimTime::zero() + Duration::from_ns(units::kSecond)});
    const long after = resident_bytes();
    const double mb = static_cast<double>(after - before) / (1024.0 * 1024.0);
    std::printf("idle_nodes %u sites %u\nresident_growth_mb %.1f\nbytes_per_node %.0f\n", nodes,
                sites, mb, static_cast<double>(after - before) / nodes);
  }
  return 0;
}
