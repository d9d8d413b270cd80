// An originator of payments (an importer, a buyer): initiates each of its payment orders when it
// is due, in advance at the order's time or on delivery when a DeliveryConfirmed arrives. How a
// payment then travels is up to the settlement path that derives from it (CorrespondentPayer,
// LedgerPayer).
#pragma once

#include <vector>

#include "models/payments/payment.hpp"
#include "sim/engine.hpp"

namespace tradesim::payments {

class Payer : public sim::Node {
 public:
  // Order ids must be unique; throws std::invalid_argument otherwise.
  explicit Payer(std::vector<PaymentOrder> orders);

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;

  const std::vector<PaymentOrder>& orders() const { return orders_; }
  uint64_t initiated() const { return initiated_count_; }

 protected:
  // The order is due now: send it on its way.
  virtual void initiate(sim::Context& ctx, const PaymentOrder& order) = 0;
  // Messages other than DeliveryConfirmed, and timers the derived class set (tags at or above
  // kOwnTimers).
  virtual void on_other_message(sim::Context&, sim::NodeId, const sim::Message&) {}
  virtual void on_own_timer(sim::Context&, sim::TimerId, uint64_t /*tag*/) {}
  static constexpr uint64_t kOwnTimers = uint64_t{1} << 62;

 private:
  void initiate_once(sim::Context& ctx, size_t index);
  std::vector<PaymentOrder> orders_;
  std::vector<bool> done_;
  uint64_t initiated_count_ = 0;
};

}  // namespace tradesim::payments
