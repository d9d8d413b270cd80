// The network: shortest paths, delay arithmetic, partitions, loss and degradation.
#include "sim/network.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "sim/engine.hpp"
#include "sim/faults.hpp"

namespace tradesim::sim {
namespace {

// Three sites in a line plus a slow direct shortcut:
//   A --10ms/100Mbit-- B --20ms/10Mbit-- C,   A --50ms-- C
Network line() {
  Network n;
  const SiteId a = n.add_site("A"), b = n.add_site("B"), c = n.add_site("C");
  n.add_link(a, b, {.latency = 10_ms, .bandwidth_bps = 100e6});
  n.add_link(b, c, {.latency = 20_ms, .bandwidth_bps = 10e6});
  n.add_link(a, c, {.latency = 50_ms, .bandwidth_bps = 1e9});
  return n;
}

TEST(Network, LatencyIsTheShortestPath) {
  Network n = line();
  EXPECT_EQ(n.latency(0, 1), 10_ms);
  EXPECT_EQ(n.latency(0, 2), 30_ms);  // via B, not the 50 ms shortcut
  EXPECT_EQ(n.latency(2, 0), 30_ms);
  EXPECT_EQ(n.latency(1, 1), 0_ms);
  EXPECT_DOUBLE_EQ(n.path_bandwidth_bps(0, 2), 10e6);  // the bottleneck of A-B-C
}

TEST(Network, DelayIsPropagationPlusSizeOverBandwidth) {
  Network n = line();
  Rng rng(1, 0, purpose("network"));
  // 125,000 bytes = 1 Mbit: 10 ms at 100 Mbit/s, 100 ms at 10 Mbit/s.
  auto out = n.transmit(0, 1, 125000, rng);
  EXPECT_EQ(out.drop, DropReason::kNone);
  EXPECT_EQ(out.delay, 10_ms + 10_ms);
  out = n.transmit(0, 2, 125000, rng);
  EXPECT_EQ(out.delay, 30_ms + 100_ms);
}

TEST(Network, JitterStaysWithinItsBound) {
  Network n;
  const SiteId a = n.add_site("A"), b = n.add_site("B");
  n.add_link(a, b, {.latency = 5_ms, .jitter = 2_ms});
  Rng rng(1, 0, purpose("network"));
  Duration lo = Duration::max(), hi = Duration::zero();
  for (int i = 0; i < 10000; ++i) {
    const Duration d = n.transmit(a, b, 100, rng).delay;
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, 5_ms);
  EXPECT_LE(hi, 7_ms);
  EXPECT_LT(lo, 5_ms + 10_us);  // the whole range is used
  EXPECT_GT(hi, 7_ms - 10_us);
}

TEST(Network, NoRouteBetweenDisconnectedSites) {
  Network n;
  const SiteId a = n.add_site("A"), b = n.add_site("B");
  Rng rng(1, 0, 0);
  EXPECT_FALSE(n.has_route(a, b));
  EXPECT_EQ(n.transmit(a, b, 10, rng).drop, DropReason::kNoRoute);
}

// Loss 0.2 over n = 20,000 messages: delivered ~ Binomial(n, 0.8), sd = sqrt(n p q) = 56.6;
// the bound is 5 sd.
TEST(Network, LossIsWithinBinomialBounds) {
  Network n;
  const SiteId a = n.add_site("A"), b = n.add_site("B"), c = n.add_site("C");
  n.add_link(a, b, {.latency = 1_ms, .loss = 0.1});
  n.add_link(b, c,
             {.latency = 1_ms, .loss = 1.0 - 0.8 / 0.9});  // path loss 1 - 0.9 * (0.8/0.9) = 0.2
  EXPECT_NEAR(n.path_loss(a, c), 0.2, 1e-12);
  Rng rng(5, 0, purpose("network"));
  const int trials = 20000;
  int delivered = 0;
  for (int i = 0; i < trials; ++i) delivered += n.transmit(a, c, 10, rng).drop == DropReason::kNone;
  const double mean = trials * 0.8, sd = std::sqrt(trials * 0.8 * 0.2);
  EXPECT_NEAR(delivered, mean, 5 * sd);
}

TEST(Network, PartitionsCutAndHeal) {
  Network n = line();
  Rng rng(1, 0, 0);
  const uint32_t p = n.partition({{0}});  // A alone against B and C
  EXPECT_TRUE(n.partitioned(0, 1));
  EXPECT_TRUE(n.partitioned(0, 2));
  EXPECT_FALSE(n.partitioned(1, 2));
  EXPECT_EQ(n.transmit(0, 1, 10, rng).drop, DropReason::kPartition);
  EXPECT_EQ(n.transmit(1, 2, 10, rng).drop, DropReason::kNone);
  const uint32_t q = n.partition({{1}});  // B alone as well
  EXPECT_TRUE(n.partitioned(1, 2));
  n.heal(p);
  EXPECT_FALSE(n.partitioned(0, 2));  // q leaves A and C both in its unlisted group
  EXPECT_TRUE(n.partitioned(0, 1));
  n.heal(q);
  EXPECT_FALSE(n.partitioned(0, 1));
  EXPECT_THROW(n.partition({{0}, {0}}), std::invalid_argument);
}

TEST(Network, DegradedLinkChangesPathsUntilRestored) {
  Network n = line();
  const LinkSpec old = n.update_link(0, 1, {.latency = 100_ms, .bandwidth_bps = 100e6});
  EXPECT_EQ(n.latency(0, 2), 50_ms);  // now the direct link is shorter
  EXPECT_EQ(n.latency(0, 1), 70_ms);  // and A reaches B through C
  n.update_link(0, 1, old);
  EXPECT_EQ(n.latency(0, 2), 30_ms);
}

// Messages between nodes at sites, through the engine: arrival = send + latency + size/bandwidth.
struct Stamp {
  int n;
};
class Sender : public Node {
 public:
  Sender(NodeId to, int count, bool fifo) : to_(to), count_(count), fifo_(fifo) {}
  void on_start(Context& ctx) override {
    for (int i = 0; i < count_; ++i) ctx.send(to_, Message::make(Stamp{i}, 1250), {.fifo = fifo_});
  }
  NodeId to_;
  int count_;
  bool fifo_;
};
class Sink : public Node {
 public:
  void on_message(Context& ctx, NodeId, const Message& m) override {
    arrivals.push_back(ctx.now());
    order.push_back(m.get<Stamp>().n);
  }
  std::vector<SimTime> arrivals;
  std::vector<int> order;
};

TEST(Network, EngineDeliversWithTheNetworkDelay) {
  Engine e(1);
  const SiteId a = e.network().add_site("A"), b = e.network().add_site("B");
  e.network().add_link(a, b, {.latency = 40_ms, .bandwidth_bps = 1e6});
  e.emplace_node<Sender>(0, a, 1, 1, false);
  auto& sink = e.emplace_node<Sink>(1, b);
  e.run();
  // 1250 bytes = 10 kbit at 1 Mbit/s = 10 ms.
  ASSERT_EQ(sink.arrivals.size(), 1u);
  EXPECT_EQ(sink.arrivals[0], SimTime::zero() + 50_ms);
}

TEST(Network, FifoChannelsKeepOrderDespiteJitter) {
  for (bool fifo : {false, true}) {
    Engine e(3);
    const SiteId a = e.network().add_site("A"), b = e.network().add_site("B");
    e.network().add_link(a, b, {.latency = 10_ms, .jitter = 5_ms});
    e.emplace_node<Sender>(0, a, 1, 200, fifo);
    auto& sink = e.emplace_node<Sink>(1, b);
    e.run();
    ASSERT_EQ(sink.order.size(), 200u);
    const bool sorted = std::is_sorted(sink.order.begin(), sink.order.end());
    EXPECT_EQ(sorted, fifo);  // without FIFO, jitter reorders 200 simultaneous sends
  }
}

TEST(Network, EnginePartitionDropsThenHeals) {
  Engine e(1);
  const SiteId a = e.network().add_site("A"), b = e.network().add_site("B");
  e.network().add_link(a, b, {.latency = 1_ms});
  struct Ticker : Node {
    void on_start(Context& ctx) override { ctx.set_timer(1_s); }
    void on_timer(Context& ctx, TimerId, uint64_t) override {
      ctx.send(1, Message::make(Stamp{0}, 8));
      ctx.set_timer(1_s);
    }
  };
  e.emplace_node<Ticker>(0, a);
  auto& sink = e.emplace_node<Sink>(1, b);
  uint32_t cut = 0;
  e.schedule(SimTime::zero() + 2500_ms, [&] { cut = e.network().partition({{a}}); });
  e.schedule(SimTime::zero() + 5500_ms, [&] { e.network().heal(cut); });
  e.run({.until = SimTime::zero() + 8500_ms});
  // Sends at 1..8 s; those at 3, 4, 5 s fall in the partition.
  EXPECT_EQ(sink.arrivals.size(), 5u);
  EXPECT_EQ(e.stats().dropped_partition, 3u);
}

}  // namespace
}  // namespace tradesim::sim

namespace tradesim::sim {
namespace {

// A node at A pings the node at B every second (1..10 s); B echoes nothing, just counts.
struct Ticker : Node {
  void on_start(Context& ctx) override { ctx.set_timer(1_s); }
  void on_timer(Context& ctx, TimerId, uint64_t) override {
    ctx.send(1, Message::make(Stamp{0}, 125000));  // 1 Mbit
    ctx.set_timer(1_s);
  }
};

TEST(Faults, TimedPartitionCrashAndDegradation) {
  Engine e(1);
  const SiteId a = e.network().add_site("A"), b = e.network().add_site("B");
  e.network().add_link(a, b, {.latency = 1_ms, .bandwidth_bps = 1e9});
  e.emplace_node<Ticker>(0, a);
  auto& sink = e.emplace_node<Sink>(1, b);
  // Pings at 1..10 s. Partition over [1.5, 3.5): drops 2 and 3. Crash of B over [4.5, 6.5): drops
  // 5 and 6. Link at 10 Mbit/s over [7.5, 9.5): pings 8 and 9 take 1 ms + 100 ms instead of 2 ms.
  faults::partition(e, {{a}}, SimTime::zero() + 1500_ms, 2_s);
  faults::crash(e, {1}, SimTime::zero() + 4500_ms, 2_s);
  faults::degrade_link(e, a, b, {.latency = 1_ms, .bandwidth_bps = 10e6}, SimTime::zero() + 7500_ms,
                       2_s);
  e.run({.until = SimTime::zero() + 10500_ms});
  std::vector<Duration> delays;
  for (SimTime t : sink.arrivals) delays.push_back(Duration::from_ns(t.ns() % units::kSecond));
  EXPECT_EQ(sink.arrivals.size(), 6u);
  EXPECT_EQ(e.stats().dropped_partition, 2u);
  EXPECT_EQ(e.stats().dropped_receiver_down, 2u);
  EXPECT_EQ(delays, (std::vector<Duration>{2_ms, 2_ms, 2_ms, 101_ms, 101_ms, 2_ms}));
  EXPECT_THROW(faults::degrade_link(e, a, a, {}, e.now(), 1_s), std::invalid_argument);
}

}  // namespace
}  // namespace tradesim::sim
