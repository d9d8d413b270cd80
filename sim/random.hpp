// Random streams: one independent stream per (run seed, node, purpose), derived by a splitting
// hash. SplitMix64 derives the state; xoshiro256** generates (Blackman and Vigna, "Scrambled linear
// pseudorandom number generators", 2021). A node's draws never depend on what other nodes draw.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace tradesim::sim {

// SplitMix64 finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom number generators").
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A purpose names what a stream is for ("network", "model", "arrivals"); hashed at compile time
// (FNV-1a) so that adding a purpose never shifts the streams of the others.
constexpr uint64_t purpose(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

__extension__ typedef unsigned __int128 Uint128;  // GCC/Clang extension, for Lemire's method

class Rng {
 public:
  using result_type = uint64_t;

  Rng() : Rng(0, 0, 0) {}
  // The stream of (seed, node, purpose). Distinct triples give statistically independent streams.
  Rng(uint64_t seed, uint64_t node, uint64_t purpose_hash) {
    uint64_t x = mix64(seed + 0x9e3779b97f4a7c15ULL);
    x = mix64(x ^ (node + 0x632be59bd9b4e019ULL));
    x = mix64(x ^ purpose_hash);
    for (uint64_t& word : s_) {
      x += 0x9e3779b97f4a7c15ULL;
      word = mix64(x);
    }
  }

  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return ~uint64_t{0}; }

  // xoshiro256**
  uint64_t operator()() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n) by Lemire's multiply-shift (bias below 2^-64 * n).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<Uint128>((*this)()) * n) >> 64);
  }
  bool bernoulli(double p) { return uniform() < p; }
  // Exponential with the given mean, by inversion.
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
  // Standard normal by the Box-Muller transform (one value per two uniforms; no cached state so
  // that a stream's position depends only on the number of calls).
  double normal(double mean, double stddev) {
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace tradesim::sim
