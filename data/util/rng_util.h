// Deterministic hashing and uniform draws shared by the stream, transform and embedded dataset.
// std::uniform_int_distribution differs between standard libraries; these do not, so orders, crops
// and generated images are bit-identical wherever tetra is built.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <random>

namespace tetra::data {

inline uint64_t split_mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Order-sensitive: hash_seeds({a, b}) != hash_seeds({b, a}).
inline uint64_t hash_seeds(std::initializer_list<uint64_t> values) {
  uint64_t h = 0x243f6a8885a308d3ULL;
  for (uint64_t v : values) h = split_mix64(h ^ split_mix64(v));
  return h;
}

// Uniform in [0, n) by rejection, so no modulo bias. n must be > 0.
inline uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n: the biased low values to reject
  while (true) {
    const uint64_t v = rng();
    if (v >= threshold) return v % n;
  }
}

// Uniform in [lo, hi], both inclusive. Requires lo <= hi.
inline int64_t uniform_int(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(uniform_below(rng, static_cast<uint64_t>(hi - lo) + 1));
}

// Uniform in [0, 1) with 53 random bits.
inline double uniform_unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

// Uniform in [lo, hi).
inline double uniform(std::mt19937_64& rng, double lo, double hi) { return lo + (hi - lo) * uniform_unit(rng); }

}  // namespace tetra::data
