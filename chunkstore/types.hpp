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
  /// The SQL type, when it is narrower than its storage (a PostgreSQL type
  /// OID): 700 real (float8 holding values rounded to float4), 21 smallint
  /// (int4 within -32768..32767), 1043 varchar (text of at most `typmod`
  /// characters). 0: the storage type's own.
  int32_t sql_oid = 0;
  /// varchar(n): n; -1 without a limit.
  int32_t typmod = -1;
};

/// varchar(n) of UTF-8 text `s`: how many of its bytes a column keeps --
/// all of them when `s` has at most `n` characters, else its first `n`
/// characters when only spaces follow (PostgreSQL cuts those) -- or npos
/// when `s` is too long.
inline size_t varchar_cut(std::string_view s, int32_t n) noexcept {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
      continue; // a continuation byte
    if (chars == static_cast<size_t>(n))
      return s.find_first_not_of(' ', i) == std::string_view::npos ? i : std::string_view::npos;
    ++chars;
  }
  return s.size();
}

/// A column's SQL type name: real, smallint, character varying, or its
/// storage type's (pg_type_name).
const char* pg_type_name(const column_def& c) noexcept;

/// The columns of a table, in order.
struct table_schema {
  std::vector<column_def> columns;

  /// Index of the column called `name`, or -1.
  int find(std::string_view name) const noexcept;
};

/// A scalar: a constant in a predicate, or a cell of a result.
/// -1, 0 or 1 as PostgreSQL orders two float8 values: NaN equals NaN and
/// is above every other value (IEEE comparisons answer false for NaN).
inline int float8_order(double a, double b) noexcept {
  bool an = a != a, bn = b != b;
  if (an || bn)
    return an == bn ? 0 : an ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/// float8_order(a, b) < 0.
inline bool float8_less(double a, double b) noexcept {
  return a < b || (b != b && a == a);
}

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
