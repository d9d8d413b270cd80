// Builds PHOLD's logical processes from the `phold` section.
#include "models/phold/scenario.hpp"

#include "models/phold/phold.hpp"

namespace tradesim::phold {

using sim::Field;
using sim::FieldType;

void register_model(sim::Registry& registry) {
  registry.add_field(
      "",
      Field::object("phold",
                    "The PHOLD benchmark (Fujimoto 1990, with ROSS's semantics): each event "
                    "schedules one more at now + lookahead + Exp(mean - lookahead), to a "
                    "uniformly chosen LP with probability `remote`, else to itself.",
                    {Field::scalar("lps", FieldType::kInt, "1024", "logical processes")
                         .at_least(1)
                         .at_most(1 << 23),
                     Field::scalar("start_events", FieldType::kInt, "16", "initial events per LP")
                         .at_least(0),
                     Field::scalar("remote", FieldType::kPercent, "0.1",
                                   "probability that an event goes to a random LP")
                         .at_least(0)
                         .at_most(1),
                     Field::scalar("mean", FieldType::kDuration, "1s", "mean total increment")
                         .at_least(0, true),
                     Field::scalar("lookahead", FieldType::kDuration, "100ms", "minimum increment")
                         .at_least(0)},
                    /*implicit=*/false));
  registry.add_model(sim::ModelSpec{
      "phold", "PHOLD benchmark: logical processes exchanging timestamped events", "phold",
      [](sim::World& world) {
        const sim::Scenario& s = world.scenario();
        Params p;
        p.lps = static_cast<uint32_t>(s.integer("phold.lps"));
        p.start_events = static_cast<uint32_t>(s.integer("phold.start_events"));
        p.remote = s.fraction("phold.remote");
        p.mean = s.duration("phold.mean").seconds();
        p.lookahead = s.duration("phold.lookahead").seconds();
        p.end = s.length().seconds();
        validate(p);
        const auto first = static_cast<sim::NodeId>(world.names().size());
        for (uint32_t i = 0; i < p.lps; ++i) {
          world.emplace<LogicalProcess>("lp" + std::to_string(i), {"lps"}, 0, p, first);
        }
      }});
}

}  // namespace tradesim::phold
