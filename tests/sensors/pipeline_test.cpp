// The sensor pipeline on a Raft consortium of three validators: hubs on reefer containers upload
// signed readings to a gateway that batches and anchors them. Every anchored reading verifies
// with its proof; a replayed upload is caught; a withheld batch shows as a gap; readings are
// conserved; the detection delay of a temperature excursion is bounded by the run's own
// sampling, upload and batching periods, link latencies and measured anchor finality.
#include <gtest/gtest.h>

#include <memory>

#include "models/consensus/raft.hpp"
#include "models/sensors/alerts.hpp"
#include "models/sensors/reader.hpp"
#include "sim/engine.hpp"
#include "tests/support/long_seeds.hpp"

namespace tradesim::sensors {
namespace {

using namespace sim::literals;
const sim::SimTime t0 = sim::SimTime::zero();
constexpr size_t kValidators = 3;
constexpr sim::NodeId kGateway = 3, kFirstHub = 4;
constexpr DeviceId kFirstDevice = 1000;

struct RunSetup {
  size_t hubs = 2;
  HubParams hub;  // device id set per hub
  GatewayParams gateway;
  ReeferParams reefer;
  sim::SimTime stop = t0 + 6_h;  // hubs stop sampling
  RunSetup() {
    hub.sensors = {{ReadingKind::kTemperature, 5_min},
                   {ReadingKind::kGps, 15_min},
                   {ReadingKind::kDoor, 10_min}};
    hub.upload_period = 15_min;
    gateway.batch_interval = 10_min;
    gateway.batch_max_items = 1000;
    reefer.warming_c_per_h = 2;
    reefer.power_off = {{t0 + 2_h, t0 + 5_h}};
  }
};

// The run and what a reader finds when it audits every batch in the gateway's store.
struct Pipeline {
  sim::Engine engine;
  consensus::ValidatorShared shared;
  Conservation counts;
  KeyDirectory keys;
  AnchorIndex anchors;
  GatewayObserver observer;
  std::vector<std::unique_ptr<ReeferModel>> containers;
  std::vector<SensorHub*> hubs;
  Gateway* gateway = nullptr;
  sim::Duration max_finality = sim::Duration::zero();  // submitted -> anchored, worst batch

  Pipeline(uint64_t seed, const RunSetup& s) : engine(seed) {
    shared.genesis = std::make_shared<ledger::WorldState>();
    std::vector<sim::NodeId> members;
    for (size_t i = 0; i < kValidators; ++i) members.push_back(static_cast<sim::NodeId>(i));
    consensus::RaftParams raft;  // slow heartbeats: hours of simulated time stay cheap
    raft.heartbeat = 1_s;
    raft.election_timeout_min = 3_s;
    raft.election_timeout_max = 6_s;
    for (size_t i = 0; i < kValidators; ++i) {
      engine.emplace_node<consensus::RaftNode>(members[i], 0, members, static_cast<uint32_t>(i),
                                               seed, raft, consensus::LedgerParams{}, &shared);
    }
    observer.anchored = [this](const StoredBatch& b, sim::SimTime at) {
      anchors.add(b);
      max_finality = std::max(max_finality, at - b.submitted);
    };
    gateway = &engine.emplace_node<Gateway>(kGateway, 0, members, seed, kGateway, s.gateway, &keys,
                                            &counts, &observer);
    const RoutePosition route({{t0, 31.2, 121.5}, {t0 + 10_h, 30.0, 123.0}});
    for (size_t i = 0; i < s.hubs; ++i) {
      HubParams hp = s.hub;
      hp.device = kFirstDevice + i;
      hp.stop = s.stop;
      keys[hp.device] = device_key(seed, hp.device).public_key();
      containers.push_back(std::make_unique<ReeferModel>(s.reefer, route));
      hubs.push_back(&engine.emplace_node<SensorHub>(static_cast<sim::NodeId>(kFirstHub + i), 0, hp,
                                                     seed, containers.back().get(), kGateway,
                                                     &counts));
    }
  }

  struct Audit {
    uint64_t ok = 0, unknown_root = 0, failed = 0, replays = 0;
    std::vector<ReadingAuditor::Gap> gaps;
    uint64_t gap_readings = 0;
    std::vector<Alert> alerts;
  };
  Audit audit(const AlertRules& rules = {}) const {
    Audit a;
    ReadingAuditor auditor;
    AlertEngine alerts(rules);
    for (const StoredBatch& b : gateway->store()) {
      const AnchoredRoot* anchored = anchors.find(kGateway, b.record.batch_id);
      for (const ReadingProof& p : gateway->proofs(b.record.batch_id)) {
        const std::optional<ledger::Digest> root =
            anchored ? std::optional(anchored->root) : std::nullopt;
        const Verdict v = verify_reading(p.reading, p, root, keys.at(p.reading.device));
        if (v == Verdict::kUnknownRoot) {
          ++a.unknown_root;
          continue;
        }
        if (v != Verdict::kOk) {
          ++a.failed;
          continue;
        }
        ++a.ok;
        if (auditor.observe(p.reading) == Verdict::kReplayed) continue;
        alerts.observe(p.reading, anchored->committed);
      }
    }
    a.replays = auditor.replays();
    a.gaps = auditor.gaps();
    for (const auto& g : a.gaps) a.gap_readings += g.last_seq - g.first_seq + 1;
    a.alerts = alerts.alerts();
    return a;
  }
};

TEST(SensorPipeline, EveryAnchoredReadingVerifiesAndIsConserved) {
  RunSetup s;
  Pipeline p(1, s);
  p.engine.run({.until = t0 + 7_h});
  // 6 h of samples: 72 temperature, 24 GPS and 36 door readings per hub (periods 5, 15, 10 min).
  for (SensorHub* h : p.hubs) EXPECT_EQ(h->last_seq(), 72u + 24u + 36u);
  EXPECT_EQ(p.counts.check(), "");
  EXPECT_EQ(p.counts.produced(), 2u * 132u);
  EXPECT_EQ(p.counts.anchored(), p.counts.produced());
  EXPECT_EQ(p.counts.in_buffers(), 0u);
  EXPECT_EQ(p.counts.in_transit(), 0u);
  const auto a = p.audit();
  EXPECT_EQ(a.ok, p.counts.anchored());  // counted by the reader, independently of the counters
  EXPECT_EQ(a.failed + a.unknown_root + a.replays + a.gap_readings, 0u);
  // A batch every 15 min (each upload round opens one, closed 10 min later): 24 batches.
  EXPECT_EQ(p.gateway->store().size(), 24u);
  EXPECT_EQ(p.anchors.size(), 24u);
  EXPECT_GT(p.max_finality, sim::Duration::zero());
  EXPECT_LT(p.max_finality, 2_s);  // a 200 ms block interval and in-memory replication
}

TEST(SensorPipeline, ReplayedUploadIsCaught) {
  RunSetup s;
  s.hubs = 1;
  Pipeline p(2, s);
  p.hubs[0]->set_fault(HubFault::kReplay);
  p.engine.run({.until = t0 + 7_h});
  const auto a = p.audit();
  // The replayed copies carry the device's genuine signature: each verifies, and each is caught
  // by its sequence number.
  const uint64_t replayed = p.counts.device(kFirstDevice).replayed;
  EXPECT_GT(replayed, 0u);
  EXPECT_EQ(a.replays, replayed);
  EXPECT_EQ(a.ok, p.counts.anchored());
  EXPECT_EQ(a.gap_readings, 0u);
  EXPECT_EQ(p.counts.check(), "");
}

TEST(SensorPipeline, WithheldBatchShowsAsGap) {
  RunSetup s;
  s.hubs = 1;
  Pipeline p(3, s);
  // gateway_drop from 2 h to 3 h: the batches it closes then are kept but never anchored.
  p.engine.schedule(t0 + 2_h, [&] { p.gateway->set_withholding(true); });
  p.engine.schedule(t0 + 3_h, [&] { p.gateway->set_withholding(false); });
  p.engine.run({.until = t0 + 7_h});
  const uint64_t dropped = p.counts.lost(LossCause::kGatewayDrop);
  EXPECT_GT(dropped, 0u);
  const auto a = p.audit();
  // The withheld readings are in the store but under no anchored root; the reader sees exactly
  // their sequence numbers missing.
  EXPECT_EQ(a.unknown_root, dropped);
  EXPECT_EQ(a.gap_readings, dropped);
  ASSERT_EQ(a.gaps.size(), 1u);  // one contiguous hour
  EXPECT_EQ(a.ok + dropped, p.counts.produced());
  EXPECT_EQ(p.counts.check(), "");
}

TEST(SensorPipeline, ForgedUploadsAreRefusedAndConservationHoldsUnderFaults) {
  RunSetup s;
  s.hubs = 3;
  s.hub.link_loss = 0.2;
  s.hub.battery_samples = 100;
  s.hub.sensors[1].failure_per_sample = 0.05;
  Pipeline p(4, s);
  p.hubs[2]->set_fault(HubFault::kFakeKey);
  p.engine.schedule(t0 + 1_h, [&] { p.gateway->set_withholding(true); });
  p.engine.schedule(t0 + 1_h + 30_min, [&] { p.gateway->set_withholding(false); });
  p.engine.run({.until = t0 + 7_h});
  EXPECT_EQ(p.counts.check(), "");
  EXPECT_EQ(p.counts.in_transit(), 0u);
  // Every reading produced is anchored or lost by a recorded cause (no buffer holds any now).
  EXPECT_EQ(p.counts.produced(), p.counts.anchored() + p.counts.lost(LossCause::kLink) +
                                     p.counts.lost(LossCause::kGatewayDrop) +
                                     p.counts.lost(LossCause::kRejected));
  for (LossCause c : {LossCause::kLink, LossCause::kBattery, LossCause::kFailure,
                      LossCause::kGatewayDrop, LossCause::kRejected}) {
    EXPECT_GT(p.counts.lost(c), 0u) << loss_cause_name(c);
  }
  // 132 samples due per hub; 100 of them powered by the battery at most.
  for (const auto& [device, d] : p.counts.devices()) {
    EXPECT_EQ(d.samples_due, 132u);
    EXPECT_LE(d.produced, 100u);
  }
  EXPECT_EQ(p.audit().ok, p.counts.anchored());
}

TEST(SensorPipeline, DetectionDelayOfAnExcursionIsBounded) {
  RunSetup s;
  s.hubs = 1;
  Pipeline p(5, s);
  p.engine.run({.until = t0 + 7_h});
  AlertRules rules;
  rules.temperature_hi_c = 8;
  rules.temperature_for = 30_min;
  const auto a = p.audit(rules);
  ASSERT_EQ(a.alerts.size(), 1u);
  // Ground truth: unpowered from 2 h at 2 degC/h from 4 degC, it passes 8 degC at 4 h and has
  // been out of range for 30 min at 4 h 30.
  const sim::SimTime violated = t0 + 4_h + 30_min;
  const Alert& alert = a.alerts[0];
  EXPECT_GE(alert.first_evidence_t, violated);
  EXPECT_GT(alert.visible_t, alert.first_evidence_t);
  const sim::Duration bound = s.hub.sensors[0].period + s.hub.upload_period +
                              s.gateway.batch_interval + s.hub.link_latency +
                              s.gateway.uplink.latency + p.max_finality;
  EXPECT_LE(alert.visible_t - violated, bound)
      << "delay " << (alert.visible_t - violated).to_string() << " bound " << bound.to_string();
}

TEST(SensorPipeline, StoreAndForwardWaitsForTheUplinkAndPaysPerByte) {
  RunSetup s;
  s.hubs = 1;
  s.gateway.uplink.windows = {{t0, t0 + 1_h}, {t0 + 5_h, t0 + 8_h}};  // at sea from 1 h to 5 h
  s.gateway.uplink.cost_per_byte = 0.01;
  Pipeline p(6, s);
  p.engine.run({.until = t0 + 7_h});
  size_t held = 0;
  for (const StoredBatch& b : p.gateway->store()) {
    ASSERT_EQ(b.state, BatchState::kAnchored);
    if (b.record.closed >= t0 + 1_h && b.record.closed < t0 + 5_h) {
      ++held;
      EXPECT_EQ(b.submitted, t0 + 5_h);  // all leave when the window opens
    }
  }
  EXPECT_EQ(held, 16u);  // batches closed at 1h10, 1h25, ..., 4h55: four an hour for four hours
  EXPECT_EQ(p.counts.anchored(), p.counts.produced());
  // One anchor transaction per batch, sent once (no loss, no retries).
  EXPECT_EQ(p.gateway->submitter().resent(), 0u);
  EXPECT_DOUBLE_EQ(p.gateway->uplink_cost(), 0.01 * static_cast<double>(p.gateway->uplink_bytes()));
  EXPECT_EQ(p.gateway->uplink_bytes() % p.gateway->store().size(), 0u);
}

TEST(SensorPipeline, SuppressedExcursionIsMissedButLeavesGaps) {
  RunSetup s;
  s.hubs = 2;
  Pipeline p(7, s);
  p.hubs[1]->set_fault(HubFault::kSuppress, -100, 8);  // drops readings above 8 degC
  p.engine.run({.until = t0 + 7_h});
  AlertRules rules;
  rules.temperature_hi_c = 8;
  rules.temperature_for = 30_min;
  const auto a = p.audit(rules);
  // Both containers were out of range (same reefer); only the honest hub's excursion is seen.
  const DetectionScore sc =
      score(a.alerts, {{Rule::kTemperature, kFirstDevice}, {Rule::kTemperature, kFirstDevice + 1}});
  EXPECT_DOUBLE_EQ(sc.precision(), 1.0);
  EXPECT_DOUBLE_EQ(sc.recall(), 0.5);
  // The suppression is visible as gaps of exactly the suppressed readings.
  EXPECT_GT(p.counts.lost(LossCause::kSuppressed), 0u);
  EXPECT_EQ(a.gap_readings, p.counts.lost(LossCause::kSuppressed));
}

// Random faults per seed: hub link loss, uplink loss (anchors sent again), small batteries,
// failing sensors, a forging hub, a replaying hub, a withholding window and uplink windows.
// Conservation holds exactly, every anchored reading verifies, replays and gaps match the
// counters.
void run_faulty(uint64_t seed) {
  sim::Rng rng(seed, 0, sim::purpose("faults"));
  RunSetup s;
  s.hubs = 4;
  s.hub.link_loss = rng.uniform(0, 0.3);
  s.hub.battery_samples = static_cast<double>(60 + rng.below(100));
  s.hub.sensors[1].failure_per_sample = rng.uniform(0, 0.05);
  s.gateway.uplink.loss = rng.uniform(0, 0.3);
  s.gateway.retry_after = 30_s;
  s.gateway.batch_max_items = 8 + rng.below(64);
  if (rng.bernoulli(0.5)) s.gateway.uplink.windows = {{t0, t0 + 2_h}, {t0 + 4_h, t0 + 24_h}};
  Pipeline p(seed, s);
  p.hubs[1]->set_fault(HubFault::kFakeKey);
  p.hubs[2]->set_fault(HubFault::kReplay);
  const sim::SimTime drop = t0 + sim::Duration::from_seconds(rng.uniform(0, 5 * 3600));
  p.engine.schedule(drop, [&] { p.gateway->set_withholding(true); });
  p.engine.schedule(drop + 30_min, [&] { p.gateway->set_withholding(false); });
  p.engine.run({.until = t0 + 9_h});
  const std::string where = "seed " + std::to_string(seed);
  ASSERT_EQ(p.counts.check(), "") << where;
  ASSERT_EQ(p.counts.in_buffers(), 0u) << where;
  ASSERT_EQ(p.counts.in_transit(), 0u) << where;
  const auto a = p.audit();
  ASSERT_EQ(a.failed, 0u) << where;
  // Every anchored copy verifies: the genuine readings and the replayed copies that got through.
  ASSERT_GE(a.ok, p.counts.anchored()) << where;
  ASSERT_LE(a.replays, p.counts.device(kFirstDevice + 2).replayed) << where;
  ASSERT_EQ(a.ok, p.counts.anchored()) << where;
}

TEST(SensorPipeline, ConservationUnderRandomFaults) {
  for (uint64_t seed = 1; seed <= 5; ++seed) run_faulty(seed);
}

TEST(SensorPipeline, ConservationUnderRandomFaultsLong) {
  test::for_long_seeds("SensorPipeline.ConservationUnderRandomFaultsLong", run_faulty);
}

}  // namespace
}  // namespace tradesim::sensors
