#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chunkstore/types.hpp"

namespace hypertide::planner {

/// PostgreSQL type OIDs used in results.
namespace oid {
constexpr int32_t bool_ = 16;
constexpr int32_t int8 = 20;
constexpr int32_t int2 = 21;
constexpr int32_t int4 = 23;
constexpr int32_t text = 25;
constexpr int32_t float4 = 700;
constexpr int32_t float8 = 701;
constexpr int32_t unknown = 705;
constexpr int32_t varchar = 1043;
constexpr int32_t timestamp = 1114;
constexpr int32_t timestamptz = 1184;
constexpr int32_t interval = 1186;
constexpr int32_t numeric = 1700;
} // namespace oid

/// The OID of a column type.
int32_t oid_of(chunkstore::column_type t) noexcept;
/// The OID of a column: its SQL type (real, smallint, varchar) or its
/// storage type's.
int32_t oid_of(const chunkstore::column_def& c) noexcept;

/// float8 output as PostgreSQL 15 writes it (extra_float_digits = 1): the
/// shortest digits that read back exactly, fixed notation for decimal
/// exponents -4..14, else `1.5e+20`; `NaN`, `Infinity`, `-Infinity`.
std::string format_float8(double x);

/// Longest text format_float8 writes (`-1.2345678901234567e-308`).
constexpr size_t float8_text_max = 32;

/// format_float8 into `out` (float8_text_max bytes); returns the end.
char* format_float8_to(char* out, double x);

/// float4 output (real): `x` rounded to float, its shortest digits, fixed
/// notation for decimal exponents -4..5 (`1.234567e+06`).
char* format_float4_to(char* out, double x);

/// format_float8_to with the common case inline: a whole number below
/// 10^15 prints as an integer (percentages, counters), without a call.
inline char* put_float8_text(char* out, double x) {
  if (x > 0 && x < 1e15) {
    auto i = static_cast<uint64_t>(x);
    if (static_cast<double>(i) == x) {
      if (i < 100) {
        // One or two digits, without a branch on which.
        bool two = i >= 10;
        out[0] = static_cast<char>('0' + (two ? i / 10 : i));
        out[1] = static_cast<char>('0' + i % 10);
        return out + 1 + two;
      }
      return std::to_chars(out, out + 24, i).ptr;
    }
  }
  return format_float8_to(out, x);
}
std::string format_float4(double x);

/// A 128-bit integer in decimal (numeric output of integer sums).
std::string format_int128(__int128 x);

/// `avg` of integers as PostgreSQL's numeric division prints it:
/// sum / count rounded to the scale select_div_scale() picks (at least 16
/// significant digits).
std::string format_numeric_avg(__int128 sum, int64_t count);

/// SQL LIKE: `%` any run, `_` one character, `\\` escapes the next.
bool like_match(std::string_view s, std::string_view pattern);

/// 54001 when `sql` nests an expression deeper than `limit` (a chain of
/// operators or of parentheses): libpg_query's recursive conversion of the
/// parse tree overflows the stack at a few thousand levels, so such text
/// must not reach it.
std::optional<chunkstore::pg_error> too_deep_for_parser(std::string_view sql, int limit = 1000);

} // namespace hypertide::planner
