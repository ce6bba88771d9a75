// UTF-8 as PostgreSQL checks a client's text, against a reference that
// decodes code points the long way.

#include <boost/test/unit_test.hpp>

#include <optional>
#include <tuple>
#include <random>
#include <string>

#include "planner/copy_format.hpp"
#include "planner/utf8.hpp"

namespace planner = hypertide::planner;
namespace cs = hypertide::chunkstore;

namespace {

/// The first invalid offset by decoding each code point and checking it
/// (shortest form, not a surrogate, at most U+10FFFF, not NUL).
size_t reference(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size() || b0 == 0)
      return i;
    uint32_t cp = len == 1 ? b0 : b0 & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xc0) != 0x80)
        return i;
      cp = (cp << 6) | (b & 0x3f);
    }
    static const uint32_t min_of[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_of[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return i;
    i += len;
  }
  return std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(utf8)

BOOST_AUTO_TEST_CASE(valid_and_invalid_sequences_as_postgresql_sees_them) {
  auto at = [](const std::string& s) { return planner::invalid_utf8_at(s); };
  const auto npos = std::string::npos;
  BOOST_CHECK_EQUAL(at(""), npos);
  BOOST_CHECK_EQUAL(at("host_1234 and some more ascii text"), npos);
  BOOST_CHECK_EQUAL(at("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), npos);       // é € 😀
  BOOST_CHECK_EQUAL(at("\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf"), npos);          // U+07FF U+FFFF U+10FFFF
  BOOST_CHECK_EQUAL(at(std::string{"ab\0c", 4}), 2u);                         // NUL
  BOOST_CHECK_EQUAL(at("abc\xc0\x80"), 3u);                                     // overlong NUL
  BOOST_CHECK_EQUAL(at("\xe0\x80\x80"), 0u);                                    // overlong
  BOOST_CHECK_EQUAL(at("x\xed\xa0\x80"), 1u);                                   // surrogate
  BOOST_CHECK_EQUAL(at("\xf4\x90\x80\x80"), 0u);                                // past U+10FFFF
  BOOST_CHECK_EQUAL(at("0123456789abcdefghij\x80"), 20u);                       // lone continuation
  BOOST_CHECK_EQUAL(at("0123456789abcdefghij\xe2\x82"), 20u);                   // cut short
  // PostgreSQL 15's messages (SELECT convert_from('\x...', 'UTF8')).
  BOOST_CHECK_EQUAL(planner::invalid_utf8_error("\xc3\x28").message,
                    "invalid byte sequence for encoding \"UTF8\": 0xc3 0x28");
  BOOST_CHECK_EQUAL(planner::invalid_utf8_error("\xff").message,
                    "invalid byte sequence for encoding \"UTF8\": 0xff");
  BOOST_CHECK_EQUAL(planner::invalid_utf8_error("\xe2\x82").message,
                    "invalid byte sequence for encoding \"UTF8\": 0xe2 0x82");
  BOOST_CHECK_EQUAL(planner::invalid_utf8_error(std::string{"\0", 1}).message,
                    "invalid byte sequence for encoding \"UTF8\": 0x00");
  BOOST_CHECK_EQUAL(planner::invalid_utf8_error("\xc3\x28").sqlstate, "22021");
}

BOOST_AUTO_TEST_CASE(random_bytes_agree_with_a_decoder) {
  // Mostly ASCII with some multi-byte characters and some junk, at every
  // alignment of the 16- and 8-byte fast paths.
  std::mt19937 rng(20261126);
  const std::string pieces[] = {"a", "Z", " ", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                "\xed\x9f\xbf", "\xee\x80\x80"};
  int invalid = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    size_t n = rng() % 40;
    for (size_t i = 0; i < n; ++i)
      s += rng() % 4 == 0 ? pieces[rng() % 8] : std::string(1, static_cast<char>('a' + rng() % 26));
    if (rng() % 2 == 0 && !s.empty())
      s[rng() % s.size()] = static_cast<char>(rng() % 256); // maybe breaks it
    size_t want = reference(s);
    invalid += want != std::string::npos;
    BOOST_REQUIRE_MESSAGE(planner::invalid_utf8_at(s) == want, "round " << round);
  }
  BOOST_CHECK_GT(invalid, 2000); // the junk did break many
}

BOOST_AUTO_TEST_CASE(copy_refuses_bytes_that_are_not_utf8) {
  cs::table_schema schema;
  schema.columns = {cs::column_def{"n", cs::column_type::int8, false},
                    cs::column_def{"s", cs::column_type::text, false}};
  auto copy_error = [&](const std::string& data, planner::copy_options o) {
    planner::copy_parser p{schema, {0, 1}, o, "t"};
    auto e = p.feed(data);
    if (!e)
      e = p.finish();
    return e;
  };
  planner::copy_options text, csv, binary;
  csv.fmt = planner::copy_options::format::csv;
  csv.delimiter = ',';
  csv.null_string.clear();
  binary.fmt = planner::copy_options::format::binary;
  // PostgreSQL 15: COPY t FROM STDIN with these lines.
  for (auto [data, bytes, line] :
       {std::tuple{"1\tok\n2\tbad\xff\n", "0xff", "line 2"},
        std::tuple{"1\tbad\\xff\n", "0xff", "line 1"},       // a hex escape makes the byte
        std::tuple{"1\tok\\303\\251\n2\t\\303\n", "0xc3", "line 2"}, // octal: é, then half of it
        std::tuple{"1\t\\0\n", "0x00", "line 1"}}) {
    auto e = copy_error(data, text);
    BOOST_REQUIRE_MESSAGE(e.has_value(), data);
    BOOST_CHECK_EQUAL(e->error.sqlstate, "22021");
    BOOST_CHECK_EQUAL(e->error.message,
                      std::string{"invalid byte sequence for encoding \"UTF8\": "} + bytes);
    BOOST_CHECK_MESSAGE(e->error.detail.find(line) != std::string::npos, e->error.detail);
  }
  BOOST_CHECK(!copy_error("1\tcaf\\303\\251 \xe2\x82\xac\n", text).has_value());
  auto e = copy_error("1,\"a\xc3\"\n", csv);
  BOOST_REQUIRE(e.has_value());
  BOOST_CHECK_EQUAL(e->error.sqlstate, "22021");
  // Header, one tuple (int8 1, text c3 28), no trailer.
  static const char bytes[] = "PGCOPY\n\xff\r\n\0" "\0\0\0\0" "\0\0\0\0" "\0\2"
                              "\0\0\0\x08" "\0\0\0\0\0\0\0\x01" "\0\0\0\x02" "\xc3\x28";
  std::string tuple{bytes, sizeof bytes - 1};
  e = copy_error(tuple, binary);
  BOOST_REQUIRE(e.has_value());
  BOOST_CHECK_EQUAL(e->error.message, "invalid byte sequence for encoding \"UTF8\": 0xc3 0x28");
}

BOOST_AUTO_TEST_SUITE_END()
