// COPY over libpq: text, CSV and binary FROM STDIN, rows split across
// CopyData messages, bad data, and COPY ... TO STDOUT.

#include <boost/test/unit_test.hpp>

#include <libpq-fe.h>

#include <cstring>
#include <string>
#include <vector>

#include "node_connection.hpp"

namespace {

/// Sends `chunks` as CopyData messages of one COPY; returns the error
/// message ("" on success) and the command tag.
std::pair<std::string, std::string> copy_in(PGconn* c, const std::string& sql,
                                            const std::vector<std::string>& chunks) {
  PGresult* r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) {
    std::string e = PQresultErrorMessage(r);
    PQclear(r);
    return {e.empty() ? "not COPY_IN" : e, ""};
  }
  PQclear(r);
  for (const auto& ch : chunks)
    PQputCopyData(c, ch.data(), static_cast<int>(ch.size()));
  PQputCopyEnd(c, nullptr);
  std::string err, tag;
  while ((r = PQgetResult(c)) != nullptr) {
    if (PQresultStatus(r) == PGRES_FATAL_ERROR)
      err = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    else
      tag = PQcmdStatus(r);
    PQclear(r);
  }
  return {err, tag};
}

std::string scalar(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  std::string v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0
                    ? (PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0))
                    : std::string{"ERROR "} + PQresultErrorMessage(r);
  PQclear(r);
  return v;
}

void exec_ok(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  BOOST_REQUIRE_MESSAGE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
                        sql << ": " << PQresultErrorMessage(r));
  PQclear(r);
}

void be(std::string& out, uint64_t x, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

} // namespace

BOOST_AUTO_TEST_CASE(copy_from_stdin_in_every_format) {
  test::node_connection node;
  PGconn* c = node.conn;
  exec_ok(c, "CREATE TABLE m (time timestamptz NOT NULL, host text, v double precision, n int)");
  exec_ok(c, "SELECT create_hypertable('m', 'time', chunk_time_interval => INTERVAL '1 hour')");

  // Text, with a row split across CopyData messages.
  auto [err, tag] = copy_in(c, "COPY m FROM STDIN",
                            {"2016-01-01 00:00:00+00\th1\t1.5\t1\n2016-01-01 00:0",
                             "0:10+00\th2\t\\N\t2\n2016-01-01 01:00:00+00\th\\\\x\t3\t\\N\n"});
  BOOST_CHECK_EQUAL(err, "");
  BOOST_CHECK_EQUAL(tag, "COPY 3");
  BOOST_CHECK_EQUAL(scalar(c, "SELECT count(*) FROM m WHERE v IS NULL"), "1");
  BOOST_CHECK_EQUAL(scalar(c, "SELECT host FROM m WHERE n IS NULL"), "h\\x");

  // CSV with a header, quotes and a subset of columns.
  std::tie(err, tag) = copy_in(c, "COPY m (time, host) FROM STDIN WITH (FORMAT csv, HEADER true)",
                               {"time,host\n2016-01-01 02:00:00+00,\"a,\"\"b\"\"\"\n"});
  BOOST_CHECK_EQUAL(err, "");
  BOOST_CHECK_EQUAL(tag, "COPY 1");
  BOOST_CHECK_EQUAL(scalar(c, "SELECT host FROM m WHERE time = '2016-01-01 02:00:00+00'"),
                    "a,\"b\"");

  // Binary: PGCOPY header, one tuple, trailer.
  std::string bin{"PGCOPY\n\377\r\n\0", 11};
  be(bin, 0, 4);
  be(bin, 0, 4);
  be(bin, 4, 2);
  int64_t t = (1451606400LL - 946684800LL) * 1000000 + 3 * 3600LL * 1000000; // 2016-01-01 03:00
  be(bin, 8, 4);
  be(bin, static_cast<uint64_t>(t), 8);
  be(bin, 2, 4);
  bin += "hb";
  double v = 2.25;
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  be(bin, 8, 4);
  be(bin, bits, 8);
  be(bin, static_cast<uint64_t>(-1), 4); // NULL n
  be(bin, static_cast<uint64_t>(-1), 2); // trailer
  // Cut inside the header, then inside the tuple: each piece parsed where
  // it lies, the cut part kept for the next.
  std::tie(err, tag) = copy_in(c, "COPY m FROM STDIN WITH (FORMAT binary)",
                               {bin.substr(0, 5), bin.substr(5, 25), bin.substr(30)});
  BOOST_CHECK_EQUAL(err, "");
  BOOST_CHECK_EQUAL(tag, "COPY 1");
  BOOST_CHECK_EQUAL(scalar(c, "SELECT v FROM m WHERE host = 'hb'"), "2.25");
  BOOST_CHECK_EQUAL(scalar(c, "SELECT time FROM m WHERE host = 'hb'"), "2016-01-01 03:00:00+00");

  // Bad data fails the whole COPY; nothing of it is visible.
  std::tie(err, tag) = copy_in(c, "COPY m FROM STDIN",
                               {"2016-01-01 04:00:00+00\tok\t1\t1\n2016-01-01 04:00:01+00\tbad\tabc\t1\n"});
  BOOST_CHECK_EQUAL(err, "22P02");
  std::tie(err, tag) = copy_in(c, "COPY m FROM STDIN", {"2016-01-01 04:00:00+00\tshort\n"});
  BOOST_CHECK_EQUAL(err, "22P04");
  std::tie(err, tag) = copy_in(c, "COPY m FROM STDIN", {"\\N\tnull-time\t1\t1\n"});
  BOOST_CHECK_EQUAL(err, "23502");
  std::tie(err, tag) = copy_in(c, "COPY m FROM STDIN WITH (FORMAT binary)", {"not a header........."});
  BOOST_CHECK_EQUAL(err, "22P04");
  // A column named twice (PostgreSQL 15: 42701), binary data after the
  // trailer (22P04 "received copy data after EOF marker").
  std::tie(err, tag) = copy_in(c, "COPY m (time, host, host) FROM STDIN", {});
  BOOST_CHECK_NE(err.find("column \"host\" specified more than once"), std::string::npos);
  std::tie(err, tag) = copy_in(c, "COPY m FROM STDIN WITH (FORMAT binary)", {bin + "x"});
  BOOST_CHECK_EQUAL(err, "22P04");
  std::tie(err, tag) = copy_in(c, "COPY m FROM STDIN WITH (FORMAT binary)", {bin, "x"});
  BOOST_CHECK_EQUAL(err, "22P04");
  BOOST_CHECK_EQUAL(scalar(c, "SELECT count(*) FROM m"), "5");
  // The connection is still fine.
  BOOST_CHECK_EQUAL(scalar(c, "SELECT 1"), "1");
}

BOOST_AUTO_TEST_CASE(copy_to_stdout) {
  test::node_connection node;
  PGconn* c = node.conn;
  exec_ok(c, "CREATE TABLE m (time timestamptz NOT NULL, host text, v double precision)");
  exec_ok(c, "INSERT INTO m VALUES ('2016-01-01', 'a\tb', 1.5), ('2016-01-02', NULL, 2)");
  PGresult* r = PQexec(c, "COPY (SELECT host, v FROM m ORDER BY time) TO STDOUT");
  BOOST_REQUIRE_EQUAL(PQresultStatus(r), PGRES_COPY_OUT);
  PQclear(r);
  std::string all;
  char* buf = nullptr;
  int n;
  while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
    all.append(buf, static_cast<size_t>(n));
    PQfreemem(buf);
  }
  r = PQgetResult(c);
  BOOST_CHECK_EQUAL(std::string{PQcmdStatus(r)}, "COPY 2");
  PQclear(r);
  while ((r = PQgetResult(c)) != nullptr)
    PQclear(r);
  BOOST_CHECK_EQUAL(all, "a\\tb\t1.5\n\\N\t2\n");
}
