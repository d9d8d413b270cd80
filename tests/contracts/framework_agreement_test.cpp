// The framework supply agreement: penalties per day late (rounded up) and for goods out of spec,
// capped, paid from the bond in the delivery call, once per order, only by the parties; with a
// scanner key, the delivery is proven and dated by an anchored RFID scan; the bond's release.
#include "models/contracts/framework_agreement.hpp"

#include <gtest/gtest.h>

#include "tests/contracts/fixtures.hpp"

namespace tradesim::contracts {
namespace {

using namespace testing;
constexpr uint64_t kBuyer = 10, kSupplier = 11, kStranger = 12, kPort = 13, kAgreement = 600;

struct FrameworkTest : ::testing::Test {
  Ledger l;
  int64_t total0 = 0;
  void SetUp() override {
    l.state.set_balance(kBuyer, 1'000'000);
    l.state.set_balance(kSupplier, 1'000'000);
    l.state.set_balance(kStranger, 1'000'000);
    l.state.set_balance(kPort, 1'000'000);
    // 0.5% a day, capped at 10%, 5% for goods out of spec; a bond of 3,000.
    l.deploy("framework_agreement", kAgreement,
             {{"buyer", "10"},
              {"supplier", "11"},
              {"confirmer", "13"},
              {"penalty_per_day_bp", "50"},
              {"penalty_cap_bp", "1000"},
              {"defect_bp", "500"}});
    l.state.set_balance(kAgreement, 3'000);  // the bond, posted at genesis
    total0 = l.total();
  }
  void order(uint64_t id, int64_t value, int64_t due_ns) {
    const CallResult r = l.call(kBuyer, kAgreement, "order", {id, value, due_ns});
    ASSERT_TRUE(r.ok()) << r.reason;
  }
  std::string settlement(uint64_t id) { return l.query(kAgreement, "settlement", {id}); }
};

TEST(FrameworkPenalty, HandComputed) {
  // 10,000 value, 0.5%/day: 3 days late = 150; 2.5 days rounds up to 3; cap 10% = 1,000 after
  // 20 days; out of spec adds 5% = 500 on top of the capped lateness.
  EXPECT_EQ(framework_days_late(0, 0), 0);
  EXPECT_EQ(framework_days_late(10 * kDayNs, 12 * kDayNs + kDayNs / 2), 3);
  EXPECT_EQ(framework_penalty(10'000, 0, 3 * kDayNs, false, 50, 1000, 500), 150);
  EXPECT_EQ(framework_penalty(10'000, 0, 2 * kDayNs + 1, false, 50, 1000, 500), 150);
  EXPECT_EQ(framework_penalty(10'000, 0, 40 * kDayNs, false, 50, 1000, 500), 1'000);
  EXPECT_EQ(framework_penalty(10'000, 0, 40 * kDayNs, true, 50, 1000, 500), 1'500);
  EXPECT_EQ(framework_penalty(10'000, 5 * kDayNs, 4 * kDayNs, false, 50, 1000, 500), 0);
  EXPECT_EQ(framework_penalty(10'000, 5 * kDayNs, 4 * kDayNs, true, 50, 1000, 500), 500);
  // No overflow: 10^13 cents, 10 days at 100%/day capped at 100%.
  EXPECT_EQ(framework_penalty(10'000'000'000'000, 0, 10 * kDayNs, false, 10'000, 10'000, 0),
            10'000'000'000'000);
  // Days late between the extreme times: (2^64 - 1) ns is 213,503.98 days, rounded up.
  EXPECT_EQ(framework_days_late(INT64_MIN, INT64_MAX), 213'504);
  // 200% of the largest value does not fit in 64 bits; nor does a negative rate make sense.
  EXPECT_FALSE(framework_penalty(INT64_MAX, 0, kDayNs, false, 20'000, 20'000, 0).has_value());
  EXPECT_FALSE(framework_penalty(10'000, 0, kDayNs, false, -50, 1000, 500).has_value());
}

TEST_F(FrameworkTest, LateDeliveryPaysThePenaltyFromTheBondAtOnce) {
  order(1, 10'000, 10 * kDayNs);
  const int64_t buyer0 = l.state.balance(kBuyer);
  l.now_ns = 13 * kDayNs;  // 3 days late: 150
  const CallResult r = l.call(kBuyer, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}});
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(settlement(1), "3 150 150");
  EXPECT_EQ(l.state.balance(kBuyer) - buyer0 + static_cast<int64_t>(r.gas_used), 150);
  EXPECT_EQ(l.state.balance(kAgreement), 3'000 - 150);
  EXPECT_EQ(l.total(), total0);  // money is only moved
}

TEST_F(FrameworkTest, OnTimeDeliveryOwesNothing) {
  order(2, 10'000, 10 * kDayNs);
  l.now_ns = 10 * kDayNs;
  ASSERT_TRUE(l.call(kBuyer, kAgreement, "delivered", {uint64_t{2}, uint64_t{0}}).ok());
  EXPECT_EQ(settlement(2), "0 0 0");
  EXPECT_EQ(l.state.balance(kAgreement), 3'000);
}

TEST_F(FrameworkTest, PenaltyIsCappedByWhatIsLeftOfTheBond) {
  order(1, 20'000, 0);
  order(2, 20'000, 0);
  l.now_ns = 30 * kDayNs;  // capped at 10% = 2,000 each; out of spec +1,000
  ASSERT_TRUE(l.call(kBuyer, kAgreement, "delivered", {uint64_t{1}, uint64_t{1}}).ok());
  EXPECT_EQ(settlement(1), "30 3000 3000");
  ASSERT_TRUE(l.call(kBuyer, kAgreement, "delivered", {uint64_t{2}, uint64_t{0}}).ok());
  EXPECT_EQ(settlement(2), "30 2000 0");  // the bond is used up
  EXPECT_EQ(l.state.balance(kAgreement), 0);
  EXPECT_EQ(l.total(), total0);
}

TEST_F(FrameworkTest, NoDoubleSettlement) {
  order(1, 10'000, 0);
  l.now_ns = 2 * kDayNs;
  ASSERT_TRUE(l.call(kBuyer, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}}).ok());
  const CallResult again = l.call(kBuyer, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}});
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.reason, "order 1 already settled");
  EXPECT_EQ(l.state.balance(kAgreement), 3'000 - 100);
  EXPECT_FALSE(l.call(kBuyer, kAgreement, "order", {uint64_t{1}, int64_t{5}, int64_t{0}}).ok());
}

TEST_F(FrameworkTest, OnlyThePartiesAct) {
  EXPECT_FALSE(
      l.call(kStranger, kAgreement, "order", {uint64_t{1}, int64_t{10'000}, int64_t{0}}).ok());
  EXPECT_FALSE(
      l.call(kSupplier, kAgreement, "order", {uint64_t{1}, int64_t{10'000}, int64_t{0}}).ok());
  order(1, 10'000, 0);
  l.now_ns = 5 * kDayNs;
  EXPECT_FALSE(l.call(kStranger, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}}).ok());
  EXPECT_FALSE(l.call(kSupplier, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}}).ok());
  EXPECT_FALSE(l.call(kStranger, kAgreement, "release").ok());
  // The port of discharge's scanner may confirm; an unregistered order cannot be confirmed.
  EXPECT_FALSE(l.call(kPort, kAgreement, "delivered", {uint64_t{9}, uint64_t{0}}).ok());
  ASSERT_TRUE(l.call(kPort, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}}).ok());
  EXPECT_EQ(settlement(1), "5 250 250");
  EXPECT_EQ(l.total(), total0);
}

TEST_F(FrameworkTest, ReleaseOnlyWhenEveryOrderIsSettled) {
  order(1, 10'000, 0);
  EXPECT_FALSE(l.call(kSupplier, kAgreement, "release").ok());
  ASSERT_TRUE(l.call(kBuyer, kAgreement, "delivered", {uint64_t{1}, uint64_t{0}}).ok());
  const int64_t supplier0 = l.state.balance(kSupplier);
  const CallResult r = l.call(kSupplier, kAgreement, "release");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(l.state.balance(kSupplier) - supplier0 + static_cast<int64_t>(r.gas_used), 3'000);
  EXPECT_FALSE(l.call(kBuyer, kAgreement, "order", {uint64_t{2}, int64_t{10}, int64_t{0}}).ok());
}

// An agreement whose deliveries are proven by the receiving scanner kScanner's anchored scans.
constexpr uint64_t kScanned = 601;
constexpr auto kDock = sensors::Checkpoint::kWarehouse;

struct ScannedFrameworkTest : ::testing::Test {
  Ledger l;
  int64_t total0 = 0;
  void SetUp() override {
    for (uint64_t account : {kBuyer, kSupplier, kStranger}) l.state.set_balance(account, 1'000'000);
    deploy(kScanned, key_hex(kScanner));
    total0 = l.total();
  }
  // 0.5% a day, capped at 10%, 5% out of spec; a bond of 3,000 posted at genesis.
  void deploy(uint64_t account, const std::string& scanner_key) {
    l.deploy("framework_agreement", account,
             {{"buyer", "10"},
              {"supplier", "11"},
              {"scanner_key", scanner_key},
              {"penalty_per_day_bp", "50"},
              {"penalty_cap_bp", "1000"},
              {"defect_bp", "500"}});
    l.state.set_balance(account, 3'000);
  }
  void order(uint64_t id, int64_t value, int64_t due_ns, uint64_t agreement = kScanned) {
    const CallResult r = l.call(kBuyer, agreement, "order", {id, value, due_ns});
    ASSERT_TRUE(r.ok()) << r.reason;
  }
  // The scan of `tag` at `checkpoint` taken at scan_ns, anchored in batch `batch` (one reading
  // of kSensor shares the batch: the fixture anchors a record and a scan together).
  Evidence scan(uint64_t tag, int64_t scan_ns, uint64_t batch,
                sensors::Checkpoint checkpoint = kDock) {
    return anchor_evidence(l.state, {5.0}, tag, checkpoint, batch, scan_ns);
  }
  static Args proof(uint64_t id, const Evidence& e, uint64_t out_of_spec = 0) {
    return Args{id, out_of_spec, e.scan_proof(), e.anchor};
  }
  std::string settlement(uint64_t id) { return l.query(kScanned, "settlement", {id}); }
};

TEST_F(ScannedFrameworkTest, PenaltyIsDatedByTheScanNotByTheCall) {
  order(1, 10'000, 10 * kDayNs);
  order(2, 10'000, 10 * kDayNs);
  const Evidence late = scan(1, 13 * kDayNs, 1);    // 3 days late: 150 (0.5% x 3 of 10,000)
  const Evidence on_time = scan(2, 9 * kDayNs, 2);  // a day early: nothing
  // The buyer confirms a week after the scan, hoping for 10 days late (500): the scan's time
  // counts, and the buyer's word alone no longer settles anything.
  l.now_ns = 20 * kDayNs;
  EXPECT_EQ(l.call(kBuyer, kScanned, "delivered", {uint64_t{1}, uint64_t{0}}).reason,
            "a delivery is proven by a scan and its anchor");
  const int64_t buyer0 = l.state.balance(kBuyer);
  const CallResult r = l.call(kBuyer, kScanned, "delivered", proof(1, late));
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(settlement(1), "3 150 150");
  EXPECT_EQ(l.state.balance(kBuyer) - buyer0 + static_cast<int64_t>(r.gas_used), 150);
  // Anyone may submit the proof (here a stranger, a week and a half after the scan).
  l.now_ns = 30 * kDayNs;
  ASSERT_TRUE(l.call(kStranger, kScanned, "delivered", proof(2, on_time)).ok());
  EXPECT_EQ(settlement(2), "0 0 0");
  EXPECT_EQ(l.state.balance(kScanned), 3'000 - 150);
  // Settled once: the same proof again is refused, as a second word of the buyer was.
  EXPECT_EQ(l.call(kSupplier, kScanned, "delivered", proof(1, late)).reason,
            "order 1 already settled");
  EXPECT_EQ(l.total(), total0);  // money is only moved
}

TEST_F(ScannedFrameworkTest, OutOfSpecAddsTheDefectPenaltyToTheScannedLateness) {
  order(1, 10'000, 0);
  const Evidence e = scan(1, 2 * kDayNs, 1);
  l.now_ns = 3 * kDayNs;
  // The supplier, who pays, can neither declare the goods' quality nor settle before the
  // buyer's inspection window (2 days after the scan) has passed.
  EXPECT_EQ(l.call(kSupplier, kScanned, "delivered", proof(1, e, 1)).reason,
            "only the buyer or the confirmer declares goods out of spec");
  EXPECT_EQ(l.call(kSupplier, kScanned, "delivered", proof(1, e, 0)).reason,
            "the buyer's inspection window is open");
  ASSERT_TRUE(l.call(kBuyer, kScanned, "delivered", proof(1, e, 1)).ok());
  EXPECT_EQ(settlement(1), "2 600 600");  // 2 days x 0.5% + 5% of 10,000
  // A buyer who stays silent: after the window the supplier settles, as in spec.
  order(2, 10'000, 0);
  const Evidence f = scan(2, 4 * kDayNs, 2);
  l.now_ns = 6 * kDayNs;
  ASSERT_TRUE(l.call(kSupplier, kScanned, "delivered", proof(2, f, 0)).ok());
  EXPECT_EQ(settlement(2), "4 200 200");
}

// A scan proves a delivery of an order only if it was taken after the order was registered: a
// tag scanned beforehand (an empty crate sent ahead) would date the delivery early.
TEST_F(ScannedFrameworkTest, ScansFromBeforeTheOrderAreRefused) {
  const Evidence early = scan(1, kDayNs, 1);
  l.now_ns = 2 * kDayNs;
  order(1, 10'000, 2 * kDayNs);
  l.now_ns = 10 * kDayNs;
  EXPECT_EQ(l.call(kBuyer, kScanned, "delivered", proof(1, early)).reason, "scan before the order");
  const Evidence real = scan(1, 9 * kDayNs, 2);
  ASSERT_TRUE(l.call(kBuyer, kScanned, "delivered", proof(1, real)).ok());
  EXPECT_EQ(settlement(1), "7 350 350");
}

// With a term, orders are registered only before its end and the bond comes back only after it.
TEST_F(ScannedFrameworkTest, TheTermBoundsOrdersAndTheRelease) {
  constexpr uint64_t kTermed = 603;
  l.deploy("framework_agreement", kTermed,
           {{"buyer", "10"},
            {"supplier", "11"},
            {"scanner_key", key_hex(kScanner)},
            {"term_end_ns", std::to_string(30 * kDayNs)}});
  l.state.set_balance(kTermed, 3'000);
  EXPECT_EQ(l.call(kSupplier, kTermed, "release").reason, "the agreement's term is not over");
  l.now_ns = 30 * kDayNs;
  EXPECT_EQ(l.call(kBuyer, kTermed, "order", {uint64_t{1}, int64_t{10}, int64_t{0}}).reason,
            "the agreement's term is over");
  const CallResult r = l.call(kSupplier, kTermed, "release");
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.output, "3000");
}

TEST_F(ScannedFrameworkTest, WrongOrUnanchoredScansAreRefused) {
  order(1, 10'000, 0);
  l.now_ns = 5 * kDayNs;
  const Evidence other_tag = scan(2, kDayNs, 1);
  EXPECT_EQ(l.call(kSupplier, kScanned, "delivered", proof(1, other_tag)).reason,
            "scan of another tag");
  const Evidence elsewhere = scan(1, kDayNs, 2, sensors::Checkpoint::kPortOfLoading);
  EXPECT_EQ(l.call(kSupplier, kScanned, "delivered", proof(1, elsewhere)).reason,
            "scan not at the destination");
  // A batch that never reached the ledger: built in another state, its anchor unknown here.
  ledger::WorldState elsewhere_state;
  const Evidence unanchored = anchor_evidence(elsewhere_state, {5.0}, 1, kDock, 3, kDayNs);
  EXPECT_EQ(l.call(kSupplier, kScanned, "delivered", proof(1, unanchored)).reason,
            "scan: unknown_root");
  // A scan taken after the block that carries it.
  const Evidence future = scan(1, 6 * kDayNs, 4);
  EXPECT_EQ(l.call(kSupplier, kScanned, "delivered", proof(1, future)).reason,
            "scan later than the block");
  EXPECT_EQ(l.call(kSupplier, kScanned, "delivered",
                   {uint64_t{1}, uint64_t{0}, Bytes{1, 2, 3}, other_tag.anchor})
                .reason,
            "bad scan proof or scanner key");
  // A scan signed by kScanner, offered to an agreement that trusts another scanner's key.
  constexpr uint64_t kOtherDock = 602;
  deploy(kOtherDock, key_hex(kScanner + 1));
  order(1, 10'000, 0, kOtherDock);
  const Evidence good = scan(1, kDayNs, 5);
  EXPECT_EQ(l.call(kSupplier, kOtherDock, "delivered", proof(1, good)).reason,
            "scan: bad_signature");
  // Nothing was settled or paid by the refused calls; the right proof still settles.
  EXPECT_EQ(settlement(1), "");
  EXPECT_EQ(l.state.balance(kScanned), 3'000);
  ASSERT_TRUE(l.call(kSupplier, kScanned, "delivered", proof(1, good)).ok());
  EXPECT_EQ(settlement(1), "1 50 50");
}

TEST_F(ScannedFrameworkTest, ReleaseReturnsTheBondLeftToTheSupplierOnceNoOrderIsOpen) {
  order(1, 10'000, 0);
  order(2, 10'000, 0);
  const Evidence first = scan(1, 3 * kDayNs, 1), second = scan(2, 0, 2);
  l.now_ns = 6 * kDayNs;  // past the buyer's 2-day inspection window: anyone may settle
  ASSERT_TRUE(l.call(kStranger, kScanned, "delivered", proof(1, first)).ok());  // 150 paid
  EXPECT_EQ(l.call(kSupplier, kScanned, "release").reason, "orders still open");
  ASSERT_TRUE(l.call(kStranger, kScanned, "delivered", proof(2, second)).ok());  // on time
  EXPECT_EQ(l.call(kBuyer, kScanned, "release").reason, "only the supplier releases the bond");
  EXPECT_EQ(l.call(kStranger, kScanned, "release").reason, "only the supplier releases the bond");
  const int64_t supplier0 = l.state.balance(kSupplier);
  const CallResult r = l.call(kSupplier, kScanned, "release");
  ASSERT_TRUE(r.ok()) << r.reason;
  // 3,000 posted, 150 paid as a penalty: 2,850 back to the supplier, nothing left behind.
  EXPECT_EQ(r.output, "2850");
  EXPECT_EQ(l.state.balance(kSupplier) - supplier0 + static_cast<int64_t>(r.gas_used), 2'850);
  EXPECT_EQ(l.state.balance(kScanned), 0);
  EXPECT_EQ(l.call(kBuyer, kScanned, "order", {uint64_t{3}, int64_t{10}, int64_t{0}}).reason,
            "agreement closed");
  EXPECT_EQ(l.call(kSupplier, kScanned, "top_up", {}, 100).reason, "agreement closed");
  EXPECT_EQ(l.total(), total0);
}

}  // namespace
}  // namespace tradesim::contracts
