#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "chunkstore/types.hpp"

namespace hypertide::chunkstore {

/// TimescaleDB's default `chunk_time_interval`: 7 days.
constexpr int64_t default_chunk_time_interval = 7 * usecs_per_day;

/// The largest hash value of a space dimension (TimescaleDB's
/// DIMENSION_SLICE_MAXVALUE for closed dimensions: INT32_MAX).
constexpr int64_t partition_hash_max = 2147483647;

/// A hypertable's partitioning: one time dimension and an optional space
/// (hash) dimension, as `create_hypertable` declares them.
struct hypertable_def {
  std::string name;
  table_schema schema;
  int time_column = -1;                 ///< -1: a plain table, one chunk
  int64_t chunk_interval = default_chunk_time_interval;
  int space_column = -1;                ///< -1: no space dimension
  int32_t partitions = 0;               ///< `number_partitions`
  int series_column = -1;               ///< rows are grouped per value of it

  bool is_hypertable() const noexcept { return time_column >= 0; }
};

/// Where a chunk sits in the hypertable's dimension space: a half-open time
/// range and one hash slice (`partition` = -1 without a space dimension).
struct chunk_range {
  timestamp start = min_timestamp;
  timestamp end = max_timestamp;
  int32_t partition = -1;

  friend bool operator==(const chunk_range&, const chunk_range&) = default;
};

/// The time range `[start, end)` that holds `t`, aligned to multiples of
/// `interval` since the Unix epoch as TimescaleDB aligns chunks.
chunk_range time_slice(int64_t interval, timestamp t) noexcept;

/// The slice of `partitions` equal hash ranges that holds `hash`.
int32_t partition_of(int32_t partitions, uint32_t hash) noexcept;

/// The hash range `[start, end)` of slice `p`, as
/// `timescaledb_information.dimensions`/`chunks` report it (the last slice
/// ends at +infinity, which TimescaleDB stores as INT64_MAX).
void partition_range(int32_t partitions, int32_t p, int64_t& start,
                     int64_t& end) noexcept;

/// PostgreSQL's `hash_bytes` (Bob Jenkins' lookup3), as `hashtext()` computes
/// it for text in a deterministic collation.
uint32_t pg_hash_bytes(const void* data, size_t len) noexcept;

/// PostgreSQL's `hashint4` / `hashint8`.
uint32_t pg_hash_int4(int32_t x) noexcept;
uint32_t pg_hash_int8(int64_t x) noexcept;

/// The partitioning hash TimescaleDB takes of a value: the type's hash,
/// masked to a non-negative int32.
inline uint32_t partition_hash_text(std::string_view s) noexcept {
  return pg_hash_bytes(s.data(), s.size()) & 0x7fffffffu;
}
uint32_t partition_hash(const value& v) noexcept;

} // namespace hypertide::chunkstore
