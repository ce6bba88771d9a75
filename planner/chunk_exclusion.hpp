#pragma once

#include <optional>
#include <vector>

#include "chunkstore/fragment.hpp"
#include "chunkstore/hypertable.hpp"

namespace hypertide::planner {

/// What a filter says about where matching rows can be: a time range
/// `[lo, hi)` and, with a space dimension, a set of partitions. Derived
/// from the top-level AND of the filter only, so it never excludes a chunk
/// that could hold a matching row.
struct chunk_filter {
  chunkstore::timestamp lo = chunkstore::min_timestamp;
  chunkstore::timestamp hi = chunkstore::max_timestamp; ///< exclusive
  bool hi_unbounded = true;
  std::optional<std::vector<bool>> partitions; ///< allowed slices
  bool none = false;                           ///< the filter is never true

  /// True if a chunk covering `r` may hold a matching row.
  bool keeps(const chunkstore::chunk_range& r) const noexcept;
};

/// Derives the chunk filter of `filter` over hypertable `def`.
chunk_filter derive_chunk_filter(const chunkstore::hypertable_def& def,
                                 const std::optional<chunkstore::predicate>& filter);

} // namespace hypertide::planner
