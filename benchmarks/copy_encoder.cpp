#include "benchmarks/copy_encoder.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "planner/datetime.hpp"

namespace hypertide::benchmarks {

namespace cs = chunkstore;

namespace {

// PostgreSQL's binary timestamps count microseconds from 2000-01-01.
constexpr int64_t pg_epoch_offset = 946'684'800LL * cs::usecs_per_second;

template <class T>
void put_be(std::string& out, T x) {
  auto u = static_cast<std::make_unsigned_t<T>>(x);
  char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i)
    b[i] = static_cast<char>((u >> (8 * (sizeof(T) - 1 - i))) & 0xff);
  out.append(b, sizeof(T));
}

bool is_valid(const cs::column_batch::column& c, size_t row) {
  return !c.has_nulls || (row >> 3) >= c.validity.size()
         || ((c.validity[row >> 3] >> (row & 7)) & 1) != 0;
}

void append_double_text(std::string& out, double x) {
  if (std::isnan(x)) {
    out += "NaN";
    return;
  }
  if (std::isinf(x)) {
    out += x > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char b[32];
  auto r = std::to_chars(b, b + sizeof b, x);
  out.append(b, r.ptr);
}

void append_int_text(std::string& out, int64_t x) {
  char b[24];
  auto r = std::to_chars(b, b + sizeof b, x);
  out.append(b, r.ptr);
}

// Text format: backslash escapes for the characters COPY treats specially.
void append_escaped_text(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

// CSV: quote a value holding a delimiter, quote or line break, and the
// empty string (unquoted empty is NULL).
void append_csv_text(std::string& out, std::string_view s) {
  if (!s.empty() && s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
}

} // namespace

const char* copy_format_name(copy_format f) {
  switch (f) {
    case copy_format::binary: return "binary";
    case copy_format::text: return "text";
    case copy_format::csv: return "csv";
  }
  return "?";
}

std::string copy_statement(std::string_view table, const cs::table_schema& schema,
                           copy_format f) {
  std::string s = "COPY ";
  s += table;
  s += " (";
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    s += i == 0 ? "" : ", ";
    s += schema.columns[i].name;
  }
  s += ") FROM STDIN";
  if (f != copy_format::text)
    s += std::string{" WITH (FORMAT "} + copy_format_name(f) + ")";
  return s;
}

void copy_encoder::binary_header(std::string& out) {
  static const char signature[] = "PGCOPY\n\377\r\n";
  out.append(signature, sizeof signature); // with its closing NUL byte
  put_be<int32_t>(out, 0);                 // flags
  put_be<int32_t>(out, 0);                 // header extension length
}

void copy_encoder::binary_trailer(std::string& out) {
  put_be<int16_t>(out, -1);
}

void copy_encoder::append(const cs::column_batch& batch, std::string& out) {
  if (fmt_ == copy_format::binary)
    append_binary(batch, out);
  else
    append_text(batch, out);
}

void copy_encoder::append_binary(const cs::column_batch& batch, std::string& out) {
  size_t cols = batch.num_columns();
  out.reserve(out.size() + batch.rows() * (2 + cols * 12 + 16));
  for (size_t r = 0; r < batch.rows(); ++r) {
    put_be<int16_t>(out, static_cast<int16_t>(cols));
    for (size_t c = 0; c < cols; ++c) {
      const auto& col = batch.col(c);
      if (!is_valid(col, r)) {
        put_be<int32_t>(out, -1);
        continue;
      }
      switch (col.type) {
        case cs::column_type::timestamptz:
        case cs::column_type::timestamp:
          put_be<int32_t>(out, 8);
          put_be<int64_t>(out, col.i64[r] - pg_epoch_offset);
          break;
        case cs::column_type::int8:
          put_be<int32_t>(out, 8);
          put_be<int64_t>(out, col.i64[r]);
          break;
        case cs::column_type::int4:
          put_be<int32_t>(out, 4);
          put_be<int32_t>(out, col.i32[r]);
          break;
        case cs::column_type::float8:
          put_be<int32_t>(out, 8);
          put_be<uint64_t>(out, std::bit_cast<uint64_t>(col.f64[r]));
          break;
        case cs::column_type::boolean:
          put_be<int32_t>(out, 1);
          out += static_cast<char>(col.u8[r] != 0);
          break;
        case cs::column_type::text: {
          const std::string& s = col.dict[col.codes[r]];
          put_be<int32_t>(out, static_cast<int32_t>(s.size()));
          out += s;
          break;
        }
      }
    }
  }
}

void copy_encoder::append_text(const cs::column_batch& batch, std::string& out) {
  bool csv = fmt_ == copy_format::csv;
  char delimiter = csv ? ',' : '\t';
  for (size_t r = 0; r < batch.rows(); ++r) {
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      if (c > 0)
        out += delimiter;
      const auto& col = batch.col(c);
      if (!is_valid(col, r)) {
        if (!csv)
          out += "\\N";
        continue;
      }
      switch (col.type) {
        case cs::column_type::timestamptz:
          if (col.i64[r] != last_time_) {
            last_time_ = col.i64[r];
            last_time_text_ = planner::format_timestamptz(last_time_);
          }
          out += last_time_text_;
          break;
        case cs::column_type::timestamp:
          out += planner::format_timestamp(col.i64[r]);
          break;
        case cs::column_type::int8:
          append_int_text(out, col.i64[r]);
          break;
        case cs::column_type::int4:
          append_int_text(out, col.i32[r]);
          break;
        case cs::column_type::float8:
          append_double_text(out, col.f64[r]);
          break;
        case cs::column_type::boolean:
          out += col.u8[r] != 0 ? 't' : 'f';
          break;
        case cs::column_type::text:
          if (csv)
            append_csv_text(out, col.dict[col.codes[r]]);
          else
            append_escaped_text(out, col.dict[col.codes[r]]);
          break;
      }
    }
    out += '\n';
  }
}

} // namespace hypertide::benchmarks
