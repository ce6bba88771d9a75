#include "planner/copy_format.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

#include "planner/datetime.hpp"

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
  field_of_column_.assign(schema.columns.size(), -1);
  for (size_t i = 0; i < fields_.size(); ++i)
    field_of_column_[static_cast<size_t>(fields_[i])] = static_cast<int>(i);
  cells_.resize(fields_.size());
  nulls_.resize(fields_.size());
}

positioned_error copy_parser::bad(std::string sqlstate, std::string message) const {
  return positioned_error{cs::pg_error{std::move(sqlstate), std::move(message),
                                       "COPY " + table_ + ", line " + std::to_string(line_)},
                          0};
}

std::optional<positioned_error> copy_parser::row(const std::vector<std::string>& cells,
                                                 const std::vector<bool>& nulls) {
  for (size_t c = 0; c < schema_.columns.size(); ++c) {
    int f = field_of_column_[c];
    if (f < 0 || nulls[static_cast<size_t>(f)]) {
      if (schema_.columns[c].not_null)
        return bad("23502", "null value in column \"" + schema_.columns[c].name + "\" of relation \""
                              + table_ + "\" violates not-null constraint");
      batch_.append_null(c);
      continue;
    }
    std::string sqlstate;
    if (auto e = put_text(batch_, c, schema_.columns[c].type, cells[static_cast<size_t>(f)], sqlstate))
      return bad(sqlstate, *e);
  }
  batch_.finish_row();
  return std::nullopt;
}

std::optional<positioned_error> copy_parser::feed(std::string_view data) {
  if (ended_)
    return std::nullopt;
  // Parsed where it lies; only a part row left at the end is kept.
  if (pending_.empty()) {
    in_ = data;
  } else {
    pending_.append(data);
    in_ = pending_;
  }
  size_t used = 0;
  auto e = opts_.fmt == copy_options::format::binary ? binary_tuples(used)
                                                     : text_lines(false, used);
  if (in_.data() == pending_.data())
    pending_.erase(0, used);
  else
    pending_.assign(in_.substr(used));
  in_ = {};
  return e;
}

std::optional<positioned_error> copy_parser::finish() {
  if (ended_)
    return std::nullopt;
  if (opts_.fmt == copy_options::format::binary) {
    if (!pending_.empty() || !binary_header_)
      return bad("22P04", "unexpected EOF in COPY data");
    return std::nullopt;
  }
  if (!pending_.empty()) {
    pending_.push_back('\n');
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
  const bool csv = opts_.fmt == copy_options::format::csv;
  const size_t nf = fields_.size();
  size_t pos = 0;
  while (!ended_) {
    // Find the end of the next row: a newline outside quotes (CSV).
    size_t end = std::string::npos;
    if (csv) {
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
        } else if (ch == '\n') {
          end = i;
          break;
        }
      }
    } else {
      end = in_.find('\n', pos);
    }
    if (end == std::string::npos)
      break;
    std::string_view line{in_.data() + pos, end - pos};
    pos = end + 1;
    ++line_;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line == "\\.") {
      ended_ = true;
      break;
    }
    if (opts_.header && !header_skipped_) {
      header_skipped_ = true;
      continue;
    }
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
      if (csv) {
        while (i < line.size() && line[i] != opts_.delimiter) {
          char ch = line[i];
          if (ch == opts_.quote) {
            quoted = true;
            ++i;
            while (i < line.size()) {
              if (line[i] == opts_.escape && i + 1 < line.size()
                  && (line[i + 1] == opts_.quote || (opts_.escape != opts_.quote && line[i + 1] == opts_.escape))) {
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
      } else {
        size_t start = i;
        bool escaped = false;
        // The common field has no backslash: one copy of its bytes.
        while (i < line.size() && line[i] != opts_.delimiter && line[i] != '\\')
          ++i;
        cell.assign(line.data() + start, i - start);
        while (i < line.size() && line[i] != opts_.delimiter) {
          if (line[i] == '\\' && i + 1 < line.size()) {
            escaped = true;
            char n = line[i + 1];
            switch (n) {
              case 'b': cell.push_back('\b'); break;
              case 'f': cell.push_back('\f'); break;
              case 'n': cell.push_back('\n'); break;
              case 'r': cell.push_back('\r'); break;
              case 't': cell.push_back('\t'); break;
              case 'v': cell.push_back('\v'); break;
              default: cell.push_back(n);
            }
            i += 2;
          } else {
            cell.push_back(line[i++]);
          }
        }
        std::string_view raw{line.data() + start, i - start};
        nulls_[f] = raw.size() == opts_.null_string.size()
                    && (raw.empty() || raw[0] == opts_.null_string[0]) && raw == opts_.null_string;
        (void) escaped;
      }
      ++f;
      if (i < line.size() && line[i] == opts_.delimiter)
        ++i;
      else
        more = false;
    }
    if (f < nf)
      return bad("22P04", "missing data for column \""
                            + schema_.columns[static_cast<size_t>(fields_[f])].name + "\"");
    if (auto e = row(cells_, nulls_))
      return e;
  }
  used = pos;
  return std::nullopt;
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
    for (size_t c = 0; c < schema_.columns.size(); ++c) {
      int f = field_of_column_[c];
      const auto& col = schema_.columns[c];
      if (f < 0 || spans[static_cast<size_t>(f)].first == -1) {
        if (col.not_null)
          return bad("23502", "null value in column \"" + col.name + "\" of relation \"" + table_
                                + "\" violates not-null constraint");
        batch_.append_null(c);
        continue;
      }
      auto [len, at] = spans[static_cast<size_t>(f)];
      const char* d = in_.data() + at;
      auto size_is = [&](int32_t want) { return len == want; };
      switch (col.type) {
        case cs::column_type::timestamptz:
        case cs::column_type::timestamp:
          if (!size_is(8))
            return bad("22P03", "incorrect binary data format");
          batch_.append_int(c, from_pg_time(be64(d)));
          break;
        case cs::column_type::int8:
          if (size_is(8))
            batch_.append_int(c, be64(d));
          else if (size_is(4))
            batch_.append_int(c, be32(d));
          else
            return bad("22P03", "incorrect binary data format");
          break;
        case cs::column_type::int4:
          if (col.sql_oid == 21) { // smallint: int2 on the wire
            if (!size_is(2))
              return bad("22P03", "incorrect binary data format");
            batch_.append_int(c, static_cast<int16_t>(static_cast<uint16_t>(
                                   (static_cast<uint8_t>(d[0]) << 8) | static_cast<uint8_t>(d[1]))));
            break;
          }
          if (!size_is(4))
            return bad("22P03", "incorrect binary data format");
          batch_.append_int(c, be32(d));
          break;
        case cs::column_type::float8: {
          if (col.sql_oid == 700) { // real: float4 on the wire
            if (!size_is(4))
              return bad("22P03", "incorrect binary data format");
            auto bits = static_cast<uint32_t>(be32(d));
            float f;
            std::memcpy(&f, &bits, 4);
            batch_.append_float(c, f);
            break;
          }
          if (!size_is(8))
            return bad("22P03", "incorrect binary data format");
          uint64_t bits = static_cast<uint64_t>(be64(d));
          double x;
          std::memcpy(&x, &bits, 8);
          batch_.append_float(c, x);
          break;
        }
        case cs::column_type::boolean:
          if (!size_is(1))
            return bad("22P03", "incorrect binary data format");
          batch_.append_int(c, d[0] != 0);
          break;
        case cs::column_type::text:
          batch_.append_text(c, std::string_view{d, static_cast<size_t>(len)});
          break;
      }
    }
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
