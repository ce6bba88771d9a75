// INSERT ... VALUES: literals converted to column types as PostgreSQL
// assigns them, with its error codes.

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "planner/datetime.hpp"
#include "planner/pg_format.hpp"
#include "planner/insert_builder.hpp"
#include "planner/sql_session.hpp"

using namespace hypertide;
namespace cs = hypertide::chunkstore;

namespace {

cs::table_schema schema() {
  return cs::table_schema{{{"time", cs::column_type::timestamptz, true},
                           {"host", cs::column_type::text, false},
                           {"v", cs::column_type::float8, false},
                           {"n", cs::column_type::int4, false},
                           {"ok", cs::column_type::boolean, false}}};
}

planner::insert_values planned(const std::string& sql) {
  planner::sql_session s;
  auto out = s.plan(sql);
  BOOST_REQUIRE(std::holds_alternative<planner::catalog_request>(out.at(0)));
  return std::get<planner::insert_values>(std::get<planner::catalog_request>(out[0]));
}

std::string error_of(const std::string& sql) {
  auto built = planner::build_insert(schema(), planned(sql));
  auto* e = std::get_if<planner::positioned_error>(&built);
  return e ? e->error.sqlstate : "";
}

} // namespace

BOOST_AUTO_TEST_CASE(timestamps_parse_and_print_as_psql_shows_them) {
  using planner::format_timestamptz;
  using planner::parse_timestamptz;
  BOOST_CHECK_EQUAL(*parse_timestamptz("1970-01-01"), 0);
  BOOST_CHECK_EQUAL(*parse_timestamptz("2016-01-01 00:00:10"), 1451606410LL * 1000000);
  BOOST_CHECK_EQUAL(*parse_timestamptz("2016-01-01T00:00:10.5Z"), 1451606410LL * 1000000 + 500000);
  BOOST_CHECK_EQUAL(*parse_timestamptz("2016-01-01 01:00:10+01"), 1451606410LL * 1000000);
  BOOST_CHECK_EQUAL(*parse_timestamptz("2016-01-01 05:30:10+05:30"), 1451606410LL * 1000000);
  BOOST_CHECK_EQUAL(*parse_timestamptz("1969-12-31 23:59:59.999999"), -1);
  BOOST_CHECK(!parse_timestamptz("2016-02-30"));
  BOOST_CHECK(!parse_timestamptz("2016-01-01 25:00"));
  BOOST_CHECK(!parse_timestamptz("yesterday-ish"));
  BOOST_CHECK_EQUAL(format_timestamptz(1451606410LL * 1000000), "2016-01-01 00:00:10+00");
  BOOST_CHECK_EQUAL(format_timestamptz(-1), "1969-12-31 23:59:59.999999+00");
  BOOST_CHECK_EQUAL(format_timestamptz(1451606410LL * 1000000 + 500000),
                    "2016-01-01 00:00:10.5+00");
}

BOOST_AUTO_TEST_CASE(values_are_converted_to_column_types) {
  auto built = planner::build_insert(
    schema(), planned("INSERT INTO m VALUES ('2016-01-01', 'a', 1, 2.5, 'yes'), "
                      "('2016-01-01 00:00:01', NULL, '1e3', '-7', false), "
                      "('2016-01-01 00:00:02'::timestamptz, 'c', -2.5, -3.5, DEFAULT)"));
  auto& b = std::get<cs::column_batch>(built);
  BOOST_REQUIRE_EQUAL(b.rows(), 3u);
  BOOST_CHECK_EQUAL(b.at(0, 2).f, 1.0);
  BOOST_CHECK_EQUAL(b.at(0, 3).i, 3); // 2.5 rounds away from zero
  BOOST_CHECK_EQUAL(b.at(0, 4).i, 1);
  BOOST_CHECK(b.at(1, 1).is_null);
  BOOST_CHECK_EQUAL(b.at(1, 2).f, 1000.0);
  BOOST_CHECK_EQUAL(b.at(1, 3).i, -7);
  BOOST_CHECK_EQUAL(b.at(2, 3).i, -4);
  BOOST_CHECK(b.at(2, 4).is_null);
  // Named columns; the others are NULL.
  auto named = planner::build_insert(schema(), planned("INSERT INTO m (n, time) VALUES (5, '2016-01-01')"));
  auto& nb = std::get<cs::column_batch>(named);
  BOOST_CHECK_EQUAL(nb.at(0, 3).i, 5);
  BOOST_CHECK(nb.at(0, 1).is_null);
}

BOOST_AUTO_TEST_CASE(bad_values_get_postgres_errors) {
  BOOST_CHECK_EQUAL(error_of("INSERT INTO m VALUES ('2016-01-01', 'a', 'abc')"), "22P02");
  BOOST_CHECK_EQUAL(error_of("INSERT INTO m VALUES ('2016-01-01', 'a', 1, 3000000000)"), "22003");
  BOOST_CHECK_EQUAL(error_of("INSERT INTO m VALUES ('2016-01-01', 'a', 1, '3000000000')"), "22003");
  // Any value goes into text as its text (PostgreSQL's assignment I/O cast).
  BOOST_CHECK_EQUAL(error_of("INSERT INTO m VALUES ('2016-01-01', 1)"), "");
  BOOST_CHECK_EQUAL(error_of("INSERT INTO m VALUES (1)"), "42804");
  BOOST_CHECK_EQUAL(error_of("INSERT INTO m VALUES ('not a time')"), "22007");
  BOOST_CHECK_EQUAL(error_of("INSERT INTO m VALUES ('2016-01-01', 'a', 1, 1, true, 6)"), "42601");
  BOOST_CHECK_EQUAL(error_of("INSERT INTO m (nope) VALUES (1)"), "42703");
  BOOST_CHECK_EQUAL(error_of("INSERT INTO m (n, n) VALUES (1, 2)"), "42701");
  BOOST_CHECK_EQUAL(error_of("INSERT INTO m VALUES ('2016-01-01', 'a', 1, 1, 'maybe')"), "22P02");
}

BOOST_AUTO_TEST_CASE(float8_prints_as_postgresql_15_prints_it) {
  // PostgreSQL 15, extra_float_digits = 1 (the default): SELECT x::float8.
  using planner::format_float8;
  BOOST_CHECK_EQUAL(format_float8(0.1), "0.1");
  BOOST_CHECK_EQUAL(format_float8(-2.5), "-2.5");
  BOOST_CHECK_EQUAL(format_float8(99), "99");
  BOOST_CHECK_EQUAL(format_float8(-99), "-99");
  BOOST_CHECK_EQUAL(format_float8(-0.0), "-0");
  BOOST_CHECK_EQUAL(format_float8(1.0 / 3), "0.3333333333333333");
  BOOST_CHECK_EQUAL(format_float8(0.1 + 0.2), "0.30000000000000004");
  BOOST_CHECK_EQUAL(format_float8(1e14), "100000000000000");
  BOOST_CHECK_EQUAL(format_float8(999999999999999.0), "999999999999999");
  BOOST_CHECK_EQUAL(format_float8(1e15), "1e+15");
  BOOST_CHECK_EQUAL(format_float8(-1.23e15), "-1.23e+15");
  BOOST_CHECK_EQUAL(format_float8(123456789012345.6), "123456789012345.6");
  BOOST_CHECK_EQUAL(format_float8(1e-4), "0.0001");
  BOOST_CHECK_EQUAL(format_float8(1.5e-5), "1.5e-05");
  BOOST_CHECK_EQUAL(format_float8(1e100), "1e+100");
  BOOST_CHECK_EQUAL(format_float8(5e-324), "5e-324");
  BOOST_CHECK_EQUAL(format_float8(1.7976931348623157e308), "1.7976931348623157e+308");
  BOOST_CHECK_EQUAL(format_float8(-std::numeric_limits<double>::infinity()), "-Infinity");
  BOOST_CHECK_EQUAL(format_float8(std::nan("")), "NaN");
}

BOOST_AUTO_TEST_CASE(timestamps_print_fractions_and_eras) {
  using planner::format_timestamp;
  using planner::format_timestamptz;
  BOOST_CHECK_EQUAL(format_timestamptz(1451606410LL * 1000000 + 120), "2016-01-01 00:00:10.00012+00");
  BOOST_CHECK_EQUAL(format_timestamp(1451606410LL * 1000000 + 999999), "2016-01-01 00:00:10.999999");
  // 0001-01-01 BC is year 0 proleptic; PostgreSQL prints "0001-01-01 ... BC".
  BOOST_CHECK_EQUAL(format_timestamptz(-62167219200LL * 1000000), "0001-01-01 00:00:00+00 BC");
  BOOST_CHECK_EQUAL(format_timestamptz(253402300799LL * 1000000), "9999-12-31 23:59:59+00");
}

BOOST_AUTO_TEST_CASE(what_is_printed_reads_back) {
  // COPY out and in, and WITH / sub-selects, read printed timestamps again.
  for (int64_t t : {int64_t{0}, int64_t{-62167219200LL * 1000000}, // 0001-01-01 BC
                    int64_t{-62135596800LL * 1000000 - 1},         // the last instant of 1 BC
                    int64_t{253402300800LL * 1000000 + 120},       // 10000-01-01
                    int64_t{-1000000LL * 86400 * 1000000}}) {      // 769 BC
    BOOST_CHECK_EQUAL(*planner::parse_timestamptz(planner::format_timestamptz(t)), t);
    BOOST_CHECK_EQUAL(*planner::parse_timestamp(planner::format_timestamp(t)), t);
  }
  BOOST_CHECK(!planner::parse_timestamptz("0000-01-01 BC"));
  BOOST_CHECK(!planner::parse_timestamptz("123-01-01"));
}
