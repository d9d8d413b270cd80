// Writes a run's metrics to an HDF5 file with the layout of docs/output-format.md: chunked,
// shuffle + deflate, `units` and `description` on every dataset, rows appended as the run goes.
// The file is written as NAME.partial and renamed to NAME only when finish() completes.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sim/metrics.hpp"

namespace tradesim::sim {

class Hdf5Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Hdf5Writer : public MetricSink {
 public:
  // Creates `path`.partial (replacing a stale one) with the root attributes tradesim_version,
  // git_commit and status="running". Throws Hdf5Error if the file cannot be created.
  explicit Hdf5Writer(std::string path);
  // Without finish(), the file is closed but keeps its .partial name: it is not a complete run.
  ~Hdf5Writer() override;
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;

  void set_attribute(std::string_view name, std::string_view value);
  void set_attribute(std::string_view name, const char* value) {
    set_attribute(name, std::string_view(value));
  }
  void set_attribute(std::string_view name, int64_t value);
  void set_attribute(std::string_view name, double value);
  // A scalar text dataset, e.g. /scenario with the resolved YAML (too large for an attribute).
  void write_text(std::string_view path, std::string_view text, std::string_view description);

  void append_series(const TimeSeries& series, std::span<const int64_t> t_ns,
                     std::span<const double> values) override;
  void append_rows(const EventTable& table) override;

  // Flushes `metrics`, writes its counters, gauges, histograms and summary, sets the root
  // attribute status (e.g. "complete", "interrupted"), closes and renames NAME.partial to NAME.
  void finish(Metrics& metrics, std::string_view status);

  const std::string& path() const { return path_; }
  std::string partial_path() const { return path_ + ".partial"; }

 private:
  int64_t dataset(const std::string& path, int64_t type, std::string_view units,
                  std::string_view description, bool compress_shuffle);
  void append(const std::string& path, int64_t type, const void* data, size_t rows);
  void scalar(const std::string& path, int64_t type, const void* value, std::string_view units,
              std::string_view description);
  void close_all();

  std::string path_;
  int64_t file_ = -1;
  std::map<std::string, int64_t> datasets_;
  std::map<std::string, uint64_t> rows_;
  bool finished_ = false;
};

}  // namespace tradesim::sim
