// The route network of issue 5: ports, airports, chokepoints, sea waypoints and inland links in a
// Boost.Graph, loaded from data/world/{locations,lanes}.csv; routing by shortest time (Dijkstra)
// and re-routing of shipments around closed ports and chokepoints.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.hpp"

namespace tradesim::logistics {

enum class Mode : uint8_t { kSea, kAir, kRail, kRoad, kBorder };
inline constexpr size_t kModeCount = 5;
std::string_view to_string(Mode mode);
std::optional<Mode> parse_mode(std::string_view text);

enum class LocationKind : uint8_t { kPort, kAirport, kChokepoint, kWaypoint, kInland };
std::string_view to_string(LocationKind kind);
std::optional<LocationKind> parse_location_kind(std::string_view text);

using LocationId = uint32_t;
using LaneId = uint32_t;

inline constexpr double kKmPerNauticalMile = 1.852;
inline constexpr double kEarthRadiusKm = 6371.0088;  // IUGG mean radius

// Great-circle distance by the haversine formula on a sphere of the mean Earth radius (km).
double haversine_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

struct Location {
  std::string code;  // UN/LOCODE (ports, inland terminals), IATA (airports) or an id (SUEZ)
  std::string name;
  std::string country;  // ISO 3166-1 alpha-2
  LocationKind kind = LocationKind::kPort;
  std::string region;   // east_asia, southeast_asia, ..., oceania (see kRegions)
  double latitude = 0;  // degrees
  double longitude = 0;
  double utc_offset_hours = 0;
};

// The regions a location may name in locations.csv.
inline constexpr std::array<std::string_view, 10> kRegions = {
    "east_asia", "southeast_asia", "south_asia",    "central_asia", "middle_east",
    "europe",    "north_america",  "south_america", "africa",       "oceania"};

// A lane joins two locations and is usable in both directions.
struct Lane {
  LocationId a = 0, b = 0;
  Mode mode = Mode::kSea;
  double distance_km = 0;
  std::string note;  // where the distance comes from
};

// Bad input in the data files: the message names file:line and the column.
class RouteDataError : public std::runtime_error {
 public:
  RouteDataError(std::string file, size_t line, std::string column, const std::string& what);
  const std::string& file() const { return file_; }
  size_t line() const { return line_; }
  const std::string& column() const { return column_; }

 private:
  std::string file_;
  size_t line_;
  std::string column_;
};

// A set of allowed modes (sea only, air only, multimodal = all).
class ModeSet {
 public:
  static constexpr ModeSet all() { return ModeSet((1u << kModeCount) - 1); }
  static constexpr ModeSet none() { return ModeSet(0); }
  static constexpr ModeSet only(Mode m) { return ModeSet(bit(m)); }
  constexpr ModeSet with(Mode m) const { return ModeSet(bits_ | bit(m)); }
  constexpr ModeSet without(Mode m) const { return ModeSet(bits_ & ~bit(m)); }
  constexpr bool has(Mode m) const { return (bits_ & bit(m)) != 0; }
  constexpr bool operator==(const ModeSet&) const = default;

 private:
  constexpr explicit ModeSet(uint32_t bits) : bits_(bits) {}
  static constexpr uint32_t bit(Mode m) { return 1u << static_cast<uint32_t>(m); }
  uint32_t bits_;
};

// Parameters of one routing query. Costs are per shipment (by default one 40-ft container, FEU)
// in USD; see docs/logistics.md for where the defaults come from.
struct RoutingOptions {
  ModeSet modes = ModeSet::all();
  double sea_speed_knots = 16;  // container ships slow-steam at 14-18 kn
  double air_speed_kmh = 750;   // block speed of a freighter, taxi and climb included
  double rail_speed_kmh = 30;   // average including stops: China-Europe ~11,000 km in 15-18 days
  double road_speed_kmh = 50;   // trucking average including rests; also used on border lanes
  sim::Duration mode_change_time = sim::Duration::from_ns(24 * sim::units::kHour);
  sim::Duration border_crossing_time = sim::Duration::from_ns(12 * sim::units::kHour);
  // Cost per km by mode, indexed by Mode (sea, air, rail, road, border).
  std::array<double, kModeCount> cost_per_km = {0.08, 3.0, 0.55, 1.5, 1.5};
  double mode_change_cost = 150;      // per change of mode (lift, terminal handling)
  double border_crossing_cost = 100;  // per border lane (customs brokerage)
  // Per passage of a chokepoint: fee (toll share per shipment) and time (transit and waiting).
  std::map<std::string, double, std::less<>> chokepoint_fee = {{"PANAMA", 80}, {"SUEZ", 60}};
  std::map<std::string, sim::Duration, std::less<>> chokepoint_time = {
      {"PANAMA", sim::Duration::from_ns(24 * sim::units::kHour)},
      {"SUEZ", sim::Duration::from_ns(16 * sim::units::kHour)}};
  // Locations the vehicle cannot or will not use, e.g. PANAMA for ships beyond Neopanamax size
  // (Asia-North Europe services use 14,000-24,000 TEU ships), BAB_EL_MANDEB for war risk.
  std::vector<std::string> avoid;

  bool operator==(const RoutingOptions&) const = default;
};

// One lane travelled in one direction.
struct Leg {
  LocationId from = 0, to = 0;
  LaneId lane = 0;
  Mode mode = Mode::kSea;
  double distance_km = 0;
  sim::Duration travel;   // distance / speed
  sim::Duration waiting;  // mode change before the leg, border crossing, chokepoint at its end
  double cost = 0;        // per-km cost, mode change, border, chokepoint fee at its end
  sim::Duration time() const { return travel + waiting; }
};

struct Route {
  std::vector<LocationId> stops;  // origin, every location passed, destination
  std::vector<Leg> legs;          // legs[i] goes from stops[i] to stops[i + 1]
  double distance_km = 0;
  sim::Duration time;
  double cost = 0;

  // Whether the route passes (or starts or ends at) the location.
  bool passes(LocationId location) const;
  // Whether the location lies ahead of a shipment that stands at stops[stop_index].
  bool passes_after(LocationId location, size_t stop_index) const;
};

enum class RerouteStatus : uint8_t {
  kUnchanged,  // nothing closed or avoided lies ahead: `route` is the remaining route
  kRerouted,   // `route` is the new route from the current position
  kNoRoute,    // something ahead is closed and no other route exists: `route` is empty
};

struct Reroute {
  RerouteStatus status = RerouteStatus::kUnchanged;
  Route route;
  double extra_km = 0;  // new route minus the old remaining route
  sim::Duration extra_time;
  double extra_cost = 0;
  std::optional<LocationId> blocked_at;  // the first closed or avoided location ahead
};

// Not thread-safe: queries fill a cache of shortest-path trees.
class RouteGraph {
 public:
  RouteGraph();
  ~RouteGraph();
  RouteGraph(RouteGraph&&) noexcept;
  RouteGraph& operator=(RouteGraph&&) noexcept;

  // Reads locations.csv (code,name,country,kind,region,latitude,longitude,utc_offset_hours) and
  // lanes.csv (from,to,mode,distance_km[,note]). Lines starting with '#' and blank lines are
  // skipped; fields hold no commas. Throws RouteDataError naming file:line and the column.
  static RouteGraph load(const std::string& locations_csv, const std::string& lanes_csv);

  // Building by hand (tests, generated networks). Throw std::invalid_argument on bad input.
  LocationId add_location(Location location);
  LaneId add_lane(std::string_view from, std::string_view to, Mode mode, double distance_km,
                  std::string note = {});

  size_t location_count() const { return locations_.size(); }
  size_t lane_count() const { return lanes_.size(); }
  const Location& location(LocationId id) const { return locations_.at(id); }
  const Lane& lane(LaneId id) const { return lanes_.at(id); }
  const std::vector<LaneId>& lanes_at(LocationId id) const { return lanes_at_.at(id); }
  std::optional<LocationId> find(std::string_view code) const;
  // Throws std::out_of_range naming the code.
  LocationId id(std::string_view code) const;
  const std::string& code(LocationId id) const { return locations_.at(id).code; }

  // Closed locations cannot be passed, left or reached (except by a shipment already there).
  void close(std::string_view code);
  void reopen(std::string_view code);
  bool is_open(LocationId id) const { return open_.at(id); }
  std::vector<LocationId> closed_locations() const;
  // Counts closures and reopenings; cached routes are from one epoch.
  uint64_t closure_epoch() const { return epoch_; }

  // Travel time of `distance_km` by `mode` (border lanes move at road speed).
  static sim::Duration transit_time(double distance_km, Mode mode, const RoutingOptions& options);

  // The fastest route; nullopt when an end is closed or avoided or nothing connects them.
  std::optional<Route> shortest(LocationId from, LocationId to,
                                const RoutingOptions& options = {}) const;
  std::optional<Route> shortest(std::string_view from, std::string_view to,
                                const RoutingOptions& options = {}) const;

  // A shipment on `current` stands at current.stops[leg_index_reached] (it has completed that
  // many legs). If a closed or avoided location lies ahead, routes it again from there: its
  // current mode carries over (changing it costs a mode change); extras are measured against
  // the old remaining legs.
  Reroute reroute(const Route& current, size_t leg_index_reached,
                  const RoutingOptions& options = {}) const;

 private:
  struct Routing;  // the state-expanded routing graph and its caches (routes.cpp)

  std::optional<Route> shortest_from_state(LocationId from, std::optional<Mode> arriving_mode,
                                           LocationId to, const RoutingOptions& options) const;
  void invalidate();

  std::vector<Location> locations_;
  std::vector<Lane> lanes_;
  std::vector<std::vector<LaneId>> lanes_at_;
  std::map<std::string, LocationId, std::less<>> by_code_;
  std::vector<bool> open_;
  uint64_t epoch_ = 0;
  mutable std::unique_ptr<Routing> routing_;
};

}  // namespace tradesim::logistics
