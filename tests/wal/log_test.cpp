// Record framing: round trips of records of every awkward size, across
// blocks and segments, and reading from a given LSN (LevelDB log_test style).

#include <boost/test/unit_test.hpp>

#include "log_fixture.hpp"

using namespace wal_test;

namespace {

/// Reads the log back and checks it holds `payloads` in order, ending at the
/// LSNs append returned.
read_outcome expect_log(log_fixture& f, const std::vector<std::string>& payloads,
                        const std::vector<wal::lsn>& ends) {
  auto got = f.read();
  BOOST_REQUIRE_MESSAGE(!got.error, got.error->message);
  BOOST_REQUIRE_EQUAL(got.records.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    BOOST_CHECK(got.records[i].payload == payloads[i]);
    BOOST_CHECK_EQUAL(got.records[i].end, ends[i]);
    BOOST_CHECK_LT(got.records[i].start, got.records[i].end);
    if (i > 0)
      BOOST_CHECK_GE(got.records[i].start, got.records[i - 1].end);
  }
  BOOST_CHECK_EQUAL(got.end, ends.back());
  BOOST_CHECK(got.reports.empty());
  return got;
}

/// Appends every payload, flushes once, and reads them back.
void round_trip(log_fixture& f, const std::vector<std::string>& payloads) {
  std::vector<wal::lsn> ends;
  for (const auto& p : payloads)
    ends.push_back(f.append(p));
  BOOST_CHECK_EQUAL(f.flush(), ends.back());
  expect_log(f, payloads, ends);
}

} // namespace

BOOST_AUTO_TEST_SUITE(log_framing)

BOOST_AUTO_TEST_CASE(empty_log) {
  log_fixture f;
  auto got = f.read(); // no segment at all
  BOOST_CHECK(!got.error);
  BOOST_CHECK(got.records.empty());
  BOOST_CHECK_EQUAL(got.end, wal::first_record_lsn(1, f.ctl.segment_size));
  f.open_writer(); // creates segment 1
  got = f.read();
  BOOST_CHECK(!got.error);
  BOOST_CHECK(got.records.empty());
  BOOST_CHECK_EQUAL(got.end, wal::first_record_lsn(1, f.ctl.segment_size));
  BOOST_CHECK_EQUAL(f.segment(1).size(), wal::segment_header_size);
}

BOOST_AUTO_TEST_CASE(small_and_empty_records) {
  log_fixture f;
  round_trip(f, {"foo", "bar", "", "xxxx"});
}

BOOST_AUTO_TEST_CASE(kinds_round_trip) {
  log_fixture f;
  using k = wal::record_kind;
  std::vector<k> kinds{k::create_table, k::create_hypertable, k::create_chunk, k::insert,
                       k::drop_chunks,  k::drop_table,        k::commit,
                       static_cast<k>(200)}; // a kind of a later version passes through
  for (auto x : kinds)
    f.append(wal::to_string(x), x);
  f.flush();
  auto got = f.read();
  BOOST_REQUIRE_EQUAL(got.records.size(), kinds.size());
  for (size_t i = 0; i < kinds.size(); ++i) {
    BOOST_CHECK(got.records[i].kind == kinds[i]);
    BOOST_CHECK_EQUAL(got.records[i].payload, wal::to_string(kinds[i]));
  }
  BOOST_CHECK_EQUAL(wal::to_string(static_cast<k>(200)), "unknown");
  auto zero = f.writer->append(static_cast<k>(0), {});
  BOOST_CHECK(!zero && zero.err().code == wal::errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(block_sized_records) {
  log_fixture f{uint64_t{1} << 20};
  round_trip(f, {big_string("a", wal::block_size), big_string("b", wal::max_fragment_payload),
                 big_string("c", wal::max_fragment_payload + 1),
                 big_string("d", wal::block_size - wal::segment_header_size), "e"});
}

BOOST_AUTO_TEST_CASE(fragmented_and_large_records) {
  log_fixture f{uint64_t{4} << 20};
  round_trip(f, {"small", big_string("medium", 50000), big_string("large", 100000),
                 big_string("huge", 1 << 20), "tail"});
}

BOOST_AUTO_TEST_CASE(marginal_trailers) {
  // A first record that leaves `left` bytes in block 0, then more records:
  // fewer than a header's bytes become a trailer, exactly a header's bytes
  // an empty first fragment.
  for (size_t left = 0; left <= 2 * wal::fragment_header_size; ++left) {
    log_fixture f;
    auto n = wal::block_size - wal::segment_header_size - wal::fragment_header_size - left;
    auto end = f.append(big_string("foo", n));
    BOOST_CHECK_EQUAL(wal::offset_in_segment(end, f.ctl.segment_size), wal::block_size - left);
    f.append("bar");
    f.append("");
    f.append("baz");
    f.flush();
    auto got = f.read();
    BOOST_REQUIRE_MESSAGE(!got.error, got.error->message);
    BOOST_REQUIRE_EQUAL(got.records.size(), 4u);
    BOOST_CHECK_EQUAL(got.records[0].payload.size(), n);
    BOOST_CHECK_EQUAL(got.records[1].payload, "bar");
    BOOST_CHECK_EQUAL(got.records[2].payload, "");
    BOOST_CHECK_EQUAL(got.records[3].payload, "baz");
    auto second = wal::offset_in_segment(got.records[1].start, f.ctl.segment_size);
    if (left < wal::fragment_header_size)
      BOOST_CHECK_EQUAL(second, wal::block_size);
    else
      BOOST_CHECK_EQUAL(second, wal::block_size - left);
    // Reading from the end of the first record skips the trailer.
    auto rest = f.read_from(got.records[0].end);
    BOOST_REQUIRE_EQUAL(rest.records.size(), 3u);
    BOOST_CHECK_EQUAL(rest.records[0].payload, "bar");
  }
}

BOOST_AUTO_TEST_CASE(many_records_across_segments) {
  log_fixture f; // 64 KiB segments
  std::vector<std::string> payloads;
  for (int i = 0; i < 20000; ++i)
    payloads.push_back(std::to_string(i));
  round_trip(f, payloads);
  auto segs = wal::list_segments(f.mem, f.ctl.segment_size);
  BOOST_REQUIRE(segs);
  BOOST_CHECK_GT(segs->size(), 3u);
  for (size_t i = 0; i < segs->size(); ++i)
    BOOST_CHECK_EQUAL((*segs)[i], i + 1);
}

BOOST_AUTO_TEST_CASE(random_sizes_and_flushes) {
  log_fixture f{uint64_t{256} << 10};
  std::mt19937_64 rng{7};
  std::vector<std::string> payloads;
  std::vector<wal::lsn> ends;
  for (int i = 0; i < 400; ++i) {
    // Mostly small, sometimes several blocks.
    size_t n = rng() % 8 == 0 ? rng() % (3 * wal::block_size) : rng() % 300;
    payloads.push_back(random_string(rng, n));
    ends.push_back(f.append(payloads.back()));
    if (rng() % 5 == 0)
      BOOST_CHECK_EQUAL(f.flush(), ends.back());
    else if (rng() % 7 == 0)
      BOOST_CHECK_EQUAL(*f.writer->write(), ends.back());
  }
  f.flush();
  auto got = expect_log(f, payloads, ends);
  // Every record start and end is a place to start reading.
  for (size_t i : {size_t{1}, size_t{57}, size_t{200}, size_t{399}}) {
    for (auto from : {got.records[i].start, got.records[i - 1].end}) {
      auto tail = f.read_from(from);
      BOOST_REQUIRE_MESSAGE(!tail.error, tail.error->message);
      BOOST_REQUIRE_EQUAL(tail.records.size(), payloads.size() - i);
      BOOST_CHECK(tail.records.front().payload == payloads[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(start_must_be_a_record_boundary) {
  log_fixture f;
  f.append(big_string("x", 2 * wal::block_size - 100 - wal::segment_header_size));
  f.append("y");
  f.flush();
  auto all = f.read();
  BOOST_REQUIRE_EQUAL(all.records.size(), 2u);
  // The start of the first record's second fragment.
  auto got = f.read_from(wal::make_lsn(1, wal::block_size, f.ctl.segment_size));
  BOOST_REQUIRE(got.error);
  BOOST_CHECK(got.error->code == wal::errc::invalid_argument);
  BOOST_CHECK_MESSAGE(got.error->message.find("no record starts") != std::string::npos,
                      got.error->message);
  BOOST_CHECK(f.read_from(wal::make_lsn(1, 10, f.ctl.segment_size)).error); // in the header
  got = f.read_from(all.end + 50); // past the end of the data
  BOOST_REQUIRE(got.error);
  BOOST_CHECK(got.error->code == wal::errc::invalid_argument);
  got = f.read_from(all.end + 1000); // in a segment that does not exist
  BOOST_REQUIRE(got.error);
  BOOST_CHECK(got.error->code == wal::errc::not_found);
}

BOOST_AUTO_TEST_CASE(records_do_not_span_segments) {
  log_fixture f; // 64 KiB segments
  auto max = wal::max_record_size(f.ctl.segment_size);
  f.append("a");
  auto end = f.append(big_string("b", max)); // does not fit behind "a"
  BOOST_CHECK_EQUAL(wal::segment_of(end - 1, f.ctl.segment_size), 2u);
  BOOST_CHECK_EQUAL(end, wal::make_lsn(3, 0, f.ctl.segment_size)); // fills segment 2
  f.append("c");
  f.flush();
  auto got = f.read();
  BOOST_REQUIRE_MESSAGE(!got.error, got.error->message);
  BOOST_REQUIRE_EQUAL(got.records.size(), 3u);
  BOOST_CHECK_EQUAL(got.records[1].start, wal::first_record_lsn(2, f.ctl.segment_size));
  BOOST_CHECK_EQUAL(got.records[2].start, wal::first_record_lsn(3, f.ctl.segment_size));
  BOOST_CHECK_EQUAL(wal::pg_walfile_name(got.records[1].end, f.ctl.segment_size), f.name(2));
  auto too_big = f.writer->append(wal::record_kind::insert, bytes_of(big_string("x", max + 1)));
  BOOST_REQUIRE(!too_big);
  BOOST_CHECK(too_big.err().code == wal::errc::too_large);
  BOOST_CHECK(f.writer->failure() == nullptr); // a refused record harms nothing
  // Reading from the end of the segment-filling record.
  auto tail = f.read_from(got.records[1].end);
  BOOST_REQUIRE_EQUAL(tail.records.size(), 1u);
  BOOST_CHECK_EQUAL(tail.records[0].payload, "c");
}

BOOST_AUTO_TEST_CASE(log_ending_at_a_segment_boundary) {
  // A record that fills segment 1 to its last byte: the log ends at the
  // boundary, and the writer goes on in segment 2.
  log_fixture f;
  auto payload = big_string("full", wal::max_record_size(f.ctl.segment_size));
  auto end = f.append(payload);
  f.flush();
  BOOST_CHECK_EQUAL(end, wal::make_lsn(2, 0, f.ctl.segment_size));
  BOOST_CHECK_EQUAL(wal::pg_walfile_name(end, f.ctl.segment_size), f.name(1));
  f.writer.reset();
  auto got = f.read();
  BOOST_REQUIRE(!got.error);
  BOOST_CHECK_EQUAL(got.end, end);
  f.expect_continues({payload}, got.end);
  BOOST_CHECK_EQUAL(f.read().records.back().start, wal::first_record_lsn(2, f.ctl.segment_size));
}

BOOST_AUTO_TEST_CASE(lsns_report_positions) {
  log_fixture f;
  BOOST_CHECK_EQUAL(f.append("abc"), wal::first_record_lsn(1, f.ctl.segment_size)
                                       + wal::fragment_header_size + 3);
  auto& w = *f.writer;
  BOOST_CHECK_GT(w.insert_lsn(), w.write_lsn());
  BOOST_CHECK_EQUAL(w.write_lsn(), w.flush_lsn());
  BOOST_CHECK_EQUAL(w.buffered_bytes(), wal::fragment_header_size + 3);
  BOOST_CHECK_EQUAL(*w.write(), w.insert_lsn());
  BOOST_CHECK_GT(w.write_lsn(), w.flush_lsn());
  BOOST_CHECK_EQUAL(w.buffered_bytes(), 0u);
  BOOST_CHECK_EQUAL(*w.flush(), w.insert_lsn());
  BOOST_CHECK_EQUAL(w.flush_lsn(), w.insert_lsn());
}

BOOST_AUTO_TEST_SUITE_END()
