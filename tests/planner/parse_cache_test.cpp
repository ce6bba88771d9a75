// The parse cache: query shapes, literals written into a cached tree, and
// the texts it leaves to the parser.

#include <boost/test/unit_test.hpp>

#include "planner/parse_cache.hpp"
#include "planner/sql_session.hpp"

using namespace hypertide;
using planner::parse_cache;
using planner::statement_error;
using planner::statement_result;

namespace {

std::string key_of(std::string_view sql) {
  std::string key;
  std::vector<parse_cache::literal> lits;
  return parse_cache::scan(sql, key, lits) ? key : "<none>";
}

/// The one row of a constant SELECT, as text ("NULL" for NULL).
std::vector<std::string> row_of(planner::sql_session& s, const planner::parsed_query& q) {
  auto p = s.plan(q, 0);
  if (auto* e = std::get_if<statement_error>(&p))
    BOOST_FAIL(e->error.sqlstate << ": " << e->error.message);
  const auto& r = std::get<statement_result>(p);
  std::vector<std::string> out;
  for (const auto& v : r.rows.at(0))
    out.push_back(v ? *v : "NULL");
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(shapes_differ_only_in_literals) {
  BOOST_CHECK_EQUAL(key_of("SELECT 'a', 1, 2.5 FROM t WHERE x = -3"),
                    key_of("SELECT 'it''s', 70, 0.125 FROM t WHERE x = -30"));
  // The grammar makes an Integer of what fits in int4, a Float of the rest.
  BOOST_CHECK_NE(key_of("SELECT 2147483647"), key_of("SELECT 2147483648"));
  BOOST_CHECK_NE(key_of("SELECT 1"), key_of("SELECT 1.0"));
  BOOST_CHECK_NE(key_of("SELECT a FROM t"), key_of("SELECT b FROM t"));
  BOOST_CHECK_EQUAL(key_of("SELECT \"it's\" FROM t"), "SELECT \"it's\" FROM t");
  // What the scanner does not follow is left to the parser.
  for (const char* sql : {"SELECT 1 -- comment", "SELECT /* c */ 1", "SELECT E'a\\n'",
                          "SELECT $1", "SELECT $$a$$", "SELECT 'a'\n'b'", "SELECT 'open",
                          "SELECT 1abc", "SELECT x'ff'", "SELECT 1e", "SELECT \x01S",
                          "SELECT \"a\x01Sb\""})
    BOOST_CHECK_MESSAGE(key_of(sql) == "<none>", sql);
}

BOOST_AUTO_TEST_CASE(a_cached_shape_answers_with_the_new_literals) {
  parse_cache cache;
  planner::sql_session s;
  auto q1 = cache.parse("SELECT 1, -5, 'abc', 2.5, 3000000000, -1.5, ('x')");
  BOOST_CHECK_EQUAL(cache.hits(), 0u);
  BOOST_CHECK_EQUAL(cache.size(), 1u);
  std::vector<std::string> first{"1", "-5", "abc", "2.5", "3000000000", "-1.5", "x"};
  BOOST_CHECK(row_of(s, *q1) == first);
  q1.reset();
  auto q2 = cache.parse("SELECT 22, -77, 'it''s', 0.125, 4000000000, -2.25, ('yy')");
  BOOST_CHECK_EQUAL(cache.hits(), 1u);
  std::vector<std::string> second{"22", "-77", "it's", "0.125", "4000000000", "-2.25", "yy"};
  BOOST_CHECK(row_of(s, *q2) == second);
  // While a query holds the cached tree, the same shape parses afresh.
  auto q3 = cache.parse("SELECT 3, -3, '', 3.5, 5000000000, -3.5, ('z')");
  BOOST_CHECK_EQUAL(cache.hits(), 1u);
  std::vector<std::string> third{"3", "-3", "", "3.5", "5000000000", "-3.5", "z"};
  BOOST_CHECK(row_of(s, *q3) == third);
  BOOST_CHECK(row_of(s, *q2) == second);
}

BOOST_AUTO_TEST_CASE(a_text_shaped_like_a_key_is_parsed_afresh) {
  // The key marks a literal with a control byte: a text holding that byte
  // must not meet the shape of one with a literal there (review finding:
  // it paired the literals with the wrong constants and crashed the node).
  parse_cache cache;
  planner::sql_session s;
  auto q1 = cache.parse("select 'abc' as x, 1 as y");
  q1.reset();
  auto q2 = cache.parse("select \x01S as x, 5 as y");
  BOOST_CHECK_EQUAL(cache.hits(), 0u);
  BOOST_REQUIRE(q2->error().has_value());
  BOOST_CHECK_EQUAL(q2->error()->error.sqlstate, "42601");
}

BOOST_AUTO_TEST_CASE(error_positions_follow_the_new_text) {
  parse_cache cache;
  planner::sql_session s;
  // `nope` is at position 13 in the first text, 16 in the second.
  auto q1 = cache.parse("SELECT 'x', nope");
  auto e1 = std::get<statement_error>(s.plan(*q1, 0));
  BOOST_CHECK_EQUAL(e1.error.sqlstate, "42703");
  BOOST_CHECK_EQUAL(q1->position(e1.position), 13);
  q1.reset();
  auto q2 = cache.parse("SELECT 'xyzw', nope");
  BOOST_CHECK_EQUAL(cache.hits(), 1u);
  auto e2 = std::get<statement_error>(s.plan(*q2, 0));
  BOOST_CHECK_EQUAL(q2->position(e2.position), 16);
  BOOST_CHECK_EQUAL(q2->position(0), 0);
  BOOST_CHECK_EQUAL(q2->position(1), 1); // before any literal
}

BOOST_AUTO_TEST_CASE(only_single_selects_and_inserts_whose_literals_are_constants) {
  parse_cache cache;
  planner::sql_session s;
  for (const char* sql : {"SELECT 1; SELECT 2", "CREATE TABLE t (a int)", "SET work_mem = 5",
                          "SELECT - - 5"})
    cache.parse(sql);
  BOOST_CHECK_EQUAL(cache.size(), 0u);
  // A double minus folds twice: never cached, still right.
  auto q = cache.parse("SELECT - - 6");
  BOOST_CHECK(row_of(s, *q) == std::vector<std::string>{"6"});
  // A syntax error is not cached either.
  auto bad = cache.parse("SELECT 'a' FROM");
  BOOST_CHECK(bad->error().has_value());
  BOOST_CHECK_EQUAL(cache.size(), 0u);
}
