// Safety checkers shared by the consensus protocols and their property tests: every commit at a
// log index (or block height) must agree across nodes, and a term (or view) has at most one
// leader. They count violations instead of stopping, so a run reports how safety failed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/ids.hpp"

namespace tradesim::consensus {

class SafetyChecker {
 public:
  // A node committed `value` (an entry or block digest) at `index`.
  void committed(sim::NodeId node, uint64_t index, uint64_t value) {
    const auto [it, inserted] = first_commit_.emplace(index, Commit{node, value});
    if (!inserted && it->second.value != value) {
      ++violations_;
      if (examples_.size() < 5) {
        examples_.push_back("index " + std::to_string(index) + ": node " +
                            std::to_string(it->second.node) + " committed " +
                            std::to_string(it->second.value) + ", node " + std::to_string(node) +
                            " committed " + std::to_string(value));
      }
    }
    ++commits_;
  }
  // `node` became leader of `term`.
  void leader(sim::NodeId node, uint64_t term) {
    const auto [it, inserted] = leaders_.emplace(term, node);
    if (!inserted && it->second != node) {
      ++violations_;
      if (examples_.size() < 5) {
        examples_.push_back("term " + std::to_string(term) + " has leaders " +
                            std::to_string(it->second) + " and " + std::to_string(node));
      }
    }
  }
  uint64_t violations() const { return violations_; }
  uint64_t commits() const { return commits_; }
  // The highest index that some node committed.
  uint64_t highest_index() const {
    return first_commit_.empty() ? 0 : first_commit_.rbegin()->first;
  }
  const std::map<uint64_t, sim::NodeId>& leaders() const { return leaders_; }
  std::string report() const {
    std::string out = std::to_string(violations_) + " violation(s)";
    for (const std::string& e : examples_) out += "; " + e;
    return out;
  }

 private:
  struct Commit {
    sim::NodeId node;
    uint64_t value;
  };
  std::map<uint64_t, Commit> first_commit_;
  std::map<uint64_t, sim::NodeId> leaders_;
  uint64_t violations_ = 0;
  uint64_t commits_ = 0;
  std::vector<std::string> examples_;
};

}  // namespace tradesim::consensus
