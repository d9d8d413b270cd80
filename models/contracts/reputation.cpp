// The C2C reputation contract (see reputation.hpp).
#include "models/contracts/reputation.hpp"

#include <charconv>

namespace tradesim::contracts {

namespace {

class Reputation : public Contract {
 public:
  void call(Api& api, std::string_view method, const Args& args) override {
    if (method == "stake") return stake(api);
    if (method == "rate") return rate(api, args.u64(0), args.u64(1));
    if (method == "score") return score(api, args.u64(0));
    if (method == "stake_of") {
      return api.ret(std::to_string(api.get_i64("stake/" + std::to_string(args.u64(0)))));
    }
    api.fail("reputation: no method " + std::string(method));
  }

 private:
  static uint64_t to_u64(Api& api, const std::optional<std::string>& text) {
    uint64_t v = 0;
    api.require(text.has_value(), "escrow record incomplete");
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    api.require(ec == std::errc() && end == text->data() + text->size(), "bad escrow record");
    return v;
  }

  void stake(Api& api) {
    api.require(api.value() > 0, "attach the stake");
    const std::string key = "stake/" + std::to_string(api.caller());
    api.put_i64(key, checked_add(api, api.get_i64(key), api.value()));
    api.emit("staked", std::to_string(api.caller()) + " " + std::to_string(api.value()));
  }

  void rate(Api& api, uint64_t escrow, uint64_t stars) {
    api.require(stars >= 1 && stars <= 5, "score is 1 to 5");
    api.require(api.contract_type(escrow) == "escrow", "not an escrow contract");
    // A completed trade in which the seller took part: released to it, settled by the arbiter
    // after its delivery, or refunded because the goods it delivered were proven spoiled (the
    // escrow keeps the excursions). A refund after the deadline does not count: the buyer picks
    // the seller and the deadline, gets its money back, and would rate at the price of gas.
    const auto st = api.read_foreign(escrow, "status");
    const bool spoiled = st == "refunded" && api.read_foreign(escrow, "excursions").has_value();
    api.require(st == "released" || st == "resolved" || spoiled, "trade not completed");
    api.require(to_u64(api, api.read_foreign(escrow, "buyer")) == api.caller(),
                "only the trade's buyer rates");
    const uint64_t seller = to_u64(api, api.read_foreign(escrow, "seller"));
    api.require(seller != api.caller(), "a seller cannot rate itself");
    const int64_t amount = static_cast<int64_t>(to_u64(api, api.read_foreign(escrow, "amount")));
    const std::string s = std::to_string(seller);
    api.require(api.get_i64("stake/" + s) >= api.param_i64("min_stake"), "seller has no stake");
    const std::string rated = "rated/" + std::to_string(escrow);
    api.require(!api.get(rated), "trade already rated");
    api.put(rated, std::to_string(stars));
    const std::string given = "given/" + std::to_string(api.caller());
    const int64_t history = api.get_i64(given);
    const int64_t weight =
        checked_mul(api, amount, 1 + std::min(history, api.param_i64("max_rater_bonus")));
    api.put_i64(given, history + 1);
    api.put_i64("sum/" + s, checked_add(api, api.get_i64("sum/" + s),
                                        checked_mul(api, weight, static_cast<int64_t>(stars))));
    api.put_i64("weight/" + s, checked_add(api, api.get_i64("weight/" + s), weight));
    api.emit("rated", s + " " + std::to_string(stars) + " " + std::to_string(weight));
  }

  void score(Api& api, uint64_t seller) {
    const std::string s = std::to_string(seller);
    const int64_t weight = api.get_i64("weight/" + s);
    api.ret(weight == 0 ? "0"
                        : std::to_string(checked_mul(api, api.get_i64("sum/" + s), 1000) / weight));
  }
};

}  // namespace

ContractType reputation_contract() {
  return {"reputation",
          "C2C reputation: ratings only from completed escrow trades (released, resolved, or "
          "refunded as spoiled), weighted by trade value and rater history; a stake per seller",
          {{"min_stake", "stake a seller needs to be rated, currency units", "1000"},
           {"max_rater_bonus", "rater history counted, in ratings (weight up to 1 + this)", "9"}},
          [](const Params&) { return std::make_unique<Reputation>(); }};
}

}  // namespace tradesim::contracts
