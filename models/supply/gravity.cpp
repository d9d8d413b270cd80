// Gravity model of trade flows and great-circle distances, vectorised with Eigen.
#include "models/supply/gravity.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace tradesim::supply {

namespace {

void check_square(const Eigen::MatrixXd& m, Eigen::Index n, const char* name) {
  if (m.rows() != n || m.cols() != n) {
    throw std::invalid_argument(std::string("gravity: ") + name + " is " +
                                std::to_string(m.rows()) + "x" + std::to_string(m.cols()) +
                                ", expected " + std::to_string(n) + "x" + std::to_string(n));
  }
}

}  // namespace

Eigen::MatrixXd gravity_flows(const GravityInputs& in, const GravityParams& p) {
  const Eigen::Index n = in.gdp.size();
  check_square(in.distance, n, "the distance matrix");
  if (in.contiguous.size() != 0) check_square(in.contiguous, n, "the contiguity matrix");
  if (in.fta.size() != 0) check_square(in.fta, n, "the FTA matrix");
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!(in.gdp(i) > 0))
      throw std::invalid_argument("gravity: GDP of country " + std::to_string(i) + " is not > 0");
    for (Eigen::Index j = 0; j < n; ++j) {
      if (i != j && !(in.distance(i, j) > 0)) {
        throw std::invalid_argument("gravity: distance between countries " + std::to_string(i) +
                                    " and " + std::to_string(j) + " is not > 0");
      }
    }
  }
  const Eigen::ArrayXd exporter_mass = in.gdp.array().pow(p.exporter_gdp_elasticity);
  const Eigen::ArrayXd importer_mass = in.gdp.array().pow(p.importer_gdp_elasticity);
  // Outer product of the masses, divided element-wise by distance^c.
  Eigen::ArrayXXd flows =
      p.scale * (exporter_mass.matrix() * importer_mass.matrix().transpose()).array();
  Eigen::MatrixXd distance = in.distance;
  distance.diagonal().setOnes();  // the diagonal is zeroed below; avoid 0^-c
  flows /= distance.array().pow(p.distance_elasticity);
  if (in.contiguous.size() != 0) flows *= (1 + (p.contiguity_factor - 1) * in.contiguous.array());
  if (in.fta.size() != 0) flows *= (1 + (p.fta_factor - 1) * in.fta.array());
  Eigen::MatrixXd out = flows.matrix();
  out.diagonal().setZero();
  return out;
}

Eigen::MatrixXd normalise_to_total(const Eigen::MatrixXd& flows, double total) {
  const double sum = flows.sum();
  if (!(sum > 0)) throw std::invalid_argument("gravity: cannot normalise flows that sum to 0");
  return flows * (total / sum);
}

Eigen::MatrixXd order_rates(const Eigen::MatrixXd& flows, double mean_order_value,
                            sim::Duration flow_period, sim::Duration period) {
  if (!(mean_order_value > 0))
    throw std::invalid_argument("gravity: the mean order value must be > 0");
  if (flow_period <= sim::Duration::zero() || period <= sim::Duration::zero())
    throw std::invalid_argument("gravity: periods must be > 0");
  const double periods_per_flow_period =
      static_cast<double>(flow_period.ns()) / static_cast<double>(period.ns());
  return flows / (mean_order_value * periods_per_flow_period);
}

double haversine_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) {
  constexpr double kRad = std::numbers::pi / 180;
  const double phi1 = lat1_deg * kRad, phi2 = lat2_deg * kRad;
  const double dphi = (lat2_deg - lat1_deg) * kRad, dlambda = (lon2_deg - lon1_deg) * kRad;
  const double h = std::sin(dphi / 2) * std::sin(dphi / 2) +
                   std::cos(phi1) * std::cos(phi2) * std::sin(dlambda / 2) * std::sin(dlambda / 2);
  return 2 * kEarthRadiusKm * std::asin(std::sqrt(std::min(1.0, h)));
}

Eigen::MatrixXd distance_matrix_km(const Eigen::VectorXd& lat_deg, const Eigen::VectorXd& lon_deg) {
  if (lat_deg.size() != lon_deg.size())
    throw std::invalid_argument("gravity: latitudes and longitudes differ in number");
  const Eigen::Index n = lat_deg.size();
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i + 1; j < n; ++j)
      d(i, j) = d(j, i) = haversine_km(lat_deg(i), lon_deg(i), lat_deg(j), lon_deg(j));
  return d;
}

}  // namespace tradesim::supply
