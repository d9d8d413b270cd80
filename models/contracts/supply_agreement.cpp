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
    if (method == "withdraw_bond") return withdraw_bond(api);
    if (method == "status") return api.ret(status(api));
    api.fail("supply_agreement: no method " + std::string(method));
  }

 private:
  static std::string status(Api& api) { return api.get("status").value_or("new"); }
  static int64_t quantity(Api& api) {
    const uint64_t q = api.param_u64("quantity");
    api.require(q <= uint64_t{INT64_MAX}, "arithmetic overflow");
    return static_cast<int64_t>(q);
  }
  static int64_t price(Api& api) {
    return checked_mul(api, quantity(api), api.param_i64("unit_price"));
  }
  static int64_t pay_by(Api& api) {
    const std::string& p = api.param("pay_by_ns");
    return p.empty() ? api.param_i64("window_start_ns") : api.param_i64("pay_by_ns");
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
    api.put_i64("paid_at", api.now().ns());
    api.emit("paid", std::to_string(api.value()));
  }

  void deliver(Api& api, const Args& args) {
    api.require(status(api) == "active", "not active");
    api.require(api.caller() == api.param_u64("supplier"), "only the supplier delivers");
    const int64_t now = api.now().ns();
    api.require(now >= api.param_i64("window_start_ns"), "before the delivery window");
    const int64_t agreed = quantity(api);
    const int64_t delivered =
        static_cast<int64_t>(std::min(args.u64(0), static_cast<uint64_t>(agreed)));
    int64_t excursions = 0;
    if (api.param_u64("sensor") == 0) {  // no cold chain
      api.require(args.size() == 1, "no sensor: the delivery takes no readings");
    } else {
      const auto key = parse_key(api.param("sensor_key"));
      api.require(key.has_value(), "bad sensor key");
      // The record covers the whole agreement: from payment to delivery.
      const int64_t gap = api.param_i64("max_gap_ns");
      excursions = count_excursions(
          api, args, 1,
          {api.param_u64("sensor"), *key, api.param_f64("temp_min"), api.param_f64("temp_max"),
           checked_add(api, api.get_i64("paid_at"), gap), checked_sub(api, now, gap)});
    }
    const int64_t late_ns = checked_sub(api, now, api.param_i64("window_end_ns"));
    const int64_t days_late = late_ns > 0 ? late_ns / kDayNs + (late_ns % kDayNs != 0) : 0;
    const int64_t bond = api.param_i64("bond");
    const int64_t penalty = std::min(
        bond, checked_add(api, checked_mul(api, days_late, api.param_i64("penalty_per_day")),
                          checked_mul(api, excursions, api.param_i64("penalty_per_excursion"))));
    const int64_t unit_price = api.param_i64("unit_price");
    const int64_t shortfall = checked_mul(api, agreed - delivered, unit_price);
    api.transfer(api.param_u64("buyer"), checked_add(api, penalty, shortfall));
    api.transfer(
        api.param_u64("supplier"),
        checked_sub(api, checked_add(api, checked_mul(api, delivered, unit_price), bond), penalty));
    api.put("status", "settled");
    api.put_i64("penalty", penalty);
    api.put_i64("days_late", days_late);
    api.put_i64("excursions", excursions);
    api.put_i64("delivered", delivered);
    if (penalty > 0) {
      api.emit("penalty", std::to_string(penalty) + " days_late=" + std::to_string(days_late) +
                              " excursions=" + std::to_string(excursions));
    }
    api.emit("settled", std::to_string(delivered));
  }

  void claim_default(Api& api) {
    api.require(status(api) == "active", "not active");
    api.require(
        api.now().ns() > checked_add(api, api.param_i64("window_end_ns"),
                                     checked_mul(api, api.param_i64("max_late_days"), kDayNs)),
        "the supplier may still deliver");
    api.transfer(api.param_u64("buyer"), checked_add(api, price(api), api.param_i64("bond")));
    api.put("status", "defaulted");
    api.emit("defaulted");
  }

  // The buyer did not pay by pay_by_ns: the supplier is no longer bound and takes its bond back.
  // (Until then, or until it withdraws, the buyer may still pay.)
  void withdraw_bond(Api& api) {
    api.require(status(api) == "bonded", "no unpaid bond to withdraw");
    api.require(api.caller() == api.param_u64("supplier"), "only the supplier withdraws the bond");
    api.require(api.now().ns() > pay_by(api), "the buyer may still pay");
    api.transfer(api.param_u64("supplier"), api.param_i64("bond"));
    api.put("status", "withdrawn");
    api.emit("bond_withdrawn", api.param("bond"));
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
           {"sensor", "temperature sensor device id (0: no cold chain, no readings)", "0"},
           {"sensor_key", "registered key of the sensor, hex", std::string(64, '0')},
           {"max_gap_ns",
            "the record must start within this of payment and end within this of delivery, ns",
            "3600000000000"},
           {"pay_by_ns",
            "the buyer pays by then, or the supplier may withdraw its bond (empty: "
            "window_start_ns)",
            ""}},
          [](const Params&) { return std::make_unique<SupplyAgreement>(); }};
}

}  // namespace tradesim::contracts
