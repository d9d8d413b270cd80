// Validation of scenario trees against field declarations, and the generated reference.
#include "sim/schema.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

#include "sim/time.hpp"
#include "sim/units.hpp"

namespace tradesim::sim {

std::string type_name(FieldType type) {
  switch (type) {
    case FieldType::kObject:
      return "section";
    case FieldType::kList:
      return "list";
    case FieldType::kMap:
      return "map of named entries";
    case FieldType::kInt:
      return "integer";
    case FieldType::kFloat:
      return "number";
    case FieldType::kBool:
      return "true/false";
    case FieldType::kString:
      return "text";
    case FieldType::kEnum:
      return "one of";
    case FieldType::kDuration:
      return "duration";
    case FieldType::kSize:
      return "size";
    case FieldType::kRate:
      return "rate";
    case FieldType::kMoney:
      return "money";
    case FieldType::kTeu:
      return "TEU";
    case FieldType::kPercent:
      return "percentage";
    case FieldType::kAny:
      return "any value";
  }
  return "?";
}

Field Field::object(std::string key, std::string description, std::vector<Field> fields,
                    bool implicit) {
  Field f;
  f.key = std::move(key);
  f.type = FieldType::kObject;
  f.description = std::move(description);
  f.fields = std::move(fields);
  f.implicit = implicit;
  return f;
}

Field Field::scalar(std::string key, FieldType type, std::string default_value,
                    std::string description) {
  Field f;
  f.key = std::move(key);
  f.type = type;
  f.default_value = std::move(default_value);
  f.description = std::move(description);
  return f;
}

Field Field::choice(std::string key, std::vector<std::string> choices, std::string default_value,
                    std::string description) {
  Field f =
      scalar(std::move(key), FieldType::kEnum, std::move(default_value), std::move(description));
  f.choices = std::move(choices);
  return f;
}

Field Field::texts(std::string key, std::string description, std::string default_value) {
  Field f =
      scalar(std::move(key), FieldType::kList, std::move(default_value), std::move(description));
  f.item_type = FieldType::kString;
  return f;
}

Field Field::list(std::string key, std::string description, std::vector<Field> item_fields) {
  Field f = object(std::move(key), std::move(description), std::move(item_fields));
  f.type = FieldType::kList;
  return f;
}

namespace {

bool parse_number(const std::string& text, double& out) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && std::isfinite(out);
}

bool parse_integer(const std::string& text, double& out) {
  long long v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  out = static_cast<double>(v);
  return true;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

std::string unit_hint(FieldType type) {
  switch (type) {
    case FieldType::kDuration:
      return " (e.g. 250ms, 1.5h, 3d)";
    case FieldType::kSize:
      return " (e.g. 512 B, 64 kB, 1 MB)";
    case FieldType::kRate:
      return " (e.g. 30/h, 0.5/s)";
    case FieldType::kMoney:
      return " (e.g. 1200 USD)";
    case FieldType::kTeu:
      return " (e.g. 20 TEU)";
    case FieldType::kPercent:
      return " (e.g. 5%)";
    default:
      return "";
  }
}

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Returns false (after reporting) if the scalar does not fit the type.
bool check_scalar(const ConfigNode& node, const Field& f, const std::string& path,
                  Diagnostics& diagnostics) {
  if (f.type == FieldType::kAny) return true;
  if (!node.is_scalar()) {
    diagnostics.add(node.mark, path,
                    "expected " + type_name(f.type) + unit_hint(f.type) + ", got a " +
                        (node.is_map()    ? "map"
                         : node.is_list() ? "list"
                                          : "null"));
    return false;
  }
  const std::string& text = node.scalar;
  double value = 0;
  bool numeric = true;
  try {
    switch (f.type) {
      case FieldType::kInt:
        if (node.quoted || !parse_integer(text, value)) {
          diagnostics.add(node.mark, path, "expected an integer, got \"" + text + "\"");
          return false;
        }
        break;
      case FieldType::kFloat:
        if (node.quoted || !parse_number(text, value)) {
          diagnostics.add(node.mark, path, "expected a number, got \"" + text + "\"");
          return false;
        }
        break;
      case FieldType::kBool:
        if (text != "true" && text != "false") {
          diagnostics.add(node.mark, path, "expected true or false, got \"" + text + "\"");
          return false;
        }
        numeric = false;
        break;
      case FieldType::kString:
        numeric = false;
        break;
      case FieldType::kEnum: {
        numeric = false;
        bool found = false;
        for (const std::string& c : f.choices) found |= c == text;
        if (!found) {
          const std::string guess = closest(text, f.choices);
          diagnostics.add(node.mark, path,
                          "\"" + text + "\" is not one of " + join(f.choices) +
                              (guess.empty() ? "" : "; did you mean \"" + guess + "\"?"));
          return false;
        }
        break;
      }
      default:
        value = canonical_value(f.type, text);
        break;
    }
  } catch (const std::exception& e) {
    diagnostics.add(node.mark, path, std::string(e.what()) + unit_hint(f.type));
    return false;
  }
  if (!numeric) return true;
  if (f.min && (f.min_exclusive ? value <= *f.min : value < *f.min)) {
    diagnostics.add(node.mark, path,
                    "\"" + text + "\" is out of range: must be " +
                        (f.min_exclusive ? "above " : "at least ") + format_number(*f.min) +
                        " (in " + type_name(f.type) + " base units)");
    return false;
  }
  if (f.max && value > *f.max) {
    diagnostics.add(node.mark, path,
                    "\"" + text + "\" is out of range: must be at most " + format_number(*f.max));
    return false;
  }
  return true;
}

void validate_fields(ConfigNode& node, const std::vector<Field>& fields,
                     const std::vector<Field>* extra, const std::string& path,
                     Diagnostics& diagnostics);

void validate_value(ConfigNode& node, const Field& f, const std::string& path,
                    Diagnostics& diagnostics) {
  switch (f.type) {
    case FieldType::kObject:
      if (!node.is_map()) {
        diagnostics.add(node.mark, path, "expected a section (a map of keys)");
        return;
      }
      validate_fields(node, f.fields, nullptr, path, diagnostics);
      return;
    case FieldType::kMap:
      if (!node.is_map()) {
        diagnostics.add(node.mark, path, "expected a map of named entries");
        return;
      }
      for (auto& [name, item] : node.map) {
        if (!item.is_map()) {
          diagnostics.add(item.mark, path + "." + name, "expected a map of keys");
          continue;
        }
        validate_fields(item, f.fields, nullptr, path + "." + name, diagnostics);
      }
      return;
    case FieldType::kList: {
      if (!node.is_list()) {
        diagnostics.add(node.mark, path, "expected a list");
        return;
      }
      for (size_t i = 0; i < node.list.size(); ++i) {
        ConfigNode& item = node.list[i];
        const std::string item_path = path + "." + std::to_string(i);
        if (f.item_type != FieldType::kObject) {
          Field scalar_field = f;
          scalar_field.type = f.item_type;
          check_scalar(item, scalar_field, item_path, diagnostics);
          continue;
        }
        if (!item.is_map()) {
          diagnostics.add(item.mark, item_path, "expected a map of keys");
          continue;
        }
        const std::vector<Field>* extra = nullptr;
        if (!f.variant_key.empty()) {
          const ConfigNode* which = item.find(f.variant_key);
          if (which != nullptr && which->is_scalar()) {
            const auto it = f.variants.find(which->scalar);
            if (it != f.variants.end()) extra = &it->second;
          }
        }
        validate_fields(item, f.fields, extra, item_path, diagnostics);
      }
      return;
    }
    default:
      check_scalar(node, f, path, diagnostics);
  }
}

void validate_fields(ConfigNode& node, const std::vector<Field>& fields,
                     const std::vector<Field>* extra, const std::string& path,
                     Diagnostics& diagnostics) {
  std::vector<const Field*> all;
  for (const Field& f : fields) all.push_back(&f);
  if (extra != nullptr) {
    for (const Field& f : *extra) all.push_back(&f);
  }
  auto child_path = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  // Unknown keys, with a suggestion.
  std::vector<std::string> known;
  for (const Field* f : all) known.push_back(f->key);
  for (const auto& [key, value] : node.map) {
    bool found = false;
    for (const Field* f : all) found |= f->key == key;
    if (found) continue;
    const std::string guess = closest(key, known);
    diagnostics.add(value.key_mark, child_path(key),
                    "unknown key" + (guess.empty() ? "; known keys here: " + join(known)
                                                   : "; did you mean \"" + guess + "\"?"));
  }
  // Declared keys: check, or fill in the default, or report a missing required key.
  for (const Field* f : all) {
    ConfigNode* value = node.find(f->key);
    if (value == nullptr || value->kind == ConfigNode::Kind::kNull) {
      if (f->required) {
        diagnostics.add(value ? value->mark : node.mark, child_path(f->key),
                        "missing required key (" + type_name(f->type) + unit_hint(f->type) + ": " +
                            f->description + ")");
        continue;
      }
      if (!f->default_value.empty()) {
        // Defaults are written as YAML scalars ("\"\"" is the empty text).
        Diagnostics ignored;
        ConfigNode parsed = load_config_text("v: " + f->default_value, "default", ignored);
        ConfigNode value_node = parsed.find("v") != nullptr ? *parsed.find("v") : ConfigNode{};
        value_node.mark = Mark{"default", 0, 0};
        if (value_node.kind == ConfigNode::Kind::kNull)
          value_node = ConfigNode::make_scalar("", value_node.mark, true);
        node.set(f->key, std::move(value_node));
      } else if (f->type == FieldType::kObject && f->implicit) {
        ConfigNode section;
        section.kind = ConfigNode::Kind::kMap;
        section.mark = node.mark;  // its missing keys are reported where its parent is
        ConfigNode& added = node.set(f->key, std::move(section));
        validate_fields(added, f->fields, nullptr, child_path(f->key), diagnostics);
      } else if (value != nullptr) {
        node.erase(f->key);  // an explicit null for an optional key without default
      }
      continue;
    }
    validate_value(*value, *f, child_path(f->key), diagnostics);
  }
}

void reference_rows(const std::vector<Field>& fields, const std::string& path, std::ostream& out) {
  for (const Field& f : fields) {
    const std::string key = path.empty() ? f.key : path + "." + f.key;
    if (f.type == FieldType::kObject || f.type == FieldType::kMap ||
        (f.type == FieldType::kList && f.item_type == FieldType::kObject)) {
      continue;
    }
    std::string type = type_name(f.type);
    if (f.type == FieldType::kEnum) type += " " + join(f.choices);
    if (f.type == FieldType::kList) type = "list of " + type_name(f.item_type);
    std::string range;
    if (f.min) range += std::string(f.min_exclusive ? "> " : ">= ") + format_number(*f.min);
    if (f.max) range += (range.empty() ? "" : ", ") + std::string("<= ") + format_number(*f.max);
    out << "| `" << key << "` | " << type << " | "
        << (f.required                ? "required"
            : f.default_value.empty() ? ""
                                      : "`" + f.default_value + "`")
        << " | " << range << " | " << f.description << " |\n";
  }
}

void reference_section(const Field& f, const std::string& path, int depth, std::ostream& out) {
  const std::string key = path.empty() ? f.key : path + "." + f.key;
  std::string heading(static_cast<size_t>(std::min(depth, 4)), '#');
  std::string shape;
  if (f.type == FieldType::kList) shape = " (a list; each item has these keys)";
  if (f.type == FieldType::kMap) shape = " (named entries; each has these keys)";
  out << "\n" << heading << " `" << key << "`" << shape << "\n\n" << f.description << "\n";
  const std::string item_path = f.type == FieldType::kObject ? key
                                : f.type == FieldType::kMap  ? key + ".NAME"
                                                             : key + ".N";
  bool has_rows = false;
  for (const Field& c : f.fields) {
    has_rows |= !(c.type == FieldType::kObject || c.type == FieldType::kMap ||
                  (c.type == FieldType::kList && c.item_type == FieldType::kObject));
  }
  if (has_rows) {
    out << "\n| key | type | default | range | description |\n|---|---|---|---|---|\n";
    reference_rows(f.fields, item_path, out);
  }
  for (const auto& [name, params] : f.variants) {
    out << "\n" << heading << "# `" << f.variant_key << ": " << name << "`\n\n";
    if (params.empty()) {
      out << "No further keys.\n";
      continue;
    }
    out << "| key | type | default | range | description |\n|---|---|---|---|---|\n";
    reference_rows(params, item_path, out);
  }
  for (const Field& c : f.fields) {
    if (c.type == FieldType::kObject || c.type == FieldType::kMap ||
        (c.type == FieldType::kList && c.item_type == FieldType::kObject)) {
      reference_section(c, item_path, depth + 1, out);
    }
  }
}

}  // namespace

double canonical_value(FieldType type, const std::string& text) {
  switch (type) {
    case FieldType::kDuration:
      return Duration::parse(text).seconds();
    case FieldType::kSize:
      return parse_size(text);
    case FieldType::kRate:
      return parse_rate(text);
    case FieldType::kMoney:
      return parse_money(text).amount;
    case FieldType::kTeu:
      return parse_teu(text);
    case FieldType::kPercent:
      return parse_percent(text);
    default: {
      double v = 0;
      if (!parse_number(text, v)) throw UnitError("expected a number, got \"" + text + "\"");
      return v;
    }
  }
}

void validate(ConfigNode& node, const Field& schema, const std::string& path,
              Diagnostics& diagnostics) {
  validate_value(node, schema, path, diagnostics);
}

std::string reference_markdown(const Field& schema) {
  std::ostringstream out;
  for (const Field& section : schema.fields) reference_section(section, "", 2, out);
  return out.str();
}

}  // namespace tradesim::sim
