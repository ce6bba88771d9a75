#pragma once

// The access node's own stages of a SELECT, run by finish_select(): the
// computed stage (expressions computed per row, then grouped and
// aggregated: GROUP BY expressions, FILTER, DISTINCT aggregates,
// percentiles) and window functions. Internal to planner/.

#include <memory>
#include <string>
#include <vector>

#include "chunkstore/partial_result.hpp"
#include "planner/select_planner.hpp"

namespace hypertide::planner::detail {

/// Groups and aggregates of computed columns (see aggregate_computed()).
struct computed_result {
  chunkstore::partial_result r;
  /// numeric is stored as a double, so its values lose their scale (the
  /// digits after the point PostgreSQL prints). Per key and per aggregate
  /// of a numeric expression, the scale in each group: a key's and a sum's
  /// the largest of the group's values, min's, max's, first's and last's
  /// that of the value they picked. Empty for the others.
  std::vector<std::vector<int>> key_scales, agg_scales;
  /// Per aggregate: a percentile's or a boolean aggregate's value in each
  /// group; else empty.
  std::vector<std::vector<datum>> agg_values;
};

/// The computed columns of `c` over the fetched rows `r`, then its keys
/// and aggregates over those rows.
computed_result aggregate_computed(const computed_columns& c, chunkstore::partial_result r);

/// The rows in a window's order: by partition, then by its ORDER BY.
struct window_order {
  std::vector<std::vector<datum>> part, ord; ///< per row
  std::vector<size_t> idx;                   ///< rows, sorted
};

/// True when two window calls partition and order their rows alike (one
/// sort serves both).
bool same_window(const window_call& a, const window_call& b);

/// The values of window function `w` for `rows`, in their order; `sorted`
/// is the rows' window order, computed here when empty.
std::vector<datum> window_values(const window_call& w, const std::vector<std::vector<datum>>& rows,
                                 window_order& sorted);

} // namespace hypertide::planner::detail
