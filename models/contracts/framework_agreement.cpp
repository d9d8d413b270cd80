// The framework supply agreement contract (see framework_agreement.hpp).
#include "models/contracts/framework_agreement.hpp"

#include <algorithm>
#include <string>

#include "models/contracts/oracle.hpp"

namespace tradesim::contracts {

namespace {

constexpr int64_t kDayNs = int64_t{86'400} * 1'000'000'000;
constexpr int64_t kBasis = 10'000;

class FrameworkAgreement : public Contract {
 public:
  void call(Api& api, std::string_view method, const Args& args) override {
    if (method == "order") return order(api, args);
    if (method == "delivered") return delivered(api, args);
    if (method == "top_up") return top_up(api);
    if (method == "release") return release(api);
    if (method == "settlement") return settlement(api, args);
    if (method == "bond") return api.ret(std::to_string(api.balance(api.self())));
    api.fail("framework_agreement: no method " + std::string(method));
  }

 private:
  static void order(Api& api, const Args& args) {
    api.require(api.caller() == api.param_u64("buyer"), "only the buyer registers orders");
    api.require(!api.get_i64("released"), "agreement closed");
    const int64_t term_end = api.param_i64("term_end_ns");
    api.require(term_end == 0 || api.now().ns() < term_end, "the agreement's term is over");
    const std::string id = std::to_string(args.u64(0));
    const int64_t value = args.i64(1);
    const int64_t due_ns = args.i64(2);
    api.require(value > 0, "an order has a value");
    api.require(!api.get("order/" + id), "order " + id + " already registered");
    api.put("order/" + id, std::to_string(value) + " " + std::to_string(due_ns));
    // When it was registered: a delivery scan from before it proves nothing about this order.
    if (!api.param("scanner_key").empty()) api.put_i64("placed/" + id, api.now().ns());
    api.put_i64("open", checked_add(api, api.get_i64("open"), 1));
    api.emit("order", id);
  }

  // The delivery settles the order at once: penalty computed from the delivery time and paid
  // from what is left of the bond; a second settlement of the same order is refused. The buyer
  // receives the penalty, so the buyer must not choose the delivery time: with a scanner key the
  // time is the neutral scanner's signed scan, anchored before the call, whoever submits it and
  // however late.
  static void delivered(Api& api, const Args& args) {
    const std::string id = std::to_string(args.u64(0));
    const bool out_of_spec = args.u64(1) != 0;
    const auto registered = api.get("order/" + id);
    api.require(registered.has_value(), "order " + id + " not registered");
    // "<value> <due_ns>", and once settled " <days late> <penalty due> <penalty paid>" appended
    // (the format `settlement` and the trade model read; with a scanner the registration time is
    // kept apart, under placed/<id>).
    api.require(std::count(registered->begin(), registered->end(), ' ') == 1,
                "order " + id + " already settled");
    const int64_t delivered_ns = api.param("scanner_key").empty()
                                     ? attested_delivery(api, args)
                                     : scanned_delivery(api, args, id, out_of_spec);
    const size_t space = registered->find(' ');
    const int64_t value = std::stoll(registered->substr(0, space));
    const int64_t due_ns = std::stoll(registered->substr(space + 1));
    const int64_t days = framework_days_late(due_ns, delivered_ns);
    const auto due = framework_penalty(value, due_ns, delivered_ns, out_of_spec,
                                       api.param_i64("penalty_per_day_bp"),
                                       api.param_i64("penalty_cap_bp"), api.param_i64("defect_bp"));
    api.require(due.has_value(), "arithmetic overflow");
    const int64_t paid = std::min(*due, api.balance(api.self()));
    if (paid > 0) api.transfer(api.param_u64("buyer"), paid);
    api.put("order/" + id, *registered + " " + std::to_string(days) + " " + std::to_string(*due) +
                               " " + std::to_string(paid));
    api.put_i64("open", checked_sub(api, api.get_i64("open"), 1));
    if (*due > 0) {
      api.emit("penalty", id + " due=" + std::to_string(*due) + " paid=" + std::to_string(paid));
    }
  }

  // Without a scanner: the buyer's (or the confirmer's) word, at the block time.
  static int64_t attested_delivery(Api& api, const Args& args) {
    const uint64_t confirmer = api.param_u64("confirmer");
    api.require(
        api.caller() == api.param_u64("buyer") || (confirmer != 0 && api.caller() == confirmer),
        "only the buyer or the confirmer confirms a delivery");
    api.require(args.size() == 2, "no scanner key: a delivery is confirmed without evidence");
    return api.now().ns();
  }

  // With a scanner: the scan of the order's tag at the destination, as escrow.deliver checks it
  // (signature under the registered key, Merkle path to a root anchored on the ledger), taken
  // after the order was registered. The scan dates the delivery; the goods' quality is the
  // buyer's (or the confirmer's) inspection: they settle with either flag, while anyone else -
  // the supplier, who wants its bond back - may settle only as in spec, and only once the buyer's
  // inspection window after the scan has passed. So the supplier cannot pre-empt a quality
  // claim, and a buyer who stays silent cannot keep an order open for ever.
  static int64_t scanned_delivery(Api& api, const Args& args, const std::string& id,
                                  bool out_of_spec) {
    api.require(args.size() == 4, "a delivery is proven by a scan and its anchor");
    const auto scan = decode_scan_proof(args.bytes(2));
    const auto scanner_key = parse_key(api.param("scanner_key"));
    api.require(scan && scanner_key, "bad scan proof or scanner key");
    const sensors::Verdict verdict =
        api.verify_scan(*scan, digest_from_bytes(args.bytes(3)), *scanner_key);
    api.require(verdict == sensors::Verdict::kOk,
                "scan: " + std::string(sensors::verdict_name(verdict)));
    api.require(scan->scan.tag == args.u64(0), "scan of another tag");
    api.require(static_cast<uint64_t>(scan->scan.checkpoint) == api.param_u64("destination"),
                "scan not at the destination");
    // A scan is anchored after it was taken; a later time could only be a scanner's error.
    api.require(scan->scan.t.ns() <= api.now().ns(), "scan later than the block");
    api.require(scan->scan.t.ns() >= api.get_i64("placed/" + id), "scan before the order");
    const uint64_t confirmer = api.param_u64("confirmer");
    const bool inspector =
        api.caller() == api.param_u64("buyer") || (confirmer != 0 && api.caller() == confirmer);
    if (!inspector) {
      api.require(!out_of_spec, "only the buyer or the confirmer declares goods out of spec");
      api.require(
          api.now().ns() >= checked_add(api, scan->scan.t.ns(), api.param_i64("inspection_ns")),
          "the buyer's inspection window is open");
    }
    return scan->scan.t.ns();
  }

  // "<days late> <penalty due> <penalty paid>" of a settled order, "" otherwise.
  static void settlement(Api& api, const Args& args) {
    const std::string entry = api.get("order/" + std::to_string(args.u64(0))).value_or("");
    if (std::count(entry.begin(), entry.end(), ' ') != 4) return api.ret("");
    size_t at = entry.find(' ');
    at = entry.find(' ', at + 1);
    api.ret(entry.substr(at + 1));
  }

  static void top_up(Api& api) {
    api.require(api.caller() == api.param_u64("supplier"), "only the supplier tops up the bond");
    api.require(!api.get_i64("released"), "agreement closed");
    api.require(api.value() > 0, "attach the top-up");
    api.emit("bond", std::to_string(api.balance(api.self())));
  }

  static void release(Api& api) {
    api.require(api.caller() == api.param_u64("supplier"), "only the supplier releases the bond");
    const int64_t term_end = api.param_i64("term_end_ns");
    api.require(term_end == 0 || api.now().ns() >= term_end, "the agreement's term is not over");
    api.require(api.get_i64("open") == 0, "orders still open");
    api.put_i64("released", 1);
    const int64_t left = api.balance(api.self());
    if (left > 0) api.transfer(api.param_u64("supplier"), left);
    api.emit("released", std::to_string(left));
    api.ret(std::to_string(left));
  }
};

}  // namespace

int64_t framework_days_late(int64_t due_ns, int64_t delivered_ns) {
  if (delivered_ns <= due_ns) return 0;
  // The difference of two int64 is below 2^64: exact in unsigned arithmetic, never overflowing.
  const uint64_t late = static_cast<uint64_t>(delivered_ns) - static_cast<uint64_t>(due_ns);
  return static_cast<int64_t>((late - 1) / static_cast<uint64_t>(kDayNs) + 1);
}

std::optional<int64_t> framework_penalty(int64_t value, int64_t due_ns, int64_t delivered_ns,
                                         bool out_of_spec, int64_t per_day_bp, int64_t cap_bp,
                                         int64_t defect_bp) {
  if (value < 0 || per_day_bp < 0 || cap_bp < 0 || defect_bp < 0) return std::nullopt;
  const int64_t days = framework_days_late(due_ns, delivered_ns);
  // In basis points of the value: the lateness capped, plus the defect penalty. Days late are
  // bounded by the cap first (a day costs at least 1 bp when it costs anything).
  int64_t late_bp = 0, bp = 0;
  if (__builtin_mul_overflow(std::min(days, cap_bp), per_day_bp, &late_bp)) return std::nullopt;
  late_bp = std::min(late_bp, cap_bp);
  if (__builtin_add_overflow(late_bp, out_of_spec ? defect_bp : 0, &bp)) return std::nullopt;
  // value x bp / 10,000 without an intermediate value x bp.
  int64_t whole = 0, part = 0, penalty = 0;
  if (__builtin_mul_overflow(value / kBasis, bp, &whole) ||
      __builtin_mul_overflow(value % kBasis, bp, &part) ||
      __builtin_add_overflow(whole, part / kBasis, &penalty)) {
    return std::nullopt;
  }
  return penalty;
}

ContractType framework_agreement_contract() {
  return {
      "framework_agreement",
      "framework supply agreement over many orders: the buyer registers each order with its "
      "due date; each delivery, proven by an anchored RFID scan of the order's tag, pays the "
      "penalty (per day late at the scan's time, capped, and for goods out of spec) from the "
      "supplier's bond in the same call; the supplier releases what is left when no order is "
      "open",
      {{"buyer", "buyer account", std::nullopt},
       {"supplier", "supplier account", std::nullopt},
       {"confirmer", "account also allowed to confirm deliveries without a scanner (0: none)", "0"},
       {"scanner_key",
        "registered key of the neutral receiving scanner, hex: a delivery is proven by its "
        "anchored scan and dated by it (empty: the buyer or confirmer attests at block time)",
        ""},
       {"destination", "checkpoint number of the delivery scan (4: the buyer's warehouse)", "4"},
       {"inspection_ns",
        "with a scanner: after the scan, how long only the buyer (or the confirmer) may settle; "
        "then anyone may, as in spec",
        "172800000000000"},
       {"term_end_ns",
        "end of the agreement's term: no order registered from then, the bond released only "
        "after it (0: no term, release whenever no order is open)",
        "0"},
       {"penalty_per_day_bp", "basis points of the order value per day late", "50"},
       {"penalty_cap_bp", "cap of the lateness penalty, basis points of the order value", "1000"},
       {"defect_bp", "penalty for goods out of spec, basis points of the order value", "0"}},
      [](const Params&) { return std::make_unique<FrameworkAgreement>(); }};
}

}  // namespace tradesim::contracts
