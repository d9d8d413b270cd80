// The pending-event set, ordered by (time, tie-break key). The key is (sender node << 40 |
// sender's sequence number), never a global insertion counter, so the order of simultaneous
// events does not depend on how or where nodes were created.
//
// Two levels, for cache locality with many nodes: each target node keeps a small binary heap of
// its own pending events, and a global 4-ary heap orders the nodes by their earliest event. A
// simulation with n nodes and m pending events then sifts through a heap of n small entries (which
// stays in cache) instead of one of m, and touches one node's short heap per event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/ids.hpp"

namespace tradesim::sim {

inline constexpr int kSequenceBits = 40;
inline constexpr uint64_t kSequenceMask = (uint64_t{1} << kSequenceBits) - 1;

constexpr uint64_t make_event_key(NodeId sender, uint64_t sequence) {
  return (static_cast<uint64_t>(sender) << kSequenceBits) | (sequence & kSequenceMask);
}
constexpr NodeId key_sender(uint64_t key) { return static_cast<NodeId>(key >> kSequenceBits); }

// What the engine must do when an event comes due. `target` and `payload` are read by kind.
enum class EventKind : uint8_t {
  kEmptyMessage,  // a message without payload; payload unused
  kMessage,       // payload = index of the message record
  kCpuResume,     // the target's CPU is free again; payload = the node's incarnation
  kAction,        // payload = index of a kernel action (timeline, sampling)
};

struct Event {
  int64_t time;
  uint64_t key;
  NodeId target;
  uint32_t payload;
  EventKind kind;
};

class EventQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  void reserve_targets(size_t n) {
    if (n + 1 > locals_.size()) {
      locals_.resize(n + 1);
      position_.resize(n + 1, kAbsent);
    }
  }

  int64_t top_time() const { return global_[0].time; }
  uint64_t top_key() const { return locals_[global_[0].index].front().key; }
  Event top() const {
    const uint32_t index = global_[0].index;
    const Entry& e = locals_[index].front();
    return Event{e.time, e.key, target_of(index), e.payload, e.kind};
  }

  void push(const Event& ev) {
    const uint32_t index = index_of(ev.target);
    if (index >= locals_.size()) reserve_targets(index);
    std::vector<Entry>& local = locals_[index];
    const Entry e{ev.time, ev.key, ev.payload, ev.kind};
    ++size_;
    if (local.empty()) {
      local.push_back(e);
      global_insert(index, e.time);
      return;
    }
    if (local_push(local, e)) global_decrease(index, e.time);
  }

  void pop() {
    const uint32_t index = global_[0].index;
    std::vector<Entry>& local = locals_[index];
    --size_;
    const Entry last = local.back();
    local.pop_back();
    if (local.empty()) {
      global_remove_root();
      return;
    }
    local_sift_down(local, last);
    global_sift_down(0, Node{local.front().time, index});
  }

  // Removes the top and inserts ev: the common "handle one event, schedule one event" step;
  // a single pass when ev goes to the same node.
  void replace_top(const Event& ev) {
    const uint32_t index = global_[0].index;
    if (index_of(ev.target) != index) {
      pop();
      push(ev);
      return;
    }
    std::vector<Entry>& local = locals_[index];
    local_sift_down(local, Entry{ev.time, ev.key, ev.payload, ev.kind});
    global_sift_down(0, Node{local.front().time, index});
  }

 private:
  struct Entry {
    int64_t time;
    uint64_t key;
    uint32_t payload;
    EventKind kind;
    bool before(const Entry& o) const { return time < o.time || (time == o.time && key < o.key); }
  };
  struct Node {
    int64_t time;  // of the node's earliest event
    uint32_t index;
  };
  static constexpr uint32_t kAbsent = UINT32_MAX;

  // Node ids shifted by one so that kKernel (2^24 - 1) maps to index 0 of the table.
  static uint32_t index_of(NodeId target) { return (target + 1) & kMaxNodes; }
  static NodeId target_of(uint32_t index) { return index == 0 ? kKernel : index - 1; }

  bool node_before(const Node& a, const Node& b) const {
    if (a.time != b.time) return a.time < b.time;
    return locals_[a.index].front().key < locals_[b.index].front().key;
  }

  // Binary heap of one node's events. Returns true if e became the node's earliest event.
  static bool local_push(std::vector<Entry>& heap, const Entry& e) {
    size_t k = heap.size();
    heap.push_back(e);
    while (k > 0) {
      const size_t parent = (k - 1) / 2;
      if (!e.before(heap[parent])) break;
      heap[k] = heap[parent];
      k = parent;
    }
    heap[k] = e;
    return k == 0;
  }
  static void local_sift_down(std::vector<Entry>& heap, const Entry& e) {
    const size_t n = heap.size();
    size_t k = 0;
    while (true) {
      size_t child = 2 * k + 1;
      if (child >= n) break;
      if (child + 1 < n && heap[child + 1].before(heap[child])) ++child;
      if (!heap[child].before(e)) break;
      heap[k] = heap[child];
      k = child;
    }
    heap[k] = e;
  }

  // The global 4-ary heap of nodes, with each node's position kept in position_.
  void place(size_t k, const Node& n) {
    global_[k] = n;
    position_[n.index] = static_cast<uint32_t>(k);
  }
  void global_insert(uint32_t index, int64_t time) {
    global_.push_back(Node{time, index});
    global_sift_up(global_.size() - 1, Node{time, index});
  }
  void global_decrease(uint32_t index, int64_t time) {
    global_sift_up(position_[index], Node{time, index});
  }
  void global_remove_root() {
    position_[global_[0].index] = kAbsent;
    const Node last = global_.back();
    global_.pop_back();
    if (!global_.empty()) global_sift_down(0, last);
  }
  void global_sift_up(size_t k, const Node& n) {
    while (k > 0) {
      const size_t parent = (k - 1) / 4;
      if (!node_before(n, global_[parent])) break;
      place(k, global_[parent]);
      k = parent;
    }
    place(k, n);
  }
  void global_sift_down(size_t k, const Node& n) {
    const size_t count = global_.size();
    while (true) {
      const size_t first = 4 * k + 1;
      if (first >= count) break;
      size_t best = first;
      const size_t last = first + 4 < count ? first + 4 : count;
      for (size_t c = first + 1; c < last; ++c) {
        if (node_before(global_[c], global_[best])) best = c;
      }
      if (!node_before(global_[best], n)) break;
      place(k, global_[best]);
      k = best;
    }
    place(k, n);
  }

  std::vector<std::vector<Entry>> locals_{1};
  std::vector<uint32_t> position_{std::vector<uint32_t>(1, kAbsent)};
  std::vector<Node> global_;
  size_t size_ = 0;
};

}  // namespace tradesim::sim
