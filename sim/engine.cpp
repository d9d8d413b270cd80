// The event loop, CPU queues, timers, crashes and kernel actions.
#include "sim/engine.hpp"

#include <stdexcept>

namespace tradesim::sim {

namespace {
constexpr uint64_t kModelPurpose = purpose("model");
constexpr uint64_t kNetworkPurpose = purpose("network");
constexpr uint32_t kIncarnationMask = kMaxPayload;
}  // namespace

Engine::Engine(uint64_t seed) : seed_(seed) {}
Engine::~Engine() = default;

Node& Engine::add_node(NodeId id, std::unique_ptr<Node> node, SiteId site) {
  if (id >= kMaxNodes) throw std::out_of_range("node id " + std::to_string(id) + " is too large");
  if (!node) throw std::invalid_argument("add_node needs a node");
  if (id >= nodes_.size()) {
    nodes_.resize(static_cast<size_t>(id) + 1);
    cpu_charged_.resize(static_cast<size_t>(id) + 1, 0);
    cold_.resize(static_cast<size_t>(id) + 1);
  }
  NodeSlot& s = nodes_[id];
  if (s.node) throw std::invalid_argument("node id " + std::to_string(id) + " is already taken");
  s.node = node.get();
  s.gate = 0;
  s.site = site;
  s.rng = Rng(seed_, id, kModelPurpose);
  cold_[id].owner = std::move(node);
  cold_[id].net_rng = Rng(seed_, id, kNetworkPurpose);
  ++node_count_;
  Node& ref = *s.node;
  if (started_) {
    Context ctx(*this, id);
    ref.on_start(ctx);
  }
  return ref;
}

std::vector<NodeId> Engine::node_ids() const {
  std::vector<NodeId> ids;
  ids.reserve(node_count_);
  for (NodeId id = 0; id < nodes_.size(); ++id) {
    if (nodes_[id].node) ids.push_back(id);
  }
  return ids;
}

void Engine::check_node(NodeId id) const {
  if (!has_node(id)) throw std::out_of_range("no node with id " + std::to_string(id));
}

void Engine::start() {
  if (started_) return;
  started_ = true;
  if (network_.site_count() != 0) {
    for (NodeId id = 0; id < nodes_.size(); ++id) {
      if (nodes_[id].node && nodes_[id].site >= network_.site_count()) {
        throw std::invalid_argument("node " + std::to_string(id) + " is placed at site " +
                                    std::to_string(nodes_[id].site) + ", which does not exist");
      }
    }
  }
  for (NodeId id = 0; id < nodes_.size(); ++id) {
    if (!nodes_[id].node) continue;
    Context ctx(*this, id);
    nodes_[id].node->on_start(ctx);
  }
}

void Engine::set_progress(std::function<void(const Progress&)> callback,
                          std::chrono::milliseconds every) {
  progress_ = std::move(callback);
  progress_every_ = every;
}

StopReason Engine::run(RunLimits limits) {
  start();  // a stop requested before or during start stays requested
  const auto wall_start = std::chrono::steady_clock::now();
  auto next_progress = wall_start + progress_every_;
  const int64_t until = limits.until.ns();
  uint64_t budget = limits.max_events;
  StopReason reason = StopReason::kQueueEmpty;
  while (true) {
    const bool timer_next =
        !timers_.empty() &&
        (queue_.empty() || timers_.top_time() < queue_.top_time() ||
         (timers_.top_time() == queue_.top_time() && timers_.top_key() < queue_.top_key()));
    if (!timer_next && queue_.empty()) {
      reason = StopReason::kQueueEmpty;
      break;
    }
    const int64_t t = timer_next ? timers_.top_time() : queue_.top_time();
    if (t >= until) {
      reason = StopReason::kTimeLimit;
      break;
    }
    if (budget == 0) {
      reason = StopReason::kEventLimit;
      break;
    }
    if (stop_requested_.load(std::memory_order_relaxed)) {
      stop_requested_.store(false, std::memory_order_relaxed);  // consumed: run() may resume
      reason = StopReason::kStopRequested;
      break;
    }
    --budget;
    now_ = t;
    ++stats_.events;
    if (timer_next) {
      const TimerQueue::Due due = timers_.take_top();
      if (fingerprint_on_)
        fingerprint_ = mix64(fingerprint_ ^
                             mix64(due.time ^ mix64(due.key ^ (uint64_t{due.node} << 8) ^ 0xF)));
      dispatch_timer(due);
    } else {
      const Event e = queue_.top();
      if (fingerprint_on_)
        fingerprint_ = mix64(fingerprint_ ^ mix64(e.time ^ mix64(e.key ^ (uint64_t{e.target} << 8) ^
                                                                 static_cast<uint64_t>(e.kind))));
      top_consumed_ = true;
      dispatch(e);
      if (top_consumed_) {
        queue_.pop();
        top_consumed_ = false;
      }
    }
    if (progress_ && (stats_.events & 1023) == 0) {
      const auto wall = std::chrono::steady_clock::now();
      if (wall >= next_progress) {
        progress_(Progress{now(), limits.until, stats_.events,
                           std::chrono::duration<double>(wall - wall_start).count()});
        next_progress = wall + progress_every_;
      }
    }
  }
  if (reason == StopReason::kTimeLimit ||
      (reason == StopReason::kQueueEmpty && until != INT64_MAX)) {
    if (until > now_) now_ = until;
  }
  return reason;
}

void Engine::dispatch(const Event& e) {
  switch (e.kind) {
    case EventKind::kEmptyMessage:
    case EventKind::kMessage: {
      NodeSlot& s = nodes_[e.target];
      const Deferred d{e.kind, key_sender(e.key), e.payload, 0, kNoTimer};
      if (s.gate == 0 && s.busy_until <= now_) {
        deliver(e.target, d);
        return;
      }
      if (s.node == nullptr) check_node(e.target);
      if (s.gate & kDown) {
        ++stats_.dropped_receiver_down;
        if (e.kind == EventKind::kMessage) release_record(e.payload);
        return;
      }
      defer(e.target, d);
      return;
    }
    case EventKind::kCpuResume: {
      if ((nodes_[e.target].gate & kDown) == 0 &&
          (cold_[e.target].incarnation & kIncarnationMask) == e.payload) {
        resume_cpu(e.target);
      }
      return;
    }
    case EventKind::kAction: {
      std::function<void()> action = std::move(actions_[e.payload]);
      actions_[e.payload] = nullptr;
      free_actions_.push_back(e.payload);
      action();
      return;
    }
  }
}

void Engine::dispatch_timer(const TimerQueue::Due& due) {
  const NodeSlot& s = nodes_[due.node];
  const Deferred d{EventKind::kAction, due.node, 0, due.tag, due.id};
  if (s.gate == 0 && s.busy_until <= now_) {
    deliver(due.node, d);
  } else {
    defer(due.node, d);
  }
}

void Engine::deliver(NodeId id, const Deferred& d) {
  NodeSlot& s = nodes_[id];
  Context ctx(*this, id);
  if (d.kind == EventKind::kAction) {    // a timer
    if (!timers_.live(d.timer)) return;  // cancelled while waiting for the CPU
    timers_.release(d.timer);
    ++stats_.timers_fired;
    s.node->on_timer(ctx, d.timer, d.tag);
    return;
  }
  ++stats_.messages_delivered;
  if (d.kind == EventKind::kEmptyMessage) {
    static const Message kEmpty;
    s.node->on_message(ctx, d.from, kEmpty);
  } else {
    // Moved out first: the handler's own sends may grow records_.
    const Message msg = std::move(records_[d.record]);
    release_record(d.record);
    s.node->on_message(ctx, d.from, msg);
  }
}

// The node is busy: the input waits in its CPU queue (FIFO) until the CPU is free.
void Engine::defer(NodeId id, const Deferred& d) {
  ++stats_.cpu_deferrals;
  NodeCold& c = cold_[id];
  const bool was_idle = c.cpu_head == c.cpu_queue.size();
  if (was_idle) {
    c.cpu_queue.clear();
    c.cpu_head = 0;
  }
  c.cpu_queue.push_back(d);
  ++nodes_[id].gate;
  if (was_idle) schedule_resume(id);
}

void Engine::schedule_resume(NodeId id) {
  NodeSlot& s = nodes_[id];
  push(Event{departure_time(s), make_event_key(id, s.next_sequence++), id,
             cold_[id].incarnation & kIncarnationMask, EventKind::kCpuResume});
}

// The node's CPU is free: run the oldest queued input, then wait for the CPU again if more wait.
void Engine::resume_cpu(NodeId id) {
  NodeCold& c = cold_[id];
  if (c.cpu_head == c.cpu_queue.size()) return;
  const Deferred d = c.cpu_queue[c.cpu_head++];
  --nodes_[id].gate;
  deliver(id, d);
  // The handler may have added nodes, so the vectors are indexed afresh.
  if ((nodes_[id].gate & kDown) == 0 && cold_[id].cpu_head < cold_[id].cpu_queue.size()) {
    schedule_resume(id);
  }
}

uint32_t Engine::store_record(Message&& msg) {
  if (!free_records_.empty()) {
    const uint32_t index = free_records_.back();
    free_records_.pop_back();
    records_[index] = std::move(msg);
    return index;
  }
  if (records_.size() > kMaxPayload) throw std::length_error("too many messages in flight");
  records_.push_back(std::move(msg));
  return static_cast<uint32_t>(records_.size() - 1);
}

uint32_t Engine::store_action(std::function<void()> action) {
  if (!free_actions_.empty()) {
    const uint32_t index = free_actions_.back();
    free_actions_.pop_back();
    actions_[index] = std::move(action);
    return index;
  }
  if (actions_.size() > kMaxPayload) throw std::length_error("too many kernel actions pending");
  actions_.push_back(std::move(action));
  return static_cast<uint32_t>(actions_.size() - 1);
}

void Engine::broadcast(NodeId from, std::span<const NodeId> to, const Message& msg,
                       const SendOptions& options) {
  for (NodeId target : to) send(from, target, Message(msg), options);
}

TimerId Engine::set_timer(NodeId owner, Duration delay, uint64_t tag) {
  if (delay < Duration::zero()) throw std::invalid_argument("timer delay must not be negative");
  NodeSlot& s = nodes_[owner];
  ++stats_.timers_set;
  return timers_.add(now_ + delay.ns(), make_event_key(owner, s.next_sequence++), owner, tag);
}

bool Engine::cancel_timer(TimerId id) {
  const bool cancelled = timers_.cancel(id);
  if (cancelled) ++stats_.timers_cancelled;
  return cancelled;
}

void Engine::schedule(SimTime at, std::function<void()> action) {
  if (at.ns() < now_) throw std::invalid_argument("cannot schedule an action in the past");
  push(Event{at.ns(), make_event_key(kKernel, kernel_sequence_++), kKernel,
             store_action(std::move(action)), EventKind::kAction});
}

void Engine::invoke(NodeId id, const std::function<void(Node&, Context&)>& fn) {
  check_node(id);
  if (nodes_[id].gate & kDown) return;
  Context ctx(*this, id);
  fn(*nodes_[id].node, ctx);
}

void Engine::sample_metrics_every(Duration period) {
  if (period <= Duration::zero()) throw std::invalid_argument("sampling period must be positive");
  // The next sample is scheduled from the current one, so the chain needs no extra state.
  struct Sampler {
    Engine* engine;
    Duration period;
    void operator()() const {
      engine->metrics_.sample(engine->now());
      engine->schedule(engine->now() + period, *this);
    }
  };
  schedule(now(), Sampler{this, period});
}

void Engine::crash(NodeId id) {
  check_node(id);
  NodeSlot& s = nodes_[id];
  NodeCold& c = cold_[id];
  if (s.gate & kDown) return;
  s.gate = kDown;  // also forgets the queued inputs, released below
  ++c.incarnation;
  ++stats_.crashes;
  stats_.timers_cancelled += timers_.cancel_all_of(id);
  for (size_t i = c.cpu_head; i < c.cpu_queue.size(); ++i) {
    const Deferred& d = c.cpu_queue[i];
    if (d.kind == EventKind::kMessage) release_record(d.record);
    if (d.kind == EventKind::kAction && timers_.cancel(d.timer)) ++stats_.timers_cancelled;
  }
  c.cpu_queue.clear();
  c.cpu_head = 0;
  s.busy_until = now_;
  s.node->on_crash(now());
}

void Engine::restart(NodeId id) {
  check_node(id);
  NodeSlot& s = nodes_[id];
  if ((s.gate & kDown) == 0) return;
  s.gate = 0;
  s.busy_until = now_;
  ++stats_.restarts;
  Context ctx(*this, id);
  s.node->on_start(ctx);
}

void Engine::publish_stats() {
  auto put = [&](std::string_view name, uint64_t value, std::string_view units,
                 std::string_view description) {
    Counter& c = metrics_.counter(name, units, description);
    c.add(static_cast<int64_t>(value) - c.value());
  };
  put("kernel.events", stats_.events, "1", "events handled by the engine");
  put("kernel.messages_sent", stats_.messages_sent, "1", "messages sent by nodes");
  put("kernel.messages_delivered", stats_.messages_delivered, "1",
      "messages handed to a receiving node");
  put("kernel.dropped_no_route", stats_.dropped_no_route, "1",
      "messages dropped: no path between the sites");
  put("kernel.dropped_partition", stats_.dropped_partition, "1",
      "messages dropped: sender and receiver in different partition groups");
  put("kernel.dropped_loss", stats_.dropped_loss, "1", "messages lost on a lossy link");
  put("kernel.dropped_receiver_down", stats_.dropped_receiver_down, "1",
      "messages that arrived at a crashed node");
  put("kernel.timers_set", stats_.timers_set, "1", "timers set");
  put("kernel.timers_fired", stats_.timers_fired, "1", "timers delivered");
  put("kernel.timers_cancelled", stats_.timers_cancelled, "1",
      "timers cancelled or lost in a crash");
  put("kernel.cpu_deferrals", stats_.cpu_deferrals, "1",
      "messages and timers that waited for a busy node's CPU");
  put("kernel.crashes", stats_.crashes, "1", "node crashes");
  put("kernel.restarts", stats_.restarts, "1", "node restarts");
}

void Engine::publish_nodes() {
  EventTable& table = metrics_.table(
      "/nodes", "the simulated nodes",
      {{"id", ColumnType::kInt, "1", "node id (stable; keys tie-breaks and random streams)"},
       {"kind", ColumnType::kText, "", "what the node is"},
       {"site", ColumnType::kText, "", "the network site the node is placed at"}});
  for (NodeId id = 0; id < nodes_.size(); ++id) {
    if (!nodes_[id].node) continue;
    const SiteId site = nodes_[id].site;
    table.append({id, nodes_[id].node->kind(),
                  site < network_.site_count() ? network_.site_name(site) : std::string("-")});
  }
}

}  // namespace tradesim::sim
