// The provenance registry contract (see provenance.hpp).
#include "models/contracts/provenance.hpp"

namespace tradesim::contracts {

namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    if (comma > at) out.push_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

class Provenance : public Contract {
 public:
  void call(Api& api, std::string_view method, const Args& args) override {
    const uint64_t tag = args.u64(0);
    const std::string item = "item/" + std::to_string(tag);
    if (method == "register") return register_item(api, item);
    if (method == "event") return event(api, item, args.str(1));
    if (method == "transfer") return transfer(api, item, args.u64(1));
    if (method == "history") return history(api, item);
    if (method == "suspect") return suspect(api, item);
    api.fail("provenance: no method " + std::string(method));
  }

 private:
  static void append(Api& api, const std::string& item, const std::string& entry) {
    const int64_t n = api.get_i64(item + "/n") + 1;
    api.put_i64(item + "/n", n);
    api.put(item + "/" + std::to_string(n), std::to_string(api.height()) + " " + entry);
  }
  static void flag(Api& api, const std::string& item, const std::string& reason) {
    const std::string flags = api.get(item + "/flags").value_or("");
    if (flags.find(reason) != std::string::npos) return;
    api.put(item + "/flags", flags.empty() ? reason : flags + "," + reason);
    api.emit("suspect", item + " " + reason);
  }
  static void require_owner(Api& api, const std::string& item) {
    const auto owner = api.get(item + "/owner");
    api.require(owner.has_value(), "unknown item");
    api.require(*owner == std::to_string(api.caller()), "only the owner");
  }

  void register_item(Api& api, const std::string& item) {
    // Only listed producers create identities: anyone else registering is refused outright (a
    // stranger's registration is not a counterfeit to record, it is not allowed at all).
    const std::string& producers = api.param("producers");
    if (!producers.empty()) {
      bool listed = false;
      for (const std::string& p : split(producers)) listed |= p == std::to_string(api.caller());
      api.require(listed, "only a listed producer registers");
    }
    if (api.get(item + "/owner")) {
      append(api, item, "register " + std::to_string(api.caller()) + " duplicate");
      flag(api, item, "duplicate");
      return;
    }
    api.put(item + "/owner", std::to_string(api.caller()));
    api.put_i64(item + "/stage", -1);
    append(api, item, "register " + std::to_string(api.caller()) + " origin");
  }

  void event(Api& api, const std::string& item, const std::string& stage) {
    require_owner(api, item);
    const std::vector<std::string> stages = split(api.param("stages"));
    int64_t index = -1;
    for (size_t i = 0; i < stages.size(); ++i) {
      if (stages[i] == stage) index = static_cast<int64_t>(i);
    }
    api.require(index >= 0, "unknown stage " + stage);
    const int64_t last = api.get_i64(item + "/stage", -1);
    if (index != last && index != last + 1) flag(api, item, "gap");
    api.put_i64(item + "/stage", std::max(index, last));
    append(api, item, "event " + std::to_string(api.caller()) + " " + stage);
  }

  void transfer(Api& api, const std::string& item, uint64_t to) {
    require_owner(api, item);
    api.put(item + "/owner", std::to_string(to));
    append(api, item, "transfer " + std::to_string(api.caller()) + " " + std::to_string(to));
  }

  void history(Api& api, const std::string& item) {
    const int64_t n = api.get_i64(item + "/n");
    std::string out;
    for (int64_t i = 1; i <= n; ++i) {
      out += api.get(item + "/" + std::to_string(i)).value_or("?");
      out += "\n";
    }
    api.ret(out);
  }

  void suspect(Api& api, const std::string& item) {
    if (!api.get(item + "/owner")) return api.ret("unknown");
    std::string flags = api.get(item + "/flags").value_or("");
    const int64_t last_stage = static_cast<int64_t>(split(api.param("stages")).size()) - 1;
    if (api.get_i64(item + "/stage", -1) < last_stage) {
      flags += flags.empty() ? "incomplete" : ",incomplete";
    }
    api.ret(flags);
  }
};

}  // namespace

ContractType provenance_contract() {
  return {"provenance",
          "provenance registry: item identity, events and ownership; gaps and duplicate "
          "identities flagged as suspected counterfeits",
          {{"stages", "expected event sequence, comma-separated", "production,transport,sale"},
           {"producers", "accounts that may register items, comma-separated (empty: anyone)", ""}},
          [](const Params&) { return std::make_unique<Provenance>(); }};
}

}  // namespace tradesim::contracts
