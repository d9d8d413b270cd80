// Micro-benchmarks of the world state as validators use it: one put and the root on states of
// 1e4 to 1e6 entries, and one block (copy the parent state, 500 puts, root) at 1e6 entries.
// Keys look like contract storage ("contract/<id>/slot/<n>", 15 per contract) and balances.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "models/ledger/world_state.hpp"

namespace {

using tradesim::ledger::WorldState;

std::string storage_key(uint64_t i) {
  return "contract/" + std::to_string(100'000 + i / 15) + "/slot/" + std::to_string(i % 15);
}

uint64_t next(uint64_t& x) {  // splitmix64: a fixed stream of key choices
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A state of `entries` entries (built once per size and kept), and the heap bytes it holds.
struct Filled {
  std::shared_ptr<const WorldState> state;
  double bytes_per_entry;
};

const Filled& filled(uint64_t entries) {
  static std::map<uint64_t, Filled> built;
  auto it = built.find(entries);
  if (it != built.end()) return it->second;
  const size_t heap_before = mallinfo2().uordblks;
  auto state = std::make_shared<WorldState>();
  for (uint64_t i = 0; i < entries; ++i) {
    if (i % 15 == 14) {
      state->set_balance(i, static_cast<int64_t>(1'000'000 + i));
    } else {
      state->put(storage_key(i), "value-" + std::to_string(i));
    }
  }
  const size_t heap_after = mallinfo2().uordblks;
  const double per_entry =
      static_cast<double>(heap_after - heap_before) / static_cast<double>(entries);
  return built.emplace(entries, Filled{std::move(state), per_entry}).first->second;
}

// One put of an existing key and the root.
void BM_WorldStatePutRoot(benchmark::State& bench) {
  const auto entries = static_cast<uint64_t>(bench.range(0));
  const Filled& f = filled(entries);
  WorldState state = *f.state;
  uint64_t x = 1;
  for (auto _ : bench) {
    const uint64_t i = next(x) % entries;
    state.put(storage_key(i), "updated-" + std::to_string(i));
    benchmark::DoNotOptimize(state.root());
  }
  bench.counters["bytes_per_entry"] = f.bytes_per_entry;
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_WorldStatePutRoot)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMicrosecond);

// One block as ExecutionMemo::apply runs it: copy the parent's state, 500 puts (400 existing
// keys, 100 new), the root. The copy is destroyed at the end of each iteration, untimed.
void BM_WorldStateBlock(benchmark::State& bench) {
  const auto entries = static_cast<uint64_t>(bench.range(0));
  const Filled& f = filled(entries);
  uint64_t x = 2;
  uint64_t fresh = entries;
  for (auto _ : bench) {
    auto after = std::make_unique<WorldState>(*f.state);
    for (int p = 0; p < 500; ++p) {
      const uint64_t i = p % 5 == 4 ? fresh++ : next(x) % entries;
      after->put(storage_key(i), "block-" + std::to_string(p));
    }
    benchmark::DoNotOptimize(after->root());
    bench.PauseTiming();
    after.reset();
    bench.ResumeTiming();
  }
  bench.SetItemsProcessed(bench.iterations() * 500);
}
BENCHMARK(BM_WorldStateBlock)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
