// Oracle inputs as call arguments: canonical encodings of sensor-reading and RFID-scan proofs
// (models/sensors) so that a contract call can carry them, and of registered public keys.
#pragma once

#include <optional>
#include <string_view>

#include "models/contracts/encoding.hpp"
#include "models/sensors/gateway.hpp"

namespace tradesim::contracts {

Bytes encode_reading_proof(const sensors::ReadingProof& proof);
std::optional<sensors::ReadingProof> decode_reading_proof(std::span<const uint8_t> bytes);
Bytes encode_scan_proof(const sensors::ScanProof& proof);
std::optional<sensors::ScanProof> decode_scan_proof(std::span<const uint8_t> bytes);

// A key as 64 hex digits (as a deployment parameter holds it), or null if malformed.
std::optional<ledger::PublicKey> parse_key(std::string_view hex);
ledger::Digest digest_from_bytes(const Bytes& bytes);  // zeros if not 32 bytes

}  // namespace tradesim::contracts
