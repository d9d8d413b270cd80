// The pending-event set: a 4-ary min-heap ordered by (time, tie-break key).
// The key is (sender node << 40 | sender's sequence number), never a global insertion counter,
// so the order of simultaneous events does not depend on how or where nodes were created.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/ids.hpp"
#include "sim/time.hpp"

namespace tradesim::sim {

inline constexpr int kSequenceBits = 40;
inline constexpr uint64_t kSequenceMask = (uint64_t{1} << kSequenceBits) - 1;

constexpr uint64_t make_event_key(NodeId sender, uint64_t sequence) {
  return (static_cast<uint64_t>(sender) << kSequenceBits) | (sequence & kSequenceMask);
}
constexpr NodeId key_sender(uint64_t key) { return static_cast<NodeId>(key >> kSequenceBits); }

// What the engine must do when an entry comes due. `target` and `payload` are interpreted by kind.
enum class EventKind : uint8_t {
  kEmptyMessage,  // a message without payload; payload unused
  kMessage,       // payload = index of the message record
  kCpuResume,     // the target's CPU is free again; payload = the node's incarnation
  kAction,        // payload = index of a kernel action (timeline, sampling)
};

struct QueueEntry {
  int64_t time;
  uint64_t key;
  NodeId target;
  uint32_t payload : 30;
  uint32_t kind : 2;

  bool before(const QueueEntry& o) const {
    return time < o.time || (time == o.time && key < o.key);
  }
  EventKind event_kind() const { return static_cast<EventKind>(kind); }
};
static_assert(sizeof(QueueEntry) == 24);
inline constexpr uint32_t kMaxPayloadIndex = (1U << 30) - 1;

class EventQueue {
 public:
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  void reserve(size_t n) { heap_.reserve(n); }
  const QueueEntry& top() const { return heap_.front(); }

  void push(const QueueEntry& e) {
    size_t k = heap_.size();
    heap_.push_back(e);
    QueueEntry* a = heap_.data();
    while (k > 0) {
      const size_t parent = (k - 1) >> 2;
      if (!e.before(a[parent])) break;
      a[k] = a[parent];
      k = parent;
    }
    a[k] = e;
  }

  void pop() {
    const QueueEntry last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(last);
  }

  // Removes the top and inserts e in one pass: the common "handle one, schedule one" step.
  void replace_top(const QueueEntry& e) { sift_down(e); }

 private:
  void sift_down(const QueueEntry& e) {
    QueueEntry* a = heap_.data();
    const size_t n = heap_.size();
    size_t k = 0;
    while (true) {
      const size_t first = 4 * k + 1;
      if (first >= n) break;
      size_t best = first;
      if (first + 4 <= n) {
        const size_t b01 = a[first + 1].before(a[first]) ? first + 1 : first;
        const size_t b23 = a[first + 3].before(a[first + 2]) ? first + 3 : first + 2;
        best = a[b23].before(a[b01]) ? b23 : b01;
      } else {
        for (size_t c = first + 1; c < n; ++c) {
          if (a[c].before(a[best])) best = c;
        }
      }
      if (!a[best].before(e)) break;
      a[k] = a[best];
      k = best;
    }
    a[k] = e;
  }

  std::vector<QueueEntry> heap_;
};

}  // namespace tradesim::sim
