// The escrow / letter-of-credit contract (see escrow.hpp).
#include "models/contracts/escrow.hpp"

#include <charconv>

#include "models/contracts/oracle.hpp"

namespace tradesim::contracts {

namespace {

constexpr int64_t kBasisPoints = 10'000;

// "3000,2000" -> {3000, 2000}; empty -> none.
std::vector<int64_t> parse_list(Api& api, const std::string& text) {
  std::vector<int64_t> out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data() + at, text.data() + comma, v);
    if (ec != std::errc() || end != text.data() + comma) api.fail("bad list " + text);
    out.push_back(v);
    at = comma + 1;
  }
  return out;
}

class Escrow : public Contract {
 public:
  void call(Api& api, std::string_view method, const Args& args) override {
    if (method == "fund") return fund(api);
    if (method == "milestone") return milestone(api, args.u64(0));
    if (method == "deliver") return deliver(api, args);
    if (method == "dispute") return dispute(api);
    if (method == "release") return release(api);
    if (method == "resolve") return resolve(api, args.u64(0));
    if (method == "refund") return refund(api);
    if (method == "expire_dispute") return expire_dispute(api);
    if (method == "status") return api.ret(status(api));
    api.fail("escrow: no method " + std::string(method));
  }

 private:
  static std::string status(Api& api) { return api.get("status").value_or("new"); }
  static int64_t rest(Api& api) {
    return checked_sub(api, api.param_i64("amount"), api.get_i64("paid"));
  }
  static void pay_seller(Api& api, int64_t amount) {
    api.transfer(api.param_u64("seller"), amount);
    api.put_i64("paid", checked_add(api, api.get_i64("paid"), amount));
  }

  void fund(Api& api) {
    api.require(status(api) == "new", "already funded");
    api.require(api.caller() == api.param_u64("buyer"), "only the buyer funds");
    const int64_t amount = api.param_i64("amount");
    api.require(api.value() == amount, "attach exactly the amount");
    const std::vector<int64_t> shares = parse_list(api, api.param("milestones"));
    int64_t sum = 0;
    for (int64_t s : shares) {
      api.require(s >= 0, "a milestone share is not negative");
      sum = checked_add(api, sum, s);
    }
    api.require(sum < kBasisPoints, "milestones must leave a share for delivery");
    api.put("status", "funded");
    api.put("buyer", api.param("buyer"));
    api.put("seller", api.param("seller"));
    api.put_i64("amount", amount);
    api.put_i64("funded_at", api.now().ns());
    api.emit("funded", std::to_string(amount));
  }

  void milestone(Api& api, uint64_t index) {
    api.require(status(api) == "funded", "not funded");
    api.require(api.caller() == api.param_u64("buyer"), "only the buyer confirms a milestone");
    const std::vector<int64_t> shares = parse_list(api, api.param("milestones"));
    api.require(index < shares.size(), "no such milestone");
    const std::string key = "m/" + std::to_string(index);
    api.require(!api.get(key), "milestone already paid");
    api.put(key, "1");
    const int64_t part = checked_mul(api, api.param_i64("amount"), shares[index]) / kBasisPoints;
    pay_seller(api, part);
    api.emit("milestone", std::to_string(index) + " " + std::to_string(part));
  }

  void deliver(Api& api, const Args& args) {
    api.require(status(api) != "spoiled", "spoiled: a delivery was refused for excursions");
    api.require(status(api) == "funded", "not funded");
    api.require(api.now().ns() <= api.param_i64("deadline_ns"), "deadline passed");
    api.require(args.size() >= 2 && args.size() % 2 == 0, "scan and readings come in pairs");
    const auto scan = decode_scan_proof(args.bytes(0));
    const auto scanner_key = parse_key(api.param("scanner_key"));
    api.require(scan && scanner_key, "bad scan proof or scanner key");
    const sensors::Verdict sv =
        api.verify_scan(*scan, digest_from_bytes(args.bytes(1)), *scanner_key);
    api.require(sv == sensors::Verdict::kOk, "scan: " + std::string(sensors::verdict_name(sv)));
    api.require(scan->scan.tag == api.param_u64("tag"), "scan of another tag");
    api.require(static_cast<uint64_t>(scan->scan.checkpoint) == api.param_u64("destination"),
                "scan not at the destination");

    int64_t excursions = 0;
    if (api.param("sensor_key").empty()) {  // no cold chain: the scan is the whole proof
      api.require(args.size() == 2, "no sensor: the delivery is the scan only");
    } else {
      const auto sensor_key = parse_key(api.param("sensor_key"));
      api.require(sensor_key.has_value(), "bad sensor key");
      const uint64_t readings = (args.size() - 2) / 2;
      api.require(readings >= std::max<uint64_t>(1, api.param_u64("min_readings")),
                  "too few readings");
      // The record covers the whole trip: from funding to the destination scan.
      const int64_t gap = api.param_i64("max_gap_ns");
      excursions = count_excursions(
          api, args, 2,
          {api.param_u64("sensor"), *sensor_key, api.param_f64("temp_min"),
           api.param_f64("temp_max"), checked_add(api, api.get_i64("funded_at"), gap),
           checked_sub(api, scan->scan.t.ns(), gap)});
    }
    if (excursions > 0) {  // proven but not clean: sticky, nothing released
      api.put("status", "spoiled");
      api.put_i64("excursions", excursions);
      api.emit("delivery_refused", std::to_string(excursions) + " excursions");
      api.ret("refused");
      return;
    }
    api.put("status", "delivered");
    api.put_i64("delivered_at", api.now().ns());
    api.emit("delivered");
    api.ret("delivered");
  }

  void dispute(Api& api) {
    // Without an arbiter nobody could resolve it: the money would be locked for good.
    api.require(api.param_u64("arbiter") != 0, "no arbiter: disputes are not possible");
    const std::string st = status(api);
    api.require(st == "delivered" || st == "spoiled", "not delivered");
    api.require(api.caller() == api.param_u64("buyer"), "only the buyer disputes");
    if (st == "delivered") {
      api.require(api.now().ns() < checked_add(api, api.get_i64("delivered_at"),
                                               api.param_i64("dispute_window_ns")),
                  "dispute window closed");
    }
    api.put("status", "disputed");
    api.put_i64("disputed_at", api.now().ns());
    api.emit("disputed");
  }

  void release(Api& api) {
    api.require(status(api) == "delivered", "not delivered");
    api.require(api.now().ns() >= checked_add(api, api.get_i64("delivered_at"),
                                              api.param_i64("dispute_window_ns")),
                "dispute window still open");
    const int64_t amount = rest(api);
    pay_seller(api, amount);
    api.put("status", "released");
    api.emit("released", std::to_string(amount));
  }

  void resolve(Api& api, uint64_t seller_bp) {
    api.require(status(api) == "disputed", "not disputed");
    const uint64_t arbiter = api.param_u64("arbiter");
    api.require(arbiter != 0 && api.caller() == arbiter, "only the arbiter resolves");
    api.require(seller_bp <= static_cast<uint64_t>(kBasisPoints), "share above 100%");
    const int64_t left = rest(api);
    const int64_t to_seller =
        checked_mul(api, left, static_cast<int64_t>(seller_bp)) / kBasisPoints;
    pay_seller(api, to_seller);
    api.transfer(api.param_u64("buyer"), left - to_seller);
    api.put("status", "resolved");
    api.emit("resolved", std::to_string(to_seller) + " " + std::to_string(left - to_seller));
  }

  void refund(Api& api) {
    const std::string st = status(api);
    api.require(st == "funded" || st == "spoiled", "nothing to refund");
    // Spoiled goods: the buyer takes the money back at once; anyone may after the deadline.
    if (st != "spoiled" || api.caller() != api.param_u64("buyer")) {
      api.require(api.now().ns() > api.param_i64("deadline_ns"), "deadline not passed");
    }
    const int64_t amount = rest(api);
    api.transfer(api.param_u64("buyer"), amount);
    api.put("status", "refunded");
    api.emit("refunded", std::to_string(amount));
  }

  // An arbiter that does not resolve within arbiter_timeout_ns: anyone closes the dispute and
  // the rest goes back to the buyer (the seller's delivery was contested and never upheld; the
  // buyer's money is the default that needs no judgment).
  void expire_dispute(Api& api) {
    api.require(status(api) == "disputed", "not disputed");
    api.require(api.now().ns() >= checked_add(api, api.get_i64("disputed_at"),
                                              api.param_i64("arbiter_timeout_ns")),
                "the arbiter may still resolve");
    const int64_t amount = rest(api);
    api.transfer(api.param_u64("buyer"), amount);
    api.put("status", "expired");
    api.emit("dispute_expired", std::to_string(amount));
  }
};

}  // namespace

ContractType escrow_contract() {
  return {
      "escrow",
      "escrow / letter of credit: buyer funds; milestones, proof of delivery (RFID scan at "
      "the destination and a clean temperature record), dispute window, refund on expiry",
      {{"buyer", "buyer account", std::nullopt},
       {"seller", "seller account", std::nullopt},
       {"amount", "price held, currency units", std::nullopt},
       {"tag", "RFID tag of the shipment", std::nullopt},
       {"destination", "checkpoint number of the destination scan (3: port of discharge)", "3"},
       {"scanner_key", "registered key of the destination scanner, hex", std::nullopt},
       {"sensor", "temperature sensor device id", "0"},
       {"sensor_key", "registered key of the sensor, hex (empty: no cold chain, scan only)", ""},
       {"temp_min", "lowest clean temperature, degC", "2"},
       {"temp_max", "highest clean temperature, degC", "8"},
       {"min_readings", "temperature readings required as evidence (at least 1 with a sensor)",
        "0"},
       {"max_gap_ns",
        "the record must start within this of funding and end within this of the scan, ns",
        "3600000000000"},
       {"milestones", "comma-separated shares of the amount in basis points", ""},
       {"deadline_ns", "delivery deadline (block time, ns); refund after it", std::nullopt},
       {"dispute_window_ns", "time after delivery for the buyer to dispute, ns", "259200000000000"},
       {"arbiter", "account that resolves disputes (0: none)", "0"},
       {"arbiter_timeout_ns", "time the arbiter has to resolve; then the rest goes to the buyer",
        "2592000000000000"}},
      [](const Params&) { return std::make_unique<Escrow>(); }};
}

}  // namespace tradesim::contracts
