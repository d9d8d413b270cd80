// Metric registration, enabling, batching and the in-memory recorder.
#include "sim/metrics.hpp"

#include <algorithm>
#include <stdexcept>

namespace tradesim::sim {

namespace {
MetricInfo make_info(std::string_view name, std::string_view units, std::string_view description) {
  if (name.empty()) throw std::invalid_argument("a metric needs a name");
  return MetricInfo{std::string(name), std::string(units), std::string(description)};
}

}  // namespace

template <class T>
T& Metrics::find_or_add(std::map<std::string, std::unique_ptr<T>, std::less<>>& map,
                        std::string_view name, std::string_view units, std::string_view description,
                        bool enabled, bool& added) {
  auto it = map.find(name);
  added = it == map.end();
  if (!added) {
    if (it->second->info().units != units) {
      throw std::logic_error("metric \"" + std::string(name) + "\" registered with units \"" +
                             it->second->info().units + "\" and \"" + std::string(units) + "\"");
    }
    return *it->second;
  }
  auto metric = std::make_unique<T>();
  metric->info_ = make_info(name, units, description);
  metric->enabled_ = enabled;
  T& ref = *metric;
  map.emplace(std::string(name), std::move(metric));
  return ref;
}

void Histogram::record(double v) {
  const auto it = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), v);
  ++counts_[static_cast<size_t>(it - upper_bounds_.begin())];
  if (count_ == 0) {
    min_ = max_ = v;
  } else {
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  ++count_;
  sum_ += v;
}

void TimeSeries::flush() {
  if (sink_ != nullptr && (!t_ns_.empty() || rows_flushed_ == 0)) {
    sink_->append_series(*this, t_ns_, values_);
  }
  rows_flushed_ += static_cast<int64_t>(t_ns_.size());
  t_ns_.clear();
  values_.clear();
}

void EventTable::append(std::initializer_list<Cell> cells) {
  if (!enabled_) return;
  if (cells.size() != columns_.size()) {
    throw std::logic_error("table \"" + info_.name + "\" has " + std::to_string(columns_.size()) +
                           " columns, row has " + std::to_string(cells.size()));
  }
  size_t c = 0;
  for (const Cell& cell : cells) {
    ColumnData& data = pending_[c];
    switch (columns_[c].type) {
      case ColumnType::kInt:
        if (cell.type != ColumnType::kInt) break;
        data.ints.push_back(cell.i);
        ++c;
        continue;
      case ColumnType::kFloat:
        if (cell.type == ColumnType::kText) break;
        data.floats.push_back(cell.type == ColumnType::kInt ? static_cast<double>(cell.i) : cell.f);
        ++c;
        continue;
      case ColumnType::kText:
        if (cell.type != ColumnType::kText) break;
        data.texts.emplace_back(cell.s);
        ++c;
        continue;
    }
    // A half-appended row would misalign the columns: undo it before reporting.
    for (size_t k = 0; k < c; ++k) {
      pending_[k].ints.resize(pending_rows_ * (columns_[k].type == ColumnType::kInt));
      pending_[k].floats.resize(pending_rows_ * (columns_[k].type == ColumnType::kFloat));
      pending_[k].texts.resize(pending_rows_ * (columns_[k].type == ColumnType::kText));
    }
    throw std::logic_error("table \"" + info_.name + "\", column \"" + columns_[c].name +
                           "\": cell of the wrong type");
  }
  if (++pending_rows_ >= kBatchRows) flush();
}

void EventTable::flush() {
  if (sink_ != nullptr && (pending_rows_ > 0 || rows_flushed_ == 0)) sink_->append_rows(*this);
  rows_flushed_ += static_cast<int64_t>(pending_rows_);
  for (ColumnData& d : pending_) {
    d.ints.clear();
    d.floats.clear();
    d.texts.clear();
  }
  pending_rows_ = 0;
}

bool Metrics::enabled_for(std::string_view name) const {
  bool enabled = true;
  for (const auto& [prefix, on] : enable_rules_) {
    if (name.substr(0, prefix.size()) == prefix) enabled = on;
  }
  return enabled;
}

Counter& Metrics::counter(std::string_view name, std::string_view units,
                          std::string_view description) {
  bool added;
  return find_or_add(counters_, name, units, description, enabled_for(name), added);
}

Gauge& Metrics::gauge(std::string_view name, std::string_view units, std::string_view description) {
  bool added;
  return find_or_add(gauges_, name, units, description, enabled_for(name), added);
}

Gauge& Metrics::sampled_gauge(std::string_view name, std::string_view units,
                              std::string_view description) {
  bool added;
  Gauge& g = find_or_add(gauges_, name, units, description, enabled_for(name), added);
  if (g.sampled_into_ == nullptr) {
    g.sampled_into_ = &series(name, units, description);
    sampled_.push_back(&g);
  }
  return g;
}

Histogram& Metrics::histogram(std::string_view name, std::string_view units,
                              std::string_view description, std::vector<double> upper_bounds) {
  if (!std::is_sorted(upper_bounds.begin(), upper_bounds.end())) {
    throw std::logic_error("histogram \"" + std::string(name) + "\": bounds must be sorted");
  }
  bool added;
  Histogram& h = find_or_add(histograms_, name, units, description, enabled_for(name), added);
  if (added) {
    h.counts_.assign(upper_bounds.size() + 1, 0);
    h.upper_bounds_ = std::move(upper_bounds);
  }
  return h;
}

TimeSeries& Metrics::series(std::string_view name, std::string_view units,
                            std::string_view description) {
  bool added;
  TimeSeries& s = find_or_add(series_, name, units, description, enabled_for(name), added);
  if (added) {
    s.sink_ = sink_;
    s.t_ns_.reserve(TimeSeries::kBatchRows);
    s.values_.reserve(TimeSeries::kBatchRows);
  }
  return s;
}

EventTable& Metrics::table(std::string_view name, std::string_view description,
                           std::vector<Column> columns) {
  bool added;
  EventTable& t = find_or_add(tables_, name, "", description, enabled_for(name), added);
  if (added) {
    if (columns.empty())
      throw std::logic_error("table \"" + std::string(name) + "\" has no columns");
    t.columns_ = std::move(columns);
    t.pending_.resize(t.columns_.size());
    t.sink_ = sink_;
  }
  return t;
}

void Metrics::set_summary(std::string_view name, double value, std::string_view units,
                          std::string_view description) {
  summary_[std::string(name)] = SummaryValue{value, make_info(name, units, description)};
}

void Metrics::set_enabled(std::string_view prefix, bool enabled) {
  enable_rules_.emplace_back(std::string(prefix), enabled);
  auto apply = [&](auto& map) {
    for (auto& [name, metric] : map) {
      if (std::string_view(name).substr(0, prefix.size()) == prefix) metric->enabled_ = enabled;
    }
  };
  apply(counters_);
  apply(gauges_);
  apply(histograms_);
  apply(series_);
  apply(tables_);
}

void Metrics::sample(SimTime t) {
  for (Gauge* g : sampled_) {
    if (g->enabled_) g->sampled_into_->record(t, g->value_);
  }
}

void Metrics::flush() {
  for (auto& [name, s] : series_) s->flush();
  for (auto& [name, t] : tables_) t->flush();
}

void Metrics::set_sink(MetricSink* sink) {
  sink_ = sink;
  for (auto& [name, s] : series_) s->sink_ = sink;
  for (auto& [name, t] : tables_) t->sink_ = sink;
}

void MemoryRecorder::append_series(const TimeSeries& series, std::span<const int64_t> t_ns,
                                   std::span<const double> values) {
  Series& s = series_[series.info().name];
  s.t_ns.insert(s.t_ns.end(), t_ns.begin(), t_ns.end());
  s.values.insert(s.values.end(), values.begin(), values.end());
}

void MemoryRecorder::append_rows(const EventTable& table) {
  auto& columns = tables_[table.info().name];
  columns.resize(table.columns().size());
  for (size_t c = 0; c < columns.size(); ++c) {
    const auto& from = table.pending()[c];
    columns[c].ints.insert(columns[c].ints.end(), from.ints.begin(), from.ints.end());
    columns[c].floats.insert(columns[c].floats.end(), from.floats.begin(), from.floats.end());
    columns[c].texts.insert(columns[c].texts.end(), from.texts.begin(), from.texts.end());
  }
}

}  // namespace tradesim::sim
