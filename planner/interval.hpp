#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hypertide::planner {

/// A PostgreSQL interval: months, days and microseconds kept apart, as
/// PostgreSQL keeps them.
struct interval {
  int32_t months = 0;
  int32_t days = 0;
  int64_t micros = 0;

  /// Microseconds, with a day as 24 hours (TimescaleDB's reading of a
  /// chunk_time_interval); nullopt when months are involved.
  std::optional<int64_t> fixed_micros() const noexcept;
};

/// Parses interval input: `12 hours`, `1 day 2 hours`, `7 days`,
/// `00:30:00`, `1 mon`, `-2 minutes`, `2.5 minutes`, `@ 1 hour ago`.
std::optional<interval> parse_interval(std::string_view text);

} // namespace hypertide::planner
