// One line per model folder: each declares its sections, actions and builders.
#include "app/registry.hpp"

#include "models/consensus/scenario.hpp"
#include "models/contracts/scenario.hpp"
#include "models/phold/scenario.hpp"
#include "models/queueing/scenario.hpp"
#include "models/sensors/scenario.hpp"
#include "models/supply/scenario.hpp"
#include "models/trade/market.hpp"
#include "models/trade/scenario.hpp"

namespace tradesim::app {

sim::Registry make_registry() {
  sim::Registry registry;
  queueing::register_model(registry);
  phold::register_model(registry);
  consensus::register_model(registry);
  contracts::register_model(registry);
  supply::register_model(registry);
  trade::register_model(registry);
  sensors::register_model(registry);
  trade::market::register_model(registry);
  return registry;
}

}  // namespace tradesim::app
