// The seeds of a `long` property sweep: 10,000 from 1000 by default; TRADESIM_LONG_SEEDS=F:N
// runs N seeds from F instead (to split a sweep over machines or resume one). Progress goes to
// stderr every 500 seeds, so that a sweep stopped early still says how far it got.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

namespace tradesim::test {

inline void for_long_seeds(const char* name, const std::function<void(uint64_t)>& run) {
  uint64_t first = 1000, count = 10000;
  if (const char* env = std::getenv("TRADESIM_LONG_SEEDS")) {
    const std::string s(env);
    const auto colon = s.find(':');
    first = std::stoull(s.substr(0, colon));
    if (colon != std::string::npos) count = std::stoull(s.substr(colon + 1));
  }
  for (uint64_t i = 0; i < count; ++i) {
    run(first + i);
    if ((i + 1) % 500 == 0 || i + 1 == count) {
      std::fprintf(stderr, "%s: %lu of %lu seeds done (last %lu)\n", name,
                   static_cast<unsigned long>(i + 1), static_cast<unsigned long>(count),
                   static_cast<unsigned long>(first + i));
    }
  }
}

}  // namespace tradesim::test
