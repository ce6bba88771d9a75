#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "planner/copy_format.hpp"
#include "planner/datetime.hpp"

namespace cs = hypertide::chunkstore;
namespace planner = hypertide::planner;

namespace {

cs::table_schema text_columns(size_t n) {
  cs::table_schema schema;
  for (size_t i = 0; i < n; ++i)
    schema.columns.push_back(cs::column_def{"c" + std::to_string(i), cs::column_type::text, false});
  return schema;
}

std::vector<int> all_fields(size_t n) {
  std::vector<int> f;
  for (size_t i = 0; i < n; ++i)
    f.push_back(static_cast<int>(i));
  return f;
}

/// One text-format field for `v` (NULL: \N), escaped as PostgreSQL may
/// write or a user may type it: named escapes, octal, hex, or a backslash
/// before a byte that needs none.
std::string encode_field(const std::optional<std::string>& v, std::mt19937& rng) {
  if (!v)
    return "\\N";
  std::string out;
  // Most fields only escape what must be (and most rows then have no
  // backslash at all); some spell bytes other ways too.
  const bool fancy = rng() % 8 == 0;
  for (char ch : *v) {
    unsigned pick = fancy ? rng() % 8 : 7;
    switch (ch) {
      case '\t': out += pick < 4 ? "\\t" : "\\011"; break;
      case '\n': out += pick < 4 ? "\\n" : "\\x0a"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (pick == 0 && std::string_view{"acyz9 -_"}.find(ch) != std::string_view::npos) {
          out += '\\';
          out += ch; // a backslash before an ordinary byte is the byte
        } else if (pick == 1) {
          char oct[5];
          std::snprintf(oct, sizeof oct, "\\%03o", static_cast<unsigned char>(ch));
          out += oct;
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::optional<std::string> random_value(std::mt19937& rng, bool long_fields) {
  unsigned kind = rng() % 10;
  if (kind == 0)
    return std::nullopt;
  static const std::string alphabet = "abcxyz019 .-_N\t\n\r\\";
  // Lengths past 64 bytes put fields and rows across the scanner's blocks;
  // rows past 4 KiB across the parts of a message that finish a part row.
  size_t len = kind < 7 ? rng() % 12 : rng() % (long_fields ? 5000 : 150);
  std::string s;
  for (size_t i = 0; i < len; ++i) {
    // Mostly plain bytes: most rows take the fast path.
    bool special = rng() % 20 == 0;
    s += special ? alphabet[14 + rng() % 4] : alphabet[rng() % 14];
  }
  return s;
}

/// `x` as `bytes` big-endian bytes.
void be(std::string& out, uint64_t x, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

/// PGCOPY signature, flags and an empty header extension.
std::string binary_header() {
  std::string h{"PGCOPY\n\xff\r\n\0", 11};
  be(h, 0, 4);
  be(h, 0, 4);
  return h;
}

/// Feeds `data` in pieces of random sizes up to `max_piece`, as CopyData
/// messages arrive.
std::optional<planner::positioned_error> feed_in_pieces(planner::copy_parser& p,
                                                        const std::string& data,
                                                        std::mt19937& rng, size_t max_piece) {
  size_t at = 0;
  while (at < data.size()) {
    size_t n = std::min(data.size() - at, size_t{1} + rng() % max_piece);
    if (auto e = p.feed(std::string_view{data}.substr(at, n)))
      return e;
    at += n;
  }
  return p.finish();
}

} // namespace

BOOST_AUTO_TEST_SUITE(copy_text)

BOOST_AUTO_TEST_CASE(random_rows_read_back_whatever_the_escapes_and_message_cuts) {
  // The text reader finds field and row ends 64 bytes at a time and takes
  // rows without a backslash in place; rows with one go the byte-wise
  // way. Both, across block and message boundaries, must read what was
  // written.
  std::mt19937 rng(20261126);
  for (int round = 0; round < 40; ++round) {
    size_t ncols = 1 + rng() % 6;
    auto schema = text_columns(ncols);
    std::vector<std::vector<std::optional<std::string>>> rows;
    std::string data;
    size_t nrows = 1 + rng() % 200;
    bool crlf = round % 5 == 0;
    // Every fourth round: rows of kilobytes, messages of up to 30 KiB.
    bool large = round % 4 == 1;
    for (size_t r = 0; r < nrows; ++r) {
      std::vector<std::optional<std::string>> row;
      for (size_t c = 0; c < ncols; ++c) {
        row.push_back(random_value(rng, large));
        if (c > 0)
          data += '\t';
        data += encode_field(row.back(), rng);
      }
      data += crlf ? "\r\n" : "\n";
      rows.push_back(std::move(row));
    }
    if (round % 2 == 0)
      data += crlf ? "\\.\r\n" : "\\.\n"; // the end marker in the data's line end
    planner::copy_parser p{schema, all_fields(ncols), planner::copy_options{}, "t"};
    auto e = feed_in_pieces(p, data, rng, large ? 30000 : 300);
    BOOST_REQUIRE_MESSAGE(!e, (e ? e->error.message : ""));
    const auto& b = p.batch();
    BOOST_REQUIRE_EQUAL(b.rows(), nrows);
    for (size_t r = 0; r < nrows; ++r)
      for (size_t c = 0; c < ncols; ++c) {
        auto got = b.at(r, c);
        if (!rows[r][c]) {
          BOOST_CHECK_MESSAGE(got.is_null, "round " << round << " row " << r << " col " << c);
        } else {
          BOOST_REQUIRE(!got.is_null);
          BOOST_CHECK_MESSAGE(got.s == *rows[r][c], "round " << round << " row " << r << " col "
                                                               << c << ": '" << got.s << "'");
        }
      }
  }
}

BOOST_AUTO_TEST_CASE(escapes_read_as_postgresql_15_reads_them) {
  // Checked against PostgreSQL 15 with the same input:
  // octal, hex of one or two digits, \x without a digit, a backslash
  // before a newline (the newline is data), \N only as the whole field.
  auto schema = text_columns(2);
  planner::copy_parser p{schema, all_fields(2), planner::copy_options{}, "t"};
  std::string in = "x\\101y\tz\\x41\\x4q\\xg\n"
                   "line\\\ncont\tb\n"
                   "\\N\t\\Nx\n"
                   "\\\\.\t\\.\\.x\n";
  auto e = p.feed(in.substr(0, in.size() - 12));
  BOOST_REQUIRE(!e);
  // "\." inside a line is not data: PostgreSQL 15 says the end marker is
  // corrupt.
  e = p.feed(in.substr(in.size() - 12));
  BOOST_REQUIRE(e.has_value());
  BOOST_CHECK_EQUAL(e->error.sqlstate, "22P04");
  BOOST_CHECK_EQUAL(e->error.message, "end-of-copy marker corrupt");
  const auto& b = p.batch();
  BOOST_REQUIRE_EQUAL(b.rows(), 3u);
  BOOST_CHECK_EQUAL(b.at(0, 0).s, "xAy");
  BOOST_CHECK_EQUAL(b.at(0, 1).s, std::string("zA\x04qxg"));
  BOOST_CHECK_EQUAL(b.at(1, 0).s, "line\ncont");
  BOOST_CHECK_EQUAL(b.at(1, 1).s, "b");
  BOOST_CHECK(b.at(2, 0).is_null);
  BOOST_CHECK_EQUAL(b.at(2, 1).s, "Nx");
}

BOOST_AUTO_TEST_CASE(a_null_string_without_a_backslash_matches_plain_fields) {
  auto schema = text_columns(2);
  planner::copy_options o;
  o.null_string = "NULL";
  o.delimiter = '|';
  planner::copy_parser p{schema, all_fields(2), o, "t"};
  BOOST_REQUIRE(!p.feed("NULL|NULLx\n\\NULL|\\N\n"));
  BOOST_REQUIRE(!p.finish());
  const auto& b = p.batch();
  BOOST_REQUIRE_EQUAL(b.rows(), 2u);
  BOOST_CHECK(b.at(0, 0).is_null);
  BOOST_CHECK_EQUAL(b.at(0, 1).s, "NULLx");
  // The raw text is compared: an escaped N is not the NULL string.
  BOOST_CHECK_EQUAL(b.at(1, 0).s, "NULL");
  BOOST_CHECK_EQUAL(b.at(1, 1).s, "N");
}

BOOST_AUTO_TEST_CASE(times_repeated_row_after_row_read_like_new_ones) {
  // A tick's rows share their time text; the reader keeps the last one.
  cs::table_schema schema;
  schema.columns = {cs::column_def{"time", cs::column_type::timestamptz, true},
                    cs::column_def{"host", cs::column_type::text, false},
                    cs::column_def{"v", cs::column_type::float8, false}};
  planner::copy_parser p{schema, {0, 1}, planner::copy_options{}, "t"};
  std::string in = "2016-01-01 00:00:00+00\ta\n"
                   "2016-01-01 00:00:00+00\tb\n"
                   "2016-01-01 00:00:10+00\ta\n"
                   "2016-01-01 01:00:10+01\tb\n"
                   "2016-01-01 00:00:10+00\tc\n";
  BOOST_REQUIRE(!p.feed(in));
  BOOST_REQUIRE(!p.finish());
  const auto& b = p.batch();
  BOOST_REQUIRE_EQUAL(b.rows(), 5u);
  auto at = [](const char* s) { return *planner::parse_timestamptz(s); };
  BOOST_CHECK_EQUAL(b.at(0, 0).i, at("2016-01-01 00:00:00+00"));
  BOOST_CHECK_EQUAL(b.at(1, 0).i, at("2016-01-01 00:00:00+00"));
  BOOST_CHECK_EQUAL(b.at(2, 0).i, at("2016-01-01 00:00:10+00"));
  BOOST_CHECK_EQUAL(b.at(3, 0).i, at("2016-01-01 00:00:10+00"));
  BOOST_CHECK_EQUAL(b.at(4, 0).i, at("2016-01-01 00:00:10+00"));
  BOOST_CHECK(b.at(4, 2).is_null); // a column the COPY does not name
  // A bad time after a good one is still refused.
  planner::copy_parser q{schema, {0, 1}, planner::copy_options{}, "t"};
  auto e = q.feed("2016-01-01 00:00:00+00\ta\n2016-01-01 00:00:00+0x\tb\n");
  BOOST_REQUIRE(e.has_value());
  BOOST_CHECK_EQUAL(e->error.sqlstate, "22007");
}

BOOST_AUTO_TEST_CASE(rows_of_the_wrong_width_and_nulls_in_not_null_columns_fail) {
  cs::table_schema schema;
  schema.columns = {cs::column_def{"time", cs::column_type::timestamptz, true},
                    cs::column_def{"v", cs::column_type::float8, false},
                    cs::column_def{"host", cs::column_type::text, true}};
  auto fails = [&](std::vector<int> fields, const std::string& in, const char* state,
                   const std::string& message) {
    planner::copy_parser p{schema, std::move(fields), planner::copy_options{}, "t"};
    auto e = p.feed(in);
    if (!e)
      e = p.finish();
    BOOST_REQUIRE_MESSAGE(e.has_value(), in);
    BOOST_CHECK_EQUAL(e->error.sqlstate, state);
    BOOST_CHECK_EQUAL(e->error.message, message);
  };
  fails({0, 1, 2}, "2016-01-01\t1\th\tx\n", "22P04", "extra data after last expected column");
  fails({0, 1, 2}, "2016-01-01\t1\\t\th\tx\n", "22P04", "extra data after last expected column");
  fails({0, 1, 2}, "2016-01-01\t1\n", "22P04", "missing data for column \"host\"");
  fails({0, 1, 2}, "2016-01-01\t1\\\\\n", "22P04", "missing data for column \"host\"");
  fails({0, 1, 2}, "2016-01-01\tx\t\\N\n", "22P02",
        "invalid input syntax for type double precision: \"x\"");
  fails({0, 1, 2}, "2016-01-01\t1\t\\N\n", "23502",
        "null value in column \"host\" of relation \"t\" violates not-null constraint");
  fails({0, 1}, "2016-01-01\t1\n", "23502",
        "null value in column \"host\" of relation \"t\" violates not-null constraint");
  // Two NULLs in NOT NULL columns: the first in table order is named,
  // whatever the order of the fields (PostgreSQL 15: COPY nn (b, a) with
  // \N\t\N names a).
  fails({2, 0, 1}, "\\N\t\\N\t1\n", "23502",
        "null value in column \"time\" of relation \"t\" violates not-null constraint");
  fails({2, 1}, "\\N\t1\n", "23502",
        "null value in column \"time\" of relation \"t\" violates not-null constraint");
}

BOOST_AUTO_TEST_CASE(line_ends_follow_the_first_lines_as_in_postgresql) {
  // PostgreSQL 15: the first line's end (\n, \r\n or a lone \r) is every
  // line's; another one outside an escape or quotes is 22P04.
  auto schema = text_columns(2);
  auto read = [&](const std::string& data, bool csv, size_t piece) {
    planner::copy_options o;
    if (csv) {
      o.fmt = planner::copy_options::format::csv;
      o.delimiter = ',';
      o.null_string.clear();
    }
    auto p = std::make_unique<planner::copy_parser>(schema, all_fields(2), o, "t");
    std::optional<planner::positioned_error> e;
    for (size_t at = 0; at < data.size() && !e; at += piece)
      e = p->feed(std::string_view{data}.substr(at, piece));
    if (!e)
      e = p->finish();
    return std::pair{std::move(p), e};
  };
  for (size_t piece : {size_t{1}, size_t{2}, size_t{1000}}) {
    for (bool csv : {false, true}) {
      std::string sep = csv ? "," : "\t";
      for (std::string eol : {"\n", "\r\n", "\r"}) {
        // Every style reads, the last line with or without its end.
        for (bool last_eol : {true, false}) {
          std::string data = "a" + sep + "b" + eol + "c" + sep + "d" + (last_eol ? eol : "");
          auto [p, e] = read(data, csv, piece);
          BOOST_REQUIRE_MESSAGE(!e, (e ? e->error.message : "") << " piece " << piece);
          BOOST_REQUIRE_EQUAL(p->batch().rows(), 2u);
          BOOST_CHECK_EQUAL(p->batch().at(1, 1).s, "d");
        }
      }
      const std::string lit = csv ? "unquoted " : "literal ";
      struct bad_case {
        std::string data, message, line;
      };
      for (const auto& [data, message, line] : std::vector<bad_case>{
             {"a" + sep + "b\nc\rd" + sep + "e\n", lit + "carriage return found in data", "line 2"},
             {"a" + sep + "b\r\nc" + sep + "d\n", lit + "newline found in data", "line 2"},
             {"a" + sep + "b\r\nc\rx" + sep + "d\r\n", lit + "carriage return found in data", "line 2"},
             {"a" + sep + "b\rc" + sep + "d\r\n", lit + "newline found in data", "line 3"},
             {"a" + sep + "b\nc" + sep + "d\r\n", lit + "carriage return found in data", "line 2"},
             {"a" + sep + "b\r\n\\.\n", "end-of-copy marker does not match previous newline style",
              "line 2"}}) {
        auto [p, e] = read(data, csv, piece);
        BOOST_REQUIRE_MESSAGE(e.has_value(), data);
        BOOST_CHECK_EQUAL(e->error.sqlstate, "22P04");
        BOOST_CHECK_EQUAL(e->error.message, message);
        BOOST_CHECK_MESSAGE(e->error.detail.find(line) != std::string::npos, e->error.detail);
      }
    }
  }
  // Escaped (text) or quoted (CSV), they are data.
  auto [p, e] = read("a\\\rb\tc\\\nd\n", false, 1000);
  BOOST_REQUIRE(!e);
  BOOST_CHECK_EQUAL(p->batch().at(0, 0).s, "a\rb");
  BOOST_CHECK_EQUAL(p->batch().at(0, 1).s, "c\nd");
  auto [q, f] = read("\"a\rb\",\"c\nd\"\r\n", true, 1000);
  BOOST_REQUIRE(!f);
  BOOST_CHECK_EQUAL(q->batch().at(0, 0).s, "a\rb");
  BOOST_CHECK_EQUAL(q->batch().at(0, 1).s, "c\nd");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(copy_binary)

BOOST_AUTO_TEST_CASE(random_tuples_read_back_whatever_the_message_cuts) {
  // A tuple cut by a message boundary is finished with as few of the next
  // message's bytes as it needs and the rest is read in place: tuples of a
  // few bytes to tens of kilobytes, messages of one byte to 40 KiB.
  std::mt19937 rng(20261127);
  for (int round = 0; round < 30; ++round) {
    cs::table_schema schema;
    schema.columns.push_back(cs::column_def{"n", cs::column_type::int8, false});
    schema.columns.push_back(cs::column_def{"s", cs::column_type::text, false});
    std::vector<std::pair<std::optional<int64_t>, std::optional<std::string>>> rows;
    std::string data = binary_header();
    size_t nrows = 1 + rng() % 300;
    size_t max_len = round % 3 == 0 ? 40000 : 40;
    for (size_t r = 0; r < nrows; ++r) {
      std::optional<int64_t> n;
      if (rng() % 8 != 0)
        n = static_cast<int64_t>(rng()) - (int64_t{1} << 31);
      std::optional<std::string> str;
      if (rng() % 8 != 0)
        str = std::string(rng() % max_len, static_cast<char>('a' + rng() % 26));
      be(data, 2, 2);
      if (n) {
        be(data, 8, 4);
        be(data, static_cast<uint64_t>(*n), 8);
      } else {
        be(data, 0xffffffff, 4);
      }
      if (str) {
        be(data, str->size(), 4);
        data += *str;
      } else {
        be(data, 0xffffffff, 4);
      }
      rows.emplace_back(n, str);
    }
    be(data, 0xffff, 2);
    planner::copy_options o;
    o.fmt = planner::copy_options::format::binary;
    planner::copy_parser p{schema, all_fields(2), o, "t"};
    auto e = feed_in_pieces(p, data, rng, round % 2 == 0 ? 40000 : 50);
    BOOST_REQUIRE_MESSAGE(!e, (e ? e->error.message : ""));
    const auto& b = p.batch();
    BOOST_REQUIRE_EQUAL(b.rows(), nrows);
    for (size_t r = 0; r < nrows; ++r) {
      auto n = b.at(r, 0);
      auto str = b.at(r, 1);
      BOOST_REQUIRE_EQUAL(n.is_null, !rows[r].first);
      if (rows[r].first)
        BOOST_CHECK_EQUAL(n.i, *rows[r].first);
      BOOST_REQUIRE_EQUAL(str.is_null, !rows[r].second);
      if (rows[r].second)
        BOOST_CHECK_MESSAGE(str.s == *rows[r].second, "round " << round << " row " << r);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_row_of_megabytes_and_the_rows_behind_it_in_small_messages) {
  // A part row is read again only when twice as much has come (else a
  // huge row is scanned once a message); rows that arrive behind it while
  // it waits, the trailer among them, are read once, in order.
  cs::table_schema schema;
  schema.columns = {cs::column_def{"n", cs::column_type::int8, false},
                    cs::column_def{"s", cs::column_type::text, false}};
  const std::string huge(3'000'000, 'h');
  for (bool binary : {false, true}) {
    std::string data = binary ? binary_header() : std::string{};
    auto row = [&](int64_t n, const std::string& text) {
      if (binary) {
        be(data, 2, 2);
        be(data, 8, 4);
        be(data, static_cast<uint64_t>(n), 8);
        be(data, text.size(), 4);
        data += text;
      } else {
        data += std::to_string(n) + "\t" + text + "\n";
      }
    };
    row(0, "first");
    row(1, huge);
    for (int i = 2; i < 2000; ++i)
      row(i, "r" + std::to_string(i));
    row(2000, huge);
    row(2001, "last");
    if (binary)
      be(data, 0xffff, 2);
    for (size_t piece : {size_t{1000}, size_t{65536}}) {
      planner::copy_options o;
      if (binary)
        o.fmt = planner::copy_options::format::binary;
      planner::copy_parser p{schema, all_fields(2), o, "t"};
      std::optional<planner::positioned_error> e;
      for (size_t at = 0; at < data.size() && !e; at += piece)
        e = p.feed(std::string_view{data}.substr(at, piece));
      if (!e)
        e = p.finish();
      BOOST_REQUIRE_MESSAGE(!e, (e ? e->error.message : ""));
      const auto& b = p.batch();
      BOOST_REQUIRE_EQUAL(b.rows(), 2002u);
      for (size_t r = 0; r < b.rows(); ++r)
        BOOST_REQUIRE_EQUAL(b.at(r, 0).i, static_cast<int64_t>(r));
      BOOST_CHECK(b.at(1, 1).s == huge);
      BOOST_CHECK(b.at(2000, 1).s == huge);
      BOOST_CHECK_EQUAL(b.at(1999, 1).s, "r1999");
      BOOST_CHECK_EQUAL(b.at(2001, 1).s, "last");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_bad_field_fails_before_not_null_and_not_null_in_table_order) {
  // As PostgreSQL 15 reads a binary tuple: every field first (a wrong size
  // is 22P03), then the NOT NULL columns in table order.
  cs::table_schema schema;
  schema.columns = {cs::column_def{"time", cs::column_type::timestamptz, true},
                    cs::column_def{"v", cs::column_type::float8, false},
                    cs::column_def{"host", cs::column_type::text, true}};
  auto tuple = [](const std::string& v_bytes) {
    std::string t = binary_header();
    be(t, 3, 2);
    be(t, 0xffffffff, 4); // host NULL
    be(t, 0xffffffff, 4); // time NULL
    be(t, v_bytes.size(), 4);
    return t + v_bytes;
  };
  planner::copy_options o;
  o.fmt = planner::copy_options::format::binary;
  planner::copy_parser p{schema, {2, 0, 1}, o, "t"};
  auto e = p.feed(tuple(std::string(8, '\0')));
  BOOST_REQUIRE(e.has_value());
  BOOST_CHECK_EQUAL(e->error.sqlstate, "23502");
  BOOST_CHECK_EQUAL(e->error.message,
                    "null value in column \"time\" of relation \"t\" violates not-null constraint");
  planner::copy_parser q{schema, {2, 0, 1}, o, "t"};
  e = q.feed(tuple(std::string(4, '\0')));
  BOOST_REQUIRE(e.has_value());
  BOOST_CHECK_EQUAL(e->error.sqlstate, "22P03");
}

BOOST_AUTO_TEST_SUITE_END()
