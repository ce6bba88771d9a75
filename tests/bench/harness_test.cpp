// hypertide-bench against real nodes on loopback ports: load, then every
// query type's answers against values computed here from the generator;
// run --check between two nodes; the three COPY formats; bad input.

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>

#include "bench/data_set.hpp"
#include "benchmarks/bench_options.hpp"
#include "benchmarks/pg_client.hpp"
#include "benchmarks/wire_client.hpp"
#include "benchmarks/result_compare.hpp"
#include "benchmarks/tsbs_queries.hpp"
#include "planner/datetime.hpp"
#include "sql_runner/node_connection.hpp"

namespace {

using namespace hypertide;
using namespace hypertide::benchmarks;
namespace cs = hypertide::chunkstore;

constexpr int64_t minute = cs::usecs_per_minute;
constexpr int64_t hour = cs::usecs_per_hour;

// 10 hosts x 13 h at 10 s: 46,800 rows, just long enough for the 12-hour
// query types.
const char* const data_flags =
  " --seed 42 --scale 10 --start 2016-01-01T00:00:00Z --end 2016-01-01T13:00:00Z";

tsbs_options test_data() {
  return test::data_set(42, 10, 13);
}

struct bench_run {
  int code = -1;
  std::string output;
};

/// Runs hypertide-bench with `args` (a shell word list); stdout and stderr.
bench_run bench(const std::string& args) {
  bench_run r;
  std::string cmd = std::string{HYPERTIDE_BENCH_BINARY} + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  BOOST_REQUIRE(p != nullptr);
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p))
    r.output.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string port_of(const test::node_connection& n) {
  return PQport(n.conn);
}

std::string scalar(const test::node_connection& n, const char* sql) {
  PGresult* r = PQexec(n.conn, sql);
  std::string v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                    ? PQgetvalue(r, 0, 0)
                    : std::string{"ERROR "} + PQresultErrorMessage(r);
  PQclear(r);
  return v;
}

void load(const test::node_connection& n, const std::string& extra = "") {
  auto r = bench("load --port " + port_of(n) + data_flags + " --workers 3 --batch-size 5000"
                 + extra);
  BOOST_REQUIRE_MESSAGE(r.code == 0, r.output);
  BOOST_TEST(r.output.find("load: 46800 rows (468000 metrics)") != std::string::npos, r.output);
}

/// One generated row.
struct row {
  int64_t time;
  std::string host;
  double f[10];
};

std::vector<row> all_rows() {
  std::vector<row> rows;
  tsbs_cpu_generator gen{test_data()};
  cs::column_batch b;
  while (gen.next(b, 5000) > 0)
    for (size_t r = 0; r < b.rows(); ++r) {
      row x{b.col(0).i64[r], b.col(1).dict[b.col(1).codes[r]], {}};
      for (size_t f = 0; f < 10; ++f)
        x.f[f] = b.col(2 + f).f64[r];
      rows.push_back(std::move(x));
    }
  return rows;
}

std::string num(double x) {
  char b[32];
  auto r = std::to_chars(b, b + sizeof b, x);
  return std::string(b, r.ptr);
}

std::string ts(int64_t t) {
  return planner::format_timestamptz(t);
}

std::vector<std::string> fields(const char* prefix, int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i)
    v.push_back(prefix + std::string{tsbs_cpu_fields[i]});
  return v;
}

/// What PostgreSQL answers to `q`, computed from the generated rows.
result_set expected(const devops_query& q, const std::vector<row>& rows) {
  const auto& t = *q.type;
  auto in_window = [&](const row& r) { return r.time >= q.start && r.time < q.end; };
  auto in_hosts = [&](const row& r) {
    if (q.hosts.empty())
      return true;
    for (uint32_t h : q.hosts)
      if (r.host == tsbs_host_name(h))
        return true;
    return false;
  };
  result_set out;
  auto bucket_max = [&](int64_t width, int metrics, const char* name) {
    out.columns = {name};
    for (const auto& f : fields("max_", metrics))
      out.columns.push_back(f);
    std::map<int64_t, std::vector<double>> groups;
    for (const auto& r : rows)
      if (in_window(r) && in_hosts(r)) {
        auto [it, fresh] = groups.try_emplace(r.time - r.time % width, r.f, r.f + metrics);
        for (int i = 0; !fresh && i < metrics; ++i)
          it->second[static_cast<size_t>(i)] = std::max(it->second[static_cast<size_t>(i)], r.f[i]);
      }
    for (const auto& [b, m] : groups) {
      auto& o = out.rows.emplace_back();
      o.push_back(ts(b));
      for (double x : m)
        o.push_back(num(x));
    }
  };
  switch (t.kind) {
    case devops_kind::single_groupby:
      bucket_max(minute, t.metrics, "minute");
      break;
    case devops_kind::cpu_max_all:
      bucket_max(hour, 10, "hour");
      break;
    case devops_kind::double_groupby: {
      out.columns = {"hour", "hostname"};
      for (const auto& f : fields("mean_", t.metrics))
        out.columns.push_back(f);
      std::map<std::pair<int64_t, std::string>, std::pair<std::vector<double>, int>> groups;
      for (const auto& r : rows)
        if (in_window(r)) {
          auto& [sums, n] = groups[{r.time - r.time % hour, r.host}];
          sums.resize(static_cast<size_t>(t.metrics));
          for (int i = 0; i < t.metrics; ++i)
            sums[static_cast<size_t>(i)] += r.f[i];
          ++n;
        }
      for (const auto& [key, g] : groups) {
        auto& o = out.rows.emplace_back();
        o.push_back(ts(key.first));
        o.push_back(key.second);
        for (double s : g.first)
          o.push_back(num(s / g.second));
      }
      break;
    }
    case devops_kind::high_cpu:
    case devops_kind::lastpoint: {
      out.columns = {"time", "hostname"};
      for (const auto& f : fields("", 10))
        out.columns.push_back(f);
      std::map<std::string, const row*> last;
      for (const auto& r : rows) {
        if (t.kind == devops_kind::lastpoint) {
          auto& l = last[r.host];
          if (l == nullptr || l->time < r.time)
            l = &r;
          continue;
        }
        if (in_window(r) && in_hosts(r) && r.f[0] > 90.0) {
          auto& o = out.rows.emplace_back();
          o.push_back(ts(r.time));
          o.push_back(r.host);
          for (double x : r.f)
            o.push_back(num(x));
        }
      }
      for (const auto& [host, r] : last) {
        auto& o = out.rows.emplace_back();
        o.push_back(ts(r->time));
        o.push_back(host);
        for (double x : r->f)
          o.push_back(num(x));
      }
      break;
    }
    case devops_kind::groupby_orderby_limit: {
      out.columns = {"minute", "max"};
      std::map<int64_t, double> groups;
      for (const auto& r : rows)
        if (r.time < q.end) {
          auto [it, fresh] = groups.try_emplace(r.time - r.time % minute, r.f[0]);
          it->second = std::max(it->second, r.f[0]);
        }
      int n = 0;
      for (auto it = groups.rbegin(); it != groups.rend() && n < 5; ++it, ++n)
        out.rows.push_back({ts(it->first), num(it->second)});
      break;
    }
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(harness)

BOOST_AUTO_TEST_CASE(every_query_type_answers_what_the_generator_implies) {
  test::node_connection node;
  load(node);
  BOOST_TEST(scalar(node, "SELECT count(*) FROM cpu") == "46800");
  BOOST_TEST(scalar(node, "SELECT count(*) FROM tags") == "10");
  BOOST_TEST(scalar(node, "SELECT region FROM tags WHERE hostname = 'host_3'")
             == tsbs_host_tags(42, 3).values[1]);

  auto rows = all_rows();
  server_address a;
  a.port = static_cast<uint16_t>(std::stoi(port_of(node)));
  // libpq's PQexec and the harness's own streaming reader, both protocols.
  pg_client libpq;
  wire_client stream{false};
  BOOST_REQUIRE(libpq.connect(a).empty());
  BOOST_REQUIRE(stream.connect(a).empty());
  size_t checked = 0;
  for (const auto& t : devops_query_types()) {
    devops_query_generator gen{test_data(), t};
    BOOST_REQUIRE(gen.error().empty());
    for (int i = 0; i < 3; ++i) {
      auto q = gen.next();
      auto want = expected(q, rows);
      BOOST_TEST(!want.rows.empty(), t.name);
      for (query_target* client : {static_cast<query_target*>(&libpq), static_cast<query_target*>(&stream)})
        for (bool extended : {false, true}) {
          result_set got;
          size_t n = 0;
          auto e = client->query(q.sql, extended, n, &got);
          BOOST_REQUIRE_MESSAGE(e.empty(), t.name << ": " << e << "\n" << q.sql);
          BOOST_TEST(n == got.rows.size(), t.name);
          compare_options o;
          o.ordered = q.ordered();
          auto diff = compare_results(got, want, o);
          BOOST_TEST(diff.empty(), t.name << " query " << i << ":\n" << q.sql << "\n" << diff);
          ++checked;
        }
    }
  }
  // An error comes back as the server's message; the connection goes on.
  size_t n = 0;
  BOOST_TEST(stream.query("SELECT * FROM nowhere", false, n, nullptr).find("ERROR 42P01") == 0u);
  BOOST_TEST(stream.query("SELECT * FROM nowhere", true, n, nullptr).find("ERROR 42P01") == 0u);
  BOOST_TEST(stream.query("SELECT count(*) FROM cpu", true, n, nullptr).empty());
  BOOST_TEST(n == 1u);
  BOOST_TEST(checked == 180u);
}

BOOST_AUTO_TEST_CASE(run_check_passes_on_equal_data_and_fails_on_different_data) {
  test::node_connection a, b, c;
  load(a);
  load(b, " --format text --schema hypertable --partitions 2 --chunk-interval 3h");
  load(c, " --format csv --seed 43");
  auto same = bench("run --port " + port_of(a) + data_flags + " --count 3 --workers 2 --check"
                    " --port2 " + port_of(b) + " --json /dev/null");
  BOOST_TEST(same.code == 0, same.output);
  BOOST_TEST(same.output.find("check: 45 queries compared, 0 differ") != std::string::npos,
             same.output);
  auto extended = bench("run --port " + port_of(a) + data_flags
                        + " --count 1 --protocol extended --check --port2 " + port_of(b));
  BOOST_TEST(extended.code == 0, extended.output);
  auto libpq = bench("run --port " + port_of(a) + data_flags
                     + " --count 1 --client libpq --check --port2 " + port_of(b));
  BOOST_TEST(libpq.code == 0, libpq.output);
  // Binary rows: the same row counts as text.
  auto text = bench("run --port " + port_of(a) + data_flags + " --count 2 --protocol extended"
                    " --json /dev/stdout");
  auto binary = bench("run --port " + port_of(a) + data_flags + " --count 2 --protocol extended"
                      " --result-format binary --json /dev/stdout");
  BOOST_TEST(binary.code == 0, binary.output);
  auto rows_of = [](const std::string& out) {
    std::string all;
    for (size_t at = out.find("\"rows\""); at != std::string::npos; at = out.find("\"rows\"", at + 1))
      all += out.substr(at, out.find_first_of(",}", at) - at) + ";";
    return all;
  };
  BOOST_TEST(!rows_of(text.output).empty(), text.output);
  BOOST_TEST(rows_of(text.output) == rows_of(binary.output), text.output << binary.output);
  auto other = bench("run --port " + port_of(a) + data_flags
                     + " --count 1 --type lastpoint,high-cpu-all --check --port2 " + port_of(c));
  BOOST_TEST(other.code == int{exit_mismatch}, other.output);
  BOOST_TEST(other.output.find("MISMATCH lastpoint query 1") != std::string::npos, other.output);
  BOOST_TEST(other.output.find("check: 2 queries compared, 2 differ") != std::string::npos,
             other.output);
}

BOOST_AUTO_TEST_CASE(run_reports_every_type_and_stops_on_a_server_error) {
  test::node_connection node;
  load(node);
  auto r = bench("run --port " + port_of(node) + data_flags + " --count 2");
  BOOST_TEST(r.code == 0, r.output);
  for (const auto& t : devops_query_types())
    BOOST_TEST(r.output.find(std::string{"\n"} + t.name + " ") != std::string::npos, t.name);
  // PostgreSQL's dialect (date_trunc) gives the same answers as TimescaleDB's
  // (time_bucket) on hypertide.
  auto dialects = bench("run --port " + port_of(node) + data_flags
                        + " --count 1 --dialect postgres --check --port2 " + port_of(node)
                        + " --dialect2 timescaledb");
  BOOST_TEST(dialects.code == 0, dialects.output);
  BOOST_TEST(dialects.output.find("0 differ") != std::string::npos, dialects.output);
  // A server error stops the run: a node without the tables.
  test::node_connection empty;
  auto bad = bench("run --port " + port_of(empty) + data_flags
                   + " --count 1 --type single-groupby-1-1-1");
  BOOST_TEST(bad.code == int{exit_failed}, bad.output);
  BOOST_TEST(bad.output.find("single-groupby-1-1-1 query 1 failed") != std::string::npos,
             bad.output);
  // The schema exists: a second load without --drop fails on CREATE TABLE,
  // with --no-create it appends.
  auto again = bench("load --port " + port_of(node) + data_flags);
  BOOST_TEST(again.code == int{exit_failed}, again.output);
  auto append = bench("load --port " + port_of(node) + data_flags + " --no-create --no-tags");
  BOOST_TEST(append.code == 0, append.output);
  BOOST_TEST(scalar(node, "SELECT count(*) FROM cpu") == "93600");
}

BOOST_AUTO_TEST_CASE(in_process_load_and_run_and_bad_input) {
  auto r = bench(std::string{"load --in-process"} + data_flags + " --workers 2 --json /dev/null");
  BOOST_TEST(r.code == 0, r.output);
  BOOST_TEST(r.output.find("load: 46800 rows (468000 metrics) into a node in this process")
               != std::string::npos,
             r.output);
  // Not a terminal: plain lines, no bar.
  BOOST_TEST(r.output.find('\r') == std::string::npos);
  // run --in-process loads a node of its own and queries it through local
  // sessions; --check compares it with a node over the wire.
  test::node_connection node;
  load(node);
  auto q = bench(std::string{"run --in-process"} + data_flags + " --count 2 --workers 2"
                 + " --partitions 2 --check --port2 " + port_of(node));
  BOOST_TEST(q.code == 0, q.output);
  BOOST_TEST(q.output.find("run: in-process node") != std::string::npos, q.output);
  BOOST_TEST(q.output.find("check: 30 queries compared, 0 differ") != std::string::npos,
             q.output);
  for (const char* args : {"load --bogus", "run --start 2016-13-45", "queries --type nope",
                           "generate --scale 0", "run --workers", "frobnicate"}) {
    auto e = bench(args);
    BOOST_TEST(e.code == int{exit_usage}, args << ": " << e.output);
    BOOST_TEST(e.output.find("hypertide-bench") == 0, e.output);
  }
  auto dry = bench("load --dry-run --format text" + std::string{data_flags});
  BOOST_TEST(dry.code == 0, dry.output);
  BOOST_TEST(dry.output.find("load: 46800 rows (468000 metrics) into nowhere") != std::string::npos,
             dry.output);
  auto none = bench("load --port 1" + std::string{data_flags});
  BOOST_TEST(none.code == int{exit_failed}, none.output);
  BOOST_TEST(none.output.find("cannot connect to 127.0.0.1:1") != std::string::npos, none.output);
}

BOOST_AUTO_TEST_CASE(generate_writes_the_rows_load_sends) {
  auto csv = bench("generate --scale 2 --start 2016-01-01T00:00:00Z --end 2016-01-01T00:00:20Z");
  BOOST_TEST(csv.code == 0);
  auto lines = std::count(csv.output.begin(), csv.output.end(), '\n');
  BOOST_TEST(lines == 4);
  BOOST_TEST(csv.output.rfind("2016-01-01 00:00:00+00,host_0,", 0) == 0, csv.output);
  auto tags = bench("generate --tags --scale 3 --seed 42");
  BOOST_TEST(tags.output.find("host_2," + tsbs_host_tags(42, 2).values[1] + ",")
               != std::string::npos,
             tags.output);
}

BOOST_AUTO_TEST_SUITE_END()
