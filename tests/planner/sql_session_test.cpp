// SQL planning without a server: constant SELECTs, settings, DDL requests,
// and clear errors for what is not supported yet.

#include <boost/test/unit_test.hpp>

#include "planner/sql_session.hpp"

using namespace hypertide;
using planner::catalog_request;
using planner::planned_statement;
using planner::statement_error;
using planner::statement_result;

namespace {

const statement_result& result(const planned_statement& p) {
  if (auto* e = std::get_if<statement_error>(&p))
    BOOST_FAIL(e->error.sqlstate << ": " << e->error.message);
  BOOST_REQUIRE(std::holds_alternative<statement_result>(p));
  return std::get<statement_result>(p);
}

const statement_error& error(const planned_statement& p) {
  BOOST_REQUIRE(std::holds_alternative<statement_error>(p));
  return std::get<statement_error>(p);
}

} // namespace

BOOST_AUTO_TEST_CASE(constant_select_names_and_types_columns_as_postgres) {
  planner::sql_session s;
  auto out = s.plan("SELECT 1, -5, 'abc', 2.5, true, NULL, 3000000000, '7'::int, 'x' AS y");
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  const auto& r = result(out[0]);
  BOOST_REQUIRE_EQUAL(r.columns.size(), 9u);
  BOOST_CHECK_EQUAL(r.columns[0].name, "?column?");
  BOOST_CHECK_EQUAL(r.columns[0].type_oid, 23);
  BOOST_CHECK_EQUAL(*r.rows[0][1], "-5"); // the JSON parse tree would lose the sign
  BOOST_CHECK_EQUAL(r.columns[2].type_oid, 25);
  BOOST_CHECK_EQUAL(r.columns[3].type_oid, 1700);
  BOOST_CHECK_EQUAL(r.columns[4].name, "bool");
  BOOST_CHECK_EQUAL(*r.rows[0][4], "t");
  BOOST_CHECK(!r.rows[0][5].has_value());
  BOOST_CHECK_EQUAL(r.columns[6].type_oid, 20);
  BOOST_CHECK_EQUAL(r.columns[7].name, "int4");
  BOOST_CHECK_EQUAL(*r.rows[0][7], "7");
  BOOST_CHECK_EQUAL(r.columns[8].name, "y");
  BOOST_CHECK_EQUAL(r.tag, "SELECT 1");
}

BOOST_AUTO_TEST_CASE(settings_set_show_reset) {
  planner::sql_session s;
  BOOST_CHECK_EQUAL(*result(s.plan("SHOW TimeZone")[0]).rows[0][0], "UTC");
  BOOST_CHECK_EQUAL(result(s.plan("SHOW TimeZone")[0]).columns[0].name, "TimeZone");
  result(s.plan("SET application_name = 'loader'")[0]);
  BOOST_CHECK_EQUAL(*s.setting("application_name"), "loader");
  result(s.plan("RESET application_name")[0]);
  BOOST_CHECK_EQUAL(*s.setting("application_name"), "");
  result(s.plan("SET extra_float_digits TO 3")[0]);
  BOOST_CHECK_EQUAL(*result(s.plan("SELECT current_setting('extra_float_digits')")[0]).rows[0][0],
                    "3");
  BOOST_CHECK_EQUAL(error(s.plan("SHOW nope")[0]).error.sqlstate, "42704");
  BOOST_CHECK_EQUAL(error(s.plan("SET nope = 1")[0]).error.sqlstate, "42704");
  BOOST_CHECK_EQUAL(error(s.plan("SET server_version = '1'")[0]).error.sqlstate, "55P02");
  BOOST_CHECK_EQUAL(error(s.plan("SET TimeZone = 'Europe/Berlin'")[0]).error.sqlstate, "0A000");
}

BOOST_AUTO_TEST_CASE(statements_stop_at_the_first_error) {
  planner::sql_session s;
  auto out = s.plan("SET application_name = 'a'; SELECT nope; SET application_name = 'b'");
  BOOST_REQUIRE_EQUAL(out.size(), 2u);
  const auto& e = error(out[1]);
  BOOST_CHECK_EQUAL(e.error.sqlstate, "42703");
  BOOST_CHECK_EQUAL(e.position, 36); // 1-based, in the whole query string
  BOOST_CHECK_EQUAL(*s.setting("application_name"), "a");
}

BOOST_AUTO_TEST_CASE(syntax_errors_carry_positions) {
  planner::sql_session s;
  auto out = s.plan("SELECT 1; SELEC 2");
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  BOOST_CHECK_EQUAL(error(out[0]).error.sqlstate, "42601");
  BOOST_CHECK_EQUAL(error(out[0]).position, 11);
  BOOST_CHECK(result(s.plan("")[0]).tag.empty()); // an empty query
}

BOOST_AUTO_TEST_CASE(ddl_becomes_catalog_requests) {
  planner::sql_session s;
  auto out = s.plan(
    "CREATE TABLE IF NOT EXISTS cpu (time timestamptz NOT NULL, hostname varchar(32), "
    "usage_user double precision, n integer, big bigint, ok boolean, r real, ts timestamp)");
  BOOST_REQUIRE(std::holds_alternative<catalog_request>(out[0]));
  const auto& ct = std::get<messages::create_table>(std::get<catalog_request>(out[0]));
  BOOST_CHECK_EQUAL(ct.name, "cpu");
  BOOST_CHECK(ct.if_not_exists);
  BOOST_REQUIRE_EQUAL(ct.schema.columns.size(), 8u);
  BOOST_CHECK(ct.schema.columns[0].not_null);
  BOOST_CHECK(ct.schema.columns[1].type == chunkstore::column_type::text);
  BOOST_CHECK(ct.schema.columns[2].type == chunkstore::column_type::float8);
  BOOST_CHECK(ct.schema.columns[3].type == chunkstore::column_type::int4);
  BOOST_CHECK(ct.schema.columns[4].type == chunkstore::column_type::int8);
  BOOST_CHECK(ct.schema.columns[5].type == chunkstore::column_type::boolean);

  auto h = s.plan("SELECT create_hypertable('cpu', 'time', chunk_time_interval => INTERVAL "
                  "'12 hours', partitioning_column => 'hostname', number_partitions => 4, "
                  "if_not_exists => true)");
  const auto& ch = std::get<messages::create_hypertable>(std::get<catalog_request>(h[0]));
  BOOST_CHECK_EQUAL(ch.table, "cpu");
  BOOST_CHECK_EQUAL(ch.time_column, "time");
  BOOST_CHECK_EQUAL(ch.chunk_interval, int64_t{12} * 3600 * 1000000);
  BOOST_CHECK_EQUAL(ch.partitioning_column, "hostname");
  BOOST_CHECK_EQUAL(ch.number_partitions, 4);
  BOOST_CHECK(ch.if_not_exists);
  auto p = s.plan("SELECT create_hypertable('public.cpu', 'time', 'hostname', 2, "
                  "chunk_time_interval => 86400000000)");
  const auto& cp = std::get<messages::create_hypertable>(std::get<catalog_request>(p[0]));
  BOOST_CHECK_EQUAL(cp.table, "cpu");
  BOOST_CHECK_EQUAL(cp.number_partitions, 2);
  BOOST_CHECK_EQUAL(cp.chunk_interval, int64_t{86400000000});
  BOOST_CHECK_EQUAL(error(s.plan("SELECT create_hypertable('cpu', 'time', chunk_time_interval "
                                 "=> INTERVAL '1 month')")[0]).error.sqlstate,
                    "22023");

  auto d = s.plan("DROP TABLE IF EXISTS cpu");
  const auto& dt = std::get<messages::drop_table>(std::get<catalog_request>(d[0]));
  BOOST_CHECK_EQUAL(dt.name, "cpu");
  BOOST_CHECK(dt.if_exists);
}

BOOST_AUTO_TEST_CASE(what_is_not_supported_says_so) {
  planner::sql_session s;
  BOOST_CHECK_EQUAL(error(s.plan("CREATE TABLE t (a bytea)")[0]).error.sqlstate, "0A000");
  BOOST_CHECK_EQUAL(error(s.plan("CREATE TABLE t (a int PRIMARY KEY)")[0]).error.sqlstate,
                    "0A000");
  // A SELECT over tables waits for their columns and rows; joins and set
  // operations are combined by the session (tests/sql/*.test).
  BOOST_CHECK(std::holds_alternative<planner::catalog_request>(s.plan("SELECT * FROM t")[0]));
  BOOST_CHECK(std::holds_alternative<planner::catalog_request>(s.plan("SELECT 1 UNION SELECT 2")[0]));
  auto e = error(s.plan("DELETE FROM t")[0]).error;
  BOOST_CHECK_EQUAL(e.sqlstate, "0A000");
  BOOST_CHECK_NE(e.message.find("delete"), std::string::npos);
}
