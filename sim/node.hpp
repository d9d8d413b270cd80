// Nodes are the logical processes of a simulation; a Context is a node's only handle on the world.
// A node reacts to start, messages and timers; it sends, sets timers, draws random numbers and
// charges simulated CPU time through its Context, and never touches the engine, a wall clock or a
// global generator. Protocol code written against Context can be unit-tested without the engine.
#pragma once

#include <span>
#include <string_view>

#include "sim/ids.hpp"
#include "sim/message.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace tradesim::sim {

class Engine;

struct SendOptions {
  // Extra time before the message leaves (processing the model does not charge as CPU).
  Duration delay = Duration::zero();
  // Deliver no earlier than the previous FIFO message from this sender to this receiver
  // (a TCP-like channel); otherwise jitter may reorder messages.
  bool fifo = false;
};

class Context {
 public:
  Context(Engine& engine, NodeId self) : engine_(&engine), self_(self) {}

  SimTime now() const;
  NodeId self() const { return self_; }
  SiteId site() const;

  // Sends after the CPU work charged so far in this handler; the network adds its delay.
  // Returns false if the message was dropped at once (no route, partition, loss).
  bool send(NodeId to, Message msg, SendOptions options = {});
  // One shared payload for every receiver; O(n) small events, no payload copies.
  void broadcast(std::span<const NodeId> to, const Message& msg, SendOptions options = {});

  // A timer that fires `delay` after now() with `tag`; cancelled timers cost no later work.
  TimerId set_timer(Duration delay, uint64_t tag = 0);
  // Returns false if the timer already fired or was cancelled.
  bool cancel_timer(TimerId id);

  // The node's model stream: (run seed, node id, "model").
  Rng& rng();
  // Another independent stream of this node for a named purpose.
  Rng stream(std::string_view purpose_name) const;

  // The node computed for `cpu` of simulated time: it is busy, and messages and timers that
  // arrive meanwhile wait in its CPU queue.
  void charge(Duration cpu);
  // Simulated time until the node's CPU is free (zero when idle).
  Duration busy_for() const;

  Metrics& metrics();

 private:
  Engine* engine_;
  NodeId self_;
};

class Node {
 public:
  virtual ~Node() = default;
  // At the start of the run, and again after each restart.
  virtual void on_start(Context&) {}
  virtual void on_message(Context&, NodeId /*from*/, const Message&) {}
  virtual void on_timer(Context&, TimerId, uint64_t /*tag*/) {}
  // The node crashed at `at`: its timers and queued input are gone; drop volatile state here.
  // (It has no Context: a crashed node cannot act.)
  virtual void on_crash(SimTime /*at*/) {}
  // What the node is ("exporter", "pbft-validator"), for the /nodes table.
  virtual std::string_view kind() const { return "node"; }
};

}  // namespace tradesim::sim
