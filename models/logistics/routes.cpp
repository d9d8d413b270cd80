// Route network: CSV loading, the state-expanded routing graph (Boost.Graph), Dijkstra by time
// with per-source trees cached per routing profile, and re-routing around closures.
#include "models/logistics/routes.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <numbers>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/property_map/function_property_map.hpp>

namespace tradesim::logistics {

namespace {

constexpr std::array<std::string_view, kModeCount> kModeNames = {"sea", "air", "rail", "road",
                                                                 "border"};
constexpr std::array<std::string_view, 5> kKindNames = {"port", "airport", "chokepoint", "waypoint",
                                                        "inland"};
constexpr double kInfinity = std::numeric_limits<double>::infinity();

bool valid_code(std::string_view code) {
  return !code.empty() && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    fields.emplace_back(trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

// Reads a CSV file of data lines after one header line; '#' lines and blank lines are skipped.
class CsvFile {
 public:
  CsvFile(std::string path, const std::vector<std::string_view>& columns, size_t optional_tail)
      : path_(std::move(path)), columns_(columns), optional_tail_(optional_tail), in_(path_) {
    if (!in_) throw RouteDataError(path_, 0, "", "cannot open the file");
    std::vector<std::string> header;
    if (!next_fields(header)) throw RouteDataError(path_, line_, "", "the file has no header");
    const size_t required = columns_.size() - optional_tail_;
    bool ok = header.size() >= required && header.size() <= columns_.size();
    for (size_t i = 0; ok && i < header.size(); ++i) ok = header[i] == columns_[i];
    if (!ok) {
      throw RouteDataError(path_, line_, "", "expected the header '" + join(columns_) + "'");
    }
  }

  // The next data line, with as many fields as the header allows (missing optional ones empty).
  bool next(std::vector<std::string>& fields) {
    if (!next_fields(fields)) return false;
    const size_t required = columns_.size() - optional_tail_;
    if (fields.size() < required || fields.size() > columns_.size()) {
      throw RouteDataError(path_, line_, "",
                           "expected " + std::to_string(required) +
                               (optional_tail_ ? " to " + std::to_string(columns_.size()) : "") +
                               " columns (" + join(columns_) + "), got " +
                               std::to_string(fields.size()));
    }
    fields.resize(columns_.size());
    return true;
  }

  [[noreturn]] void fail(size_t column, const std::string& what) const {
    throw RouteDataError(path_, line_, std::string(columns_[column]), what);
  }

  double number(const std::vector<std::string>& fields, size_t column, double lo, double hi) {
    const std::string& text = fields[column];
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(value) || value < lo || value > hi) {
      fail(column,
           "expected a number in [" + format(lo) + ", " + format(hi) + "], got '" + text + "'");
    }
    return value;
  }

  size_t line() const { return line_; }
  const std::string& path() const { return path_; }

 private:
  static std::string format(double x) {
    if (x == std::numeric_limits<double>::max()) return "inf";
    std::string s = std::to_string(x);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return s;
  }

  bool next_fields(std::vector<std::string>& fields) {
    std::string line;
    while (std::getline(in_, line)) {
      ++line_;
      const std::string_view content = trim(line);
      if (content.empty() || content.front() == '#') continue;
      fields = split_fields(content);
      return true;
    }
    return false;
  }

  std::string path_;
  std::vector<std::string_view> columns_;
  size_t optional_tail_;
  std::ifstream in_;
  size_t line_ = 0;
};

std::string error_message(const std::string& file, size_t line, const std::string& column,
                          const std::string& what) {
  std::string message = file;
  if (line > 0) message.append(":").append(std::to_string(line));
  if (!column.empty()) message.append(": column '").append(column).append("'");
  message.append(": ").append(what);
  return message;
}

}  // namespace

std::string_view to_string(Mode mode) {
  return kModeNames[static_cast<size_t>(mode)];
}

std::optional<Mode> parse_mode(std::string_view text) {
  for (size_t i = 0; i < kModeNames.size(); ++i) {
    if (kModeNames[i] == text) return static_cast<Mode>(i);
  }
  return std::nullopt;
}

std::string_view to_string(LocationKind kind) {
  return kKindNames[static_cast<size_t>(kind)];
}

std::optional<LocationKind> parse_location_kind(std::string_view text) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == text) return static_cast<LocationKind>(i);
  }
  return std::nullopt;
}

// Haversine formula: d = 2 R asin(sqrt(sin^2(dphi/2) + cos phi1 cos phi2 sin^2(dlambda/2))).
double haversine_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) {
  constexpr double kRad = std::numbers::pi / 180.0;
  const double phi1 = lat1_deg * kRad, phi2 = lat2_deg * kRad;
  const double dphi = phi2 - phi1, dlambda = (lon2_deg - lon1_deg) * kRad;
  const double h = std::sin(dphi / 2) * std::sin(dphi / 2) +
                   std::cos(phi1) * std::cos(phi2) * std::sin(dlambda / 2) * std::sin(dlambda / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

RouteDataError::RouteDataError(std::string file, size_t line, std::string column,
                               const std::string& what)
    : std::runtime_error(error_message(file, line, column, what)),
      file_(std::move(file)),
      line_(line),
      column_(std::move(column)) {}

bool Route::passes(LocationId location) const {
  return std::find(stops.begin(), stops.end(), location) != stops.end();
}

bool Route::passes_after(LocationId location, size_t stop_index) const {
  if (stop_index >= stops.size()) return false;
  return std::find(stops.begin() + static_cast<std::ptrdiff_t>(stop_index) + 1, stops.end(),
                   location) != stops.end();
}

// The routing graph expands each location into states: `depart` (a route starts here), `arrive`
// (a route ends here) and one state per mode that reaches it. Lanes join the states of their mode
// (border lanes join the rail states and the road states, so that crossing a border keeps the
// train or truck); transfers between two modes at one location cost the mode-change time. This
// makes the mode-change penalty an edge weight, so plain Dijkstra is exact.
struct RouteGraph::Routing {
  enum class EdgeKind : uint8_t { kStart, kEnd, kTransfer, kLane };
  struct EdgeInfo {
    uint32_t source, target;
    EdgeKind kind;
    LaneId lane;  // kLane only
  };
  struct VertexInfo {
    LocationId location;
    std::optional<Mode> mode;  // none for depart and arrive
  };
  using Graph =
      boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                            boost::property<boost::edge_index_t, uint32_t>>;
  using Edge = Graph::edge_descriptor;

  struct Tree {
    std::vector<double> hours;
    std::vector<int32_t> pred_edge;  // -1 at the source and unreached vertices
  };

  // A routing profile: one RoutingOptions resolved against the graph, and its trees.
  struct Profile {
    RoutingOptions options;
    uint64_t epoch = 0;
    uint64_t last_used = 0;
    std::vector<sim::Duration> chokepoint_time;  // per location
    std::vector<double> chokepoint_fee;          // per location
    std::vector<char> avoided;                   // per location
    std::vector<char> blocked;                   // closed or avoided, per location
    std::vector<double> edge_hours;              // infinity where the mode is not allowed
    std::unordered_map<uint32_t, Tree> trees;    // by source vertex
  };

  static constexpr size_t kMaxProfiles = 16;

  Graph graph;
  std::vector<EdgeInfo> edges;
  std::vector<VertexInfo> vertices;
  std::vector<uint32_t> depart, arrive;
  std::vector<std::array<int32_t, kModeCount>> state;  // -1 where the mode does not reach
  std::vector<std::unique_ptr<Profile>> profiles;
  uint64_t clock = 0;

  uint32_t add_vertex(LocationId location, std::optional<Mode> mode) {
    vertices.push_back({location, mode});
    return static_cast<uint32_t>(boost::add_vertex(graph));
  }
  void add_edge(uint32_t s, uint32_t t, EdgeKind kind, LaneId lane = 0) {
    boost::add_edge(s, t, static_cast<uint32_t>(edges.size()), graph);
    edges.push_back({s, t, kind, lane});
  }
};

RouteGraph::RouteGraph() = default;
RouteGraph::~RouteGraph() = default;
RouteGraph::RouteGraph(RouteGraph&&) noexcept = default;
RouteGraph& RouteGraph::operator=(RouteGraph&&) noexcept = default;

void RouteGraph::invalidate() {
  routing_.reset();
}

LocationId RouteGraph::add_location(Location location) {
  if (!valid_code(location.code)) {
    throw std::invalid_argument("location code '" + location.code +
                                "' must be upper-case letters, digits and '_'");
  }
  if (by_code_.count(location.code)) {
    throw std::invalid_argument("duplicate location code '" + location.code + "'");
  }
  const auto id = static_cast<LocationId>(locations_.size());
  by_code_.emplace(location.code, id);
  locations_.push_back(std::move(location));
  lanes_at_.emplace_back();
  open_.push_back(true);
  invalidate();
  return id;
}

LaneId RouteGraph::add_lane(std::string_view from, std::string_view to, Mode mode,
                            double distance_km, std::string note) {
  const LocationId a = id(from), b = id(to);
  if (a == b) throw std::invalid_argument("lane from " + std::string(from) + " to itself");
  if (!(distance_km > 0) || !std::isfinite(distance_km)) {
    throw std::invalid_argument("lane " + std::string(from) + "-" + std::string(to) +
                                ": distance must be positive");
  }
  const auto lane = static_cast<LaneId>(lanes_.size());
  lanes_.push_back({a, b, mode, distance_km, std::move(note)});
  lanes_at_[a].push_back(lane);
  lanes_at_[b].push_back(lane);
  invalidate();
  return lane;
}

std::optional<LocationId> RouteGraph::find(std::string_view code) const {
  const auto it = by_code_.find(code);
  if (it == by_code_.end()) return std::nullopt;
  return it->second;
}

LocationId RouteGraph::id(std::string_view code) const {
  const auto found = find(code);
  if (!found) throw std::out_of_range("unknown location '" + std::string(code) + "'");
  return *found;
}

void RouteGraph::close(std::string_view code) {
  const LocationId location = id(code);
  if (!open_[location]) return;
  open_[location] = false;
  ++epoch_;
}

void RouteGraph::reopen(std::string_view code) {
  const LocationId location = id(code);
  if (open_[location]) return;
  open_[location] = true;
  ++epoch_;
}

std::vector<LocationId> RouteGraph::closed_locations() const {
  std::vector<LocationId> closed;
  for (LocationId i = 0; i < open_.size(); ++i) {
    if (!open_[i]) closed.push_back(i);
  }
  return closed;
}

sim::Duration RouteGraph::transit_time(double distance_km, Mode mode,
                                       const RoutingOptions& options) {
  double speed_kmh = 0;
  switch (mode) {
    case Mode::kSea:
      speed_kmh = options.sea_speed_knots * kKmPerNauticalMile;
      break;
    case Mode::kAir:
      speed_kmh = options.air_speed_kmh;
      break;
    case Mode::kRail:
      speed_kmh = options.rail_speed_kmh;
      break;
    case Mode::kRoad:
    case Mode::kBorder:
      speed_kmh = options.road_speed_kmh;
      break;
  }
  return sim::Duration::from_seconds(3600.0 * distance_km / speed_kmh);
}

namespace {

// Loading: locations first, so that lanes can name them.
void load_locations(RouteGraph& graph, const std::string& path) {
  enum Column { kCode, kName, kCountry, kKind, kRegion, kLatitude, kLongitude, kUtcOffset };
  CsvFile csv(
      path,
      {"code", "name", "country", "kind", "region", "latitude", "longitude", "utc_offset_hours"},
      0);
  std::unordered_map<std::string, size_t> first_line;
  std::vector<std::string> f;
  while (csv.next(f)) {
    Location loc;
    if (!valid_code(f[kCode])) {
      csv.fail(kCode, "'" + f[kCode] + "' is not a code (upper-case letters, digits, '_')");
    }
    if (const auto it = first_line.find(f[kCode]); it != first_line.end()) {
      csv.fail(kCode, "duplicate code '" + f[kCode] + "' (first at line " +
                          std::to_string(it->second) + ")");
    }
    first_line.emplace(f[kCode], csv.line());
    loc.code = f[kCode];
    if (f[kName].empty()) csv.fail(kName, "empty name");
    loc.name = f[kName];
    if (f[kCountry].size() != 2 || !std::isupper(static_cast<unsigned char>(f[kCountry][0])) ||
        !std::isupper(static_cast<unsigned char>(f[kCountry][1]))) {
      csv.fail(kCountry, "expected an ISO 3166 alpha-2 code such as CN, got '" + f[kCountry] + "'");
    }
    loc.country = f[kCountry];
    const auto kind = parse_location_kind(f[kKind]);
    if (!kind) {
      csv.fail(kKind, "unknown kind '" + f[kKind] +
                          "' (expected port, airport, chokepoint, waypoint or inland)");
    }
    loc.kind = *kind;
    if (std::find(kRegions.begin(), kRegions.end(), f[kRegion]) == kRegions.end()) {
      std::string known;
      for (std::string_view r : kRegions) known += (known.empty() ? "" : ", ") + std::string(r);
      csv.fail(kRegion, "unknown region '" + f[kRegion] + "' (expected one of " + known + ")");
    }
    loc.region = f[kRegion];
    loc.latitude = csv.number(f, kLatitude, -90, 90);
    loc.longitude = csv.number(f, kLongitude, -180, 180);
    loc.utc_offset_hours = csv.number(f, kUtcOffset, -12, 14);
    graph.add_location(std::move(loc));
  }
}

void load_lanes(RouteGraph& graph, const std::string& path) {
  enum Column { kFrom, kTo, kMode, kDistance, kNote };
  CsvFile csv(path, {"from", "to", "mode", "distance_km", "note"}, 1);
  std::map<std::tuple<LocationId, LocationId, Mode>, size_t> first_line;
  std::vector<std::string> f;
  while (csv.next(f)) {
    const auto from = graph.find(f[kFrom]);
    if (!from) csv.fail(kFrom, "unknown location '" + f[kFrom] + "'");
    const auto to = graph.find(f[kTo]);
    if (!to) csv.fail(kTo, "unknown location '" + f[kTo] + "'");
    if (*from == *to) csv.fail(kTo, "a lane from '" + f[kFrom] + "' to itself");
    const auto mode = parse_mode(f[kMode]);
    if (!mode) {
      csv.fail(kMode, "unknown mode '" + f[kMode] + "' (expected sea, air, rail, road or border)");
    }
    const double km = csv.number(f, kDistance, 0, std::numeric_limits<double>::max());
    if (!(km > 0)) csv.fail(kDistance, "the distance must be positive");
    const auto key = std::make_tuple(std::min(*from, *to), std::max(*from, *to), *mode);
    if (const auto it = first_line.find(key); it != first_line.end()) {
      csv.fail(kTo, "duplicate " + f[kMode] + " lane " + f[kFrom] + "-" + f[kTo] +
                        " (first at line " + std::to_string(it->second) + ")");
    }
    first_line.emplace(key, csv.line());
    graph.add_lane(f[kFrom], f[kTo], *mode, km, f[kNote]);
  }
}

}  // namespace

RouteGraph RouteGraph::load(const std::string& locations_csv, const std::string& lanes_csv) {
  RouteGraph graph;
  load_locations(graph, locations_csv);
  load_lanes(graph, lanes_csv);
  return graph;
}

std::optional<Route> RouteGraph::shortest(std::string_view from, std::string_view to,
                                          const RoutingOptions& options) const {
  return shortest(id(from), id(to), options);
}

std::optional<Route> RouteGraph::shortest(LocationId from, LocationId to,
                                          const RoutingOptions& options) const {
  (void)location(from);
  (void)location(to);
  if (!open_[from]) return std::nullopt;
  for (const std::string& code : options.avoid) {
    if (find(code) == from) return std::nullopt;
  }
  return shortest_from_state(from, std::nullopt, to, options);
}

std::optional<Route> RouteGraph::shortest_from_state(LocationId from,
                                                     std::optional<Mode> arriving_mode,
                                                     LocationId to,
                                                     const RoutingOptions& options) const {
  using EdgeKind = Routing::EdgeKind;
  // Build the state-expanded graph once per network (invalidated by add_location/add_lane).
  if (!routing_) {
    auto r = std::make_unique<Routing>();
    const size_t n = locations_.size();
    r->depart.resize(n);
    r->arrive.resize(n);
    r->state.assign(n, {-1, -1, -1, -1, -1});
    for (LocationId loc = 0; loc < n; ++loc) {
      r->depart[loc] = r->add_vertex(loc, std::nullopt);
      r->arrive[loc] = r->add_vertex(loc, std::nullopt);
      std::array<bool, kModeCount> present{};
      for (LaneId l : lanes_at_[loc]) {
        if (lanes_[l].mode == Mode::kBorder) {
          present[static_cast<size_t>(Mode::kRail)] = true;
          present[static_cast<size_t>(Mode::kRoad)] = true;
        } else {
          present[static_cast<size_t>(lanes_[l].mode)] = true;
        }
      }
      for (size_t m = 0; m < kModeCount; ++m) {
        if (!present[m]) continue;
        const uint32_t v = r->add_vertex(loc, static_cast<Mode>(m));
        r->state[loc][m] = static_cast<int32_t>(v);
        r->add_edge(r->depart[loc], v, EdgeKind::kStart);
        r->add_edge(v, r->arrive[loc], EdgeKind::kEnd);
      }
      for (size_t m1 = 0; m1 < kModeCount; ++m1) {
        for (size_t m2 = 0; m2 < kModeCount; ++m2) {
          if (m1 == m2 || r->state[loc][m1] < 0 || r->state[loc][m2] < 0) continue;
          r->add_edge(static_cast<uint32_t>(r->state[loc][m1]),
                      static_cast<uint32_t>(r->state[loc][m2]), EdgeKind::kTransfer);
        }
      }
    }
    for (LaneId l = 0; l < lanes_.size(); ++l) {
      const Lane& lane = lanes_[l];
      std::vector<Mode> carried = {lane.mode};
      if (lane.mode == Mode::kBorder) carried = {Mode::kRail, Mode::kRoad};
      for (Mode m : carried) {
        const auto sa = static_cast<uint32_t>(r->state[lane.a][static_cast<size_t>(m)]);
        const auto sb = static_cast<uint32_t>(r->state[lane.b][static_cast<size_t>(m)]);
        r->add_edge(sa, sb, EdgeKind::kLane, l);
        r->add_edge(sb, sa, EdgeKind::kLane, l);
      }
    }
    routing_ = std::move(r);
  }
  Routing& r = *routing_;

  // The profile of these options, resolved against the graph and the current closures.
  Routing::Profile* profile = nullptr;
  for (auto& p : r.profiles) {
    if (p->options == options) {
      profile = p.get();
      break;
    }
  }
  if (!profile) {
    if (!(options.sea_speed_knots > 0) || !(options.air_speed_kmh > 0) ||
        !(options.rail_speed_kmh > 0) || !(options.road_speed_kmh > 0)) {
      throw std::invalid_argument("routing options: every speed must be positive");
    }
    if (options.mode_change_time < sim::Duration::zero() ||
        options.border_crossing_time < sim::Duration::zero()) {
      throw std::invalid_argument("routing options: handling times must not be negative");
    }
    if (r.profiles.size() >= Routing::kMaxProfiles) {
      const auto oldest = std::min_element(
          r.profiles.begin(), r.profiles.end(),
          [](const auto& a, const auto& b) { return a->last_used < b->last_used; });
      r.profiles.erase(oldest);
    }
    auto p = std::make_unique<Routing::Profile>();
    p->options = options;
    p->epoch = epoch_ + 1;  // forces the closure pass below
    const size_t n = locations_.size();
    p->chokepoint_time.assign(n, sim::Duration::zero());
    p->chokepoint_fee.assign(n, 0.0);
    p->avoided.assign(n, 0);
    // Fees and times for locations this network lacks are ignored (hand-made test graphs).
    for (const auto& [code, time] : options.chokepoint_time) {
      if (const auto loc = find(code)) p->chokepoint_time[*loc] = time;
    }
    for (const auto& [code, fee] : options.chokepoint_fee) {
      if (const auto loc = find(code)) p->chokepoint_fee[*loc] = fee;
    }
    for (const std::string& code : options.avoid) {
      const auto loc = find(code);
      if (!loc) throw std::invalid_argument("routing options: avoid names unknown '" + code + "'");
      p->avoided[*loc] = 1;
    }
    const auto allowed = [&](std::optional<Mode> m) { return !m || options.modes.has(*m); };
    p->edge_hours.resize(r.edges.size());
    for (size_t e = 0; e < r.edges.size(); ++e) {
      const Routing::EdgeInfo& info = r.edges[e];
      const std::optional<Mode> ms = r.vertices[info.source].mode;
      const std::optional<Mode> mt = r.vertices[info.target].mode;
      double hours = 0;
      switch (info.kind) {
        case EdgeKind::kStart:
        case EdgeKind::kEnd:
          hours = allowed(ms) && allowed(mt) ? 0.0 : kInfinity;
          break;
        case EdgeKind::kTransfer:
          hours = allowed(ms) && allowed(mt) ? options.mode_change_time.hours() : kInfinity;
          break;
        case EdgeKind::kLane: {
          const Lane& lane = lanes_[info.lane];
          if (!options.modes.has(lane.mode) || !allowed(ms)) {
            hours = kInfinity;
            break;
          }
          sim::Duration time = transit_time(lane.distance_km, lane.mode, options);
          if (lane.mode == Mode::kBorder) time += options.border_crossing_time;
          time += p->chokepoint_time[r.vertices[info.target].location];
          hours = time.hours();
          break;
        }
      }
      p->edge_hours[e] = hours;
    }
    r.profiles.push_back(std::move(p));
    profile = r.profiles.back().get();
  }
  profile->last_used = ++r.clock;
  if (profile->epoch != epoch_) {
    profile->blocked.resize(locations_.size());
    for (LocationId loc = 0; loc < locations_.size(); ++loc) {
      profile->blocked[loc] = !open_[loc] || profile->avoided[loc];
    }
    profile->trees.clear();
    profile->epoch = epoch_;
  }
  if (to != from && profile->blocked[to]) return std::nullopt;

  uint32_t source = r.depart[from];
  if (arriving_mode && r.state[from][static_cast<size_t>(*arriving_mode)] >= 0) {
    source = static_cast<uint32_t>(r.state[from][static_cast<size_t>(*arriving_mode)]);
  }

  // Dijkstra from the source, once per (profile, closure epoch, source vertex). Edges into a
  // blocked location weigh infinity, except at the source's own location: a shipment standing
  // at a closed port may still leave it.
  auto tree_it = profile->trees.find(source);
  if (tree_it == profile->trees.end()) {
    Routing::Tree tree;
    const size_t nv = r.vertices.size();
    tree.hours.assign(nv, kInfinity);
    tree.pred_edge.assign(nv, -1);
    const auto index = boost::get(boost::edge_index, std::as_const(r.graph));
    const Routing::Profile& p = *profile;
    const LocationId source_location = r.vertices[source].location;
    const auto weight =
        boost::make_function_property_map<Routing::Edge, double>([&](const Routing::Edge& e) {
          const uint32_t i = index[e];
          const LocationId target = r.vertices[r.edges[i].target].location;
          if (p.blocked[target] && target != source_location) return kInfinity;
          return p.edge_hours[i];
        });
    struct RecordEdge : boost::default_dijkstra_visitor {
      std::vector<int32_t>* pred_edge;
      boost::property_map<Routing::Graph, boost::edge_index_t>::const_type index;
      void edge_relaxed(const Routing::Edge& e, const Routing::Graph& g) {
        (*pred_edge)[boost::target(e, g)] = static_cast<int32_t>(index[e]);
      }
    } visitor;
    visitor.pred_edge = &tree.pred_edge;
    visitor.index = index;
    boost::dijkstra_shortest_paths(r.graph, source,
                                   boost::weight_map(weight)
                                       .distance_map(tree.hours.data())
                                       .distance_inf(kInfinity)
                                       .visitor(visitor));
    tree_it = profile->trees.emplace(source, std::move(tree)).first;
  }
  const Routing::Tree& tree = tree_it->second;

  Route route;
  route.stops.push_back(from);
  if (to == from) return route;
  const uint32_t target = r.arrive[to];
  if (!std::isfinite(tree.hours[target])) return std::nullopt;
  std::vector<uint32_t> path;  // edge indices, from the source
  for (uint32_t v = target; v != source;) {
    const int32_t e = tree.pred_edge[v];
    path.push_back(static_cast<uint32_t>(e));
    v = r.edges[static_cast<size_t>(e)].source;
  }
  std::reverse(path.begin(), path.end());
  bool changed_mode = false;
  for (uint32_t e : path) {
    const Routing::EdgeInfo& info = r.edges[e];
    if (info.kind == EdgeKind::kTransfer) changed_mode = true;
    if (info.kind != EdgeKind::kLane) continue;
    const Lane& lane = lanes_[info.lane];
    Leg leg;
    leg.from = r.vertices[info.source].location;
    leg.to = r.vertices[info.target].location;
    leg.lane = info.lane;
    leg.mode = lane.mode;
    leg.distance_km = lane.distance_km;
    leg.travel = transit_time(lane.distance_km, lane.mode, options);
    leg.cost = lane.distance_km * options.cost_per_km[static_cast<size_t>(lane.mode)];
    if (changed_mode) {
      leg.waiting += options.mode_change_time;
      leg.cost += options.mode_change_cost;
      changed_mode = false;
    }
    if (lane.mode == Mode::kBorder) {
      leg.waiting += options.border_crossing_time;
      leg.cost += options.border_crossing_cost;
    }
    leg.waiting += profile->chokepoint_time[leg.to];
    leg.cost += profile->chokepoint_fee[leg.to];
    route.stops.push_back(leg.to);
    route.distance_km += leg.distance_km;
    route.time += leg.time();
    route.cost += leg.cost;
    route.legs.push_back(leg);
  }
  return route;
}

Reroute RouteGraph::reroute(const Route& current, size_t leg_index_reached,
                            const RoutingOptions& options) const {
  if (current.stops.empty() || current.stops.size() != current.legs.size() + 1 ||
      leg_index_reached > current.legs.size()) {
    throw std::out_of_range("reroute: leg index " + std::to_string(leg_index_reached) +
                            " outside a route of " + std::to_string(current.legs.size()) + " legs");
  }
  Reroute result;
  Route& remaining = result.route;
  remaining.stops.assign(current.stops.begin() + static_cast<std::ptrdiff_t>(leg_index_reached),
                         current.stops.end());
  remaining.legs.assign(current.legs.begin() + static_cast<std::ptrdiff_t>(leg_index_reached),
                        current.legs.end());
  for (const Leg& leg : remaining.legs) {
    remaining.distance_km += leg.distance_km;
    remaining.time += leg.time();
    remaining.cost += leg.cost;
  }
  std::vector<char> avoided(locations_.size(), 0);
  for (const std::string& code : options.avoid) {
    const auto loc = find(code);
    if (!loc) throw std::invalid_argument("routing options: avoid names unknown '" + code + "'");
    avoided[*loc] = 1;
  }
  for (size_t i = 1; i < remaining.stops.size(); ++i) {
    const LocationId loc = remaining.stops[i];
    if (!open_[loc] || avoided[loc]) {
      result.blocked_at = loc;
      break;
    }
  }
  if (!result.blocked_at) return result;

  const LocationId at = remaining.stops.front();
  std::optional<Mode> arriving_mode;
  if (leg_index_reached > 0) {
    arriving_mode = current.legs[leg_index_reached - 1].mode;
    if (*arriving_mode == Mode::kBorder) arriving_mode = Mode::kRoad;
  }
  auto fresh = shortest_from_state(at, arriving_mode, remaining.stops.back(), options);
  if (!fresh) {
    result.status = RerouteStatus::kNoRoute;
    result.extra_km = 0;
    result.route = Route{};
    return result;
  }
  result.status = RerouteStatus::kRerouted;
  result.extra_km = fresh->distance_km - remaining.distance_km;
  result.extra_time = fresh->time - remaining.time;
  result.extra_cost = fresh->cost - remaining.cost;
  result.route = std::move(*fresh);
  return result;
}

}  // namespace tradesim::logistics
