#include "planner/copy_format.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

#include "planner/datetime.hpp"
#include "planner/utf8.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hypertide::planner {

namespace cs = chunkstore;

namespace {

/// PostgreSQL's binary COPY signature.
constexpr char binary_signature[] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};
/// Microseconds from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch).

int32_t be32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int32_t>((uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16)
                              | (uint32_t{u[2]} << 8) | uint32_t{u[3]});
}

int64_t be64(const char* p) {
  return static_cast<int64_t>((static_cast<uint64_t>(static_cast<uint32_t>(be32(p))) << 32)
                              | static_cast<uint32_t>(be32(p + 4)));
}

int16_t be16(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int16_t>((uint16_t{u[0]} << 8) | uint16_t{u[1]});
}

/// Appends a text field to column c; an error message when it does not read.
std::optional<std::string> put_text(cs::column_batch& b, size_t c, cs::column_type t,
                                    std::string_view v, std::string& sqlstate) {
  switch (t) {
    case cs::column_type::int4:
    case cs::column_type::int8: {
      int64_t x = 0;
      auto s = v;
      while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
      if (!s.empty() && s.front() == '+')
        s.remove_prefix(1);
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
      if (ec == std::errc::result_out_of_range
          || (t == cs::column_type::int4 && ec == std::errc{} && (x > INT32_MAX || x < INT32_MIN))) {
        sqlstate = "22003";
        return "value \"" + std::string{v} + "\" is out of range for type "
               + (t == cs::column_type::int4 ? "integer" : "bigint");
      }
      if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) {
        sqlstate = "22P02";
        return "invalid input syntax for type "
               + std::string{t == cs::column_type::int4 ? "integer" : "bigint"} + ": \""
               + std::string{v} + "\"";
      }
      b.append_int(c, x);
      return std::nullopt;
    }
    case cs::column_type::float8: {
      // Whole numbers of up to 15 digits (percentages, counters) are exact
      // as doubles: read without from_chars.
      if (!v.empty() && v.size() <= 15) {
        uint64_t n = 0;
        size_t k = 0;
        for (; k < v.size() && v[k] >= '0' && v[k] <= '9'; ++k)
          n = n * 10 + static_cast<uint64_t>(v[k] - '0');
        if (k == v.size()) {
          b.append_float(c, static_cast<double>(n));
          return std::nullopt;
        }
      }
      double x = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
      if (ec != std::errc{} || p != v.data() + v.size() || v.empty()) {
        std::string low;
        for (char ch : v)
          low += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (low == "nan")
          x = std::nan("");
        else if (low == "infinity" || low == "inf" || low == "+infinity")
          x = HUGE_VAL;
        else if (low == "-infinity" || low == "-inf")
          x = -HUGE_VAL;
        else {
          sqlstate = "22P02";
          return "invalid input syntax for type double precision: \"" + std::string{v} + "\"";
        }
      }
      b.append_float(c, x);
      return std::nullopt;
    }
    case cs::column_type::boolean: {
      std::string low;
      for (char ch : v)
        low += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (low == "t" || low == "true" || low == "yes" || low == "y" || low == "on" || low == "1")
        b.append_int(c, 1);
      else if (low == "f" || low == "false" || low == "no" || low == "n" || low == "off"
               || low == "0")
        b.append_int(c, 0);
      else {
        sqlstate = "22P02";
        return "invalid input syntax for type boolean: \"" + std::string{v} + "\"";
      }
      return std::nullopt;
    }
    case cs::column_type::text:
      b.append_text(c, v);
      return std::nullopt;
    case cs::column_type::timestamptz:
    case cs::column_type::timestamp: {
      bool zone = t == cs::column_type::timestamptz;
      auto ts = zone ? parse_timestamptz(v) : parse_timestamp(v);
      if (!ts) {
        sqlstate = "22007";
        return std::string{"invalid input syntax for type "}
               + (zone ? "timestamp with time zone" : "timestamp") + ": \"" + std::string{v}
               + "\"";
      }
      b.append_int(c, *ts);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

} // namespace

copy_parser::copy_parser(const cs::table_schema& schema, std::vector<int> fields,
                         copy_options opts, std::string table)
  : schema_(schema), fields_(std::move(fields)), opts_(std::move(opts)),
    table_(std::move(table)), batch_(schema) {
  std::vector<int> field_of_column(schema.columns.size(), -1);
  for (size_t i = 0; i < fields_.size(); ++i)
    field_of_column[static_cast<size_t>(fields_[i])] = static_cast<int>(i);
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    if (field_of_column[c] < 0)
      absent_.push_back(c);
    if (schema.columns[c].not_null)
      not_null_.emplace_back(c, field_of_column[c]);
  }
  for (int c : fields_) {
    const auto& col = schema.columns[static_cast<size_t>(c)];
    binary_kind k = binary_kind::text;
    switch (col.type) {
      case cs::column_type::timestamptz:
      case cs::column_type::timestamp: k = binary_kind::time; break;
      case cs::column_type::int8: k = binary_kind::int8; break;
      case cs::column_type::int4:
        k = col.sql_oid == 21 ? binary_kind::int2 : binary_kind::int4; // smallint: int2
        break;
      case cs::column_type::float8:
        k = col.sql_oid == 700 ? binary_kind::float4 : binary_kind::float8; // real: float4
        break;
      case cs::column_type::boolean: k = binary_kind::boolean; break;
      case cs::column_type::text: k = binary_kind::text; break;
    }
    binary_fields_.push_back({static_cast<size_t>(c), k});
  }
  cells_.resize(fields_.size());
  views_.resize(fields_.size());
  nulls_.resize(fields_.size());
  last_time_.resize(fields_.size());
  null_plain_ = opts_.null_string.find('\\') == std::string::npos;
}

positioned_error copy_parser::bad(std::string sqlstate, std::string message) const {
  return positioned_error{cs::pg_error{std::move(sqlstate), std::move(message),
                                       "COPY " + table_ + ", line " + std::to_string(line_)},
                          0};
}

std::optional<positioned_error> copy_parser::row() {
  // Fields in their order (a value that does not read fails first, as
  // PostgreSQL reads them), then NOT NULL.
  const size_t nf = fields_.size();
  for (size_t f = 0; f < nf; ++f) {
    auto c = static_cast<size_t>(fields_[f]);
    if (nulls_[f]) {
      batch_.append_null(c);
      continue;
    }
    const auto type = schema_.columns[c].type;
    std::string_view v = views_[f];
    if (type == cs::column_type::timestamptz || type == cs::column_type::timestamp) {
      // Rows of one tick share their time: read a repeated one once.
      auto& last = last_time_[f];
      if (last.read && v == last.text) {
        batch_.append_int(c, last.value);
        continue;
      }
    }
    std::string sqlstate;
    if (auto e = put_text(batch_, c, type, v, sqlstate))
      return bad(sqlstate, *e);
    if (type == cs::column_type::timestamptz || type == cs::column_type::timestamp) {
      auto& last = last_time_[f];
      last.text.assign(v);
      last.value = batch_.col(c).i64.back();
      last.read = true;
    }
  }
  for (auto [c, f] : not_null_)
    if (f < 0 || nulls_[static_cast<size_t>(f)])
      return not_null(c);
  for (size_t c : absent_)
    batch_.append_null(c);
  batch_.finish_row();
  return std::nullopt;
}

std::optional<positioned_error> copy_parser::line_end(size_t line_start, size_t k, bool csv,
                                                      size_t& bytes) {
  // PostgreSQL's rule: the first line's end (\n, \r\n or a lone \r) is
  // every line's; any other newline or carriage return outside a quoted
  // or escaped field is an error.
  auto refuse = [&](const char* what) {
    ++line_; // the line being read
    if (in_.substr(line_start, k - line_start) == "\\.")
      return bad("22P04", "end-of-copy marker does not match previous newline style");
    return bad("22P04", std::string{csv ? "unquoted " : "literal "} + what + " found in data");
  };
  bytes = 0;
  if (in_[k] == '\n') {
    if (eol_ == eol_style::unknown)
      eol_ = eol_style::nl;
    else if (eol_ != eol_style::nl)
      return refuse("newline");
    bytes = 1;
    return std::nullopt;
  }
  if (eol_ == eol_style::nl)
    return refuse("carriage return");
  if (eol_ == eol_style::cr) {
    bytes = 1;
    return std::nullopt;
  }
  if (k + 1 >= in_.size())
    return std::nullopt; // told by the next byte
  if (in_[k + 1] == '\n') {
    eol_ = eol_style::crlf;
    bytes = 2;
    return std::nullopt;
  }
  if (eol_ == eol_style::crlf)
    return refuse("carriage return");
  eol_ = eol_style::cr;
  bytes = 1;
  return std::nullopt;
}

std::optional<positioned_error> copy_parser::check_utf8(std::string_view text) const {
  if (auto e = utf8_error(text)) [[unlikely]]
    return bad(e->sqlstate, e->message);
  return std::nullopt;
}

positioned_error copy_parser::not_null(size_t c) const {
  return bad("23502", "null value in column \"" + schema_.columns[c].name + "\" of relation \""
                        + table_ + "\" violates not-null constraint");
}

std::optional<positioned_error> copy_parser::feed(std::string_view data) {
  if (ended_)
    return after_end(data);
  auto parse = [&](size_t& used) {
    return opts_.fmt == copy_options::format::binary ? binary_tuples(used)
                                                     : text_lines(false, used);
  };
  size_t used = 0;
  // A part row left by the last message is finished first, with as few of
  // the new bytes as complete it (clients cut CopyData anywhere: copying
  // each whole message behind its part row would copy every byte once more).
  if (!pending_.empty()) {
    if (pending_.size() + data.size() < retry_at_) {
      // A row longer than what came since the last try: it is read again
      // when twice as much is here, so a huge row is scanned a few times,
      // not once a message.
      pending_.append(data);
      return std::nullopt;
    }
    size_t part = pending_.size(); // pending_ is part's bytes, then data's first `taken`
    size_t taken = 0;
    for (size_t step = std::max<size_t>(part, 4096);; step *= 2) {
      size_t more = std::min(step, data.size() - taken);
      pending_.append(data.substr(taken, more));
      taken += more;
      in_ = pending_;
      used = 0;
      auto e = parse(used);
      in_ = {};
      if (!e && ended_) {
        // The end marker or trailer: what follows it.
        e = after_end(std::string_view{pending_}.substr(used));
        if (!e)
          e = after_end(data.substr(taken));
        pending_.clear();
        return e;
      }
      if (e) {
        pending_.erase(0, used);
        return e;
      }
      if (used >= part) {
        // Past the part row: the rest is read where it lies.
        data.remove_prefix(used - part);
        pending_.clear();
        retry_at_ = 0;
        break;
      }
      // Whole rows that waited behind a long one were read: not again.
      pending_.erase(0, used);
      part -= used;
      if (taken == data.size()) {
        retry_at_ = 2 * pending_.size();
        return std::nullopt;
      }
      // Still inside the part row: keep what was taken, take more.
    }
  }
  // Parsed where it lies; only a part row left at the end is kept.
  in_ = data;
  used = 0;
  auto e = parse(used);
  if (!e && ended_) {
    e = after_end(data.substr(used));
    used = data.size();
  }
  pending_.assign(in_.substr(used));
  in_ = {};
  return e;
}

std::optional<positioned_error> copy_parser::after_end(std::string_view data) {
  // Text after the end marker is ignored, as PostgreSQL ignores it; binary
  // data after the trailer is an error in PostgreSQL 15 (on the line after
  // the trailer's).
  if (opts_.fmt != copy_options::format::binary || data.empty())
    return std::nullopt;
  ++line_;
  return bad("22P04", "received copy data after EOF marker");
}

std::optional<positioned_error> copy_parser::finish() {
  if (ended_)
    return std::nullopt;
  if (!pending_.empty() && retry_at_ > 0) {
    // Rows that waited behind a long one, read now.
    retry_at_ = 0;
    if (auto e = feed({}))
      return e;
    if (ended_)
      return std::nullopt;
  }
  if (opts_.fmt == copy_options::format::binary) {
    if (!pending_.empty() || !binary_header_)
      return bad("22P04", "unexpected EOF in COPY data");
    return std::nullopt;
  }
  if (!pending_.empty()) {
    // The last line needs no end of its own: give it the data's.
    pending_ += eol_ == eol_style::crlf ? "\r\n" : eol_ == eol_style::cr ? "\r" : "\n";
    in_ = pending_;
    size_t used = 0;
    auto e = text_lines(true, used);
    pending_.erase(0, used);
    in_ = {};
    return e;
  }
  return std::nullopt;
}

std::optional<positioned_error> copy_parser::text_lines(bool /*at_end*/, size_t& used) {
  if (opts_.fmt != copy_options::format::csv)
    return text_rows(used);
  const size_t nf = fields_.size();
  size_t pos = 0;
  while (!ended_) {
    // Find the end of the next row: a newline outside quotes.
    size_t end = std::string::npos;
    bool in_quotes = false;
    for (size_t i = pos; i < in_.size(); ++i) {
      char ch = in_[i];
      if (in_quotes) {
        if (ch == opts_.escape && opts_.escape != opts_.quote && i + 1 < in_.size()
            && (in_[i + 1] == opts_.quote || in_[i + 1] == opts_.escape))
          ++i;
        else if (ch == opts_.quote)
          in_quotes = false;
      } else if (ch == opts_.quote) {
        in_quotes = true;
      } else if (ch == '\n' || ch == '\r') {
        end = i;
        break;
      }
    }
    if (end == std::string::npos)
      break;
    size_t eol_bytes = 0;
    if (auto e = line_end(pos, end, true, eol_bytes))
      return e;
    if (eol_bytes == 0)
      break; // a carriage return last: is a newline next?
    std::string_view line{in_.data() + pos, end - pos};
    pos = end + eol_bytes;
    ++line_;
    if (auto e = check_utf8(line))
      return e;
    if (!is_data(line))
      continue;
    // Split into fields.
    size_t f = 0;
    size_t i = 0;
    bool more = true;
    while (more) {
      if (f >= nf)
        return bad("22P04", "extra data after last expected column");
      std::string& cell = cells_[f];
      cell.clear();
      bool quoted = false;
      while (i < line.size() && line[i] != opts_.delimiter) {
        char ch = line[i];
        if (ch == opts_.quote) {
          quoted = true;
          ++i;
          while (i < line.size()) {
            if (line[i] == opts_.escape && i + 1 < line.size()
                && (line[i + 1] == opts_.quote
                    || (opts_.escape != opts_.quote && line[i + 1] == opts_.escape))) {
              cell.push_back(line[i + 1]);
              i += 2;
            } else if (line[i] == opts_.quote) {
              ++i;
              break;
            } else {
              cell.push_back(line[i++]);
            }
          }
        } else {
          cell.push_back(ch);
          ++i;
        }
      }
      nulls_[f] = !quoted && cell == opts_.null_string;
      views_[f] = cell;
      ++f;
      if (i < line.size() && line[i] == opts_.delimiter)
        ++i;
      else
        more = false;
    }
    if (auto e = take_row(f))
      return e;
  }
  used = pos;
  return std::nullopt;
}

std::optional<positioned_error> copy_parser::take_row(size_t f) {
  if (f > fields_.size())
    return bad("22P04", "extra data after last expected column");
  if (f < fields_.size())
    return missing(f);
  return row();
}

bool copy_parser::is_data(std::string_view line) {
  if (line == "\\.") {
    ended_ = true; // the loops stop at ended_
    return false;
  }
  if (opts_.header && !header_skipped_) {
    header_skipped_ = true;
    return false;
  }
  return true;
}

positioned_error copy_parser::missing(size_t f) const {
  return bad("22P04", "missing data for column \""
                        + schema_.columns[static_cast<size_t>(fields_[f])].name + "\"");
}

namespace {

/// Finds the bytes that end or escape a text-format field (the delimiter,
/// a newline or carriage return, a backslash) 64 at a time, as bits, the
/// way simdjson finds its structural characters: a row is scanned once,
/// not once for its end and again for its fields.
class special_bytes {
public:
  special_bytes(std::string_view in, char delimiter) : in_(in), delim_(delimiter) {}

  /// The first special byte at or after i; in.size() when there is none.
  size_t next(size_t i) noexcept {
    while (i < in_.size()) {
      size_t block = i & ~size_t{63};
      if (block != block_) {
        block_ = block;
        bits_ = mask_at(block);
      }
      uint64_t m = bits_ & (~uint64_t{0} << (i - block));
      if (m != 0)
        return block + static_cast<size_t>(std::countr_zero(m));
      i = block + 64;
    }
    return in_.size();
  }

private:
  uint64_t mask_at(size_t at) const noexcept {
    const char* p = in_.data() + at;
    if (at + 64 > in_.size()) {
      uint64_t m = 0;
      for (size_t k = 0; at + k < in_.size(); ++k)
        if (p[k] == delim_ || p[k] == '\n' || p[k] == '\r' || p[k] == '\\')
          m |= uint64_t{1} << k;
      return m;
    }
#if defined(__SSE2__)
    const __m128i d = _mm_set1_epi8(delim_);
    const __m128i nl = _mm_set1_epi8('\n');
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i bs = _mm_set1_epi8('\\');
    uint64_t m = 0;
    for (int k = 0; k < 4; ++k) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, d), _mm_cmpeq_epi8(x, nl)),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, bs)));
      m |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(hit))) << (16 * k);
    }
    return m;
#else
    uint64_t m = 0;
    for (size_t k = 0; k < 64; ++k)
      if (p[k] == delim_ || p[k] == '\n' || p[k] == '\r' || p[k] == '\\')
        m |= uint64_t{1} << k;
    return m;
#endif
  }

  std::string_view in_;
  char delim_;
  size_t block_ = ~size_t{0};
  uint64_t bits_ = 0;
};

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::optional<positioned_error> copy_parser::text_rows(size_t& used) {
  const size_t nf = fields_.size();
  const char delim = opts_.delimiter;
  special_bytes special{in_, delim};
  size_t pos = 0;
  while (!ended_) {
    // One pass over the row: its fields' ends, its end, and whether it
    // has a backslash (which also quotes the byte after it, a newline
    // too, as in PostgreSQL).
    size_t f = 0;
    size_t start = pos;
    size_t i = pos;
    size_t end = in_.size();
    bool escaped = false;
    for (;;) {
      size_t k = special.next(i);
      if (k >= in_.size())
        break;
      char ch = in_[k];
      if (ch == '\n' || ch == '\r') {
        end = k;
        break;
      }
      if (ch == '\\') {
        escaped = true;
        i = k + 2;
        continue;
      }
      if (f < nf)
        views_[f] = std::string_view{in_.data() + start, k - start};
      ++f;
      start = k + 1;
      i = k + 1;
    }
    if (end >= in_.size())
      break; // the row's end is in a later message
    size_t eol_bytes = 0;
    if (auto e = line_end(pos, end, false, eol_bytes))
      return e;
    if (eol_bytes == 0)
      break; // a carriage return last: is a newline next?
    std::string_view line{in_.data() + pos, end - pos};
    const size_t last_end = end;
    pos = end + eol_bytes;
    ++line_;
    if (auto e = check_utf8(line))
      return e;
    if (!is_data(line))
      continue;
    if (escaped) {
      f = split_escaped(line);
      if (f == end_marker_inside)
        return bad("22P04", "end-of-copy marker corrupt");
      // Octal and hex escapes make bytes of their own: PostgreSQL checks
      // the fields they made.
      for (size_t j = 0; j < std::min(f, nf); ++j)
        if (!nulls_[j])
          if (auto e = check_utf8(views_[j]))
            return e;
    } else {
      if (f < nf)
        views_[f] = std::string_view{in_.data() + start, last_end - start};
      ++f;
      if (f <= nf) {
        // A field with no backslash is NULL only where the NULL string
        // has none either (the default \N has one).
        for (size_t j = 0; j < f; ++j)
          nulls_[j] = null_plain_ && views_[j] == opts_.null_string;
      }
    }
    if (auto e = take_row(f))
      return e;
  }
  used = pos;
  return std::nullopt;
}

size_t copy_parser::split_escaped(std::string_view line) {
  // PostgreSQL's text format: \b \f \n \r \t \v, octal \ooo (one to
  // three digits), hex \xhh (one or two digits); any other byte after a
  // backslash is itself. NULL is the field's raw text equal to the NULL
  // string, before any of that.
  const size_t nf = fields_.size();
  size_t f = 0;
  size_t i = 0;
  for (;;) {
    if (f >= nf)
      return nf + 1;
    std::string& cell = cells_[f];
    cell.clear();
    size_t start = i;
    while (i < line.size() && line[i] != opts_.delimiter) {
      char ch = line[i++];
      if (ch != '\\' || i >= line.size()) {
        cell.push_back(ch);
        continue;
      }
      char n = line[i++];
      switch (n) {
        case 'b': cell.push_back('\b'); break;
        case 'f': cell.push_back('\f'); break;
        case 'n': cell.push_back('\n'); break;
        case 'r': cell.push_back('\r'); break;
        case 't': cell.push_back('\t'); break;
        case 'v': cell.push_back('\v'); break;
        case 'x': {
          int h = i < line.size() ? hex_digit(line[i]) : -1;
          if (h < 0) {
            cell.push_back('x');
            break;
          }
          ++i;
          if (i < line.size() && hex_digit(line[i]) >= 0)
            h = h * 16 + hex_digit(line[i++]);
          cell.push_back(static_cast<char>(h));
          break;
        }
        case '.':
          return end_marker_inside; // "\." only on a line of its own
        default:
          if (n >= '0' && n <= '7') {
            int v = n - '0';
            for (int k = 0; k < 2 && i < line.size() && line[i] >= '0' && line[i] <= '7'; ++k)
              v = v * 8 + (line[i++] - '0');
            cell.push_back(static_cast<char>(v & 0xff));
          } else {
            cell.push_back(n);
          }
      }
    }
    nulls_[f] = line.substr(start, i - start) == opts_.null_string;
    views_[f] = cell;
    ++f;
    if (i >= line.size())
      return f;
    ++i; // the delimiter
  }
}

std::optional<positioned_error> copy_parser::binary_tuples(size_t& used) {
  size_t pos = 0;
  if (!binary_header_) {
    if (in_.size() < 19)
      return std::nullopt;
    if (std::memcmp(in_.data(), binary_signature, 11) != 0)
      return bad("22P04", "COPY file signature not recognized");
    int32_t ext = be32(in_.data() + 15);
    if (ext < 0)
      return bad("22P04", "invalid COPY file header (missing length)");
    if (in_.size() < 19 + static_cast<size_t>(ext))
      return std::nullopt;
    pos = 19 + static_cast<size_t>(ext);
    binary_header_ = true;
  }
  const size_t nf = fields_.size();
  std::vector<std::pair<int32_t, size_t>> spans(nf);
  while (!ended_) {
    if (in_.size() - pos < 2)
      break;
    int16_t count = be16(in_.data() + pos);
    if (count == -1) {
      ended_ = true;
      pos += 2;
      break;
    }
    if (count != static_cast<int16_t>(nf))
      return bad("22P04", "row field count is " + std::to_string(count) + ", expected "
                            + std::to_string(nf));
    // The whole tuple must be here before any of it is used.
    size_t p = pos + 2;
    bool complete = true;
    for (size_t f = 0; f < nf; ++f) {
      if (in_.size() - p < 4) {
        complete = false;
        break;
      }
      int32_t len = be32(in_.data() + p);
      p += 4;
      if (len < -1)
        return bad("22P04", "invalid field size");
      spans[f] = {len, p};
      if (len > 0) {
        if (in_.size() - p < static_cast<size_t>(len)) {
          complete = false;
          break;
        }
        p += static_cast<size_t>(len);
      }
    }
    if (!complete)
      break;
    ++line_;
    // Fields in the order they come (a field PostgreSQL cannot read fails
    // before a NOT NULL column is checked), then the columns no field fills.
    for (size_t f = 0; f < nf; ++f) {
      auto [len, at] = spans[f];
      const auto [c, kind] = binary_fields_[f];
      if (len == -1) {
        batch_.append_null(c);
        continue;
      }
      const char* d = in_.data() + at;
      auto wrong_size = [&] { return bad("22P03", "incorrect binary data format"); };
      switch (kind) {
        case binary_kind::time:
          if (len != 8)
            return wrong_size();
          batch_.append_i64(c, from_pg_time(be64(d)));
          break;
        case binary_kind::int8:
          if (len == 8)
            batch_.append_i64(c, be64(d));
          else if (len == 4)
            batch_.append_i64(c, be32(d));
          else
            return wrong_size();
          break;
        case binary_kind::int4:
          if (len != 4)
            return wrong_size();
          batch_.append_i32(c, be32(d));
          break;
        case binary_kind::int2:
          if (len != 2)
            return wrong_size();
          batch_.append_i32(c, be16(d));
          break;
        case binary_kind::float8: {
          if (len != 8)
            return wrong_size();
          uint64_t bits = static_cast<uint64_t>(be64(d));
          double x;
          std::memcpy(&x, &bits, 8);
          batch_.append_f64(c, x);
          break;
        }
        case binary_kind::float4: {
          if (len != 4)
            return wrong_size();
          auto bits = static_cast<uint32_t>(be32(d));
          float x;
          std::memcpy(&x, &bits, 4);
          batch_.append_f64(c, x);
          break;
        }
        case binary_kind::boolean:
          if (len != 1)
            return wrong_size();
          batch_.append_u8(c, d[0] != 0);
          break;
        case binary_kind::text: {
          std::string_view text{d, static_cast<size_t>(len)};
          if (auto e = check_utf8(text))
            return e;
          batch_.append_text(c, text);
          break;
        }
      }
    }
    for (auto [c, f] : not_null_)
      if (f < 0 || spans[static_cast<size_t>(f)].first == -1)
        return not_null(c);
    for (size_t c : absent_)
      batch_.append_null(c);
    batch_.finish_row();
    pos = p;
  }
  used = pos;
  return std::nullopt;
}

std::optional<positioned_error> set_copy_option(copy_options& o, std::string_view name,
                                                std::string_view value) {
  auto err = [&](std::string m) {
    return positioned_error{cs::pg_error{"22023", std::move(m), {}}, 0};
  };
  if (name == "format") {
    if (value == "text")
      o.fmt = copy_options::format::text;
    else if (value == "csv") {
      o.fmt = copy_options::format::csv;
      o.delimiter = ',';
      o.null_string.clear();
    } else if (value == "binary")
      o.fmt = copy_options::format::binary;
    else
      return err("COPY format \"" + std::string{value} + "\" not recognized");
  } else if (name == "delimiter") {
    if (value.size() != 1)
      return err("COPY delimiter must be a single one-byte character");
    o.delimiter = value[0];
  } else if (name == "null") {
    o.null_string = std::string{value};
  } else if (name == "header") {
    o.header = value == "true" || value == "on" || value == "1" || value.empty();
  } else if (name == "quote") {
    if (value.size() != 1)
      return err("COPY quote must be a single one-byte character");
    o.quote = value[0];
  } else if (name == "escape") {
    if (value.size() != 1)
      return err("COPY escape must be a single one-byte character");
    o.escape = value[0];
  } else {
    return positioned_error{cs::pg_error{"42601", "option \"" + std::string{name}
                                                    + "\" not recognized", {}}, 0};
  }
  return std::nullopt;
}

std::string copy_out_row(const std::vector<std::optional<std::string>>& cells,
                         const copy_options& o) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0)
      out.push_back(o.delimiter);
    if (!cells[i]) {
      out += o.null_string;
      continue;
    }
    const std::string& v = *cells[i];
    if (o.fmt == copy_options::format::csv) {
      bool quote = v.empty() ? !o.null_string.empty() ? false : true
                             : v.find_first_of(std::string{o.delimiter, o.quote, '\n', '\r'})
                                 != std::string::npos;
      if (v == o.null_string)
        quote = true;
      if (!quote) {
        out += v;
        continue;
      }
      out.push_back(o.quote);
      for (char ch : v) {
        if (ch == o.quote || ch == o.escape)
          out.push_back(o.escape);
        out.push_back(ch);
      }
      out.push_back(o.quote);
      continue;
    }
    for (char ch : v) {
      switch (ch) {
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (ch == o.delimiter) {
            out.push_back('\\');
          }
          out.push_back(ch);
      }
    }
  }
  out.push_back('\n');
  return out;
}

} // namespace hypertide::planner
