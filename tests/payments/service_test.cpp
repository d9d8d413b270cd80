// The payment service end to end: a test-only scenario section embeds the `payments:` keys,
// builds the service for three countries in different time zones, and adds importers that send
// PayRequests and exporters that receive PaymentCredited. Correspondent chains of 0 to 3
// intermediaries with fees and times computed by hand; settlement on a Raft consortium, credited
// after the commit and faster than the banks over a weekend; conservation of money on both paths;
// a ledger payment the gateway cannot fund; the error for a ledger without a consortium.
#include "models/payments/service.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "models/consensus/scenario.hpp"
#include "models/consensus/validator.hpp"
#include "sim/scenario.hpp"

namespace tradesim::payments {
namespace {

using namespace sim::literals;
namespace fs = std::filesystem;

// Sends each of its requests to its country's access node at its time.
class Importer : public sim::Node {
 public:
  struct Scheduled {
    sim::SimTime at;
    sim::NodeId access_node;
    PayRequest request;
  };
  explicit Importer(std::vector<Scheduled> requests) : requests_(std::move(requests)) {}
  void on_start(sim::Context& ctx) override {
    for (size_t i = 0; i < requests_.size(); ++i) ctx.set_timer(requests_[i].at - ctx.now(), i);
  }
  void on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) override {
    const Scheduled& s = requests_[tag];
    ctx.send(s.access_node, sim::Message::make(s.request, kPayRequestBytes));
  }

 private:
  std::vector<Scheduled> requests_;
};

class Exporter : public sim::Node {
 public:
  std::vector<std::pair<sim::SimTime, PaymentRecord>> credits;
  void on_message(sim::Context& ctx, sim::NodeId, const sim::Message& msg) override {
    if (const auto* c = msg.get_if<PaymentCredited>()) credits.emplace_back(ctx.now(), c->record);
  }
};

// A payment of the test: from an importer in one country to an exporter in another.
struct Payment {
  sim::SimTime at;
  std::string from, to;  // country codes
  Money amount;
  std::string currency;
  PaymentTerms terms = PaymentTerms::kInAdvance;
};

// Shanghai, New York, Rotterdam: UTC+8, UTC-5, UTC+1.
const std::vector<Country> kCountries = {{"CN", 8, "CNY"}, {"US", -5, "USD"}, {"NL", 1, "EUR"}};

// Time 0 is Monday 00:00 UTC (docs/payments.md).
sim::SimTime utc(int day, int hour, int minute = 0) {
  return sim::SimTime::zero() + static_cast<int64_t>(day) * 1_d + static_cast<int64_t>(hour) * 1_h +
         static_cast<int64_t>(minute) * 1_min;
}

struct Run {
  std::shared_ptr<PaymentService> service;
  std::map<std::string, Exporter*> exporters;  // by country
  std::map<std::string, sim::NodeId> exporter_ids;
  std::vector<PaymentRecord> records;  // as the exporters received them, in payment order
  std::vector<sim::SimTime> received;  // when each exporter got the PaymentCredited
  sim::MemoryRecorder recorder;
  sim::Diagnostics diagnostics;
  std::map<std::string, double> summary;
  std::map<std::string, int64_t> counters;
  std::vector<Money> fee_account;          // the fee account's balance at each validator
  std::map<std::string, Money> bank_fees;  // fees each bank earned, by node name
  Money ledger_balance_sum = 0;            // gateways' and fee account's balances at v0
  std::map<std::string, Money> gateway_balance;
};

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() / ("tradesim_service_" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }

 private:
  fs::path path_;
};

// Runs `yaml` (a scenario with a `paytest: {payments: ...}` section) with these payments until
// `until`. Payment i has id 100 + i; one importer and one exporter per country.
std::unique_ptr<Run> run(const std::string& yaml, const std::vector<Payment>& payments,
                         sim::SimTime until) {
  auto out = std::make_unique<Run>();
  Run* r = out.get();
  sim::Registry registry;
  consensus::register_model(registry);  // before the test section: the consortium is built first
  registry.add_field(
      "", sim::Field::object("paytest", "test-only: the payment service",
                             {sim::Field::object("payments", "the service", service_fields())},
                             /*implicit=*/false));
  registry.add_model(sim::ModelSpec{
      "paytest", "test-only", "paytest", [r, &payments](sim::World& world) {
        r->service = PaymentService::build(world, "paytest.payments", kCountries);
        if (!r->service) return;
        std::map<std::string, std::vector<Importer::Scheduled>> by_country;
        // Exporters first: their ids go into the requests.
        for (const Country& c : kCountries) {
          r->exporters[c.code] = &world.emplace<Exporter>("exporter-" + c.code, {}, 0);
          r->exporter_ids[c.code] = *world.find("exporter-" + c.code);
        }
        for (size_t i = 0; i < payments.size(); ++i) {
          const Payment& p = payments[i];
          by_country[p.from].push_back(
              {p.at, r->service->access_node(p.from),
               PayRequest{100 + i, r->exporter_ids.at(p.to), p.to, p.amount, p.currency, p.terms}});
        }
        for (const Country& c : kCountries) {
          world.emplace<Importer>("importer-" + c.code, {}, 0, by_country[c.code]);
        }
      }});
  TempDir dir;
  const std::string file = dir.write("s.yaml", yaml);
  const auto s = sim::load_scenario(registry, file, {}, r->diagnostics);
  if (!s) return out;
  sim::Engine engine(s->seed());
  engine.metrics().set_sink(&r->recorder);
  sim::World world(engine, *s, r->diagnostics);
  sim::build_world(registry, world);
  if (!r->diagnostics.empty()) return out;
  engine.run({.until = until});
  world.finish();
  engine.metrics().flush();
  for (const auto& [name, v] : engine.metrics().summary()) r->summary[name] = v.value;
  for (const auto& [name, c] : engine.metrics().counters()) r->counters[name] = c->value();
  std::map<uint64_t, std::pair<sim::SimTime, PaymentRecord>> by_id;
  for (const auto& [code, e] : r->exporters) {
    for (const auto& credit : e->credits) by_id[credit.second.id] = credit;
  }
  for (const auto& [id, credit] : by_id) {
    r->received.push_back(credit.first);
    r->records.push_back(credit.second);
  }
  for (const auto& [name, id] : world.names()) {
    if (auto* b = dynamic_cast<Bank*>(&engine.node(id))) r->bank_fees[name] = b->fees_earned();
  }
  const std::vector<sim::NodeId> validators = consensus::consortium_validators(world);
  for (sim::NodeId id : validators) {
    const auto& v = dynamic_cast<const consensus::Validator&>(engine.node(id));
    r->fee_account.push_back(v.state().balance(consensus::kFeeAccount));
  }
  if (!validators.empty()) {
    const ledger::WorldState& state =
        dynamic_cast<const consensus::Validator&>(engine.node(validators.front())).state();
    for (const Country& c : kCountries) {
      const sim::NodeId gateway = r->service->access_node(c.code);
      r->gateway_balance[c.code] = state.balance(gateway);
      r->ledger_balance_sum += state.balance(gateway);
    }
    r->ledger_balance_sum += state.balance(consensus::kFeeAccount);
  }
  return out;
}

// Deterministic banks: fixed processing (domestic 1 h, clearing 2 h), fixed fees (domestic
// 25.00, clearing 15.00), no compliance holds; domestic banks hold accounts only with the
// clearing bank of their own currency, so that chains are long.
std::string banks(const std::string& clearing_compliance = "compliance_probability: 0%") {
  return "scenario: {name: pay, duration: 30d, seed: 5}\n"
         "paytest:\n"
         "  payments:\n"
         "    correspondent:\n"
         "      correspondents: []\n"
         "      domestic: {fee_fixed: 2500, processing: 1h, processing_sigma: 0, "
         "compliance_probability: 0%}\n"
         "      clearing: {fee_fixed: 1500, processing: 2h, processing_sigma: 0, " +
         clearing_compliance + "}\n";
}
const std::string kBanks = banks();

TEST(PaymentService, CorrespondentChainsAcrossThreeTimeZones) {
  const Money amount = 10'000'000;  // 100,000.00
  const auto r = run(kBanks,
                     {{utc(0, 1), "CN", "US", amount, "USD"},
                      {utc(0, 1), "CN", "NL", amount, "EUR"},
                      {utc(0, 1), "CN", "NL", amount, "USD"},
                      {utc(0, 15), "US", "US", amount, "USD"}},
                     utc(14, 0));
  ASSERT_TRUE(r->diagnostics.empty()) << r->diagnostics.to_string();
  ASSERT_EQ(r->records.size(), 4u);
  // Routes by hand: bank-CN holds an account only with clearing-CNY, bank-US with clearing-USD,
  // bank-NL with clearing-EUR; the clearing banks with each other.
  // 100: CN -> US in USD: bank-CN, clearing-CNY, clearing-USD, bank-US.
  // 101: CN -> NL in EUR: bank-CN, clearing-CNY, clearing-EUR, bank-NL.
  // 102: CN -> NL in USD must pass a USD clearer: bank-CN, clearing-CNY, clearing-USD,
  //      clearing-EUR, bank-NL.
  // 103: US -> US: bank-US alone.
  const std::vector<uint32_t> intermediaries{2, 2, 3, 0};
  // SHA: the originator's bank bills its 25.00 to the originator; every later bank deducts its
  // fee (15.00 per clearing bank, 25.00 at the beneficiary's bank) from the amount.
  const std::vector<Money> fees{2500 + 2 * 1500 + 2500, 2500 + 2 * 1500 + 2500,
                                2500 + 3 * 1500 + 2500, 2500};
  for (size_t i = 0; i < 4; ++i) {
    const PaymentRecord& p = r->records[i];
    SCOPED_TRACE(p.id);
    EXPECT_EQ(p.id, 100 + i);
    EXPECT_EQ(p.settlement, Settlement::kCorrespondent);
    EXPECT_EQ(p.intermediaries, intermediaries[i]);
    EXPECT_EQ(p.hops, i == 3 ? 0u : intermediaries[i] + 1);
    EXPECT_EQ(p.fees, fees[i]);
    EXPECT_EQ(p.amount_sent, amount + 2500);
    EXPECT_EQ(p.amount_received, amount + 2500 - fees[i]);
    EXPECT_EQ(p.amount_sent, p.amount_received + p.fees);
  }
  // Times by hand for 100, initiated Monday 01:00 UTC (09:00 in Shanghai):
  //   bank-CN (UTC+8) works 09:00-10:00 local = 02:00 UTC;
  //   clearing-CNY (UTC+8) 10:00-12:00 local = 04:00 UTC;
  //   clearing-USD (UTC-5) receives it Sunday 23:00 local, a weekend: works Monday 09:00-11:00
  //   local = 16:00 UTC;
  //   bank-US (UTC-5) 11:00-12:00 local: credited Monday 17:00 UTC, 16 h after initiation.
  EXPECT_EQ(r->records[0].initiated, utc(0, 1));
  EXPECT_EQ(r->records[0].credited, utc(0, 17));
  // 101: clearing-CNY done 04:00 UTC as above; clearing-EUR (UTC+1) 05:00-07:00 local... it
  // arrives 05:00 local, before opening: works 09:00-11:00 local = 10:00 UTC; bank-NL 11:00-
  // 12:00 local: credited Monday 11:00 UTC, 10 h.
  EXPECT_EQ(r->records[1].credited, utc(0, 11));
  // 102: clearing-USD done Monday 16:00 UTC (as for 100); clearing-EUR receives it 17:00 local,
  // after its cut-off: Tuesday 09:00-11:00 local; bank-NL 11:00-12:00 local = Tuesday 11:00 UTC.
  EXPECT_EQ(r->records[2].credited, utc(1, 11));
  // 103: Monday 10:00 in New York, one hour of work: 11:00 local = 16:00 UTC.
  EXPECT_EQ(r->records[3].credited, utc(0, 16));
  // The exporters heard of it at that instant (one site, no network delay).
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(r->received[i], r->records[i].credited);

  // The run file: one row per payment, counters and summaries.
  const auto& table = r->recorder.table("payments");
  ASSERT_EQ(table.size(), 14u);  // columns
  // In order of credit: 101 (Monday 11:00), 103 (16:00), 100 (17:00), 102 (Tuesday).
  EXPECT_EQ(table[0].ints, (std::vector<int64_t>{101, 103, 100, 102}));
  EXPECT_EQ(table[12].ints, (std::vector<int64_t>{2, 0, 2, 3}));  // intermediaries
  EXPECT_EQ(r->summary.at("payments.count"), 4);
  // Times to credit 16 h, 10 h, 34 h, 1 h: median (rank 0.5 x 3 = 1.5, rounded to 2) 16 h.
  EXPECT_DOUBLE_EQ(r->summary.at("payments.time_to_credit_median"), 16);
  EXPECT_DOUBLE_EQ(r->summary.at("payments.time_to_credit_p95"), 34);
  EXPECT_DOUBLE_EQ(r->summary.at("payments.fees_total"), 8000 + 8000 + 9500 + 2500);
  EXPECT_DOUBLE_EQ(r->summary.at("payments.fees_mean"), 28000.0 / 4);
  EXPECT_EQ(r->counters.at("payments.requests"), 4);
  EXPECT_EQ(r->counters.at("payments.rejections"), 0);
  EXPECT_EQ(r->counters.at("payments.compliance_holds"), 0);
}

// Every clearing bank holds every payment for a one-hour review: one hold per intermediary, and
// the hour shows only where it is not absorbed by waiting for a bank to open.
TEST(PaymentService, ComplianceHoldsAtEveryIntermediary) {
  const Money amount = 10'000'000;
  const auto r = run(
      banks("compliance_probability: 100%, compliance_delay: 1h"),
      {{utc(0, 1), "CN", "US", amount, "USD"}, {utc(0, 1), "CN", "NL", amount, "EUR"}}, utc(14, 0));
  ASSERT_TRUE(r->diagnostics.empty()) << r->diagnostics.to_string();
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->counters.at("payments.compliance_holds"), 2 + 2);
  // CN -> US: clearing-CNY works 10:00-13:00 local (05:00 UTC); clearing-USD receives it at
  // 00:00 Monday in New York, works 09:00-12:00 local; bank-US 12:00-13:00 local = 18:00 UTC,
  // one hour later than without holds (the first hour was absorbed by the night in New York).
  EXPECT_EQ(r->records[0].credited, utc(0, 18));
  // CN -> NL: clearing-EUR receives it 06:00 local, works 09:00-12:00; bank-NL 12:00-13:00
  // local = 12:00 UTC, one hour later than without holds.
  EXPECT_EQ(r->records[1].credited, utc(0, 12));
}

// With the default relationships (every domestic bank also with the USD and EUR clearing banks)
// cross-border chains are shorter; a currency no bank clears has no route and is rejected.
TEST(PaymentService, DefaultCorrespondentsShortenChainsAndUnclearedCurrenciesAreRejected) {
  const auto r =
      run("scenario: {name: pay, duration: 30d}\n"
          "paytest: {payments: {correspondent: {clearing: {compliance_probability: 0%}, "
          "domestic: {compliance_probability: 0%}}}}\n",
          {{utc(0, 1), "CN", "US", 500'000, "USD"},
           {utc(0, 1), "CN", "NL", 500'000, "EUR"},
           {utc(0, 1), "US", "NL", 500'000, "CHF"}},
          utc(14, 0));
  ASSERT_TRUE(r->diagnostics.empty()) << r->diagnostics.to_string();
  ASSERT_EQ(r->records.size(), 2u);
  // bank-CN -> clearing-USD -> bank-US, and bank-CN -> clearing-USD -> bank-NL (bank-NL clears
  // EUR itself; the chain through clearing-EUR costs the same, and the lower ids win).
  EXPECT_EQ(r->records[0].intermediaries, 1u);
  EXPECT_EQ(r->records[1].intermediaries, 1u);
  EXPECT_EQ(r->counters.at("payments.rejections"), 1);
  EXPECT_EQ(r->counters.at("payments.requests"), 3);
}

// Money is neither made nor lost: with random processing times and compliance holds, over many
// payments, what originators paid equals what beneficiaries received plus the fees the banks
// earned, payment by payment and in total.
TEST(PaymentService, CorrespondentConservationOfMoney) {
  for (const uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    std::vector<Payment> payments;
    const std::vector<std::string> codes{"CN", "US", "NL"};
    const std::vector<std::string> currencies{"USD", "EUR", "CNY"};
    for (int i = 0; i < 60; ++i) {
      payments.push_back({utc(i / 10, (i * 7) % 24, i % 60), codes[i % 3], codes[(i / 3) % 3],
                          100'000 + 9'973 * i, currencies[(i / 9) % 3]});
    }
    const auto r = run("scenario: {name: pay, duration: 30d, seed: " + std::to_string(seed) +
                           "}\n"
                           "paytest: {payments: {charges: BEN, correspondent: "
                           "{clearing: {fee_rate: 0.1%, compliance_probability: 30%}}}}\n",
                       payments, utc(30, 0));
    ASSERT_TRUE(r->diagnostics.empty()) << r->diagnostics.to_string();
    ASSERT_EQ(r->records.size(), payments.size());
    Money sent = 0, received = 0, fees = 0, earned = 0;
    for (const PaymentRecord& p : r->records) {
      EXPECT_EQ(p.amount_sent, p.amount_received + p.fees) << p.id;
      sent += p.amount_sent;
      received += p.amount_received;
      fees += p.fees;
    }
    for (const auto& [name, f] : r->bank_fees) earned += f;
    EXPECT_EQ(sent, received + earned);
    EXPECT_EQ(fees, earned);
    EXPECT_EQ(r->summary.at("payments.fees_total"), static_cast<double>(earned));
    // 30 % of the payments that pass clearing banks are held at each: some holds, and every
    // hold was counted (holds happen only at clearing banks here: domestic default 2 % too).
    EXPECT_GT(r->counters.at("payments.compliance_holds"), 10);
  }
}

// Four Raft validators 10 ms apart, no load; the gateways at the first validator's site.
const std::string kConsortium =
    "network:\n"
    "  sites: [{name: s0}, {name: s1}, {name: s2}, {name: s3}]\n"
    "  links:\n"
    "    - {a: s0, b: s1, latency: 10ms}\n"
    "    - {a: s0, b: s2, latency: 10ms}\n"
    "    - {a: s0, b: s3, latency: 10ms}\n"
    "    - {a: s1, b: s2, latency: 10ms}\n"
    "    - {a: s1, b: s3, latency: 10ms}\n"
    "    - {a: s2, b: s3, latency: 10ms}\n"
    "consortium:\n"
    "  protocol: raft\n"
    "  validators: 4\n"
    "  placement: [s0, s1, s2, s3]\n"
    "  block: {interval: 50ms}\n"
    "  clients: {count: 0}\n"
    // Few heartbeats: the run spans days of simulated time.
    "  raft: {heartbeat: 2s, election_timeout_min: 5s, election_timeout_max: 10s}\n";

// The same payment, Shanghai to Rotterdam in USD, initiated Friday 16:00 UTC (Saturday 00:00 in
// Shanghai): the banks wait for Monday; the ledger settles it in well under a second.
TEST(PaymentService, LedgerCreditsAfterCommitAndBeatsTheBanksOverAWeekend) {
  const Money amount = 10'000'000;
  const std::vector<Payment> payments{{utc(4, 16), "CN", "NL", amount, "USD"},
                                      {utc(4, 16, 1), "NL", "US", 2'000'000, "EUR"}};
  const auto banks = run(kBanks, payments, utc(14, 0));
  ASSERT_TRUE(banks->diagnostics.empty()) << banks->diagnostics.to_string();
  ASSERT_EQ(banks->records.size(), 2u);
  // By hand: bank-CN works Monday 09:00-10:00 local (02:00 UTC), clearing-CNY to 12:00 local
  // (04:00 UTC), clearing-USD Monday 09:00-11:00 New York (16:00 UTC), clearing-EUR receives
  // it 17:00 local, after its cut-off: Tuesday 09:00-11:00 local, bank-NL 11:00-12:00 local:
  // Tuesday 11:00 UTC, 3 d 19 h after initiation.
  EXPECT_EQ(banks->records[0].credited, utc(8, 11));

  const Money gateway_balance = 1'000'000'000;
  const auto ledger =
      run("scenario: {name: pay, duration: 30d, seed: 5}\n" + kConsortium +
              "paytest:\n  payments: {settlement: ledger, site: s0, ledger: {fee: 3, "
              "gateway_balance: " +
              std::to_string(gateway_balance) + "}}\n",
          payments, utc(4, 16, 2));
  ASSERT_TRUE(ledger->diagnostics.empty()) << ledger->diagnostics.to_string();
  ASSERT_EQ(ledger->records.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const PaymentRecord& p = ledger->records[i];
    SCOPED_TRACE(p.id);
    EXPECT_EQ(p.settlement, Settlement::kLedger);
    EXPECT_EQ(p.initiated, payments[i].at);  // the importer shares the gateway's site
    EXPECT_EQ(p.intermediaries, 0u);
    EXPECT_EQ(p.fees, 3);
    EXPECT_EQ(p.amount_received, payments[i].amount);
    EXPECT_EQ(p.amount_sent, payments[i].amount + 3);
    // Credited after the commit: submission to f + 1 = 2 validators (0 or 10 ms), the Raft
    // leader's block within the 50 ms interval, replication (a 10 ms round trip) and the
    // commit notices back: at least 20 ms, well under a second.
    EXPECT_GT(p.settlement_time(), 20_ms);
    EXPECT_LT(p.settlement_time(), 1_s);
    // Faster than the banks by days.
    EXPECT_LT(p.settlement_time() * 1000, banks->records[i].settlement_time());
  }
  // Every validator committed the two payments: the gateways' balances moved, the fees went to
  // the fee account, and no money was made or lost (three gateways funded at genesis).
  EXPECT_EQ(ledger->fee_account, std::vector<Money>(4, 6));
  EXPECT_EQ(ledger->gateway_balance.at("CN"), gateway_balance - amount - 3);
  EXPECT_EQ(ledger->gateway_balance.at("NL"), gateway_balance + amount - 2'000'000 - 3);
  EXPECT_EQ(ledger->gateway_balance.at("US"), gateway_balance + 2'000'000);
  EXPECT_EQ(ledger->ledger_balance_sum, 3 * gateway_balance);
  EXPECT_EQ(ledger->summary.at("payments.count"), 2);
  EXPECT_LT(ledger->summary.at("payments.time_to_credit_p95"), 1.0 / 3600);
}

// A gateway whose account cannot pay: the ledger orders the payment but moves nothing, the
// validators say so in TxCommitted, and the gateway rejects it instead of crediting the payee.
TEST(PaymentService, LedgerPaymentTheGatewayCannotFundIsRejected) {
  const std::vector<Payment> payments{{utc(0, 1), "CN", "NL", 600'000, "USD"},
                                      {utc(0, 1, 1), "CN", "NL", 600'000, "USD"}};
  const auto r = run("scenario: {name: pay, duration: 1d, seed: 2}\n" + kConsortium +
                         "paytest:\n  payments: {settlement: ledger, site: s0, ledger: {fee: 1, "
                         "gateway_balance: 1000000}}\n",
                     payments, utc(0, 1, 2));
  ASSERT_TRUE(r->diagnostics.empty()) << r->diagnostics.to_string();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].id, 100u);
  EXPECT_EQ(r->counters.at("payments.rejections"), 1);
  EXPECT_EQ(r->gateway_balance.at("CN"), 1'000'000 - 600'000 - 1);
  EXPECT_EQ(r->gateway_balance.at("NL"), 1'000'000 + 600'000);
  EXPECT_EQ(r->ledger_balance_sum, 3 * 1'000'000);
}

TEST(PaymentService, LedgerWithoutAConsortiumIsAScenarioError) {
  const auto r =
      run("scenario: {name: pay, duration: 1d}\n"
          "paytest:\n"
          "  payments:\n"
          "    settlement: ledger\n",
          {}, utc(1, 0));
  ASSERT_EQ(r->diagnostics.size(), 1u) << r->diagnostics.to_string();
  const std::string message = r->diagnostics.items()[0].to_string();
  EXPECT_NE(message.find("s.yaml:4:17: paytest.payments.settlement: settlement: ledger needs a "
                         "`consortium` section"),
            std::string::npos)
      << message;
}

TEST(PaymentService, BadKeysAreReportedWithTheirPosition) {
  const auto r =
      run("scenario: {name: pay, duration: 1d}\n"
          "paytest:\n"
          "  payments:\n"
          "    correspondent:\n"
          "      correspondents: [USD, CHF]\n",
          {}, utc(1, 0));
  ASSERT_EQ(r->diagnostics.size(), 1u) << r->diagnostics.to_string();
  EXPECT_NE(r->diagnostics.items()[0].to_string().find(
                "s.yaml:5:29: paytest.payments.correspondent.correspondents.1: no clearing bank "
                "for CHF"),
            std::string::npos)
      << r->diagnostics.to_string();
}

}  // namespace
}  // namespace tradesim::payments
