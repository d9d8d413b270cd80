// Identifiers shared by the kernel's public headers.
#pragma once

#include <cstdint>

namespace tradesim::sim {

// A node's stable identity, chosen by whoever builds the world (the scenario), not by creation
// order: event tie-breaks and random streams are keyed by it, so results do not depend on the
// order in which nodes are created or on how they are partitioned.
using NodeId = uint32_t;
// At most 2^24 - 1 nodes: the tie-break key packs the sender into 24 bits (see event_queue.hpp).
inline constexpr NodeId kMaxNodes = (1U << 24) - 1;
// The sender of events that no node sent (timeline actions, metric sampling).
inline constexpr NodeId kKernel = kMaxNodes;

using SiteId = uint32_t;

// A pending timer: slot in the low 32 bits, generation in the high 32 (stale ids are harmless).
using TimerId = uint64_t;
inline constexpr TimerId kNoTimer = 0;

}  // namespace tradesim::sim
