// The `market` section (docs/market.md): trade platforms (B2B requests for quotation, B2C
// storefronts, C2C peer listings) with sellers, buyers, fees, reviews and disputes, settled either
// by the platform's central database (payment held by the platform, released after shipping,
// manual claims and disputes with their delays, costs and error rate) or on the consortium's
// ledger (an escrow contract per order released on an RFID delivery scan anchored by the
// courier's gateway, a provenance registry the buyer queries, on-ledger reputation from
// completed escrow trades only). The fraud actions non_delivery, inject_counterfeits,
// fake_reviews and sybil_sellers record their ground truth, what was detected or prevented, when,
// at what cost, and the money lost.
#pragma once

#include "sim/scenario.hpp"

namespace tradesim::trade::market {

void register_model(sim::Registry& registry);

}  // namespace tradesim::trade::market
