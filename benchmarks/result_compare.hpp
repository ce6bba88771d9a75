#pragma once

// run --check: two servers' results for one query, row by row.

#include <cstddef>
#include <string>

#include "benchmarks/pg_client.hpp"

namespace hypertide::benchmarks {

/// How two results are compared.
struct compare_options {
  /// The row order counts (the query has ORDER BY); otherwise both sides
  /// are sorted by their text before the comparison.
  bool ordered = true;
  /// Cells that both parse as numbers are equal when they differ by at
  /// most this much relative to the larger magnitude (sums and averages
  /// may be added up in another order); other cells compare as text.
  double tolerance = 1e-9;
  /// Differing rows described at most.
  size_t max_reported = 5;
};

/// Empty when `a` and `b` hold the same column names and rows; otherwise
/// what differs (row counts, the first differing rows), one item a line.
std::string compare_results(const result_set& a, const result_set& b,
                            const compare_options& o);

} // namespace hypertide::benchmarks
