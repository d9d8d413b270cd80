// Readings, uploads, proofs and the auditor without an engine: a reading with its proofs
// verifies against the root it was built into; a tampered reading, a re-signed header, a wrong
// key, an unanchored root each fail for their own reason; the auditor finds replays and gaps;
// the reefer's temperature and the route's position follow hand-computed values.
#include "models/sensors/reader.hpp"

#include <gtest/gtest.h>

#include "models/sensors/alerts.hpp"
#include "models/sensors/device.hpp"

namespace tradesim::sensors {
namespace {

using namespace sim::literals;
constexpr uint64_t kSeed = 7;
const sim::SimTime t0 = sim::SimTime::zero();

std::vector<Reading> readings(DeviceId device, uint64_t first, uint64_t count) {
  std::vector<Reading> out;
  for (uint64_t i = 0; i < count; ++i) {
    out.push_back({device,
                   first + i,
                   ReadingKind::kTemperature,
                   t0 + 5_min * static_cast<int64_t>(first + i),
                   {4.0 + 0.1 * double(i), 0}});
  }
  return out;
}

// Three uploads of two devices in one batch, as a gateway builds it.
struct Batch {
  std::vector<Upload> uploads;
  std::vector<ledger::Digest> leaves;
  ledger::Digest root;
  Batch() {
    uploads.push_back(make_upload(101, readings(101, 1, 5), t0 + 30_min, device_key(kSeed, 101)));
    uploads.push_back(make_upload(102, readings(102, 1, 3), t0 + 30_min, device_key(kSeed, 102)));
    uploads.push_back(make_upload(101, readings(101, 6, 4), t0 + 1_h, device_key(kSeed, 101)));
    for (const Upload& u : uploads) leaves.push_back(u.header.leaf());
    root = ledger::merkle_root(leaves);
  }
  ReadingProof proof(size_t upload, size_t index) const {
    const Upload& u = uploads[upload];
    return {u.readings[index],
            u.header,
            reading_path(u, index),
            ledger::merkle_proof(leaves, upload),
            50,
            1};
  }
};

TEST(SensorReading, EncodingIsCanonicalAndCoversEveryField) {
  const Reading r{101, 7, ReadingKind::kGps, t0 + 1_h, {51.9, 4.1}};
  EXPECT_EQ(r.encode().size(), 41u);  // 8 + 8 + 8 + 1 + 16 (reading.hpp)
  EXPECT_EQ(r.encode(), Reading(r).encode());
  Reading changed = r;
  changed.value[1] = 4.1000001;
  EXPECT_NE(changed.leaf(), r.leaf());
  changed = r;
  changed.kind = ReadingKind::kTemperature;
  EXPECT_NE(changed.leaf(), r.leaf());
}

TEST(SensorReading, ValidReadingWithItsProofVerifies) {
  const Batch b;
  for (size_t u = 0; u < b.uploads.size(); ++u) {
    EXPECT_TRUE(
        verify_upload(b.uploads[u], device_key(kSeed, b.uploads[u].header.device).public_key()));
    for (size_t i = 0; i < b.uploads[u].readings.size(); ++i) {
      const ReadingProof p = b.proof(u, i);
      EXPECT_EQ(
          verify_reading(p.reading, p, b.root, device_key(kSeed, p.header.device).public_key()),
          Verdict::kOk)
          << "upload " << u << " reading " << i;
    }
  }
}

TEST(SensorReading, TamperedReadingFailsVerification) {
  const Batch b;
  const ReadingProof p = b.proof(0, 2);
  const ledger::PublicKey key = device_key(kSeed, 101).public_key();
  // The value changed after signing: its leaf is not under the signed readings root.
  Reading tampered = p.reading;
  tampered.value[0] = 2.0;
  EXPECT_EQ(verify_reading(tampered, p, b.root, key), Verdict::kBadProof);
  // Another sequence number, a time shifted by a nanosecond: the same.
  tampered = p.reading;
  tampered.t = tampered.t + 1_ns;
  EXPECT_EQ(verify_reading(tampered, p, b.root, key), Verdict::kBadProof);
  // A forger who rebuilds the upload around the tampered value must sign it: with a key that is
  // not the device's, the signature fails.
  std::vector<Reading> forged_readings = b.uploads[0].readings;
  forged_readings[2].value[0] = 2.0;
  const Upload forged = make_upload(101, forged_readings, t0 + 30_min, device_key(kSeed + 1, 101));
  const ReadingProof fp{
      forged.readings[2], forged.header, reading_path(forged, 2), p.in_batch, 50, 1};
  EXPECT_EQ(verify_reading(forged.readings[2], fp, b.root, key), Verdict::kBadSignature);
  // The right key for a reading of another device fails too.
  EXPECT_EQ(verify_reading(p.reading, p, b.root, device_key(kSeed, 102).public_key()),
            Verdict::kBadSignature);
  // A valid upload not in the anchored batch: its path does not lead to the root.
  const Upload outside = make_upload(101, readings(101, 10, 2), t0 + 2_h, device_key(kSeed, 101));
  const ReadingProof op{
      outside.readings[0], outside.header, reading_path(outside, 0), p.in_batch, 50, 1};
  EXPECT_EQ(verify_reading(outside.readings[0], op, b.root, key), Verdict::kBadProof);
  // No anchor on the ledger for the batch.
  EXPECT_EQ(verify_reading(p.reading, p, std::nullopt, key), Verdict::kUnknownRoot);
}

TEST(SensorReading, ScanSignedByTheScannerVerifies) {
  const RfidScan s = make_scan(9001, 700, Checkpoint::kCustoms, t0 + 3_h, device_key(kSeed, 700));
  const std::vector<ledger::Digest> leaves{s.leaf()};
  const ScanProof p{s, ledger::merkle_proof(leaves, 0), 50, 1};
  const ledger::Digest root = ledger::merkle_root(leaves);
  EXPECT_EQ(verify_scan(p, root, device_key(kSeed, 700).public_key()), Verdict::kOk);
  ScanProof moved = p;
  moved.scan.checkpoint = Checkpoint::kWarehouse;  // the scan claimed at another checkpoint
  EXPECT_EQ(verify_scan(moved, root, device_key(kSeed, 700).public_key()), Verdict::kBadSignature);
}

TEST(SensorReading, AuditorFindsReplaysAndGaps) {
  ReadingAuditor a;
  const auto rs = readings(101, 1, 10);
  EXPECT_EQ(a.observe(rs[0]), Verdict::kOk);
  EXPECT_EQ(a.observe(rs[1]), Verdict::kOk);
  EXPECT_EQ(a.observe(rs[1]), Verdict::kReplayed);  // duplicate
  EXPECT_EQ(a.observe(rs[5]), Verdict::kGap);       // 3, 4, 5 missing
  ASSERT_EQ(a.gaps().size(), 1u);
  EXPECT_EQ(a.gaps()[0].first_seq, 3u);
  EXPECT_EQ(a.gaps()[0].last_seq, 5u);
  EXPECT_EQ(a.observe(rs[3]), Verdict::kOk);  // 4 arrives late (store and forward): fills
  ASSERT_EQ(a.gaps().size(), 2u);             // 3 and 5 remain
  EXPECT_EQ(a.gaps()[0].last_seq, 3u);
  EXPECT_EQ(a.gaps()[1].first_seq, 5u);
  EXPECT_EQ(a.observe(rs[3]), Verdict::kReplayed);  // 4 again
  EXPECT_EQ(a.observe(rs[0]), Verdict::kReplayed);  // an old reading, not increasing
  EXPECT_EQ(a.replays(), 3u);
  EXPECT_EQ(a.highest(101), 6u);
}

TEST(SensorDevice, ReeferWarmsWhenUnpoweredAndCoolsBack) {
  ReeferParams p;
  p.setpoint_c = 4;
  p.ambient_c = 30;
  p.warming_c_per_h = 2;
  p.cooling_c_per_h = 4;
  p.power_off = {{t0 + 2_h, t0 + 6_h}};
  const ReeferModel m(p, RoutePosition{});
  EXPECT_DOUBLE_EQ(m.temperature_c(t0 + 1_h), 4);
  EXPECT_DOUBLE_EQ(m.temperature_c(t0 + 3_h), 6);   // 1 h unpowered at 2 degC/h
  EXPECT_DOUBLE_EQ(m.temperature_c(t0 + 6_h), 12);  // 4 h unpowered
  EXPECT_DOUBLE_EQ(m.temperature_c(t0 + 7_h), 8);   // 1 h of cooling at 4 degC/h
  EXPECT_DOUBLE_EQ(m.temperature_c(t0 + 10_h), 4);  // back at the setpoint, not below
  p.power_off = {{t0, t0 + 100_h}};
  EXPECT_DOUBLE_EQ(ReeferModel(p, {}).temperature_c(t0 + 50_h), 30);  // capped at ambient
}

TEST(SensorDevice, RoutePositionInterpolatesAndMeasuresDeviation) {
  const RoutePosition r({{t0, 0, 0}, {t0 + 10_h, 0, 10}});
  EXPECT_DOUBLE_EQ(r.at(t0 + 5_h).lon, 5);
  EXPECT_DOUBLE_EQ(r.at(t0 + 20_h).lon, 10);
  // One degree of latitude off the equator line: 6371.0088 * pi / 180 = 111.195 km.
  EXPECT_NEAR(r.distance_km({1, 5}), 111.195, 0.01);
  EXPECT_NEAR(r.distance_km({0, 3.3}), 0, 1e-9);         // on the line
  EXPECT_NEAR(r.distance_km({-0.5, 3.3}), 55.60, 0.01);  // half a degree of latitude
  EXPECT_NEAR(r.distance_km({0, 11}), 111.195, 0.01);    // beyond the end: to the last point
}

TEST(SensorAlerts, RulesFireOnceEachWithTheirEvidence) {
  AlertRules rules;
  rules.temperature_hi_c = 8;
  rules.temperature_for = 30_min;
  rules.shock_g = 5;
  rules.deviation_km = 50;
  rules.planned_routes[1] = RoutePosition({{t0, 0, 0}, {t0 + 10_h, 0, 10}});
  rules.door_windows[1] = {{t0 + 9_h, t0 + 10_h}};
  rules.expected_scans = {Checkpoint::kFactory, Checkpoint::kPortOfLoading, Checkpoint::kCustoms};
  AlertEngine e(rules);
  const sim::SimTime v = t0 + 100_h;  // visibility is passed through
  const auto temp = [&](int minute, double c) {
    e.observe({1, 0, ReadingKind::kTemperature, t0 + 1_min * minute, {c, 0}}, v);
  };
  temp(0, 9);
  temp(10, 9);
  temp(20, 4);  // back in range: the excursion ends after 20 min, no alert
  temp(30, 9);
  temp(45, 9);
  EXPECT_TRUE(e.alerts().empty());
  temp(60, 9);  // 30 min out of range: alert, evidence at minute 60
  temp(70, 9);  // same excursion: no second alert
  ASSERT_EQ(e.alerts().size(), 1u);
  EXPECT_EQ(e.alerts()[0].first_evidence_t, t0 + 60_min);
  e.observe({1, 0, ReadingKind::kShock, t0 + 2_h, {4.9, 0}}, v);
  e.observe({1, 0, ReadingKind::kShock, t0 + 3_h, {5.1, 0}}, v);
  e.observe({1, 0, ReadingKind::kGps, t0 + 4_h, {0.3, 4}}, v);          // 33 km off: fine
  e.observe({1, 0, ReadingKind::kGps, t0 + 5_h, {1.0, 5}}, v);          // 111 km off
  e.observe({1, 0, ReadingKind::kDoor, t0 + 9_h + 30_min, {1, 0}}, v);  // inside the window
  e.observe({1, 0, ReadingKind::kDoor, t0 + 11_h, {0, 0}}, v);
  e.observe({1, 0, ReadingKind::kDoor, t0 + 12_h, {1, 0}}, v);  // outside
  e.observe_scan({77, 5, Checkpoint::kFactory, t0 + 1_h, {}}, v);
  e.observe_scan({77, 5, Checkpoint::kCustoms, t0 + 2_h, {}}, v);  // port of loading skipped
  e.observe_scan({78, 5, Checkpoint::kFactory, t0 + 1_h, {}}, v);
  e.observe_scan({78, 5, Checkpoint::kPortOfLoading, t0 + 2_h, {}}, v);
  std::vector<Rule> fired;
  for (const Alert& a : e.alerts()) fired.push_back(a.rule);
  EXPECT_EQ(fired, (std::vector<Rule>{Rule::kTemperature, Rule::kShock, Rule::kRouteDeviation,
                                      Rule::kDoorOutsideCheckpoint, Rule::kMissingScan}));
  EXPECT_EQ(e.alerts().back().device, 77u);
  const DetectionScore s = score(e.alerts(), {{Rule::kTemperature, 1}, {Rule::kShock, 2}});
  EXPECT_EQ(s.true_positives, 1u);
  EXPECT_EQ(s.false_positives, 4u);
  EXPECT_EQ(s.false_negatives, 1u);
  EXPECT_DOUBLE_EQ(s.precision(), 0.2);
  EXPECT_DOUBLE_EQ(s.recall(), 0.5);
}

}  // namespace
}  // namespace tradesim::sensors
