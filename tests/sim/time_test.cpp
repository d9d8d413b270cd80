// SimTime and Duration: arithmetic, unit strings and parse errors.
#include "sim/time.hpp"

#include <gtest/gtest.h>

namespace tradesim::sim {
namespace {

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(Duration::parse("250ms"), 250_ms);
  EXPECT_EQ(Duration::parse("1.5h"), 90_min);
  EXPECT_EQ(Duration::parse("3d"), 72_h);
  EXPECT_EQ(Duration::parse("2w"), 14_d);
  EXPECT_EQ(Duration::parse("90s"), 90_s);
  EXPECT_EQ(Duration::parse("15min"), 15_min);
  EXPECT_EQ(Duration::parse("15m"), 15_min);
  EXPECT_EQ(Duration::parse("20us"), 20_us);
  EXPECT_EQ(Duration::parse("7ns"), 7_ns);
  EXPECT_EQ(Duration::parse("0"), Duration::zero());
  EXPECT_EQ(Duration::parse("1h30m"), 90_min);
  EXPECT_EQ(Duration::parse("1d 12h"), 36_h);
  EXPECT_EQ(Duration::parse(" 5 s "), 5_s);
  EXPECT_EQ(Duration::parse("-2h"), -(2_h));
  EXPECT_EQ(Duration::parse("0.001ms"), 1_us);
}

TEST(Duration, FractionsRoundToTheNanosecond) {
  EXPECT_EQ(Duration::parse("1.0000000004s").ns(), 1000000000);
  EXPECT_EQ(Duration::parse("1.0000000006s").ns(), 1000000001);
  // 200 years is within the +-292-year range and exact to the nanosecond.
  EXPECT_EQ(Duration::parse("10400w").ns(), 10400 * units::kWeek);
}

TEST(Duration, PrintsTheShortestExactForm) {
  EXPECT_EQ((250_ms).to_string(), "250ms");
  EXPECT_EQ((90_min).to_string(), "1.5h");
  EXPECT_EQ((3_d).to_string(), "3d");
  EXPECT_EQ((2_w).to_string(), "2w");
  EXPECT_EQ((26_h).to_string(), "26h");
  EXPECT_EQ((20_d).to_string(), "20d");
  EXPECT_EQ((10000_h).to_string(), "10000h");
  EXPECT_EQ(Duration::zero().to_string(), "0s");
  EXPECT_EQ((-(5_s)).to_string(), "-5s");
  EXPECT_EQ((1_s + 1_ns).to_string(), "1000000.001us");
}

TEST(Duration, PrintThenParseIsTheIdentity) {
  for (int64_t ns : {int64_t{1}, int64_t{999}, int64_t{1500000}, int64_t{86400000000001},
                     int64_t{123456789012345}, -int64_t{42000}}) {
    const Duration d = Duration::from_ns(ns);
    EXPECT_EQ(Duration::parse(d.to_string()), d) << d.to_string();
  }
}

TEST(Duration, ErrorsSayWhatAndWhere) {
  auto position_of = [](const char* text) -> size_t {
    try {
      Duration::parse(text);
    } catch (const TimeParseError& e) {
      return e.position();
    }
    ADD_FAILURE() << text << " parsed without error";
    return 0;
  };
  EXPECT_EQ(position_of("12"), 2u);     // missing unit at the end
  EXPECT_EQ(position_of("3x"), 1u);     // unknown unit
  EXPECT_EQ(position_of("h"), 0u);      // no number
  EXPECT_EQ(position_of(""), 0u);       // empty
  EXPECT_EQ(position_of("1.h"), 2u);    // no digits after the point
  EXPECT_EQ(position_of("5 s x"), 4u);  // trailing garbage
  try {
    Duration::parse("3 parsecs");
    FAIL();
  } catch (const TimeParseError& e) {
    EXPECT_NE(std::string(e.what()).find("\"3 parsecs\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("unknown unit"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("character 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Duration::parse("300y"), TimeParseError);  // beyond 292 years
}

TEST(SimTime, ArithmeticWithDurations) {
  const SimTime t = SimTime::zero() + 3_d;
  EXPECT_EQ(t - SimTime::zero(), 72_h);
  EXPECT_EQ((t + 12_h).to_string(), "3.5d");
  EXPECT_LT(t, t + 1_ns);
  EXPECT_EQ(SimTime::parse("1d"), SimTime::zero() + 24_h);
  EXPECT_DOUBLE_EQ((90_min).hours(), 1.5);
}

}  // namespace
}  // namespace tradesim::sim
