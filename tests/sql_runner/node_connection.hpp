#pragma once

// A hypertide node on a free loopback port and one libpq connection to it,
// for the SQL tests. Every wait is bounded.

#include <libpq-fe.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "support/ports.hpp"

#include <chrono>
#include <string>
#include <thread>

namespace test {

using namespace std::chrono_literals;


/// A node and one libpq connection to it.
struct node_connection {
  pid_t pid = -1;
  PGconn* conn = nullptr;

  node_connection() {
    uint16_t port = free_port();
    pid = fork();
    if (pid == 0) {
      // The node dies with the test, even when the test is killed.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      std::string p = "--hypertide.port=" + std::to_string(port);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      execl(HYPERTIDE_BINARY, HYPERTIDE_BINARY, p.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    std::string info = "host=127.0.0.1 port=" + std::to_string(port)
                       + " user=postgres dbname=postgres connect_timeout=5";
    for (int i = 0; i < 200; ++i) { // up to 10 s
      conn = PQconnectdb(info.c_str());
      if (PQstatus(conn) == CONNECTION_OK)
        return;
      PQfinish(conn);
      conn = nullptr;
      std::this_thread::sleep_for(50ms);
    }
    BOOST_FAIL("could not connect to hypertide");
  }

  ~node_connection() {
    if (conn)
      PQfinish(conn);
    if (pid > 0) {
      kill(pid, SIGTERM);
      int status = 0;
      for (int i = 0; i < 200 && waitpid(pid, &status, WNOHANG) != pid; ++i)
        std::this_thread::sleep_for(50ms);
      kill(pid, SIGKILL);
      waitpid(pid, &status, WNOHANG);
    }
  }
};


} // namespace test
