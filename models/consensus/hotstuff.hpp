// Chained HotStuff (Yin, Malkhi, Reiter, Gueta and Abraham, "HotStuff: BFT Consensus with
// Linearity and Responsiveness", PODC 2019, Algorithm 3): one generic phase per view, votes sent
// to the next view's leader, two-chain lock and three-chain commit, with a pacemaker (the paper
// leaves it abstract) that backs off exponentially and synchronises views.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/consensus/validator.hpp"

namespace tradesim::consensus {

struct HotStuffParams {
  // The pacemaker's view timer: doubled by each view that ends without progress, reset by a new
  // QC, and capped like PBFT's view-change timeout (unbounded doubling lets one replica that ran
  // ahead keep the others waiting for minutes).
  sim::Duration view_timeout = sim::Duration::from_ns(500 * sim::units::kMillisecond);
  sim::Duration max_view_timeout = sim::Duration::from_ns(4 * sim::units::kSecond);
  uint32_t forward_leaders = 2;  // client transactions go to the leaders of the next views
  uint32_t fetch_depth = 1024;   // ancestors sent back per block request
  // The faulty replicas' coalition, known only to them. An equivocating replica listed here is
  // two-faced: it runs the protocol twice, one face with the even-index replicas and one with the
  // odd, each face talking to the same face of its colluders. Otherwise an equivocating replica
  // sends two proposals per view it leads and votes for every proposal.
  std::vector<uint32_t> colluders;
};

// A signed vote, as carried inside a QC.
struct PartialSignature {
  uint32_t replica;
  ledger::Signature signature;
};

// A quorum certificate: 2f + 1 votes for `block` in `view` (the paper's "QC"). The genesis QC
// (view 0) has no votes and certifies the genesis node.
struct QuorumCert {
  uint64_t view = 0;
  ledger::Digest block{};
  std::vector<PartialSignature> votes;
};

// A HotStuff node (the paper's "node": a tree vertex), carrying one ledger block body. Its hash
// binds every field but the justify QC's signatures (a QC is identified by its view and block).
struct HotStuffBlock {
  uint64_t view = 0;
  ledger::Digest parent{};
  QuorumCert justify;
  ledger::BatchPtr body;
  ledger::Digest tx_root{};  // the root the proposer claims for `body`
  sim::NodeId proposer = 0;
  int64_t timestamp_ns = 0;
  ledger::Digest hash{};  // computed by seal()
  void seal();
};
using HotStuffBlockPtr = std::shared_ptr<const HotStuffBlock>;

// Leader -> all: a new node for `block->view`, signed over its hash (Algorithm 3, "generic").
struct Proposal {
  HotStuffBlockPtr block;
  ledger::Signature signature;
};
// Replica -> leader of view + 1: a partial signature over (view, block).
struct Vote {
  uint64_t view;
  ledger::Digest block;
  uint32_t replica;
  ledger::Signature signature;
};
// Sent on a view timeout: the sender's highQC for the next leader (Algorithm 3, nextView), and
// its last vote, so that a QC the crashed leader would have formed is not lost. Multicast: the
// other replicas use it only to join views that f + 1 replicas moved to.
struct HotStuffNewView {
  uint64_t view;
  QuorumCert high_qc;
  std::optional<Vote> last_vote;
  uint32_t replica;
  ledger::Signature signature;
};
// A replica that lacks a proposal's ancestors asks the proposer for them.
struct BlockRequest {
  ledger::Digest block;
  uint64_t above_view;  // the requester's last committed view: older ancestors it has
};
struct BlockReply {
  std::vector<HotStuffBlockPtr> blocks;  // the requested block, then its ancestors
};
// Between two-faced colluders: `inner` is for the receiver's face in `world` (0 even, 1 odd).
struct FaceMessage {
  int world;
  sim::Message inner;
};

class HotStuffReplica : public Validator {
 public:
  HotStuffReplica(std::vector<sim::NodeId> replicas, uint32_t index, uint64_t run_seed,
                  HotStuffParams params, LedgerParams ledger, ValidatorShared* shared);

  void on_start(sim::Context& ctx) override;
  void on_crash(sim::SimTime at) override;
  std::string_view kind() const override { return "hotstuff-validator"; }

  uint64_t view() const { return view_; }
  const QuorumCert& high_qc() const { return high_qc_; }
  uint64_t locked_view() const { return locked_view_; }
  uint64_t executed_view() const { return block(executed_)->view; }
  size_t f() const { return (n_ - 1) / 3; }
  uint32_t leader_of(uint64_t view) const { return static_cast<uint32_t>(view % n_); }

 protected:
  void on_protocol_message(sim::Context& ctx, sim::NodeId from, const sim::Message& msg) override;
  void on_protocol_timer(sim::Context& ctx, sim::TimerId id, uint64_t tag) override;
  void on_transaction(sim::Context& ctx, const ledger::TxPtr& tx) override;
  std::vector<uint32_t> forward_targets() const override;

 private:
  static constexpr uint64_t kBatchTimer = 1, kViewTimer = 2;

  size_t quorum() const { return 2 * f() + 1; }
  bool equivocates() const { return behaviour_ == Behaviour::kEquivocate && world_ < 0; }
  bool colludes_with(uint32_t validator) const;
  void dispatch(sim::Context& ctx, sim::NodeId from, const sim::Message& msg);
  // Validator::send and multicast, through a two-faced replica's face.
  void send(sim::Context& ctx, uint32_t validator, std::string_view type, const sim::Message& msg);
  void multicast(sim::Context& ctx, std::string_view type, const sim::Message& msg);
  const HotStuffBlock* block(const ledger::Digest& hash) const;

  void on_proposal(sim::Context& ctx, const Proposal& m);
  void on_vote(sim::Context& ctx, const Vote& m);
  void on_new_view(sim::Context& ctx, const HotStuffNewView& m);
  void on_block_request(sim::Context& ctx, sim::NodeId from, const BlockRequest& m);
  void on_block_reply(sim::Context& ctx, sim::NodeId from, const BlockReply& m);

  bool valid_qc(sim::Context& ctx, const QuorumCert& qc);
  bool valid_block(sim::Context& ctx, const HotStuffBlock& b, std::string_view what);
  bool has_ancestry(const ledger::Digest& hash) const;
  void fetch(sim::Context& ctx, const ledger::Digest& hash, uint32_t from);
  void process_proposal(sim::Context& ctx, const Proposal& m);
  void update(sim::Context& ctx, const HotStuffBlock& b);
  bool safe_node(const HotStuffBlock& b) const;
  bool extends(const ledger::Digest& descendant, const ledger::Digest& ancestor) const;
  void on_commit(sim::Context& ctx, const HotStuffBlock& b);
  void add_vote(sim::Context& ctx, const Vote& v);
  void update_high_qc(sim::Context& ctx, const QuorumCert& qc);
  void send_vote(sim::Context& ctx, const HotStuffBlock& b);

  // Leader.
  bool pending_commits(const ledger::Digest& from) const;
  bool has_pending_work() const;
  void try_propose(sim::Context& ctx);
  void propose(sim::Context& ctx, const ledger::BatchPtr& body);
  HotStuffBlockPtr make_block(sim::Context& ctx, const QuorumCert& justify,
                              const ledger::BatchPtr& body, int64_t timestamp);

  // Pacemaker.
  void enter_view(sim::Context& ctx, uint64_t view);
  void watch(sim::Context& ctx);
  void arm_view_timer(sim::Context& ctx);
  void time_out(sim::Context& ctx, uint64_t new_view);
  bool advance(sim::Context& ctx);

  HotStuffParams params_;
  uint64_t run_seed_;
  // A two-faced replica's second face (world 1; this object is world 0), and its timer tags.
  std::unique_ptr<HotStuffReplica> twin_;
  int world_ = -1;
  uint64_t timer_base_ = 0;
  std::unordered_map<ledger::Digest, HotStuffBlockPtr, ledger::DigestHash> blocks_;
  ledger::Digest genesis_{};
  QuorumCert high_qc_;  // highest QC seen (the paper's qc_high)
  ledger::Digest locked_{};
  uint64_t locked_view_ = 0;   // b_lock and its view
  ledger::Digest executed_{};  // b_exec: the last node committed
  uint64_t voted_view_ = 0;    // vheight: the last view voted in
  std::optional<Vote> last_vote_;
  uint64_t view_ = 0;           // the pacemaker's current view
  uint64_t timed_out_to_ = 0;   // the highest view this replica sent a new-view message for
  uint64_t proposed_view_ = 0;  // the last view in which this replica proposed
  std::set<std::pair<uint64_t, ledger::Digest>> verified_qcs_;  // (view, block)
  // Votes collected as a leader: (view, block) -> replica -> signature.
  std::map<std::pair<uint64_t, ledger::Digest>, std::map<uint32_t, ledger::Signature>> votes_;
  // Who voted for what in a view, to refuse a replica's second vote.
  std::map<std::pair<uint64_t, uint32_t>, ledger::Digest> voters_;
  std::map<uint64_t, std::map<uint32_t, HotStuffNewView>> new_views_;  // view -> sender -> message
  // Proposals waiting for their ancestors, and the blocks being fetched.
  std::vector<Proposal> waiting_;
  std::unordered_set<ledger::Digest, ledger::DigestHash> fetching_;
  std::unordered_map<ledger::Digest, HotStuffBlockPtr, ledger::DigestHash> orphans_;
  std::map<uint64_t, ledger::Digest> seen_proposal_;  // view -> first proposal seen (equivocation)
  sim::TimerId view_timer_ = sim::kNoTimer;
  sim::Duration view_timeout_;
  bool batch_timer_armed_ = false;
  uint64_t batch_due_view_ = 0;     // the view in which the batch timer last fired
  uint64_t invalid_proposals_ = 0;  // an invalid_proposal leader alternates its faults
  static constexpr size_t kMaxWaiting = 1024;
};

}  // namespace tradesim::consensus
