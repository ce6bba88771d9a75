// Checkpoint snapshots: round trips, the bytes, the final name appearing only
// when the snapshot is durable, and every shape of damage being refused.

#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "log_fixture.hpp"
#include "wal/crc32c.hpp"
#include "wal/fault_injecting_file_system.hpp"
#include "wal/log_format.hpp"
#include "wal/snapshot.hpp"

using namespace wal_test;

namespace {

constexpr uint64_t system_id = 0x0123456789ABCDEFu;
constexpr wal::lsn redo = 0x1'016B3748u;

/// An entry as written or read back.
struct entry {
  uint8_t kind = 0;
  std::string payload;

  friend bool operator==(const entry&, const entry&) = default;
};

/// What reading a whole snapshot gave.
struct snapshot_outcome {
  std::vector<entry> entries;
  std::optional<wal::error> error;
};

/// Writes a finished snapshot of `entries` at `at`.
void write_snapshot(wal::file_system& fs, const std::vector<entry>& entries,
                    wal::lsn at = redo) {
  auto w = wal::snapshot_writer::create(fs, system_id, at);
  BOOST_REQUIRE_MESSAGE(w, what(w));
  for (const auto& e : entries) {
    auto r = w->add(e.kind, bytes_of(e.payload));
    BOOST_REQUIRE_MESSAGE(r, what(r));
  }
  BOOST_CHECK_EQUAL(w->entries(), entries.size());
  auto r = w->finish();
  BOOST_REQUIRE_MESSAGE(r, what(r));
}

/// Reads the snapshot at `at` to its end or to an error.
snapshot_outcome read_snapshot(wal::file_system& fs, wal::lsn at = redo,
                               uint64_t id = system_id) {
  snapshot_outcome out;
  auto reader = wal::snapshot_reader::open(fs, at, id);
  if (!reader) {
    out.error = reader.err();
    return out;
  }
  BOOST_CHECK_EQUAL(reader->redo(), at);
  for (;;) {
    auto e = reader->next();
    if (!e) {
      out.error = e.err();
      return out;
    }
    if (!*e)
      break;
    BOOST_CHECK_EQUAL(reinterpret_cast<uintptr_t>((*e)->payload.data()) % 8, 0u);
    out.entries.push_back(entry{(*e)->kind, std::string{reinterpret_cast<const char*>(
                                                          (*e)->payload.data()),
                                                        (*e)->payload.size()}});
  }
  // The end stays the end.
  auto again = reader->next();
  BOOST_CHECK(again && !again->has_value());
  return out;
}

/// Writes `entries` and checks that they read back unchanged.
void round_trip(const std::vector<entry>& entries) {
  wal::memory_file_system mem;
  write_snapshot(mem, entries);
  auto got = read_snapshot(mem);
  BOOST_REQUIRE_MESSAGE(!got.error, got.error->message);
  BOOST_REQUIRE_EQUAL(got.entries.size(), entries.size());
  BOOST_CHECK(got.entries == entries);
}

/// Checks that reading fails with `code`, naming the file and (when not
/// empty) `part` of the message.
void expect_error(wal::memory_file_system& mem, wal::errc code, const std::string& part = "") {
  auto got = read_snapshot(mem);
  BOOST_REQUIRE_MESSAGE(got.error, "no error; entries: " << got.entries.size());
  BOOST_CHECK_MESSAGE(got.error->code == code, what(wal::result<void>{*got.error}));
  auto file = "\"" + mem.describe(wal::snapshot_file_name(redo)) + "\"";
  BOOST_CHECK_MESSAGE(contains(got.error->message, file), got.error->message);
  BOOST_CHECK_MESSAGE(contains(got.error->message, part), got.error->message);
}

/// The bytes of the snapshot at `redo`.
std::vector<uint8_t>& bytes(wal::memory_file_system& mem) {
  auto* c = mem.contents(wal::snapshot_file_name(redo));
  BOOST_REQUIRE(c != nullptr);
  return *c;
}

/// Recomputes the checksum of the entry at `offset` after a test changed it.
void reseal_entry(std::vector<uint8_t>& b, size_t offset) {
  auto* h = b.data() + offset;
  auto len = wal::get_u64(h);
  wal::put_u32(h + 12, wal::crc32c::mask(wal::crc32c::extend(wal::crc32c::value(h, 12),
                                                             h + 16, len)));
}

/// Recomputes the header checksum after a test changed the header.
void reseal_header(std::vector<uint8_t>& b) {
  wal::put_u32(b.data() + 36, wal::crc32c::mask(wal::crc32c::value(b.data(), 36)));
}

/// Small entries of every padding length, and an empty one.
std::vector<entry> small_entries() {
  return {{1, "abc"}, {2, ""}, {3, "12345678"}, {254, "a FlatBuffer, say"}, {7, "x"}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(snapshots)

BOOST_AUTO_TEST_CASE(file_names) {
  BOOST_CHECK_EQUAL(wal::snapshot_file_name(0x16B3748), "snapshot_00000000016B3748");
  BOOST_CHECK_EQUAL(wal::snapshot_file_name(~uint64_t{0}), "snapshot_FFFFFFFFFFFFFFFF");
  BOOST_CHECK_EQUAL(*wal::parse_snapshot_file_name("snapshot_00000001016B3748"), redo);
  BOOST_CHECK_EQUAL(*wal::parse_snapshot_file_name(wal::snapshot_file_name(~uint64_t{0})),
                    ~uint64_t{0});
  for (const char* bad : {"snapshot_00000001016b3748", "snapshot_00000001016B3748.tmp",
                          "snapshot_016B3748", "snapshot_00000001016B374G",
                          "000000010000000000000001", "hypertide_control", ""})
    BOOST_CHECK_MESSAGE(!wal::parse_snapshot_file_name(bad), bad);
}

BOOST_AUTO_TEST_CASE(the_bytes) {
  // One entry "abc" of kind 7, as wal/README.md describes it.
  wal::memory_file_system mem;
  write_snapshot(mem, {{7, "abc"}});
  const auto& b = bytes(mem);
  BOOST_REQUIRE_EQUAL(b.size(), 40u + 16 + 8 + 32);
  BOOST_CHECK_EQUAL(std::string(b.begin(), b.begin() + 4), "HTSN");
  BOOST_CHECK_EQUAL(wal::get_u16(&b[4]), 1u);
  BOOST_CHECK_EQUAL(wal::get_u16(&b[6]), 40u);
  BOOST_CHECK_EQUAL(wal::get_u64(&b[8]), system_id);
  BOOST_CHECK_EQUAL(wal::get_u64(&b[16]), redo);
  BOOST_CHECK(std::all_of(&b[24], &b[36], [](uint8_t x) { return x == 0; }));
  BOOST_CHECK_EQUAL(wal::crc32c::unmask(wal::get_u32(&b[36])), wal::crc32c::value(&b[0], 36));
  // The entry: length, kind, three zeros, checksum; "abc" and five zeros.
  BOOST_CHECK_EQUAL(wal::get_u64(&b[40]), 3u);
  BOOST_CHECK_EQUAL(b[48], 7u);
  BOOST_CHECK(b[49] == 0 && b[50] == 0 && b[51] == 0);
  auto crc = wal::crc32c::extend(wal::crc32c::value(&b[40], 12), &b[56], 3);
  BOOST_CHECK_EQUAL(wal::crc32c::unmask(wal::get_u32(&b[52])), crc);
  BOOST_CHECK_EQUAL(std::string(&b[56], &b[59]), "abc");
  BOOST_CHECK(std::all_of(&b[59], &b[64], [](uint8_t x) { return x == 0; }));
  // The end entry: 16 bytes of payload, kind 255, one entry, at offset 64.
  BOOST_CHECK_EQUAL(wal::get_u64(&b[64]), 16u);
  BOOST_CHECK_EQUAL(b[72], wal::snapshot_end_kind);
  BOOST_CHECK_EQUAL(wal::get_u64(&b[80]), 1u);
  BOOST_CHECK_EQUAL(wal::get_u64(&b[88]), 64u);
}

BOOST_AUTO_TEST_CASE(empty_snapshot) {
  round_trip({});
  wal::memory_file_system mem;
  auto w = wal::snapshot_writer::create(mem, system_id, redo);
  BOOST_REQUIRE(w);
  BOOST_CHECK_EQUAL(w->bytes_written(), wal::snapshot_header_size);
  BOOST_REQUIRE(w->finish());
  BOOST_CHECK_EQUAL(w->bytes_written(), 72u);
  BOOST_CHECK_EQUAL(w->entries(), 0u);
  BOOST_CHECK_EQUAL(bytes(mem).size(), 72u);
}

BOOST_AUTO_TEST_CASE(many_small_entries_few_writes) {
  // 20,000 entries: the writer gathers them into 1 MiB writes.
  std::vector<entry> entries;
  for (size_t i = 0; i < 20000; ++i)
    entries.push_back({static_cast<uint8_t>(1 + i % 254), big_string(std::to_string(i), i % 197)});
  round_trip(entries);
  wal::memory_file_system mem;
  wal::fault_injecting_file_system counting{mem};
  write_snapshot(counting, entries);
  auto size = bytes(mem).size();
  BOOST_CHECK_GT(size, 2 * wal::snapshot_write_size);
  BOOST_CHECK_EQUAL(counting.writes(), (size + wal::snapshot_write_size - 1)
                                         / wal::snapshot_write_size);
  BOOST_CHECK_EQUAL(counting.syncs(), 1u);
}

BOOST_AUTO_TEST_CASE(entry_larger_than_the_write_buffer) {
  std::mt19937_64 rng{7};
  std::vector<entry> entries{{1, "before"},
                             {2, random_string(rng, 3 * wal::snapshot_write_size + 5)},
                             {3, "after"},
                             {4, random_string(rng, wal::snapshot_write_size)}};
  round_trip(entries);
  // Header and gathered bytes, the payload itself, padding and the rest.
  wal::memory_file_system mem;
  wal::fault_injecting_file_system counting{mem};
  write_snapshot(counting, entries);
  BOOST_CHECK_EQUAL(counting.writes(), 5u);
}

BOOST_AUTO_TEST_CASE(random_sizes) {
  std::mt19937_64 rng{20240611};
  std::vector<entry> entries;
  for (int i = 0; i < 150; ++i) {
    // Mostly small, some around the buffer size, a few up to 2 MiB.
    auto bits = rng() % 22;
    auto size = bits == 0 ? 0 : rng() % (size_t{1} << bits);
    entries.push_back({static_cast<uint8_t>(1 + rng() % 254), random_string(rng, size)});
  }
  round_trip(entries);
}

BOOST_AUTO_TEST_CASE(final_name_only_after_finish) {
  wal::memory_file_system mem;
  auto final_name = wal::snapshot_file_name(redo);
  auto w = wal::snapshot_writer::create(mem, system_id, redo);
  BOOST_REQUIRE(w);
  std::mt19937_64 rng{1};
  for (int i = 0; i < 10; ++i)
    BOOST_REQUIRE(w->add(5, bytes_of(random_string(rng, 300000))));
  BOOST_CHECK(sorted_names(mem) == std::vector<std::string>{final_name + ".tmp"});
  BOOST_CHECK(wal::list_snapshots(mem)->empty());
  auto missing = read_snapshot(mem);
  BOOST_REQUIRE(missing.error);
  BOOST_CHECK(missing.error->code == wal::errc::not_found);
  // A power loss before finish leaves no snapshot (the .tmp's entry was
  // never made durable either).
  {
    wal::memory_file_system lost;
    auto w2 = wal::snapshot_writer::create(lost, system_id, redo);
    BOOST_REQUIRE(w2);
    BOOST_REQUIRE(w2->add(5, bytes_of(random_string(rng, 3000000))));
    lost.crash();
    BOOST_CHECK(lost.contents(final_name) == nullptr);
    BOOST_CHECK(wal::list_snapshots(lost)->empty());
  }
  BOOST_REQUIRE(w->finish());
  BOOST_CHECK(sorted_names(mem) == std::vector<std::string>{final_name});
  BOOST_CHECK(*wal::list_snapshots(mem) == std::vector<wal::lsn>{redo});
  // After finish it survives a power loss whole.
  mem.crash();
  auto got = read_snapshot(mem);
  BOOST_REQUIRE_MESSAGE(!got.error, got.error->message);
  BOOST_CHECK_EQUAL(got.entries.size(), 10u);
  // A finished writer takes nothing more.
  auto more = w->add(5, bytes_of("late"));
  BOOST_REQUIRE(!more);
  BOOST_CHECK(more.err().code == wal::errc::invalid_argument);
  BOOST_CHECK(!w->finish());
}

BOOST_AUTO_TEST_CASE(bad_arguments) {
  wal::memory_file_system mem;
  auto none = wal::snapshot_writer::create(mem, system_id, wal::invalid_lsn);
  BOOST_REQUIRE(!none);
  BOOST_CHECK(none.err().code == wal::errc::invalid_argument);
  auto w = wal::snapshot_writer::create(mem, system_id, redo);
  BOOST_REQUIRE(w);
  for (uint8_t kind : {uint8_t{0}, wal::snapshot_end_kind}) {
    auto r = w->add(kind, bytes_of("x"));
    BOOST_REQUIRE(!r);
    BOOST_CHECK(r.err().code == wal::errc::invalid_argument);
  }
  BOOST_CHECK_EQUAL(w->entries(), 0u);
  BOOST_REQUIRE(w->finish()); // refused entries leave nothing behind
  auto got = read_snapshot(mem);
  BOOST_CHECK(!got.error && got.entries.empty());
}

BOOST_AUTO_TEST_CASE(not_found) {
  wal::memory_file_system mem;
  auto got = read_snapshot(mem);
  BOOST_REQUIRE(got.error);
  BOOST_CHECK(got.error->code == wal::errc::not_found);
  BOOST_CHECK_MESSAGE(contains(got.error->message, wal::snapshot_file_name(redo)),
                      got.error->message);
}

BOOST_AUTO_TEST_CASE(header_mismatch) {
  wal::memory_file_system mem;
  write_snapshot(mem, small_entries());
  // Another node's snapshot.
  auto other = read_snapshot(mem, redo, system_id + 1);
  BOOST_REQUIRE(other.error);
  BOOST_CHECK(other.error->code == wal::errc::mismatch);
  BOOST_CHECK_MESSAGE(contains(other.error->message, "different database system"),
                      other.error->message);
  // A file renamed to another LSN's name.
  auto moved = redo + 8;
  BOOST_REQUIRE(mem.rename(wal::snapshot_file_name(redo), wal::snapshot_file_name(moved)));
  auto renamed = read_snapshot(mem, moved);
  BOOST_REQUIRE(renamed.error);
  BOOST_CHECK(renamed.error->code == wal::errc::mismatch);
  BOOST_CHECK_MESSAGE(contains(renamed.error->message, wal::format_lsn(redo)),
                      renamed.error->message);
  BOOST_REQUIRE(mem.rename(wal::snapshot_file_name(moved), wal::snapshot_file_name(redo)));
  // Another format version, another magic: mismatch even with a good
  // checksum.
  auto& b = bytes(mem);
  auto good = b;
  wal::put_u16(b.data() + 4, 2);
  reseal_header(b);
  expect_error(mem, wal::errc::mismatch, "format version 2");
  b = good;
  b[0] = 'X';
  reseal_header(b);
  expect_error(mem, wal::errc::mismatch, "not a snapshot file");
  // A header size other than 40, with a good checksum.
  b = good;
  wal::put_u16(b.data() + 6, 48);
  reseal_header(b);
  expect_error(mem, wal::errc::corruption, "offset 0");
  b = good;
  BOOST_CHECK(!read_snapshot(mem).error);
}

BOOST_AUTO_TEST_CASE(bit_flip_at_every_byte) {
  // Every bit of the file is covered by a checksum or must be zero (the
  // padding), so no flip goes unnoticed. Flips in the magic and version are
  // a mismatch (another format), all others corruption.
  wal::memory_file_system mem;
  write_snapshot(mem, small_entries());
  auto& b = bytes(mem);
  for (size_t offset = 0; offset < b.size(); ++offset)
    for (int bit = 0; bit < 8; ++bit) {
      b[offset] ^= static_cast<uint8_t>(1u << bit);
      auto got = read_snapshot(mem);
      b[offset] ^= static_cast<uint8_t>(1u << bit);
      BOOST_REQUIRE_MESSAGE(got.error, "offset " << offset << " bit " << bit);
      auto expected = offset < 6 ? wal::errc::mismatch : wal::errc::corruption;
      BOOST_CHECK_MESSAGE(got.error->code == expected,
                          "offset " << offset << ": " << got.error->message);
      // Only entries before the damaged one came back.
      auto written = small_entries();
      BOOST_REQUIRE_LE(got.entries.size(), written.size());
      BOOST_CHECK(std::equal(got.entries.begin(), got.entries.end(), written.begin()));
    }
  // The same through a file system whose media went bad: in the payload of
  // the first entry ("abc" at 56), and in its padding (59-63).
  for (auto [offset, message] : {std::pair{57, "offset 40 of"}, std::pair{60, "offset 59 of"}}) {
    wal::fault_injecting_file_system faulty{mem};
    faulty.flip_bit(wal::snapshot_file_name(redo), offset, 3);
    auto got = read_snapshot(faulty);
    BOOST_REQUIRE(got.error);
    BOOST_CHECK(got.error->code == wal::errc::corruption);
    BOOST_CHECK_MESSAGE(contains(got.error->message, message), got.error->message);
    BOOST_CHECK(got.entries.empty());
  }
}

BOOST_AUTO_TEST_CASE(truncation_at_every_length) {
  // A snapshot was synced before anything pointed at it: a short file is
  // damage, not a torn tail.
  wal::memory_file_system mem;
  write_snapshot(mem, small_entries());
  auto good = bytes(mem);
  for (size_t size = 0; size < good.size(); ++size) {
    bytes(mem).assign(good.begin(), good.begin() + static_cast<ptrdiff_t>(size));
    auto got = read_snapshot(mem);
    BOOST_REQUIRE_MESSAGE(got.error, "size " << size);
    BOOST_CHECK_MESSAGE(got.error->code == wal::errc::corruption,
                        "size " << size << ": " << got.error->message);
  }
}

BOOST_AUTO_TEST_CASE(entry_header_damage) {
  // A length beyond the file is refused before anything is read or
  // allocated for it.
  wal::memory_file_system mem;
  write_snapshot(mem, small_entries());
  auto good = bytes(mem);
  for (uint64_t len : {~uint64_t{0}, ~uint64_t{0} - 6, uint64_t{1} << 63, uint64_t{1} << 40,
                       uint64_t{good.size()}, uint64_t{good.size() - 40 - 16 + 1}}) {
    auto& b = bytes(mem);
    b = good;
    wal::put_u64(b.data() + 40, len);
    expect_error(mem, wal::errc::corruption, "offset 40 of");
    expect_error(mem, wal::errc::corruption, "runs past the end of the file");
  }
  // A shorter length with a checksum that fits it leaves a payload byte in
  // the padding.
  auto& b = bytes(mem);
  b = good;
  wal::put_u64(b.data() + 40, 2);
  reseal_entry(b, 40);
  expect_error(mem, wal::errc::corruption, "non-zero padding");
  // Kind 0 and reserved bytes, with good checksums.
  for (size_t at : {48, 49, 51}) {
    b = good;
    b[at] = at == 48 ? 0 : 1;
    reseal_entry(b, 40);
    expect_error(mem, wal::errc::corruption, "invalid entry kind 0 or non-zero reserved");
  }
}

BOOST_AUTO_TEST_CASE(end_entry_damage) {
  wal::memory_file_system mem;
  write_snapshot(mem, small_entries());
  auto good = bytes(mem);
  auto end_at = good.size() - 32;
  auto& b = bytes(mem);
  // Missing.
  b.resize(end_at);
  expect_error(mem, wal::errc::corruption, "ends without an end entry");
  expect_error(mem, wal::errc::corruption, "offset " + std::to_string(end_at));
  // A wrong count (with a good checksum): an entry went missing.
  b = good;
  wal::put_u64(b.data() + end_at + 16, small_entries().size() + 1);
  reseal_entry(b, end_at);
  expect_error(mem, wal::errc::corruption, "counts 6 entries, the file holds 5");
  // A wrong offset.
  b = good;
  wal::put_u64(b.data() + end_at + 24, end_at - 8);
  reseal_entry(b, end_at);
  expect_error(mem, wal::errc::corruption, "says it is at offset");
  // Bytes after it: zeros, or a whole valid entry.
  for (size_t extra : {8, 24}) {
    b = good;
    b.resize(good.size() + extra);
    if (extra == 24) {
      wal::put_u64(b.data() + good.size(), 1);
      b[good.size() + 8] = 1;
      reseal_entry(b, good.size());
    }
    expect_error(mem, wal::errc::corruption, std::to_string(extra) + " bytes after the end entry");
  }
  // An entry of the end kind that is no end entry.
  b = good;
  b[40 + 8] = wal::snapshot_end_kind;
  reseal_entry(b, 40);
  expect_error(mem, wal::errc::corruption, "end entry of length 3");
  b = good;
  BOOST_CHECK(!read_snapshot(mem).error);
}

BOOST_AUTO_TEST_CASE(failed_io_leaves_no_snapshot) {
  std::mt19937_64 rng{3};
  auto big = random_string(rng, 2 * wal::snapshot_write_size);
  // 1: the sync in finish; 2, 3: the direct write of a large payload and the
  // write in finish; 4: a crash in the middle of a write.
  for (int fault = 1; fault <= 4; ++fault) {
    wal::memory_file_system mem;
    wal::fault_injecting_file_system faulty{mem};
    auto w = wal::snapshot_writer::create(faulty, system_id, redo);
    BOOST_REQUIRE(w);
    BOOST_REQUIRE(w->add(1, bytes_of("small")));
    if (fault == 2)
      faulty.fail_write(2); // the gathered header is the first
    else if (fault == 4)
      faulty.crash_during_write(2, 1000);
    auto added = w->add(2, bytes_of(big));
    BOOST_REQUIRE_EQUAL(!added, fault == 2 || fault == 4);
    if (fault == 1)
      faulty.fail_sync(1);
    else if (fault == 3)
      faulty.fail_write(1);
    auto r = w->finish();
    BOOST_REQUIRE_MESSAGE(!r, "fault " << fault);
    if (fault == 1 || fault == 3) {
      BOOST_CHECK(r.err().code == wal::errc::io);
      BOOST_CHECK_MESSAGE(contains(r.err().message, fault == 1 ? "could not fdatasync"
                                                               : "No space left on device"),
                          r.err().message);
    } else {
      BOOST_CHECK(r.err().code == wal::errc::closed);
    }
    // The writer takes nothing more, even once the fault has passed.
    auto closed = [](const wal::result<void>& x) {
      return !x && x.err().code == wal::errc::closed;
    };
    BOOST_CHECK(closed(w->add(1, bytes_of("again"))));
    BOOST_CHECK(closed(w->finish()));
    BOOST_CHECK(mem.contents(wal::snapshot_file_name(redo)) == nullptr);
    BOOST_CHECK(wal::list_snapshots(mem)->empty());
    // The .tmp stays until the next checkpoint removes it.
    BOOST_CHECK_EQUAL(*wal::remove_snapshots_except(mem, redo), 1u);
    BOOST_CHECK(sorted_names(mem).empty());
  }
}

BOOST_AUTO_TEST_CASE(listing_and_removing) {
  wal::memory_file_system mem;
  for (wal::lsn at : {redo + 16, redo, wal::lsn{0x28}})
    write_snapshot(mem, {{1, "at " + std::to_string(at)}}, at);
  // An unfinished one, the control file, a segment, names that look alike.
  auto unfinished = wal::snapshot_writer::create(mem, system_id, redo + 32);
  BOOST_REQUIRE(unfinished && unfinished->add(1, bytes_of("never finished")));
  BOOST_REQUIRE(mem.create(wal::snapshot_file_name(redo) + ".tmp")); // a failed retry
  BOOST_REQUIRE(wal::init_control(mem, wal::min_segment_size));
  BOOST_REQUIRE(mem.create("000000010000000000000001"));
  BOOST_REQUIRE(mem.create("snapshot_00000001016b3748"));
  BOOST_REQUIRE(mem.create("snapshot_x.tmp"));
  BOOST_REQUIRE(mem.sync_dir());
  BOOST_CHECK(*wal::list_snapshots(mem) == (std::vector<wal::lsn>{0x28, redo, redo + 16}));
  // The checkpoint at `redo` is recorded: the rest goes, durably.
  BOOST_CHECK_EQUAL(*wal::remove_snapshots_except(mem, redo), 4u);
  mem.crash();
  BOOST_CHECK(*wal::list_snapshots(mem) == std::vector<wal::lsn>{redo});
  BOOST_CHECK(sorted_names(mem)
              == (std::vector<std::string>{"000000010000000000000001", wal::control_file_name,
                                           wal::snapshot_file_name(redo),
                                           "snapshot_00000001016b3748", "snapshot_x.tmp"}));
  BOOST_CHECK_EQUAL(read_snapshot(mem).entries.at(0).payload, "at " + std::to_string(redo));
  BOOST_CHECK_EQUAL(*wal::remove_snapshots_except(mem, redo), 0u);
  BOOST_CHECK_EQUAL(*wal::remove_snapshots_except(mem, wal::invalid_lsn), 1u);
  BOOST_CHECK(wal::list_snapshots(mem)->empty());
}

BOOST_AUTO_TEST_SUITE_END()
