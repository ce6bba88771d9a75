// CRC-32C against the standard check value and RFC 3720's vectors, on both
// implementations.

#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

#include "wal/crc32c.hpp"

namespace crc = hypertide::wal::crc32c;

namespace {

using extend_fn = uint32_t (*)(uint32_t, const void*, size_t) noexcept;

std::vector<extend_fn> implementations() {
  std::vector<extend_fn> out{&crc::detail::extend_portable, &crc::extend};
  if (crc::detail::hardware_available())
    out.push_back(&crc::detail::extend_hardware);
  else
    BOOST_TEST_MESSAGE("no SSE4.2 here: the hardware CRC32C is not tested");
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(crc32c)

BOOST_AUTO_TEST_CASE(check_value_and_rfc3720_vectors) {
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xff), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  // RFC 3720 B.4: an iSCSI SCSI Read (10) command PDU.
  const std::vector<uint8_t> pdu{
    0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
    0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  std::string check = "123456789";
  for (auto fn : implementations()) {
    BOOST_CHECK_EQUAL(fn(0, check.data(), check.size()), 0xE3069283u);
    BOOST_CHECK_EQUAL(fn(0, zeros.data(), 32), 0x8A9136AAu);
    BOOST_CHECK_EQUAL(fn(0, ones.data(), 32), 0x62A8AB43u);
    BOOST_CHECK_EQUAL(fn(0, up.data(), 32), 0x46DD794Eu);
    BOOST_CHECK_EQUAL(fn(0, down.data(), 32), 0x113FDB5Cu);
    BOOST_CHECK_EQUAL(fn(0, pdu.data(), pdu.size()), 0xD9963A56u);
    BOOST_CHECK_EQUAL(fn(0, nullptr, 0), 0u);
  }
}

BOOST_AUTO_TEST_CASE(extend_is_concatenation) {
  std::string a = "hello ", b = "world";
  std::string ab = a + b;
  BOOST_CHECK_EQUAL(crc::extend(crc::value(a.data(), a.size()), b.data(), b.size()),
                    crc::value(ab.data(), ab.size()));
}

BOOST_AUTO_TEST_CASE(implementations_agree_at_every_length_and_alignment) {
  std::mt19937_64 rng{42};
  std::vector<uint8_t> data(1024 + 8);
  for (auto& x : data)
    x = static_cast<uint8_t>(rng());
  auto fns = implementations();
  for (size_t align = 0; align < 8; ++align)
    for (size_t n = 0; n <= 1024; n += (n < 64 ? 1 : 37)) {
      auto expected = crc::detail::extend_portable(0x12345678u, data.data() + align, n);
      for (auto fn : fns)
        BOOST_CHECK_EQUAL(fn(0x12345678u, data.data() + align, n), expected);
    }
}

BOOST_AUTO_TEST_CASE(mask) {
  std::string foo = "foo";
  uint32_t c = crc::value(foo.data(), foo.size());
  BOOST_CHECK_NE(c, crc::mask(c));
  BOOST_CHECK_NE(c, crc::mask(crc::mask(c)));
  BOOST_CHECK_EQUAL(c, crc::unmask(crc::mask(c)));
  BOOST_CHECK_EQUAL(c, crc::unmask(crc::unmask(crc::mask(crc::mask(c)))));
}

BOOST_AUTO_TEST_SUITE_END()
