// The pending-event set, ordered by (time, tie-break key). The key is (sender node << 40 |
// sender's sequence number), never a global insertion counter, so the order of simultaneous
// events does not depend on how or where nodes were created.
//
// Structure: a calendar queue with a sorted front (after Brown 1988, "Calendar queues", and
// Tang, Goh and Thng 2005, "Ladder queue"). Time is cut into buckets of `width_` ns; the events of
// the current bucket (and any earlier) sit in a small binary heap, `near_`; the next kBuckets
// buckets are unsorted vectors in a ring, found through a bitmap; events further ahead wait in an
// overflow heap. Pushing is an append, popping works in a heap that fits in cache, and
// the width adapts so that a bucket holds a few dozen events.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
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
constexpr NodeId key_sender(uint64_t key) {
  return static_cast<NodeId>(key >> kSequenceBits);
}

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
  uint32_t payload : 30;  // record or action index, or incarnation (mod 2^30)
  EventKind kind : 2;

  bool before(const Event& o) const { return time < o.time || (time == o.time && key < o.key); }
};
static_assert(sizeof(Event) == 24);
inline constexpr uint32_t kMaxPayload = (1U << 30) - 1;

class EventQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  // The earliest event; the queue must not be empty.
  const Event& top() {
    if (near_.empty()) advance();
    return near_.front();
  }
  int64_t top_time() { return top().time; }
  uint64_t top_key() { return top().key; }

  void push(const Event& e) {
    ++size_;
    place(e);
  }

  void pop() {
    if (near_.empty()) advance();
    --size_;
    const Event last = near_.back();
    near_.pop_back();
    if (!near_.empty()) sift_down(last);
  }

  // Removes the top and inserts e in one pass when e belongs to the current bucket.
  void replace_top(const Event& e) {
    if (near_.empty()) advance();
    if (bucket_of(e.time) <= current_) {
      sift_down(e);
    } else {
      pop();
      push(e);
    }
  }

  int64_t bucket_width() const { return width_; }

 private:
  static constexpr size_t kBuckets = 4096;  // a power of two
  static constexpr size_t kWords = kBuckets / 64;
  // Widths adapt so that a bucket holds between about kMinLoad and kMaxLoad events.
  static constexpr size_t kMaxLoad = 1024;
  static constexpr size_t kMinLoad = 16;

  int64_t bucket_of(int64_t time) const {
    // Floor division (times may be negative before the start of a run).
    const int64_t q = time / width_;
    return (time % width_ != 0 && time < 0) ? q - 1 : q;
  }

  void place(const Event& e) {
    const int64_t b = bucket_of(e.time);
    if (b <= current_) {
      sift_up(e);
    } else if (b - current_ < static_cast<int64_t>(kBuckets)) {
      const size_t slot = static_cast<size_t>(b) & (kBuckets - 1);
      append(slot, e);
      occupied_[slot / 64] |= uint64_t{1} << (slot % 64);
      ++ring_count_;
    } else {
      overflow_.push_back(e);
      std::push_heap(overflow_.begin(), overflow_.end(), After{});
      overflow_first_ = bucket_of(overflow_.front().time);
    }
  }

  // Moves to the next non-empty bucket and makes it the heap. Adapts the width on the way.
  void advance() {
    while (near_.empty()) {
      if (ring_count_ == 0) {
        // Everything is in the overflow: jump straight to its first bucket.
        current_ = overflow_first_ - 1;
        redistribute_overflow();
        continue;
      }
      const size_t start = static_cast<size_t>(current_ + 1) & (kBuckets - 1);
      const size_t distance = next_occupied(start);
      current_ += static_cast<int64_t>(distance) + 1;
      empty_skipped_ += distance;
      const size_t slot = static_cast<size_t>(current_) & (kBuckets - 1);
      take(slot, near_);
      occupied_[slot / 64] &= ~(uint64_t{1} << (slot % 64));
      ring_count_ -= near_.size();
      std::make_heap(near_.begin(), near_.end(), After{});
      if (overflow_first_ - current_ < static_cast<int64_t>(kBuckets)) redistribute_overflow();
      ++buckets_opened_;
      loads_ += near_.size();
      if (near_.size() > kMaxLoad && width_ > 1 && spread_of_near() > width_ / 8) {
        // Crowded bucket whose times narrower buckets would separate (not a pile of ties).
        resize(std::max<int64_t>(1, width_ / 8));
      } else if (buckets_opened_ >= 64) {
        // Mostly empty buckets, or few events per bucket: wider buckets.
        if ((empty_skipped_ > 16 * buckets_opened_ || loads_ < kMinLoad * buckets_opened_) &&
            width_ < (int64_t{1} << 56)) {
          resize(width_ * 4);
        }
        buckets_opened_ = empty_skipped_ = loads_ = 0;
      }
    }
  }

  int64_t spread_of_near() const {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (const Event& e : near_) {
      lo = std::min(lo, e.time);
      hi = std::max(hi, e.time);
    }
    return hi - lo;
  }

  // Distance from `start` (inclusive) to the next occupied slot of the ring.
  size_t next_occupied(size_t start) const {
    size_t word = start / 64;
    uint64_t bits = occupied_[word] & (~uint64_t{0} << (start % 64));
    while (bits == 0) {
      word = (word + 1) % kWords;
      bits = occupied_[word];
    }
    const size_t slot = word * 64 + static_cast<size_t>(std::countr_zero(bits));
    return (slot - start) & (kBuckets - 1);
  }

  // Moves the overflow events that now fall within the ring (or earlier) out of the overflow heap;
  // each event passes through it at most once.
  void redistribute_overflow() {
    while (!overflow_.empty() &&
           bucket_of(overflow_.front().time) - current_ < static_cast<int64_t>(kBuckets)) {
      std::pop_heap(overflow_.begin(), overflow_.end(), After{});
      const Event e = overflow_.back();
      overflow_.pop_back();
      place(e);
    }
    overflow_first_ = overflow_.empty() ? INT64_MAX : bucket_of(overflow_.front().time);
  }

  // Re-buckets every pending event with a new width.
  void resize(int64_t width) {
    std::vector<Event> all;
    all.reserve(size_);
    all.insert(all.end(), near_.begin(), near_.end());
    for (size_t slot = 0; slot < kBuckets; ++slot) take(slot, all);
    all.insert(all.end(), overflow_.begin(), overflow_.end());
    near_.clear();
    overflow_.clear();
    occupied_.fill(0);
    ring_count_ = 0;
    overflow_first_ = INT64_MAX;
    int64_t earliest = INT64_MAX;
    for (const Event& e : all) earliest = std::min(earliest, e.time);
    width_ = width;
    current_ = bucket_of(earliest);
    for (const Event& e : all) place(e);
    buckets_opened_ = empty_skipped_ = loads_ = 0;
  }

  // Ring buckets are chains of fixed-size blocks from one pool: appending never moves events,
  // and memory follows the number of pending events without fragmenting.
  static constexpr size_t kBlockEvents = 64;
  static constexpr uint32_t kNoBlock = UINT32_MAX;
  struct Block {
    std::array<Event, kBlockEvents> events;
    uint32_t count;
    uint32_t next;  // the older block of the same bucket
  };
  void append(size_t slot, const Event& e) {
    uint32_t head = heads_[slot];
    if (head == kNoBlock || blocks_[head].count == kBlockEvents) {
      uint32_t fresh;
      if (!free_blocks_.empty()) {
        fresh = free_blocks_.back();
        free_blocks_.pop_back();
      } else {
        fresh = static_cast<uint32_t>(blocks_.size());
        blocks_.emplace_back();
      }
      blocks_[fresh].count = 0;
      blocks_[fresh].next = head;
      heads_[slot] = head = fresh;
    }
    Block& block = blocks_[head];
    block.events[block.count++] = e;
  }
  // Moves a bucket's events to the end of `out` and returns its blocks to the pool.
  void take(size_t slot, std::vector<Event>& out) {
    for (uint32_t b = heads_[slot]; b != kNoBlock;) {
      const Block& block = blocks_[b];
      out.insert(out.end(), block.events.begin(), block.events.begin() + block.count);
      free_blocks_.push_back(b);
      b = block.next;
    }
    heads_[slot] = kNoBlock;
  }

  // std:: heap order is a max-heap: "after" makes the earliest event the front.
  struct After {
    bool operator()(const Event& a, const Event& b) const { return b.before(a); }
  };
  void sift_up(const Event& e) {
    size_t k = near_.size();
    near_.push_back(e);
    while (k > 0) {
      const size_t parent = (k - 1) / 2;
      if (!e.before(near_[parent])) break;
      near_[k] = near_[parent];
      k = parent;
    }
    near_[k] = e;
  }
  void sift_down(const Event& e) {
    const size_t n = near_.size();
    size_t k = 0;
    while (true) {
      size_t child = 2 * k + 1;
      if (child >= n) break;
      if (child + 1 < n && near_[child + 1].before(near_[child])) ++child;
      if (!near_[child].before(e)) break;
      near_[k] = near_[child];
      k = child;
    }
    near_[k] = e;
  }

  std::vector<Event> near_;
  std::vector<Block> blocks_;
  std::vector<uint32_t> free_blocks_;
  std::array<uint32_t, kBuckets> heads_ = make_heads();
  static constexpr std::array<uint32_t, kBuckets> make_heads() {
    std::array<uint32_t, kBuckets> heads{};
    heads.fill(kNoBlock);
    return heads;
  }
  std::array<uint64_t, kWords> occupied_{};
  std::vector<Event> overflow_;
  int64_t width_ = int64_t{1} << 20;  // about 1 ms to start with
  int64_t current_ = -1;              // near_ holds every event of buckets <= current_
  int64_t overflow_first_ = INT64_MAX;
  size_t ring_count_ = 0;
  size_t size_ = 0;
  size_t buckets_opened_ = 0, empty_skipped_ = 0, loads_ = 0;
};

}  // namespace tradesim::sim
