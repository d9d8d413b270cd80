// Oracle inputs as call arguments: canonical encodings of sensor-reading and RFID-scan proofs
// (models/sensors) so that a contract call can carry them, and of registered public keys.
#pragma once

#include <optional>
#include <string_view>

#include "models/contracts/encoding.hpp"
#include "models/contracts/runtime.hpp"
#include "models/sensors/gateway.hpp"

namespace tradesim::contracts {

Bytes encode_reading_proof(const sensors::ReadingProof& proof);
std::optional<sensors::ReadingProof> decode_reading_proof(std::span<const uint8_t> bytes);
Bytes encode_scan_proof(const sensors::ScanProof& proof);
std::optional<sensors::ScanProof> decode_scan_proof(std::span<const uint8_t> bytes);

// A key as 64 hex digits (as a deployment parameter holds it), or null if malformed.
std::optional<ledger::PublicKey> parse_key(std::string_view hex);
ledger::Digest digest_from_bytes(const Bytes& bytes);  // zeros if not 32 bytes

// A temperature record offered as evidence, so that it cannot be cherry-picked: the arguments
// from `first` on are (reading proof, anchor tx id) pairs of readings of `sensor` with
// consecutive sequence numbers (each the previous + 1), each verified against `key`; the first
// taken no later than `first_by`, the last no earlier than `last_from`. Fails the call otherwise;
// returns the readings outside [low, high] (NaN is not clean).
struct TemperatureRules {
  uint64_t sensor = 0;
  ledger::PublicKey key{};
  double low = 0, high = 0;
  int64_t first_by_ns = 0, last_from_ns = 0;
};
int64_t count_excursions(Api& api, const Args& args, size_t first, const TemperatureRules& rules);

}  // namespace tradesim::contracts
