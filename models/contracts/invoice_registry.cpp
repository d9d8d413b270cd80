// The invoice registry contract (see invoice_registry.hpp).
#include "models/contracts/invoice_registry.hpp"

namespace tradesim::contracts {

namespace {

class InvoiceRegistry : public Contract {
 public:
  void call(Api& api, std::string_view method, const Args& args) override {
    const Bytes& hash = args.bytes(0);
    api.require(hash.size() == 32, "an invoice hash is 32 bytes");
    const std::string id = ledger::to_hex(hash);
    if (method == "finance") return finance(api, id, args.u64(1));
    if (method == "financier") return api.ret(api.get("financed/" + id).value_or(""));
    if (method == "attempts") return api.ret(std::to_string(api.get_i64("attempts/" + id)));
    api.fail("invoice_registry: no method " + std::string(method));
  }

 private:
  void finance(Api& api, const std::string& id, uint64_t issuer) {
    api.require(api.value() > 0, "attach the advance");
    if (api.get("financed/" + id)) {
      // Refused, but not reverted: the attempt stays on record (a revert would erase it).
      const int64_t n = api.get_i64("attempts/" + id) + 1;
      api.put_i64("attempts/" + id, n);
      api.put("attempts/" + id + "/" + std::to_string(n), std::to_string(api.caller()));
      api.transfer(api.caller(), api.value());
      api.emit("double_financing", id + " " + std::to_string(api.caller()));
      api.ret("refused");
      return;
    }
    api.put("financed/" + id, std::to_string(api.caller()));
    api.put("issuer/" + id, std::to_string(issuer));
    api.transfer(issuer, api.value());
    api.emit("financed", id + " " + std::to_string(api.caller()));
    api.ret("financed");
  }
};

}  // namespace

ContractType invoice_registry_contract() {
  return {"invoice_registry",
          "invoice registry: each invoice hash financed once; later requests refused and recorded",
          {},
          [](const Params&) { return std::make_unique<InvoiceRegistry>(); }};
}

}  // namespace tradesim::contracts
