#pragma once

// A small TSBS data set for the harness tests.

#include <cstdint>

#include "benchmarks/tsbs_data.hpp"

namespace test {

/// `hosts` hosts for `hours` hours from 2016-01-01 at 10 s, seed `seed`.
inline hypertide::benchmarks::tsbs_options data_set(uint64_t seed, uint32_t hosts,
                                                   int64_t hours) {
  hypertide::benchmarks::tsbs_options o;
  o.seed = seed;
  o.hosts = hosts;
  o.end = o.start + hours * hypertide::chunkstore::usecs_per_hour;
  return o;
}

} // namespace test
