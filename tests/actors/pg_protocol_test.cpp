// The PostgreSQL protocol codec: startup packets in, backend messages out.

#include <boost/test/unit_test.hpp>

#include <string>

#include "actors/pg_protocol.hpp"

namespace pg = hypertide::actors::pg;

namespace {

std::string packet(int32_t code, const std::string& params) {
  std::string s;
  for (int shift : {24, 16, 8, 0})
    s.push_back(static_cast<char>((code >> shift) & 0xff));
  return s + params;
}

} // namespace

BOOST_AUTO_TEST_CASE(startup_packets) {
  std::string p3 = packet(pg::protocol_3_0, std::string{"user\0postgres\0database\0postgres\0\0", 33});
  auto p = pg::parse_startup(p3.data(), p3.size());
  BOOST_REQUIRE(p);
  BOOST_CHECK_EQUAL(p->params.at("user"), "postgres");
  BOOST_CHECK_EQUAL(p->params.at("database"), "postgres");
  // Missing terminators are malformed, not a crash.
  std::string cut = packet(pg::protocol_3_0, std::string{"user\0post", 9});
  BOOST_CHECK(!pg::parse_startup(cut.data(), cut.size()));
  std::string ssl = packet(pg::ssl_request_code, "");
  BOOST_CHECK_EQUAL(pg::parse_startup(ssl.data(), ssl.size())->code, pg::ssl_request_code);
  std::string cancel = packet(pg::cancel_request_code, packet(42, "") + packet(7, ""));
  auto c = pg::parse_startup(cancel.data(), cancel.size());
  BOOST_REQUIRE(c);
  BOOST_CHECK_EQUAL(c->cancel_pid, 42);
  BOOST_CHECK_EQUAL(c->cancel_key, 7);
  BOOST_CHECK(!pg::parse_startup("ab", 2));
}

BOOST_AUTO_TEST_CASE(backend_messages_have_their_lengths) {
  std::vector<char> out;
  pg::writer w{out};
  w.ready_for_query('I');
  BOOST_REQUIRE_EQUAL(out.size(), 6u);
  BOOST_CHECK_EQUAL(out[0], 'Z');
  BOOST_CHECK_EQUAL(pg::read_i32(out.data() + 1), 5);
  BOOST_CHECK_EQUAL(out[5], 'I');
  out.clear();
  w.data_row({std::string{"ab"}, std::nullopt});
  // 'D', len, int16 count, int32 2, "ab", int32 -1
  BOOST_REQUIRE_EQUAL(out.size(), 1u + 4 + 2 + 4 + 2 + 4);
  BOOST_CHECK_EQUAL(pg::read_i32(out.data() + 1), static_cast<int32_t>(out.size() - 1));
  BOOST_CHECK_EQUAL(pg::read_i32(out.data() + 13), -1);
  out.clear();
  w.error({"42P01", "relation \"x\" does not exist", {}}, 15);
  std::string body{out.begin() + 5, out.end()};
  BOOST_CHECK_NE(body.find(std::string{"C42P01\0", 7}), std::string::npos);
  BOOST_CHECK_NE(body.find(std::string{"P15\0", 4}), std::string::npos);
  BOOST_CHECK_EQUAL(body.back(), '\0');
}
