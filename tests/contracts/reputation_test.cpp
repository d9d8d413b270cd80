// C2C reputation: ratings only from the buyer of a completed escrow trade, once per trade, with a
// staked seller; the score is weighted by trade value and the rater's history.
#include <gtest/gtest.h>

#include "tests/contracts/fixtures.hpp"

namespace tradesim::contracts {
namespace {

using namespace testing;
constexpr uint64_t kBuyer = 10, kSeller = 11, kStranger = 13, kReputation = 600;

struct ReputationTest : ::testing::Test {
  Ledger l;
  uint64_t next_escrow = 700;
  void SetUp() override {
    for (uint64_t a : {kBuyer, kSeller, kStranger}) l.state.set_balance(a, 10'000'000);
    l.deploy("reputation", kReputation, {{"min_stake", "1000"}});
  }
  // An escrow trade between kBuyer and kSeller, taken to `released` (or only funded).
  uint64_t trade(int64_t amount, bool complete = true) {
    const uint64_t escrow = next_escrow++;
    l.deploy("escrow", escrow,
             {{"buyer", "10"},
              {"seller", "11"},
              {"amount", std::to_string(amount)},
              {"tag", std::to_string(escrow)},
              {"scanner_key", key_hex(kScanner)},
              {"sensor", std::to_string(kSensor)},
              {"sensor_key", key_hex(kSensor)},
              {"deadline_ns", std::to_string(1000 * kDayNs)},
              {"dispute_window_ns", "0"}});
    EXPECT_TRUE(l.call(kBuyer, escrow, "fund", {}, amount).ok());
    if (!complete) return escrow;
    const Evidence e =
        anchor_evidence(l.state, {5.0}, escrow, sensors::Checkpoint::kPortOfDischarge, escrow);
    EXPECT_TRUE(l.call(kSeller, escrow, "deliver", e.delivery()).ok());
    EXPECT_TRUE(l.call(kSeller, escrow, "release").ok());
    return escrow;
  }
  CallResult rate(uint64_t who, uint64_t escrow, uint64_t stars) {
    return l.call(who, kReputation, "rate", {escrow, stars});
  }
};

TEST_F(ReputationTest, RatingsOnlyFromCompletedTradesWithAStakedSeller) {
  const uint64_t done = trade(1'000);
  EXPECT_EQ(rate(kBuyer, done, 5).reason, "seller has no stake");
  ASSERT_TRUE(l.call(kSeller, kReputation, "stake", {}, 1'000).ok());
  EXPECT_EQ(l.query(kReputation, "stake_of", {kSeller}), "1000");
  EXPECT_EQ(rate(kStranger, done, 1).reason, "only the trade's buyer rates");
  EXPECT_EQ(rate(kBuyer, trade(1'000, false), 5).reason, "trade not completed");
  EXPECT_EQ(rate(kBuyer, kReputation, 5).reason, "not an escrow contract");
  EXPECT_EQ(rate(kBuyer, done, 6).reason, "score is 1 to 5");
  ASSERT_TRUE(rate(kBuyer, done, 4).ok());
  EXPECT_EQ(rate(kBuyer, done, 5).reason, "trade already rated");  // one rating per trade
  EXPECT_EQ(l.query(kReputation, "score", {kSeller}), "4000");
}

// A buyer refunded because the seller's goods were proven spoiled may rate that trade; a refund
// after the deadline (the buyer chose seller and deadline, and got its money back) may not.
TEST_F(ReputationTest, SpoiledRefundsCountDeadlineRefundsDoNot) {
  ASSERT_TRUE(l.call(kSeller, kReputation, "stake", {}, 1'000).ok());
  const uint64_t spoiled = trade(3'000, false);
  const Evidence warm = anchor_evidence(l.state, {5.0, 15.0, 5.0}, spoiled,
                                        sensors::Checkpoint::kPortOfDischarge, spoiled);
  ASSERT_EQ(l.call(kSeller, spoiled, "deliver", warm.delivery()).output, "refused");
  EXPECT_EQ(rate(kBuyer, spoiled, 1).reason, "trade not completed");  // spoiled, not refunded
  ASSERT_TRUE(l.call(kBuyer, spoiled, "refund").ok());
  ASSERT_TRUE(rate(kBuyer, spoiled, 1).ok());
  EXPECT_EQ(l.query(kReputation, "score", {kSeller}), "1000");
  const uint64_t never = trade(2'000, false);
  l.now_ns = 1001 * kDayNs;  // past the deadline
  ASSERT_TRUE(l.call(kBuyer, never, "refund").ok());
  EXPECT_EQ(rate(kBuyer, never, 1).reason, "trade not completed");
}

TEST_F(ReputationTest, ScoreWeightedByTradeValueAndRaterHistory) {
  ASSERT_TRUE(l.call(kSeller, kReputation, "stake", {}, 5'000).ok());
  ASSERT_TRUE(rate(kBuyer, trade(1'000), 1).ok());  // weight 1,000 x 1
  ASSERT_TRUE(rate(kBuyer, trade(3'000), 5).ok());  // weight 3,000 x 2 (one rating before)
  // (1 x 1,000 + 5 x 6,000) / 7,000 = 4.428..., in thousandths (integer division): 4428.
  EXPECT_EQ(l.query(kReputation, "score", {kSeller}), "4428");
  EXPECT_EQ(l.query(kReputation, "score", {kStranger}), "0");
}

}  // namespace
}  // namespace tradesim::contracts
