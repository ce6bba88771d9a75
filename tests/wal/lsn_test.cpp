// LSN arithmetic and PostgreSQL's text forms.

#include <boost/test/unit_test.hpp>

#include "wal/log_format.hpp"
#include "wal/lsn.hpp"
#include "wal/segments.hpp"

namespace wal = hypertide::wal;

BOOST_AUTO_TEST_SUITE(lsn)

BOOST_AUTO_TEST_CASE(text_form_is_postgres) {
  BOOST_CHECK_EQUAL(wal::format_lsn(0), "0/0");
  BOOST_CHECK_EQUAL(wal::format_lsn(0x16B3748), "0/16B3748");
  BOOST_CHECK_EQUAL(wal::format_lsn((uint64_t{0x16} << 32) | 0xB374D848u), "16/B374D848");
  BOOST_CHECK_EQUAL(wal::format_lsn(UINT64_MAX), "FFFFFFFF/FFFFFFFF");
  for (uint64_t x : {uint64_t{0}, uint64_t{0x16B3748}, uint64_t{1} << 32, UINT64_MAX})
    BOOST_CHECK_EQUAL(*wal::parse_lsn(wal::format_lsn(x)), x);
  BOOST_CHECK_EQUAL(*wal::parse_lsn("16/b374d848"), (uint64_t{0x16} << 32) | 0xB374D848u);
  for (const char* bad : {"", "/", "1", "1/", "/1", "123456789/0", "0/123456789", "G/0",
                          "0/0 ", " 0/0", "0//0", "-1/0"})
    BOOST_CHECK_MESSAGE(!wal::parse_lsn(bad), "accepted '" << bad << "'");
}

BOOST_AUTO_TEST_CASE(segment_arithmetic) {
  const uint64_t size = wal::default_segment_size;
  auto x = wal::make_lsn(5, 1234, size);
  BOOST_CHECK_EQUAL(wal::segment_of(x, size), 5u);
  BOOST_CHECK_EQUAL(wal::offset_in_segment(x, size), 1234u);
  BOOST_CHECK_EQUAL(wal::first_record_lsn(1, size), size + wal::segment_header_size);
  BOOST_CHECK_EQUAL(wal::normalize(3 * size, size), 3 * size + wal::segment_header_size);
  BOOST_CHECK_EQUAL(wal::normalize(x, size), x);
  BOOST_CHECK(wal::valid_segment_size(size));
  BOOST_CHECK(wal::valid_segment_size(wal::min_segment_size));
  BOOST_CHECK(wal::valid_segment_size(wal::max_segment_size));
  BOOST_CHECK(!wal::valid_segment_size(wal::min_segment_size / 2));
  BOOST_CHECK(!wal::valid_segment_size(wal::max_segment_size * 2));
  BOOST_CHECK(!wal::valid_segment_size(3 * wal::min_segment_size));
}

BOOST_AUTO_TEST_CASE(file_names_are_postgres) {
  const uint64_t mib16 = uint64_t{16} << 20, mib64 = uint64_t{64} << 20;
  BOOST_CHECK_EQUAL(wal::segment_file_name(1, mib16), "000000010000000000000001");
  // 256 segments of 16 MiB per "xlogid", 64 of 64 MiB.
  BOOST_CHECK_EQUAL(wal::segment_file_name(256, mib16), "000000010000000100000000");
  BOOST_CHECK_EQUAL(wal::segment_file_name(64, mib64), "000000010000000100000000");
  BOOST_CHECK_EQUAL(wal::segment_file_name(64 * 10 + 63, mib64), "000000010000000A0000003F");
  // SELECT pg_walfile_name('0/16B3748') with 16 MiB segments.
  BOOST_CHECK_EQUAL(wal::pg_walfile_name(0x16B3748, mib16), "000000010000000000000001");
  // A segment boundary names the segment before it, as in PostgreSQL.
  BOOST_CHECK_EQUAL(wal::pg_walfile_name(0x1000000, mib16), "000000010000000000000000");
  BOOST_CHECK_EQUAL(wal::pg_walfile_name(0x1000001, mib16), "000000010000000000000001");
  BOOST_CHECK_EQUAL(wal::pg_walfile_name(uint64_t{1} << 32, mib64), "00000001000000000000003F");
  for (uint64_t segno : {uint64_t{1}, uint64_t{63}, uint64_t{64}, uint64_t{12345}})
    BOOST_CHECK_EQUAL(*wal::parse_segment_file_name(wal::segment_file_name(segno, mib64), mib64),
                      segno);
  for (const char* bad : {"00000001000000000000003f", "000000020000000000000001",
                          "00000001000000000000004", "000000010000000000000040",
                          "hypertide_control", "00000001000000000000000X"})
    BOOST_CHECK_MESSAGE(!wal::parse_segment_file_name(bad, mib64), "accepted " << bad);
}

BOOST_AUTO_TEST_CASE(record_layout) {
  using wal::block_size;
  using wal::fragment_header_size;
  // An empty record is one header.
  BOOST_CHECK_EQUAL(wal::record_end_offset(100, 0), 100 + fragment_header_size);
  // A record that fills its block to the byte.
  BOOST_CHECK_EQUAL(wal::record_end_offset(0, block_size - fragment_header_size), block_size);
  // One byte more goes on in the next block, behind another header.
  BOOST_CHECK_EQUAL(wal::record_end_offset(0, block_size - fragment_header_size + 1),
                    block_size + fragment_header_size + 1);
  // Fewer than a header's bytes left: they are a trailer.
  BOOST_CHECK_EQUAL(wal::record_end_offset(block_size - 7, 0),
                    block_size + fragment_header_size);
  // Exactly a header's bytes left: an empty first fragment fills them.
  BOOST_CHECK_EQUAL(wal::record_end_offset(block_size - 8, 1),
                    block_size + fragment_header_size + 1);
  BOOST_CHECK_EQUAL(wal::max_record_size(wal::min_segment_size),
                    2 * (block_size - fragment_header_size) - wal::segment_header_size);
  BOOST_CHECK_EQUAL(wal::max_record_size(wal::default_segment_size), 67'092'440u);
  BOOST_CHECK_EQUAL(wal::record_end_offset(wal::segment_header_size,
                                           wal::max_record_size(wal::min_segment_size)),
                    wal::min_segment_size);
}

BOOST_AUTO_TEST_SUITE_END()
