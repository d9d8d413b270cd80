// Scenario documents as a tree that remembers where every value came from (file, line, column),
// so that every error can point at it. Loads YAML (yaml-cpp), detects duplicate keys (which
// yaml-cpp accepts silently), follows `extends:` and applies `--set key.path=value` overrides.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tradesim::sim {

struct Mark {
  std::string file;  // a path, or "--set" for command-line overrides, or "default"
  int line = 0;      // 1-based; 0 when not from a file
  int column = 0;    // 1-based
  std::string to_string() const;
};

struct ConfigNode {
  enum class Kind { kNull, kScalar, kList, kMap };
  Kind kind = Kind::kNull;
  std::string scalar;
  bool quoted = false;                                  // a quoted scalar is always text
  std::vector<std::pair<std::string, ConfigNode>> map;  // in file order
  std::vector<ConfigNode> list;
  Mark mark;      // of the value
  Mark key_mark;  // of its key, when it is a map entry

  bool is_map() const { return kind == Kind::kMap; }
  bool is_list() const { return kind == Kind::kList; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  const ConfigNode* find(std::string_view key) const;
  ConfigNode* find(std::string_view key);
  // Adds or replaces a map entry.
  ConfigNode& set(std::string_view key, ConfigNode value);
  bool erase(std::string_view key);
  // A node by dotted path ("actors.port.berths", "timeline.0.at"), or nullptr.
  const ConfigNode* at_path(std::string_view path) const;

  static ConfigNode make_scalar(std::string text, Mark mark, bool quoted = false);
};

struct Diagnostic {
  Mark mark;
  std::string path;  // the key path, e.g. "actors.port.berths"
  std::string message;
  std::string to_string() const;  // "file:line:col: key.path: message"
};

class Diagnostics {
 public:
  void add(Mark mark, std::string path, std::string message) {
    items_.push_back(Diagnostic{std::move(mark), std::move(path), std::move(message)});
  }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  std::string to_string() const;  // one line per error

 private:
  std::vector<Diagnostic> items_;
};

// Loads a scenario file and the files it `extends:` (paths relative to the extending file),
// merging maps key by key (lists and scalars of the extending file replace the base's).
// Problems go to `diagnostics`; the tree is as complete as the errors allow.
ConfigNode load_config_file(const std::string& path, Diagnostics& diagnostics);
ConfigNode load_config_text(const std::string& text, const std::string& name,
                            Diagnostics& diagnostics);

// Applies "key.path=value" (value parsed as a YAML scalar or flow collection). Creates missing
// maps along the path; list items are addressed by index ("timeline.0.for=2d").
void apply_override(ConfigNode& root, std::string_view assignment, Diagnostics& diagnostics);

// Deep merge: maps key by key, anything else replaced by `top`.
void merge_into(ConfigNode& base, const ConfigNode& top);

// YAML text of the tree (block style, keys in order).
std::string to_yaml(const ConfigNode& root);

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate if it is close enough to be a likely typo, else "".
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace tradesim::sim
