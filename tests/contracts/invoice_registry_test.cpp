// Invoice registry: an invoice is financed once; a second request is refused and recorded.
#include <gtest/gtest.h>

#include "tests/contracts/fixtures.hpp"

namespace tradesim::contracts {
namespace {

using namespace testing;
constexpr uint64_t kIssuer = 10, kBankA = 20, kBankB = 21, kRegistry = 300;

TEST(InvoiceRegistry, SecondFinancingRefusedAndRecorded) {
  Ledger l;
  for (uint64_t a : {kIssuer, kBankA, kBankB}) l.state.set_balance(a, 1'000'000);
  l.deploy("invoice_registry", kRegistry, {});
  const ledger::Digest h = ledger::Sha256().update("invoice 2026-0042").finish();
  const Bytes hash(h.begin(), h.end());
  const CallResult first = l.call(kBankA, kRegistry, "finance", {hash, kIssuer}, 80'000);
  ASSERT_TRUE(first.ok()) << first.reason;
  EXPECT_EQ(first.output, "financed");
  EXPECT_EQ(l.state.balance(kIssuer), 1'080'000);

  const int64_t bank_b = l.state.balance(kBankB);
  const CallResult second = l.call(kBankB, kRegistry, "finance", {hash, kIssuer}, 80'000);
  ASSERT_TRUE(second.ok()) << second.reason;  // refused, not reverted: the attempt is kept
  EXPECT_EQ(second.output, "refused");
  ASSERT_EQ(second.events.size(), 1u);
  EXPECT_EQ(second.events[0].name, "double_financing");
  EXPECT_EQ(l.state.balance(kIssuer), 1'080'000);  // not paid twice
  EXPECT_EQ(l.state.balance(kBankB), bank_b - static_cast<int64_t>(second.gas_used));
  EXPECT_EQ(l.state.balance(kRegistry), 0);
  // The same financier again is refused too.
  EXPECT_EQ(l.call(kBankA, kRegistry, "finance", {hash, kIssuer}, 80'000).output, "refused");
  EXPECT_EQ(l.query(kRegistry, "attempts", {hash}), "2");
  EXPECT_EQ(l.query(kRegistry, "financier", {hash}), "20");
  EXPECT_EQ(l.state.get(storage_key(kRegistry, "attempts/" + ledger::to_hex(hash) + "/1")), "21");

  const ledger::Digest other = ledger::Sha256().update("invoice 2026-0043").finish();
  EXPECT_EQ(
      l.call(kBankB, kRegistry, "finance", {Bytes(other.begin(), other.end()), kIssuer}, 50'000)
          .output,
      "financed");
  EXPECT_EQ(l.call(kBankB, kRegistry, "finance", {Bytes{1, 2, 3}, kIssuer}, 1).reason,
            "an invoice hash is 32 bytes");
}

}  // namespace
}  // namespace tradesim::contracts
