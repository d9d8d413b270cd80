// The sequential discrete-event engine: owns the nodes, the pending events, the timers, the
// network and the metrics, and runs events in (time, sender, per-sender sequence) order.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/ids.hpp"
#include "sim/message.hpp"
#include "sim/metrics.hpp"
#include "sim/network.hpp"
#include "sim/node.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"
#include "sim/timer_queue.hpp"

namespace tradesim::sim {

struct RunLimits {
  SimTime until = SimTime::max();    // events at or after `until` are not run
  uint64_t max_events = UINT64_MAX;  // stop after this many more events
};

enum class StopReason { kQueueEmpty, kTimeLimit, kEventLimit, kStopRequested };

struct Progress {
  SimTime now;
  SimTime until;
  uint64_t events;
  double wall_seconds;
};

struct EngineStats {
  uint64_t events = 0;  // entries taken from the queues and handled
  uint64_t messages_sent = 0;
  uint64_t messages_delivered = 0;
  uint64_t dropped_no_route = 0;
  uint64_t dropped_partition = 0;
  uint64_t dropped_loss = 0;
  uint64_t dropped_receiver_down = 0;
  uint64_t timers_set = 0;
  uint64_t timers_fired = 0;
  uint64_t timers_cancelled = 0;
  uint64_t cpu_deferrals = 0;  // inputs that waited in a node's CPU queue
  uint64_t crashes = 0;
  uint64_t restarts = 0;
};

class Engine {
 public:
  explicit Engine(uint64_t seed);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  uint64_t seed() const { return seed_; }

  // Places a node with a chosen stable id at a site. Ids need not be added in order.
  Node& add_node(NodeId id, std::unique_ptr<Node> node, SiteId site = 0);
  template <class T, class... Args>
  T& emplace_node(NodeId id, SiteId site, Args&&... args) {
    return static_cast<T&>(add_node(id, std::make_unique<T>(std::forward<Args>(args)...), site));
  }
  bool has_node(NodeId id) const { return id < nodes_.size() && nodes_[id].node != nullptr; }
  Node& node(NodeId id) { return *nodes_.at(id).node; }
  SiteId site_of(NodeId id) const { return nodes_.at(id).site; }
  size_t node_count() const { return node_count_; }
  // Ids of all nodes, ascending.
  std::vector<NodeId> node_ids() const;

  // With no sites, the network is ideal: no delay, no loss. Otherwise every node's site must exist.
  Network& network() { return network_; }
  const Network& network() const { return network_; }
  Metrics& metrics() { return metrics_; }

  // Runs on_start of every node (ascending id) at the current time; run() does it if needed.
  void start();
  StopReason run(RunLimits limits = {});
  // Async-signal-safe: the current event finishes, then run() returns kStopRequested.
  void request_stop() { stop_requested_.store(true, std::memory_order_relaxed); }
  // Called from run() at most every `every` of wall-clock time.
  void set_progress(std::function<void(const Progress&)> callback, std::chrono::milliseconds every);

  SimTime now() const { return SimTime::from_ns(now_); }
  const EngineStats& stats() const { return stats_; }
  size_t pending_events() const { return queue_.size() + timers_.size(); }

  // Timeline: a kernel action at a given time (faults, shocks, sampling). The kernel's sender id
  // is the largest, so actions run after the node events of the same time, in scheduling order.
  void schedule(SimTime at, std::function<void()> action);
  // Runs `fn` on a node now, with its Context, as if it handled an input (for timeline actions
  // that change a node's parameters). Nothing happens if the node is down.
  void invoke(NodeId id, const std::function<void(Node&, Context&)>& fn);
  // Records every sampled gauge now and then every `period`.
  void sample_metrics_every(Duration period);

  // Faults. A crashed node receives nothing and loses its timers and CPU queue; restart calls
  // on_start again.
  void crash(NodeId id);
  void restart(NodeId id);
  bool is_up(NodeId id) const { return (nodes_.at(id).gate & kDown) == 0; }
  // The simulated CPU time a node was charged in all (its busy time).
  Duration cpu_charged(NodeId id) const { return Duration::from_ns(cpu_charged_.at(id)); }

  // A running hash of every handled event (time, key, target, kind): equal fingerprints mean
  // equal traces. Off by default (one branch per event).
  void enable_fingerprint() { fingerprint_on_ = true; }
  uint64_t fingerprint() const { return fingerprint_; }

  // Writes the kernel's counters (events, messages, drops, timers) into metrics() as kernel.*.
  void publish_stats();
  // Writes the /nodes table: id, kind and site of every node.
  void publish_nodes();

 private:
  friend class Context;

  struct Deferred {
    EventKind kind;  // kEmptyMessage or kMessage, or kAction standing for a timer
    NodeId from;
    uint32_t record;
    uint64_t tag;
    TimerId timer;
  };
  // The fields every event touches, in one cache line; the rest lives in NodeCold.
  struct alignas(64) NodeSlot {
    Node* node = nullptr;  // owned by NodeCold::owner
    int64_t busy_until = 0;
    uint64_t next_sequence = 0;
    Rng rng;
    SiteId site = 0;
    // Zero when the node can take input at once: bit 31 = crashed (or no node has this id),
    // low bits = inputs waiting in its CPU queue.
    uint32_t gate = 1U << 31;
  };
  static_assert(sizeof(NodeSlot) == 64);
  static constexpr uint32_t kDown = 1U << 31;
  struct NodeCold {
    std::unique_ptr<Node> owner;
    uint32_t incarnation = 0;
    uint32_t cpu_head = 0;
    std::vector<Deferred> cpu_queue;
    Rng net_rng;
  };

  // --- used by Context (hot paths inline) ---
  int64_t departure_time(const NodeSlot& s) const {
    return s.busy_until > now_ ? s.busy_until : now_;
  }

  bool send(NodeId from, NodeId to, Message&& msg, const SendOptions& options);
  void broadcast(NodeId from, std::span<const NodeId> to, const Message& msg,
                 const SendOptions& options);
  TimerId set_timer(NodeId owner, Duration delay, uint64_t tag);
  bool cancel_timer(TimerId id);

  void push(const Event& e) {
    if (top_consumed_) {
      queue_.replace_top(e);
      top_consumed_ = false;
    } else {
      queue_.push(e);
    }
  }
  uint32_t store_record(Message&& msg);
  void release_record(uint32_t index) {
    records_[index] = Message();
    free_records_.push_back(index);
  }
  uint32_t store_action(std::function<void()> action);

  void dispatch(const Event& e);
  void dispatch_timer(const TimerQueue::Due& due);
  void defer(NodeId id, const Deferred& d);
  void resume_cpu(NodeId id);
  void deliver(NodeId id, const Deferred& d);
  void schedule_resume(NodeId id);
  void check_node(NodeId id) const;

  uint64_t seed_;
  int64_t now_ = 0;
  bool started_ = false;
  bool top_consumed_ = false;
  bool fingerprint_on_ = false;
  uint64_t fingerprint_ = 0;
  std::atomic<bool> stop_requested_{false};

  std::vector<NodeSlot> nodes_;
  std::vector<int64_t> cpu_charged_;  // by node: CPU time charged in all (Context::charge)
  std::vector<NodeCold> cold_;
  size_t node_count_ = 0;
  EventQueue queue_;
  TimerQueue timers_;
  std::vector<Message> records_;
  std::vector<uint32_t> free_records_;
  std::vector<std::function<void()>> actions_;
  std::vector<uint32_t> free_actions_;
  uint64_t kernel_sequence_ = 0;
  std::unordered_map<uint64_t, int64_t> fifo_last_arrival_;

  Network network_;
  Metrics metrics_;
  EngineStats stats_;

  std::function<void(const Progress&)> progress_;
  std::chrono::milliseconds progress_every_{0};
};

// --- Context: thin inline forwarding to the engine ---
inline SimTime Context::now() const {
  return engine_->now();
}
inline SiteId Context::site() const {
  return engine_->nodes_[self_].site;
}
inline bool Context::send(NodeId to, Message msg, SendOptions options) {
  return engine_->send(self_, to, std::move(msg), options);
}
inline void Context::broadcast(std::span<const NodeId> to, const Message& msg,
                               SendOptions options) {
  engine_->broadcast(self_, to, msg, options);
}
inline TimerId Context::set_timer(Duration delay, uint64_t tag) {
  return engine_->set_timer(self_, delay, tag);
}
inline bool Context::cancel_timer(TimerId id) {
  return engine_->cancel_timer(id);
}
inline Rng& Context::rng() {
  return engine_->nodes_[self_].rng;
}
inline Rng Context::stream(std::string_view purpose_name) const {
  return Rng(engine_->seed_, self_, purpose(purpose_name));
}
inline void Context::charge(Duration cpu) {
  auto& s = engine_->nodes_[self_];
  s.busy_until = engine_->departure_time(s) + cpu.ns();
  engine_->cpu_charged_[self_] += cpu.ns();
}
inline Duration Context::busy_for() const {
  const auto& s = engine_->nodes_[self_];
  return Duration::from_ns(s.busy_until > engine_->now_ ? s.busy_until - engine_->now_ : 0);
}
inline Metrics& Context::metrics() {
  return engine_->metrics_;
}

inline bool Engine::send(NodeId from, NodeId to, Message&& msg, const SendOptions& options) {
  NodeSlot& s = nodes_[from];
  // Only the bound is checked here (touching the receiver's slot would cost a cache miss per
  // remote send); a message to an empty id is reported when it arrives.
  if (to >= nodes_.size()) check_node(to);
  if (options.delay < Duration::zero()) throw std::invalid_argument("send: negative delay");
  ++stats_.messages_sent;
  int64_t arrival = departure_time(s) + options.delay.ns();
  if (network_.site_count() != 0) {
    const Network::Outcome out =
        network_.transmit(s.site, nodes_[to].site, msg.bytes(), cold_[from].net_rng);
    switch (out.drop) {
      case DropReason::kNone:
        break;
      case DropReason::kNoRoute:
        ++stats_.dropped_no_route;
        return false;
      case DropReason::kPartition:
        ++stats_.dropped_partition;
        return false;
      default:
        ++stats_.dropped_loss;
        return false;
    }
    arrival += out.delay.ns();
  }
  if (options.fifo) {
    int64_t& last = fifo_last_arrival_[(static_cast<uint64_t>(from) << 32) | to];
    if (arrival < last) arrival = last;
    last = arrival;
  }
  const uint64_t key = make_event_key(from, s.next_sequence++);
  if (msg.empty()) {
    push(Event{arrival, key, to, 0, EventKind::kEmptyMessage});
  } else {
    push(Event{arrival, key, to, store_record(std::move(msg)), EventKind::kMessage});
  }
  return true;
}

}  // namespace tradesim::sim
