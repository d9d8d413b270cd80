// Provenance registry: owner-only events and transfers, the whole history on query, and
// counterfeits (a gap in the expected stages, an identity registered twice) flagged.
#include <gtest/gtest.h>

#include "tests/contracts/fixtures.hpp"

namespace tradesim::contracts {
namespace {

using namespace testing;
constexpr uint64_t kMaker = 10, kCarrier = 11, kShop = 12, kForger = 13, kRegistry = 400;

struct ProvenanceTest : ::testing::Test {
  Ledger l;
  void SetUp() override {
    for (uint64_t a : {kMaker, kCarrier, kShop, kForger}) l.state.set_balance(a, 1'000'000);
    l.deploy("provenance", kRegistry, {});
  }
  void ok(uint64_t who, std::string method, Args args) {
    const CallResult r = l.call(who, kRegistry, method, std::move(args));
    ASSERT_TRUE(r.ok()) << method << ": " << r.reason;
  }
};

TEST_F(ProvenanceTest, GenuineItemNotFlaggedAndHistoryComplete) {
  const uint64_t tag = 1;
  ok(kMaker, "register", {tag});
  ok(kMaker, "event", {tag, std::string("production")});
  ok(kMaker, "transfer", {tag, kCarrier});
  ok(kCarrier, "event", {tag, std::string("transport")});
  ok(kCarrier, "event", {tag, std::string("transport")});  // a second leg
  ok(kCarrier, "transfer", {tag, kShop});
  ok(kShop, "event", {tag, std::string("sale")});
  EXPECT_EQ(l.query(kRegistry, "suspect", {tag}), "");
  const std::string history = l.query(kRegistry, "history", {tag});
  EXPECT_EQ(std::count(history.begin(), history.end(), '\n'), 7);
  EXPECT_NE(history.find("transfer 11 12"), std::string::npos);
  EXPECT_NE(history.find("event 12 sale"), std::string::npos);
}

TEST_F(ProvenanceTest, ForgedHistoryWithAGapFlagged) {
  const uint64_t tag = 2;  // a counterfeit: "registered" and sold, never produced or shipped
  ok(kForger, "register", {tag});
  ok(kForger, "event", {tag, std::string("sale")});
  EXPECT_EQ(l.query(kRegistry, "suspect", {tag}), "gap");
}

TEST_F(ProvenanceTest, DuplicateIdentityFlagged) {
  const uint64_t tag = 3;
  ok(kMaker, "register", {tag});
  ok(kMaker, "event", {tag, std::string("production")});
  const CallResult dup = l.call(kForger, kRegistry, "register", {tag});  // a cloned tag
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup.events.at(0).name, "suspect");
  ok(kMaker, "event", {tag, std::string("transport")});
  ok(kMaker, "event", {tag, std::string("sale")});
  EXPECT_EQ(l.query(kRegistry, "suspect", {tag}), "duplicate");
  EXPECT_NE(l.query(kRegistry, "history", {tag}).find("register 13 duplicate"), std::string::npos);
}

TEST_F(ProvenanceTest, OnlyTheOwnerActs) {
  const uint64_t tag = 4;
  ok(kMaker, "register", {tag});
  EXPECT_EQ(l.call(kForger, kRegistry, "event", {tag, std::string("production")}).reason,
            "only the owner");
  EXPECT_EQ(l.call(kForger, kRegistry, "transfer", {tag, kForger}).reason, "only the owner");
  EXPECT_EQ(l.call(kMaker, kRegistry, "event", {uint64_t{99}, std::string("sale")}).reason,
            "unknown item");
  EXPECT_EQ(l.call(kMaker, kRegistry, "event", {tag, std::string("repair")}).reason,
            "unknown stage repair");
  ok(kMaker, "event", {tag, std::string("production")});
  EXPECT_EQ(l.query(kRegistry, "suspect", {tag}), "incomplete");  // not yet sold
  EXPECT_EQ(l.query(kRegistry, "suspect", {uint64_t{99}}), "unknown");
}

TEST(Provenance, OnlyListedProducersRegister) {
  Ledger l;
  for (uint64_t a : {kMaker, kShop, kForger}) l.state.set_balance(a, 1'000'000);
  l.deploy("provenance", kRegistry, {{"producers", "10,12"}});
  EXPECT_EQ(l.call(kForger, kRegistry, "register", {uint64_t{1}}).reason,
            "only a listed producer registers");
  EXPECT_EQ(l.query(kRegistry, "suspect", {uint64_t{1}}), "unknown");
  EXPECT_TRUE(l.call(kMaker, kRegistry, "register", {uint64_t{1}}).ok());
  EXPECT_TRUE(l.call(kShop, kRegistry, "register", {uint64_t{2}}).ok());
  EXPECT_EQ(l.query(kRegistry, "suspect", {uint64_t{1}}), "incomplete");
}

}  // namespace
}  // namespace tradesim::contracts
