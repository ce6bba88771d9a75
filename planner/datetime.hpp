#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "chunkstore/types.hpp"

namespace hypertide::planner {

/// Parses timestamptz input as PostgreSQL accepts it in ISO style:
/// `2016-01-01`, `2016-01-01 00:00:10`, `2016-01-01T00:00:10.5Z`,
/// `2016-01-01 01:00:00+01`, `+05:30`, `-0800`, ` UTC`; also `epoch`.
/// A time without a zone is UTC (the session TimeZone). Returns
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

/// Longest text format_timestamp_to writes.
constexpr size_t timestamp_text_max = 48;

/// format_timestamptz (`with_zone`) or format_timestamp into `out`
/// (timestamp_text_max bytes); returns the end.
char* format_timestamp_to(char* out, chunkstore::timestamp t, bool with_zone);

} // namespace hypertide::planner
