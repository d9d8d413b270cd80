// HDF5 C API calls behind Hdf5Writer. Every failed call throws Hdf5Error naming what and where.
#include "sim/hdf5_writer.hpp"

#include <hdf5.h>

#include <cstdio>
#include <vector>

#include "sim/version.hpp"

namespace tradesim::sim {

namespace {

static_assert(std::is_same_v<hid_t, int64_t>, "HDF5 1.10+ uses 64-bit hid_t");

// Chunks of 64 KiB of 8-byte values; deflate level 4 (higher levels save ~1% and write slower).
constexpr hsize_t kChunkRows = 8192;
constexpr unsigned kDeflateLevel = 4;

hid_t check(hid_t id, const std::string& what) {
  if (id < 0) throw Hdf5Error("HDF5: cannot " + what);
  return id;
}
void check(herr_t status, const std::string& what) {
  if (status < 0) throw Hdf5Error("HDF5: cannot " + what);
}

// Closes an HDF5 handle at scope exit.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle& operator=(Handle&&) = delete;
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

Handle string_type() {
  Handle t(check(H5Tcopy(H5T_C_S1), "copy the string type"), H5Tclose);
  check(H5Tset_size(t, H5T_VARIABLE), "make a variable-length string type");
  check(H5Tset_cset(t, H5T_CSET_UTF8), "set UTF-8");
  return t;
}

// Group and dataset creation without timestamps, so identical runs give identical contents.
Handle object_plist(hid_t cls) {
  Handle p(check(H5Pcreate(cls), "create a property list"), H5Pclose);
  check(H5Pset_obj_track_times(p, false), "turn off object time tracking");
  return p;
}

void write_string_attribute(hid_t object, std::string_view name, std::string_view value) {
  const std::string n(name);
  if (H5Aexists(object, n.c_str()) > 0)
    check(H5Adelete(object, n.c_str()), "replace attribute " + n);
  Handle type = string_type();
  Handle space(check(H5Screate(H5S_SCALAR), "create a scalar space"), H5Sclose);
  Handle attr(check(H5Acreate2(object, n.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                    "create attribute " + n),
              H5Aclose);
  const std::string v(value);
  const char* p = v.c_str();
  check(H5Awrite(attr, type, &p), "write attribute " + n);
}

template <class T>
void write_number_attribute(hid_t object, std::string_view name, hid_t type, T value) {
  const std::string n(name);
  if (H5Aexists(object, n.c_str()) > 0)
    check(H5Adelete(object, n.c_str()), "replace attribute " + n);
  Handle space(check(H5Screate(H5S_SCALAR), "create a scalar space"), H5Sclose);
  Handle attr(check(H5Acreate2(object, n.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                    "create attribute " + n),
              H5Aclose);
  check(H5Awrite(attr, type, &value), "write attribute " + n);
}

void describe(hid_t object, std::string_view units, std::string_view description) {
  write_string_attribute(object, "units", units);
  write_string_attribute(object, "description", description);
}

// Creates the groups above `path` that do not exist yet, without time stamps (intermediate groups
// made by the library would carry them).
void ensure_parents(hid_t file, const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string group = path.substr(0, slash);
    if (H5Lexists(file, group.c_str(), H5P_DEFAULT) > 0) continue;
    Handle gcpl = object_plist(H5P_GROUP_CREATE);
    Handle g(check(H5Gcreate2(file, group.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT),
                   "create group " + group),
             H5Gclose);
  }
}

std::string series_path(const TimeSeries& s) {
  return "/timeseries/" + s.info().name;
}
std::string table_path(const EventTable& t) {
  return t.info().name.starts_with('/') ? t.info().name : "/events/" + t.info().name;
}

}  // namespace

Hdf5Writer::Hdf5Writer(std::string path) : path_(std::move(path)) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors are reported by exceptions instead
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "create a file access list"), H5Pclose);
  check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110), "pin the file format");
  Handle fcpl = object_plist(H5P_FILE_CREATE);  // the root group without time stamps too
  file_ = H5Fcreate(partial_path().c_str(), H5F_ACC_TRUNC, fcpl, fapl);
  if (file_ < 0) throw Hdf5Error("cannot create " + partial_path());
  set_attribute("tradesim_version", version());
  set_attribute("git_commit", git_commit());
  set_attribute("status", "running");
}

Hdf5Writer::~Hdf5Writer() {
  if (!finished_) close_all();
}

void Hdf5Writer::close_all() {
  for (auto& [name, id] : datasets_) H5Dclose(id);
  datasets_.clear();
  if (file_ >= 0) H5Fclose(file_);
  file_ = -1;
}

void Hdf5Writer::set_attribute(std::string_view name, std::string_view value) {
  write_string_attribute(file_, name, value);
}
void Hdf5Writer::set_attribute(std::string_view name, int64_t value) {
  write_number_attribute(file_, name, H5T_NATIVE_INT64, value);
}
void Hdf5Writer::set_attribute(std::string_view name, double value) {
  write_number_attribute(file_, name, H5T_NATIVE_DOUBLE, value);
}

int64_t Hdf5Writer::dataset(const std::string& path, int64_t type, std::string_view units,
                            std::string_view description, bool compress_shuffle) {
  if (auto it = datasets_.find(path); it != datasets_.end()) return it->second;
  const hsize_t zero = 0, unlimited = H5S_UNLIMITED;
  Handle space(check(H5Screate_simple(1, &zero, &unlimited), "create a space for " + path),
               H5Sclose);
  Handle dcpl = object_plist(H5P_DATASET_CREATE);
  check(H5Pset_chunk(dcpl, 1, &kChunkRows), "chunk " + path);
  if (compress_shuffle) check(H5Pset_shuffle(dcpl), "shuffle " + path);
  check(H5Pset_deflate(dcpl, kDeflateLevel), "compress " + path);
  ensure_parents(file_, path);
  const hid_t id =
      check(H5Dcreate2(file_, path.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
            "create dataset " + path);
  datasets_[path] = id;
  rows_[path] = 0;
  describe(id, units, description);
  return id;
}

void Hdf5Writer::append(const std::string& path, int64_t type, const void* data, size_t rows) {
  if (rows == 0) return;
  const hid_t id = datasets_.at(path);
  const hsize_t start = rows_[path];
  const hsize_t count = rows;
  const hsize_t total = start + count;
  check(H5Dset_extent(id, &total), "extend " + path);
  Handle file_space(check(H5Dget_space(id), "get the space of " + path), H5Sclose);
  check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, nullptr, &count, nullptr),
        "select rows of " + path);
  Handle memory_space(check(H5Screate_simple(1, &count, nullptr), "create a memory space"),
                      H5Sclose);
  check(H5Dwrite(id, type, memory_space, file_space, H5P_DEFAULT, data), "write " + path);
  rows_[path] = total;
}

void Hdf5Writer::append_series(const TimeSeries& series, std::span<const int64_t> t_ns,
                               std::span<const double> values) {
  const std::string base = series_path(series);
  dataset(base + "/t_ns", H5T_NATIVE_INT64, "ns", "simulated time of each value", true);
  dataset(base + "/value", H5T_NATIVE_DOUBLE, series.info().units, series.info().description, true);
  if (rows_[base + "/t_ns"] == 0) {
    Handle group(check(H5Gopen2(file_, base.c_str(), H5P_DEFAULT), "open " + base), H5Gclose);
    describe(group, series.info().units, series.info().description);
  }
  append(base + "/t_ns", H5T_NATIVE_INT64, t_ns.data(), t_ns.size());
  append(base + "/value", H5T_NATIVE_DOUBLE, values.data(), values.size());
}

void Hdf5Writer::append_rows(const EventTable& table) {
  const std::string base = table_path(table);
  Handle text = string_type();
  for (size_t c = 0; c < table.columns().size(); ++c) {
    const Column& column = table.columns()[c];
    const std::string path = base + "/" + column.name;
    const auto& data = table.pending()[c];
    switch (column.type) {
      case ColumnType::kInt:
        dataset(path, H5T_NATIVE_INT64, column.units, column.description, true);
        append(path, H5T_NATIVE_INT64, data.ints.data(), data.ints.size());
        break;
      case ColumnType::kFloat:
        dataset(path, H5T_NATIVE_DOUBLE, column.units, column.description, true);
        append(path, H5T_NATIVE_DOUBLE, data.floats.data(), data.floats.size());
        break;
      case ColumnType::kText: {
        dataset(path, text, column.units, column.description, false);
        std::vector<const char*> pointers;
        pointers.reserve(data.texts.size());
        for (const std::string& s : data.texts) pointers.push_back(s.c_str());
        append(path, text, pointers.data(), pointers.size());
        break;
      }
    }
  }
  Handle group(check(H5Gopen2(file_, base.c_str(), H5P_DEFAULT), "open " + base), H5Gclose);
  if (H5Aexists(group, "description") <= 0) describe(group, "", table.info().description);
}

void Hdf5Writer::scalar(const std::string& path, int64_t type, const void* value,
                        std::string_view units, std::string_view description) {
  Handle space(check(H5Screate(H5S_SCALAR), "create a scalar space"), H5Sclose);
  Handle dcpl = object_plist(H5P_DATASET_CREATE);
  ensure_parents(file_, path);
  Handle id(check(H5Dcreate2(file_, path.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                  "create dataset " + path),
            H5Dclose);
  check(H5Dwrite(id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value), "write " + path);
  describe(id, units, description);
}

void Hdf5Writer::write_text(std::string_view path, std::string_view text,
                            std::string_view description) {
  Handle type = string_type();
  const std::string owned(text);
  const char* p = owned.c_str();
  scalar(std::string(path), type, &p, "", description);
}

void Hdf5Writer::finish(Metrics& metrics, std::string_view status) {
  if (finished_) throw Hdf5Error("finish() called twice on " + path_);
  metrics.flush();
  for (const auto& [name, c] : metrics.counters()) {
    const int64_t v = c->value();
    scalar("/counters/" + name, H5T_NATIVE_INT64, &v, c->info().units, c->info().description);
  }
  for (const auto& [name, g] : metrics.gauges()) {
    const double v = g->value();
    scalar("/gauges/" + name, H5T_NATIVE_DOUBLE, &v, g->info().units, g->info().description);
  }
  for (const auto& [name, h] : metrics.histograms()) {
    const std::string base = "/histograms/" + name;
    const hsize_t nb = h->upper_bounds().size(), nc = h->bucket_counts().size();
    for (auto [leaf, type, n, data, units, what] :
         {std::tuple{"/upper_bounds", H5T_NATIVE_DOUBLE, nb,
                     static_cast<const void*>(h->upper_bounds().data()), h->info().units,
                     std::string("upper edge of each bucket but the last")},
          std::tuple{
              "/counts", H5T_NATIVE_INT64, nc, static_cast<const void*>(h->bucket_counts().data()),
              std::string("1"),
              "observations per bucket (last: above every bound) of " + h->info().description}}) {
      const std::string path = base + leaf;
      Handle space(check(H5Screate_simple(1, &n, nullptr), "create a space"), H5Sclose);
      Handle dcpl = object_plist(H5P_DATASET_CREATE);
      ensure_parents(file_, path);
      Handle id(check(H5Dcreate2(file_, path.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                      "create dataset " + path),
                H5Dclose);
      if (n > 0) check(H5Dwrite(id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write " + path);
      describe(id, units, what);
    }
    Handle group(check(H5Gopen2(file_, base.c_str(), H5P_DEFAULT), "open " + base), H5Gclose);
    describe(group, h->info().units, h->info().description);
    write_number_attribute(group, "count", H5T_NATIVE_INT64, h->count());
    write_number_attribute(group, "sum", H5T_NATIVE_DOUBLE, h->sum());
    write_number_attribute(group, "min", H5T_NATIVE_DOUBLE, h->min());
    write_number_attribute(group, "max", H5T_NATIVE_DOUBLE, h->max());
  }
  for (const auto& [name, s] : metrics.summary()) {
    scalar("/summary/" + name, H5T_NATIVE_DOUBLE, &s.value, s.info.units, s.info.description);
  }
  metrics.set_sink(nullptr);
  set_attribute("status", status);
  check(H5Fflush(file_, H5F_SCOPE_GLOBAL), "flush " + partial_path());
  close_all();
  finished_ = true;
  if (std::rename(partial_path().c_str(), path_.c_str()) != 0) {
    throw Hdf5Error("cannot rename " + partial_path() + " to " + path_);
  }
}

}  // namespace tradesim::sim
