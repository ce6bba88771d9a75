#define BOOST_TEST_MODULE integration
#include <boost/test/unit_test.hpp>

#include <csignal>

/// Writes to a socket the server has closed fail with EPIPE instead of
/// killing the test (the fuzz test writes after fatal protocol errors).
struct ignore_sigpipe {
  ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};
BOOST_TEST_GLOBAL_FIXTURE(ignore_sigpipe);
