// SQL through the session actor without a socket (actors/local_session.hpp):
// what embedders and the harness's in-process mode rely on.

#include <boost/test/unit_test.hpp>

#include "actors/fixtures.hpp"
#include "actors/local_session.hpp"

using namespace hypertide;
using test::expect_ok;
using test::sqlstate_of;

BOOST_FIXTURE_TEST_SUITE(local_session, test::real_node_fixture)

BOOST_AUTO_TEST_CASE(statements_rows_and_tags) {
  actors::local_session s{node};
  auto r = expect_ok(s.simple_query(
    "CREATE TABLE m (time timestamptz NOT NULL, device text, v double precision);"
    "SELECT create_hypertable('m', 'time');"
    "INSERT INTO m VALUES ('2024-01-01 00:00:00+00', 'a', 1.5), "
    "('2024-01-01 00:00:10+00', 'b', NULL), ('2024-01-02 00:00:00+00', 'a', 3)"));
  BOOST_REQUIRE_EQUAL(r.size(), 3u);
  BOOST_CHECK_EQUAL(r[0].tag, "CREATE TABLE");
  BOOST_CHECK_EQUAL(r[2].tag, "INSERT 0 3");

  auto q = expect_ok(s.simple_query(
    "SELECT device, count(*), sum(v) FROM m GROUP BY device ORDER BY device"));
  BOOST_REQUIRE_EQUAL(q.size(), 1u);
  BOOST_CHECK_EQUAL(q[0].tag, "SELECT 2");
  BOOST_REQUIRE_EQUAL(q[0].columns.size(), 3u);
  BOOST_CHECK_EQUAL(q[0].columns[0], "device");
  BOOST_CHECK_EQUAL(q[0].columns[2], "sum");
  BOOST_REQUIRE_EQUAL(q[0].rows.size(), 2u);
  BOOST_CHECK_EQUAL(*q[0].rows[0][0], "a");
  BOOST_CHECK_EQUAL(*q[0].rows[0][1], "2");
  BOOST_CHECK_EQUAL(*q[0].rows[0][2], "4.5");
  BOOST_CHECK_EQUAL(*q[0].rows[1][1], "1");
  BOOST_CHECK(!q[0].rows[1][2].has_value()); // sum over only NULL is NULL
}

BOOST_AUTO_TEST_CASE(errors_leave_the_session_usable) {
  actors::local_session s{node};
  auto bad = s.simple_query("SELECT * FROM nowhere");
  BOOST_CHECK_EQUAL(sqlstate_of(bad), "42P01");
  auto syntax = s.simple_query("SELEC 1");
  BOOST_CHECK_EQUAL(sqlstate_of(syntax), "42601");
  auto ok = expect_ok(s.simple_query("SELECT 1 + 1 AS two"));
  BOOST_REQUIRE_EQUAL(ok.size(), 1u);
  BOOST_CHECK_EQUAL(*ok[0].rows.at(0).at(0), "2");
}

BOOST_AUTO_TEST_CASE(copy_from_stdin_is_refused_not_hung) {
  actors::local_session s{node};
  expect_ok(s.simple_query("CREATE TABLE c (time timestamptz NOT NULL, v int)"));
  auto r = s.simple_query("COPY c FROM STDIN");
  BOOST_CHECK_EQUAL(sqlstate_of(r), "57014"); // PostgreSQL's code for a CopyFail
  auto n = expect_ok(s.simple_query("SELECT count(*) FROM c"));
  BOOST_CHECK_EQUAL(*n.at(0).rows.at(0).at(0), "0");
}

BOOST_AUTO_TEST_CASE(sessions_see_each_others_commits) {
  actors::local_session a{node};
  actors::local_session b{node};
  expect_ok(a.simple_query("CREATE TABLE t (time timestamptz NOT NULL, v int)"));
  expect_ok(a.simple_query("BEGIN; INSERT INTO t VALUES ('2024-01-01', 1)"));
  auto before = expect_ok(b.simple_query("SELECT count(*) FROM t"));
  BOOST_CHECK_EQUAL(*before.at(0).rows.at(0).at(0), "0");
  expect_ok(a.simple_query("COMMIT"));
  auto after = expect_ok(b.simple_query("SELECT count(*) FROM t"));
  BOOST_CHECK_EQUAL(*after.at(0).rows.at(0).at(0), "1");
}

BOOST_AUTO_TEST_CASE(a_table_created_again_is_planned_again) {
  // Session a caches t's columns; b replaces t with other columns in other
  // places. a's next query must see the new table, never the old plan.
  actors::local_session a{node};
  actors::local_session b{node};
  expect_ok(a.simple_query("CREATE TABLE t (time timestamptz NOT NULL, x int, y float8);"
                           "INSERT INTO t VALUES ('2024-01-01', 1, 0.5)"));
  auto first = expect_ok(a.simple_query("SELECT x, y FROM t"));
  BOOST_CHECK_EQUAL(*first.at(0).rows.at(0).at(0), "1");
  expect_ok(b.simple_query("DROP TABLE t;"
                           "CREATE TABLE t (time timestamptz NOT NULL, y float8, x int);"
                           "INSERT INTO t VALUES ('2024-01-01', 2.5, 7)"));
  auto second = expect_ok(a.simple_query("SELECT x, y FROM t"));
  BOOST_REQUIRE_EQUAL(second.at(0).rows.size(), 1u);
  BOOST_CHECK_EQUAL(*second.at(0).rows.at(0).at(0), "7");
  BOOST_CHECK_EQUAL(*second.at(0).rows.at(0).at(1), "2.5");
  // INSERT caches columns too: after another swap, a's INSERT by position
  // must land in the new layout.
  expect_ok(a.simple_query("INSERT INTO t VALUES ('2024-01-02', 3.5, 8)"));
  expect_ok(b.simple_query("DROP TABLE t;"
                           "CREATE TABLE t (time timestamptz NOT NULL, x int, y float8)"));
  expect_ok(a.simple_query("INSERT INTO t VALUES ('2024-01-03', 9, 4.5)"));
  auto third = expect_ok(b.simple_query("SELECT x, y FROM t"));
  BOOST_REQUIRE_EQUAL(third.at(0).rows.size(), 1u);
  BOOST_CHECK_EQUAL(*third.at(0).rows.at(0).at(0), "9");
  BOOST_CHECK_EQUAL(*third.at(0).rows.at(0).at(1), "4.5");
  expect_ok(b.simple_query("DROP TABLE t"));
  BOOST_CHECK_EQUAL(sqlstate_of(a.simple_query("SELECT x FROM t")), "42P01");
}

BOOST_AUTO_TEST_CASE(large_raw_results_stream_whole_and_in_order) {
  // ~4 MB of DataRows: sent in several batches, every row exactly once.
  actors::local_session s{node};
  expect_ok(s.simple_query("CREATE TABLE big (time timestamptz NOT NULL, host text, v float8, n int)"));
  chunkstore::column_batch b{expect_ok(node.schema("big"))};
  constexpr int rows = 60'000;
  for (int i = 0; i < rows; ++i) {
    b.append_int(0, int64_t{1'451'606'400'000'000} + int64_t{i} * 1'000'000);
    b.append_text(1, "host_" + std::to_string(i % 17));
    b.append_float(2, i * 0.25);
    if (i % 1000 == 999)
      b.append_null(3);
    else
      b.append_int(3, i);
    b.finish_row();
  }
  expect_ok(node.insert("big", b));
  auto r = expect_ok(s.simple_query("SELECT time, host, v, n FROM big"));
  BOOST_REQUIRE_EQUAL(r.size(), 1u);
  BOOST_CHECK_EQUAL(r[0].tag, "SELECT 60000");
  BOOST_REQUIRE_EQUAL(r[0].rows.size(), static_cast<size_t>(rows));
  std::vector<bool> seen(rows);
  int nulls = 0;
  for (const auto& row : r[0].rows) {
    int i = static_cast<int>(std::stod(*row.at(2)) * 4);
    if (i == 1)
      BOOST_CHECK_EQUAL(*row.at(0), "2016-01-01 00:00:01+00");
    BOOST_REQUIRE(i >= 0 && i < rows && !seen[static_cast<size_t>(i)]);
    seen[static_cast<size_t>(i)] = true;
    BOOST_CHECK_EQUAL(*row.at(1), "host_" + std::to_string(i % 17));
    if (!row.at(3))
      ++nulls;
    else
      BOOST_CHECK_EQUAL(*row.at(3), std::to_string(i));
  }
  BOOST_CHECK_EQUAL(nulls, rows / 1000);
}

BOOST_AUTO_TEST_SUITE_END()
