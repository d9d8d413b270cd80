// The B2B supply agreement contract (see supply_agreement.hpp).
#include "models/contracts/supply_agreement.hpp"

#include "models/contracts/oracle.hpp"

namespace tradesim::contracts {

namespace {

constexpr int64_t kDayNs = int64_t{86'400} * 1'000'000'000;

class SupplyAgreement : public Contract {
 public:
  void call(Api& api, std::string_view method, const Args& args) override {
    if (method == "post_bond") return post_bond(api);
    if (method == "pay") return pay(api);
    if (method == "deliver") return deliver(api, args);
    if (method == "claim_default") return claim_default(api);
    if (method == "status") return api.ret(status(api));
    api.fail("supply_agreement: no method " + std::string(method));
  }

 private:
  static std::string status(Api& api) { return api.get("status").value_or("new"); }
  static int64_t price(Api& api) {
    return static_cast<int64_t>(api.param_u64("quantity")) * api.param_i64("unit_price");
  }

  void post_bond(Api& api) {
    api.require(status(api) == "new", "bond already posted");
    api.require(api.caller() == api.param_u64("supplier"), "only the supplier posts the bond");
    api.require(api.value() == api.param_i64("bond"), "attach exactly the bond");
    api.put("status", "bonded");
    api.emit("bonded", std::to_string(api.value()));
  }

  void pay(Api& api) {
    api.require(status(api) == "bonded", "no bond posted");
    api.require(api.caller() == api.param_u64("buyer"), "only the buyer pays");
    api.require(api.value() == price(api), "attach exactly quantity x unit price");
    api.put("status", "active");
    api.emit("paid", std::to_string(api.value()));
  }

  void deliver(Api& api, const Args& args) {
    api.require(status(api) == "active", "not active");
    api.require(api.caller() == api.param_u64("supplier"), "only the supplier delivers");
    const int64_t now = api.now().ns();
    api.require(now >= api.param_i64("window_start_ns"), "before the delivery window");
    const uint64_t quantity = api.param_u64("quantity");
    const uint64_t delivered = std::min(args.u64(0), quantity);
    api.require(args.size() % 2 == 1, "readings come with their anchors");
    const auto key = parse_key(api.param("sensor_key"));
    api.require(key.has_value(), "bad sensor key");
    const double low = api.param_f64("temp_min"), high = api.param_f64("temp_max");
    int64_t excursions = 0;
    uint64_t last_seq = 0;
    for (size_t i = 1; i < args.size(); i += 2) {
      const auto proof = decode_reading_proof(args.bytes(i));
      api.require(proof.has_value(), "bad reading proof");
      const sensors::Reading& r = proof->reading;
      api.require(
          r.device == api.param_u64("sensor") && r.kind == sensors::ReadingKind::kTemperature,
          "not the agreement's temperature sensor");
      api.require(r.seq > last_seq, "readings must be distinct, in sequence order");
      last_seq = r.seq;
      const sensors::Verdict v =
          api.verify_reading(*proof, digest_from_bytes(args.bytes(i + 1)), *key);
      api.require(v == sensors::Verdict::kOk, "reading: " + std::string(sensors::verdict_name(v)));
      if (!(low <= r.value[0] && r.value[0] <= high)) ++excursions;  // NaN is not clean
    }
    const int64_t late_ns = now - api.param_i64("window_end_ns");
    const int64_t days_late = late_ns > 0 ? (late_ns + kDayNs - 1) / kDayNs : 0;
    const int64_t bond = api.param_i64("bond");
    const int64_t penalty = std::min(bond, days_late * api.param_i64("penalty_per_day") +
                                               excursions * api.param_i64("penalty_per_excursion"));
    const int64_t unit_price = api.param_i64("unit_price");
    const int64_t shortfall = static_cast<int64_t>(quantity - delivered) * unit_price;
    api.transfer(api.param_u64("buyer"), penalty + shortfall);
    api.transfer(api.param_u64("supplier"),
                 static_cast<int64_t>(delivered) * unit_price + bond - penalty);
    api.put("status", "settled");
    api.put_i64("penalty", penalty);
    api.put_i64("days_late", days_late);
    api.put_i64("excursions", excursions);
    api.put_i64("delivered", static_cast<int64_t>(delivered));
    if (penalty > 0) {
      api.emit("penalty", std::to_string(penalty) + " days_late=" + std::to_string(days_late) +
                              " excursions=" + std::to_string(excursions));
    }
    api.emit("settled", std::to_string(delivered));
  }

  void claim_default(Api& api) {
    api.require(status(api) == "active", "not active");
    api.require(
        api.now().ns() > api.param_i64("window_end_ns") + api.param_i64("max_late_days") * kDayNs,
        "the supplier may still deliver");
    api.transfer(api.param_u64("buyer"), price(api) + api.param_i64("bond"));
    api.put("status", "defaulted");
    api.emit("defaulted");
  }
};

}  // namespace

ContractType supply_agreement_contract() {
  return {"supply_agreement",
          "B2B supply agreement: quantity, delivery window, temperature limits; penalties per "
          "day late and per excursion paid from the supplier's bond",
          {{"buyer", "buyer account", std::nullopt},
           {"supplier", "supplier account", std::nullopt},
           {"quantity", "units agreed", std::nullopt},
           {"unit_price", "currency units per unit", std::nullopt},
           {"window_start_ns", "earliest delivery (block time, ns)", "0"},
           {"window_end_ns", "latest delivery without penalty (block time, ns)", std::nullopt},
           {"max_late_days", "days late after which the buyer may claim default", "30"},
           {"temp_min", "lowest allowed temperature, degC", "2"},
           {"temp_max", "highest allowed temperature, degC", "8"},
           {"penalty_per_day", "currency units per day late", "0"},
           {"penalty_per_excursion", "currency units per reading outside the limits", "0"},
           {"bond", "supplier's bond, currency units", "0"},
           {"sensor", "temperature sensor device id", "0"},
           {"sensor_key", "registered key of the sensor, hex", std::string(64, '0')}},
          [](const Params&) { return std::make_unique<SupplyAgreement>(); }};
}

}  // namespace tradesim::contracts
