// The network between nodes: sites (cities, data centres, ports) joined by links in a Boost.Graph.
// Site-to-site paths are the shortest by latency (Dijkstra from every site), kept in Eigen
// matrices; a message's delay = propagation + size / bottleneck bandwidth + jitter.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "sim/ids.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace tradesim::sim {

struct LinkSpec {
  Duration latency = Duration::zero();                             // one-way propagation
  double bandwidth_bps = std::numeric_limits<double>::infinity();  // bits per second
  Duration jitter = Duration::zero();  // each message adds a uniform draw from [0, jitter]
  double loss = 0.0;                   // probability that a message is lost on this link
};

// Why a message was not delivered.
enum class DropReason : uint8_t { kNone, kNoRoute, kPartition, kLoss, kReceiverDown };

class Network {
 public:
  // A site; nodes at the same site talk over `local` (by default: no delay, no loss).
  SiteId add_site(std::string name, LinkSpec local = {});
  // A bidirectional link. Adding a link between two sites that have one replaces it.
  void add_link(SiteId a, SiteId b, LinkSpec spec);
  // Replaces a link's properties (degradation) and recomputes paths; returns the old ones.
  LinkSpec update_link(SiteId a, SiteId b, LinkSpec spec);
  const LinkSpec& link(SiteId a, SiteId b) const;

  size_t site_count() const { return sites_.size(); }
  const std::string& site_name(SiteId s) const { return sites_.at(s).name; }
  std::optional<SiteId> find_site(const std::string& name) const;

  // Path properties (recomputed lazily after any change).
  Duration latency(SiteId a, SiteId b) const;
  bool has_route(SiteId a, SiteId b) const;
  double path_bandwidth_bps(SiteId a, SiteId b) const;
  double path_loss(SiteId a, SiteId b) const;

  // Partitions: the listed groups of sites are cut off from each other and from every site not
  // listed. Several partitions may be active at once; each is healed by its id.
  uint32_t partition(const std::vector<std::vector<SiteId>>& groups);
  void heal(uint32_t partition_id);
  void heal_all();
  bool partitioned(SiteId a, SiteId b) const;

  // The delivery delay of one message of `bytes`, or why it is dropped. Draws jitter and loss
  // from `rng` (the sender's network stream) only when the path has jitter or loss.
  struct Outcome {
    Duration delay;
    DropReason drop;
  };
  Outcome transmit(SiteId from, SiteId to, uint32_t bytes, Rng& rng) const;

 private:
  struct Site {
    std::string name;
    LinkSpec local;
  };
  struct Link {
    SiteId a, b;
    LinkSpec spec;
  };
  void recompute() const;
  size_t find_link(SiteId a, SiteId b) const;

  std::vector<Site> sites_;
  std::vector<Link> links_;
  struct Partition {
    uint32_t id;
    std::vector<uint32_t> group_of_site;
  };
  std::vector<Partition> partitions_;
  uint32_t next_partition_id_ = 1;

  // All-pairs path properties, valid when !dirty_.
  mutable bool dirty_ = true;
  mutable Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic> latency_ns_;
  mutable Eigen::MatrixXd ns_per_byte_;
  mutable Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic> jitter_ns_;
  mutable Eigen::MatrixXd loss_;
};

}  // namespace tradesim::sim
