// Readings, uploads and RFID scans: encodings, digests and signatures (see reading.hpp).
#include "models/sensors/reading.hpp"

#include <bit>
#include <stdexcept>

namespace tradesim::sensors {
namespace {

template <size_t N>
void put_u64(std::array<uint8_t, N>& out, size_t& at, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[at++] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

std::string_view kind_name(ReadingKind kind) {
  switch (kind) {
    case ReadingKind::kGps:
      return "gps";
    case ReadingKind::kTemperature:
      return "temperature";
    case ReadingKind::kHumidity:
      return "humidity";
    case ReadingKind::kShock:
      return "shock";
    case ReadingKind::kDoor:
      return "door";
    case ReadingKind::kRfid:
      return "rfid";
  }
  return "?";
}

std::string_view checkpoint_name(Checkpoint c) {
  switch (c) {
    case Checkpoint::kFactory:
      return "factory";
    case Checkpoint::kPortOfLoading:
      return "port_of_loading";
    case Checkpoint::kCustoms:
      return "customs";
    case Checkpoint::kPortOfDischarge:
      return "port_of_discharge";
    case Checkpoint::kWarehouse:
      return "warehouse";
    case Checkpoint::kRetailer:
      return "retailer";
  }
  return "?";
}

std::array<uint8_t, Reading::kEncodedBytes> Reading::encode() const {
  std::array<uint8_t, kEncodedBytes> out{};
  size_t at = 0;
  put_u64(out, at, device);
  put_u64(out, at, seq);
  put_u64(out, at, static_cast<uint64_t>(t.ns()));
  out[at++] = static_cast<uint8_t>(kind);
  put_u64(out, at, std::bit_cast<uint64_t>(value[0]));
  put_u64(out, at, std::bit_cast<uint64_t>(value[1]));
  return out;
}

ledger::Digest Reading::leaf() const {
  const auto bytes = encode();
  return ledger::merkle_leaf(std::span<const uint8_t>(bytes));
}

ledger::Digest UploadHeader::signing_digest() const {
  return ledger::Sha256()
      .update("tradesim.sensors.upload")
      .update_u64(device)
      .update_u64(first_seq)
      .update_u64(last_seq)
      .update_u64(count)
      .update_u64(static_cast<uint64_t>(sent.ns()))
      .update(readings_root)
      .finish();
}

ledger::Digest UploadHeader::leaf() const {
  const ledger::Digest d = signing_digest();
  return ledger::merkle_leaf(
      ledger::Sha256().update(d).update(std::span<const uint8_t>(signature)).finish());
}

namespace {
std::vector<ledger::Digest> reading_leaves(const Upload& upload) {
  std::vector<ledger::Digest> leaves;
  leaves.reserve(upload.readings.size());
  for (const Reading& r : upload.readings) leaves.push_back(r.leaf());
  return leaves;
}
}  // namespace

Upload make_upload(DeviceId device, std::vector<Reading> readings, sim::SimTime sent,
                   const ledger::KeyPair& key, uint64_t first_seq) {
  Upload u;
  u.header.device = device;
  u.header.sent = sent;
  u.header.count = static_cast<uint32_t>(readings.size());
  if (!readings.empty()) {
    u.header.first_seq = readings.front().seq;
    if (first_seq != 0 && first_seq < u.header.first_seq) u.header.first_seq = first_seq;
    u.header.last_seq = readings.back().seq;
  }
  u.readings = std::move(readings);
  for (size_t i = 0; i < u.readings.size(); ++i) {
    if (u.readings[i].device != device || (i > 0 && u.readings[i].seq <= u.readings[i - 1].seq)) {
      throw std::invalid_argument("make_upload: readings of another device or out of order");
    }
  }
  const auto leaves = reading_leaves(u);
  u.header.readings_root = ledger::merkle_root(leaves);
  u.header.signature = key.sign(u.header.signing_digest());
  return u;
}

bool verify_upload(const Upload& upload, const ledger::PublicKey& key,
                   ledger::VerificationMemo* memo) {
  const auto leaves = reading_leaves(upload);
  if (upload.header.count != upload.readings.size()) return false;
  if (ledger::merkle_root(leaves) != upload.header.readings_root) return false;
  const ledger::Digest d = upload.header.signing_digest();
  if (memo != nullptr) return memo->verify(key, d, upload.header.signature);
  return ledger::verify(key, std::span<const uint8_t>(d), upload.header.signature);
}

ledger::MerkleProof reading_path(const Upload& upload, size_t index) {
  const auto leaves = reading_leaves(upload);
  return ledger::merkle_proof(leaves, index);
}

ledger::KeyPair device_key(uint64_t run_seed, DeviceId device) {
  return ledger::KeyPair::derive(run_seed, device);
}

ledger::Digest RfidScan::signing_digest() const {
  return ledger::Sha256()
      .update("tradesim.sensors.rfid")
      .update_u64(tag)
      .update_u64(scanner)
      .update_u64(static_cast<uint64_t>(checkpoint))
      .update_u64(static_cast<uint64_t>(t.ns()))
      .finish();
}

ledger::Digest RfidScan::leaf() const {
  const ledger::Digest d = signing_digest();
  return ledger::merkle_leaf(
      ledger::Sha256().update(d).update(std::span<const uint8_t>(signature)).finish());
}

RfidScan make_scan(uint64_t tag, DeviceId scanner, Checkpoint checkpoint, sim::SimTime t,
                   const ledger::KeyPair& key) {
  RfidScan s{tag, scanner, checkpoint, t, {}};
  s.signature = key.sign(s.signing_digest());
  return s;
}

bool verify_scan(const RfidScan& scan, const ledger::PublicKey& key) {
  const ledger::Digest d = scan.signing_digest();
  return ledger::verify(key, std::span<const uint8_t>(d), scan.signature);
}

}  // namespace tradesim::sensors
