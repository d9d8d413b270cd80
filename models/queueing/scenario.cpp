// Builds an M/M/c port (ship source + port) from `actors.port`; `close_berths` closes berths.
#include "models/queueing/scenario.hpp"

#include <algorithm>

#include "models/queueing/mmc.hpp"
#include "models/queueing/theory.hpp"

namespace tradesim::queueing {

using sim::Field;
using sim::FieldType;

void register_model(sim::Registry& registry) {
  registry.add_field(
      "actors",
      Field::object(
          "port",
          "A port with c berths (the kernel's multi-server station): ships arrive as a Poisson "
          "process and take an exponential service time at a berth.",
          {Field::scalar("site", FieldType::kString, "\"\"",
                         "network site of the port (empty: none)"),
           Field::scalar("berths", FieldType::kInt, "3", "berths (servers), c")
               .at_least(1)
               .at_most(10000),
           Field::scalar("arrivals", FieldType::kRate, "30/h", "ship arrival rate, lambda")
               .at_least(0, true),
           Field::scalar("service_time", FieldType::kDuration, "5min",
                         "mean time a ship occupies a berth, 1/mu")
               .at_least(0, true),
           Field::scalar("warmup", FieldType::kDuration, "0s",
                         "statistics start after this (the queue starts empty)")
               .at_least(0),
           Field::scalar("record_ships", FieldType::kBool, "true",
                         "write one row per ship to /events/ships")},
          /*implicit=*/false));
  registry.add_model(sim::ModelSpec{
      "port-queue", "M/M/c port: Poisson ship arrivals, c berths, exponential service",
      "actors.port", [](sim::World& world) {
        const sim::Scenario& s = world.scenario();
        MmcParams p;
        p.arrivals_per_hour = s.rate_per_second("actors.port.arrivals") * 3600;
        p.services_per_hour = 1.0 / s.duration("actors.port.service_time").hours();
        p.berths = static_cast<int>(s.integer("actors.port.berths"));
        p.warmup = s.duration("actors.port.warmup");
        p.record_ships = s.flag("actors.port.record_ships");
        if (!(p.warmup < s.length())) {
          throw std::invalid_argument("actors.port.warmup must end before scenario.duration");
        }
        sim::SiteId site = 0;
        const std::string site_name = s.text("actors.port.site");
        if (!site_name.empty()) {
          const auto found =
              world.site(site_name, s.at("actors.port.site").mark, "actors.port.site");
          if (!found) return;
          site = *found;
        }
        auto& port = world.emplace<Port>("port", {"ports"}, site, p);
        const sim::NodeId port_id = *world.find("port");
        world.emplace<ShipSource>("ships", {}, site, port_id, p.arrivals_per_hour);
        sim::Engine& engine = world.engine();
        world.at_end([&port, &engine, p] {
          const MmcResult r = port.result(engine.now());
          auto& m = engine.metrics();
          m.set_summary("port.ships_served", static_cast<double>(r.served), "ships",
                        "ships that reached a berth after the warm-up");
          m.set_summary("port.p_wait", r.p_wait, "1", "share of ships that found every berth busy");
          m.set_summary("port.mean_wait", r.mean_wait_hours, "h", "mean wait for a berth (Wq)");
          m.set_summary("port.mean_in_system", r.mean_in_system, "ships",
                        "time-average ships in port (L)");
          m.set_summary("port.mean_in_queue", r.mean_in_queue, "ships",
                        "time-average ships waiting (Lq)");
          m.set_summary("port.utilisation", r.utilisation, "1", "share of berth time in service");
          if (p.arrivals_per_hour < p.berths * p.services_per_hour) {
            const MmcTheory t = mmc_theory(p.arrivals_per_hour, p.services_per_hour, p.berths);
            m.set_summary("port.theory_p_wait", t.p_wait, "1",
                          "Erlang C probability of waiting with every berth open");
            m.set_summary("port.theory_mean_wait", t.wq, "h",
                          "Erlang C mean wait with every berth open");
          }
        });
      }});
  Field berths =
      Field::scalar("berths", FieldType::kInt, "1", "how many berths to close").at_least(1);
  registry.add_action(sim::ActionSpec{
      "close_berths",
      "Close berths of a port (a crane breakdown, a strike); with `for`, reopen them after.",
      {berths},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        const auto nodes =
            world.resolve(e.target, e.node->find("target")->mark, e.path + ".target");
        const int closed = std::stoi(e.param("berths"));
        sim::Engine& engine = world.engine();
        for (sim::NodeId id : nodes) {
          auto* port = dynamic_cast<Port*>(&engine.node(id));
          if (port == nullptr) {
            world.diagnostics().add(e.node->find("target")->mark, e.path + ".target",
                                    "\"" + e.target + "\" is not a port");
            return;
          }
          if (closed > port->berths()) {
            world.diagnostics().add(
                e.node->find("berths")->mark, e.path + ".berths",
                "the port has only " + std::to_string(port->berths()) + " berths");
            return;
          }
          // Relative changes, applied at their time, so that overlapping closures add up.
          auto change = [&engine, id](int delta) {
            engine.invoke(id, [delta](sim::Node& node, sim::Context& ctx) {
              auto& p = static_cast<Port&>(node);
              p.set_berths(ctx, std::max(0, p.berths() + delta));
            });
          };
          engine.schedule(e.at, [change, closed] { change(-closed); });
          if (e.duration) engine.schedule(e.at + *e.duration, [change, closed] { change(closed); });
        }
      }});
}

}  // namespace tradesim::queueing
