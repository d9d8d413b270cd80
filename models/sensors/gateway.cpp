// Sensor gateways: batching, Merkle trees, the off-chain store and anchoring (see gateway.hpp).
#include "models/sensors/gateway.hpp"

#include <algorithm>
#include <stdexcept>

#include "models/ledger/transaction.hpp"
#include "sim/engine.hpp"

namespace tradesim::sensors {

bool UplinkParams::connected(sim::SimTime t) const {
  if (windows.empty()) return true;
  return std::any_of(windows.begin(), windows.end(),
                     [t](const Window& w) { return w.contains(t); });
}

sim::SimTime UplinkParams::next_up(sim::SimTime t) const {
  if (connected(t)) return t;
  sim::SimTime next = sim::SimTime::max();
  for (const Window& w : windows) {
    if (w.from > t && w.from < w.to) next = std::min(next, w.from);
  }
  return next;
}

ledger::Digest AnchorBatch::signing_digest() const {
  return ledger::Sha256()
      .update("tradesim.sensors.batch")
      .update_u64(gateway)
      .update_u64(batch_id)
      .update(root)
      .update_u64(uploads)
      .update_u64(scans)
      .update_u64(readings)
      .update_u64(static_cast<uint64_t>(first_t.ns()))
      .update_u64(static_cast<uint64_t>(last_t.ns()))
      .update_u64(static_cast<uint64_t>(closed.ns()))
      .finish();
}

namespace {
void put_u64(std::vector<uint8_t>& out, uint64_t v, int bytes = 8) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t get_u64(std::span<const uint8_t> in, size_t at, int bytes = 8) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(in[at + i]) << (8 * i);
  return v;
}
}  // namespace

std::vector<uint8_t> AnchorBatch::payload() const {
  std::vector<uint8_t> out(root.begin(), root.end());
  out.reserve(kPayloadBytes);
  put_u64(out, gateway);
  put_u64(out, batch_id);
  put_u64(out, readings, 4);
  put_u64(out, static_cast<uint64_t>(first_t.ns()));
  put_u64(out, static_cast<uint64_t>(last_t.ns()));
  return out;
}

std::optional<AnchorBatch> parse_anchor_payload(std::span<const uint8_t> payload) {
  if (payload.size() != AnchorBatch::kPayloadBytes) return std::nullopt;
  AnchorBatch b;
  std::copy(payload.begin(), payload.begin() + 32, b.root.begin());
  b.gateway = static_cast<sim::NodeId>(get_u64(payload, 32));
  b.batch_id = get_u64(payload, 40);
  b.readings = static_cast<uint32_t>(get_u64(payload, 48, 4));
  b.first_t = sim::SimTime::from_ns(static_cast<int64_t>(get_u64(payload, 52)));
  b.last_t = sim::SimTime::from_ns(static_cast<int64_t>(get_u64(payload, 60)));
  return b;
}

Gateway::Gateway(std::vector<sim::NodeId> validators, uint64_t run_seed, sim::NodeId self,
                 GatewayParams params, const KeyDirectory* keys, Conservation* counts,
                 const GatewayObserver* observer)
    : params_(std::move(params)),
      key_(ledger::KeyPair::derive(run_seed, self)),
      keys_(keys),
      counts_(counts),
      observer_(observer),
      submitter_(std::move(validators), params_.submit_to, params_.retry_after) {
  if (keys_ == nullptr || counts_ == nullptr) {
    throw std::invalid_argument("sensor gateway: no key directory or counters");
  }
  if (params_.batch_max_items == 0) throw std::invalid_argument("sensor gateway: batch size 0");
  if (params_.batch_interval <= sim::Duration::zero()) {
    throw std::invalid_argument("sensor gateway: batch interval <= 0");
  }
}

void Gateway::on_start(sim::Context& ctx) {
  counts_->gateway(ctx.self());
}

void Gateway::on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) {
  if (const auto* u = msg.get_if<UploadMsg>()) return on_upload(ctx, u->upload);
  if (const auto* s = msg.get_if<ScanMsg>()) return on_scan(ctx, s->scan);
  if (const auto* c = msg.get_if<consensus::TxCommitted>()) return on_tx_committed(ctx, from, *c);
}

// A hub's upload: its signature is checked against the registered device key (the gateway does
// not check sequence numbers: replays and gaps are the readers' to find, from the anchored data).
void Gateway::on_upload(sim::Context& ctx, const Upload& upload) {
  GatewayCounts& counts = counts_->gateway(ctx.self());
  const uint64_t n = upload.readings.size();
  counts.received += n;
  if (params_.verify_uploads) {
    ctx.charge(params_.verify_cost +
               sim::Duration::from_ns(params_.hash_per_kib.ns() * upload.wire_size() / 1024));
    const auto key = keys_->find(upload.header.device);
    if (key == keys_->end() || !verify_upload(upload, key->second, params_.memo)) {
      ++rejected_uploads_;
      counts.lost[static_cast<size_t>(LossCause::kRejected)] += n;
      if (observer_ != nullptr && observer_->rejected) {
        observer_->rejected(upload.header.device, ctx.now());
      }
      return;
    }
  }
  counts.in_buffer += n;
  open_uploads_.push_back(upload);
  open_items_ += n;
  if (!batch_timer_) batch_timer_ = ctx.set_timer(params_.batch_interval, kBatchTimer);
  if (open_items_ >= params_.batch_max_items) close_batch(ctx);
}

void Gateway::on_scan(sim::Context& ctx, const RfidScan& scan) {
  if (params_.verify_uploads) {
    ctx.charge(params_.verify_cost);
    const auto key = keys_->find(scan.scanner);
    if (key == keys_->end() || !verify_scan(scan, key->second)) {
      ++rejected_uploads_;
      return;
    }
  }
  open_scans_.push_back(scan);
  ++open_items_;
  if (!batch_timer_) batch_timer_ = ctx.set_timer(params_.batch_interval, kBatchTimer);
  if (open_items_ >= params_.batch_max_items) close_batch(ctx);
}

void Gateway::on_timer(sim::Context& ctx, sim::TimerId, uint64_t tag) {
  switch (tag) {
    case kBatchTimer:
      batch_timer_.reset();
      close_batch(ctx);
      break;
    case kLinkTimer:
      link_timer_.reset();
      flush_awaiting(ctx);
      break;
    case kRetryTimer:
      retry_timer_.reset();
      if (params_.uplink.connected(ctx.now())) {
        const sim::SendOptions options{.delay = params_.uplink.latency};
        submitter_.resend_due(ctx, options, [this](sim::Context& c) { return uplink_carries(c); });
      }
      arm_retry(ctx);
      break;
    default:
      break;
  }
}

// The open uploads and scans become one batch: a Merkle tree over their leaves, a signed record,
// and the store; then the anchor leaves when the uplink is up.
void Gateway::close_batch(sim::Context& ctx) {
  if (batch_timer_) {
    ctx.cancel_timer(*batch_timer_);
    batch_timer_.reset();
  }
  if (open_uploads_.empty() && open_scans_.empty()) return;
  GatewayCounts& counts = counts_->gateway(ctx.self());
  StoredBatch b;
  b.record.gateway = ctx.self();
  b.record.batch_id = store_.size() + 1;
  b.record.closed = ctx.now();
  b.record.first_t = sim::SimTime::max();
  b.record.last_t = sim::SimTime::zero();
  b.uploads = std::move(open_uploads_);
  b.scans = std::move(open_scans_);
  open_uploads_.clear();
  open_scans_.clear();
  open_items_ = 0;
  b.leaves.reserve(b.uploads.size() + b.scans.size());
  for (uint32_t i = 0; i < b.uploads.size(); ++i) {
    const Upload& u = b.uploads[i];
    b.leaves.push_back(u.header.leaf());
    b.record.readings += u.header.count;
    for (const Reading& r : u.readings) {
      b.record.first_t = std::min(b.record.first_t, r.t);
      b.record.last_t = std::max(b.record.last_t, r.t);
    }
    // One index entry per upload, not per reading (a month of a thousand containers is tens of
    // millions of readings); a replayed upload keeps the first one's place.
    if (!u.readings.empty()) {
      where_.emplace(std::pair{u.header.device, u.header.first_seq},
                     std::pair{b.record.batch_id, i});
    }
  }
  for (uint32_t i = 0; i < b.scans.size(); ++i) {
    const RfidScan& s = b.scans[i];
    b.leaves.push_back(s.leaf());
    b.record.first_t = std::min(b.record.first_t, s.t);
    b.record.last_t = std::max(b.record.last_t, s.t);
    where_scan_.emplace(std::pair{s.tag, static_cast<uint8_t>(s.checkpoint)},
                        std::pair{b.record.batch_id, i});
  }
  b.record.uploads = static_cast<uint32_t>(b.uploads.size());
  b.record.scans = static_cast<uint32_t>(b.scans.size());
  b.record.root = ledger::merkle_root(b.leaves);
  // Hashing the tree (about 2 digests per leaf) and signing the record.
  ctx.charge(params_.sign_cost +
             sim::Duration::from_ns(2 * static_cast<int64_t>(b.leaves.size()) * 150));
  b.record.signature = key_.sign(b.record.signing_digest());
  counts.in_buffer -= b.record.readings;
  if (withholding_) {
    b.state = BatchState::kWithheld;
    counts.lost[static_cast<size_t>(LossCause::kGatewayDrop)] += b.record.readings;
  } else {
    counts.awaiting_anchor += b.record.readings;
  }
  store_.push_back(std::move(b));
  StoredBatch& stored = store_.back();
  if (observer_ != nullptr && observer_->closed) observer_->closed(stored, ctx.now());
  if (stored.state == BatchState::kAwaitingLink) flush_awaiting(ctx);
}

bool Gateway::uplink_carries(sim::Context& ctx) {
  return !(params_.uplink.loss > 0 && ctx.rng().bernoulli(params_.uplink.loss));
}

// Submits every batch waiting for the uplink if it is up; otherwise waits for the next window.
void Gateway::flush_awaiting(sim::Context& ctx) {
  if (!params_.uplink.connected(ctx.now())) {
    const sim::SimTime next = params_.uplink.next_up(ctx.now());
    if (!link_timer_ && next != sim::SimTime::max()) {
      link_timer_ = ctx.set_timer(next - ctx.now(), kLinkTimer);
    }
    return;
  }
  for (StoredBatch& b : store_) {
    if (b.state == BatchState::kAwaitingLink) submit(ctx, b);
  }
}

// One kSensorAnchor transaction per batch, signed by the gateway, through the consortium's
// client path (SubmitTx, then TxCommitted from the validators).
void Gateway::submit(sim::Context& ctx, StoredBatch& b) {
  ledger::Transaction tx;
  tx.kind = ledger::TxKind::kSensorAnchor;
  tx.sender = ctx.self();
  tx.nonce = ++nonce_;
  tx.fee = params_.fee;
  tx.payload = b.record.payload();
  tx.declared_bytes = AnchorBatch::kDeclaredBytes;
  tx.submitted_ns = ctx.now().ns();
  tx.sign_with(key_);
  ctx.charge(params_.sign_cost);
  const ledger::TxPtr sealed = ledger::seal(std::move(tx));
  b.state = BatchState::kSubmitted;
  b.submitted = ctx.now();
  b.tx_id = sealed->id();
  batch_of_tx_[b.tx_id] = b.record.batch_id;
  const bool carried = uplink_carries(ctx);
  if (carried) {
    uplink_bytes_ += sealed->wire_size();
    uplink_cost_ += params_.uplink.cost_per_byte * sealed->wire_size();
  }
  submitter_.submit(ctx, sealed, {.delay = params_.uplink.latency}, carried);
  arm_retry(ctx);
}

void Gateway::arm_retry(sim::Context& ctx) {
  if (retry_timer_) return;
  const auto next = submitter_.next_retry();
  if (!next) return;
  retry_timer_ = ctx.set_timer(std::max(sim::Duration::zero(), *next - ctx.now()), kRetryTimer);
}

void Gateway::on_tx_committed(sim::Context& ctx, sim::NodeId from,
                              const consensus::TxCommitted& m) {
  const auto confirmed = submitter_.on_committed(from, m);
  if (!confirmed) return;
  const auto it = batch_of_tx_.find(m.id);
  if (it == batch_of_tx_.end()) return;
  StoredBatch& b = store_[it->second - 1];
  b.state = BatchState::kAnchored;
  b.anchored = ctx.now();
  b.height = confirmed->height;
  GatewayCounts& counts = counts_->gateway(ctx.self());
  counts.awaiting_anchor -= b.record.readings;
  counts.anchored += b.record.readings;
  if (observer_ != nullptr && observer_->anchored) observer_->anchored(b, ctx.now());
}

const StoredBatch* Gateway::batch(uint64_t batch_id) const {
  if (batch_id == 0 || batch_id > store_.size()) return nullptr;
  return &store_[batch_id - 1];
}

std::optional<ReadingProof> Gateway::fetch(DeviceId device, uint64_t seq) const {
  // The upload with the highest first sequence number at or below `seq`.
  auto it = where_.upper_bound({device, seq});
  if (it == where_.begin()) return std::nullopt;
  --it;
  if (it->first.first != device) return std::nullopt;
  const StoredBatch& b = store_[it->second.first - 1];
  const uint32_t upload_index = it->second.second;
  const Upload& u = b.uploads[upload_index];
  const auto r = std::find_if(u.readings.begin(), u.readings.end(),
                              [seq](const Reading& x) { return x.seq == seq; });
  if (r == u.readings.end()) return std::nullopt;  // suppressed, or never uploaded
  ReadingProof p;
  p.reading = *r;
  p.header = u.header;
  p.in_upload = reading_path(u, static_cast<size_t>(r - u.readings.begin()));
  p.in_batch = ledger::merkle_proof(b.leaves, upload_index);
  p.gateway = b.record.gateway;
  p.batch_id = b.record.batch_id;
  return p;
}

std::vector<ReadingProof> Gateway::proofs(uint64_t batch_id) const {
  std::vector<ReadingProof> out;
  const StoredBatch* b = batch(batch_id);
  if (b == nullptr) return out;
  for (size_t i = 0; i < b->uploads.size(); ++i) {
    const Upload& u = b->uploads[i];
    const ledger::MerkleProof in_batch = ledger::merkle_proof(b->leaves, i);
    for (size_t k = 0; k < u.readings.size(); ++k) {
      out.push_back({u.readings[k], u.header, reading_path(u, k), in_batch, b->record.gateway,
                     b->record.batch_id});
    }
  }
  return out;
}

std::optional<ScanProof> Gateway::fetch_scan(uint64_t tag, Checkpoint checkpoint) const {
  const auto it = where_scan_.find({tag, static_cast<uint8_t>(checkpoint)});
  if (it == where_scan_.end()) return std::nullopt;
  const StoredBatch& b = store_[it->second.first - 1];
  ScanProof p;
  p.scan = b.scans[it->second.second];
  p.in_batch = ledger::merkle_proof(b.leaves, b.uploads.size() + it->second.second);
  p.gateway = b.record.gateway;
  p.batch_id = b.record.batch_id;
  return p;
}

}  // namespace tradesim::sensors
