// Proof encodings for oracle inputs (see oracle.hpp).
#include "models/contracts/oracle.hpp"

#include <algorithm>

namespace tradesim::contracts {

namespace {
constexpr size_t kMaxPath = 64;  // a Merkle path of 2^64 leaves

void write_path(Writer& w, const ledger::MerkleProof& p) {
  w.u64(p.index).u64(p.leaf_count).u32(static_cast<uint32_t>(p.path.size()));
  for (const auto& step : p.path) w.raw(step.sibling).u8(step.sibling_on_left ? 1 : 0);
}
bool read_path(Reader& r, ledger::MerkleProof& p) {
  p.index = r.u64();
  p.leaf_count = r.u64();
  const uint32_t n = r.u32();
  if (r.failed() || n > kMaxPath) return false;
  p.path.resize(n);
  for (auto& step : p.path) {
    r.raw(step.sibling);
    const uint8_t left = r.u8();
    if (left > 1) return false;
    step.sibling_on_left = left == 1;
  }
  return !r.failed();
}
// The part every oracle proof ends with: the path to the gateway batch's root, and the batch.
void write_batch_part(Writer& w, const ledger::MerkleProof& in_batch, uint64_t gateway,
                      uint64_t batch_id) {
  write_path(w, in_batch);
  w.u64(gateway).u64(batch_id);
}
// Reads it back; the proof must end there.
template <class Proof>
bool read_batch_part(Reader& r, Proof& p) {
  if (!read_path(r, p.in_batch)) return false;
  p.gateway = r.u64();
  p.batch_id = r.u64();
  return r.done();
}
sim::SimTime time_of(Reader& r) {
  return sim::SimTime::from_ns(r.i64());
}
}  // namespace

Bytes encode_reading_proof(const sensors::ReadingProof& proof) {
  Writer w;
  const sensors::Reading& x = proof.reading;
  w.u64(x.device).u64(x.seq).u8(static_cast<uint8_t>(x.kind)).i64(x.t.ns());
  w.f64(x.value[0]).f64(x.value[1]);
  const sensors::UploadHeader& h = proof.header;
  w.u64(h.device).u64(h.first_seq).u64(h.last_seq).u32(h.count).i64(h.sent.ns());
  w.raw(h.readings_root).raw(h.signature);
  write_path(w, proof.in_upload);
  write_batch_part(w, proof.in_batch, proof.gateway, proof.batch_id);
  return w.take();
}

std::optional<sensors::ReadingProof> decode_reading_proof(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  sensors::ReadingProof p;
  sensors::Reading& x = p.reading;
  x.device = r.u64();
  x.seq = r.u64();
  const uint8_t kind = r.u8();
  if (kind > static_cast<uint8_t>(sensors::ReadingKind::kRfid)) return std::nullopt;
  x.kind = static_cast<sensors::ReadingKind>(kind);
  x.t = time_of(r);
  x.value[0] = r.f64();
  x.value[1] = r.f64();
  sensors::UploadHeader& h = p.header;
  h.device = r.u64();
  h.first_seq = r.u64();
  h.last_seq = r.u64();
  h.count = r.u32();
  h.sent = time_of(r);
  r.raw(h.readings_root);
  r.raw(h.signature);
  if (!read_path(r, p.in_upload) || !read_batch_part(r, p)) return std::nullopt;
  return p;
}

Bytes encode_scan_proof(const sensors::ScanProof& proof) {
  Writer w;
  const sensors::RfidScan& s = proof.scan;
  w.u64(s.tag).u64(s.scanner).u8(static_cast<uint8_t>(s.checkpoint)).i64(s.t.ns());
  w.raw(s.signature);
  write_batch_part(w, proof.in_batch, proof.gateway, proof.batch_id);
  return w.take();
}

std::optional<sensors::ScanProof> decode_scan_proof(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  sensors::ScanProof p;
  sensors::RfidScan& s = p.scan;
  s.tag = r.u64();
  s.scanner = r.u64();
  const uint8_t checkpoint = r.u8();
  if (checkpoint > static_cast<uint8_t>(sensors::Checkpoint::kRetailer)) return std::nullopt;
  s.checkpoint = static_cast<sensors::Checkpoint>(checkpoint);
  s.t = time_of(r);
  r.raw(s.signature);
  if (!read_batch_part(r, p)) return std::nullopt;
  return p;
}

std::optional<ledger::PublicKey> parse_key(std::string_view hex) {
  ledger::PublicKey key{};
  if (hex.size() != 2 * key.size()) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < key.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    key[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return key;
}

ledger::Digest digest_from_bytes(const Bytes& bytes) {
  ledger::Digest d{};
  if (bytes.size() == d.size()) std::copy(bytes.begin(), bytes.end(), d.begin());
  return d;
}

int64_t count_excursions(Api& api, const Args& args, size_t first, const TemperatureRules& rules) {
  api.require(args.size() > first && (args.size() - first) % 2 == 0,
              "readings come with their anchors");
  int64_t excursions = 0;
  uint64_t last_seq = 0;
  for (size_t i = first; i < args.size(); i += 2) {
    const auto proof = decode_reading_proof(args.bytes(i));
    api.require(proof.has_value(), "bad reading proof");
    const sensors::Reading& r = proof->reading;
    api.require(r.device == rules.sensor && r.kind == sensors::ReadingKind::kTemperature,
                "not the shipment's temperature sensor");
    api.require(i == first || r.seq == last_seq + 1,
                "readings must have consecutive sequence numbers");
    last_seq = r.seq;
    if (i == first) api.require(r.t.ns() <= rules.first_by_ns, "the record starts too late");
    if (i + 2 == args.size())
      api.require(r.t.ns() >= rules.last_from_ns, "the record ends too early");
    const sensors::Verdict v =
        api.verify_reading(*proof, digest_from_bytes(args.bytes(i + 1)), rules.key);
    api.require(v == sensors::Verdict::kOk, "reading: " + std::string(sensors::verdict_name(v)));
    if (!(rules.low <= r.value[0] && r.value[0] <= rules.high)) ++excursions;
  }
  return excursions;
}

}  // namespace tradesim::contracts
