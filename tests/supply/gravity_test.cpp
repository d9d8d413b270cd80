// The gravity model of trade flows and haversine distances, against hand computations.
#include "models/supply/gravity.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace tradesim::supply {
namespace {

using namespace sim::literals;

GravityInputs three_countries() {
  GravityInputs in;
  in.gdp = Eigen::Vector3d(2, 4, 8);
  in.distance.resize(3, 3);
  in.distance << 0, 2, 4,  //
      2, 0, 8,             //
      4, 8, 0;
  return in;
}

TEST(Gravity, ThreeCountriesByHand) {
  // T_ij = G GDP_i^a GDP_j^b / d_ij^c with G = 10, a = 1, b = 0.5, c = 2.
  const GravityParams p{.scale = 10,
                        .exporter_gdp_elasticity = 1,
                        .importer_gdp_elasticity = 0.5,
                        .distance_elasticity = 2};
  const Eigen::MatrixXd t = gravity_flows(three_countries(), p);
  EXPECT_NEAR(t(0, 1), 10 * 2 * std::sqrt(4.0) / 4, 1e-12);   // 10
  EXPECT_NEAR(t(0, 2), 10 * 2 * std::sqrt(8.0) / 16, 1e-12);  // 3.5355
  EXPECT_NEAR(t(1, 0), 10 * 4 * std::sqrt(2.0) / 4, 1e-12);   // 14.142
  EXPECT_NEAR(t(1, 2), 10 * 4 * std::sqrt(8.0) / 64, 1e-12);  // 1.7678
  EXPECT_NEAR(t(2, 0), 10 * 8 * std::sqrt(2.0) / 16, 1e-12);  // 7.0711
  EXPECT_NEAR(t(2, 1), 10 * 8 * std::sqrt(4.0) / 64, 1e-12);  // 2.5
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t(i, i), 0) << "no trade of a country with itself";
}

TEST(Gravity, DoublingAnExportersGdpDoublesItsRowWithUnitElasticity) {
  const GravityParams p{
      .exporter_gdp_elasticity = 1, .importer_gdp_elasticity = 0.5, .distance_elasticity = 1.3};
  GravityInputs in = three_countries();
  const Eigen::MatrixXd before = gravity_flows(in, p);
  in.gdp(1) *= 2;
  const Eigen::MatrixXd after = gravity_flows(in, p);
  for (int j = 0; j < 3; ++j) {
    if (j == 1) continue;
    EXPECT_NEAR(after(1, j), 2 * before(1, j), 1e-12) << "row 1 doubles (a = 1)";
    EXPECT_NEAR(after(j, 1), std::sqrt(2.0) * before(j, 1), 1e-12) << "column 1 grows 2^b";
  }
  EXPECT_NEAR(after(0, 2), before(0, 2), 1e-12);  // other pairs unchanged
  EXPECT_NEAR(after(2, 0), before(2, 0), 1e-12);
}

TEST(Gravity, ElasticitiesAreExponents) {
  GravityInputs in = three_countries();
  const Eigen::MatrixXd base = gravity_flows(in, {.distance_elasticity = 2});
  in.distance(0, 2) = in.distance(2, 0) = 8;  // double the distance 0-2
  const Eigen::MatrixXd farther = gravity_flows(in, {.distance_elasticity = 2});
  EXPECT_NEAR(farther(0, 2), base(0, 2) / 4, 1e-12);  // 2^-c with c = 2
  // GDP elasticity 0.5 on the exporter: quadrupling GDP_2 doubles row 2.
  in = three_countries();
  const GravityParams half{.exporter_gdp_elasticity = 0.5};
  const Eigen::MatrixXd before = gravity_flows(in, half);
  in.gdp(2) *= 4;
  EXPECT_NEAR(gravity_flows(in, half)(2, 0), 2 * before(2, 0), 1e-12);
}

TEST(Gravity, ContiguityAndTradeAgreementMultipliers) {
  GravityInputs in = three_countries();
  const Eigen::MatrixXd plain = gravity_flows(in, {});
  in.contiguous = Eigen::MatrixXd::Zero(3, 3);
  in.contiguous(0, 1) = in.contiguous(1, 0) = 1;
  in.fta = Eigen::MatrixXd::Zero(3, 3);
  in.fta(1, 2) = in.fta(2, 1) = 1;
  in.fta(0, 1) = in.fta(1, 0) = 1;
  const Eigen::MatrixXd t = gravity_flows(in, {.contiguity_factor = 2, .fta_factor = 1.5});
  EXPECT_NEAR(t(0, 1), plain(0, 1) * 2 * 1.5, 1e-12);  // neighbours in an agreement
  EXPECT_NEAR(t(1, 2), plain(1, 2) * 1.5, 1e-12);
  EXPECT_NEAR(t(2, 1), plain(2, 1) * 1.5, 1e-12);
  EXPECT_NEAR(t(0, 2), plain(0, 2), 1e-12);
}

TEST(Gravity, NormaliseAndOrderRates) {
  const Eigen::MatrixXd t = gravity_flows(three_countries(), {});
  const Eigen::MatrixXd n = normalise_to_total(t, 52000);
  EXPECT_NEAR(n.sum(), 52000, 1e-9);
  EXPECT_NEAR(n(0, 1) / n(1, 2), t(0, 1) / t(1, 2), 1e-12);  // shares kept
  // 52,000 USD a year in orders of 1,000 USD: 52 orders a year, one a week in total.
  const Eigen::MatrixXd rates = order_rates(n, 1000, 52_w, 1_w);
  EXPECT_NEAR(rates.sum(), 1.0, 1e-12);
  EXPECT_NEAR(rates(0, 1), n(0, 1) / 52000, 1e-12);
}

TEST(Gravity, RejectsBadInputs) {
  GravityInputs in = three_countries();
  in.gdp(0) = 0;
  EXPECT_THROW(gravity_flows(in, {}), std::invalid_argument);
  in = three_countries();
  in.distance(1, 2) = 0;
  EXPECT_THROW(gravity_flows(in, {}), std::invalid_argument);
  in = three_countries();
  in.distance = Eigen::MatrixXd::Ones(2, 2);
  EXPECT_THROW(gravity_flows(in, {}), std::invalid_argument);
}

TEST(Haversine, GreatCircleDistances) {
  // A quarter of a great circle: pi R / 2; antipodes: pi R.
  EXPECT_NEAR(haversine_km(0, 0, 0, 90), std::numbers::pi * kEarthRadiusKm / 2, 1e-9);
  EXPECT_NEAR(haversine_km(0, 0, 90, 0), std::numbers::pi * kEarthRadiusKm / 2, 1e-9);
  EXPECT_NEAR(haversine_km(0, 0, 0, 180), std::numbers::pi * kEarthRadiusKm, 1e-9);
  // London - Paris, about 344 km on a sphere.
  EXPECT_NEAR(haversine_km(51.5074, -0.1278, 48.8566, 2.3522), 343.5, 1.5);
  const Eigen::MatrixXd d = distance_matrix_km(Eigen::Vector3d(51.5074, 48.8566, 1.2644),
                                               Eigen::Vector3d(-0.1278, 2.3522, 103.82));
  EXPECT_EQ(d.rows(), 3);
  EXPECT_TRUE(d.isApprox(d.transpose()));
  EXPECT_EQ(d.diagonal().norm(), 0);
  EXPECT_NEAR(d(0, 1), haversine_km(51.5074, -0.1278, 48.8566, 2.3522), 1e-9);
  EXPECT_NEAR(d(0, 2), 10850, 60);  // London - Singapore, about 10,850 km
}

}  // namespace
}  // namespace tradesim::supply
