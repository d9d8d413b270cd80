// Data conservation counters and their balances (see conservation.hpp).
#include "models/sensors/conservation.hpp"

namespace tradesim::sensors {

std::string_view loss_cause_name(LossCause cause) {
  switch (cause) {
    case LossCause::kLink:
      return "link";
    case LossCause::kBattery:
      return "battery";
    case LossCause::kFailure:
      return "failure";
    case LossCause::kGatewayDrop:
      return "gateway_drop";
    case LossCause::kSuppressed:
      return "suppressed";
    case LossCause::kRejected:
      return "rejected";
  }
  return "?";
}

namespace {
uint64_t at(const std::array<uint64_t, kLossCauseCount>& a, LossCause c) {
  return a[static_cast<size_t>(c)];
}
}  // namespace

uint64_t Conservation::produced() const {
  uint64_t n = 0;
  for (const auto& [id, d] : devices_) n += d.produced;
  return n;
}

uint64_t Conservation::anchored() const {
  uint64_t n = 0;
  for (const auto& [id, g] : gateways_) n += g.anchored;
  return n;
}

uint64_t Conservation::in_buffers() const {
  uint64_t n = 0;
  for (const auto& [id, d] : devices_) n += d.in_hub_buffer;
  for (const auto& [id, g] : gateways_) n += g.in_buffer + g.awaiting_anchor;
  return n;
}

uint64_t Conservation::in_transit() const {
  uint64_t sent = 0, received = 0;
  for (const auto& [id, d] : devices_) sent += d.sent + d.replayed;
  for (const auto& [id, g] : gateways_) received += g.received;
  return sent - received;
}

uint64_t Conservation::lost(LossCause cause) const {
  uint64_t n = 0;
  for (const auto& [id, d] : devices_) n += at(d.lost, cause);
  for (const auto& [id, g] : gateways_) n += at(g.lost, cause);
  return n;
}

std::string Conservation::check() const {
  uint64_t sent = 0, received = 0;
  for (const auto& [id, d] : devices_) {
    if (d.samples_due !=
        d.produced + at(d.lost, LossCause::kBattery) + at(d.lost, LossCause::kFailure)) {
      return "device " + std::to_string(id) + ": samples due != produced + battery + failure";
    }
    if (d.produced != d.in_hub_buffer + d.sent + at(d.lost, LossCause::kLink) +
                          at(d.lost, LossCause::kSuppressed)) {
      return "device " + std::to_string(id) +
             ": produced != in hub buffer + sent + lost to the link + suppressed";
    }
    sent += d.sent + d.replayed;
  }
  for (const auto& [id, g] : gateways_) {
    if (g.received != g.in_buffer + g.awaiting_anchor + g.anchored +
                          at(g.lost, LossCause::kGatewayDrop) + at(g.lost, LossCause::kRejected)) {
      return "gateway " + std::to_string(id) +
             ": received != buffered + awaiting anchor + anchored + withheld + rejected";
    }
    received += g.received;
  }
  if (received > sent) return "gateways received more readings than hubs sent";
  return {};
}

}  // namespace tradesim::sensors
