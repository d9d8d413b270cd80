// A multi-server queueing station (c identical servers, one FIFO queue): the building block of
// berths at ports, inspection lanes at customs and validators' CPU pools. The owning node draws
// service times and sets the timers; the station keeps the queue and the statistics, including
// the time-averaged number in system and in queue (the areas under L(t) and Lq(t)).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <vector>

#include "sim/time.hpp"

namespace tradesim::sim {

class Station {
 public:
  struct Job {
    uint64_t id;
    SimTime arrival;
    SimTime service_start;
  };

  explicit Station(int servers) : servers_(servers) {
    if (servers < 1) throw std::invalid_argument("a station needs at least one server");
  }

  // A job arrives. Returns it (with service_start = now) if a server was free; the caller then
  // schedules its completion. Otherwise the job waits in the queue.
  std::optional<Job> arrive(SimTime now, uint64_t id) {
    advance(now);
    ++arrivals_;
    if (busy_ < servers_) {
      ++busy_;
      return start(Job{id, now, now});
    }
    ++arrivals_waited_;
    queue_.push_back(Job{id, now, now});
    return std::nullopt;
  }

  // A server finishes a job. Returns the next job to start (from the queue), if any.
  std::optional<Job> depart(SimTime now) {
    advance(now);
    if (busy_ == 0) throw std::logic_error("station: departure with no job in service");
    ++departures_;
    // A server closed by set_servers() stops once its job is done, even with ships waiting.
    if (busy_ > servers_ || queue_.empty()) {
      --busy_;
      return std::nullopt;
    }
    Job next = queue_.front();
    queue_.pop_front();
    next.service_start = now;
    return start(next);
  }

  // Servers removed by a capacity loss finish their job; new jobs see fewer servers. Servers
  // added start waiting jobs at once: those are returned, for the caller to schedule.
  std::vector<Job> set_servers(SimTime now, int servers) {
    advance(now);
    if (servers < 0) throw std::invalid_argument("server count must not be negative");
    servers_ = servers;
    std::vector<Job> started;
    while (busy_ < servers_ && !queue_.empty()) {
      Job next = queue_.front();
      queue_.pop_front();
      next.service_start = now;
      ++busy_;
      started.push_back(start(next));
    }
    return started;
  }

  // Forgets every job (a crash of the owner): the queue empties and every server is free.
  // Returns how many jobs were lost.
  size_t clear(SimTime now) {
    advance(now);
    const size_t lost = queue_.size() + static_cast<size_t>(busy_);
    queue_.clear();
    busy_ = 0;
    return lost;
  }

  // Forgets the statistics gathered so far (end of the warm-up period); the state is kept.
  void reset_statistics(SimTime now) {
    advance(now);
    stats_start_ = now;
    area_system_ = area_queue_ = area_busy_ = 0;
    arrivals_ = arrivals_waited_ = departures_ = started_ = 0;
    wait_sum_ns_ = 0;
  }

  int servers() const { return servers_; }
  int busy() const { return busy_; }
  size_t queue_length() const { return queue_.size(); }
  size_t in_system() const { return queue_.size() + static_cast<size_t>(busy_); }

  uint64_t arrivals() const { return arrivals_; }
  uint64_t departures() const { return departures_; }
  // Jobs that found every server busy on arrival (the Erlang C event).
  uint64_t arrivals_waited() const { return arrivals_waited_; }
  uint64_t services_started() const { return started_; }
  // Mean wait in queue of jobs that started service since the last reset.
  Duration mean_wait() const {
    return Duration::from_ns(
        started_ ? static_cast<int64_t>(wait_sum_ns_ / static_cast<long double>(started_)) : 0);
  }
  double mean_wait_hours() const {
    return started_ ? static_cast<double>(wait_sum_ns_ / 3.6e12L / started_) : 0;
  }
  // Time averages over [last reset, now].
  double mean_in_system(SimTime now) const {
    return average(area_system_, now, queue_.size() + busy_);
  }
  double mean_in_queue(SimTime now) const { return average(area_queue_, now, queue_.size()); }
  double utilisation(SimTime now) const {
    return servers_ ? average(area_busy_, now, static_cast<size_t>(busy_)) / servers_ : 0;
  }

 private:
  Job start(Job job) {
    ++started_;
    wait_sum_ns_ += static_cast<long double>((job.service_start - job.arrival).ns());
    return job;
  }
  // Areas are accumulated in (jobs x ns) as long double: exact enough over years of sim time.
  void advance(SimTime now) {
    const long double dt = static_cast<long double>((now - last_change_).ns());
    area_system_ += dt * static_cast<long double>(queue_.size() + static_cast<size_t>(busy_));
    area_queue_ += dt * static_cast<long double>(queue_.size());
    area_busy_ += dt * busy_;
    last_change_ = now;
  }
  double average(long double area, SimTime now, size_t current) const {
    const long double span = static_cast<long double>((now - stats_start_).ns());
    if (span <= 0) return 0;
    const long double tail = static_cast<long double>((now - last_change_).ns()) * current;
    return static_cast<double>((area + tail) / span);
  }

  int servers_;
  int busy_ = 0;
  std::deque<Job> queue_;
  SimTime last_change_ = SimTime::zero();
  SimTime stats_start_ = SimTime::zero();
  long double area_system_ = 0, area_queue_ = 0, area_busy_ = 0;
  uint64_t arrivals_ = 0, arrivals_waited_ = 0, departures_ = 0, started_ = 0;
  long double wait_sum_ns_ = 0;  // sums of years of waits overflow int64 ns
};

}  // namespace tradesim::sim
