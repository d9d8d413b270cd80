// Money conservation across the contract library: over a sequence of calls on every contract
// (successful, refused, reverted and out of gas), the sum over all accounts never changes: the
// contracts only move money, and gas goes to the fee account, where it is recorded.
#include <gtest/gtest.h>

#include "tests/contracts/fixtures.hpp"

namespace tradesim::contracts {
namespace {

using namespace testing;
constexpr uint64_t kBuyer = 10, kSeller = 11, kBank = 12, kEscrow = 200, kInvoices = 300,
                   kProvenance = 400, kAgreement = 500, kReputation = 600;

TEST(ContractConservation, SumOfBalancesConstantAcrossTheLibrary) {
  Ledger l;
  for (uint64_t a : {kBuyer, kSeller, kBank}) l.state.set_balance(a, 1'000'000);
  l.deploy("escrow", kEscrow,
           {{"buyer", "10"},
            {"seller", "11"},
            {"amount", "10000"},
            {"tag", "1"},
            {"scanner_key", key_hex(kScanner)},
            {"sensor", std::to_string(kSensor)},
            {"sensor_key", key_hex(kSensor)},
            {"milestones", "2000,3000"},
            {"deadline_ns", std::to_string(10 * kDayNs)},
            {"dispute_window_ns", "0"}});
  l.deploy("invoice_registry", kInvoices, {});
  l.deploy("provenance", kProvenance, {});
  l.deploy("supply_agreement", kAgreement,
           {{"buyer", "10"},
            {"supplier", "11"},
            {"quantity", "10"},
            {"unit_price", "100"},
            {"window_end_ns", std::to_string(kDayNs)},
            {"penalty_per_day", "70"},
            {"bond", "500"}});
  l.deploy("reputation", kReputation, {{"min_stake", "100"}});
  const int64_t total = l.total();
  const Evidence e = anchor_evidence(l.state, {5.0, 6.0}, 1, sensors::Checkpoint::kPortOfDischarge);
  const ledger::Digest h = ledger::Sha256().update("invoice").finish();
  const Bytes hash(h.begin(), h.end());

  struct Step {
    uint64_t sender, contract;
    std::string method;
    Args args;
    int64_t value;
    CallStatus expected = CallStatus::kOk;  // a refusal is a failed call, reverted
  };
  const std::vector<Step> steps{
      {kBuyer, kEscrow, "fund", {}, 9'999, CallStatus::kFailed},  // the value goes back
      {kBuyer, kEscrow, "fund", {}, 10'000},
      {kBuyer, kEscrow, "milestone", {uint64_t{1}}, 0},
      {kSeller, kEscrow, "deliver", e.delivery(), 0},
      {kSeller, kEscrow, "release", {}, 0},
      {kSeller, kReputation, "stake", {}, 100},
      {kBuyer, kReputation, "rate", {uint64_t{kEscrow}, uint64_t{5}}, 0},
      {kBank, kInvoices, "finance", {hash, kSeller}, 4'000},
      {kBuyer, kInvoices, "finance", {hash, kSeller}, 4'000},  // double financing, refused
      {kSeller, kProvenance, "register", {uint64_t{1}}, 0},
      {kSeller, kProvenance, "event", {uint64_t{1}, std::string("production")}, 0},
      {kSeller, kProvenance, "transfer", {uint64_t{1}, kBuyer}, 0},
      {kSeller, kAgreement, "post_bond", {}, 500},
      {kBuyer, kAgreement, "pay", {}, 1'000},
      {kSeller, kAgreement, "deliver", {uint64_t{9}}, 0},  // late: penalty, one unit short
  };
  int64_t gas_paid = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    l.now_ns = static_cast<int64_t>(i) * kDayNs;
    const CallResult r = l.call(s.sender, s.contract, s.method, s.args, s.value);
    gas_paid += static_cast<int64_t>(r.gas_used);
    EXPECT_EQ(r.status, s.expected) << "step " << i << " " << s.method << " " << r.reason;
    EXPECT_EQ(l.total(), total) << "step " << i << " " << s.method << " " << r.reason;
    EXPECT_EQ(l.state.balance(kFeeAccount), gas_paid) << "step " << i;  // gas price 1
  }
  // Out of gas in the middle of a registration (intrinsic 541 + a read 50 + the owner's write
  // 260 > 800): reverted, the whole limit paid.
  l.gas_limit = 800;
  const CallResult oog = l.call(kSeller, kProvenance, "register", {uint64_t{2}});
  EXPECT_EQ(oog.status, CallStatus::kOutOfGas);
  EXPECT_FALSE(l.state.get(storage_key(kProvenance, "item/2/owner")));
  EXPECT_EQ(l.total(), total);
  EXPECT_EQ(l.state.balance(kFeeAccount), gas_paid + 800);
  // Every contract paid out what it held, except the locked stake.
  EXPECT_EQ(l.state.balance(kEscrow), 0);
  EXPECT_EQ(l.state.balance(kAgreement), 0);
  EXPECT_EQ(l.state.balance(kInvoices), 0);
  EXPECT_EQ(l.state.balance(kReputation), 100);
}

}  // namespace
}  // namespace tradesim::contracts
