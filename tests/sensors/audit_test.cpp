// The readers of a sensor run (SensorAudit): readings reach the rules in sequence order whatever
// order their batches become visible in; numbers inside a signed range that the upload does not
// hold are skipped at once; a reader gives up on missing numbers after reorder_wait; what comes
// later is counted, not run through the rules; replays, refused uploads, silence and gaps are
// found, each once.
#include <gtest/gtest.h>

#include "models/sensors/audit.hpp"

namespace tradesim::sensors {
namespace {

using namespace sim::literals;
const sim::SimTime t0 = sim::SimTime::zero();
constexpr uint64_t kSeed = 5;
constexpr DeviceId kDevice = 40;

Reading reading(uint64_t seq, ReadingKind kind = ReadingKind::kTemperature, double value = 4) {
  Reading r;
  r.device = kDevice;
  r.seq = seq;
  r.kind = kind;
  r.t = t0 + 5_min * static_cast<int64_t>(seq);
  r.value = {value, 0};
  return r;
}

// A batch of one upload holding `seqs` (signed range from `first`, 0: the first reading).
StoredBatch batch(const std::vector<uint64_t>& seqs, uint64_t first = 0,
                  const ledger::KeyPair& key = device_key(kSeed, kDevice)) {
  std::vector<Reading> rs;
  for (uint64_t s : seqs) rs.push_back(reading(s));
  StoredBatch b;
  b.uploads.push_back(make_upload(kDevice, rs, rs.back().t, key, first));
  b.leaves = {b.uploads[0].header.leaf()};
  b.record.root = ledger::merkle_root(b.leaves);
  b.record.readings = static_cast<uint32_t>(rs.size());
  b.record.closed = rs.back().t;
  return b;
}

struct Reader {
  KeyDirectory keys{{kDevice, device_key(kSeed, kDevice).public_key()}};
  std::vector<std::pair<uint64_t, sim::SimTime>> seen;  // (seq, when processed)
  std::unique_ptr<SensorAudit> audit;
  explicit Reader(std::map<ReadingKind, sim::Duration> periods = {}) {
    AuditParams p;
    p.keys = &keys;
    p.periods = std::move(periods);
    p.reorder_wait = 6_h;
    p.on_reading = [this](const Reading& r, sim::SimTime at) { seen.push_back({r.seq, at}); };
    audit = std::make_unique<SensorAudit>(std::move(p));
  }
  void anchor(const StoredBatch& b, sim::SimTime at) { audit->on_anchored(b, b.record.root, at); }
  std::vector<uint64_t> order() const {
    std::vector<uint64_t> out;
    for (const auto& [seq, at] : seen) out.push_back(seq);
    return out;
  }
  size_t count(Finding f) const {
    size_t n = 0;
    for (const Detection& d : audit->detections()) n += d.finding == f;
    return n;
  }
};

TEST(SensorAudit, ReadingsReachTheRulesInSequenceOrder) {
  Reader r;
  r.anchor(batch({4, 5, 6}), t0 + 1_h);  // the later batch is visible first
  EXPECT_TRUE(r.seen.empty());           // 1..3 may still come
  r.anchor(batch({1, 2, 3}), t0 + 2_h);
  EXPECT_EQ(r.order(), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  // 4..6 were processed when the readers could: once 1..3 were visible.
  EXPECT_EQ(r.seen[3].second, t0 + 2_h);
  r.audit->finish(t0 + 10_h);
  EXPECT_EQ(r.count(Finding::kGap), 0u);
  EXPECT_EQ(r.audit->readings_verified(), 6u);
}

TEST(SensorAudit, NumbersInsideASignedRangeThatNeverComeAreSkippedAtOnce) {
  Reader r;
  r.anchor(batch({1, 2}), t0 + 1_h);
  // The hub took 3 and 4 and discarded them (suppressed); its next upload's range starts at 3.
  r.anchor(batch({5, 6}, 3), t0 + 2_h);
  EXPECT_EQ(r.order(), (std::vector<uint64_t>{1, 2, 5, 6}));
  r.audit->finish(t0 + 3_h);
  EXPECT_EQ(r.count(Finding::kGap), 1u);  // 3..4 are missing for good: a gap
}

TEST(SensorAudit, AReaderGivesUpAfterTheWaitAndCountsWhatComesLater) {
  Reader r;
  r.anchor(batch({1, 2}), t0 + 1_h);
  r.anchor(batch({5, 6}), t0 + 2_h);  // 3..4 in a batch not visible (withheld, say)
  r.anchor(batch({7}), t0 + 7_h);     // 5 h after: still waiting
  EXPECT_EQ(r.order(), (std::vector<uint64_t>{1, 2}));
  r.anchor(batch({8}), t0 + 8_h + 1_min);  // 6 h after 5..6 became visible: give up
  EXPECT_EQ(r.order(), (std::vector<uint64_t>{1, 2, 5, 6, 7, 8}));
  r.anchor(batch({3, 4}), t0 + 9_h);  // too late
  EXPECT_EQ(r.order().size(), 6u);
  EXPECT_EQ(r.audit->readings_late(), 2u);
  r.audit->finish(t0 + 10_h);
  // The reader's sequence audit saw 3..4 after all: no gap remains.
  EXPECT_EQ(r.count(Finding::kGap), 0u);
}

TEST(SensorAudit, AtTheEndHeldReadingsGoAsOfWhenTheWaitWouldHaveEnded) {
  Reader r;
  r.anchor(batch({1}), t0 + 1_h);
  r.anchor(batch({3}), t0 + 2_h);
  r.audit->finish(t0 + 20_h);
  ASSERT_EQ(r.order(), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(r.seen[1].second, t0 + 8_h);  // 2 h + reorder_wait, not the end of the run
  EXPECT_EQ(r.count(Finding::kGap), 1u);
}

TEST(SensorAudit, ReplaysAndFakeKeysAreFoundOnce) {
  Reader r;
  const StoredBatch first = batch({1, 2});
  r.anchor(first, t0 + 1_h);
  r.anchor(first, t0 + 2_h);  // the same signed upload again
  r.anchor(first, t0 + 3_h);
  EXPECT_EQ(r.count(Finding::kReplay), 1u);
  EXPECT_EQ(r.order(), (std::vector<uint64_t>{1, 2}));
  const ledger::KeyPair fake = ledger::KeyPair::derive(99, 99);
  r.anchor(batch({3}, 0, fake), t0 + 4_h);
  EXPECT_EQ(r.count(Finding::kBadSignature), 1u);
  EXPECT_EQ(r.audit->readings_failed(), 1u);
  // A reading changed after anchoring no longer matches its signed upload.
  StoredBatch tampered = batch({4});
  tampered.uploads[0].readings[0].value[0] = 3.9;
  r.anchor(tampered, t0 + 5_h);
  EXPECT_EQ(r.audit->readings_failed(), 2u);
  EXPECT_EQ(r.order(), (std::vector<uint64_t>{1, 2}));
  // A batch whose served uploads do not match the anchored root is refused whole.
  r.audit->on_anchored(batch({5}), ledger::Digest{}, t0 + 6_h);
  EXPECT_EQ(r.audit->batches_failed(), 1u);
}

TEST(SensorAudit, ASensorThatStopsReportingIsSilent) {
  // Temperature and door every 5 min; the door sensor stops after seq 4.
  Reader r({{ReadingKind::kTemperature, 5_min}, {ReadingKind::kDoor, 5_min}});
  std::vector<Reading> rs;
  for (uint64_t s = 1; s <= 20; ++s) {
    Reading x = reading(s, s <= 4 && s % 2 == 0 ? ReadingKind::kDoor : ReadingKind::kTemperature);
    rs.push_back(x);
  }
  StoredBatch b;
  b.uploads.push_back(make_upload(kDevice, rs, rs.back().t, device_key(kSeed, kDevice)));
  b.leaves = {b.uploads[0].header.leaf()};
  b.record.root = ledger::merkle_root(b.leaves);
  b.record.readings = 20;
  r.anchor(b, t0 + 2_h);
  EXPECT_EQ(r.count(Finding::kSilentSensor), 1u);
  const auto& d = r.audit->detections().back();
  EXPECT_EQ(d.subject, kDevice);
  // The door's last reading is seq 4 (20 min); silence passes 3 periods (15 min) at the first
  // reading after 35 min: seq 8.
  EXPECT_EQ(d.evidence_t, t0 + 5_min * 8);
}

}  // namespace
}  // namespace tradesim::sensors
