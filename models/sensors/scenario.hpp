// The `sensors` section of a scenario (docs/sensors.md): monitored containers on voyages of the
// route network, their hubs, vessel and port gateways, RFID scanners at the checkpoints,
// anchoring on the consortium's ledger or on a carrier's platform database, the readers' alerts,
// the fraud and fault actions (reefer_power_failure, tamper_sensor, swap_container,
// gateway_drop, sensor_failure) with their ground truth, and the metrics.
#pragma once

#include "sim/scenario.hpp"

namespace tradesim::sensors {

void register_model(sim::Registry& registry);

}  // namespace tradesim::sensors
