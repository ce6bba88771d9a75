// Every shape of damage: a torn tail ends the log cleanly, damage before the
// tail is an error naming file and offset (or, on request, the new end).

#include <boost/test/unit_test.hpp>

#include "log_fixture.hpp"
#include "wal/crc32c.hpp"
#include "wal/fault_injecting_file_system.hpp"

using namespace wal_test;

namespace {

/// foo, bar, baz, each in its own flush; returns their start LSNs.
std::vector<wal::lsn> three_flushes(log_fixture& f) {
  std::vector<wal::lsn> starts;
  for (const char* p : {"foo", "bar", "baz"}) {
    starts.push_back(f.writer ? f.writer->insert_lsn()
                              : wal::first_record_lsn(1, f.ctl.segment_size));
    f.append(p);
    f.flush();
  }
  return starts;
}

/// Checks that reading fails with errc::corruption naming the file of `at`
/// and its offset.
void expect_corruption(log_fixture& f, wal::lsn at) {
  auto got = f.read();
  BOOST_REQUIRE_MESSAGE(got.error, "no error; records: " << got.records.size());
  BOOST_CHECK_MESSAGE(got.error->code == wal::errc::corruption, got.error->message);
  auto file = f.mem.describe(f.name(wal::segment_of(at, f.ctl.segment_size)));
  auto offset = std::to_string(wal::offset_in_segment(at, f.ctl.segment_size));
  BOOST_CHECK_MESSAGE(contains(got.error->message, "\"" + file + "\""), got.error->message);
  BOOST_CHECK_MESSAGE(contains(got.error->message, "offset " + offset), got.error->message);
}

/// Checks a clean end at `end` after `payloads`, with one torn-tail report
/// whose reason mentions `reason` (no report when `reason` is empty).
void expect_torn_tail(log_fixture& f, const std::vector<std::string>& payloads, wal::lsn end,
                      const std::string& reason) {
  auto got = f.read();
  BOOST_REQUIRE_MESSAGE(!got.error, got.error->message);
  BOOST_CHECK(got.payloads() == payloads);
  BOOST_CHECK_EQUAL(got.end, end);
  if (reason.empty()) {
    BOOST_CHECK(got.reports.empty());
    return;
  }
  BOOST_REQUIRE_EQUAL(got.reports.size(), 1u);
  BOOST_CHECK(got.reports[0].torn_tail);
  BOOST_CHECK_EQUAL(got.reports[0].at, end);
  BOOST_CHECK_MESSAGE(contains(got.reports[0].reason, reason), got.reports[0].reason);
}

/// A fragment as the writer would frame it.
std::vector<uint8_t> raw_fragment(wal::fragment_type type, uint8_t flags,
                                  const std::string& payload) {
  std::vector<uint8_t> out(wal::fragment_header_size + payload.size());
  wal::put_u16(out.data() + 4, static_cast<uint16_t>(payload.size()));
  out[6] = static_cast<uint8_t>(type) | flags;
  out[7] = static_cast<uint8_t>(wal::record_kind::insert);
  std::copy(payload.begin(), payload.end(), out.begin() + wal::fragment_header_size);
  wal::put_u32(out.data(), wal::crc32c::mask(wal::crc32c::value(out.data() + 4,
                                                                out.size() - 4)));
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(corruption)

BOOST_AUTO_TEST_CASE(truncated_header_at_tail) {
  log_fixture f;
  auto s = three_flushes(f);
  f.cut(1, wal::offset_in_segment(s[2], f.ctl.segment_size) + 3);
  expect_torn_tail(f, {"foo", "bar"}, s[2], "incomplete record header");
  f.expect_continues({"foo", "bar"}, s[2]);
}

BOOST_AUTO_TEST_CASE(truncated_payload_at_tail) {
  log_fixture f;
  auto s = three_flushes(f);
  f.cut(1, wal::offset_in_segment(s[2], f.ctl.segment_size) + wal::fragment_header_size + 1);
  expect_torn_tail(f, {"foo", "bar"}, s[2], "incomplete record of length 3");
  f.expect_continues({"foo", "bar"}, s[2]);
}

BOOST_AUTO_TEST_CASE(bad_length_at_tail) {
  log_fixture f;
  auto s = three_flushes(f);
  f.at(s[2] + 4) = 0xff;
  f.at(s[2] + 5) = 0xff;
  expect_torn_tail(f, {"foo", "bar"}, s[2], "runs past the end of its block");
}

BOOST_AUTO_TEST_CASE(bad_length_in_middle) {
  log_fixture f;
  auto s = three_flushes(f);
  f.at(s[1] + 4) = 0xff;
  f.at(s[1] + 5) = 0xff;
  expect_corruption(f, s[1]);
  auto got = f.read_truncating();
  BOOST_REQUIRE(!got.error);
  BOOST_CHECK(got.payloads() == std::vector<std::string>{"foo"});
  BOOST_CHECK_EQUAL(got.end, s[1]);
  BOOST_REQUIRE_EQUAL(got.reports.size(), 1u);
  BOOST_CHECK(!got.reports[0].torn_tail);
  f.expect_continues({"foo"}, s[1]);
}

BOOST_AUTO_TEST_CASE(shortened_length_in_middle) {
  log_fixture f;
  auto s = three_flushes(f);
  f.at(s[1] + 4) = 2; // "bar" claims two bytes: the checksum no longer fits
  expect_corruption(f, s[1]);
}

BOOST_AUTO_TEST_CASE(checksum_mismatch_at_tail) {
  log_fixture f;
  auto s = three_flushes(f);
  f.flip(s[2] + wal::fragment_header_size + 1);
  expect_torn_tail(f, {"foo", "bar"}, s[2], "incorrect record checksum");
  f.expect_continues({"foo", "bar"}, s[2]);
}

BOOST_AUTO_TEST_CASE(checksum_mismatch_in_middle) {
  log_fixture f;
  auto s = three_flushes(f);
  f.flip(s[1] + wal::fragment_header_size + 1);
  expect_corruption(f, s[1]);
  auto got = f.read_truncating();
  BOOST_REQUIRE(!got.error);
  BOOST_CHECK(got.payloads() == std::vector<std::string>{"foo"});
  BOOST_REQUIRE_EQUAL(got.reports.size(), 1u);
  BOOST_CHECK(contains(got.reports[0].reason, "incorrect record checksum"));
  BOOST_CHECK_EQUAL(got.reports[0].file, f.mem.describe(f.name(1)));
  f.expect_continues({"foo"}, s[1]);
}

BOOST_AUTO_TEST_CASE(zero_filled_tail) {
  log_fixture f;
  wal::writer_options zero_fill;
  zero_fill.zero_fill = true;
  f.open_writer(0, zero_fill);
  f.append("foo");
  auto end = f.append("bar");
  f.flush();
  BOOST_CHECK_EQUAL(f.segment(1).size(), f.ctl.segment_size);
  expect_torn_tail(f, {"foo", "bar"}, end, ""); // zeros: the end, nothing to report
  f.open_writer(end, zero_fill);
  f.append("baz");
  f.flush();
  BOOST_CHECK_EQUAL(f.segment(1).size(), f.ctl.segment_size);
  auto got = f.read();
  BOOST_CHECK(got.payloads() == (std::vector<std::string>{"foo", "bar", "baz"}));
}

BOOST_AUTO_TEST_CASE(zero_filled_segments_are_read_across) {
  log_fixture f;
  wal::writer_options zero_fill;
  zero_fill.zero_fill = true;
  f.open_writer(0, zero_fill);
  std::vector<std::string> payloads;
  for (int i = 0; i < 40; ++i) {
    payloads.push_back(big_string(std::to_string(i), 5000));
    f.append(payloads.back());
    f.flush();
  }
  BOOST_CHECK(f.mem.contents(f.name(3)) != nullptr);
  auto got = f.read();
  BOOST_REQUIRE_MESSAGE(!got.error, got.error->message);
  BOOST_CHECK(got.payloads() == payloads);
  BOOST_CHECK(got.reports.empty());
}

BOOST_AUTO_TEST_CASE(zeros_in_middle) {
  log_fixture f;
  auto s = three_flushes(f);
  std::fill_n(&f.at(s[1]), s[2] - s[1], uint8_t{0});
  expect_corruption(f, s[1]);
}

BOOST_AUTO_TEST_CASE(lost_page_in_last_write_is_a_torn_tail) {
  // A crash may persist the later pages of the last write and not an
  // earlier one. Nothing after the hole was written after a sync, so the
  // hole is the end of the log; the same hole in a synced write followed by
  // a later one is damage.
  for (bool last : {true, false}) {
    log_fixture f;
    f.append("foo");
    f.flush();
    std::vector<wal::lsn> starts;
    for (int i = 0; i < 12; ++i) {
      starts.push_back(f.writer->insert_lsn());
      f.append(big_string(std::to_string(i), 1000));
    }
    f.flush();
    if (!last) {
      f.append("later");
      f.flush();
    }
    std::fill_n(&f.at(starts[0] + 2000), 4096, uint8_t{0});
    if (last) {
      expect_torn_tail(f, {"foo", big_string("0", 1000)}, starts[1],
                       "incorrect record checksum");
      f.expect_continues({"foo", big_string("0", 1000)}, starts[1]);
    } else {
      expect_corruption(f, starts[1]);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_bit_flip) {
  // Flush 1 fills most of block 0, flush 2 straddles blocks 0 and 1, flush 3
  // follows. A flip in flush 3 (the last write) is a torn tail; a flip in
  // flush 1 or 2 is damage, unless it hits a block trailer, which carries
  // nothing.
  log_fixture f;
  f.append(big_string("first", wal::block_size - 700));
  f.flush();
  auto second = f.writer->insert_lsn();
  std::vector<std::string> payloads{big_string("first", wal::block_size - 700)};
  for (int i = 0; i < 6; ++i) {
    payloads.push_back(big_string("second" + std::to_string(i), 150));
    f.append(payloads.back());
  }
  f.flush();
  auto third = f.writer->insert_lsn();
  for (int i = 0; i < 3; ++i) {
    payloads.push_back(big_string("third" + std::to_string(i), 50));
    f.append(payloads.back());
  }
  auto end = f.flush();
  auto clean = f.read();
  BOOST_REQUIRE_EQUAL(clean.records.size(), payloads.size());
  auto first = wal::first_record_lsn(1, f.ctl.segment_size);
  size_t harmless = 0, errors = 0, tails = 0;
  for (auto x = first; x < end; x += (x < second - 200 ? 97 : 1)) {
    int bit = static_cast<int>(x % 8);
    f.flip(x, bit);
    auto got = f.read();
    f.flip(x, bit);
    bool in_trailer = wal::block_size - x % wal::block_size < wal::fragment_header_size;
    if (x >= third) {
      ++tails;
      BOOST_REQUIRE_MESSAGE(!got.error, "flip at " << x << ": " << got.error->message);
      BOOST_REQUIRE_GE(got.records.size(), 7u);
      for (size_t i = 0; i < got.records.size(); ++i)
        BOOST_REQUIRE(got.records[i].payload == payloads[i]);
    } else if (got.error) {
      ++errors;
      BOOST_REQUIRE_MESSAGE(got.error->code == wal::errc::corruption, got.error->message);
    } else {
      ++harmless;
      BOOST_REQUIRE_MESSAGE(in_trailer, "flip at offset " << x % f.ctl.segment_size
                                                           << " went unnoticed");
      BOOST_REQUIRE(got.payloads() == payloads);
    }
  }
  BOOST_TEST_MESSAGE("flips: " << errors << " errors, " << tails << " torn tails, "
                               << harmless << " in trailers");
  BOOST_CHECK_GT(errors, 800u);
  BOOST_CHECK_GT(tails, 150u);
}

BOOST_AUTO_TEST_CASE(damage_in_an_older_segment_is_never_a_tail) {
  log_fixture f; // 64 KiB segments
  // One write: the last record of segment 1 has no sync after it.
  auto payloads = f.fill_until_segment(2, 3000, false);
  auto clean = f.read();
  BOOST_REQUIRE_EQUAL(clean.records.size(), payloads.size());
  size_t last1 = 0;
  while (wal::segment_of(clean.records[last1 + 1].start, f.ctl.segment_size) == 1)
    ++last1;
  auto at = clean.records[last1].start;
  // The last record of segment 1 cut off, then with a bad checksum.
  auto whole = f.segment(1);
  f.cut(1, wal::offset_in_segment(at, f.ctl.segment_size) + 100);
  expect_corruption(f, at);
  f.segment(1) = whole;
  f.flip(at + 50);
  expect_corruption(f, at);
  // Cut there on request: segment 2 goes.
  auto got = f.read_truncating();
  BOOST_REQUIRE(!got.error);
  BOOST_CHECK_EQUAL(got.records.size(), last1);
  BOOST_CHECK_EQUAL(got.end, at);
  BOOST_REQUIRE_EQUAL(got.reports.size(), 1u);
  BOOST_CHECK(contains(got.reports[0].reason, "1 later segment file(s) will be discarded"));
  payloads.resize(last1);
  f.expect_continues(payloads, got.end);
  BOOST_CHECK(f.mem.contents(f.name(2)) == nullptr);
}

BOOST_AUTO_TEST_CASE(record_started_twice) {
  // FIRST "ab" then FULL "cd": the first record never ended. In the newest
  // segment with nothing synced after it, a torn tail; in an older one, damage.
  for (bool older : {false, true}) {
    log_fixture f;
    f.open_writer();
    f.writer.reset();
    auto& seg = f.segment(1);
    auto a = raw_fragment(wal::fragment_type::first, wal::sync_flag, "ab");
    auto b = raw_fragment(wal::fragment_type::full, 0, "cd");
    seg.insert(seg.end(), a.begin(), a.end());
    seg.insert(seg.end(), b.begin(), b.end());
    auto begin = wal::first_record_lsn(1, f.ctl.segment_size);
    if (older) {
      auto next = wal::create_segment(f.mem, f.ctl, 2, false);
      BOOST_REQUIRE(next);
      expect_corruption(f, begin + a.size());
    } else {
      expect_torn_tail(f, {}, begin, "a record starts before the one before it ended");
    }
  }
}

BOOST_AUTO_TEST_CASE(random_damage_yields_a_prefix_or_an_error) {
  // Random bytes overwritten and files cut, across two segments: reading
  // never crashes, and with truncate_on_corruption it always returns a
  // prefix of the records, each one intact.
  std::mt19937_64 rng{99};
  log_fixture f;
  std::vector<std::string> payloads;
  while (f.mem.contents(f.name(2)) == nullptr || payloads.size() < 40) {
    payloads.push_back(random_string(rng, rng() % 4 == 0 ? rng() % 40000 : rng() % 300));
    f.append(payloads.back());
    if (rng() % 3 == 0)
      f.flush();
  }
  f.flush();
  f.writer.reset();
  auto one = f.segment(1), two = f.segment(2);
  for (int round = 0; round < 300; ++round) {
    f.segment(1) = one;
    f.segment(2) = two;
    for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k) {
      auto& seg = f.segment(1 + rng() % 2);
      auto at = wal::segment_header_size + rng() % (seg.size() - wal::segment_header_size);
      if (rng() % 5 == 0)
        seg.resize(at);
      else
        seg[at] = static_cast<uint8_t>(rng());
    }
    auto strict = f.read();
    BOOST_REQUIRE(!strict.error || strict.error->code == wal::errc::corruption);
    auto got = f.read_truncating();
    BOOST_REQUIRE_MESSAGE(!got.error, "round " << round << ": " << got.error->message);
    BOOST_REQUIRE_LE(got.records.size(), payloads.size());
    for (size_t i = 0; i < got.records.size(); ++i)
      BOOST_REQUIRE(got.records[i].payload == payloads[i]);
  }
}

BOOST_AUTO_TEST_CASE(bit_flips_seen_through_the_fault_injecting_file_system) {
  log_fixture f;
  auto s = three_flushes(f);
  wal::fault_injecting_file_system faulty{f.mem};
  faulty.flip_bit(f.name(1), wal::offset_in_segment(s[0], f.ctl.segment_size) + 9, 3);
  auto reader = wal::log_reader::open(faulty, f.ctl);
  BOOST_REQUIRE(reader);
  auto rec = reader->next();
  BOOST_REQUIRE(!rec);
  BOOST_CHECK(rec.err().code == wal::errc::corruption);
  BOOST_CHECK(f.read().payloads() == (std::vector<std::string>{"foo", "bar", "baz"}));
}

BOOST_AUTO_TEST_SUITE_END()
