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
  EXPECT_EQ(status(), "spoiled");  // sticky: no second delivery with a better record
  const Evidence clean =
      anchor_evidence(l.state, {5.0, 6.0}, kTag, sensors::Checkpoint::kPortOfDischarge, 2);
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", clean.delivery()).reason,
            "spoiled: a delivery was refused for excursions");
  // The seller may not refund before the deadline; the buyer takes the money back at once.
  EXPECT_EQ(l.call(kSeller, kEscrow, "refund").reason, "deadline not passed");
  const int64_t buyer0 = l.state.balance(kBuyer);
  const CallResult r = l.call(kBuyer, kEscrow, "refund");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(l.state.balance(kBuyer), buyer0 + kAmount - static_cast<int64_t>(r.gas_used));
  EXPECT_EQ(status(), "refunded");
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", e.delivery()).reason, "not funded");
}

TEST_F(EscrowTest, UndeliveredRefundOnlyAfterTheDeadline) {
  fund();
  EXPECT_EQ(l.call(kBuyer, kEscrow, "refund").reason, "deadline not passed");
  l.now_ns = 10 * kDayNs + 1;
  EXPECT_TRUE(l.call(kSeller, kEscrow, "refund").ok());
  EXPECT_EQ(status(), "refunded");
}

TEST_F(EscrowTest, ReadingsMustBeConsecutiveAndCoverFundingToTheScan) {
  fund();  // at time 0; max_gap_ns defaults to 1 h
  // Skipping reading 2 (seq 1, 3): a gap in the record, where an excursion could hide.
  const Evidence e =
      anchor_evidence(l.state, {5.0, 9.9, 6.0}, kTag, sensors::Checkpoint::kPortOfDischarge, 1);
  std::vector<Value> skip = e.delivery().values();
  skip.erase(skip.begin() + 4, skip.begin() + 6);
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", Args(skip)).reason,
            "readings must have consecutive sequence numbers");
  // A record that starts 2 h after funding (readings at 2 h and 2 h + 1 min).
  const Evidence late = anchor_evidence(
      l.state, {5.0, 6.0}, kTag, sensors::Checkpoint::kPortOfDischarge, 2, 7'200'000'000'000);
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", late.delivery()).reason,
            "the record starts too late");
  // A record that ends 2 h before the scan: the first two readings of a batch whose scan is at
  // the third (at 1 min, 2 h 1 min, 4 h 1 min).
  const Evidence early =
      anchor_evidence(l.state, {5.0, 6.0, 7.0}, kTag, sensors::Checkpoint::kPortOfDischarge, 3,
                      60'000'000'000, 7'200'000'000'000);
  std::vector<Value> cut = early.delivery().values();
  cut.resize(6);  // scan, anchor, readings 1 and 2
  EXPECT_EQ(l.call(kSeller, kEscrow, "deliver", Args(cut)).reason, "the record ends too early");
  EXPECT_EQ(status(), "funded");
  EXPECT_TRUE(l.call(kSeller, kEscrow, "deliver", early.delivery()).ok());
}

TEST_F(EscrowTest, SpoiledGoodsCanBeDisputedAndAnUnresolvedDisputeExpiresToTheBuyer) {
  fund();
  const Evidence e =
      anchor_evidence(l.state, {5.0, 12.0}, kTag, sensors::Checkpoint::kPortOfDischarge);
  l.now_ns = kDayNs;
  ASSERT_EQ(l.call(kSeller, kEscrow, "deliver", e.delivery()).output, "refused");
  ASSERT_TRUE(l.call(kBuyer, kEscrow, "dispute").ok());  // days after the refusal: no window
  EXPECT_EQ(status(), "disputed");
  // The arbiter has 30 days (the default arbiter_timeout_ns).
  l.now_ns = kDayNs + 30 * kDayNs - 1;
  EXPECT_EQ(l.call(kSeller, kEscrow, "expire_dispute").reason, "the arbiter may still resolve");
  l.now_ns = kDayNs + 30 * kDayNs;
  const int64_t buyer0 = l.state.balance(kBuyer);
  const CallResult r = l.call(kSeller, kEscrow, "expire_dispute");  // anyone may close it
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(status(), "expired");
  EXPECT_EQ(l.state.balance(kBuyer), buyer0 + kAmount);  // the seller paid the gas
  EXPECT_EQ(l.call(kArbiter, kEscrow, "resolve", {uint64_t{5'000}}).reason, "not disputed");
}

TEST_F(EscrowTest, GoodsWithoutAColdChainAreDeliveredByTheScanAlone) {
  Ledger dry;
  dry.state.set_balance(kBuyer, 1'000'000);
  dry.state.set_balance(kSeller, 1'000'000);
  dry.deploy("escrow", kEscrow,
             {{"buyer", "10"},
              {"seller", "11"},
              {"amount", "100"},
              {"tag", std::to_string(kTag)},
              {"scanner_key", key_hex(kScanner)},
              {"deadline_ns", std::to_string(kDayNs)}});
  ASSERT_TRUE(dry.call(kBuyer, kEscrow, "fund", {}, 100).ok());
  const Evidence e = anchor_evidence(dry.state, {5.0}, kTag, sensors::Checkpoint::kPortOfDischarge);
  EXPECT_EQ(dry.call(kSeller, kEscrow, "deliver", e.delivery()).reason,
            "no sensor: the delivery is the scan only");
  const CallResult d = dry.call(kSeller, kEscrow, "deliver", {e.scan_proof(), e.anchor});
  ASSERT_TRUE(d.ok()) << d.reason;
  EXPECT_EQ(dry.query(kEscrow, "status"), "delivered");
}

TEST_F(EscrowTest, HugeAmountsFailInsteadOfOverflowing) {
  Ledger big;
  big.state.set_balance(kBuyer, INT64_MAX);
  big.deploy("escrow", kEscrow,
             {{"buyer", "10"},
              {"seller", "11"},
              {"amount", std::to_string(INT64_MAX / 2)},
              {"tag", "1"},
              {"scanner_key", key_hex(kScanner)},
              {"milestones", "5000"},
              {"deadline_ns", std::to_string(kDayNs)}});
  ASSERT_TRUE(big.call(kBuyer, kEscrow, "fund", {}, INT64_MAX / 2).ok());
  // amount x 5,000 basis points overflows int64: the call fails, nothing is paid.
  const CallResult r = big.call(kBuyer, kEscrow, "milestone", {uint64_t{0}});
  EXPECT_EQ(r.reason, "arithmetic overflow");
  EXPECT_EQ(big.state.balance(kSeller), 0);
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
