// Closed-form results for the M/M/c queue (Erlang C), used to validate the simulation.
// Source: Gross, Shortle, Thompson and Harris, "Fundamentals of Queueing Theory", 4th ed., 2.3.
#pragma once

#include <stdexcept>

namespace tradesim::queueing {

struct MmcTheory {
  double p_wait;  // Erlang C: probability that an arrival waits
  double wq;      // mean wait in queue, in the time unit of the rates
  double w;       // mean time in system
  double lq;      // mean number in queue
  double l;       // mean number in system
};

inline MmcTheory mmc_theory(double lambda, double mu, int c) {
  const double a = lambda / mu;  // offered load in Erlangs
  const double rho = a / c;
  if (!(rho < 1)) throw std::invalid_argument("M/M/c is unstable: lambda >= c mu");
  // Erlang B by the stable recursion B(k) = a B(k-1) / (k + a B(k-1)), then C from B.
  double b = 1;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  const double p_wait = b / (1 - rho * (1 - b));
  const double wq = p_wait / (c * mu - lambda);
  const double w = wq + 1 / mu;
  return MmcTheory{p_wait, wq, w, lambda * wq, lambda * w};
}

}  // namespace tradesim::queueing
