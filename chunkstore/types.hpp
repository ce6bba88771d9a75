#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace hypertide::chunkstore {

/// Microseconds since the Unix epoch: PostgreSQL's `timestamptz` resolution.
using timestamp = int64_t;

/// A position in the write-ahead log. Commits are totally ordered by it, and a
/// reader at snapshot `S` sees exactly the commits with an LSN `<= S`.
using lsn = uint64_t;

constexpr timestamp min_timestamp = std::numeric_limits<timestamp>::min();
constexpr timestamp max_timestamp = std::numeric_limits<timestamp>::max();

/// Microseconds per unit, for intervals.
constexpr int64_t usecs_per_second = 1'000'000;
constexpr int64_t usecs_per_minute = 60 * usecs_per_second;
constexpr int64_t usecs_per_hour = 60 * usecs_per_minute;
constexpr int64_t usecs_per_day = 24 * usecs_per_hour;

/// The column types a table can hold.
enum class column_type : uint8_t {
  timestamptz,
  int4,
  int8,
  float8,
  boolean,
  text,
  timestamp, ///< without time zone: microseconds as written, no zone applied
};

/// The last column_type value (decoders refuse larger ones).
inline constexpr column_type last_column_type = column_type::timestamp;

/// timestamptz and timestamp: int64 microseconds since 1970, time_bucket's
/// calendar rules.
constexpr bool is_time_type(column_type t) noexcept {
  return t == column_type::timestamptz || t == column_type::timestamp;
}

/// The PostgreSQL name of a type (`timestamp with time zone`, `integer`, ...).
const char* pg_type_name(column_type t) noexcept;

/// Bytes one value of `t` takes in a chunk (text is a 4-byte dictionary code).
size_t value_width(column_type t) noexcept;

/// True for the types that compare and aggregate as integers.
constexpr bool is_integral(column_type t) noexcept {
  return is_time_type(t) || t == column_type::int4 || t == column_type::int8
         || t == column_type::boolean;
}

/// One column of a table.
struct column_def {
  std::string name;
  column_type type = column_type::int8;
  bool not_null = false;
};

/// The columns of a table, in order.
struct table_schema {
  std::vector<column_def> columns;

  /// Index of the column called `name`, or -1.
  int find(std::string_view name) const noexcept;
};

/// A scalar: a constant in a predicate, or a cell of a result.
struct value {
  column_type type = column_type::int8;
  bool is_null = true;
  int64_t i = 0;  ///< timestamptz, int4, int8, boolean
  double f = 0;   ///< float8
  std::string s;  ///< text

  static value null(column_type t) { return value{t, true, 0, 0, {}}; }
  static value of_int(column_type t, int64_t x) { return value{t, false, x, 0, {}}; }
  static value of_float(double x) {
    return value{column_type::float8, false, 0, x, {}};
  }
  static value of_text(std::string x) {
    return value{column_type::text, false, 0, 0, std::move(x)};
  }

  /// The value as a double (integers converted).
  double as_double() const noexcept {
    return type == column_type::float8 ? f : static_cast<double>(i);
  }

  friend bool operator==(const value&, const value&) = default;
};

/// An error as PostgreSQL reports it: a SQLSTATE and a message.
struct pg_error {
  std::string sqlstate;
  std::string message;
  std::string detail;
};

/// Floor division, rounding toward negative infinity.
constexpr int64_t floor_div(int64_t a, int64_t b) noexcept {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

} // namespace hypertide::chunkstore
