// Metrics: registration, enabling, histograms, batching into a sink.
#include "sim/metrics.hpp"

#include <gtest/gtest.h>

namespace tradesim::sim {
namespace {

TEST(Metrics, CountersAndGaugesAccumulate) {
  Metrics m;
  Counter& c = m.counter("blocks", "1", "blocks committed");
  c.add();
  c.add(4);
  EXPECT_EQ(c.value(), 5);
  EXPECT_EQ(&m.counter("blocks", "1", "again"), &c);  // one metric per name
  EXPECT_THROW(m.counter("blocks", "s", "other units"), std::logic_error);
  Gauge& g = m.gauge("stock", "TEU", "containers in the yard");
  g.set(3);
  g.add(-1);
  EXPECT_DOUBLE_EQ(g.value(), 2);
}

TEST(Metrics, DisabledMetricsRecordNothing) {
  Metrics m;
  m.set_enabled("debug.", false);
  Counter& off = m.counter("debug.steps", "1", "");
  Counter& on = m.counter("steps", "1", "");
  TimeSeries& s = m.series("debug.trace", "1", "");
  off.add(10);
  on.add(10);
  s.record(SimTime::zero(), 1);
  EXPECT_EQ(off.value(), 0);
  EXPECT_EQ(on.value(), 10);
  EXPECT_EQ(s.rows_written(), 0);
  m.set_enabled("debug.", true);
  off.add(1);
  EXPECT_EQ(off.value(), 1);
}

TEST(Metrics, HistogramBuckets) {
  Metrics m;
  Histogram& h = m.histogram("latency", "s", "", {1, 2, 5});
  for (double v : {0.5, 1.0, 1.5, 4.0, 9.0, 10.0}) h.observe(v);
  // Buckets: (-inf,1], (1,2], (2,5], (5,inf).
  EXPECT_EQ(h.bucket_counts(), (std::vector<int64_t>{2, 1, 1, 2}));
  EXPECT_EQ(h.count(), 6);
  EXPECT_DOUBLE_EQ(h.sum(), 26.0);
  EXPECT_DOUBLE_EQ(h.min(), 0.5);
  EXPECT_DOUBLE_EQ(h.max(), 10.0);
}

TEST(Metrics, SeriesAndTablesReachTheSinkInBatches) {
  MemoryRecorder rec;
  Metrics m(&rec);
  TimeSeries& s = m.series("queue", "ships", "");
  const int n = static_cast<int>(TimeSeries::kBatchRows) + 10;
  for (int i = 0; i < n; ++i) s.record(SimTime::from_ns(i), i * 0.5);
  EXPECT_EQ(rec.series("queue").t_ns.size(), TimeSeries::kBatchRows);  // one full batch so far
  EventTable& t = m.table("ships", "",
                          {{"id", ColumnType::kInt, "1", ""},
                           {"wait", ColumnType::kFloat, "h", ""},
                           {"flag", ColumnType::kText, "", ""}});
  t.append({1, 2.5, "CNSHA"});
  t.append({2, 3, "NLRTM"});  // an int into a float column is widened
  EXPECT_THROW(t.append({3, "x", "y"}), std::logic_error);
  EXPECT_THROW(t.append({3}), std::logic_error);
  m.flush();
  EXPECT_EQ(rec.series("queue").t_ns.size(), static_cast<size_t>(n));
  EXPECT_DOUBLE_EQ(rec.series("queue").values.back(), (n - 1) * 0.5);
  const auto& cols = rec.table("ships");
  EXPECT_EQ(cols[0].ints, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(cols[1].floats, (std::vector<double>{2.5, 3.0}));
  EXPECT_EQ(cols[2].texts, (std::vector<std::string>{"CNSHA", "NLRTM"}));
}

TEST(Metrics, SampledGaugesFeedTheirSeries) {
  MemoryRecorder rec;
  Metrics m(&rec);
  Gauge& g = m.sampled_gauge("berths_busy", "berths", "");
  g.set(1);
  m.sample(SimTime::from_ns(10));
  g.set(3);
  m.sample(SimTime::from_ns(20));
  m.flush();
  EXPECT_EQ(rec.series("berths_busy").t_ns, (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(rec.series("berths_busy").values, (std::vector<double>{1, 3}));
}

}  // namespace
}  // namespace tradesim::sim
