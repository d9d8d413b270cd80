// Verification of anchored readings and sequence auditing (see reader.hpp).
#include "models/sensors/reader.hpp"

namespace tradesim::sensors {

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kBadSignature:
      return "bad_signature";
    case Verdict::kBadProof:
      return "bad_proof";
    case Verdict::kUnknownRoot:
      return "unknown_root";
    case Verdict::kReplayed:
      return "replayed";
    case Verdict::kGap:
      return "gap";
  }
  return "?";
}

Verdict verify_reading(const Reading& reading, const ReadingProof& proof,
                       const std::optional<ledger::Digest>& anchored_root,
                       const ledger::PublicKey& device_key) {
  if (!anchored_root) return Verdict::kUnknownRoot;
  const UploadHeader& h = proof.header;
  const ledger::Digest signed_digest = h.signing_digest();
  if (!ledger::verify(device_key, std::span<const uint8_t>(signed_digest), h.signature)) {
    return Verdict::kBadSignature;
  }
  if (reading.device != h.device || reading.seq < h.first_seq || reading.seq > h.last_seq ||
      proof.in_upload.leaf_count != h.count ||
      !ledger::verify_merkle_proof(reading.leaf(), proof.in_upload, h.readings_root)) {
    return Verdict::kBadProof;
  }
  if (!ledger::verify_merkle_proof(h.leaf(), proof.in_batch, *anchored_root)) {
    return Verdict::kBadProof;
  }
  return Verdict::kOk;
}

Verdict verify_scan(const ScanProof& proof, const std::optional<ledger::Digest>& anchored_root,
                    const ledger::PublicKey& scanner_key) {
  if (!anchored_root) return Verdict::kUnknownRoot;
  if (!verify_scan(proof.scan, scanner_key)) return Verdict::kBadSignature;
  if (!ledger::verify_merkle_proof(proof.scan.leaf(), proof.in_batch, *anchored_root)) {
    return Verdict::kBadProof;
  }
  return Verdict::kOk;
}

Verdict ReadingAuditor::observe(const Reading& reading) {
  DeviceSeq& d = devices_[reading.device];
  const uint64_t seq = reading.seq;
  if (seq > d.highest) {
    const bool gap = seq > d.highest + 1;
    if (gap) d.missing.emplace(d.highest + 1, seq - 1);
    d.highest = seq;
    return gap ? Verdict::kGap : Verdict::kOk;
  }
  // At or below the highest: a late arrival fills a gap; anything else was seen already.
  auto it = d.missing.upper_bound(seq);
  if (it != d.missing.begin()) {
    --it;
    const uint64_t first = it->first, last = it->second;
    if (seq <= last) {
      d.missing.erase(it);
      if (first < seq) d.missing.emplace(first, seq - 1);
      if (seq < last) d.missing.emplace(seq + 1, last);
      return Verdict::kOk;
    }
  }
  ++replays_;
  return Verdict::kReplayed;
}

std::vector<ReadingAuditor::Gap> ReadingAuditor::gaps() const {
  std::vector<Gap> out;
  for (const auto& [device, d] : devices_) {
    for (const auto& [first, last] : d.missing) out.push_back({device, first, last});
  }
  return out;
}

uint64_t ReadingAuditor::highest(DeviceId device) const {
  const auto it = devices_.find(device);
  return it == devices_.end() ? 0 : it->second.highest;
}

}  // namespace tradesim::sensors
