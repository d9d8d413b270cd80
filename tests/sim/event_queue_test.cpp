// The pending-event set and the timer heap against a reference ordering (std::set), over random
// pushes, pops, replace-tops and cancellations with many equal times.
#include "sim/event_queue.hpp"

#include <gtest/gtest.h>

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
      const bool was_live = std::erase_if(ref, [&](const auto& e) { return std::get<2>(e) == id; }) > 0;
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
