// Test helper: every dataset of an HDF5 file with its raw contents and its attributes, read with
// the C API, so that tests can compare runs and check the layout.
#pragma once

#include <hdf5.h>

#include <map>
#include <string>
#include <vector>

namespace tradesim::testing {

struct DatasetContents {
  std::vector<unsigned char> bytes;  // raw values (strings: their concatenated text)
  std::map<std::string, std::string> string_attributes;
  int64_t rows = 0;
};

inline std::string read_string_attribute(hid_t obj, const char* name) {
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  if (attr < 0) return "<missing>";
  hid_t type = H5Aget_type(attr);
  std::string out;
  if (H5Tis_variable_str(type) > 0) {
    char* p = nullptr;
    hid_t mem = H5Tcopy(H5T_C_S1);
    H5Tset_size(mem, H5T_VARIABLE);
    H5Tset_cset(mem, H5T_CSET_UTF8);
    if (H5Aread(attr, mem, &p) >= 0 && p) out = p;
    hid_t space = H5Aget_space(attr);
    H5Dvlen_reclaim(mem, space, H5P_DEFAULT, &p);
    H5Sclose(space);
    H5Tclose(mem);
  } else {
    out = "<not a string>";
  }
  H5Tclose(type);
  H5Aclose(attr);
  return out;
}

inline herr_t collect_dataset(hid_t root, const char* name, const H5O_info_t* info, void* data) {
  if (info->type != H5O_TYPE_DATASET) return 0;
  auto& out = *static_cast<std::map<std::string, DatasetContents>*>(data);
  hid_t ds = H5Dopen2(root, name, H5P_DEFAULT);
  hid_t type = H5Dget_type(ds);
  hid_t space = H5Dget_space(ds);
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  DatasetContents c;
  c.rows = n;
  if (H5Tis_variable_str(type) > 0) {
    std::vector<char*> p(static_cast<size_t>(n));
    hid_t mem = H5Tcopy(H5T_C_S1);
    H5Tset_size(mem, H5T_VARIABLE);
    H5Tset_cset(mem, H5T_CSET_UTF8);
    if (n > 0) H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data());
    for (char* s : p) {
      const std::string text = s ? s : "";
      c.bytes.insert(c.bytes.end(), text.begin(), text.end());
      c.bytes.push_back(0);
    }
    if (n > 0) H5Dvlen_reclaim(mem, space, H5P_DEFAULT, p.data());
    H5Tclose(mem);
  } else {
    c.bytes.resize(static_cast<size_t>(n) * H5Tget_size(type));
    if (n > 0) H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.bytes.data());
  }
  c.string_attributes["units"] = read_string_attribute(ds, "units");
  c.string_attributes["description"] = read_string_attribute(ds, "description");
  out[std::string("/") + name] = std::move(c);
  H5Sclose(space);
  H5Tclose(type);
  H5Dclose(ds);
  return 0;
}

inline herr_t collect_stamped(hid_t, const char* name, const H5O_info_t* info, void* data) {
  if (info->ctime != 0 || info->mtime != 0 || info->atime != 0 || info->btime != 0) {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
  }
  return 0;
}

// Objects (groups, datasets; "." is the root group) that carry a time stamp.
inline std::vector<std::string> objects_with_time_stamps(const std::string& path) {
  std::vector<std::string> out;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return {"<cannot open>"};
  H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_stamped, &out);
  H5Fclose(file);
  return out;
}

// Empty map if the file cannot be opened.
inline std::map<std::string, DatasetContents> read_all_datasets(const std::string& path) {
  std::map<std::string, DatasetContents> out;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return out;
  H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &out);
  H5Fclose(file);
  return out;
}

inline std::string root_attribute(const std::string& path, const char* name) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return "<no file>";
  std::string v = read_string_attribute(file, name);
  H5Fclose(file);
  return v;
}

}  // namespace tradesim::testing
