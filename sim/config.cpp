// YAML to ConfigNode conversion with marks, duplicate keys, extends, overrides and emission.
#include "sim/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace tradesim::sim {

std::string Mark::to_string() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string Diagnostic::to_string() const {
  std::string out = mark.to_string() + ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}

std::string Diagnostics::to_string() const {
  std::string out;
  for (const Diagnostic& d : items_) out += "error: " + d.to_string() + "\n";
  return out;
}

const ConfigNode* ConfigNode::find(std::string_view key) const {
  for (const auto& [k, v] : map) {
    if (k == key) return &v;
  }
  return nullptr;
}
ConfigNode* ConfigNode::find(std::string_view key) {
  for (auto& [k, v] : map) {
    if (k == key) return &v;
  }
  return nullptr;
}
ConfigNode& ConfigNode::set(std::string_view key, ConfigNode value) {
  if (kind != Kind::kMap) {
    kind = Kind::kMap;
    scalar.clear();
    list.clear();
  }
  if (ConfigNode* existing = find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  map.emplace_back(std::string(key), std::move(value));
  return map.back().second;
}
bool ConfigNode::erase(std::string_view key) {
  const auto it =
      std::find_if(map.begin(), map.end(), [&](const auto& kv) { return kv.first == key; });
  if (it == map.end()) return false;
  map.erase(it);
  return true;
}

const ConfigNode* ConfigNode::at_path(std::string_view path) const {
  const ConfigNode* node = this;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    if (node->is_map()) {
      node = node->find(part);
    } else if (node->is_list()) {
      size_t index = 0;
      for (char c : part) {
        if (c < '0' || c > '9') return nullptr;
        index = index * 10 + static_cast<size_t>(c - '0');
      }
      node = index < node->list.size() && !part.empty() ? &node->list[index] : nullptr;
    } else {
      return nullptr;
    }
    if (node == nullptr) return nullptr;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return node;
}

ConfigNode ConfigNode::make_scalar(std::string text, Mark mark, bool quoted) {
  ConfigNode n;
  n.kind = Kind::kScalar;
  n.scalar = std::move(text);
  n.quoted = quoted;
  n.mark = std::move(mark);
  return n;
}

namespace {

Mark mark_of(const YAML::Mark& m, const std::string& file) {
  return Mark{file, m.line + 1, m.column + 1};
}

ConfigNode convert(const YAML::Node& y, const std::string& file, const std::string& path,
                   Diagnostics& diagnostics) {
  ConfigNode n;
  n.mark = mark_of(y.Mark(), file);
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      n.kind = ConfigNode::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      n.kind = ConfigNode::Kind::kScalar;
      n.scalar = y.Scalar();
      n.quoted = y.Tag() == "!";
      break;
    case YAML::NodeType::Sequence: {
      n.kind = ConfigNode::Kind::kList;
      size_t i = 0;
      for (const YAML::Node& item : y) {
        n.list.push_back(convert(item, file, path + (path.empty() ? "" : ".") + std::to_string(i++),
                                 diagnostics));
      }
      break;
    }
    case YAML::NodeType::Map: {
      n.kind = ConfigNode::Kind::kMap;
      for (auto it = y.begin(); it != y.end(); ++it) {
        if (!it->first.IsScalar()) {
          diagnostics.add(mark_of(it->first.Mark(), file), path, "keys must be plain names");
          continue;
        }
        const std::string key = it->first.Scalar();
        const std::string child_path = path.empty() ? key : path + "." + key;
        if (const ConfigNode* first = n.find(key)) {
          diagnostics.add(
              mark_of(it->first.Mark(), file), child_path,
              "duplicate key (first given at line " + std::to_string(first->key_mark.line) + ")");
          continue;
        }
        ConfigNode child = convert(it->second, file, child_path, diagnostics);
        child.key_mark = mark_of(it->first.Mark(), file);
        n.map.emplace_back(key, std::move(child));
      }
      break;
    }
  }
  return n;
}

ConfigNode load_file(const std::string& path, Diagnostics& diagnostics,
                     std::vector<std::string>& chain, const Mark& included_from) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string canonical = fs::weakly_canonical(path, ec).string();
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    diagnostics.add(included_from, "extends", "circular extends: " + path + " extends itself");
    return {};
  }
  std::ifstream in(path);
  if (!in) {
    diagnostics.add(included_from.file.empty() ? Mark{path, 0, 0} : included_from,
                    included_from.file.empty() ? "" : "extends", "cannot read " + path);
    return {};
  }
  std::stringstream text;
  text << in.rdbuf();
  ConfigNode node = load_config_text(text.str(), path, diagnostics);
  const ConfigNode* extends = node.find("extends");
  if (extends == nullptr) return node;
  if (!extends->is_scalar()) {
    diagnostics.add(extends->mark, "extends", "expected the path of the scenario to extend");
    return node;
  }
  const fs::path base_path = fs::path(path).parent_path() / extends->scalar;
  chain.push_back(canonical);
  ConfigNode base = load_file(base_path.string(), diagnostics, chain, extends->mark);
  chain.pop_back();
  node.erase("extends");
  if (base.kind == ConfigNode::Kind::kNull) return node;
  merge_into(base, node);
  return base;
}

}  // namespace

ConfigNode load_config_text(const std::string& text, const std::string& name,
                            Diagnostics& diagnostics) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diagnostics.add(mark_of(e.mark, name), "", "YAML syntax: " + e.msg);
    return {};
  }
  ConfigNode node = convert(root, name, "", diagnostics);
  if (node.kind == ConfigNode::Kind::kNull) {
    node.kind = ConfigNode::Kind::kMap;  // an empty document is an empty scenario
    node.mark = Mark{name, 1, 1};
  } else if (!node.is_map()) {
    diagnostics.add(node.mark, "", "a scenario is a map of sections (scenario:, network:, ...)");
    return {};
  }
  return node;
}

ConfigNode load_config_file(const std::string& path, Diagnostics& diagnostics) {
  std::vector<std::string> chain;
  return load_file(path, diagnostics, chain, Mark{});
}

void merge_into(ConfigNode& base, const ConfigNode& top) {
  if (base.is_map() && top.is_map()) {
    for (const auto& [key, value] : top.map) {
      if (ConfigNode* existing = base.find(key)) {
        merge_into(*existing, value);
      } else {
        base.map.emplace_back(key, value);
      }
    }
    return;
  }
  base = top;
}

void apply_override(ConfigNode& root, std::string_view assignment, Diagnostics& diagnostics) {
  const std::string text(assignment);
  const Mark mark{"--set " + text, 0, 0};
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    diagnostics.add(mark, "", "expected key.path=value");
    return;
  }
  const std::string path = text.substr(0, eq);
  ConfigNode value;
  {
    Diagnostics local;
    ConfigNode doc = load_config_text("v: " + text.substr(eq + 1), mark.file, local);
    if (!local.empty() || doc.find("v") == nullptr) {
      diagnostics.add(mark, path, "the value is not valid YAML");
      return;
    }
    value = *doc.find("v");
  }
  // Marks of the new value point at the command line.
  std::vector<ConfigNode*> stack{&value};
  while (!stack.empty()) {
    ConfigNode* n = stack.back();
    stack.pop_back();
    n->mark = mark;
    n->key_mark = mark;
    for (auto& [k, v] : n->map) stack.push_back(&v);
    for (auto& v : n->list) stack.push_back(&v);
  }
  ConfigNode* node = &root;
  size_t start = 0;
  std::string walked;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool last = dot == std::string::npos;
    walked += (walked.empty() ? "" : ".") + part;
    if (part.empty()) {
      diagnostics.add(mark, path, "empty key in the path");
      return;
    }
    if (node->is_list()) {
      size_t index = 0;
      bool numeric = true;
      for (char c : part) {
        if (c < '0' || c > '9') numeric = false;
        index = index * 10 + static_cast<size_t>(c - '0');
      }
      if (!numeric || index >= node->list.size()) {
        diagnostics.add(
            mark, walked,
            "no item " + part + " in this list of " + std::to_string(node->list.size()));
        return;
      }
      if (last) {
        node->list[index] = value;
        return;
      }
      node = &node->list[index];
    } else {
      if (node->kind != ConfigNode::Kind::kMap) {
        node->kind = ConfigNode::Kind::kMap;
        node->mark = mark;
      }
      ConfigNode* child = node->find(part);
      if (last) {
        if (child != nullptr) {
          *child = value;
        } else {
          node->map.emplace_back(part, value);
        }
        return;
      }
      if (child == nullptr) {
        ConfigNode fresh;
        fresh.kind = ConfigNode::Kind::kMap;
        fresh.mark = mark;
        fresh.key_mark = mark;
        node->map.emplace_back(part, std::move(fresh));
        child = &node->map.back().second;
      }
      node = child;
    }
    start = dot + 1;
  }
}

namespace {
void emit(YAML::Emitter& out, const ConfigNode& n) {
  switch (n.kind) {
    case ConfigNode::Kind::kNull:
      out << YAML::Null;
      break;
    case ConfigNode::Kind::kScalar:
      if (n.quoted) {
        out << YAML::DoubleQuoted << n.scalar;
      } else {
        out << n.scalar;
      }
      break;
    case ConfigNode::Kind::kList:
      out << YAML::BeginSeq;
      for (const ConfigNode& item : n.list) emit(out, item);
      out << YAML::EndSeq;
      break;
    case ConfigNode::Kind::kMap:
      out << YAML::BeginMap;
      for (const auto& [k, v] : n.map) {
        out << YAML::Key << k << YAML::Value;
        emit(out, v);
      }
      out << YAML::EndMap;
      break;
  }
}
}  // namespace

std::string to_yaml(const ConfigNode& root) {
  YAML::Emitter out;
  emit(out, root);
  return std::string(out.c_str()) + "\n";
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  return best_distance <= limit ? best : std::string();
}

}  // namespace tradesim::sim
