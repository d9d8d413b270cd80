// Builds a consortium (validators, clients) from the `consortium` section, registers the
// `byzantine` action, and records blocks, transactions, messages and safety to the run file.
#include "models/consensus/scenario.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "models/consensus/checker.hpp"
#include "models/consensus/client.hpp"
#include "models/consensus/divergence.hpp"
#include "models/consensus/hotstuff.hpp"
#include "models/consensus/pbft.hpp"
#include "models/consensus/poa.hpp"
#include "models/consensus/raft.hpp"

namespace tradesim::consensus {

using sim::Field;
using sim::FieldType;

namespace {

// A metric name from free text: "bad pre-prepare signature" -> "bad_pre_prepare_signature".
std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (word) {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

uint64_t prefix64(const ledger::Digest& d) {
  uint64_t v;
  std::memcpy(&v, d.data(), sizeof v);
  return v;
}

// NaN when nothing was confirmed: no latency is not a latency of zero.
double percentile(std::vector<double>& values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t k = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1) + 0.5));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(k), values.end());
  return values[k];
}

// Everything a consortium run shares between its nodes, its observers and its end-of-run
// summary; kept alive by the world's end-of-run callback.
struct ConsortiumRun {
  ValidatorShared shared;
  ClientObserver client_observer;
  RaftObserver raft_observer;
  SafetyChecker checker;
  std::vector<Validator*> validators;
  std::vector<TxClient*> clients;
  sim::SimTime warmup_end;
  sim::NodeId first_validator = 0;
  // First commit of each height anywhere: its row in `blocks` is written then.
  std::map<uint64_t, sim::SimTime> first_commit;
  uint64_t highest = 0;
  std::vector<double> latencies;  // confirmed after the warm-up, seconds
  uint64_t confirmed = 0, confirmed_after_warmup = 0, submitted = 0;
  uint64_t blocks = 0;
  std::unordered_map<std::string_view, std::pair<sim::Counter*, sim::Counter*>> by_type;
  std::map<std::string, sim::Counter*, std::less<>> rejections;
  // Honest validators whose block's state root differs from the majority's at that height.
  std::unique_ptr<StateDivergence> divergence;
  // Money conservation after every block every honest validator commits: the sum of all
  // balances against genesis's.
  uint64_t commits_checked = 0, money_drifts = 0;
  int64_t money_drift_max = 0;
};

void declare(sim::Registry& registry) {
  const std::vector<std::string> protocols{"pbft", "hotstuff", "raft", "poa"};
  registry.add_field(
      "",
      Field::object(
          "consortium",
          "A permissioned ledger: validators that order transactions with one consensus "
          "protocol, and clients that submit signed payments to them. See docs/consensus.md.",
          {Field::choice("protocol", protocols, "pbft", "the consensus protocol"),
           Field::scalar("validators", FieldType::kInt, "4", "number of validators (v0, v1, ...)")
               .at_least(1)
               .at_most(1024),
           Field::texts("placement",
                        "sites the validators are placed at, in turn (v0 at the first, v1 at the "
                        "second, ...); empty: all at one place"),
           Field::scalar("warmup", FieldType::kDuration, "0s",
                         "throughput and latency statistics start after this")
               .at_least(0),
           Field::object(
               "block", "How proposers cut blocks.",
               {Field::scalar("max_txs", FieldType::kInt, "500", "transactions per block at most")
                    .at_least(1),
                Field::scalar("max_bytes", FieldType::kSize, "1 MB", "block body size at most")
                    .at_least(1),
                Field::scalar("interval", FieldType::kDuration, "200ms",
                              "how long a proposer waits for a block to fill before proposing "
                              "what it has")
                    .at_least(0, true)}),
           Field::object(
               "mempool", "Each validator's pending transactions.",
               {Field::scalar("max_txs", FieldType::kInt, "200000", "transactions at most")
                    .at_least(1),
                Field::scalar("max_bytes", FieldType::kSize, "256 MB", "bytes at most").at_least(1),
                Field::scalar("forward_interval", FieldType::kDuration, "20ms",
                              "client transactions are forwarded to the next proposers in "
                              "batches at most this old")
                    .at_least(0, true)}),
           Field::scalar("keep_blocks", FieldType::kInt, "64",
                         "block bodies each validator keeps in memory (headers are all kept)")
               .at_least(1),
           Field::object(
               "crypto",
               "Signatures and the simulated CPU time of cryptography and execution (defaults "
               "measured on the reference machine: libsodium Ed25519, OpenSSL SHA-256).",
               {Field::choice(
                    "mode", {"real", "modelled"}, "real",
                    "real: Ed25519 signatures; modelled: hash-based stand-ins of the same size "
                    "and CPU charge, for runs too large for real signatures"),
                Field::scalar("sign", FieldType::kDuration, "20us", "CPU time of one signature")
                    .at_least(0),
                Field::scalar("verify", FieldType::kDuration, "45us",
                              "CPU time of one signature check")
                    .at_least(0),
                Field::scalar("hash_per_kib", FieldType::kDuration, "1200ns",
                              "CPU time to hash 1 KiB with SHA-256")
                    .at_least(0),
                Field::scalar("execute_per_tx", FieldType::kDuration, "5us",
                              "CPU time to execute one transaction against the world state")
                    .at_least(0)}),
           Field::object(
               "pbft", "PBFT's parameters (Castro and Liskov 1999).",
               {Field::scalar("checkpoint_interval", FieldType::kInt, "16",
                              "a checkpoint every K executed batches")
                    .at_least(1),
                Field::scalar("watermark_window", FieldType::kInt, "64",
                              "L: sequence numbers in flight at most (at least 2K)")
                    .at_least(2),
                Field::scalar("view_change_timeout", FieldType::kDuration, "1s",
                              "how long a backup waits for a pending transaction before it "
                              "suspects the primary")
                    .at_least(0, true),
                Field::scalar("max_view_change_timeout", FieldType::kDuration, "8s",
                              "the doubling view-change timeout stops growing here")
                    .at_least(0, true)}),
           Field::object(
               "raft", "Raft's parameters (Ongaro and Ousterhout 2014).",
               {Field::scalar("election_timeout_min", FieldType::kDuration, "150ms",
                              "election timeouts are uniform in [min, max]")
                    .at_least(0, true),
                Field::scalar("election_timeout_max", FieldType::kDuration, "300ms", "")
                    .at_least(0, true),
                Field::scalar("heartbeat", FieldType::kDuration, "50ms",
                              "the leader's heartbeat period (below the election timeout)")
                    .at_least(0, true),
                Field::scalar("max_entries_per_append", FieldType::kInt, "64",
                              "log entries (blocks) per AppendEntries at most")
                    .at_least(1)}),
           Field::object(
               "hotstuff", "Chained HotStuff's parameters (Yin et al. 2019).",
               {Field::scalar("view_timeout", FieldType::kDuration, "1s",
                              "the pacemaker's view timer (doubled by views without progress)")
                    .at_least(0, true),
                Field::scalar("max_view_timeout", FieldType::kDuration, "8s",
                              "the doubling view timer stops growing here")
                    .at_least(0, true),
                Field::scalar("forward_leaders", FieldType::kInt, "2",
                              "client transactions go to the leaders of this many next views")
                    .at_least(1)}),
           Field::object(
               "poa", "Proof of authority's parameters (Clique, EIP-225).",
               {Field::scalar("period", FieldType::kDuration, "1s",
                              "the least time between a block and its parent")
                    .at_least(0, true),
                Field::scalar("wiggle", FieldType::kDuration, "500ms",
                              "out-of-turn signers wait a random [0, (n/2 + 1) x wiggle) more")
                    .at_least(0),
                Field::scalar("confirmations", FieldType::kInt, "0",
                              "blocks built on a block before it is final and goes to the "
                              "ledger; 0: n (see docs/consensus.md for why n/2 + 1 is not enough)")
                    .at_least(0)}),
           Field::object(
               "clients", "Ledger clients submitting signed payments.",
               {Field::scalar("count", FieldType::kInt, "4", "number of clients (c0, c1, ...)")
                    .at_least(0),
                Field::scalar("rate", FieldType::kRate, "100/s",
                              "transactions offered by all clients together")
                    .at_least(0),
                Field::scalar("poisson", FieldType::kBool, "true",
                              "exponential gaps between a client's transactions (else even)"),
                Field::choice(
                    "submit_to", {"one", "f+1", "all"}, "one",
                    "validators each transaction is sent to; a client counts it confirmed "
                    "after one reply (one) or f + 1 matching replies (f+1, all)"),
                Field::texts("placement",
                             "sites the clients are placed at, in turn; empty: the validators' "
                             "placement"),
                Field::scalar("payload", FieldType::kSize, "100 B",
                              "declared payload of each transaction")
                    .at_least(0),
                Field::scalar("retry_after", FieldType::kDuration, "5s",
                              "a transaction not confirmed this long after it was sent is sent "
                              "again, to validators chosen afresh (0s: never)")
                    .at_least(0),
                Field::scalar("start", FieldType::kDuration, "0s", "first submission after this")
                    .at_least(0),
                Field::scalar("stop", FieldType::kDuration, "0s",
                              "no submissions after this (0s: until the end)")
                    .at_least(0)}),
           Field::object("record", "Which tables to write.",
                         {Field::scalar(
                              "transactions", FieldType::kBool, "true",
                              "one row per confirmed transaction in /events/transactions"),
                          Field::scalar(
                              "block_commits", FieldType::kBool, "true",
                              "one row per block and validator in /events/block_commits")})},
          /*implicit=*/false));
}

std::vector<sim::SiteId> sites_of(sim::World& world, const std::string& path) {
  std::vector<sim::SiteId> out;
  const sim::ConfigNode* list = world.scenario().root().at_path(path);
  if (list == nullptr) return out;
  for (size_t i = 0; i < list->list.size(); ++i) {
    const sim::ConfigNode& item = list->list[i];
    if (const auto site = world.site(item.scalar, item.mark, path + "." + std::to_string(i))) {
      out.push_back(*site);
    }
  }
  return out;
}

void build(sim::World& world) {
  const sim::Scenario& s = world.scenario();
  sim::Engine& engine = world.engine();
  auto run = std::make_shared<ConsortiumRun>();
  const std::string protocol = s.text("consortium.protocol");
  const auto n = static_cast<size_t>(s.integer("consortium.validators"));
  if ((protocol == "pbft" || protocol == "hotstuff") && n < 4) {
    world.diagnostics().add(s.at("consortium.validators").mark, "consortium.validators",
                            protocol + " needs at least 4 validators (n = 3f + 1 with f >= 1)");
    return;
  }
  const std::vector<sim::SiteId> placement = sites_of(world, "consortium.placement");
  std::vector<sim::SiteId> client_sites = sites_of(world, "consortium.clients.placement");
  if (client_sites.empty()) client_sites = placement;
  ledger::set_crypto_mode(s.text("consortium.crypto.mode") == "modelled"
                              ? ledger::CryptoMode::kModelled
                              : ledger::CryptoMode::kReal);

  LedgerParams ledger;
  ledger.max_block_txs = static_cast<size_t>(s.integer("consortium.block.max_txs"));
  ledger.max_block_bytes = static_cast<uint64_t>(s.bytes("consortium.block.max_bytes"));
  ledger.block_interval = s.duration("consortium.block.interval");
  ledger.mempool_txs = static_cast<size_t>(s.integer("consortium.mempool.max_txs"));
  ledger.mempool_bytes = static_cast<uint64_t>(s.bytes("consortium.mempool.max_bytes"));
  ledger.forward_interval = s.duration("consortium.mempool.forward_interval");
  ledger.keep_bodies = static_cast<uint64_t>(s.integer("consortium.keep_blocks"));
  ledger.costs.sign = s.duration("consortium.crypto.sign");
  ledger.costs.verify = s.duration("consortium.crypto.verify");
  ledger.costs.hash_per_kib = s.duration("consortium.crypto.hash_per_kib");
  ledger.execute_per_tx = s.duration("consortium.crypto.execute_per_tx");

  const auto client_count = static_cast<size_t>(s.integer("consortium.clients.count"));
  const auto first_validator = static_cast<sim::NodeId>(world.names().size());
  std::vector<sim::NodeId> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(first_validator + static_cast<sim::NodeId>(i));
  const sim::NodeId first_client = first_validator + static_cast<sim::NodeId>(n);
  ledger.fee_account = kFeeAccount;
  auto genesis = std::make_shared<ledger::WorldState>();
  for (size_t c = 0; c < client_count; ++c) {
    genesis->set_balance(first_client + c, int64_t{1} << 50);
  }
  run->shared.genesis = genesis;
  run->first_validator = first_validator;
  run->warmup_end = sim::SimTime::zero() + s.duration("consortium.warmup");

  sim::Metrics& m = engine.metrics();
  const bool record_txs = s.flag("consortium.record.transactions");
  const bool record_commits = s.flag("consortium.record.block_commits");
  sim::EventTable& blocks = m.table(
      "blocks", "one row per block, when the first validator commits it",
      {{"height", sim::ColumnType::kInt, "1", "block height (1 = the first after genesis)"},
       {"proposer", sim::ColumnType::kInt, "1", "node id of the validator that proposed it"},
       {"txs", sim::ColumnType::kInt, "1", "transactions in the block"},
       {"bytes", sim::ColumnType::kInt, "B", "block size on the wire"},
       {"proposed_ns", sim::ColumnType::kInt, "ns", "proposal time (the block's time stamp)"},
       {"committed_ns", sim::ColumnType::kInt, "ns", "first commit by any validator"},
       {"latency_s", sim::ColumnType::kFloat, "s", "first commit minus proposal"}});
  sim::EventTable* commits =
      record_commits
          ? &m.table("block_commits", "one row per block and validator that committed it",
                     {{"height", sim::ColumnType::kInt, "1", "block height"},
                      {"validator", sim::ColumnType::kInt, "1", "node id of the validator"},
                      {"committed_ns", sim::ColumnType::kInt, "ns", "when it committed it"}})
          : nullptr;
  sim::EventTable* txs =
      record_txs
          ? &m.table("transactions", "one row per transaction, when its client counts it confirmed",
                     {{"client", sim::ColumnType::kInt, "1", "node id of the submitting client"},
                      {"submitted_ns", sim::ColumnType::kInt, "ns", "submission time"},
                      {"confirmed_ns", sim::ColumnType::kInt, "ns",
                       "when enough validators had told the client it was committed"},
                      {"latency_s", sim::ColumnType::kFloat, "s", "confirmation minus submission"},
                      {"height", sim::ColumnType::kInt, "1", "height of the block that holds it"}})
          : nullptr;
  sim::Counter& violations =
      m.counter("consortium.safety_violations", "1",
                "heights at which two validators never given a faulty behaviour committed "
                "different blocks (must be 0 with at most f faulty validators)");
  sim::Counter& view_changes =
      m.counter("consortium.view_changes", "1", "views entered, summed over validators");
  sim::Counter& elections =
      m.counter("consortium.leaders", "1", "times a validator became leader (Raft: of a term)");
  sim::Counter& forks = m.counter("consortium.forks", "1",
                                  "blocks refused because the validator already held another "
                                  "block at that height");
  sim::Gauge& height = m.sampled_gauge("consortium.height", "blocks",
                                       "the highest block height any validator committed");
  sim::Gauge& confirmed_gauge = m.sampled_gauge("consortium.confirmed", "transactions",
                                                "transactions confirmed to clients so far");

  ConsortiumRun* r = run.get();
  r->shared.observer.block_committed = [r, &blocks, commits, &violations, &height](
                                           sim::NodeId validator, const ledger::Block& b,
                                           sim::SimTime at) {
    const uint64_t h = b.header.height;
    const Validator* v = r->validators[validator - r->first_validator];
    if (!v->ever_faulty()) {
      const int64_t drift = v->state().money() - v->genesis_money();
      ++r->commits_checked;
      if (drift != 0) {
        ++r->money_drifts;
        r->money_drift_max = std::max(r->money_drift_max, drift < 0 ? -drift : drift);
      }
      if (!r->divergence) {
        r->divergence = std::make_unique<StateDivergence>(
            r->validators.size(), [r](sim::NodeId divergent, uint64_t) {
              if (r->shared.observer.rejected) {
                r->shared.observer.rejected(divergent, "state: root differs from the majority");
              }
            });
      }
      r->divergence->committed(validator, h, b.header.state_root);
      const uint64_t before = r->checker.violations();
      r->checker.committed(validator, h, prefix64(b.hash()));
      violations.add(static_cast<int64_t>(r->checker.violations() - before));
    }
    if (commits) commits->append({h, validator, at});
    if (r->first_commit.emplace(h, at).second) {
      ++r->blocks;
      const double latency =
          (at - sim::SimTime::zero()).seconds() - static_cast<double>(b.header.timestamp_ns) * 1e-9;
      blocks.append({h, b.header.proposer, b.header.tx_count, b.wire_size(), b.header.timestamp_ns,
                     at, latency});
      r->highest = std::max(r->highest, h);
      height.set(static_cast<double>(r->highest));
      // Heights far below the newest are settled: forget them.
      if (r->first_commit.size() > 4096) r->first_commit.erase(r->first_commit.begin());
    }
  };
  r->shared.observer.rejected = [r, &m, &forks](sim::NodeId, std::string_view reason) {
    if (reason == "block: fork") forks.add();
    auto it = r->rejections.find(reason);
    if (it == r->rejections.end()) {
      sim::Counter& c = m.counter(
          "consortium.rejected." + slug(reason), "1",
          "messages, transactions or blocks honest validators refused: " + std::string(reason));
      it = r->rejections.emplace(std::string(reason), &c).first;
    }
    it->second->add();
  };
  r->shared.observer.sent = [r, &m](std::string_view type, uint32_t bytes) {
    auto it = r->by_type.find(type);
    if (it == r->by_type.end()) {
      const std::string t(type);
      it = r->by_type
               .emplace(type, std::make_pair(&m.counter("consortium.messages." + t, "messages",
                                                        "protocol messages of type " + t + " sent"),
                                             &m.counter("consortium.bytes." + t, "B",
                                                        "bytes of protocol messages of type " + t)))
               .first;
    }
    it->second.first->add();
    it->second.second->add(bytes);
  };
  r->shared.observer.view_changed = [&view_changes](sim::NodeId, uint64_t, sim::SimTime) {
    view_changes.add();
  };
  r->shared.observer.became_leader = [&elections](sim::NodeId, uint64_t, sim::SimTime) {
    elections.add();
  };
  r->client_observer.submitted = [r](sim::NodeId, const ledger::Transaction&, sim::SimTime) {
    ++r->submitted;
  };
  r->client_observer.confirmed = [r, txs, &confirmed_gauge](
                                     sim::NodeId client, const ledger::Digest&, uint64_t h,
                                     sim::SimTime submitted, sim::SimTime at) {
    ++r->confirmed;
    confirmed_gauge.set(static_cast<double>(r->confirmed));
    const double latency = (at - submitted).seconds();
    if (!(submitted < r->warmup_end)) {
      ++r->confirmed_after_warmup;
      r->latencies.push_back(latency);
    }
    if (txs) txs->append({client, submitted, at, latency, h});
  };

  auto site_of = [](const std::vector<sim::SiteId>& sites, size_t i) -> sim::SiteId {
    return sites.empty() ? 0 : sites[i % sites.size()];
  };
  const uint64_t seed = s.seed();
  for (size_t i = 0; i < n; ++i) {
    // Appended, not "v" + to_string(i): GCC 12 reports a false -Wrestrict on the latter here.
    std::string name = "v";
    name += std::to_string(i);
    const auto index = static_cast<uint32_t>(i);
    Validator* v = nullptr;
    if (protocol == "pbft") {
      PbftParams p;
      p.checkpoint_interval =
          static_cast<uint64_t>(s.integer("consortium.pbft.checkpoint_interval"));
      p.watermark_window = static_cast<uint64_t>(s.integer("consortium.pbft.watermark_window"));
      p.view_change_timeout = s.duration("consortium.pbft.view_change_timeout");
      p.max_view_change_timeout = s.duration("consortium.pbft.max_view_change_timeout");
      if (p.watermark_window < 2 * p.checkpoint_interval) {
        world.diagnostics().add(s.at("consortium.pbft.watermark_window").mark,
                                "consortium.pbft.watermark_window",
                                "must be at least twice consortium.pbft.checkpoint_interval");
        return;
      }
      v = &world.emplace<PbftReplica>(name, {"validators"}, site_of(placement, i), ids, index, seed,
                                      p, ledger, &r->shared);
    } else if (protocol == "hotstuff") {
      HotStuffParams p;
      p.view_timeout = s.duration("consortium.hotstuff.view_timeout");
      p.max_view_timeout = s.duration("consortium.hotstuff.max_view_timeout");
      p.forward_leaders = static_cast<uint32_t>(s.integer("consortium.hotstuff.forward_leaders"));
      v = &world.emplace<HotStuffReplica>(name, {"validators"}, site_of(placement, i), ids, index,
                                          seed, p, ledger, &r->shared);
    } else if (protocol == "poa") {
      PoaParams p;
      p.period = s.duration("consortium.poa.period");
      p.wiggle = s.duration("consortium.poa.wiggle");
      if (const int64_t c = s.integer("consortium.poa.confirmations"); c > 0) {
        p.confirmations = static_cast<uint64_t>(c);
      }
      v = &world.emplace<PoaSigner>(name, {"validators"}, site_of(placement, i), ids, index, seed,
                                    p, ledger, &r->shared);
    } else {
      RaftParams p;
      p.election_timeout_min = s.duration("consortium.raft.election_timeout_min");
      p.election_timeout_max = s.duration("consortium.raft.election_timeout_max");
      p.heartbeat = s.duration("consortium.raft.heartbeat");
      p.max_entries_per_append =
          static_cast<size_t>(s.integer("consortium.raft.max_entries_per_append"));
      if (!(p.election_timeout_min <= p.election_timeout_max) ||
          !(p.heartbeat < p.election_timeout_min)) {
        world.diagnostics().add(s.at("consortium.raft").mark, "consortium.raft",
                                "needs heartbeat < election_timeout_min <= election_timeout_max");
        return;
      }
      v = &world.emplace<RaftNode>(name, {"validators"}, site_of(placement, i), ids, index, seed, p,
                                   ledger, &r->shared, &r->raft_observer);
    }
    r->validators.push_back(v);
  }

  ClientParams cp;
  const double total_rate = s.rate_per_second("consortium.clients.rate");
  cp.rate_per_second = client_count ? total_rate / static_cast<double>(client_count) : 0;
  cp.poisson = s.flag("consortium.clients.poisson");
  const std::string to = s.text("consortium.clients.submit_to");
  cp.submit_to = to == "all" ? SubmitTo::kAll : to == "f+1" ? SubmitTo::kFPlusOne : SubmitTo::kOne;
  cp.payload_bytes = static_cast<uint32_t>(s.bytes("consortium.clients.payload"));
  cp.start = s.duration("consortium.clients.start");
  const sim::Duration stop = s.duration("consortium.clients.stop");
  cp.stop = stop == sim::Duration::zero() ? sim::Duration::max() : stop;
  cp.recipient = first_client;  // payments go to the first client's account
  cp.sign_cost = ledger.costs.sign;
  cp.retry_after = s.duration("consortium.clients.retry_after");
  for (size_t c = 0; c < client_count; ++c) {
    const sim::NodeId id = first_client + static_cast<sim::NodeId>(c);
    std::string name = "c";  // appended: see the validators' names
    name += std::to_string(c);
    r->clients.push_back(&world.emplace<TxClient>(name, {"clients"}, site_of(client_sites, c), ids,
                                                  seed, id, cp, &r->client_observer));
  }

  world.at_end([run, &engine, total_rate] {
    ConsortiumRun& r = *run;
    sim::Metrics& m = engine.metrics();
    const double window = (engine.now() - r.warmup_end).seconds();
    uint64_t messages = 0;
    for (const auto& [type, counters] : r.by_type) {
      if (type != "tx_forward" && type != "state_transfer") messages += counters.first->value();
    }
    m.set_summary("consortium.offered", total_rate, "tx/s", "transactions offered per second");
    m.set_summary("consortium.throughput", window > 0 ? r.confirmed_after_warmup / window : 0,
                  "tx/s", "transactions confirmed per second after the warm-up");
    m.set_summary("consortium.latency_median", percentile(r.latencies, 0.5), "s",
                  "median time from submission to confirmation (after the warm-up)");
    m.set_summary("consortium.latency_p99", percentile(r.latencies, 0.99), "s",
                  "99th percentile of submission-to-confirmation time (after the warm-up)");
    m.set_summary("consortium.submitted", static_cast<double>(r.submitted), "transactions",
                  "transactions the clients submitted");
    m.set_summary("consortium.confirmed", static_cast<double>(r.confirmed), "transactions",
                  "transactions confirmed to their clients");
    m.set_summary("consortium.blocks", static_cast<double>(r.blocks), "blocks",
                  "blocks committed (highest height)");
    m.set_summary("consortium.messages_per_block",
                  r.blocks ? static_cast<double>(messages) / static_cast<double>(r.blocks) : 0,
                  "messages", "consensus messages per committed block (no client traffic)");
    m.set_summary("consortium.safety_violations", static_cast<double>(r.checker.violations()), "1",
                  "heights at which honest validators committed different blocks");
    if (r.divergence) r.divergence->finish();
    m.set_summary("consortium.money_checked_commits", static_cast<double>(r.commits_checked), "1",
                  "block commits by honest validators after which the sum of all ledger "
                  "balances was compared with genesis's");
    m.set_summary("consortium.money_drift_commits", static_cast<double>(r.money_drifts), "1",
                  "of those, commits after which it differed (money made or destroyed: 0)");
    m.set_summary("consortium.money_drift_max", static_cast<double>(r.money_drift_max), "cents",
                  "the largest difference seen (0)");
    m.set_summary("consortium.state_divergences",
                  r.divergence ? static_cast<double>(r.divergence->divergences()) : 0, "1",
                  "blocks whose state root, as an honest validator computed it, differs from the "
                  "root most validators reported at that height");
    m.set_summary("consortium.signature_checks_real",
                  static_cast<double>(r.shared.verification.real_checks()), "1",
                  "signature checks actually computed (the rest came from the memo)");
  });
}

}  // namespace

namespace {

// The world's validators and their node ids, by index: the nodes that are validators, whatever
// their names.
std::vector<std::pair<Validator*, sim::NodeId>> validator_nodes(sim::World& world) {
  std::vector<std::pair<Validator*, sim::NodeId>> out;
  for (const auto& [name, id] : world.names()) {
    if (auto* v = dynamic_cast<Validator*>(&world.engine().node(id))) out.emplace_back(v, id);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first->index() < b.first->index(); });
  return out;
}

}  // namespace

std::vector<sim::NodeId> consortium_validators(sim::World& world) {
  std::vector<sim::NodeId> out;
  for (const auto& [v, id] : validator_nodes(world)) out.push_back(id);
  return out;
}

void fund_at_genesis(sim::World& world, uint64_t account, int64_t balance) {
  modify_genesis(world,
                 [account, balance](ledger::WorldState& s) { s.set_balance(account, balance); });
}

void modify_genesis(sim::World& world, const std::function<void(ledger::WorldState&)>& change) {
  const auto validators = validator_nodes(world);
  if (validators.empty()) throw std::logic_error("genesis: the world has no consortium");
  // Every validator starts from the same state: one changed copy, shared by all.
  auto genesis = std::make_shared<ledger::WorldState>(validators.front().first->state());
  change(*genesis);
  const std::shared_ptr<const ledger::WorldState> shared = std::move(genesis);
  for (const auto& [v, id] : validators) v->replace_genesis(shared);
}

void set_call_executor(sim::World& world, const ledger::CallExecutor* executor) {
  const auto validators = validator_nodes(world);
  if (validators.empty()) throw std::logic_error("contracts: the world has no consortium");
  for (const auto& [v, id] : validators) v->set_call_executor(executor);
}

void register_model(sim::Registry& registry) {
  declare(registry);
  registry.add_model(sim::ModelSpec{"consortium",
                                    "Permissioned ledger: validators (PBFT or Raft) and clients",
                                    "consortium", build});
  Field behaviour = Field::choice(
      "behaviour", {"honest", "silent", "equivocate", "delay", "invalid_proposal"}, "",
      "silent: sends nothing; equivocate: conflicting proposals or votes; delay: sends "
      "everything late; invalid_proposal: proposals with a bad signature or Merkle root; honest: "
      "back to normal");
  behaviour.required = true;
  registry.add_action(sim::ActionSpec{
      "byzantine",
      "Give validators a faulty behaviour (PBFT, HotStuff, proof of authority; Raft is crash-fault "
      "only); with `for`, they "
      "turn honest again after. Their commits no longer count for the safety check.",
      {behaviour, Field::scalar("delay", FieldType::kDuration, "1s",
                                "with behaviour: delay, how late every message leaves")
                      .at_least(0)},
      true,
      [](sim::World& world, const sim::TimelineEntry& e) {
        const auto nodes =
            world.resolve(e.target, e.node->find("target")->mark, e.path + ".target");
        const Behaviour b = *behaviour_from_name(e.param("behaviour"));
        const sim::Duration delay = sim::Duration::parse(e.param("delay"));
        sim::Engine& engine = world.engine();
        for (sim::NodeId id : nodes) {
          auto* v = dynamic_cast<Validator*>(&engine.node(id));
          if (v == nullptr) {
            world.diagnostics().add(e.node->find("target")->mark, e.path + ".target",
                                    "\"" + e.target + "\" is not a validator");
            return;
          }
          if (dynamic_cast<RaftNode*>(v) != nullptr && b != Behaviour::kHonest) {
            world.diagnostics().add(e.node->find("behaviour")->mark, e.path + ".behaviour",
                                    "Raft tolerates crashes only: use `crash` for its validators");
            return;
          }
          auto set = [&engine, id](Behaviour to, sim::Duration d) {
            engine.invoke(id, [to, d](sim::Node& node, sim::Context&) {
              static_cast<Validator&>(node).set_behaviour(to, d);
            });
          };
          engine.schedule(e.at, [set, b, delay] { set(b, delay); });
          if (e.duration) {
            engine.schedule(e.at + *e.duration, [set] { set(Behaviour::kHonest, {}); });
          }
        }
      }});
}

}  // namespace tradesim::consensus
