#pragma once

#include <cstdint>
#include <optional>

#include "chunkstore/types.hpp"

namespace hypertide::chunkstore {

/// TimescaleDB's default origin for sub-month buckets: Monday 2000-01-03
/// 00:00 UTC, so that weekly buckets start on Mondays.
constexpr timestamp default_bucket_origin = 946'857'600LL * usecs_per_second;

/// The origin for month buckets: 2000-01-01 00:00 UTC.
constexpr timestamp default_month_origin = 946'684'800LL * usecs_per_second;

/// The arguments of `time_bucket(bucket_width, ts [, offset | origin])`.
/// A width is either fixed (`width` microseconds, days count as 24 hours as
/// in TimescaleDB for `timestamptz` in UTC) or calendar months, never both.
struct bucket_spec {
  int64_t width = 0;      ///< fixed width in microseconds
  int32_t months = 0;     ///< calendar width in months
  int64_t offset = 0;     ///< shift of the bucket boundaries
  std::optional<timestamp> origin;

  friend bool operator==(const bucket_spec&, const bucket_spec&) = default;
};

/// Checks a spec as TimescaleDB does; an error names the problem.
std::optional<pg_error> validate(const bucket_spec& spec);

/// Start of the bucket that holds `t`, for a valid fixed-width spec.
/// Inline: this is the inner loop of every `GROUP BY time_bucket(...)`.
inline timestamp time_bucket_fixed(int64_t width, timestamp origin,
                                   timestamp t) noexcept {
  origin %= width;
  int64_t shifted = t - origin;
  int64_t q = shifted / width;
  if (shifted < 0 && shifted % width != 0)
    --q;
  return q * width + origin;
}

/// Start of the bucket that holds `t` for any valid spec.
timestamp time_bucket(const bucket_spec& spec, timestamp t) noexcept;

/// `time_bucket(width, x [, offset])` for integer time columns.
inline int64_t int_bucket(int64_t width, int64_t x, int64_t offset = 0) noexcept {
  return floor_div(x - offset, width) * width + offset;
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept;

/// The Gregorian date of a day number since 1970-01-01.
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) noexcept;

} // namespace hypertide::chunkstore
