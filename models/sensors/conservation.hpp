// Data conservation (issue 6): every sample a sensor was due to take is a reading produced or a
// loss with a recorded cause, and every reading produced is in the hub's buffer, on its way, in
// a gateway's buffer, in a batch awaiting its anchor, anchored, or lost with a recorded cause.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sim/ids.hpp"

namespace tradesim::sensors {

enum class LossCause : uint8_t {
  kLink,         // the hub-to-gateway link lost an upload
  kBattery,      // the hub's battery was empty when a sample was due
  kFailure,      // the sensor had failed when a sample was due
  kGatewayDrop,  // a gateway withheld the batch holding the reading
  kSuppressed,   // a tampered hub discarded the reading
  kRejected,     // a gateway refused the upload (its signature did not verify)
};
inline constexpr size_t kLossCauseCount = 6;
std::string_view loss_cause_name(LossCause cause);

struct DeviceCounts {
  uint64_t samples_due = 0;  // = produced + lost[battery] + lost[failure]
  uint64_t produced = 0;
  uint64_t in_hub_buffer = 0;
  uint64_t sent = 0;      // handed to the link in uploads that it did not lose
  uint64_t replayed = 0;  // copies of earlier readings a tampered hub sent again (not produced)
  std::array<uint64_t, kLossCauseCount> lost{};
};

struct GatewayCounts {
  uint64_t received = 0;         // readings in uploads that arrived
  uint64_t in_buffer = 0;        // not yet in a batch
  uint64_t awaiting_anchor = 0;  // in a batch whose anchor has not committed (or not left)
  uint64_t anchored = 0;
  std::array<uint64_t, kLossCauseCount> lost{};  // gateway_drop, rejected
};

// The run's counters; nodes hold a pointer to it (as validators share ValidatorShared).
class Conservation {
 public:
  DeviceCounts& device(uint64_t id) { return devices_[id]; }
  GatewayCounts& gateway(sim::NodeId id) { return gateways_[id]; }
  const std::map<uint64_t, DeviceCounts>& devices() const { return devices_; }
  const std::map<sim::NodeId, GatewayCounts>& gateways() const { return gateways_; }

  uint64_t produced() const;
  uint64_t anchored() const;
  uint64_t in_buffers() const;  // hubs' and gateways' buffers and batches awaiting anchors
  uint64_t in_transit() const;  // sent by hubs, not yet received by gateways
  uint64_t lost(LossCause cause) const;

  // Empty when every balance holds; otherwise which one broke, for which device or gateway.
  std::string check() const;

 private:
  std::map<uint64_t, DeviceCounts> devices_;
  std::map<sim::NodeId, GatewayCounts> gateways_;
};

}  // namespace tradesim::sensors
