// Runs the sqllogictest-style files in tests/sql/ against the real binary
// over the PostgreSQL protocol (libpq), one fresh node per file, and the
// TimescaleDB peer cases in shared/peer/ unchanged.
//
// File format (blocks separated by blank lines, `#` starts a comment line):
//
//   statement ok
//   <SQL, one or more lines>
//
//   statement error <SQLSTATE> [text the message must contain]
//   <SQL>
//
//   query [rowsort]
//   <SQL>
//   ----
//   <expected rows: cells joined by |, NULL for NULL; none for no rows>

#include <boost/test/unit_test.hpp>

#include <libpq-fe.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "node_connection.hpp"

namespace {

using test::node_connection;

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct outcome {
  bool ok = false;
  std::string sqlstate, message;
  std::vector<std::string> rows;
};

outcome run(PGconn* c, const std::string& sql) {
  outcome o;
  PGresult* r = PQexec(c, sql.c_str());
  auto st = PQresultStatus(r);
  if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
    const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char* msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    o.sqlstate = code ? code : "";
    o.message = msg ? msg : "";
  } else {
    o.ok = true;
    for (int i = 0; i < PQntuples(r); ++i) {
      std::string row;
      for (int j = 0; j < PQnfields(r); ++j) {
        if (j > 0)
          row += "|";
        row += PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j);
      }
      o.rows.push_back(row);
    }
  }
  PQclear(r);
  return o;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v)
    s += x + "\n";
  return s;
}

void run_file(const fs::path& file) {
  node_connection node;
  std::ifstream in{file};
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  size_t i = 0;
  int blocks = 0;
  while (i < lines.size()) {
    if (lines[i].empty() || lines[i][0] == '#') {
      ++i;
      continue;
    }
    size_t head_line = i + 1;
    std::istringstream head{lines[i++]};
    std::string kind, arg;
    head >> kind >> arg;
    std::string rest;
    std::getline(head, rest);
    if (!rest.empty() && rest[0] == ' ')
      rest.erase(0, 1);
    std::string sql;
    while (i < lines.size() && !lines[i].empty() && lines[i] != "----")
      sql += lines[i++] + "\n";
    std::vector<std::string> expected;
    if (i < lines.size() && lines[i] == "----") {
      ++i;
      while (i < lines.size() && !lines[i].empty())
        expected.push_back(lines[i++]);
    }
    ++blocks;
    BOOST_TEST_CONTEXT(file.filename().string() << ":" << head_line << ": " << sql) {
      outcome o = run(node.conn, sql);
      if (kind == "statement" && arg == "ok") {
        BOOST_CHECK_MESSAGE(o.ok, "failed: " << o.sqlstate << " " << o.message);
      } else if (kind == "statement" && arg == "error") {
        std::istringstream r{rest};
        std::string code;
        r >> code;
        std::string text;
        std::getline(r, text);
        if (!text.empty() && text[0] == ' ')
          text.erase(0, 1);
        BOOST_CHECK_MESSAGE(!o.ok, "succeeded, expected an error");
        BOOST_CHECK_EQUAL(o.sqlstate, code);
        if (!text.empty())
          BOOST_CHECK_MESSAGE(o.message.find(text) != std::string::npos,
                              "message \"" << o.message << "\" lacks \"" << text << "\"");
      } else if (kind == "query") {
        BOOST_CHECK_MESSAGE(o.ok, "failed: " << o.sqlstate << " " << o.message);
        // EXPLAIN ANALYZE's timing differs run to run.
        o.rows.erase(std::remove_if(o.rows.begin(), o.rows.end(),
                                    [](const std::string& r) {
                                      return r.rfind("Execution Time:", 0) == 0;
                                    }),
                     o.rows.end());
        if (arg == "rowsort") {
          std::sort(o.rows.begin(), o.rows.end());
          std::sort(expected.begin(), expected.end());
        }
        BOOST_CHECK_EQUAL(join(o.rows), join(expected));
      } else {
        BOOST_FAIL("unknown block kind: " << kind);
      }
    }
  }
  BOOST_CHECK_GT(blocks, 0);
}

} // namespace

BOOST_AUTO_TEST_CASE(sql_files) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator{SQL_TEST_DIR})
    if (e.path().extension() == ".test")
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  BOOST_REQUIRE(!files.empty());
  for (const auto& f : files)
    run_file(f);
}

BOOST_AUTO_TEST_CASE(timescaledb_time_bucket_peer_cases) {
  // shared/peer/ lies beside the repository (a copy in CI).
  fs::path tsv = fs::path{PROJECT_DIR} / ".." / "shared" / "peer" / "time_bucket.tsv";
  std::ifstream in{tsv};
  BOOST_REQUIRE_MESSAGE(in.good(), "missing " << tsv);
  node_connection node;
  int cases = 0;
  for (std::string line; std::getline(in, line);) {
    auto tab = line.find('\t');
    if (tab == std::string::npos)
      continue;
    std::string sql = line.substr(0, tab), want = line.substr(tab + 1);
    BOOST_TEST_CONTEXT(sql) {
      outcome o = run(node.conn, sql);
      BOOST_CHECK_MESSAGE(o.ok, o.sqlstate << " " << o.message);
      BOOST_CHECK_EQUAL(o.rows.size(), 1u);
      if (!o.rows.empty())
        BOOST_CHECK_EQUAL(o.rows[0], want);
    }
    ++cases;
  }
  BOOST_CHECK_EQUAL(cases, 35);
}
