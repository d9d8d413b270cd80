// Proof of authority after Clique (EIP-225, Szilágyi 2017): the validators take turns to seal
// blocks every `period`, the in-turn signer with difficulty 2, the others after a random wiggle
// with difficulty 1; nobody seals twice within floor(n/2) + 1 blocks; forks resolve to the
// heaviest chain. Clique has no finality of its own: here a block reaches the ledger once it is
// `confirmations` blocks deep. Sections refer to EIP-225; the signer votes are not modelled.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/consensus/validator.hpp"

namespace tradesim::consensus {

struct PoaParams {
  // BLOCK_PERIOD: the least time between a block and its parent (15 s on Rinkeby; shorter here).
  sim::Duration period = sim::Duration::from_ns(1 * sim::units::kSecond);
  // WIGGLE_TIME: an out-of-turn signer waits rand[0, (n/2 + 1) * wiggle) more than the in-turn one.
  sim::Duration wiggle = sim::Duration::from_ns(500 * sim::units::kMillisecond);
  // Blocks that must be built on a block before it is final and goes to the ledger; unset:
  // safe_confirmations(n). See there why n/2 + 1, the signer limit, is not enough.
  std::optional<uint64_t> confirmations;
  // Blocks (the asked one and its ancestors) a peer sends at most in answer to one fetch.
  uint32_t fetch_batch = 64;
};

// The Clique header (EIP-225 "Block headers"): Ethereum's header reduced to what Clique reads.
// The signer is implied by the seal in Clique (ecrecover); here it is named and the seal checked
// against that signer's key, which is equivalent.
struct PoaHeader {
  uint64_t height = 0;
  ledger::Digest parent{};
  ledger::Digest tx_root{};
  uint32_t signer = 0;
  uint8_t difficulty = 0;  // DIFF_INTURN = 2, DIFF_NOTURN = 1
  int64_t timestamp_ns = 0;
  uint32_t tx_count = 0;
  uint64_t extra = 0;  // the extra-data vanity: lets one signer seal distinct blocks on one parent
  // The seal hash (EIP-225 "sigHash"): every field; the seal signs it and it names the block.
  ledger::Digest hash() const;
  static constexpr uint32_t kBytes = 8 + 32 + 32 + 4 + 1 + 8 + 4 + 8;
};

struct PoaBlock {
  PoaHeader header;
  ledger::BatchPtr body;
  ledger::Signature seal{};
  ledger::Digest hash{};  // header.hash(), computed once by the sealer
  uint32_t wire_size() const {
    return PoaHeader::kBytes + 64 + static_cast<uint32_t>(body->bytes());
  }
};
using PoaBlockPtr = std::shared_ptr<const PoaBlock>;

// Messages: blocks (sealed, announced, or sent in answer to a fetch, oldest first) and a request
// for a block whose parent is missing.
struct PoaBlocks {
  std::vector<PoaBlockPtr> blocks;
};
struct PoaFetch {
  ledger::Digest hash{};     // the block wanted; zero: the sender's head
  uint64_t known_height{0};  // the requester's final height: no need to send what lies below
};

// The default finality depth. The signer limit suggests n/2 + 1: a side of at most n/2 signers
// seals at most one block each. But blocks are weighed, not counted: a minority of
// k <= (n - 1)/2 signers may seal all its blocks in turn (weight 2k) while the majority seals out
// of turn (weight 1 each), which needs d + 1 > 2 * floor((n - 1)/2) (6 for 7 signers; the
// property test found a 3-block minority branch of weight 6 beating a final block under 5 blocks
// of weight 5). Even that assumes every majority signer saw every majority block: under
// partitions that come and go, a signer that missed a block can extend a minority's branch, and
// the 10,000-seed sweep found reorgs below a depth of 2 with 4 signers (6 seeds in 1,200). One
// full rotation, n blocks, passed those seeds: an empirical bound, not a proof.
uint64_t safe_confirmations(size_t n);

class PoaSigner : public Validator {
 public:
  PoaSigner(std::vector<sim::NodeId> signers, uint32_t index, uint64_t run_seed, PoaParams params,
            LedgerParams ledger, ValidatorShared* shared);

  void on_start(sim::Context& ctx) override;
  void on_crash(sim::SimTime at) override;
  std::string_view kind() const override { return "poa-validator"; }

  uint64_t confirmations() const { return confirmations_; }
  // The signer limit's window: a signer seals at most one of any floor(n/2) + 1 consecutive blocks.
  uint64_t signer_limit() const { return n_ / 2 + 1; }
  uint32_t in_turn(uint64_t height) const { return static_cast<uint32_t>(height % n_); }
  const PoaBlock& head() const { return *tree_.at(head_).block; }
  uint64_t head_height() const { return head().header.height; }
  uint64_t final_height() const { return final_height_; }
  // The canonical block at `height` (at most the head's height).
  const PoaBlock& canonical(uint64_t height) const {
    return *tree_.at(canonical_.at(height)).block;
  }
  size_t tree_size() const { return tree_.size(); }

  // What happened at this signer, for the tests and metrics.
  struct Stats {
    uint64_t sealed_in_turn = 0, sealed_out_of_turn = 0;
    uint64_t forks = 0;            // blocks that joined the tree beside a sibling
    uint64_t reorgs = 0;           // head changes that abandoned canonical blocks
    uint64_t max_reorg_depth = 0;  // the most canonical blocks abandoned at once
    uint64_t deep_reorgs = 0;      // heavier branches that would have reverted a final block
    uint64_t equivocations = 0;    // two seals by one signer on one parent
    uint64_t invalid_blocks = 0;   // blocks refused (bad seal, root, rules)
    uint64_t fetches = 0;          // requests for missing parents
  };
  const Stats& stats() const { return stats_; }

 protected:
  void on_protocol_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_protocol_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  void on_transaction(sim::Context&, const ledger::TxPtr&) override {}
  std::vector<uint32_t> forward_targets() const override;

 private:
  static constexpr uint64_t kSealTimer = 1, kAnnounceTimer = 2;
  struct TreeNode {
    PoaBlockPtr block;
    uint64_t total_difficulty;
    uint32_t children = 0;
  };

  void on_blocks(sim::Context& ctx, sim::NodeId from, const PoaBlocks& m);
  void on_fetch(sim::Context& ctx, sim::NodeId from, const PoaFetch& m);
  void receive(sim::Context& ctx, sim::NodeId from, const PoaBlockPtr& block);
  void connect_all(sim::Context& ctx, std::vector<PoaBlockPtr> ready);
  bool connect(sim::Context& ctx, const PoaBlockPtr& block);
  void choose_head(sim::Context& ctx, const ledger::Digest& candidate);
  void finalize(sim::Context& ctx);
  void schedule_seal(sim::Context& ctx);
  void seal(sim::Context& ctx);
  void arm_announce(sim::Context& ctx);
  bool signed_recently(uint32_t signer, const ledger::Digest& parent) const;
  bool better(const ledger::Digest& a, const ledger::Digest& b) const;
  std::optional<uint32_t> index_of(sim::NodeId node) const;

  PoaParams params_;
  uint64_t confirmations_;
  std::unordered_map<ledger::Digest, TreeNode, ledger::DigestHash> tree_;
  ledger::Digest head_{};
  std::vector<ledger::Digest> canonical_;  // by height, genesis to head
  uint64_t final_height_ = 0;              // the highest block handed to the ledger
  // Blocks waiting for their parent, by the parent's hash.
  std::unordered_map<ledger::Digest, std::vector<PoaBlockPtr>, ledger::DigestHash> orphans_;
  std::unordered_set<ledger::Digest, ledger::DigestHash> orphan_hashes_;
  size_t orphan_count_ = 0;
  // Parents asked for, and when (asked again if no answer came within a period).
  std::unordered_map<ledger::Digest, sim::SimTime, ledger::DigestHash> requested_;
  static constexpr size_t kMaxOrphans = 4096;
  std::unordered_set<ledger::Digest, ledger::DigestHash> invalid_;
  std::unordered_set<ledger::Digest, ledger::DigestHash> deep_branches_;   // counted once each
  std::map<std::pair<uint32_t, ledger::Digest>, ledger::Digest> seal_of_;  // (signer, parent)
  sim::TimerId seal_timer_ = sim::kNoTimer;
  sim::TimerId announce_timer_ = sim::kNoTimer;
  int64_t seal_timestamp_ns_ = 0;
  sim::SimTime started_at_;
  uint64_t invalid_sealed_ = 0;  // an invalid_proposal signer alternates its faults
  Stats stats_;
};

}  // namespace tradesim::consensus
