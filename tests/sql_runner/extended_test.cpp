// The extended query protocol through libpq: PQexecParams with text and
// binary parameters and results, PQprepare/PQexecPrepared,
// PQdescribePrepared, errors skipping to Sync.

#include <boost/test/unit_test.hpp>

#include <libpq-fe.h>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

namespace {

/// Messages of the raw exchange below: (type, body).
using backend_messages = std::vector<std::pair<char, std::string>>;

std::string frontend(char type, const std::string& body) {
  std::string m(1, type);
  auto len = static_cast<uint32_t>(body.size() + 4);
  for (int shift = 24; shift >= 0; shift -= 8)
    m += static_cast<char>((len >> shift) & 0xff);
  return m + body;
}

std::string i16(int v) {
  return {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}

std::string i32(int32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8)
    s += static_cast<char>((static_cast<uint32_t>(v) >> shift) & 0xff);
  return s;
}

/// Writes frontend messages on libpq's idle connection and reads the
/// backend's answer up to ReadyForQuery (each wait bounded by 5 s); libpq
/// is not used meanwhile, so it finds the connection idle after.
backend_messages raw_exchange(PGconn* c, const std::string& out) {
  int fd = PQsocket(c);
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = send(fd, out.data() + sent, out.size() - sent, 0);
    if (n <= 0) {
      pollfd p{fd, POLLOUT, 0};
      BOOST_REQUIRE(poll(&p, 1, 5000) == 1);
      continue;
    }
    sent += static_cast<size_t>(n);
  }
  std::string in;
  backend_messages msgs;
  size_t at = 0;
  for (;;) {
    while (in.size() >= at + 5) {
      uint32_t len = static_cast<uint32_t>(be(in.data() + at + 1, 4));
      if (in.size() < at + 1 + len)
        break;
      msgs.emplace_back(in[at], in.substr(at + 5, len - 4));
      at += 1 + len;
      if (msgs.back().first == 'Z')
        return msgs;
    }
    pollfd p{fd, POLLIN, 0};
    BOOST_REQUIRE_MESSAGE(poll(&p, 1, 5000) == 1, "no answer in 5 s");
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    BOOST_REQUIRE(n > 0);
    in.append(buf, static_cast<size_t>(n));
  }
}

/// A DataRow's cells (nullopt for NULL).
std::vector<std::optional<std::string>> cells_of(const std::string& body) {
  std::vector<std::optional<std::string>> out;
  auto n = static_cast<size_t>(be(body.data(), 2));
  size_t at = 2;
  for (size_t i = 0; i < n; ++i) {
    auto len = static_cast<int32_t>(be(body.data() + at, 4));
    at += 4;
    if (len < 0) {
      out.emplace_back();
      continue;
    }
    out.emplace_back(body.substr(at, static_cast<size_t>(len)));
    at += static_cast<size_t>(len);
  }
  return out;
}

std::string sqlstate_of(const std::string& error_body) {
  for (size_t at = 0; at < error_body.size() && error_body[at] != 0;) {
    size_t end = error_body.find('\0', at + 1);
    if (error_body[at] == 'C')
      return error_body.substr(at + 1, end - at - 1);
    at = end + 1;
  }
  return {};
}

double float8_of(const char* p) {
  uint64_t u = be(p, 8);
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

} // namespace

BOOST_AUTO_TEST_CASE(rows_from_chunks_in_binary_and_in_pieces) {
  test::node_connection node;
  PGconn* c = node.conn;
  exec_ok(c, "CREATE TABLE b (time timestamptz NOT NULL, host varchar(10), r real, s smallint, "
             "n int, big bigint, v double precision, ok bool, ts timestamp)");
  exec_ok(c, "SELECT create_hypertable('b', 'time', chunk_time_interval => INTERVAL '1 hour')");
  // 6,000 rows over two chunks: more bytes than the node sends at once.
  constexpr int rows = 6000;
  std::string ins = "INSERT INTO b VALUES ";
  for (int n = 0; n < rows; ++n) {
    std::string t = "'2016-01-01 00:00:00+00'::timestamptz + interval '" + std::to_string(n) + " seconds'";
    ins += (n ? ", (" : "(") + t + ", 'h" + std::to_string(n % 7) + "', " + std::to_string(n) + "/4.0, "
           + std::to_string(n % 100 - 50) + ", " + std::to_string(n) + ", " + std::to_string(n) + "000000000000, "
           + (n % 11 == 0 ? std::string{"NULL"} : std::to_string(n) + " * 0.1") + ", "
           + (n % 3 == 0 ? "true" : "false") + ", " + t + ")";
  }
  exec_ok(c, ins.c_str());
  PGresult* r = PQexecParams(c, "SELECT * FROM b", 0, nullptr, nullptr, nullptr, nullptr, 1);
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  BOOST_REQUIRE_EQUAL(PQntuples(r), rows);
  const int lengths[] = {8, -1, 4, 2, 4, 8, 8, 1, 8};
  std::vector<bool> seen(rows);
  for (int i = 0; i < rows; ++i) {
    for (int col = 0; col < 9; ++col)
      if (lengths[col] > 0 && !PQgetisnull(r, i, col))
        BOOST_REQUIRE_EQUAL(PQgetlength(r, i, col), lengths[col]);
    auto n = static_cast<int32_t>(be(PQgetvalue(r, i, 4), 4));
    BOOST_REQUIRE(n >= 0 && n < rows && !seen[static_cast<size_t>(n)]);
    seen[static_cast<size_t>(n)] = true;
    // Microseconds since 2000-01-01 (PostgreSQL's epoch), both time types.
    int64_t want_t = (1451606400LL - 946684800LL + n) * 1000000;
    BOOST_CHECK_EQUAL(static_cast<int64_t>(be(PQgetvalue(r, i, 0), 8)), want_t);
    BOOST_CHECK_EQUAL(static_cast<int64_t>(be(PQgetvalue(r, i, 8), 8)), want_t);
    BOOST_CHECK_EQUAL(std::string(PQgetvalue(r, i, 1), PQgetlength(r, i, 1)), "h" + std::to_string(n % 7));
    uint32_t ru = static_cast<uint32_t>(be(PQgetvalue(r, i, 2), 4));
    float rf;
    std::memcpy(&rf, &ru, 4);
    BOOST_CHECK_EQUAL(rf, static_cast<float>(n) / 4.0f);
    BOOST_CHECK_EQUAL(static_cast<int16_t>(be(PQgetvalue(r, i, 3), 2)), n % 100 - 50);
    BOOST_CHECK_EQUAL(static_cast<int64_t>(be(PQgetvalue(r, i, 5), 8)), n * 1000000000000LL);
    if (n % 11 == 0)
      BOOST_CHECK(PQgetisnull(r, i, 6));
    else
      BOOST_CHECK_EQUAL(float8_of(PQgetvalue(r, i, 6)), n / 10.0); // the double nearest numeric n * 0.1
    BOOST_CHECK_EQUAL(PQgetvalue(r, i, 7)[0], n % 3 == 0 ? 1 : 0);
  }
  PQclear(r);

  // numeric and interval in binary, from expressions (PostgreSQL 15's bytes).
  r = PQexecParams(c, "SELECT 12.3400, -0.001, 0.0, 10000::numeric, "
                      "interval '1 day 02:03:04.5', interval '1 year 2 mons -3 days'",
                   0, nullptr, nullptr, nullptr, nullptr, 1);
  BOOST_REQUIRE_MESSAGE(PQresultStatus(r) == PGRES_TUPLES_OK, PQresultErrorMessage(r));
  auto bytes = [&](int col) { return std::string(PQgetvalue(r, 0, col), PQgetlength(r, 0, col)); };
  using namespace std::string_literals;
  BOOST_CHECK(bytes(0) == "\0\2\0\0\0\0\0\4\0\x0c\x0d\x48"s);     // [12, 3400], weight 0, dscale 4
  BOOST_CHECK(bytes(1) == "\0\1\xff\xff\x40\0\0\3\0\x0a"s);       // [10], weight -1, negative
  BOOST_CHECK(bytes(2) == "\0\0\0\0\0\0\0\1"s);                   // no digits, dscale 1
  BOOST_CHECK(bytes(3) == "\0\1\0\1\0\0\0\0\0\1"s);               // [1], weight 1
  BOOST_CHECK(bytes(4) == "\0\0\0\1\xb8\x26\x87\x20\0\0\0\1\0\0\0\0"s); // 7384.5 s, 1 day
  BOOST_CHECK(bytes(5) == "\0\0\0\0\0\0\0\0\xff\xff\xff\xfd\0\0\0\x0e"s); // -3 days, 14 months
  PQclear(r);

  // Per-column formats and Execute with a row limit, as JDBC's fetch size
  // sends them: text n, binary big, two rows at a time.
  std::string parse = frontend('P', std::string{"\0SELECT n, big FROM b WHERE n < 5\0\0\0", 37});
  std::string bind = frontend('B', std::string{"\0\0", 2} + i16(0) + i16(0) + i16(2) + i16(0) + i16(1));
  std::string exec2 = frontend('E', std::string{"\0", 1} + i32(2));
  std::string exec_all = frontend('E', std::string{"\0", 1} + i32(0));
  std::string sync = frontend('S', "");
  auto got = raw_exchange(c, parse + bind + exec2 + exec2 + exec_all + sync);
  std::string kinds;
  std::vector<int32_t> ns;
  for (const auto& [type, body] : got) {
    kinds += type;
    if (type == 'D') {
      auto cells = cells_of(body);
      BOOST_REQUIRE_EQUAL(cells.size(), 2u);
      BOOST_REQUIRE_EQUAL(cells[1]->size(), 8u);
      int32_t n = std::stoi(*cells[0]);
      BOOST_CHECK_EQUAL(static_cast<int64_t>(be(cells[1]->data(), 8)), n * 1000000000000LL);
      ns.push_back(n);
    }
    if (type == 'C')
      BOOST_CHECK_EQUAL(body, std::string("SELECT 1\0", 9)); // the last Execute's row
  }
  BOOST_CHECK_EQUAL(kinds, "12DDsDDsDCZ");
  std::sort(ns.begin(), ns.end());
  BOOST_CHECK((ns == std::vector<int32_t>{0, 1, 2, 3, 4}));

  // Result formats PostgreSQL refuses: a count that is not the column
  // count, a code other than 0 and 1. Each skips to Sync; the session goes on.
  std::string three = frontend('B', std::string{"\0\0", 2} + i16(0) + i16(0) + i16(3) + i16(1) + i16(1) + i16(1));
  got = raw_exchange(c, parse + three + exec_all + sync);
  BOOST_REQUIRE(got.size() >= 2);
  BOOST_CHECK_EQUAL(got[got.size() - 2].first, 'E');
  BOOST_CHECK_EQUAL(sqlstate_of(got[got.size() - 2].second), "08P01");
  std::string code2 = frontend('B', std::string{"\0\0", 2} + i16(0) + i16(0) + i16(1) + i16(2));
  got = raw_exchange(c, parse + code2 + exec_all + sync);
  BOOST_REQUIRE(got.size() >= 2);
  BOOST_CHECK_EQUAL(sqlstate_of(got[got.size() - 2].second), "22023");
  // A statement without rows ignores the result formats, as in PostgreSQL.
  std::string insert = frontend('P', std::string{"\0", 1}
                                       + "INSERT INTO b (time, n) VALUES ('2017-01-01', -1)"
                                       + std::string{"\0\0\0", 3});
  got = raw_exchange(c, insert + three + exec_all + sync);
  kinds.clear();
  for (const auto& m : got)
    kinds += m.first;
  BOOST_CHECK_EQUAL(kinds, "12CZ");
  r = PQexec(c, "SELECT count(*) FROM b");
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_TUPLES_OK);
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 0)}, std::to_string(rows + 1));
  PQclear(r);
}

BOOST_AUTO_TEST_CASE(rows_of_many_pieces_with_offset_limit_and_sub_selects) {
  // 200,000 rows in three chunks: each chunk lets its rows out in several
  // pieces (about 1 MB of values each), written to the client without
  // being joined. OFFSET, LIMIT, a portal's row limit and a sub-select
  // must cut across the pieces as if they were one batch.
  test::node_connection node;
  PGconn* c = node.conn;
  exec_ok(c, "CREATE TABLE p (time timestamptz NOT NULL, host text, v double precision)");
  exec_ok(c, "SELECT create_hypertable('p', 'time', chunk_time_interval => INTERVAL '1 day')");
  constexpr int rows = 200000;
  PGresult* r = PQexec(c, "COPY p FROM STDIN");
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_COPY_IN);
  PQclear(r);
  // Row n: n seconds after 2016-01-01, host h<n % 50>, v = n / 2 or NULL
  // for every 13th (half-integers: their sum is exact in any order).
  long long twice_sum = 0;
  int nulls = 0;
  std::string data;
  for (int n = 0; n < rows; ++n) {
    char line[96];
    bool null = n % 13 == 0;
    std::snprintf(line, sizeof line, "2016-01-%02d %02d:%02d:%02d+00\th%d\t", 1 + n / 86400,
                  n % 86400 / 3600, n % 3600 / 60, n % 60, n % 50);
    data += line;
    data += null ? std::string{"\\N"} : std::to_string(n / 2) + (n % 2 ? ".5" : "");
    data += '\n';
    nulls += null;
    twice_sum += null ? 0 : n;
  }
  BOOST_REQUIRE_EQUAL(PQputCopyData(c, data.data(), static_cast<int>(data.size())), 1);
  BOOST_REQUIRE_EQUAL(PQputCopyEnd(c, nullptr), 1);
  r = PQgetResult(c);
  BOOST_REQUIRE_MESSAGE(PQresultStatus(r) == PGRES_COMMAND_OK, PQresultErrorMessage(r));
  PQclear(r);
  while ((r = PQgetResult(c)) != nullptr)
    PQclear(r);
  // The row number a time text stands for.
  auto row_of = [](const char* t) {
    int d = 0, h = 0, m = 0, sec = 0;
    BOOST_REQUIRE_EQUAL(std::sscanf(t, "2016-01-%d %d:%d:%d+00", &d, &h, &m, &sec), 4);
    return (d - 1) * 86400 + h * 3600 + m * 60 + sec;
  };
  // Every row once, each cell right; `expect` rows in all.
  auto check_rows = [&](const char* sql, int expect, bool all_columns) {
    BOOST_TEST_CONTEXT(sql) {
      PGresult* res = PQexec(c, sql);
      BOOST_REQUIRE_MESSAGE(PQresultStatus(res) == PGRES_TUPLES_OK, PQresultErrorMessage(res));
      BOOST_REQUIRE_EQUAL(PQntuples(res), expect);
      BOOST_CHECK_EQUAL(std::string{PQcmdTuples(res)}, std::to_string(expect));
      std::vector<bool> seen(rows);
      int bad = 0;
      const int vcol = all_columns ? 2 : 1;
      for (int i = 0; i < expect && bad < 5; ++i) {
        int n = row_of(PQgetvalue(res, i, 0));
        if (n < 0 || n >= rows || seen[static_cast<size_t>(n)]) {
          BOOST_ERROR("row " << i << ": " << PQgetvalue(res, i, 0) << " again or unknown");
          ++bad;
          continue;
        }
        seen[static_cast<size_t>(n)] = true;
        std::string want_v = n % 13 == 0 ? "" : std::to_string(n / 2) + (n % 2 ? ".5" : "");
        bool ok = PQgetisnull(res, i, vcol) == (n % 13 == 0) && PQgetvalue(res, i, vcol) == want_v;
        if (all_columns)
          ok = ok && std::string{PQgetvalue(res, i, 1)} == "h" + std::to_string(n % 50);
        if (!ok) {
          BOOST_ERROR("row " << i << " (n = " << n << ") has wrong values");
          ++bad;
        }
      }
      PQclear(res);
    }
  };
  check_rows("SELECT * FROM p", rows, true);
  check_rows("SELECT time, v FROM p OFFSET 150000", rows - 150000, false);
  check_rows("SELECT * FROM p OFFSET 1000 LIMIT 120000", 120000, true);
  check_rows("SELECT * FROM p OFFSET 250000", 0, true);
  // A sub-select takes the pieces whole as its table.
  r = PQexec(c, "SELECT count(*), count(v), sum(v), count(DISTINCT host) FROM (SELECT * FROM p) s");
  BOOST_REQUIRE_MESSAGE(PQresultStatus(r) == PGRES_TUPLES_OK, PQresultErrorMessage(r));
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 0)}, std::to_string(rows));
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 1)}, std::to_string(rows - nulls));
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 2)},
                    std::to_string(twice_sum / 2) + (twice_sum % 2 ? ".5" : ""));
  BOOST_CHECK_EQUAL(std::string{PQgetvalue(r, 0, 3)}, "50");
  PQclear(r);
  // A portal read 70,000 rows at a time: the limits fall inside pieces.
  std::string parse = frontend('P', std::string{"\0SELECT time FROM p\0\0\0", 23});
  std::string bind = frontend('B', std::string{"\0\0", 2} + i16(0) + i16(0) + i16(0));
  std::string exec = frontend('E', std::string{"\0", 1} + i32(70000));
  std::string sync = frontend('S', "");
  auto got = raw_exchange(c, parse + bind + exec + exec + exec + sync);
  std::string kinds;
  int data_rows = 0;
  std::vector<bool> seen(rows);
  for (const auto& [type, body] : got) {
    if (type != 'D') {
      kinds += type;
      if (type == 'C')
        BOOST_CHECK_EQUAL(body, std::string("SELECT 60000\0", 13));
      continue;
    }
    ++data_rows;
    auto cells = cells_of(body);
    BOOST_REQUIRE_EQUAL(cells.size(), 1u);
    int n = row_of(cells[0]->c_str());
    BOOST_REQUIRE(n >= 0 && n < rows && !seen[static_cast<size_t>(n)]);
    seen[static_cast<size_t>(n)] = true;
  }
  BOOST_CHECK_EQUAL(kinds, "12ssCZ");
  BOOST_CHECK_EQUAL(data_rows, rows);
}
