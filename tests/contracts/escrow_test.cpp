// Escrow / letter of credit: funding, milestones, proof of delivery (scan at the destination and
// a clean temperature record), dispute window, arbiter, refund on expiry.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/contracts/fixtures.hpp"

namespace tradesim::contracts {
namespace {

using namespace testing;
constexpr uint64_t kBuyer = 10, kSeller = 11, kArbiter = 12, kEscrow = 200, kTag = 555;
constexpr int64_t kAmount = 10'000;

struct EscrowTest : ::testing::Test {
  Ledger l;
  void SetUp() override {
    l.state.set_balance(kBuyer, 1'000'000);
    l.state.set_balance(kSeller, 1'000'000);
    l.state.set_balance(kArbiter, 1'000'000);
    l.deploy("escrow", kEscrow,
             {{"buyer", "10"},
              {"seller", "11"},
              {"amount", std::to_string(kAmount)},
              {"tag", std::to_string(kTag)},
              {"scanner_key", key_hex(kScanner)},
              {"sensor", std::to_string(kSensor)},
              {"sensor_key", key_hex(kSensor)},
              {"min_readings", "2"},
              {"milestones", "3000"},
              {"deadline_ns", std::to_string(10 * kDayNs)},
              {"dispute_window_ns", std::to_string(3 * kDayNs)},
              {"arbiter", "12"}});
  }
  void fund() { ASSERT_TRUE(l.call(kBuyer, kEscrow, "fund", {}, kAmount).ok()); }
  std::string status() { return l.query(kEscrow, "status"); }
};

TEST_F(EscrowTest, OnlyTheBuyerFundsWithExactlyTheAmount) {
  EXPECT_EQ(l.call(kSeller, kEscrow, "fund", {}, kAmount).reason, "only the buyer funds");
  EXPECT_EQ(l.call(kBuyer, kEscrow, "fund", {}, kAmount - 1).reason, "attach exactly the amount");
  EXPECT_EQ(l.state.balance(kEscrow), 0);  // the value of a refused call went back
  fund();
  EXPECT_EQ(status(), "funded");
  EXPECT_EQ(l.state.balance(kEscrow), kAmount);
}

TEST_F(EscrowTest, MilestoneThenCleanDeliveryReleasesAfterTheDisputeWindow) {
  fund();
  const int64_t seller0 = l.state.balance(kSeller);
  ASSERT_TRUE(l.call(kBuyer, kEscrow, "milestone", {uint64_t{0}}).ok());
  EXPECT_EQ(l.state.balance(kSeller), seller0 + 3'000);  // 30% of 10,000
  EXPECT_EQ(l.call(kBuyer, kEscrow, "milestone", {uint64_t{0}}).reason, "milestone already paid");

  const Evidence e =
      anchor_evidence(l.state, {4.0, 5.5, 7.9}, kTag, sensors::Checkpoint::kPortOfDischarge);
  l.now_ns = 5 * kDayNs;
  const CallResult d = l.call(kSeller, kEscrow, "deliver", e.delivery());
  ASSERT_TRUE(d.ok()) << d.reason;
  EXPECT_EQ(d.output, "delivered");
  // One scan and three readings verified: at least four signature checks.
  EXPECT_GT(d.gas_used, 4 * gas::kVerifySignature);
  l.now_ns = 7 * kDayNs;  // two days later: still inside the three-day window
  EXPECT_EQ(l.call(kSeller, kEscrow, "release").reason, "dispute window still open");
  l.now_ns = 8 * kDayNs;
  const CallResult r = l.call(kSeller, kEscrow, "release");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(status(), "released");
  EXPECT_EQ(r.events.back().data, "7000");  // the rest after the 3,000 milestone
  EXPECT_EQ(l.state.balance(kEscrow), 0);
}

TEST_F(EscrowTest, ExcursionRefusesDeliveryAndIsRecordedThenRefundAfterExpiry) {
  fund();
  const Evidence e =
      anchor_evidence(l.state, {5.0, 9.5, 6.0}, kTag, sensors::Checkpoint::kPortOfDischarge);
  const CallResult d = l.call(kSeller, kEscrow, "deliver", e.delivery());
  ASSERT_TRUE(d.ok()) << d.reason;
  EXPECT_EQ(d.output, "refused");
  EXPECT_EQ(l.state.get(storage_key(kEscrow, "excursions")), "1");
  EXPECT_EQ(status(), "funded");
  EXPECT_EQ(l.call(kBuyer, kEscrow, "refund").reason, "deadline not passed");
  l.now_ns = 10 * kDayNs + 1;
  const int64_t buyer0 = l.state.balance(kBuyer);
  const CallResult r = l.call(kBuyer, kEscrow, "refund");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(l.state.balance(kBuyer), buyer0 + kAmount - static_cast<int64_t>(r.gas_used));
  EXPECT_EQ(status(), "refunded");
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", e.delivery()).reason, "not funded");
}

TEST_F(EscrowTest, RefundAfterMilestoneReturnsOnlyTheRest) {
  fund();
  ASSERT_TRUE(l.call(kBuyer, kEscrow, "milestone", {uint64_t{0}}).ok());
  l.now_ns = 11 * kDayNs;
  const Evidence e =
      anchor_evidence(l.state, {5.0, 6.0}, kTag, sensors::Checkpoint::kPortOfDischarge);
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", e.delivery()).reason, "deadline passed");
  const CallResult r = l.call(kSeller, kEscrow, "refund");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].data, "7000");  // 10,000 - the 3,000 milestone
}

TEST_F(EscrowTest, DeliveryProofMustBeTheRightScanAndEnoughValidReadings) {
  fund();
  const Evidence elsewhere =
      anchor_evidence(l.state, {5.0, 6.0}, kTag, sensors::Checkpoint::kCustoms, 1);
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", elsewhere.delivery()).reason,
            "scan not at the destination");
  const Evidence other_tag =
      anchor_evidence(l.state, {5.0, 6.0}, kTag + 1, sensors::Checkpoint::kPortOfDischarge, 2);
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", other_tag.delivery()).reason,
            "scan of another tag");
  const Evidence one =
      anchor_evidence(l.state, {5.0}, kTag, sensors::Checkpoint::kPortOfDischarge, 3);
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", one.delivery()).reason, "too few readings");
  const Evidence good =
      anchor_evidence(l.state, {5.0, 6.0}, kTag, sensors::Checkpoint::kPortOfDischarge, 4);
  std::vector<Value> tampered = good.delivery().values();
  std::get<Bytes>(tampered[2])[8 + 8 + 1 + 8] ^= 0x40;  // the first reading's temperature bits
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", Args(tampered)).reason, "reading: bad_proof");
  EXPECT_EQ(status(), "funded");
  EXPECT_TRUE(l.call(kSeller, kEscrow, "deliver", good.delivery()).ok());
  EXPECT_EQ(status(), "delivered");
}

TEST_F(EscrowTest, DisputeWithinTheWindowThenTheArbiterSplits) {
  fund();
  const Evidence e =
      anchor_evidence(l.state, {5.0, 6.0}, kTag, sensors::Checkpoint::kPortOfDischarge);
  l.now_ns = kDayNs;
  ASSERT_TRUE(l.call(kSeller, kEscrow, "deliver", e.delivery()).ok());
  EXPECT_EQ(l.call(kSeller, kEscrow, "dispute").reason, "only the buyer disputes");
  ASSERT_TRUE(l.call(kBuyer, kEscrow, "dispute").ok());
  l.now_ns = 9 * kDayNs;
  EXPECT_EQ(l.call(kSeller, kEscrow, "release").reason, "not delivered");
  EXPECT_EQ(l.call(kBuyer, kEscrow, "resolve", {uint64_t{2'500}}).reason,
            "only the arbiter resolves");
  const CallResult r = l.call(kArbiter, kEscrow, "resolve", {uint64_t{2'500}});
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.events.back().data, "2500 7500");  // 25% of the 10,000 to the seller
  EXPECT_EQ(l.state.balance(kEscrow), 0);
}

TEST_F(EscrowTest, DisputeAfterTheWindowRefused) {
  fund();
  const Evidence e =
      anchor_evidence(l.state, {5.0, 6.0}, kTag, sensors::Checkpoint::kPortOfDischarge);
  ASSERT_TRUE(l.call(kSeller, kEscrow, "deliver", e.delivery()).ok());
  l.now_ns = 3 * kDayNs;
  EXPECT_EQ(l.call(kBuyer, kEscrow, "dispute").reason, "dispute window closed");
}

}  // namespace
}  // namespace tradesim::contracts

namespace tradesim::contracts {
namespace {

TEST_F(EscrowTest, NaNReadingsAreNotCleanAndNoArbiterMeansNoDispute) {
  fund();
  // A reading that is not a number is not a clean record.
  const Evidence nan =
      anchor_evidence(l.state, {5.0, std::nan("")}, kTag, sensors::Checkpoint::kPortOfDischarge);
  l.now_ns = kDayNs;
  const CallResult d = l.call(kSeller, kEscrow, "deliver", nan.delivery());
  EXPECT_NE(d.output, "delivered");
  // An escrow without an arbiter refuses disputes (nobody could resolve them).
  Ledger other;
  other.state.set_balance(kBuyer, 1'000'000);
  other.deploy("escrow", kEscrow + 1,
               {{"buyer", "10"},
                {"seller", "11"},
                {"amount", "100"},
                {"tag", "1"},
                {"scanner_key", key_hex(kScanner)},
                {"sensor", std::to_string(kSensor)},
                {"sensor_key", key_hex(kSensor)},
                {"deadline_ns", std::to_string(kDayNs)}});
  ASSERT_TRUE(other.call(kBuyer, kEscrow + 1, "fund", {}, 100).ok());
  EXPECT_EQ(other.call(kBuyer, kEscrow + 1, "dispute").reason,
            "no arbiter: disputes are not possible");
}

}  // namespace
}  // namespace tradesim::contracts
