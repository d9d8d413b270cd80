// Demand between countries from the gravity model of trade (Tinbergen 1962; in its structural
// form, Anderson and van Wincoop 2003): T_ij = G GDP_i^a GDP_j^b / dist_ij^c for i != j, times
// optional contiguity and free-trade-agreement multipliers. Rows are exporters, columns importers.
#pragma once

#include <Eigen/Dense>

#include "sim/time.hpp"

namespace tradesim::supply {

struct GravityParams {
  double scale = 1;                    // G
  double exporter_gdp_elasticity = 1;  // a
  double importer_gdp_elasticity = 1;  // b
  double distance_elasticity = 1;      // c
  double contiguity_factor = 1;        // multiplies T_ij when i and j share a border
  double fta_factor = 1;               // multiplies T_ij when i and j share a trade agreement
};

struct GravityInputs {
  Eigen::VectorXd gdp;       // n, any consistent unit (e.g. billion USD)
  Eigen::MatrixXd distance;  // n x n, km; the diagonal is ignored
  // Optional n x n indicator matrices (1 = yes, 0 = no); empty means none.
  Eigen::MatrixXd contiguous;
  Eigen::MatrixXd fta;
};

// The n x n flow matrix, zero on the diagonal. Throws std::invalid_argument on mismatched sizes,
// non-positive GDPs or non-positive distances between distinct countries.
Eigen::MatrixXd gravity_flows(const GravityInputs& inputs, const GravityParams& params);

// The flows scaled so that they sum to `total` (e.g. the scenario's world trade per year).
Eigen::MatrixXd normalise_to_total(const Eigen::MatrixXd& flows, double total);

// Orders per period between each pair: flows are values per `flow_period` (e.g. USD per year);
// an order is worth `mean_order_value`; the result is the Poisson rate of orders from importer j
// to exporter i per `period` (element (i, j), like the flows).
Eigen::MatrixXd order_rates(const Eigen::MatrixXd& flows, double mean_order_value,
                            sim::Duration flow_period, sim::Duration period);

// Mean Earth radius (IUGG), km.
inline constexpr double kEarthRadiusKm = 6371.0088;

// Great-circle distance between two points given in degrees, by the haversine formula.
double haversine_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

// The n x n matrix of haversine distances between points (latitudes and longitudes in degrees).
Eigen::MatrixXd distance_matrix_km(const Eigen::VectorXd& lat_deg, const Eigen::VectorXd& lon_deg);

}  // namespace tradesim::supply
