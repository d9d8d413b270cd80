// PHOLD on the kernel: determinism and the expected number of events.
#include "models/phold/phold.hpp"

#include <gtest/gtest.h>

namespace tradesim::phold {
namespace {

// Each of lps * start_events event chains advances by increments of mean `mean`, so about
// lps * start_events * end / mean events run. Per-chain sd = sqrt(end * var / mean^3) with
// var = (mean - lookahead)^2 = 0.81: 9 events per chain, 144 over 256 chains; 3% is > 5 sd.
TEST(Phold, RunsTheExpectedNumberOfEvents) {
  Params p;
  p.lps = 64;
  p.start_events = 4;
  p.end = 100;
  const Result r = run(p);
  EXPECT_NEAR(static_cast<double>(r.events), 64 * 4 * 100.0, 0.03 * 64 * 4 * 100.0);
}

TEST(Phold, SameSeedSameRunOtherSeedOtherRun) {
  Params p;
  p.lps = 128;
  p.remote = 0.5;
  p.end = 50;
  const Result a = run(p), b = run(p);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.checksum, b.checksum);
  p.seed = 2;
  EXPECT_NE(run(p).checksum, a.checksum);
}

TEST(Phold, RejectsBadParameters) {
  Params p;
  p.lookahead = 2;  // more than the mean
  EXPECT_THROW(run(p), std::invalid_argument);
  p = Params{};
  p.remote = 1.5;
  EXPECT_THROW(run(p), std::invalid_argument);
  p = Params{};
  p.lps = 0;
  EXPECT_THROW(run(p), std::invalid_argument);
}

}  // namespace
}  // namespace tradesim::phold
