// Pending timers: an indexed binary heap, so that a cancelled timer is removed at once and costs
// no later work. Timer ids carry a generation, so a stale id (fired, cancelled) is harmless.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/ids.hpp"

namespace tradesim::sim {

class TimerQueue {
 public:
  struct Due {
    int64_t time;
    uint64_t key;
    NodeId node;
    uint64_t tag;
    TimerId id;
  };

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  int64_t top_time() const { return heap_.front().time; }
  uint64_t top_key() const { return heap_.front().key; }

  TimerId add(int64_t time, uint64_t key, NodeId node, uint64_t tag) {
    uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<uint32_t>(slots_.size());
      slots_.push_back(Slot{});
      ++slots_.back().generation;  // generation 0 never names a live timer (kNoTimer is 0)
    }
    Slot& s = slots_[slot];
    s.node = node;
    s.tag = tag;
    s.state = State::kScheduled;
    s.heap_pos = static_cast<uint32_t>(heap_.size());
    heap_.push_back(Entry{time, key, slot});
    sift_up(s.heap_pos);
    return id_of(slot);
  }

  // Removes and returns the earliest timer; its id stays valid (state kDelivering) until
  // release() so that a handler deferred behind the CPU can still be cancelled.
  Due take_top() {
    const Entry e = heap_.front();
    remove_at(0);
    Slot& s = slots_[e.slot];
    s.state = State::kDelivering;
    return Due{e.time, e.key, s.node, s.tag, id_of(e.slot)};
  }

  // True while the timer is scheduled or taken but not yet delivered.
  bool live(TimerId id) const {
    const uint32_t slot = static_cast<uint32_t>(id);
    return slot < slots_.size() && slots_[slot].generation == static_cast<uint32_t>(id >> 32) &&
           slots_[slot].state != State::kFree;
  }

  // Frees a taken timer after its delivery (or when it is dropped).
  void release(TimerId id) {
    if (live(id)) free_slot(static_cast<uint32_t>(id));
  }

  // Cancels a scheduled or taken timer. Returns false for a stale id.
  bool cancel(TimerId id) {
    if (!live(id)) return false;
    const uint32_t slot = static_cast<uint32_t>(id);
    if (slots_[slot].state == State::kScheduled) remove_at(slots_[slot].heap_pos);
    free_slot(slot);
    return true;
  }

  // Drops every scheduled timer of a node (the node crashed). Linear in the number of timers;
  // crashes are rare.
  size_t cancel_all_of(NodeId node) {
    size_t removed = 0;
    for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
      if (slots_[slot].state == State::kScheduled && slots_[slot].node == node) {
        remove_at(slots_[slot].heap_pos);
        free_slot(slot);
        ++removed;
      }
    }
    return removed;
  }

  size_t slots_allocated() const { return slots_.size(); }

 private:
  enum class State : uint8_t { kFree, kScheduled, kDelivering };
  struct Slot {
    uint64_t tag = 0;
    NodeId node = 0;
    uint32_t heap_pos = 0;
    uint32_t generation = 0;
    State state = State::kFree;
  };
  struct Entry {
    int64_t time;
    uint64_t key;
    uint32_t slot;
    bool before(const Entry& o) const { return time < o.time || (time == o.time && key < o.key); }
  };

  TimerId id_of(uint32_t slot) const {
    return (static_cast<uint64_t>(slots_[slot].generation) << 32) | slot;
  }
  void free_slot(uint32_t slot) {
    Slot& s = slots_[slot];
    s.state = State::kFree;
    if (++s.generation == 0) s.generation = 1;
    free_.push_back(slot);
  }
  void place(size_t pos, const Entry& e) {
    heap_[pos] = e;
    slots_[e.slot].heap_pos = static_cast<uint32_t>(pos);
  }
  void sift_up(size_t pos) {
    const Entry e = heap_[pos];
    while (pos > 0) {
      const size_t parent = (pos - 1) / 2;
      if (!e.before(heap_[parent])) break;
      place(pos, heap_[parent]);
      pos = parent;
    }
    place(pos, e);
  }
  void sift_down(size_t pos) {
    const Entry e = heap_[pos];
    const size_t n = heap_.size();
    while (true) {
      size_t child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && heap_[child + 1].before(heap_[child])) ++child;
      if (!heap_[child].before(e)) break;
      place(pos, heap_[child]);
      pos = child;
    }
    place(pos, e);
  }
  void remove_at(size_t pos) {
    const Entry last = heap_.back();
    heap_.pop_back();
    if (pos == heap_.size()) return;
    place(pos, last);
    if (pos > 0 && last.before(heap_[(pos - 1) / 2])) {
      sift_up(pos);
    } else {
      sift_down(pos);
    }
  }

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
};

}  // namespace tradesim::sim
