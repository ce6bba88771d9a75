#pragma once

// What load and run report: latency statistics, JSON text, files.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hypertide::benchmarks {

/// Latencies of one query type, in milliseconds.
struct latency_stats {
  size_t count = 0;
  double min = 0;
  double median = 0; ///< the middle value (the mean of the two middle ones)
  double mean = 0;
  double p99 = 0;    ///< nearest rank: the smallest value >= 99 % of them
  double max = 0;
};

/// Statistics of `ms` (sorted in place).
latency_stats compute_stats(std::vector<double>& ms);

/// `s` as a JSON string literal, quotes included.
std::string json_string(std::string_view s);

/// A number for JSON: finite, with up to 10 significant decimals.
std::string json_number(double x);

/// Writes `text` to `path`; an error message, or empty.
std::string write_file(const std::string& path, const std::string& text);

} // namespace hypertide::benchmarks
