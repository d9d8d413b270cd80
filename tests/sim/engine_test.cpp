// The engine: event order, timers, crashes, CPU queues, broadcast and run limits.
#include "sim/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

namespace tradesim::sim {
namespace {

struct Token {
  int hops;
};

// Passes tokens around with whole-second delays so that many events share a time stamp.
class Gossip : public Node {
 public:
  Gossip(uint32_t nodes, std::vector<std::pair<int64_t, NodeId>>* trace)
      : nodes_(nodes), trace_(trace) {}
  void on_start(Context& ctx) override {
    for (int i = 0; i < 3; ++i) send_on(ctx, 0);
  }
  void on_message(Context& ctx, NodeId from, const Message& msg) override {
    if (trace_) trace_->emplace_back(ctx.now().ns(), from);
    const int hops = msg.get<Token>().hops;
    if (hops < 50) send_on(ctx, hops + 1);
  }

 private:
  void send_on(Context& ctx, int hops) {
    const auto to = static_cast<NodeId>(ctx.rng().below(nodes_));
    ctx.send(to, Message::make(Token{hops}, 16),
             {.delay = Duration::from_ns(static_cast<int64_t>(1 + ctx.rng().below(3)) *
                                         units::kSecond)});
  }
  uint32_t nodes_;
  std::vector<std::pair<int64_t, NodeId>>* trace_;
};

uint64_t gossip_fingerprint(uint64_t seed, const std::vector<NodeId>& creation_order,
                            std::vector<std::vector<std::pair<int64_t, NodeId>>>* traces) {
  Engine e(seed);
  e.enable_fingerprint();
  traces->assign(creation_order.size(), {});
  for (NodeId id : creation_order) {
    e.emplace_node<Gossip>(id, 0, static_cast<uint32_t>(creation_order.size()), &(*traces)[id]);
  }
  e.run();
  EXPECT_GT(e.stats().events, 1000u);
  return e.fingerprint();
}

TEST(Engine, EventOrderDoesNotDependOnCreationOrder) {
  std::vector<NodeId> ascending(64);
  std::iota(ascending.begin(), ascending.end(), 0);
  std::vector<NodeId> shuffled = ascending;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  std::vector<NodeId> descending(ascending.rbegin(), ascending.rend());
  std::vector<std::vector<std::pair<int64_t, NodeId>>> a, b, c;
  const uint64_t fa = gossip_fingerprint(11, ascending, &a);
  EXPECT_EQ(fa, gossip_fingerprint(11, shuffled, &b));
  EXPECT_EQ(fa, gossip_fingerprint(11, descending, &c));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  // The fingerprint does see the trace: another seed gives another one.
  EXPECT_NE(fa, gossip_fingerprint(12, ascending, &b));
}

// Records who sent what, in delivery order.
class Recorder : public Node {
 public:
  void on_message(Context& ctx, NodeId from, const Message& msg) override {
    log.push_back({ctx.now(), from, msg.empty() ? -1 : msg.get<Token>().hops});
  }
  void on_timer(Context& ctx, TimerId, uint64_t tag) override {
    timers.emplace_back(ctx.now(), tag);
  }
  struct Entry {
    SimTime t;
    NodeId from;
    int value;
    bool operator==(const Entry&) const = default;
  };
  std::vector<Entry> log;
  std::vector<std::pair<SimTime, uint64_t>> timers;
};

// Sends a scripted list of (delay, to, value) at start.
class Scripted : public Node {
 public:
  struct Send {
    Duration delay;
    NodeId to;
    int value;
  };
  explicit Scripted(std::vector<Send> sends) : sends_(std::move(sends)) {}
  void on_start(Context& ctx) override {
    for (const Send& s : sends_)
      ctx.send(s.to, Message::make(Token{s.value}, 8), {.delay = s.delay});
  }

 private:
  std::vector<Send> sends_;
};

TEST(Engine, SimultaneousEventsGoBySenderThenSequence) {
  for (bool reversed : {false, true}) {
    Engine e(1);
    auto add_senders = [&] {
      e.emplace_node<Scripted>(2, 0, std::vector<Scripted::Send>{{1_s, 9, 20}, {1_s, 9, 21}});
      e.emplace_node<Scripted>(1, 0, std::vector<Scripted::Send>{{1_s, 9, 10}, {1_s, 9, 11}});
    };
    if (reversed) e.emplace_node<Recorder>(9, 0);
    add_senders();
    if (!reversed) e.emplace_node<Recorder>(9, 0);
    e.run();
    const auto& log = static_cast<Recorder&>(e.node(9)).log;
    ASSERT_EQ(log.size(), 4u);
    EXPECT_EQ(log[0].value, 10);
    EXPECT_EQ(log[1].value, 11);
    EXPECT_EQ(log[2].value, 20);
    EXPECT_EQ(log[3].value, 21);
  }
}

// Sets `count` timers at start and cancels every one it is told to.
class TimerUser : public Node {
 public:
  TimerUser(int count, bool cancel_all) : count_(count), cancel_all_(cancel_all) {}
  void on_start(Context& ctx) override {
    for (int i = 0; i < count_; ++i)
      ids.push_back(
          ctx.set_timer(Duration::from_ns((i + 1) * units::kSecond), static_cast<uint64_t>(i)));
    if (cancel_all_) {
      for (TimerId id : ids) cancelled += ctx.cancel_timer(id);
      for (TimerId id : ids) cancelled_twice += ctx.cancel_timer(id);
    }
  }
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override {
    fired.push_back(tag);
    late_cancel_ok += ctx.cancel_timer(id);  // already fired: must be refused
  }
  int count_;
  bool cancel_all_;
  std::vector<TimerId> ids;
  std::vector<uint64_t> fired;
  int cancelled = 0, cancelled_twice = 0, late_cancel_ok = 0;
};

TEST(Engine, CancelledTimersCostNoLaterWork) {
  Engine e(1);
  auto& n = e.emplace_node<TimerUser>(0, 0, 1000, true);
  e.start();
  EXPECT_EQ(n.cancelled, 1000);
  EXPECT_EQ(n.cancelled_twice, 0);
  EXPECT_EQ(e.pending_events(), 0u);  // nothing left behind in the queues
  e.run();
  EXPECT_EQ(e.stats().events, 0u);  // and nothing to pop later
  EXPECT_TRUE(n.fired.empty());
}

TEST(Engine, TimersFireInOrderAndOnce) {
  Engine e(1);
  auto& n = e.emplace_node<TimerUser>(0, 0, 5, false);
  e.run();
  EXPECT_EQ(n.fired, (std::vector<uint64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(n.late_cancel_ok, 0);
  EXPECT_EQ(e.now(), SimTime::zero() + 5_s);
}

// Pings a peer every second; counts starts.
class Pinger : public Node {
 public:
  explicit Pinger(NodeId peer) : peer_(peer) {}
  void on_start(Context& ctx) override {
    ++starts;
    ctx.set_timer(1_s, 1);
  }
  void on_timer(Context& ctx, TimerId, uint64_t) override {
    ++ticks;
    ctx.send(peer_, Message::make(Token{ticks}, 8));
    ctx.set_timer(1_s, 1);
  }
  void on_message(Context&, NodeId, const Message&) override { ++received; }
  void on_crash(SimTime) override { ++crashes; }
  NodeId peer_;
  int starts = 0, ticks = 0, received = 0, crashes = 0;
};

TEST(Engine, CrashedNodeReceivesNothingAndLosesItsTimers) {
  Engine e(1);
  auto& a = e.emplace_node<Pinger>(0, 0, 1);
  auto& b = e.emplace_node<Pinger>(1, 0, 0);
  // Ticks at 1..10 s; b is down over [3.5 s, 7.5 s).
  e.schedule(SimTime::zero() + 3500_ms, [&] { e.crash(1); });
  e.schedule(SimTime::zero() + 7500_ms, [&] { e.restart(1); });
  e.run({.until = SimTime::zero() + 10500_ms});
  EXPECT_EQ(a.ticks, 10);
  // b received a's pings at 1, 2, 3 and 8, 9, 10 s; the four sent while it was down are dropped.
  EXPECT_EQ(b.received, 6);
  EXPECT_EQ(e.stats().dropped_receiver_down, 4u);
  // b's own timer was lost in the crash; restart set a new one (8.5, 9.5, 10.5 excluded).
  EXPECT_EQ(b.ticks, 3 + 2);
  EXPECT_EQ(b.starts, 2);
  EXPECT_EQ(b.crashes, 1);
  EXPECT_EQ(a.received, 5);
  EXPECT_FALSE(e.stats().crashes == 0);
}

// Charges 10 ms of CPU per message and answers after the work.
class Worker : public Node {
 public:
  void on_message(Context& ctx, NodeId from, const Message&) override {
    starts.push_back(ctx.now());
    ctx.charge(10_ms);
    ctx.send(from, Message::make(Token{0}, 8));
  }
  std::vector<SimTime> starts;
};

TEST(Engine, ChargedCpuQueuesLaterInputFifo) {
  Engine e(1);
  auto& w = e.emplace_node<Worker>(0, 0);
  e.emplace_node<Scripted>(1, 0,
                           std::vector<Scripted::Send>{{0_ms, 0, 1}, {0_ms, 0, 2}, {15_ms, 0, 3}});
  e.run();
  // Arrivals at 0, 0, 15 ms; service 10 ms each, one at a time: starts 0, 10, 20 ms.
  ASSERT_EQ(w.starts.size(), 3u);
  EXPECT_EQ(w.starts[0], SimTime::zero());
  EXPECT_EQ(w.starts[1], SimTime::zero() + 10_ms);
  EXPECT_EQ(w.starts[2], SimTime::zero() + 20_ms);
  EXPECT_EQ(e.stats().cpu_deferrals, 2u);
}

TEST(Engine, RepliesLeaveAfterTheChargedWork) {
  struct Client : Recorder {
    void on_start(Context& ctx) override { ctx.send(0, Message::make(Token{0}, 8)); }
  };
  Engine e(1);
  e.emplace_node<Worker>(0, 0);
  auto& c = e.emplace_node<Client>(1, 0);
  e.run();
  ASSERT_EQ(c.log.size(), 1u);
  EXPECT_EQ(c.log[0].t, SimTime::zero() + 10_ms);
}

// Broadcasts one payload to every other node; receivers check they share it.
struct Big {
  std::vector<int> data;
};
class Broadcaster : public Node {
 public:
  explicit Broadcaster(std::vector<NodeId> to) : to_(std::move(to)) {}
  void on_start(Context& ctx) override {
    ctx.broadcast(to_, Message::make(Big{std::vector<int>(1000, 7)}, 4000));
  }
  std::vector<NodeId> to_;
};
class Holder : public Node {
 public:
  void on_message(Context&, NodeId, const Message& msg) override {
    payload = &msg.get<Big>();
    use_count = msg.use_count();
  }
  const Big* payload = nullptr;
  long use_count = 0;
};

TEST(Engine, BroadcastSharesOnePayload) {
  Engine e(1);
  std::vector<NodeId> receivers{1, 2, 3, 4, 5};
  e.emplace_node<Broadcaster>(0, 0, receivers);
  for (NodeId id : receivers) e.emplace_node<Holder>(id, 0);
  e.run();
  const Big* first = static_cast<Holder&>(e.node(1)).payload;
  ASSERT_NE(first, nullptr);
  for (NodeId id : receivers) EXPECT_EQ(static_cast<Holder&>(e.node(id)).payload, first);
  // The first receiver saw the payload held by itself and the four messages still in flight.
  EXPECT_EQ(static_cast<Holder&>(e.node(1)).use_count, 5);
  EXPECT_EQ(e.stats().messages_delivered, 5u);
}

TEST(Engine, RunLimitsAndStop) {
  auto make = [](Engine& e) {
    e.emplace_node<Pinger>(0, 0, 1);
    e.emplace_node<Pinger>(1, 0, 0);
  };
  {
    Engine e(1);
    make(e);
    EXPECT_EQ(e.run({.until = SimTime::zero() + 3_s}), StopReason::kTimeLimit);
    EXPECT_EQ(e.now(), SimTime::zero() + 3_s);
    // Events at exactly 3 s are left for the next run.
    EXPECT_EQ(static_cast<Pinger&>(e.node(0)).ticks, 2);
    EXPECT_EQ(e.run({.max_events = 1}), StopReason::kEventLimit);
    EXPECT_EQ(static_cast<Pinger&>(e.node(0)).ticks, 3);
  }
  {
    Engine e(1);
    make(e);
    e.schedule(SimTime::zero() + 4_s, [&] { e.request_stop(); });
    EXPECT_EQ(e.run(), StopReason::kStopRequested);
    EXPECT_EQ(e.now(), SimTime::zero() + 4_s);
  }
}

TEST(Engine, KernelActionsRunAfterNodeEventsOfTheSameTime) {
  Engine e(1);
  std::vector<std::string> order;
  struct Ticker : Node {
    std::vector<std::string>* order;
    explicit Ticker(std::vector<std::string>* o) : order(o) {}
    void on_start(Context& ctx) override { ctx.set_timer(1_s); }
    void on_timer(Context&, TimerId, uint64_t) override { order->push_back("node"); }
  };
  e.schedule(SimTime::zero() + 1_s, [&] { order.push_back("kernel"); });
  e.emplace_node<Ticker>(3, 0, &order);
  e.run();
  EXPECT_EQ(order, (std::vector<std::string>{"node", "kernel"}));
}

TEST(Engine, ProgressIsReported) {
  Engine e(1);
  e.emplace_node<Pinger>(0, 0, 1);
  e.emplace_node<Pinger>(1, 0, 0);
  int calls = 0;
  uint64_t last_events = 0;
  e.set_progress(
      [&](const Progress& p) {
        ++calls;
        last_events = p.events;
      },
      std::chrono::milliseconds(0));
  e.run({.until = SimTime::zero() + 10000_s});
  EXPECT_GT(calls, 0);
  EXPECT_GT(last_events, 0u);
}

TEST(Engine, MessagesToUnknownNodesAreErrors) {
  Engine e(1);
  e.emplace_node<Scripted>(0, 0, std::vector<Scripted::Send>{{1_s, 5, 0}});
  e.emplace_node<Recorder>(7, 0);
  EXPECT_THROW(e.run(), std::out_of_range);  // id 5 is within range but has no node
  Engine f(1);
  f.emplace_node<Scripted>(0, 0, std::vector<Scripted::Send>{{1_s, 50, 0}});
  EXPECT_THROW(f.run(), std::out_of_range);
  Engine g(1);
  g.emplace_node<Recorder>(1, 0);
  EXPECT_THROW(g.emplace_node<Recorder>(1, 0), std::invalid_argument);
}

}  // namespace
}  // namespace tradesim::sim

namespace tradesim::sim {
namespace {

// A node that charges 1 s per input and records what it handled.
class Busy : public Node {
 public:
  void on_start(Context& ctx) override {
    ++starts;
    timer = ctx.set_timer(500_ms, 7);  // will wait behind the CPU
  }
  void on_message(Context& ctx, NodeId, const Message& m) override {
    handled.push_back(m.get<Token>().hops);
    ctx.charge(1_s);
  }
  void on_timer(Context&, TimerId, uint64_t tag) override { timers.push_back(tag); }
  int starts = 0;
  TimerId timer = kNoTimer;
  std::vector<int> handled;
  std::vector<uint64_t> timers;
};

// Crash while inputs wait in the CPU queue: they are dropped with the timers; nothing of the
// old incarnation is delivered after the restart.
TEST(Engine, CrashEmptiesTheCpuQueueAndRestartStartsClean) {
  Engine e(1);
  auto& busy = e.emplace_node<Busy>(0, 0);
  e.emplace_node<Scripted>(
      1, 0, std::vector<Scripted::Send>{{0_ms, 0, 1}, {100_ms, 0, 2}, {200_ms, 0, 3}});
  // At 0 s: message 1 starts (busy until 1 s); 2, 3 and the 0.5 s timer wait. Crash at 0.8 s.
  e.schedule(SimTime::zero() + 800_ms, [&] { e.crash(0); });
  e.schedule(SimTime::zero() + 3_s, [&] { e.restart(0); });
  e.run({.until = SimTime::zero() + 10_s});
  EXPECT_EQ(busy.handled, (std::vector<int>{1}));
  // Only the timer set by the restart (at 3.5 s) fired; the first one died in the crash.
  EXPECT_EQ(busy.timers, (std::vector<uint64_t>{7}));
  EXPECT_EQ(busy.starts, 2);
  EXPECT_EQ(e.stats().cpu_deferrals, 3u);
  EXPECT_EQ(e.pending_events(), 0u);
}

TEST(Engine, NegativeSendDelayIsRefused) {
  struct Backwards : Node {
    void on_start(Context& ctx) override { ctx.send(ctx.self(), {}, {.delay = -(1_s)}); }
  };
  Engine e(1);
  e.emplace_node<Backwards>(0, 0);
  EXPECT_THROW(e.run(), std::invalid_argument);
}

TEST(Engine, StopRequestedDuringStartIsKept) {
  struct Stopper : Node {
    Engine* engine;
    explicit Stopper(Engine* e) : engine(e) {}
    void on_start(Context& ctx) override {
      ctx.set_timer(1_s);
      engine->request_stop();  // as a Ctrl-C arriving while the world starts
    }
  };
  Engine e(1);
  e.emplace_node<Stopper>(0, 0, &e);
  EXPECT_EQ(e.run(), StopReason::kStopRequested);
  EXPECT_EQ(e.stats().events, 0u);
  EXPECT_EQ(e.run(), StopReason::kQueueEmpty);  // the request was consumed
}

}  // namespace
}  // namespace tradesim::sim
