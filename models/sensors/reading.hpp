// What sensors produce and sign: readings with a canonical byte encoding, the signed uploads a
// container's hub sends to its gateway, and signed RFID scans at checkpoints (issue 6).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "models/ledger/crypto.hpp"
#include "models/ledger/merkle.hpp"
#include "sim/time.hpp"

namespace tradesim::sensors {

using DeviceId = uint64_t;

enum class ReadingKind : uint8_t { kGps, kTemperature, kHumidity, kShock, kDoor, kRfid };
std::string_view kind_name(ReadingKind kind);

// One sample. value[0]: latitude (deg), temperature (degC), relative humidity (%), peak shock
// since the previous sample (g), door open since the previous sample (1/0), RFID tag; value[1]:
// longitude (deg) for GPS, else 0.
struct Reading {
  DeviceId device = 0;
  uint64_t seq = 0;  // per device, from 1, one per reading whatever its kind
  ReadingKind kind = ReadingKind::kTemperature;
  sim::SimTime t;
  std::array<double, 2> value{};

  // device, seq, t (8 bytes each, little-endian), kind (1), values (IEEE 754 bits, 8 each).
  static constexpr uint32_t kEncodedBytes = 8 + 8 + 8 + 1 + 16;
  std::array<uint8_t, kEncodedBytes> encode() const;
  // The reading's Merkle leaf: merkle_leaf(encode()).
  ledger::Digest leaf() const;
  bool operator==(const Reading&) const = default;
};

// What the hub signs for an upload: the device, the sequence range and the Merkle root of the
// readings' leaves, in sequence order. A reader needs only this header, the reading and its
// path in the upload to check the reading against the device key.
struct UploadHeader {
  DeviceId device = 0;
  uint64_t first_seq = 0, last_seq = 0;  // the range the upload covers (readings may be missing)
  uint32_t count = 0;                    // readings in the upload
  sim::SimTime sent;
  ledger::Digest readings_root{};
  ledger::Signature signature{};

  static constexpr uint32_t kSignedBytes = 8 + 8 + 8 + 4 + 8 + 32;
  static constexpr uint32_t kWireBytes = kSignedBytes + 64;
  // SHA-256 of the signed fields: what the hub signs.
  ledger::Digest signing_digest() const;
  // The upload's leaf in a gateway batch: SHA-256 of the signed fields and the signature.
  ledger::Digest leaf() const;
};

// A hub's upload: its readings since the last upload, signed once.
struct Upload {
  UploadHeader header;
  std::vector<Reading> readings;  // ascending seq
  uint32_t wire_size() const {
    return UploadHeader::kWireBytes +
           static_cast<uint32_t>(readings.size()) * Reading::kEncodedBytes;
  }
};

// Builds and signs the upload of `readings` (ascending seq, all of `device`).
// `first_seq` (when not 0, at most the first reading's) starts the signed range earlier: a hub
// passes the number after its previous upload's last, so that numbers it took and did not send
// are inside a signed range and readers know they will never come.
Upload make_upload(DeviceId device, std::vector<Reading> readings, sim::SimTime sent,
                   const ledger::KeyPair& key, uint64_t first_seq = 0);
// Recomputes the readings' root and checks the signature against `key`.
// With `memo`, the signature check goes through it (same answer, real work once per triple).
bool verify_upload(const Upload& upload, const ledger::PublicKey& key,
                   ledger::VerificationMemo* memo = nullptr);
// The path of readings[index] in the upload's readings tree.
ledger::MerkleProof reading_path(const Upload& upload, size_t index);

// The key of a device (hub) or a scanner in a run: KeyPair::derive(run seed, id). Device ids and
// node ids share one space in a run, so a device id is chosen not to collide with a node's.
ledger::KeyPair device_key(uint64_t run_seed, DeviceId device);

// An RFID tag read by a scanner at a checkpoint (factory, port of loading, customs, port of
// discharge, warehouse, retailer), signed by the scanner.
enum class Checkpoint : uint8_t {
  kFactory,
  kPortOfLoading,
  kCustoms,
  kPortOfDischarge,
  kWarehouse,
  kRetailer
};
std::string_view checkpoint_name(Checkpoint c);

struct RfidScan {
  uint64_t tag = 0;
  DeviceId scanner = 0;
  Checkpoint checkpoint = Checkpoint::kFactory;
  sim::SimTime t;
  ledger::Signature signature{};

  static constexpr uint32_t kSignedBytes = 8 + 8 + 1 + 8;
  static constexpr uint32_t kWireBytes = kSignedBytes + 64;
  ledger::Digest signing_digest() const;
  ledger::Digest leaf() const;  // its leaf in a gateway batch (signed fields and signature)
};
RfidScan make_scan(uint64_t tag, DeviceId scanner, Checkpoint checkpoint, sim::SimTime t,
                   const ledger::KeyPair& key);
bool verify_scan(const RfidScan& scan, const ledger::PublicKey& key);

}  // namespace tradesim::sensors
