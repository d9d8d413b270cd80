// Micro-benchmarks of the pending-event set: the hold model (pop the earliest, push one later)
// at 1e3 to 1e6 pending events, for the engine's 4-ary heap and std::priority_queue.
#include <benchmark/benchmark.h>

#include <queue>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/random.hpp"
#include "sim/timer_queue.hpp"

namespace {

using tradesim::sim::Event;
using tradesim::sim::EventKind;
using tradesim::sim::EventQueue;
using tradesim::sim::Rng;

int64_t increment(Rng& rng) {
  return 100'000'000 + static_cast<int64_t>(rng.exponential(9e8));
}

Event entry(int64_t t, uint64_t seq) {
  return Event{t, seq, static_cast<uint32_t>(seq & 1023), 0, EventKind::kEmptyMessage};
}

// Hold: pop the top and push a successor, the steady state of a simulation.
void BM_EventQueueHold(benchmark::State& state) {
  const auto pending = static_cast<uint64_t>(state.range(0));
  Rng rng(1, 0, 0);
  EventQueue q;

  uint64_t seq = 0;
  for (uint64_t i = 0; i < pending; ++i) q.push(entry(increment(rng), seq++));
  for (auto _ : state) {
    const Event top = q.top();
    q.pop();
    q.push(entry(top.time + increment(rng), seq++));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueueHold)->RangeMultiplier(10)->Range(1000, 1000000);

// Hold with replace_top: what the engine does when a handler schedules one event.
void BM_EventQueueHoldReplaceTop(benchmark::State& state) {
  const auto pending = static_cast<uint64_t>(state.range(0));
  Rng rng(1, 0, 0);
  EventQueue q;

  uint64_t seq = 0;
  for (uint64_t i = 0; i < pending; ++i) q.push(entry(increment(rng), seq++));
  for (auto _ : state) {
    const Event top = q.top();
    q.replace_top(entry(top.time + increment(rng), seq++));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueueHoldReplaceTop)->RangeMultiplier(10)->Range(1000, 1000000);

// The same hold model on std::priority_queue (a binary heap), for reference.
void BM_StdPriorityQueueHold(benchmark::State& state) {
  const auto pending = static_cast<uint64_t>(state.range(0));
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return b.time < a.time || (b.time == a.time && b.key < a.key);
    }
  };
  Rng rng(1, 0, 0);
  std::priority_queue<Event, std::vector<Event>, Later> q;
  uint64_t seq = 0;
  for (uint64_t i = 0; i < pending; ++i) q.push(entry(increment(rng), seq++));
  for (auto _ : state) {
    const Event top = q.top();
    q.pop();
    q.push(entry(top.time + increment(rng), seq++));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StdPriorityQueueHold)->RangeMultiplier(10)->Range(1000, 1000000);

// Timers: set one and cancel one per iteration with `pending` timers outstanding
// (a protocol re-arming its timeout on every message).
void BM_TimerSetCancel(benchmark::State& state) {
  const auto pending = static_cast<uint64_t>(state.range(0));
  Rng rng(1, 0, 0);
  tradesim::sim::TimerQueue timers;
  std::vector<tradesim::sim::TimerId> ids;
  uint64_t seq = 0;
  for (uint64_t i = 0; i < pending; ++i) ids.push_back(timers.add(increment(rng), seq++, 0, 0));
  size_t victim = 0;
  for (auto _ : state) {
    timers.cancel(ids[victim]);
    ids[victim] = timers.add(increment(rng), seq++, 0, 0);
    victim = (victim + 7919) % ids.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerSetCancel)->RangeMultiplier(10)->Range(1000, 1000000);

}  // namespace

BENCHMARK_MAIN();
