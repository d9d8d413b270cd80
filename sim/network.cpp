// Shortest paths over the site graph and per-message delay arithmetic.
#include "sim/network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

namespace tradesim::sim {

namespace {
constexpr int64_t kUnreachable = std::numeric_limits<int64_t>::max();

double ns_per_byte(double bandwidth_bps) {
  return std::isinf(bandwidth_bps) ? 0.0 : 8e9 / bandwidth_bps;
}

void check_spec(const LinkSpec& spec) {
  if (spec.latency < Duration::zero() || spec.jitter < Duration::zero()) {
    throw std::invalid_argument("link latency and jitter must not be negative");
  }
  if (!(spec.bandwidth_bps > 0)) throw std::invalid_argument("link bandwidth must be positive");
  if (!(spec.loss >= 0 && spec.loss <= 1)) {
    throw std::invalid_argument("link loss must be a probability in [0, 1]");
  }
}
}  // namespace

SiteId Network::add_site(std::string name, LinkSpec local) {
  check_spec(local);
  if (find_site(name)) throw std::invalid_argument("duplicate site name \"" + name + "\"");
  sites_.push_back(Site{std::move(name), local});
  for (Partition& p : partitions_) p.group_of_site.push_back(0);
  dirty_ = true;
  return static_cast<SiteId>(sites_.size() - 1);
}

std::optional<SiteId> Network::find_site(const std::string& name) const {
  for (size_t i = 0; i < sites_.size(); ++i) {
    if (sites_[i].name == name) return static_cast<SiteId>(i);
  }
  return std::nullopt;
}

size_t Network::find_link(SiteId a, SiteId b) const {
  for (size_t i = 0; i < links_.size(); ++i) {
    if ((links_[i].a == a && links_[i].b == b) || (links_[i].a == b && links_[i].b == a)) return i;
  }
  return links_.size();
}

void Network::add_link(SiteId a, SiteId b, LinkSpec spec) {
  if (a >= sites_.size() || b >= sites_.size() || a == b) {
    throw std::invalid_argument("a link joins two distinct existing sites");
  }
  check_spec(spec);
  const size_t i = find_link(a, b);
  if (i < links_.size()) {
    links_[i].spec = spec;
  } else {
    links_.push_back(Link{a, b, spec});
  }
  dirty_ = true;
}

LinkSpec Network::update_link(SiteId a, SiteId b, LinkSpec spec) {
  const size_t i = find_link(a, b);
  if (i == links_.size()) {
    throw std::invalid_argument("no link between " + site_name(a) + " and " + site_name(b));
  }
  check_spec(spec);
  const LinkSpec old = links_[i].spec;
  links_[i].spec = spec;
  dirty_ = true;
  return old;
}

const LinkSpec& Network::link(SiteId a, SiteId b) const {
  const size_t i = find_link(a, b);
  if (i == links_.size()) {
    throw std::invalid_argument("no link between " + site_name(a) + " and " + site_name(b));
  }
  return links_[i].spec;
}

// Dijkstra by latency from every site; along each shortest path, the bandwidth is the bottleneck,
// jitter adds up and the delivery probabilities multiply.
void Network::recompute() const {
  using Graph =
      boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                            boost::property<boost::edge_weight_t, int64_t>>;
  const size_t n = sites_.size();
  Graph g(n);
  for (const Link& l : links_) boost::add_edge(l.a, l.b, l.spec.latency.ns(), g);

  latency_ns_.setConstant(n, n, kUnreachable);
  ns_per_byte_.setZero(n, n);
  jitter_ns_.setZero(n, n);
  loss_.setOnes(n, n);

  std::vector<int64_t> dist(n);
  std::vector<Graph::vertex_descriptor> pred(n);
  for (size_t src = 0; src < n; ++src) {
    boost::dijkstra_shortest_paths(g, src,
                                   boost::predecessor_map(pred.data())
                                       .distance_map(dist.data())
                                       .distance_inf(kUnreachable)
                                       .distance_zero(int64_t{0}));
    for (size_t dst = 0; dst < n; ++dst) {
      if (dst == src) {
        const LinkSpec& local = sites_[src].local;
        latency_ns_(src, dst) = local.latency.ns();
        ns_per_byte_(src, dst) = ns_per_byte(local.bandwidth_bps);
        jitter_ns_(src, dst) = local.jitter.ns();
        loss_(src, dst) = local.loss;
        continue;
      }
      if (dist[dst] == kUnreachable) continue;
      double worst_ns_per_byte = 0;
      int64_t jitter = 0;
      double delivered = 1.0;
      for (size_t v = dst; v != src; v = pred[v]) {
        const LinkSpec& spec =
            links_[find_link(static_cast<SiteId>(pred[v]), static_cast<SiteId>(v))].spec;
        worst_ns_per_byte = std::max(worst_ns_per_byte, ns_per_byte(spec.bandwidth_bps));
        jitter += spec.jitter.ns();
        delivered *= 1.0 - spec.loss;
      }
      latency_ns_(src, dst) = dist[dst];
      ns_per_byte_(src, dst) = worst_ns_per_byte;
      jitter_ns_(src, dst) = jitter;
      loss_(src, dst) = 1.0 - delivered;
    }
  }
  dirty_ = false;
}

Duration Network::latency(SiteId a, SiteId b) const {
  if (dirty_) recompute();
  return Duration::from_ns(latency_ns_(a, b));
}
bool Network::has_route(SiteId a, SiteId b) const {
  if (dirty_) recompute();
  return latency_ns_(a, b) != kUnreachable;
}
double Network::path_bandwidth_bps(SiteId a, SiteId b) const {
  if (dirty_) recompute();
  const double v = ns_per_byte_(a, b);
  return v == 0 ? std::numeric_limits<double>::infinity() : 8e9 / v;
}
double Network::path_loss(SiteId a, SiteId b) const {
  if (dirty_) recompute();
  return loss_(a, b);
}

uint32_t Network::partition(const std::vector<std::vector<SiteId>>& groups) {
  Partition p{next_partition_id_++, std::vector<uint32_t>(sites_.size(), 0)};
  for (size_t g = 0; g < groups.size(); ++g) {
    for (SiteId s : groups[g]) {
      if (s >= sites_.size()) throw std::invalid_argument("partition names an unknown site");
      if (p.group_of_site[s] != 0) {
        throw std::invalid_argument("site " + site_name(s) + " is in two partition groups");
      }
      p.group_of_site[s] = static_cast<uint32_t>(g + 1);
    }
  }
  partitions_.push_back(std::move(p));
  return partitions_.back().id;
}

void Network::heal(uint32_t partition_id) {
  std::erase_if(partitions_, [&](const Partition& p) { return p.id == partition_id; });
}
void Network::heal_all() {
  partitions_.clear();
}

bool Network::partitioned(SiteId a, SiteId b) const {
  for (const Partition& p : partitions_) {
    if (p.group_of_site[a] != p.group_of_site[b]) return true;
  }
  return false;
}

Network::Outcome Network::transmit(SiteId from, SiteId to, uint32_t bytes, Rng& rng) const {
  if (dirty_) recompute();
  const int64_t latency = latency_ns_(from, to);
  if (latency == kUnreachable) return {Duration::zero(), DropReason::kNoRoute};
  if (!partitions_.empty() && partitioned(from, to))
    return {Duration::zero(), DropReason::kPartition};
  const double loss = loss_(from, to);
  if (loss > 0 && rng.uniform() < loss) return {Duration::zero(), DropReason::kLoss};
  int64_t delay = latency + static_cast<int64_t>(ns_per_byte_(from, to) * bytes + 0.5);
  const int64_t jitter = jitter_ns_(from, to);
  if (jitter > 0) delay += static_cast<int64_t>(rng.below(static_cast<uint64_t>(jitter) + 1));
  return {Duration::from_ns(delay), DropReason::kNone};
}

}  // namespace tradesim::sim
