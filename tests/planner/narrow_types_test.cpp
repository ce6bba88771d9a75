// real, smallint and varchar(n): float4 output, binary COPY of int2 and
// float4 fields, and the varchar length rule.

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <string>

#include "chunkstore/types.hpp"
#include "planner/copy_format.hpp"
#include "planner/pg_format.hpp"

using namespace hypertide;
namespace cs = hypertide::chunkstore;

namespace {

void be(std::string& out, uint64_t x, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

/// PGCOPY header, one tuple of `fields` (each: length, bytes), trailer.
std::string binary_copy(const std::vector<std::string>& fields) {
  std::string out{"PGCOPY\n\xff\r\n\0", 11};
  be(out, 0, 4); // flags
  be(out, 0, 4); // header extension
  be(out, fields.size(), 2);
  for (const auto& f : fields) {
    be(out, f.size(), 4);
    out += f;
  }
  be(out, 0xffff, 2);
  return out;
}

std::string float4_bytes(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  std::string out;
  be(out, u, 4);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(narrow_types)

BOOST_AUTO_TEST_CASE(float4_output_is_postgresqls) {
  // Checked against PostgreSQL 15 (SELECT x::real).
  BOOST_CHECK_EQUAL(planner::format_float4(0.1), "0.1");
  BOOST_CHECK_EQUAL(planner::format_float4(1.0 / 3), "0.33333334");
  BOOST_CHECK_EQUAL(planner::format_float4(123456), "123456");
  BOOST_CHECK_EQUAL(planner::format_float4(1234567), "1.234567e+06");
  BOOST_CHECK_EQUAL(planner::format_float4(16777217), "1.6777216e+07");
  BOOST_CHECK_EQUAL(planner::format_float4(0.0001), "0.0001");
  BOOST_CHECK_EQUAL(planner::format_float4(0.00001), "1e-05");
  BOOST_CHECK_EQUAL(planner::format_float4(3.4e38), "3.4e+38");
  BOOST_CHECK_EQUAL(planner::format_float4(-0.0), "-0");
  BOOST_CHECK_EQUAL(planner::format_float4(std::nan("")), "NaN");
  BOOST_CHECK_EQUAL(planner::format_float4(-HUGE_VAL), "-Infinity");
  // float8 keeps its own threshold.
  BOOST_CHECK_EQUAL(planner::format_float8(1234567), "1234567");
}

BOOST_AUTO_TEST_CASE(binary_copy_reads_int2_and_float4_fields) {
  cs::table_schema schema{{{"code", cs::column_type::int4, false, 21, -1},
                           {"level", cs::column_type::float8, false, 700, -1}}};
  std::string code;
  be(code, 0xfffb, 2); // -5
  planner::copy_options o;
  o.fmt = planner::copy_options::format::binary;
  planner::copy_parser p{schema, {0, 1}, o, "t"};
  BOOST_REQUIRE(!p.feed(binary_copy({code, float4_bytes(0.1f)})));
  BOOST_REQUIRE(!p.finish());
  BOOST_REQUIRE_EQUAL(p.rows(), 1u);
  BOOST_CHECK_EQUAL(p.batch().at(0, 0).i, -5);
  BOOST_CHECK_EQUAL(p.batch().at(0, 1).f, static_cast<double>(0.1f));
  // A float8 where a real goes is not PostgreSQL's binary format.
  planner::copy_parser q{schema, {0, 1}, o, "t"};
  std::string eight;
  be(eight, 0, 8);
  auto err = q.feed(binary_copy({code, eight}));
  BOOST_REQUIRE(err.has_value());
  BOOST_CHECK_EQUAL(err->error.sqlstate, "22P03");
}

BOOST_AUTO_TEST_CASE(copy_text_fields_read_as_postgresql_reads_them) {
  // Whole numbers take a shortcut past from_chars; fields without a
  // backslash are taken in one piece. Neither may change what a field
  // reads as: signs, leading zeros, 15 and 16 digits, exponents, NaN,
  // escapes, NULL and a field that only looks like it.
  cs::table_schema schema;
  schema.columns = {cs::column_def{"v", cs::column_type::float8, false},
                    cs::column_def{"s", cs::column_type::text, false}};
  planner::copy_options o;
  planner::copy_parser p{schema, {0, 1}, o, "t"};
  std::string in = "58\thost_1\n"
                   "007\ta\\tb\n"
                   "123456789012345\t\\N\n"
                   "1234567890123456789\tx\\\\y\n"
                   "-5\t\\N\n"
                   "1e3\tz\n"
                   "NaN\t\\Nx\n"
                   "0.25\t\n"
                   "\\N\tq\n";
  BOOST_REQUIRE(!p.feed(in));
  BOOST_REQUIRE(!p.finish());
  const auto& b = p.batch();
  BOOST_REQUIRE_EQUAL(b.rows(), 9u);
  BOOST_CHECK_EQUAL(b.at(0, 0).f, 58.0);
  BOOST_CHECK_EQUAL(b.at(0, 1).s, "host_1");
  BOOST_CHECK_EQUAL(b.at(1, 0).f, 7.0);
  BOOST_CHECK_EQUAL(b.at(1, 1).s, "a\tb"); // \t: a tab
  BOOST_CHECK_EQUAL(b.at(2, 0).f, 123456789012345.0);
  BOOST_CHECK(b.at(2, 1).is_null);
  BOOST_CHECK_EQUAL(b.at(3, 0).f, 1234567890123456789.0);
  BOOST_CHECK_EQUAL(b.at(3, 1).s, "x\\y");
  BOOST_CHECK_EQUAL(b.at(4, 0).f, -5.0);
  BOOST_CHECK(b.at(4, 1).is_null);
  BOOST_CHECK_EQUAL(b.at(5, 0).f, 1000.0);
  BOOST_CHECK(std::isnan(b.at(6, 0).f));
  BOOST_CHECK_EQUAL(b.at(6, 1).s, "Nx");
  BOOST_CHECK_EQUAL(b.at(7, 0).f, 0.25);
  BOOST_CHECK_EQUAL(b.at(7, 1).s, "");
  BOOST_CHECK(b.at(8, 0).is_null);
}

BOOST_AUTO_TEST_CASE(varchar_keeps_n_characters_and_cuts_trailing_spaces) {
  BOOST_CHECK_EQUAL(cs::varchar_cut("abc", 3), 3u);
  BOOST_CHECK_EQUAL(cs::varchar_cut("abc   ", 3), 3u);
  BOOST_CHECK_EQUAL(cs::varchar_cut("abcd", 3), std::string_view::npos);
  BOOST_CHECK_EQUAL(cs::varchar_cut("ab d", 3), std::string_view::npos);
  // Characters, not bytes: three two-byte letters fit varchar(3).
  BOOST_CHECK_EQUAL(cs::varchar_cut("\xc3\xa4\xc3\xb6\xc3\xbc", 3), 6u);
  BOOST_CHECK_EQUAL(cs::varchar_cut("\xc3\xa4\xc3\xb6\xc3\xbc ", 3), 6u);
  BOOST_CHECK_EQUAL(cs::varchar_cut("\xc3\xa4\xc3\xb6\xc3\xbcx", 3), std::string_view::npos);
  BOOST_CHECK_EQUAL(cs::varchar_cut("", 1), 0u);
}

BOOST_AUTO_TEST_SUITE_END()
