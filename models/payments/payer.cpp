// Originators: payment orders initiated in advance or on delivery.
#include "models/payments/payer.hpp"

#include <set>
#include <stdexcept>
#include <string>

namespace tradesim::payments {

Payer::Payer(std::vector<PaymentOrder> orders)
    : orders_(std::move(orders)), done_(orders_.size(), false) {
  std::set<uint64_t> ids;
  for (const PaymentOrder& o : orders_) {
    if (!ids.insert(o.id).second) {
      throw std::invalid_argument("payer: payment id " + std::to_string(o.id) + " given twice");
    }
    if (o.amount <= 0) {
      throw std::invalid_argument("payer: payment " + std::to_string(o.id) +
                                  " needs a positive amount");
    }
  }
}

// At the start, and after a restart (the timers died with the crash): every in-advance order not
// yet initiated is due at its time, or at once if that passed during the outage.
void Payer::on_start(sim::Context& ctx) {
  for (size_t i = 0; i < orders_.size(); ++i) {
    const PaymentOrder& o = orders_[i];
    if (o.terms != PaymentTerms::kInAdvance || done_[i]) continue;
    const sim::Duration wait = o.at > ctx.now() ? o.at - ctx.now() : sim::Duration::zero();
    ctx.set_timer(wait, i);
  }
}

void Payer::on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) {
  const auto* delivered = msg.get_if<DeliveryConfirmed>();
  if (delivered == nullptr) return on_other_message(ctx, from, msg);
  for (size_t i = 0; i < orders_.size(); ++i) {
    if (orders_[i].id == delivered->payment_id && orders_[i].terms == PaymentTerms::kOnDelivery) {
      return initiate_once(ctx, i);
    }
  }
}

void Payer::on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) {
  if (tag >= kOwnTimers) return on_own_timer(ctx, id, tag);
  initiate_once(ctx, static_cast<size_t>(tag));
}

// A second delivery notice for one order pays nothing more.
void Payer::initiate_once(sim::Context& ctx, size_t index) {
  if (done_[index]) return;
  done_[index] = true;
  ++initiated_count_;
  initiate(ctx, orders_[index]);
}

}  // namespace tradesim::payments
