// Crashes, torn writes, failed syncs, foreign segments, and segment removal:
// recovery finds every durable record and the log goes on.

#include <boost/test/unit_test.hpp>

#include "log_fixture.hpp"
#include "wal/fault_injecting_file_system.hpp"

using namespace wal_test;

namespace {

/// Whether `got` starts with all of `durable` and continues with a prefix
/// of `maybe`.
bool durable_then_prefix(const std::vector<std::string>& got,
                         const std::vector<std::string>& durable,
                         const std::vector<std::string>& maybe) {
  if (got.size() < durable.size() || got.size() > durable.size() + maybe.size())
    return false;
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != (i < durable.size() ? durable[i] : maybe[i - durable.size()]))
      return false;
  return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(recovery)

BOOST_AUTO_TEST_CASE(torn_write_at_every_length) {
  // The last flush is cut after `keep` bytes of its write: the records it
  // held whole survive, the rest is a torn tail, and the log goes on.
  std::vector<std::string> first{"alpha", big_string("beta", 700)};
  std::vector<std::string> torn{"gamma", big_string("delta", 40000), "epsilon", ""};
  size_t total = 0;
  for (size_t keep = 0;; keep += (keep < 100 || total - keep < 100 ? 1 : 211)) {
    log_fixture f{uint64_t{1} << 20};
    wal::fault_injecting_file_system faulty{f.mem};
    f.open_writer(0, {}, &faulty);
    for (const auto& p : first)
      f.append(p);
    f.flush();
    auto write_start = f.writer->insert_lsn();
    for (const auto& p : torn)
      f.append(p);
    total = f.writer->buffered_bytes();
    if (keep > total)
      break;
    faulty.crash_during_write(1, keep);
    auto r = f.writer->flush();
    BOOST_REQUIRE(!r);
    BOOST_CHECK(faulty.crashed());
    auto got = f.read();
    BOOST_REQUIRE_MESSAGE(!got.error, "keep " << keep << ": " << got.error->message);
    auto payloads = got.payloads();
    BOOST_REQUIRE_MESSAGE(durable_then_prefix(payloads, first, torn), "keep " << keep);
    // Exactly the records whose bytes were all written.
    size_t whole = 0;
    auto clean_end = write_start;
    for (const auto& rec : got.records)
      if (rec.start >= write_start) {
        ++whole;
        clean_end = rec.end;
        BOOST_CHECK_LE(rec.end - write_start, keep);
      }
    BOOST_CHECK_EQUAL(got.end, clean_end);
    if (whole < torn.size()) {
      // The next record was not whole: at least one of its bytes is missing.
      auto next_end = wal::record_end_offset(
        wal::offset_in_segment(clean_end, f.ctl.segment_size), torn[whole].size());
      BOOST_CHECK_GT(next_end - wal::offset_in_segment(write_start, f.ctl.segment_size),
                     keep);
    }
    f.expect_continues(payloads, got.end);
  }
}

BOOST_AUTO_TEST_CASE(power_loss_keeps_what_was_flushed) {
  log_fixture f;
  f.append("durable 1");
  f.append("durable 2");
  f.flush();
  f.append("written");
  BOOST_REQUIRE(f.writer->write());
  f.append("buffered");
  f.writer.reset();
  // A process crash keeps the page cache: the written record is there.
  BOOST_CHECK(f.read().payloads()
              == (std::vector<std::string>{"durable 1", "durable 2", "written"}));
  // A power loss keeps only what was synced.
  f.mem.crash();
  auto got = f.read();
  BOOST_REQUIRE(!got.error);
  BOOST_CHECK(got.payloads() == (std::vector<std::string>{"durable 1", "durable 2"}));
  BOOST_CHECK(got.reports.empty());
}

BOOST_AUTO_TEST_CASE(failed_io_stops_the_writer) {
  // A failed fdatasync, then a failed write (ENOSPC): the writer refuses
  // all further work, although a retried sync would report success — the
  // kernel may have dropped the dirty pages (PostgreSQL PANICs here).
  for (bool sync : {true, false}) {
    log_fixture f;
    wal::fault_injecting_file_system faulty{f.mem};
    f.open_writer(0, {}, &faulty);
    f.append("one");
    auto durable = f.flush();
    f.append("two");
    if (sync)
      faulty.fail_sync(1);
    else
      faulty.fail_write(1);
    auto r = f.writer->flush();
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.err().code == wal::errc::io);
    auto cause = sync ? "could not fdatasync file" : "No space left on device";
    BOOST_CHECK_MESSAGE(contains(r.err().message, cause), r.err().message);
    BOOST_REQUIRE(f.writer->failure() != nullptr);
    auto again = f.writer->flush();
    BOOST_REQUIRE(!again);
    BOOST_CHECK(again.err().code == wal::errc::closed);
    BOOST_CHECK(contains(again.err().message, cause));
    auto more = f.writer->append(wal::record_kind::insert, bytes_of("three"));
    BOOST_REQUIRE(!more);
    BOOST_CHECK(more.err().code == wal::errc::closed);
    BOOST_CHECK(!f.writer->write());
    BOOST_CHECK_EQUAL(f.writer->flush_lsn(), durable);
    // Recovery reads what reached the file.
    auto got = f.read();
    BOOST_REQUIRE(!got.error);
    BOOST_CHECK_EQUAL(got.records.at(0).payload, "one");
    BOOST_CHECK_EQUAL(got.records.size(), sync ? 2u : 1u);
  }
}

BOOST_AUTO_TEST_CASE(crash_while_creating_a_segment) {
  log_fixture f;
  auto payloads = f.fill_until_segment(2, 2000);
  auto last = payloads.back(); // the only record in segment 2
  payloads.pop_back();
  // Segment 2 with half a header, then with a header of zeros.
  for (size_t header : {size_t{17}, wal::segment_header_size}) {
    f.writer.reset();
    auto whole = f.segment(2);
    f.segment(2).assign(header, 0);
    if (header == 17)
      std::copy_n(whole.begin(), 17, f.segment(2).begin());
    auto got = f.read();
    BOOST_REQUIRE_MESSAGE(!got.error, got.error->message);
    BOOST_CHECK(got.payloads() == payloads);
    BOOST_REQUIRE_EQUAL(got.reports.size(), 1u);
    BOOST_CHECK(contains(got.reports[0].reason, "incomplete segment header"));
    BOOST_CHECK_EQUAL(got.reports[0].file, f.mem.describe(f.name(2)));
    f.segment(2) = whole;
  }
  // A bad header with records behind it is damage.
  f.segment(2)[3] ^= 1;
  auto bad = f.read();
  BOOST_REQUIRE(bad.error);
  BOOST_CHECK(bad.error->code == wal::errc::corruption);
  BOOST_CHECK(contains(bad.error->message, "invalid segment header"));
  BOOST_CHECK(contains(bad.error->message, f.name(2)));
  // Recovery from the half-made segment: the writer continues in segment 1.
  f.segment(2).resize(10);
  auto got = f.read();
  BOOST_REQUIRE(!got.error);
  f.open_writer(got.end);
  BOOST_CHECK(f.mem.contents(f.name(2)) == nullptr);
  f.append(last);
  f.flush();
  payloads.push_back(last);
  BOOST_CHECK(f.read().payloads() == payloads);
}

BOOST_AUTO_TEST_CASE(writer_refuses_positions_it_cannot_continue_at) {
  log_fixture f;
  f.fill_until_segment(3, 5000);
  f.writer.reset();
  auto size = f.ctl.segment_size;
  auto try_open = [&](wal::lsn end) {
    auto w = wal::log_writer::open(f.mem, f.ctl, end);
    BOOST_REQUIRE(!w);
    return w.err();
  };
  // Past the data of segment 2, in its header, in a missing segment 4.
  BOOST_CHECK(try_open(wal::make_lsn(2, f.segment(2).size() + 1, size)).code
              == wal::errc::invalid_argument);
  BOOST_CHECK(try_open(wal::make_lsn(2, 10, size)).code == wal::errc::invalid_argument);
  BOOST_CHECK(try_open(wal::make_lsn(4, 1000, size)).code == wal::errc::not_found);
  // None of it removed or cut anything.
  BOOST_CHECK(f.mem.contents(f.name(3)) != nullptr);
  BOOST_CHECK(f.read().records.size() > 20);
  BOOST_CHECK(f.read().reports.empty());
}

BOOST_AUTO_TEST_CASE(system_identifier_mismatch) {
  log_fixture f;
  f.append("x");
  f.flush();
  auto other = f.ctl;
  other.system_identifier ^= 0x5a5a;
  auto reader = wal::log_reader::open(f.mem, other);
  BOOST_REQUIRE(!reader);
  BOOST_CHECK(reader.err().code == wal::errc::mismatch);
  BOOST_CHECK_MESSAGE(contains(reader.err().message, "WAL file is from different database system"),
                      reader.err().message);
  BOOST_CHECK(contains(reader.err().message, f.mem.describe(f.name(1))));
  BOOST_CHECK(contains(reader.err().message, std::to_string(other.system_identifier)));
  auto writer = wal::log_writer::open(f.mem, other, f.writer->insert_lsn());
  BOOST_REQUIRE(!writer);
  BOOST_CHECK(writer.err().code == wal::errc::mismatch);
}

BOOST_AUTO_TEST_CASE(segment_number_and_size_mismatch) {
  log_fixture f;
  f.fill_until_segment(3, 5000);
  // Segment 1's bytes under segment 2's name.
  auto two = f.segment(2);
  f.segment(2) = f.segment(1);
  auto got = f.read();
  BOOST_REQUIRE(got.error);
  BOOST_CHECK(got.error->code == wal::errc::mismatch);
  BOOST_CHECK_MESSAGE(contains(got.error->message, "holds segment 1, its name says 2"),
                      got.error->message);
  BOOST_CHECK(contains(got.error->message, f.name(2)));
  f.segment(2) = two;
  // A control file with another segment size.
  auto other = f.ctl;
  other.segment_size *= 2;
  auto reader = wal::log_reader::open(f.mem, other);
  BOOST_REQUIRE(!reader);
  BOOST_CHECK(reader.err().code == wal::errc::mismatch);
  BOOST_CHECK_MESSAGE(contains(reader.err().message, "segment size"), reader.err().message);
}

BOOST_AUTO_TEST_CASE(missing_segment) {
  log_fixture f;
  f.fill_until_segment(3, 5000);
  f.writer.reset();
  BOOST_REQUIRE(f.mem.remove(f.name(2)));
  auto got = f.read();
  BOOST_REQUIRE(got.error);
  BOOST_CHECK(got.error->code == wal::errc::not_found);
  BOOST_CHECK_MESSAGE(contains(got.error->message, f.name(2) + "\" is missing"),
                      got.error->message);
}

BOOST_AUTO_TEST_CASE(segment_removal) {
  log_fixture f;
  auto payloads = f.fill_until_segment(5, 3000);
  auto all = f.read();
  BOOST_REQUIRE_EQUAL(all.records.size(), payloads.size());
  // A checkpoint at the first record of segment 4 lets segments 1-3 go.
  size_t k = 0;
  while (wal::segment_of(all.records[k].start, f.ctl.segment_size) < 4)
    ++k;
  auto checkpoint = all.records[k - 1].end;
  auto removed = wal::remove_segments_before(f.mem, f.ctl, checkpoint);
  BOOST_REQUIRE(removed);
  // The end of the record before segment 4's first lies in segment 3 (or
  // is its very end): segment 3 is kept unless the record filled it.
  auto keep = wal::segment_of(checkpoint, f.ctl.segment_size);
  BOOST_CHECK_EQUAL(*removed, keep - 1);
  auto segs = wal::list_segments(f.mem, f.ctl.segment_size);
  BOOST_REQUIRE(segs);
  BOOST_CHECK_EQUAL(segs->front(), keep);
  auto got = f.read_from(checkpoint);
  BOOST_REQUIRE_MESSAGE(!got.error, got.error->message);
  BOOST_CHECK_EQUAL(got.records.size(), payloads.size() - k);
  BOOST_CHECK(got.records.front().payload == payloads[k]);
  // Reading from the oldest segment left.
  auto oldest = f.read();
  BOOST_REQUIRE(!oldest.error);
  BOOST_CHECK(oldest.records.front().start == wal::first_record_lsn(keep, f.ctl.segment_size));
  // Reading from a removed segment.
  auto gone = f.read_from(all.records[0].start);
  BOOST_REQUIRE(gone.error);
  BOOST_CHECK(gone.error->code == wal::errc::not_found);
  BOOST_CHECK_MESSAGE(contains(gone.error->message, "requested WAL segment " + f.name(1)
                                                      + " has already been removed"),
                      gone.error->message);
  // Appends go on; removing again is a no-op.
  f.append("more");
  f.flush();
  BOOST_CHECK_EQUAL(*wal::remove_segments_before(f.mem, f.ctl, checkpoint), 0u);
  BOOST_CHECK_EQUAL(f.read().records.back().payload, "more");
}

BOOST_AUTO_TEST_CASE(crash_and_recover_rounds) {
  // A seeded run of appends, writes, flushes and crashes of both kinds:
  // after every recovery each flushed record is there, in order, followed
  // by at most what was appended after it, and LSNs keep growing.
  log_fixture f{uint64_t{128} << 10};
  std::mt19937_64 rng{2024};
  std::vector<std::string> durable; // acknowledged: flushed
  std::vector<std::string> pending; // appended since the last flush
  wal::lsn last_end = 0;
  f.open_writer();
  for (int round = 0; round < 40; ++round) {
    int steps = static_cast<int>(rng() % 20);
    for (int s = 0; s < steps; ++s) {
      auto n = rng() % 4 == 0 ? rng() % 40000 : rng() % 200;
      pending.push_back(random_string(rng, n));
      auto end = f.append(pending.back());
      BOOST_REQUIRE_GT(end, last_end);
      last_end = end;
      if (rng() % 4 == 0) {
        f.flush();
        durable.insert(durable.end(), pending.begin(), pending.end());
        pending.clear();
      } else if (rng() % 6 == 0) {
        BOOST_REQUIRE(f.writer->write());
      }
    }
    f.writer.reset();
    if (rng() % 2 == 0)
      f.mem.crash();
    auto got = f.read();
    BOOST_REQUIRE_MESSAGE(!got.error, "round " << round << ": " << got.error->message);
    auto payloads = got.payloads();
    BOOST_REQUIRE_MESSAGE(durable_then_prefix(payloads, durable, pending), "round " << round);
    durable = payloads; // what recovery found is the log now
    pending.clear();
    last_end = got.end; // LSNs of lost records are handed out again
    f.open_writer(got.end);
  }
  BOOST_CHECK_GT(durable.size(), 50u);
}

BOOST_AUTO_TEST_SUITE_END()
