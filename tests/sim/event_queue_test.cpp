// The pending-event set and the timer heap against a reference ordering (std::set), over random
// pushes, pops, replace-tops and cancellations with many equal times.
#include "sim/event_queue.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <tuple>

#include "sim/random.hpp"
#include "sim/timer_queue.hpp"

namespace tradesim::sim {
namespace {

using Reference = std::set<std::tuple<int64_t, uint64_t, NodeId>>;

TEST(EventQueue, PopsInTimeThenKeyOrder) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Rng rng(seed, 0, purpose("test"));
    EventQueue q;
    Reference ref;
    uint64_t sequence = 0;
    int64_t now = 0;
    for (int step = 0; step < 20000; ++step) {
      const double u = rng.uniform();
      if (u < 0.45 || ref.empty()) {
        // Coarse times (0..9 ticks ahead) so that ties are frequent; kernel events included.
        const NodeId sender = static_cast<NodeId>(rng.below(50));
        const NodeId target = rng.below(20) == 0 ? kKernel : static_cast<NodeId>(rng.below(30));
        const Event e{now + static_cast<int64_t>(rng.below(10)), make_event_key(sender, sequence++),
                      target, 7, EventKind::kMessage};
        q.push(e);
        ref.emplace(e.time, e.key, e.target);
      } else {
        ASSERT_EQ(q.size(), ref.size());
        const Event top = q.top();
        const auto& [time, key, target] = *ref.begin();
        ASSERT_EQ(top.time, time) << "seed " << seed << " step " << step;
        ASSERT_EQ(top.key, key) << "seed " << seed << " step " << step;
        ASSERT_EQ(top.target, target) << "seed " << seed << " step " << step;
        ASSERT_EQ(top.payload, 7u);
        now = top.time;
        ref.erase(ref.begin());
        if (u < 0.7) {
          q.pop();
        } else {
          const NodeId target2 = u < 0.85 ? top.target : static_cast<NodeId>(rng.below(30));
          const Event e{now + static_cast<int64_t>(rng.below(10)),
                        make_event_key(static_cast<NodeId>(rng.below(50)), sequence++), target2, 7,
                        EventKind::kMessage};
          q.replace_top(e);
          ref.emplace(e.time, e.key, e.target);
        }
      }
    }
    ASSERT_EQ(q.size(), ref.size());
  }
}

// Times spread over nanoseconds to years, in bursts and lulls, so that every part of the calendar
// is used: the sorted front, the ring, the overflow, jumps over empty stretches and re-bucketing.
TEST(EventQueue, PopsInOrderAcrossTimeScales) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    Rng rng(seed, 1, purpose("test"));
    EventQueue q;
    Reference ref;
    uint64_t sequence = 0;
    int64_t now = 0;
    size_t widths_seen = 0;
    int64_t last_width = q.bucket_width();
    for (int step = 0; step < 60000; ++step) {
      // Phases of 5000 steps with different time scales and push/pop balances.
      const int phase = (step / 5000) % 6;
      // From 10 ns to 10 days; the run stays far inside the int64 range of +-292 years.
      constexpr double kScales[] = {1e1, 1e5, 1e9, 3.6e12, 1e3, 8.64e14};
      const double push_share = phase % 2 == 0 ? 0.6 : 0.4;
      if (rng.uniform() < push_share || ref.empty()) {
        const int64_t ahead =
            rng.below(8) == 0 ? 0 : static_cast<int64_t>(rng.exponential(kScales[phase]));
        const Event e{now + ahead, make_event_key(static_cast<NodeId>(rng.below(100)), sequence++),
                      static_cast<NodeId>(rng.below(100)), 1, EventKind::kEmptyMessage};
        if (rng.below(4) == 0 && !ref.empty()) {
          const Event top = q.top();
          ASSERT_EQ(top.time, std::get<0>(*ref.begin()));
          ASSERT_EQ(top.key, std::get<1>(*ref.begin()));
          now = top.time;
          ref.erase(ref.begin());
          Event next = e;
          next.time = now + ahead;  // scheduled by the event just handled
          q.replace_top(next);
          ref.emplace(next.time, next.key, next.target);
        } else {
          q.push(e);
          ref.emplace(e.time, e.key, e.target);
        }
      } else {
        const Event top = q.top();
        const auto& [time, key, target] = *ref.begin();
        ASSERT_EQ(top.time, time) << "seed " << seed << " step " << step;
        ASSERT_EQ(top.key, key) << "seed " << seed << " step " << step;
        ASSERT_EQ(top.target, target);
        now = top.time;
        ref.erase(ref.begin());
        q.pop();
      }
      ASSERT_EQ(q.size(), ref.size());
      if (!q.empty() && q.bucket_width() != last_width) {
        last_width = q.bucket_width();
        ++widths_seen;
      }
    }
    while (!ref.empty()) {
      ASSERT_EQ(q.top().time, std::get<0>(*ref.begin()));
      ASSERT_EQ(q.top().key, std::get<1>(*ref.begin()));
      ref.erase(ref.begin());
      q.pop();
    }
    EXPECT_TRUE(q.empty());
    EXPECT_GT(widths_seen, 2u) << "the bucket width should adapt to the changing time scales";
  }
}

TEST(TimerQueue, CancelAnywhereKeepsTheOrder) {
  Rng rng(3, 0, purpose("test"));
  TimerQueue timers;
  std::set<std::tuple<int64_t, uint64_t, TimerId>> ref;
  std::vector<TimerId> live;
  uint64_t sequence = 0;
  size_t peak = 0;
  for (int step = 0; step < 20000; ++step) {
    const double u = rng.uniform();
    if (u < 0.5 || ref.empty()) {
      const int64_t t = static_cast<int64_t>(rng.below(1000));
      const uint64_t key = make_event_key(1, sequence++);
      const TimerId id = timers.add(t, key, 1, 0);
      ref.emplace(t, key, id);
      live.push_back(id);
    } else if (u < 0.75) {
      const size_t i = rng.below(live.size());
      const TimerId id = live[i];
      live.erase(live.begin() + static_cast<long>(i));
      const bool was_live =
          std::erase_if(ref, [&](const auto& e) { return std::get<2>(e) == id; }) > 0;
      ASSERT_EQ(timers.cancel(id), was_live);
      ASSERT_FALSE(timers.cancel(id));  // a second cancel is refused
    } else {
      const auto [t, key, id] = *ref.begin();
      ASSERT_EQ(timers.top_time(), t);
      ASSERT_EQ(timers.top_key(), key);
      const TimerQueue::Due due = timers.take_top();
      ASSERT_EQ(due.id, id);
      timers.release(due.id);
      ASSERT_FALSE(timers.live(id));
      ref.erase(ref.begin());
    }
    ASSERT_EQ(timers.size(), ref.size());
    peak = std::max(peak, ref.size());
  }
  // Slots are reused: the table holds as many as were ever live at once, not one per timer set.
  EXPECT_EQ(timers.slots_allocated(), peak);
  EXPECT_GT(sequence, 2 * peak);
}

}  // namespace
}  // namespace tradesim::sim

namespace tradesim::sim {
namespace {

// The long label (ctest --preset long): the same ordering property over 2,000 seeds.
TEST(EventQueueLong, PopsInOrderOverManySeeds) {
  for (uint64_t seed = 100; seed < 2100; ++seed) {
    Rng rng(seed, 2, purpose("test"));
    EventQueue q;
    Reference ref;
    uint64_t sequence = 0;
    int64_t now = 0;
    const double scale = std::pow(10.0, static_cast<double>(rng.below(13)));  // 1 ns .. 17 min
    for (int step = 0; step < 5000; ++step) {
      if (rng.uniform() < 0.55 || ref.empty()) {
        const Event e{now + static_cast<int64_t>(rng.exponential(scale)),
                      make_event_key(static_cast<NodeId>(rng.below(64)), sequence++),
                      static_cast<NodeId>(rng.below(64)), 0, EventKind::kEmptyMessage};
        q.push(e);
        ref.emplace(e.time, e.key, e.target);
      } else {
        ASSERT_EQ(q.top().time, std::get<0>(*ref.begin())) << "seed " << seed;
        ASSERT_EQ(q.top().key, std::get<1>(*ref.begin())) << "seed " << seed;
        now = q.top().time;
        q.pop();
        ref.erase(ref.begin());
      }
    }
  }
}

}  // namespace
}  // namespace tradesim::sim
