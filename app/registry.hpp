// The registry of every model the tradesim command knows.
#pragma once

#include "sim/scenario.hpp"

namespace tradesim::app {
sim::Registry make_registry();
}
