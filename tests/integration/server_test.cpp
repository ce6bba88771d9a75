// The real `hypertide` binary on a free loopback port, driven with psql and
// raw sockets as a client would. Every wait is bounded.

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/ports.hpp"

namespace {

using test::free_port;

using namespace std::chrono_literals;


int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/// Runs a shell command; returns (exit status, stdout + stderr).
std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p))
    out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// A hypertide process; stopped with SIGTERM at the end of the test.
struct server {
  pid_t pid = -1;
  uint16_t port = 0;

  explicit server(std::vector<std::string> args = {}) {
    port = free_port();
    args.insert(args.begin(), HYPERTIDE_BINARY);
    args.push_back("--hypertide.port=" + std::to_string(port));
    pid = fork();
    if (pid == 0) {
      // The node dies with the test, even when the test is killed.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) { // up to 10 s
      int fd = connect_to(port);
      if (fd >= 0) {
        close(fd);
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
    BOOST_FAIL("hypertide did not start listening");
  }

  /// SIGTERM, then the exit status (or -1 if it had to be killed).
  int stop() {
    if (pid <= 0)
      return -1;
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; ++i) { // up to 10 s
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(50ms);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    pid = -1;
    return -1;
  }

  ~server() { stop(); }

  std::pair<int, std::string> psql(const std::string& args) const {
    return run("PGCONNECT_TIMEOUT=5 psql -X -A -t -h 127.0.0.1 -p " + std::to_string(port)
               + " -U postgres " + args);
  }
};

std::string quote(const std::string& sql) {
  std::string q = "'";
  for (char c : sql)
    q += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return q + "'";
}

} // namespace

BOOST_AUTO_TEST_CASE(psql_connects_and_runs_statements) {
  server s;
  auto [rc, out] = s.psql("-c " + quote("SELECT 1, 'two', true"));
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_EQUAL(out, "1|two|t\n");
  std::tie(rc, out) = s.psql("-c 'SHOW server_version' -c 'SHOW TimeZone'");
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_EQUAL(out.substr(0, 3), "15.");
  BOOST_CHECK_NE(out.find("UTC"), std::string::npos);
  BOOST_CHECK_EQUAL(s.stop(), 0);
}

BOOST_AUTO_TEST_CASE(ddl_through_psql) {
  server s;
  auto [rc, out] = s.psql(
    "-v ON_ERROR_STOP=1 -c " + quote("CREATE TABLE cpu (time timestamptz NOT NULL, hostname text, usage_user double precision)")
    + " -c " + quote("SELECT create_hypertable('cpu', 'time', chunk_time_interval => INTERVAL '12 hours', partitioning_column => 'hostname', number_partitions => 4)"));
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_NE(out.find("(1,public,cpu,t)"), std::string::npos);
  std::tie(rc, out) = s.psql("-c " + quote("SELECT create_hypertable('cpu', 'time')"));
  BOOST_CHECK_NE(out.find("already a hypertable"), std::string::npos);
  std::tie(rc, out) = s.psql("-c " + quote("SELECT create_hypertable('cpu', 'time', if_not_exists => true)"));
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_NE(out.find("NOTICE:  table \"cpu\" is already a hypertable, skipping"), std::string::npos);
  BOOST_CHECK_NE(out.find("(1,public,cpu,f)"), std::string::npos);
  std::tie(rc, out) = s.psql("-c 'DROP TABLE cpu' -c 'DROP TABLE cpu'");
  BOOST_CHECK_NE(out.find("DROP TABLE"), std::string::npos);
  BOOST_CHECK_NE(out.find("ERROR:  table \"cpu\" does not exist"), std::string::npos);
  // IF EXISTS / IF NOT EXISTS that do nothing say so, as PostgreSQL does.
  std::tie(rc, out) = s.psql("-v ON_ERROR_STOP=1 -c 'DROP TABLE IF EXISTS cpu' -c "
                             + quote("CREATE TABLE IF NOT EXISTS t (a int)") + " -c "
                             + quote("CREATE TABLE IF NOT EXISTS t (a int)"));
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_NE(out.find("NOTICE:  table \"cpu\" does not exist, skipping"), std::string::npos);
  BOOST_CHECK_EQUAL(out.find("NOTICE:  relation \"t\" already exists, skipping"),
                    out.rfind("NOTICE:  relation \"t\" already exists, skipping"));
  BOOST_CHECK_NE(out.find("NOTICE:  relation \"t\" already exists, skipping"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(insert_values_through_psql) {
  server s;
  auto [rc, out] = s.psql(
    "-v ON_ERROR_STOP=1 -c " + quote("CREATE TABLE m (time timestamptz NOT NULL, host text, v double precision)")
    + " -c " + quote("SELECT create_hypertable('m', 'time', chunk_time_interval => INTERVAL '1 hour')")
    + " -c " + quote("INSERT INTO m VALUES ('2016-01-01 00:00:00', 'a', 1.5), ('2016-01-01 03:00:00', 'b', -2)"));
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_NE(out.find("INSERT 0 2"), std::string::npos);
  std::tie(rc, out) = s.psql("-c " + quote("INSERT INTO m VALUES (NULL, 'a', 1)"));
  BOOST_CHECK_NE(out.find("null value in column \"time\" of relation \"m\" violates not-null constraint"),
                 std::string::npos);
  std::tie(rc, out) = s.psql("-c " + quote("INSERT INTO m VALUES ('2016-01-01', 'a', 'x')"));
  BOOST_CHECK_NE(out.find("invalid input syntax for type double precision: \"x\""), std::string::npos);
  BOOST_CHECK_NE(out.find("LINE 1:"), std::string::npos); // psql shows the position
}

BOOST_AUTO_TEST_CASE(errors_leave_the_connection_usable) {
  server s;
  // One psql session: each -c is its own query on the same connection.
  auto [rc, out] = s.psql("-c 'SELEC 1' -c 'SELECT nope' -c 'SELECT * FROM t' -c 'DELETE FROM t' -c 'SELECT 2'");
  BOOST_CHECK_NE(out.find("ERROR:  syntax error at or near \"SELEC\""), std::string::npos);
  BOOST_CHECK_NE(out.find("ERROR:  column \"nope\" does not exist"), std::string::npos);
  BOOST_CHECK_NE(out.find("ERROR:  relation \"t\" does not exist"), std::string::npos);
  BOOST_CHECK_NE(out.find("ERROR:  delete_stmt is not supported yet"), std::string::npos);
  BOOST_CHECK_NE(out.find("\n2\n"), std::string::npos);
  std::tie(rc, out) = s.psql("-d nope -c 'SELECT 1'");
  BOOST_CHECK_NE(rc, 0);
  BOOST_CHECK_NE(out.find("database \"nope\" does not exist"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_packets_get_fatal_errors_and_harm_nobody) {
  server s;
  // A startup length far past the limit.
  int fd = connect_to(s.port);
  BOOST_REQUIRE_GE(fd, 0);
  const char huge[] = {0x7f, 0x00, 0x00, 0x00};
  BOOST_CHECK_EQUAL(write(fd, huge, 4), 4);
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf);
  BOOST_CHECK_GT(n, 0);
  BOOST_CHECK_EQUAL(buf[0], 'E');
  BOOST_CHECK_NE(std::string(buf, static_cast<size_t>(n)).find("08P01"), std::string::npos);
  close(fd);
  // SSLRequest is answered 'N'; then a message with a huge length is fatal.
  fd = connect_to(s.port);
  const char ssl[] = {0, 0, 0, 8, 0x04, (char) 0xd2, 0x16, 0x2f};
  BOOST_CHECK_EQUAL(write(fd, ssl, 8), 8);
  BOOST_CHECK_EQUAL(read(fd, buf, 1), 1);
  BOOST_CHECK_EQUAL(buf[0], 'N');
  std::string startup{"\0\0\0\0\0\3\0\0user\0postgres\0\0", 23};
  startup[3] = static_cast<char>(startup.size());
  BOOST_CHECK_EQUAL(write(fd, startup.data(), startup.size()), static_cast<ssize_t>(startup.size()));
  std::string got;
  while (got.find(std::string{"Z\0\0\0\5I", 6}) == std::string::npos) {
    n = read(fd, buf, sizeof buf);
    if (n <= 0)
      break;
    got.append(buf, static_cast<size_t>(n));
  }
  BOOST_CHECK_NE(got.find("server_version"), std::string::npos);
  const char bad[] = {'Q', 0x7f, 0x7f, 0x7f, 0x7f};
  BOOST_CHECK_EQUAL(write(fd, bad, 5), 5);
  n = read(fd, buf, sizeof buf);
  BOOST_CHECK_GT(n, 0);
  BOOST_CHECK_EQUAL(buf[0], 'E');
  close(fd);
  // The server is fine.
  auto [rc, out] = s.psql("-c 'SELECT 3'");
  BOOST_CHECK_EQUAL(out, "3\n");
  BOOST_CHECK_EQUAL(s.stop(), 0);
}

BOOST_AUTO_TEST_CASE(listens_on_loopback_only_and_stops_on_sigterm) {
  server s;
  // /proc/net/tcp lists the listener as 0100007F:<port hex>, not 00000000.
  std::ifstream tcp{"/proc/net/tcp"};
  std::string line, want;
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04X", s.port);
  bool loopback = false, any = false;
  while (std::getline(tcp, line)) {
    if (line.find(std::string{"0100007F:"} + hex) != std::string::npos)
      loopback = true;
    if (line.find(std::string{"00000000:"} + hex) != std::string::npos)
      any = true;
  }
  BOOST_CHECK(loopback);
  BOOST_CHECK(!any);
  // An idle client does not keep the node from stopping.
  int fd = connect_to(s.port);
  BOOST_CHECK_GE(fd, 0);
  BOOST_CHECK_EQUAL(s.stop(), 0);
  close(fd);
}

BOOST_AUTO_TEST_CASE(bad_config_refuses_to_start_naming_the_key) {
  char path[] = "/tmp/hypertide_cfg_XXXXXX";
  int fd = mkstemp(path);
  std::string text = "[hypertide]\nport=\"abc\"\n";
  BOOST_CHECK_EQUAL(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  auto [rc, out] = run(std::string{HYPERTIDE_BINARY} + " --config-file=" + path);
  unlink(path);
  BOOST_CHECK_EQUAL(rc, 1);
  BOOST_CHECK_NE(out.find("hypertide.port"), std::string::npos);
  std::tie(rc, out) = run(std::string{HYPERTIDE_BINARY} + " --hypertide.listen-address=nowhere");
  BOOST_CHECK_EQUAL(rc, 1);
  BOOST_CHECK_NE(out.find("hypertide.listen-address"), std::string::npos);
  std::tie(rc, out) = run(std::string{HYPERTIDE_BINARY} + " --help");
  BOOST_CHECK_NE(out.find("hypertide.port"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(psql_describe_commands_read_the_catalog) {
  // psql's \dt, \d and \d+ send their own queries to pg_catalog (joins,
  // correlated sub-queries, UNION, regclass casts); a user sees the tables.
  server s;
  auto [rc, out] = s.psql(
    "-v ON_ERROR_STOP=1 -c " + quote("CREATE TABLE cpu (time timestamptz NOT NULL, hostname text, usage_user double precision)")
    + " -c " + quote("SELECT create_hypertable('cpu', 'time', chunk_time_interval => INTERVAL '1 hour')")
    + " -c " + quote("CREATE TABLE notes (id bigint NOT NULL, body varchar)")
    + " -c " + quote("INSERT INTO cpu VALUES ('2016-01-01 00:00', 'a', 1), ('2016-01-01 02:00', 'a', 2)"));
  BOOST_REQUIRE_EQUAL(rc, 0);
  std::tie(rc, out) = s.psql("-v ON_ERROR_STOP=1 -c '\\dt'");
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_EQUAL(out, "public|cpu|table|postgres\npublic|notes|table|postgres\n");
  // Footers (child tables) show only outside tuples-only mode.
  std::tie(rc, out) = s.psql("-P tuples_only=off -v ON_ERROR_STOP=1 -c '\\d cpu'");
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_NE(out.find("time|timestamp with time zone||not null|"), std::string::npos);
  BOOST_CHECK_NE(out.find("usage_user|double precision|||"), std::string::npos);
  BOOST_CHECK_NE(out.find("Number of child tables: 2"), std::string::npos);
  std::tie(rc, out) = s.psql("-P tuples_only=off -v ON_ERROR_STOP=1 -c '\\d+ cpu'");
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_NE(out.find("_timescaledb_internal._hyper_1_1_chunk"), std::string::npos);
  BOOST_CHECK_NE(out.find("_timescaledb_internal._hyper_1_2_chunk"), std::string::npos);
  std::tie(rc, out) = s.psql("-v ON_ERROR_STOP=1 -c '\\d notes'");
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_NE(out.find("id|bigint||not null|"), std::string::npos);
  BOOST_CHECK_EQUAL(out.find("child tables"), std::string::npos);
  std::tie(rc, out) = s.psql("-c '\\d nope'");
  BOOST_CHECK_NE(out.find("Did not find any relation named \"nope\""), std::string::npos);
  std::tie(rc, out) = s.psql("-v ON_ERROR_STOP=1 -c 'DROP TABLE notes' -c '\\dt'");
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_EQUAL(out.find("notes|"), std::string::npos);
}

namespace {

/// A connection past startup (ReadyForQuery seen), or -1.
int open_session(uint16_t port) {
  int fd = connect_to(port);
  if (fd < 0)
    return -1;
  std::string startup{"\0\0\0\0\0\3\0\0user\0postgres\0\0", 23};
  startup[3] = static_cast<char>(startup.size());
  if (write(fd, startup.data(), startup.size()) != static_cast<ssize_t>(startup.size()))
    return -1;
  std::string got;
  char buf[1024];
  while (got.find(std::string{"Z\0\0\0\5I", 6}) == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  return fd;
}

/// A frontend message: type, length, body.
std::string message(char type, const std::string& body) {
  std::string m(1, type);
  uint32_t len = static_cast<uint32_t>(body.size() + 4);
  for (int shift = 24; shift >= 0; shift -= 8)
    m += static_cast<char>((len >> shift) & 0xff);
  return m + body;
}

/// Reads until the `readies`-th ReadyForQuery, messages framed by their
/// lengths (bounded by the socket's 5 s timeout).
std::string until_ready(int fd, int readies = 1) {
  std::string got;
  char buf[4096];
  size_t at = 0; // the next whole message's start
  for (int seen = 0; seen < readies;) {
    while (seen < readies && got.size() >= at + 5) {
      uint32_t len = 0;
      for (int k = 1; k <= 4; ++k)
        len = (len << 8) | static_cast<unsigned char>(got[at + static_cast<size_t>(k)]);
      if (got.size() < at + 1 + len)
        break;
      seen += got[at] == 'Z';
      at += 1 + len;
    }
    if (seen == readies)
      break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0)
      break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

} // namespace

BOOST_AUTO_TEST_CASE(messages_split_unknown_malformed_or_cut_short) {
  server s;
  int fd = open_session(s.port);
  BOOST_REQUIRE_GE(fd, 0);
  // A query arriving in three pieces is one query.
  std::string q = message('Q', std::string{"SELECT 40 + 2", 14});
  for (size_t at : {size_t{0}, size_t{3}, size_t{9}}) {
    size_t end = at == 9 ? q.size() : (at == 0 ? 3 : 9);
    BOOST_REQUIRE_EQUAL(write(fd, q.data() + at, end - at), static_cast<ssize_t>(end - at));
    std::this_thread::sleep_for(20ms);
  }
  std::string got = until_ready(fd);
  BOOST_CHECK_NE(got.find(std::string{"\0\0\0\2" "42", 6}), std::string::npos);
  // An unknown message type: an error, and the connection goes on.
  std::string y = message('y', "junk");
  BOOST_REQUIRE_EQUAL(write(fd, y.data(), y.size()), static_cast<ssize_t>(y.size()));
  got = until_ready(fd);
  BOOST_CHECK_EQUAL(got[0], 'E');
  // A Parse whose strings are not terminated: a protocol error (08P01)
  // reported after Sync, and the session still answers.
  std::string p = message('P', std::string{"s1\0SELECT 1", 11}) + message('S', "");
  BOOST_REQUIRE_EQUAL(write(fd, p.data(), p.size()), static_cast<ssize_t>(p.size()));
  got = until_ready(fd);
  BOOST_CHECK_NE(got.find("08P01"), std::string::npos);
  BOOST_REQUIRE_EQUAL(write(fd, q.data(), q.size()), static_cast<ssize_t>(q.size()));
  got = until_ready(fd);
  BOOST_CHECK_NE(got.find(std::string{"\0\0\0\2" "42", 6}), std::string::npos);
  // Half a message, then the client goes away.
  BOOST_CHECK_EQUAL(write(fd, q.data(), 7), 7);
  close(fd);
  auto [rc, out] = s.psql("-c 'SELECT 3'");
  BOOST_CHECK_EQUAL(out, "3\n");
  BOOST_CHECK_EQUAL(s.stop(), 0);
}

BOOST_AUTO_TEST_CASE(copy_data_cut_anywhere_by_the_network_is_read_whole) {
  // CopyData bodies are parsed as they arrive: rows cut across messages,
  // messages (and their 5-byte headers) cut across reads, then CopyDone.
  server s;
  int fd = open_session(s.port);
  BOOST_REQUIRE_GE(fd, 0);
  BOOST_REQUIRE(s.psql("-c 'CREATE TABLE t (a int, b text)'").first == 0);
  std::string copy = message('Q', std::string{"COPY t FROM STDIN"} + '\0');
  BOOST_REQUIRE_EQUAL(write(fd, copy.data(), copy.size()), static_cast<ssize_t>(copy.size()));
  // CopyInResponse, whole: 'G', its length, the format, the count and 2 formats.
  char g[12];
  BOOST_REQUIRE_EQUAL(recv(fd, g, sizeof g, MSG_WAITALL), static_cast<ssize_t>(sizeof g));
  BOOST_REQUIRE_EQUAL(g[0], 'G');
  std::mt19937 rng{20261126};
  std::string rows;
  long long sum = 0;
  for (int i = 1; i <= 300; ++i) {
    rows += std::to_string(i) + '\t' + "v" + std::to_string(i) + std::string(rng() % 90, 'x') + '\n';
    sum += i;
  }
  std::string stream;
  for (size_t at = 0; at < rows.size();) {
    size_t n = std::min(rows.size() - at, size_t{1} + rng() % 4000);
    stream += message('d', rows.substr(at, n));
    at += n;
  }
  stream += message('c', "");
  for (size_t at = 0; at < stream.size();) {
    size_t n = std::min(stream.size() - at, size_t{1} + rng() % 700);
    BOOST_REQUIRE_EQUAL(write(fd, stream.data() + at, n), static_cast<ssize_t>(n));
    at += n;
    std::this_thread::sleep_for(1ms); // most pieces a read of their own
  }
  std::string got = until_ready(fd);
  BOOST_CHECK_NE(got.find("COPY 300"), std::string::npos);
  close(fd);
  auto [rc, out] = s.psql("-c 'SELECT count(*), sum(a) FROM t'");
  BOOST_CHECK_EQUAL(out, "300|" + std::to_string(sum) + "\n");
  // Every byte where it was sent.
  BOOST_CHECK(s.psql("-c 'COPY (SELECT a, b FROM t ORDER BY a) TO STDOUT'").second == rows);
  BOOST_CHECK_EQUAL(s.stop(), 0);
}

BOOST_AUTO_TEST_CASE(a_copy_sent_without_waiting_for_copy_in_response_completes) {
  // The statement, its data, CopyDone and the next query in one write.
  server s;
  int fd = open_session(s.port);
  BOOST_REQUIRE_GE(fd, 0);
  BOOST_REQUIRE(s.psql("-c 'CREATE TABLE p (a int, b text)'").first == 0);
  std::string all = message('Q', std::string{"COPY p FROM STDIN"} + '\0')
                    + message('d', "1\tx\n2\ty\n") + message('d', "3\tz\n") + message('c', "")
                    + message('Q', std::string{"SELECT sum(a) FROM p"} + '\0');
  BOOST_REQUIRE_EQUAL(write(fd, all.data(), all.size()), static_cast<ssize_t>(all.size()));
  std::string got = until_ready(fd, 2); // the COPY's and the SELECT's
  BOOST_CHECK_NE(got.find("COPY 3"), std::string::npos);
  BOOST_CHECK_NE(got.find(std::string{"\0\0\0\1" "6", 5}), std::string::npos);
  close(fd);
  BOOST_CHECK_EQUAL(s.stop(), 0);
}

BOOST_AUTO_TEST_CASE(a_startup_client_encoding_the_server_cannot_serve_is_refused) {
  server s;
  auto [rc, out] = run("PGCLIENTENCODING=LATIN1 PGCONNECT_TIMEOUT=5 psql -X -A -t -h 127.0.0.1 -p "
                         + std::to_string(s.port) + " -U postgres -c 'SELECT 1' 2>&1");
  BOOST_CHECK_NE(rc, 0);
  BOOST_CHECK_NE(out.find("client_encoding \"LATIN1\" is not supported yet"), std::string::npos);
  auto [rc2, out2] = run("PGCLIENTENCODING=UTF8 PGCONNECT_TIMEOUT=5 psql -X -A -t -h 127.0.0.1 -p "
                           + std::to_string(s.port) + " -U postgres -c 'SHOW client_encoding'");
  BOOST_CHECK_EQUAL(out2, "UTF8\n");
  BOOST_CHECK_EQUAL(s.stop(), 0);
}

BOOST_AUTO_TEST_CASE(text_that_is_not_utf8_fails_with_22021_and_the_session_goes_on) {
  // As PostgreSQL 15 with a UTF8 database: a query, a Parse and a Bind
  // parameter with bytes that are not UTF-8 fail; nothing is stored.
  server s;
  int fd = open_session(s.port);
  BOOST_REQUIRE_GE(fd, 0);
  BOOST_REQUIRE(s.psql("-c 'CREATE TABLE u (s text)'").first == 0);
  auto send = [&](const std::string& m) {
    BOOST_REQUIRE_EQUAL(write(fd, m.data(), m.size()), static_cast<ssize_t>(m.size()));
    return until_ready(fd);
  };
  std::string got = send(message('Q', std::string{"INSERT INTO u VALUES ('bad \xc3\x28')"} + '\0'));
  BOOST_CHECK_NE(got.find("22021"), std::string::npos);
  BOOST_CHECK_NE(got.find("invalid byte sequence for encoding \"UTF8\": 0xc3 0x28"),
                 std::string::npos);
  got = send(message('Q', std::string{"INSERT INTO u VALUES ('caf\xc3\xa9')"} + '\0'));
  BOOST_CHECK_NE(got.find("INSERT 0 1"), std::string::npos);
  got = send(message('P', std::string{"\0SELECT '\xff'\0\0\0", 15}) + message('S', ""));
  BOOST_CHECK_NE(got.find("22021"), std::string::npos);
  got = send(message('P', std::string{"\0INSERT INTO u VALUES ($1)\0\0\0", 30})
             + message('B', std::string{"\0\0\0\0\0\1\0\0\0\2\xe2\x82\0\0", 14})
             + message('E', std::string{"\0\0\0\0\0", 5}) + message('S', ""));
  BOOST_CHECK_NE(got.find("invalid byte sequence for encoding \"UTF8\": 0xe2 0x82"),
                 std::string::npos);
  close(fd);
  BOOST_CHECK_EQUAL(s.psql("-c 'SELECT s FROM u'").second, "caf\xc3\xa9\n");
  BOOST_CHECK_EQUAL(s.stop(), 0);
}

BOOST_AUTO_TEST_CASE(random_frontend_messages_never_take_the_server_down) {
  // A seeded, bounded fuzz: messages of every frontend type with bodies
  // made of plausible pieces (names, SQL, counts, lengths, random bytes),
  // some cut short. Every session must end cleanly and the server live on.
  server s;
  std::mt19937 rng{20261125};
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<std::string> sqls = {"SELECT 1", "SELECT $1", "INSERT INTO t VALUES ($1, $2)",
                                         "COPY t FROM STDIN", "BEGIN", "", "SELEC"};
  auto i16 = [](int16_t x) { return std::string{static_cast<char>(x >> 8), static_cast<char>(x)}; };
  auto i32 = [](int32_t x) {
    auto u = static_cast<uint32_t>(x);
    return std::string{static_cast<char>(u >> 24), static_cast<char>(u >> 16),
                       static_cast<char>(u >> 8), static_cast<char>(u)};
  };
  for (int round = 0; round < 60; ++round) {
    int fd = open_session(s.port);
    BOOST_REQUIRE_MESSAGE(fd >= 0, "the server stopped answering at round " << round);
    std::string create = message('Q', std::string{"CREATE TABLE IF NOT EXISTS t (a int, b text)"} + '\0');
    BOOST_REQUIRE_EQUAL(write(fd, create.data(), create.size()), static_cast<ssize_t>(create.size()));
    until_ready(fd);
    for (size_t m = 0, n = 1 + pick(10); m < n; ++m) {
      std::string body;
      for (size_t k = 0, parts = pick(8); k < parts; ++k) {
        switch (pick(5)) {
          case 0: body += std::string{"s1\0", 3}; break;
          case 1: body += sqls[pick(sqls.size())] + '\0'; break;
          case 2: body += i16(static_cast<int16_t>(std::array<int, 5>{0, 1, 2, -1, 32767}[pick(5)])); break;
          case 3: body += i32(std::array<int32_t, 5>{0, 4, -1, -2, 0x7fffffff}[pick(5)]); break;
          default:
            for (size_t b = 0, nb = pick(12); b < nb; ++b)
              body += static_cast<char>(rng());
        }
      }
      std::string msg = message("PBDESCHQdcfXy"[pick(13)], body);
      if (pick(10) == 0)
        msg.resize(pick(msg.size() + 1));
      if (write(fd, msg.data(), msg.size()) < 0)
        break;
    }
    std::string sync = message('S', "");
    if (write(fd, sync.data(), sync.size()) > 0) {
      timeval tv{0, 200'000};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[4096];
      while (read(fd, buf, sizeof buf) > 0) {
      }
    }
    close(fd);
  }
  auto [rc, out] = s.psql("-c 'SELECT 3'");
  BOOST_CHECK_EQUAL(out, "3\n");
  BOOST_CHECK_EQUAL(s.stop(), 0);
}

namespace {

/// A fresh, empty data directory under /tmp, removed at the end.
struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/hypertide-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~temp_dir() { run("rm -rf " + path); }
};

/// Sends one simple query; true when it completed without an error.
bool simple_ok(int fd, const std::string& sql) {
  std::string q = message('Q', sql + '\0');
  if (write(fd, q.data(), q.size()) != static_cast<ssize_t>(q.size()))
    return false;
  std::string got = until_ready(fd);
  return !got.empty() && got.find("\nE") == std::string::npos && got[0] != 'E'
         && got.find('C') != std::string::npos && got.size() >= 6
         && got[got.size() - 6] == 'Z';
}

void kill_hard(server& s) {
  kill(s.pid, SIGKILL);
  int status = 0;
  waitpid(s.pid, &status, 0);
  s.pid = -1;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_committed_change_survives_sigkill) {
  temp_dir dir;
  std::vector<std::string> args = {"--hypertide.data-dir=" + dir.path};
  {
    server s{args};
    std::ofstream{dir.path + "/copy.txt"} << "2016-01-01 05:00:00+00\td\t16\n";
    auto [rc, out] = s.psql(
      "-v ON_ERROR_STOP=1 -c " + quote("CREATE TABLE cpu (time timestamptz NOT NULL, host text, v double precision)")
      + " -c " + quote("SELECT create_hypertable('cpu', 'time', chunk_time_interval => INTERVAL '1 hour')")
      + " -c " + quote("INSERT INTO cpu VALUES ('2016-01-01 00:10', 'a', 1), ('2016-01-01 02:10', 'b', 2)")
      + " -c BEGIN -c " + quote("INSERT INTO cpu VALUES ('2016-01-01 03:10', 'c', 4)")
      + " -c " + quote("INSERT INTO cpu VALUES ('2016-01-01 04:10', 'c', 8)") + " -c COMMIT"
      + " -c " + quote("CREATE TABLE scratch (a int)") + " -c " + quote("DROP TABLE scratch")
      + " -c " + quote("SELECT drop_chunks('cpu', older_than => '2016-01-01 01:00'::timestamptz)")
      + " -c " + quote("COPY cpu FROM STDIN") + " < " + dir.path + "/copy.txt");
    BOOST_REQUIRE_MESSAGE(rc == 0, out);
    // An open transaction's writes were never acknowledged.
    int fd = open_session(s.port);
    BOOST_REQUIRE_GE(fd, 0);
    BOOST_CHECK(simple_ok(fd, "BEGIN"));
    BOOST_CHECK(simple_ok(fd, "INSERT INTO cpu VALUES ('2016-01-01 06:00', 'z', 1000)"));
    kill_hard(s);
    close(fd);
  }
  server s{args};
  auto [rc, out] = s.psql("-c " + quote("SELECT count(*), sum(v) FROM cpu")
                          + " -c " + quote("SELECT count(*) FROM pg_class WHERE relname = 'scratch'")
                          + " -c " + quote("SELECT count(*) FROM timescaledb_information.chunks"));
  BOOST_CHECK_EQUAL(rc, 0);
  // 'a' went with its dropped chunk; b, c, c and d remain.
  BOOST_CHECK_EQUAL(out, "4|30\n0\n4\n");
  // The log position, as PostgreSQL prints it, and its segment file.
  std::tie(rc, out) = s.psql("-c " + quote("SELECT pg_current_wal_lsn()") + " -c "
                             + quote("SELECT pg_walfile_name(pg_current_wal_lsn())"));
  BOOST_CHECK_EQUAL(rc, 0);
  auto nl = out.find('\n');
  std::string lsn = out.substr(0, nl), file = out.substr(nl + 1);
  BOOST_CHECK_MESSAGE(lsn.find('/') != std::string::npos
                        && lsn.find_first_not_of("0123456789ABCDEF/") == std::string::npos,
                      "pg_current_wal_lsn() gave " << lsn);
  BOOST_CHECK_EQUAL(file, "000000010000000000000001\n");
  // A node without a data directory has no log to report.
  server memory;
  std::tie(rc, out) = memory.psql("-c " + quote("SELECT pg_current_wal_lsn()"));
  BOOST_CHECK_NE(out.find("has no write-ahead log"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(acknowledged_inserts_survive_random_kills_whole) {
  // The crash test, bounded: a client inserts statements of three
  // rows each and notes every acknowledged one; the node is killed with
  // SIGKILL after a random number of them; after each restart every
  // acknowledged statement is there, and no statement is there in part.
  // A second session sends CHECKPOINT now and then without waiting, so
  // checkpoints copy chunks while inserts go on, and a kill may cut one
  // short; recovery then starts from the last finished one.
  temp_dir dir;
  std::vector<std::string> args = {"--hypertide.data-dir=" + dir.path};
  std::mt19937 rng{42};
  std::vector<int> acked;
  int next = 0;
  for (int round = 0; round < 4; ++round) {
    server s{args};
    int fd = open_session(s.port);
    int fd2 = open_session(s.port);
    BOOST_REQUIRE_GE(fd, 0);
    BOOST_REQUIRE_GE(fd2, 0);
    if (round == 0) {
      BOOST_REQUIRE(simple_ok(fd, "CREATE TABLE t (time timestamptz NOT NULL, id int, k int)"));
      BOOST_REQUIRE(simple_ok(fd, "SELECT create_hypertable('t', 'time', "
                                  "chunk_time_interval => INTERVAL '1 day')"));
    }
    int n = 20 + static_cast<int>(rng() % 60);
    bool checkpoint_out = false;
    for (int i = 0; i < n; ++i, ++next) {
      std::string id = std::to_string(next);
      if (simple_ok(fd, "INSERT INTO t VALUES ('2016-01-01', " + id + ", 1), ('2016-01-02', "
                          + id + ", 2), ('2016-01-03', " + id + ", 3)"))
        acked.push_back(next);
      if (rng() % 10 == 0) {
        if (checkpoint_out)
          BOOST_CHECK_NE(until_ready(fd2).find("CHECKPOINT"), std::string::npos);
        std::string q = message('Q', std::string{"CHECKPOINT"} + '\0');
        BOOST_CHECK_EQUAL(write(fd2, q.data(), q.size()), static_cast<ssize_t>(q.size()));
        checkpoint_out = true;
      }
    }
    close(fd2);
    // Killed while the next statement may be in flight.
    std::string q = message('Q', "INSERT INTO t VALUES ('2016-01-04', -1, 1), ('2016-01-05', -1, 2)"
                                 + std::string(1, '\0'));
    BOOST_CHECK_EQUAL(write(fd, q.data(), q.size()), static_cast<ssize_t>(q.size()));
    kill_hard(s);
    close(fd);
  }
  server s{args};
  auto [rc, out] = s.psql("-c " + quote("SELECT count(*) FROM t WHERE id >= 0")
                          + " -c " + quote("SELECT id FROM t GROUP BY id HAVING count(*) <> 3")
                          + " -c " + quote("SELECT count(*) FROM t WHERE id < 0"));
  BOOST_CHECK_EQUAL(rc, 0);
  // Every acknowledged statement whole; none in part; the one in flight at
  // a kill, never acknowledged, is there whole or not at all (id -1 has
  // two rows per statement, so a part would show in the count).
  BOOST_CHECK_EQUAL(out.substr(0, out.find('\n')), std::to_string(3 * acked.size()));
  // No id with other than 3 rows (the HAVING query prints nothing), then
  // the in-flight statements' rows: an even number.
  std::string rest = out.substr(out.find('\n') + 1);
  BOOST_CHECK_MESSAGE(std::count(rest.begin(), rest.end(), '\n') == 1 && std::stoi(rest) % 2 == 0,
                      "partial statements after recovery: " << rest);
  BOOST_CHECK_EQUAL(acked.size(), static_cast<size_t>(next));
}

BOOST_AUTO_TEST_CASE(a_corrupt_log_refuses_to_start_unless_told_to_truncate) {
  temp_dir dir;
  std::vector<std::string> args = {"--hypertide.data-dir=" + dir.path};
  {
    server s{args};
    int fd = open_session(s.port);
    BOOST_REQUIRE_GE(fd, 0);
    BOOST_REQUIRE(simple_ok(fd, "CREATE TABLE t (time timestamptz NOT NULL, id int, pad text)"));
    for (int i = 0; i < 60; ++i)
      BOOST_REQUIRE(simple_ok(fd, "INSERT INTO t VALUES ('2016-01-01', " + std::to_string(i)
                                    + ", '" + std::string(2000, 'x') + "'), ('2016-01-02', " + std::to_string(i)
                                    + ", 'y')"));
    close(fd);
    BOOST_CHECK_EQUAL(s.stop(), 0);
  }
  // Flip a byte in the middle of what was written: damage followed by
  // records written after later syncs, so not a torn tail.
  std::string seg = dir.path + "/pg_wal/000000010000000000000001";
  std::fstream f{seg, std::ios::in | std::ios::out | std::ios::binary};
  std::string bytes(1 << 20, '\0');
  f.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  size_t used = bytes.find_last_not_of('\0');
  BOOST_REQUIRE(used != std::string::npos && used > 100000);
  size_t at = used / 2;
  f.clear();
  f.seekp(static_cast<std::streamoff>(at));
  char flipped = static_cast<char>(bytes[at] ^ 0x40);
  f.write(&flipped, 1);
  f.close();
  auto [rc, out] = run(std::string{HYPERTIDE_BINARY} + " --hypertide.port="
                       + std::to_string(free_port()) + " --hypertide.data-dir=" + dir.path);
  BOOST_CHECK_EQUAL(rc, 1);
  BOOST_CHECK_MESSAGE(out.find("000000010000000000000001") != std::string::npos
                        && out.find("offset") != std::string::npos
                        && out.find("XX001") != std::string::npos,
                      out);
  // Told to, the node cuts the log at the damage: the statements before it
  // are there whole, the rest are gone, and new ones go on.
  args.push_back("--hypertide.truncate-corrupt-wal");
  server s{args};
  std::tie(rc, out) = s.psql("-c " + quote("SELECT count(*) FROM t") + " -c "
                             + quote("SELECT count(*) FROM (SELECT id FROM t GROUP BY id) i"));
  BOOST_REQUIRE_EQUAL(rc, 0);
  int rows = std::stoi(out), ids = std::stoi(out.substr(out.find('\n') + 1));
  BOOST_CHECK_EQUAL(rows, 2 * ids);
  BOOST_CHECK_GT(ids, 0);
  BOOST_CHECK_LT(ids, 60);
  std::tie(rc, out) = s.psql("-c " + quote("INSERT INTO t VALUES ('2016-01-03', 100, 'z')")
                             + " -c " + quote("SELECT count(*) FROM t WHERE id = 100"));
  BOOST_CHECK_EQUAL(out, "INSERT 0 1\n1\n");
}

BOOST_AUTO_TEST_CASE(small_segments_take_a_large_copy_and_checkpoints_remove_them) {
  // 1 MiB segments (PostgreSQL's smallest --wal-segsize): a 4 MB COPY goes
  // to the log in pieces under one commit, spans several segments, and a
  // CHECKPOINT removes the ones before it; a kill after that loses nothing.
  temp_dir dir;
  std::vector<std::string> args = {"--hypertide.data-dir=" + dir.path,
                                   "--hypertide.wal-segment-size=1"};
  auto segments = [&] {
    auto [rc, out] = run("ls " + dir.path + "/pg_wal | grep -c '^[0-9A-F]\\{24\\}$'");
    return std::stoi(out);
  };
  {
    std::ofstream csv{dir.path + "/rows.csv"};
    for (int i = 0; i < 20000; ++i)
      csv << "2016-01-01 00:00:00+00," << i << "," << i << std::string(180, 'a' + i % 26)
          << "\n"; // every note its own: the dictionary is as large as the rows
  }
  server s{args};
  auto [rc, out] = s.psql("-v ON_ERROR_STOP=1 -c " + quote("CREATE TABLE t (time timestamptz NOT NULL, id int, note text)")
                          + " -c " + quote("\\copy t FROM '" + dir.path + "/rows.csv' WITH (FORMAT csv)"));
  BOOST_REQUIRE_MESSAGE(rc == 0, out);
  BOOST_CHECK_GE(segments(), 4);
  std::tie(rc, out) = s.psql("-c CHECKPOINT");
  BOOST_CHECK_EQUAL(out, "CHECKPOINT\n");
  BOOST_CHECK_LE(segments(), 2);
  kill_hard(s);
  server again{args};
  std::tie(rc, out) = again.psql("-c " + quote("SELECT count(*), sum(id) FROM t"));
  BOOST_CHECK_EQUAL(out, "20000|199990000\n");
}

BOOST_AUTO_TEST_CASE(pgbench_runs_a_custom_script_in_every_protocol_mode) {
  // pgbench is PostgreSQL 15's own (Debian's postgresql-15).
  const std::string pgbench = "/usr/lib/postgresql/15/bin/pgbench";
  BOOST_REQUIRE_MESSAGE(access(pgbench.c_str(), X_OK) == 0, pgbench + " is not installed");
  server s;
  auto [rc, out] = s.psql("-v ON_ERROR_STOP=1 -c "
                          + quote("CREATE TABLE pb (time timestamptz NOT NULL, host int, v double precision)")
                          + " -c " + quote("SELECT create_hypertable('pb', 'time')"));
  BOOST_REQUIRE_EQUAL(rc, 0);
  char script[] = "/tmp/hypertide-pgbench-XXXXXX";
  int fd = mkstemp(script);
  BOOST_REQUIRE(fd >= 0);
  std::string body = "\\set h random(1, 100)\n"
                     "INSERT INTO pb VALUES (now(), :h, random());\n"
                     "SELECT count(*), max(v) FROM pb WHERE host = :h;\n";
  BOOST_REQUIRE_EQUAL(write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
  close(fd);
  for (const char* mode : {"simple", "extended", "prepared"}) {
    // Two clients, 50 transactions each: bounded, no timing.
    std::tie(rc, out) = run("PGCONNECT_TIMEOUT=5 " + pgbench + " -h 127.0.0.1 -p "
                            + std::to_string(s.port) + " -U postgres -n -f " + script
                            + " -t 50 -c 2 -M " + mode + " postgres 2>&1");
    BOOST_CHECK_MESSAGE(rc == 0, mode << ": " << out);
    BOOST_CHECK_MESSAGE(out.find("number of failed transactions: 0") != std::string::npos,
                        mode << ": " << out);
  }
  unlink(script);
  std::tie(rc, out) = s.psql("-c " + quote("SELECT count(*), min(v) >= 0 AND max(v) < 1 FROM pb"));
  BOOST_CHECK_EQUAL(out, "300|t\n");
}

BOOST_AUTO_TEST_CASE(a_committed_ddl_block_survives_sigkill_and_an_open_one_leaves_nothing) {
  temp_dir dir;
  std::vector<std::string> args = {"--hypertide.data-dir=" + dir.path};
  {
    server s{args};
    auto [rc, out] = s.psql(
      "-v ON_ERROR_STOP=1 -c " + quote("CREATE TABLE before (a int)")
      + " -c " + quote("BEGIN; CREATE TABLE m (time timestamptz NOT NULL, v int); "
                       "SELECT create_hypertable('m', 'time', chunk_time_interval => INTERVAL '1 day'); "
                       "INSERT INTO m VALUES ('2024-01-01', 1), ('2024-01-05', 2); DROP TABLE before; COMMIT"));
    BOOST_REQUIRE_MESSAGE(rc == 0, out);
    // A block open at the crash: its DDL reached nothing the log replays.
    int fd = open_session(s.port);
    BOOST_REQUIRE_GE(fd, 0);
    BOOST_CHECK(simple_ok(fd, "BEGIN"));
    BOOST_CHECK(simple_ok(fd, "CREATE TABLE open_one (a int)"));
    BOOST_CHECK(simple_ok(fd, "INSERT INTO open_one VALUES (1)"));
    kill_hard(s);
    close(fd);
  }
  server s{args};
  auto [rc, out] = s.psql(
    "-c " + quote("SELECT count(*), sum(v) FROM m")
    + " -c " + quote("SELECT hypertable_name, num_chunks FROM timescaledb_information.hypertables")
    + " -c " + quote("SELECT count(*) FROM pg_class WHERE relname IN ('before', 'open_one')"));
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK_EQUAL(out, "2|3\nm|2\n0\n");
}
