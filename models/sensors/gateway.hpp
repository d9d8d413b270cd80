// A sensor gateway (vessel, port, warehouse, truck; issue 6): collects signed uploads from hubs
// and signed RFID scans, batches them by size or time, builds a Merkle tree over them, signs the
// batch, keeps the batch and its raw readings off-chain in its own store, and anchors the batch's
// root on the ledger with one TxKind::kSensorAnchor transaction, over an uplink with its own
// latency, loss, connectivity windows and cost per byte (store and forward between windows).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "models/consensus/submitter.hpp"
#include "models/ledger/merkle.hpp"
#include "models/sensors/conservation.hpp"
#include "models/sensors/device.hpp"
#include "models/sensors/reading.hpp"

namespace tradesim::sensors {

// Registered device and scanner keys (the consortium's device registry).
using KeyDirectory = std::map<DeviceId, ledger::PublicKey>;

// Sent by a scanner (or the node that hosts it) to a gateway.
struct ScanMsg {
  RfidScan scan;
};

struct UplinkParams {
  sim::Duration latency = sim::Duration::from_ns(100 * sim::units::kMillisecond);
  double loss = 0;              // per message sent to validators
  std::vector<Window> windows;  // when the uplink is up; empty: always
  double cost_per_byte = 0;     // satellite airtime, in the run's currency per byte
  bool connected(sim::SimTime t) const;
  // The first time at or after t when it is up (SimTime::max() if never again).
  sim::SimTime next_up(sim::SimTime t) const;
};

struct GatewayParams {
  size_t batch_max_items = 256;  // readings and scans; a batch closes when it holds this many
  sim::Duration batch_interval = sim::Duration::from_ns(5 * sim::units::kMinute);  // or this long
  UplinkParams uplink;
  consensus::SubmitTo submit_to = consensus::SubmitTo::kOne;
  sim::Duration retry_after = sim::Duration::from_ns(30 * sim::units::kSecond);
  uint64_t fee = 0;  // an anchor with a fee needs a funded account (consensus fund_at_genesis)
  bool verify_uploads = true;  // refuse uploads and scans whose signature does not verify
  sim::Duration verify_cost = sim::Duration::from_ns(45 * sim::units::kMicrosecond);
  sim::Duration sign_cost = sim::Duration::from_ns(20 * sim::units::kMicrosecond);
  sim::Duration hash_per_kib = sim::Duration::from_ns(1200);
  // Shared with the run's readers so that a signature is checked for real once (the simulated
  // CPU is charged to each checker all the same); null: no memo.
  ledger::VerificationMemo* memo = nullptr;
};

// The signed record of one batch, kept off-chain; its root goes on the ledger.
struct AnchorBatch {
  sim::NodeId gateway = 0;
  uint64_t batch_id = 0;  // per gateway, from 1
  ledger::Digest root{};  // Merkle root over the uploads' and scans' leaves
  uint32_t uploads = 0, scans = 0, readings = 0;
  sim::SimTime first_t, last_t;  // the span of the readings' and scans' times
  sim::SimTime closed;
  ledger::Signature signature{};  // the gateway's, over the fields above

  ledger::Digest signing_digest() const;
  // The anchor transaction's payload: root, gateway, batch id, readings, first_t, last_t.
  std::vector<uint8_t> payload() const;
  static constexpr uint32_t kPayloadBytes = 32 + 8 + 8 + 4 + 8 + 8;
  // Declared on the wire: the payload plus the gateway's batch signature.
  static constexpr uint32_t kDeclaredBytes = kPayloadBytes + 64;
};

// Reads an anchor transaction's payload back (for readers that scan the chain).
std::optional<AnchorBatch> parse_anchor_payload(std::span<const uint8_t> payload);

enum class BatchState : uint8_t { kAwaitingLink, kSubmitted, kAnchored, kWithheld };

struct StoredBatch {
  AnchorBatch record;
  std::vector<Upload> uploads;
  std::vector<RfidScan> scans;
  std::vector<ledger::Digest> leaves;  // uploads' leaves, then scans' leaves
  BatchState state = BatchState::kAwaitingLink;
  sim::SimTime submitted = sim::SimTime::max();
  sim::SimTime anchored = sim::SimTime::max();
  uint64_t height = 0;
  ledger::Digest tx_id{};
};

// Everything a reader needs to check one reading: the reading, the signed upload header, the
// reading's path in the upload and the upload's path in the anchored batch.
struct ReadingProof {
  Reading reading;
  UploadHeader header;
  ledger::MerkleProof in_upload;
  ledger::MerkleProof in_batch;
  sim::NodeId gateway = 0;
  uint64_t batch_id = 0;
  uint32_t wire_size() const {
    return Reading::kEncodedBytes + UploadHeader::kWireBytes +
           static_cast<uint32_t>(in_upload.encoded_size() + in_batch.encoded_size()) + 16;
  }
};

struct ScanProof {
  RfidScan scan;
  ledger::MerkleProof in_batch;
  sim::NodeId gateway = 0;
  uint64_t batch_id = 0;
};

struct GatewayObserver {
  std::function<void(const StoredBatch& batch, sim::SimTime at)> closed;
  // The batch's anchor has enough TxCommitted replies: it is visible on the ledger from `at`.
  std::function<void(const StoredBatch& batch, sim::SimTime at)> anchored;
  // An upload of `device` refused at `at`: its signature did not verify.
  std::function<void(DeviceId device, sim::SimTime at)> rejected;
};

class Gateway : public sim::Node {
 public:
  // `keys`, `counts` and `observer` (may be null) must outlive the node; the gateway's own key
  // is KeyPair::derive(run_seed, self) as for ledger clients.
  Gateway(std::vector<sim::NodeId> validators, uint64_t run_seed, sim::NodeId self,
          GatewayParams params, const KeyDirectory* keys, Conservation* counts,
          const GatewayObserver* observer = nullptr);
  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  std::string_view kind() const override { return "sensor-gateway"; }

  // gateway_drop: while set, every batch closed is withheld (kept, never anchored).
  void set_withholding(bool on) { withholding_ = on; }

  const std::vector<StoredBatch>& store() const { return store_; }
  const StoredBatch* batch(uint64_t batch_id) const;
  // The proof of a device's reading from the store (any batch state), if the gateway holds it.
  std::optional<ReadingProof> fetch(DeviceId device, uint64_t seq) const;
  // The proofs of every reading in a batch, in the batch's order (a reader auditing the batch).
  std::vector<ReadingProof> proofs(uint64_t batch_id) const;
  std::optional<ScanProof> fetch_scan(uint64_t tag, Checkpoint checkpoint) const;
  const ledger::PublicKey& public_key() const { return key_.public_key(); }
  double uplink_cost() const { return uplink_cost_; }
  uint64_t uplink_bytes() const { return uplink_bytes_; }
  uint64_t rejected_uploads() const { return rejected_uploads_; }
  const consensus::TxSubmitter& submitter() const { return submitter_; }

 private:
  static constexpr uint64_t kBatchTimer = 1, kLinkTimer = 2, kRetryTimer = 3;
  void on_upload(sim::Context& ctx, const Upload& upload);
  void on_scan(sim::Context& ctx, const RfidScan& scan);
  void close_batch(sim::Context& ctx);
  void submit(sim::Context& ctx, StoredBatch& batch);
  void flush_awaiting(sim::Context& ctx);
  void on_tx_committed(sim::Context& ctx, sim::NodeId from, const consensus::TxCommitted& m);
  void arm_retry(sim::Context& ctx);
  bool uplink_carries(sim::Context& ctx);

  GatewayParams params_;
  ledger::KeyPair key_;
  const KeyDirectory* keys_;
  Conservation* counts_;
  const GatewayObserver* observer_;
  consensus::TxSubmitter submitter_;
  uint64_t nonce_ = 0;
  std::vector<Upload> open_uploads_;
  std::vector<RfidScan> open_scans_;
  size_t open_items_ = 0;
  std::optional<sim::TimerId> batch_timer_;
  std::optional<sim::TimerId> link_timer_;
  std::optional<sim::TimerId> retry_timer_;
  bool withholding_ = false;
  std::vector<StoredBatch> store_;                  // by batch id - 1
  std::map<ledger::Digest, uint64_t> batch_of_tx_;  // anchor tx id -> batch id
  // (device, first seq of an upload) -> (batch id, upload index)
  std::map<std::pair<DeviceId, uint64_t>, std::pair<uint64_t, uint32_t>> where_;
  std::map<std::pair<uint64_t, uint8_t>, std::pair<uint64_t, uint32_t>> where_scan_;
  double uplink_cost_ = 0;
  uint64_t uplink_bytes_ = 0;
  uint64_t rejected_uploads_ = 0;
};

}  // namespace tradesim::sensors
