// The HDF5 writer: layout, units on every dataset, the .partial protocol and determinism.
#include "sim/hdf5_writer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "models/queueing/mmc.hpp"
#include "tests/support/h5_contents.hpp"

namespace tradesim::sim {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("tradesim_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(Hdf5Writer, WritesTheLayoutWithUnitsEverywhere) {
  const std::string path = temp_path("layout.h5");
  {
    Hdf5Writer w(path);
    Metrics m(&w);
    m.counter("blocks", "1", "blocks committed").add(7);
    m.gauge("stock", "TEU", "containers in the yard").set(12.5);
    m.histogram("latency", "s", "commit latency", {0.1, 1}).observe(0.5);
    TimeSeries& s = m.series("port.queue", "ships", "ships waiting");
    for (int i = 0; i < 20000; ++i) s.record(SimTime::from_ns(i), i);
    EventTable& t = m.table(
        "ships", "one row per ship",
        {{"id", ColumnType::kInt, "1", "ship"}, {"port", ColumnType::kText, "", "UN/LOCODE"}});
    t.append({1, "CNSHA"});
    t.append({2, "NLRTM"});
    m.table("/nodes", "the nodes", {{"id", ColumnType::kInt, "1", "node id"}}).append({0});
    m.table("empty", "a table with no rows", {{"x", ColumnType::kFloat, "m", "x"}});
    m.set_summary("fill_rate", 0.97, "1", "share of demand met from stock");
    w.write_text("/scenario", "scenario:\n  name: test\n", "the resolved scenario");
    w.set_attribute("seed", int64_t{42});
    EXPECT_TRUE(fs::exists(path + ".partial"));
    EXPECT_FALSE(fs::exists(path));
    w.finish(m, "complete");
  }
  EXPECT_FALSE(fs::exists(path + ".partial"));
  const auto data = testing::read_all_datasets(path);
  for (const char* name : {"/counters/blocks", "/gauges/stock", "/histograms/latency/counts",
                           "/histograms/latency/upper_bounds", "/timeseries/port.queue/t_ns",
                           "/timeseries/port.queue/value", "/events/ships/id", "/events/ships/port",
                           "/nodes/id", "/events/empty/x", "/summary/fill_rate", "/scenario"}) {
    EXPECT_TRUE(data.count(name)) << name;
  }
  for (const auto& [name, d] : data) {
    EXPECT_NE(d.string_attributes.at("units"), "<missing>") << name;
    EXPECT_NE(d.string_attributes.at("description"), "<missing>") << name;
  }
  EXPECT_EQ(data.at("/timeseries/port.queue/value").rows, 20000);
  EXPECT_EQ(data.at("/timeseries/port.queue/value").string_attributes.at("units"), "ships");
  EXPECT_EQ(data.at("/events/ships/port").rows, 2);
  EXPECT_EQ(data.at("/events/empty/x").rows, 0);
  int64_t blocks;
  std::memcpy(&blocks, data.at("/counters/blocks").bytes.data(), 8);
  EXPECT_EQ(blocks, 7);
  EXPECT_EQ(testing::root_attribute(path, "status"), "complete");
  // No group or dataset, the root included, records a creation or modification time.
  EXPECT_EQ(testing::objects_with_time_stamps(path), std::vector<std::string>{});
  fs::remove(path);
}

TEST(Hdf5Writer, UnfinishedFileKeepsItsPartialName) {
  const std::string path = temp_path("unfinished.h5");
  {
    Hdf5Writer w(path);
    Metrics m(&w);
    m.series("x", "1", "x").record(SimTime::zero(), 1);
    m.flush();
  }  // destroyed without finish(): as if the run failed
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists(path + ".partial"));
  EXPECT_EQ(testing::root_attribute(path + ".partial", "status"), "running");
  fs::remove(path + ".partial");
}

TEST(Hdf5Writer, UnwritablePathIsAnError) {
  EXPECT_THROW(Hdf5Writer("/nonexistent-dir/x.h5"), Hdf5Error);
}

// Two runs with one seed give identical datasets; another seed gives different ones.
TEST(Hdf5Writer, SameSeedSameDatasets) {
  auto run = [](uint64_t seed, const std::string& path) {
    Hdf5Writer w(path);
    Engine e(seed);
    e.metrics().set_sink(&w);
    queueing::MmcParams p;
    p.arrivals_per_hour = 30;
    p.services_per_hour = 12;
    p.berths = 3;
    p.warmup = 10_h;
    p.horizon = 2000_h;
    p.sample_every = 1_h;
    p.record_ships = true;
    p.seed = seed;
    queueing::run_mmc(p, e);
    e.publish_stats();
    w.finish(e.metrics(), "complete");
    return testing::read_all_datasets(path);
  };
  const std::string a = temp_path("det_a.h5"), b = temp_path("det_b.h5"), c = temp_path("det_c.h5");
  const auto da = run(5, a), db = run(5, b), dc = run(6, c);
  ASSERT_GT(da.size(), 5u);
  ASSERT_EQ(da.size(), db.size());
  for (const auto& [name, d] : da) {
    ASSERT_TRUE(db.count(name)) << name;
    EXPECT_EQ(d.bytes, db.at(name).bytes) << name;
  }
  EXPECT_NE(da.at("/events/ships/wait_h").bytes, dc.at("/events/ships/wait_h").bytes);
  for (const auto& p : {a, b, c}) fs::remove(p);
}

}  // namespace
}  // namespace tradesim::sim
