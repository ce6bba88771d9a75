// The extended query protocol through libpq: PQexecParams with text and
// binary parameters and results, PQprepare/PQexecPrepared,
// PQdescribePrepared, errors skipping to Sync.

#include <boost/test/unit_test.hpp>

#include <libpq-fe.h>

#include <cstring>
#include <string>

#include "node_connection.hpp"

namespace {

void exec_ok(PGconn* c, const char* sql) {
  PGresult* r = PQexec(c, sql);
  BOOST_REQUIRE_MESSAGE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
                        sql << ": " << PQresultErrorMessage(r));
  PQclear(r);
}

uint64_t be(const char* p, int n) {
  uint64_t x = 0;
  for (int i = 0; i < n; ++i)
    x = (x << 8) | static_cast<unsigned char>(p[i]);
  return x;
}

} // namespace

BOOST_AUTO_TEST_CASE(exec_params_text_and_binary) {
  test::node_connection node;
  PGconn* c = node.conn;
  exec_ok(c, "CREATE TABLE m (time timestamptz NOT NULL, host text, v double precision, n int)");
  exec_ok(c, "SELECT create_hypertable('m', 'time')");

  // INSERT with text parameters, one a NULL, one containing a quote.
  const char* vals[4] = {"2016-01-01 00:00:00+00", "o'hara", "2.5", nullptr};
  PGresult* r = PQexecParams(c, "INSERT INTO m VALUES ($1, $2, $3, $4)", 4, nullptr, vals,
                             nullptr, nullptr, 0);
  BOOST_CHECK_EQUAL(PQresultStatus(r), PGRES_COMMAND_OK);
  BOOST_CHECK_EQUAL(std::string{PQcmdStatus(r)}, "INSERT 0 1");
  PQclear(r);

  // Binary int4 and float8 parameters with declared types.
  Oid types[4] = {1184, 25, 701, 23};
  char t_bin[8], v_bin[8], n_bin[4];
  int64_t t = (1451606400LL + 60 - 946684800LL) * 1000000; // 2016-01-01 00:01
  for (int i = 0; i < 8; ++i)
    t_bin[i] = static_cast<char>((static_cast<uint64_t>(t) >> (56 - 8 * i)) & 0xff);
  double v = -7.25;
  uint64_t vb;
  std::memcpy(&vb, &v, 8);
  for (int i = 0; i < 8; ++i)
    v_bin[i] = static_cast<char>((vb >> (56 - 8 * i)) & 0xff);
  int32_t n = 42;
  for (int i = 0; i < 4; ++i)
    n_bin[i] = static_cast<char>((static_cast<uint32_t>(n) >> (24 - 8 * i)) & 0xff);
  const char* bvals[4] = {t_bin, "bin", v_bin, n_bin};
  int lens[4] = {8, 3, 8, 4};
  int fmts[4] = {1, 0, 1, 1};
  r = PQexecParams(c, "INSERT INTO m VALUES ($1, $2, $3, $4)", 4, types, bvals, lens, fmts, 0);
  BOOST_CHECK_MESSAGE(PQresultStatus(r) == PGRES_COMMAND_OK, PQresultErrorMessage(r));
  PQclear(r);

  // 'infinity' as a binary timestamptz is INT64_MAX, as in PostgreSQL, both
  // ways.
  exec_ok(c, "CREATE TABLE spans (t timestamptz)");
  char inf_bin[8] = {0x7f, -1, -1, -1, -1, -1, -1, -1};
  const char* ivals[1] = {inf_bin};
  int ilens[1] = {8}, ifmts[1] = {1};
  Oid itypes[1] = {1184};
  r = PQexecParams(c, "INSERT INTO spans VALUES ($1)", 1, itypes, ivals, ilens, ifmts, 0);
  BOOST_CHECK_MESSAGE(PQresultStatus(r) == PGRES_COMMAND_OK, PQresultErrorMessage(r));
  PQclear(r);
  r = PQexecParams(c, "SELECT t, t::text FROM spans", 0, nullptr, nullptr, nullptr, nullptr, 1);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  BOOST_REQUIRE_EQUAL(PQgetlength(r, 0, 0), 8);
  BOOST_CHECK_EQUAL(std::memcmp(PQgetvalue(r, 0, 0), inf_bin, 8), 0);
  BOOST_CHECK_EQUAL(std::string(PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1)), "infinity");
  PQclear(r);

  // SELECT with a parameter, text results.
  const char* host[1] = {"o'hara"};
  r = PQexecParams(c, "SELECT v, n, time FROM m WHERE host = $1", 1, nullptr, host, nullptr,
                   nullptr, 0);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  BOOST_REQUIRE_EQUAL(PQntuples(r), 1);
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 0)}, "2.5");
  BOOST_CHECK(PQgetisnull(r, 0, 1));
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 2)}, "2016-01-01 00:00:00+00");
  BOOST_CHECK_EQUAL(PQftype(r, 0), 701u);
  PQclear(r);

  // Binary results.
  const char* bin_host[1] = {"bin"};
  r = PQexecParams(c, "SELECT n, v, count(*) FROM m WHERE host = $1 GROUP BY n, v", 1, nullptr,
                   bin_host, nullptr, nullptr, 1);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  BOOST_REQUIRE_EQUAL(PQntuples(r), 1);
  BOOST_CHECK_EQUAL(PQfformat(r, 0), 1);
  BOOST_CHECK_EQUAL(PQgetlength(r, 0, 0), 4);
  BOOST_CHECK_EQUAL(static_cast<int32_t>(be(PQgetvalue(r, 0, 0), 4)), 42);
  uint64_t got = be(PQgetvalue(r, 0, 1), 8);
  double gv;
  std::memcpy(&gv, &got, 8);
  BOOST_CHECK_EQUAL(gv, -7.25);
  BOOST_CHECK_EQUAL(static_cast<int64_t>(be(PQgetvalue(r, 0, 2), 8)), 1);
  PQclear(r);
}

BOOST_AUTO_TEST_CASE(prepared_statements) {
  test::node_connection node;
  PGconn* c = node.conn;
  exec_ok(c, "CREATE TABLE m (time timestamptz NOT NULL, v int)");
  PGresult* r = PQprepare(c, "ins", "INSERT INTO m VALUES ($1, $2)", 2, nullptr);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
  for (int i = 0; i < 5; ++i) {
    std::string t = "2016-01-0" + std::to_string(i + 1), v = std::to_string(i);
    const char* p[2] = {t.c_str(), v.c_str()};
    r = PQexecPrepared(c, "ins", 2, p, nullptr, nullptr, 0);
    BOOST_CHECK_EQUAL(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
  }
  r = PQprepare(c, "sel", "SELECT sum(v) AS total, count(*) FROM m WHERE v >= $1", 1, nullptr);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
  r = PQdescribePrepared(c, "sel");
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_COMMAND_OK);
  BOOST_CHECK_EQUAL(PQnparams(r), 1);
  BOOST_CHECK_EQUAL(PQnfields(r), 2);
  BOOST_CHECK_EQUAL(std::string{PQfname(r, 0)}, "total");
  BOOST_CHECK_EQUAL(PQftype(r, 1), 20u);
  PQclear(r);
  const char* p[1] = {"2"};
  r = PQexecPrepared(c, "sel", 1, p, nullptr, nullptr, 0);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 0)}, "9");
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 1)}, "3");
  PQclear(r);
  // A join and a set operation with parameters, as drivers send them.
  exec_ok(c, "CREATE TABLE names (v int, name text)");
  exec_ok(c, "INSERT INTO names VALUES (1, 'one'), (3, 'three'), (4, 'four')");
  r = PQprepare(c, "join",
                "SELECT n.name, m.v FROM m JOIN names n ON n.v = m.v WHERE m.v >= $1 "
                "UNION ALL SELECT 'x', $2::int ORDER BY 2",
                2, nullptr);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
  r = PQdescribePrepared(c, "join");
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_COMMAND_OK);
  BOOST_CHECK_EQUAL(PQnfields(r), 2);
  BOOST_CHECK_EQUAL(std::string{PQfname(r, 0)}, "name");
  PQclear(r);
  const char* jp[2] = {"2", "7"};
  r = PQexecPrepared(c, "join", 2, jp, nullptr, nullptr, 0);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  BOOST_REQUIRE_EQUAL(PQntuples(r), 3);
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 0)}, "three");
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 1, 0)}, "four");
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 2, 0)}, "x");
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 2, 1)}, "7");
  PQclear(r);
  // A prepared statement with a sub-query runs the sub-query each time:
  // its result is not kept in the statement.
  r = PQprepare(c, "above", "SELECT count(*) FROM names WHERE v > (SELECT avg(v) FROM names)", 0,
                nullptr);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
  auto above = [&] {
    PGresult* x = PQexecPrepared(c, "above", 0, nullptr, nullptr, nullptr, 0);
    BOOST_REQUIRE_EQUAL(PQresultStatus(x), PGRES_TUPLES_OK);
    std::string v = PQgetvalue(x, 0, 0);
    PQclear(x);
    return v;
  };
  BOOST_CHECK_EQUAL(above(), "2"); // 1, 3, 4: avg 2.67
  exec_ok(c, "INSERT INTO names VALUES (100, 'hundred')");
  BOOST_CHECK_EQUAL(above(), "1"); // avg 27
  // Errors: a bad statement, a missing one; the connection stays usable.
  r = PQprepare(c, "bad", "SELEC 1", 0, nullptr);
  BOOST_CHECK_EQUAL(std::string{PQresultErrorField(r, PG_DIAG_SQLSTATE)}, "42601");
  PQclear(r);
  r = PQexecPrepared(c, "nope", 0, nullptr, nullptr, nullptr, 0);
  BOOST_CHECK_EQUAL(std::string{PQresultErrorField(r, PG_DIAG_SQLSTATE)}, "26000");
  PQclear(r);
  const char* bad[1] = {"x"};
  r = PQexecPrepared(c, "sel", 1, bad, nullptr, nullptr, 0);
  BOOST_CHECK_EQUAL(std::string{PQresultErrorField(r, PG_DIAG_SQLSTATE)}, "22P02");
  PQclear(r);
  r = PQexecParams(c, "SELECT $1::int + 1", 1, nullptr, p, nullptr, nullptr, 0);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 0)}, "3");
  PQclear(r);
}

BOOST_AUTO_TEST_CASE(deep_expressions_are_refused_not_crashing) {
  // libpg_query's conversion of the parse tree recurses per level: a few
  // thousand levels overflowed the stack and killed the node.
  test::node_connection node;
  PGconn* c = node.conn;
  std::string chain = "SELECT 1";
  for (int i = 0; i < 20000; ++i)
    chain += "+1";
  std::string parens = "SELECT " + std::string(5000, '(') + "1" + std::string(5000, ')');
  for (const auto& q : {chain, parens}) {
    PGresult* r = PQexec(c, q.c_str());
    BOOST_CHECK_EQUAL(std::string{PQresultErrorField(r, PG_DIAG_SQLSTATE)}, "54001");
    PQclear(r);
    r = PQprepare(c, "", q.c_str(), 0, nullptr);
    BOOST_CHECK_EQUAL(std::string{PQresultErrorField(r, PG_DIAG_SQLSTATE)}, "54001");
    PQclear(r);
  }
  // Wide is fine: 20,000 values, negative numbers, operators in strings.
  std::string wide = "SELECT count(*) FROM (VALUES (-1)";
  for (int i = 0; i < 20000; ++i)
    wide += ", (-" + std::to_string(i) + ")";
  wide += ") v WHERE '+-+-' <> 'x'";
  PGresult* r = PQexec(c, wide.c_str());
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 0)}, "20001");
  PQclear(r);
  r = PQexec(c, "SELECT 1");
  BOOST_CHECK_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  PQclear(r);
}


BOOST_AUTO_TEST_CASE(result_columns_are_named_as_postgresql_names_them) {
  test::node_connection node;
  PGconn* c = node.conn;
  exec_ok(c, "CREATE TABLE nm (v double precision, g int)");
  PGresult* r = PQexec(c, "SELECT coalesce(v, 0), nullif(g, 1), greatest(v, g), least(v, g), "
                          "CASE WHEN v > 1 THEN 'big' END, (v + 1)::int, v::int, "
                          "(SELECT max(v) FROM nm), EXISTS (SELECT 1 FROM nm), current_user "
                          "FROM nm");
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  // Names PostgreSQL 15 gives the same select list.
  const char* want[] = {"coalesce", "nullif", "greatest", "least", "case",
                        "int4",     "v",      "max",      "exists", "current_user"};
  BOOST_REQUIRE_EQUAL(PQnfields(r), 10);
  for (int i = 0; i < 10; ++i)
    BOOST_CHECK_EQUAL(std::string{PQfname(r, i)}, want[i]);
  PQclear(r);
}
