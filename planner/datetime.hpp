#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "chunkstore/types.hpp"

namespace hypertide::planner {

/// Parses timestamptz input as PostgreSQL accepts it in ISO style:
/// `2016-01-01`, `2016-01-01 00:00:10`, `2016-01-01T00:00:10.5Z`,
/// `2016-01-01 01:00:00+01`, `+05:30`, `-0800`, ` UTC`; also `epoch`.
/// A time without a zone is UTC (the session TimeZone); `infinity` and
/// `-infinity` are INT64_MAX and INT64_MIN, as in PostgreSQL. Returns
/// microseconds since the Unix epoch.
std::optional<chunkstore::timestamp> parse_timestamptz(std::string_view text);

/// Parses `timestamp` (without time zone) input: as parse_timestamptz, but
/// a zone in the text is ignored, as PostgreSQL ignores it.
std::optional<chunkstore::timestamp> parse_timestamp(std::string_view text);

/// Formats as psql shows timestamptz with DateStyle ISO and TimeZone UTC:
/// `2016-01-01 00:00:10+00`, with `.ffffff` (trailing zeros cut) when needed.
std::string format_timestamptz(chunkstore::timestamp t);

/// Formats `timestamp` (without time zone): as format_timestamptz, no `+00`.
std::string format_timestamp(chunkstore::timestamp t);

/// PostgreSQL's binary timestamps count from 2000-01-01, ours from 1970;
/// its infinities (INT64_MAX, INT64_MIN) are ours too, and values past our
/// range saturate to them.
constexpr int64_t pg_epoch_offset = 946'684'800LL * 1'000'000;
constexpr chunkstore::timestamp from_pg_time(int64_t wire) noexcept {
  if (wire == chunkstore::max_timestamp || wire > chunkstore::max_timestamp - pg_epoch_offset)
    return chunkstore::max_timestamp;
  if (wire == chunkstore::min_timestamp)
    return chunkstore::min_timestamp;
  return wire + pg_epoch_offset;
}
constexpr int64_t to_pg_time(chunkstore::timestamp t) noexcept {
  if (t == chunkstore::max_timestamp || t == chunkstore::min_timestamp)
    return t;
  if (t < chunkstore::min_timestamp + pg_epoch_offset)
    return chunkstore::min_timestamp;
  return t - pg_epoch_offset;
}

/// True for 'infinity' and '-infinity'.
constexpr bool is_infinite(chunkstore::timestamp t) noexcept {
  return t == chunkstore::max_timestamp || t == chunkstore::min_timestamp;
}

/// Longest text format_timestamp_to writes.
constexpr size_t timestamp_text_max = 48;

/// format_timestamptz (`with_zone`) or format_timestamp into `out`
/// (timestamp_text_max bytes); returns the end.
char* format_timestamp_to(char* out, chunkstore::timestamp t, bool with_zone);

} // namespace hypertide::planner
