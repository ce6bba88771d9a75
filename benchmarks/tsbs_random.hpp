#pragma once

#include <cmath>
#include <cstdint>

namespace hypertide::benchmarks {

/// The harness's random numbers: xoshiro256** seeded through splitmix64
/// from (seed, stream). Every host's walk, every host's tags and every
/// query type draws from its own stream, so a part of the data (a range
/// of hosts for one load worker) is drawn without drawing the rest, and
/// the same seed gives the same numbers whatever the standard library (the
/// generator and the normal distribution are written out here; <random>'s
/// distributions are implementation-defined).
class tsbs_random {
public:
  /// Stream kinds, the high half of a stream number.
  enum kind : uint64_t { cpu_walk = 1, host_tags = 2, queries = 3 };

  tsbs_random(uint64_t seed, uint64_t stream) noexcept {
    uint64_t x = seed ^ (stream * 0x9e3779b97f4a7c15ULL);
    for (auto& w : s_)
      w = splitmix64(x);
  }

  /// The stream for `kind` and index `i` (a host number, a type number).
  static uint64_t stream(kind k, uint64_t i) noexcept { return (uint64_t{k} << 32) | i; }

  uint64_t next() noexcept {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Uniform in [0, n) without modulo bias; n > 0.
  uint64_t below(uint64_t n) noexcept {
    uint64_t limit = -n % n; // 2^64 mod n: the biased low values to reject
    for (;;) {
      uint64_t x = next();
      if (x >= limit)
        return x % n;
    }
  }

  /// Standard normal (Marsaglia's polar method; the second value of each
  /// pair is kept for the next call).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }

private:
  static uint64_t rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

  static uint64_t splitmix64(uint64_t& x) noexcept {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

} // namespace hypertide::benchmarks
