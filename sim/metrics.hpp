// Metrics: counters, gauges, histograms, time series and event tables, registered by name with
// units and a description. Rows are buffered and handed to a MetricSink (the HDF5 writer or the
// in-memory recorder) in batches. A disabled metric costs one branch per update.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.hpp"

namespace tradesim::sim {

struct MetricInfo {
  std::string name;
  std::string units;
  std::string description;
};

class Counter {
 public:
  void add(int64_t n = 1) {
    if (enabled_) value_ += n;
  }
  int64_t value() const { return value_; }
  bool enabled() const { return enabled_; }
  const MetricInfo& info() const { return info_; }

 private:
  friend class Metrics;
  int64_t value_ = 0;
  bool enabled_ = true;
  MetricInfo info_;
};

class TimeSeries;

class Gauge {
 public:
  void set(double v) {
    if (enabled_) value_ = v;
  }
  void add(double d) {
    if (enabled_) value_ += d;
  }
  double value() const { return value_; }
  bool enabled() const { return enabled_; }
  const MetricInfo& info() const { return info_; }

 private:
  friend class Metrics;
  double value_ = 0;
  bool enabled_ = true;
  TimeSeries* sampled_into_ = nullptr;
  MetricInfo info_;
};

// Counts of observations per bucket; bucket i holds values <= upper_bounds[i] (and above the
// previous bound); the last bucket holds values above every bound.
class Histogram {
 public:
  void observe(double v) {
    if (enabled_) record(v);
  }
  int64_t count() const { return count_; }
  double sum() const { return sum_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double min() const { return min_; }
  double max() const { return max_; }
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  const std::vector<int64_t>& bucket_counts() const { return counts_; }
  bool enabled() const { return enabled_; }
  const MetricInfo& info() const { return info_; }

 private:
  friend class Metrics;
  void record(double v);
  std::vector<double> upper_bounds_;
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
  bool enabled_ = true;
  MetricInfo info_;
};

class MetricSink;

// Values over simulated time: (t_ns, value) pairs.
class TimeSeries {
 public:
  void record(SimTime t, double v) {
    if (!enabled_) return;
    t_ns_.push_back(t.ns());
    values_.push_back(v);
    if (t_ns_.size() >= kBatchRows) flush();
  }
  bool enabled() const { return enabled_; }
  const MetricInfo& info() const { return info_; }
  int64_t rows_written() const { return rows_flushed_ + static_cast<int64_t>(t_ns_.size()); }
  void flush();

  static constexpr size_t kBatchRows = 8192;

 private:
  friend class Metrics;
  std::vector<int64_t> t_ns_;
  std::vector<double> values_;
  int64_t rows_flushed_ = 0;
  bool enabled_ = true;
  MetricSink* sink_ = nullptr;
  MetricInfo info_;
};

enum class ColumnType : uint8_t { kInt, kFloat, kText };

struct Column {
  std::string name;
  ColumnType type;
  std::string units;
  std::string description;
};

// One cell of a table row; converts from integers, floating point, SimTime/Duration and text.
struct Cell {
  ColumnType type;
  int64_t i = 0;
  double f = 0;
  std::string_view s;
  template <class T>
  requires std::is_integral_v<T> Cell(T v) : type(ColumnType::kInt), i(static_cast<int64_t>(v)) {}
  template <class T>
  requires std::is_floating_point_v<T> Cell(T v)
      : type(ColumnType::kFloat), f(static_cast<double>(v)) {}
  Cell(SimTime t) : type(ColumnType::kInt), i(t.ns()) {}
  Cell(Duration d) : type(ColumnType::kInt), i(d.ns()) {}
  Cell(std::string_view v) : type(ColumnType::kText), s(v) {}
  Cell(const char* v) : type(ColumnType::kText), s(v) {}
  Cell(const std::string& v) : type(ColumnType::kText), s(v) {}
};

// Rows of typed columns (one row per block, shipment, payment, ...), stored column by column.
class EventTable {
 public:
  struct ColumnData {
    std::vector<int64_t> ints;
    std::vector<double> floats;
    std::vector<std::string> texts;
  };

  // Appends one row; the cells follow the declared column order. A wrong count or type is a bug
  // in the model and throws std::logic_error naming the table and column.
  void append(std::initializer_list<Cell> cells);
  bool enabled() const { return enabled_; }
  const MetricInfo& info() const { return info_; }
  const std::vector<Column>& columns() const { return columns_; }
  // The rows not yet handed to the sink, column by column.
  const std::vector<ColumnData>& pending() const { return pending_; }
  size_t pending_rows() const { return pending_rows_; }
  int64_t rows_written() const { return rows_flushed_ + static_cast<int64_t>(pending_rows_); }
  void flush();

  static constexpr size_t kBatchRows = 4096;

 private:
  friend class Metrics;
  std::vector<Column> columns_;
  std::vector<ColumnData> pending_;
  size_t pending_rows_ = 0;
  int64_t rows_flushed_ = 0;
  bool enabled_ = true;
  MetricSink* sink_ = nullptr;
  MetricInfo info_;
};

struct SummaryValue {
  double value;
  MetricInfo info;
};

// Where buffered rows go. Called in simulated-time order, batch by batch.
class MetricSink {
 public:
  virtual ~MetricSink() = default;
  virtual void append_series(const TimeSeries& series, std::span<const int64_t> t_ns,
                             std::span<const double> values) = 0;
  virtual void append_rows(const EventTable& table) = 0;
};

class Metrics {
 public:
  explicit Metrics(MetricSink* sink = nullptr) : sink_(sink) {}
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Registration returns a reference that stays valid for the registry's life. Registering a
  // name again returns the same metric (units must agree).
  Counter& counter(std::string_view name, std::string_view units, std::string_view description);
  Gauge& gauge(std::string_view name, std::string_view units, std::string_view description);
  // A gauge whose value is recorded into the time series of the same name at every sample().
  Gauge& sampled_gauge(std::string_view name, std::string_view units, std::string_view description);
  Histogram& histogram(std::string_view name, std::string_view units, std::string_view description,
                       std::vector<double> upper_bounds);
  TimeSeries& series(std::string_view name, std::string_view units, std::string_view description);
  // A table under /events/<name>, or at an absolute path when name starts with '/'.
  EventTable& table(std::string_view name, std::string_view description,
                    std::vector<Column> columns);
  // A KPI of the run, one scalar with units, written under /summary.
  void set_summary(std::string_view name, double value, std::string_view units,
                   std::string_view description);

  // Turns off (or back on) every metric whose name starts with `prefix` ("" for all).
  // Metrics registered later under the prefix start disabled too.
  void set_enabled(std::string_view prefix, bool enabled);

  // Records every sampled gauge at time t.
  void sample(SimTime t);
  // Hands every buffered row to the sink (at the end of a run, or before an interrupt).
  void flush();
  void set_sink(MetricSink* sink);

  const std::map<std::string, std::unique_ptr<Counter>, std::less<>>& counters() const {
    return counters_;
  }
  const std::map<std::string, std::unique_ptr<Gauge>, std::less<>>& gauges() const {
    return gauges_;
  }
  const std::map<std::string, std::unique_ptr<Histogram>, std::less<>>& histograms() const {
    return histograms_;
  }
  const std::map<std::string, std::unique_ptr<TimeSeries>, std::less<>>& all_series() const {
    return series_;
  }
  const std::map<std::string, std::unique_ptr<EventTable>, std::less<>>& tables() const {
    return tables_;
  }
  const std::map<std::string, SummaryValue, std::less<>>& summary() const { return summary_; }

 private:
  bool enabled_for(std::string_view name) const;
  template <class T>
  static T& find_or_add(std::map<std::string, std::unique_ptr<T>, std::less<>>& map,
                        std::string_view name, std::string_view units, std::string_view description,
                        bool enabled, bool& added);

  MetricSink* sink_;
  std::vector<std::pair<std::string, bool>> enable_rules_;
  std::map<std::string, std::unique_ptr<Counter>, std::less<>> counters_;
  std::map<std::string, std::unique_ptr<Gauge>, std::less<>> gauges_;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> histograms_;
  std::map<std::string, std::unique_ptr<TimeSeries>, std::less<>> series_;
  std::map<std::string, std::unique_ptr<EventTable>, std::less<>> tables_;
  std::map<std::string, SummaryValue, std::less<>> summary_;
  std::vector<Gauge*> sampled_;
};

// Keeps every row in memory: the sink used by tests.
class MemoryRecorder : public MetricSink {
 public:
  struct Series {
    std::vector<int64_t> t_ns;
    std::vector<double> values;
  };
  void append_series(const TimeSeries& series, std::span<const int64_t> t_ns,
                     std::span<const double> values) override;
  void append_rows(const EventTable& table) override;

  const Series& series(const std::string& name) const { return series_.at(name); }
  const std::vector<EventTable::ColumnData>& table(const std::string& name) const {
    return tables_.at(name);
  }
  bool has_series(const std::string& name) const { return series_.count(name) != 0; }

 private:
  std::map<std::string, Series> series_;
  std::map<std::string, std::vector<EventTable::ColumnData>> tables_;
};

}  // namespace tradesim::sim
