// Declarations of scenario keys: each key once, with its type, unit, default, range and
// description. The validator, `tradesim list` and docs/scenario-reference.md all read these
// declarations, so they cannot drift apart.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/config.hpp"

namespace tradesim::sim {

enum class FieldType {
  kObject,  // a map with declared keys
  kList,    // a list of objects (item fields) or of scalars (item_type)
  kMap,     // user-chosen names, each an object with the item fields
  kInt,
  kFloat,
  kBool,
  kString,
  kEnum,      // one of `choices`
  kDuration,  // "250ms", "3d"
  kSize,      // "64 kB"
  kRate,      // "30/h"
  kMoney,     // "1200 USD"
  kTeu,       // "20 TEU"
  kPercent,   // "5%"
  kAny,       // any YAML value, checked by its user (sweep values)
};

std::string type_name(FieldType type);

struct Field {
  std::string key;
  FieldType type = FieldType::kString;
  std::string description;
  std::string default_value;  // YAML scalar text; empty = no default
  bool required = false;
  // Numeric range in the canonical unit (seconds, bytes, per second, TEU, fraction, amount).
  std::optional<double> min, max;
  bool min_exclusive = false;
  std::vector<std::string> choices;          // kEnum
  std::vector<Field> fields;                 // kObject; item fields of kList / kMap
  FieldType item_type = FieldType::kObject;  // kList: the type of scalar items, or kObject
  // kObject: create it with its defaults when absent (a section every run has). Model sections
  // that switch a model on are not implicit.
  bool implicit = true;
  // kList of objects whose extra keys depend on one key's value (timeline: `do`).
  std::string variant_key;
  std::map<std::string, std::vector<Field>> variants;

  // Builders for readable declarations.
  static Field object(std::string key, std::string description, std::vector<Field> fields,
                      bool implicit = true);
  static Field scalar(std::string key, FieldType type, std::string default_value,
                      std::string description);
  // One of `choices` (kEnum).
  static Field choice(std::string key, std::vector<std::string> choices, std::string default_value,
                      std::string description);
  // A list of strings (kList of kString), e.g. "[CNSHA, SGSIN]".
  static Field texts(std::string key, std::string description, std::string default_value = "");
  // A list of objects, each with `item_fields`.
  static Field list(std::string key, std::string description, std::vector<Field> item_fields);
  Field& at_least(double v, bool exclusive = false) {
    min = v;
    min_exclusive = exclusive;
    return *this;
  }
  Field& at_most(double v) {
    max = v;
    return *this;
  }
  Field& must() {
    required = true;
    return *this;
  }
};

// The numeric value of a validated scalar in the field's canonical unit.
double canonical_value(FieldType type, const std::string& text);

// Checks `node` against the fields of `schema` (an object field), fills in defaults, and reports
// every problem at once: unknown keys (with a suggestion), duplicates were found at load, wrong
// types and units, values out of range, missing required keys.
void validate(ConfigNode& node, const Field& schema, const std::string& path,
              Diagnostics& diagnostics);

// Markdown reference of every key below `schema`.
std::string reference_markdown(const Field& schema);

}  // namespace tradesim::sim
