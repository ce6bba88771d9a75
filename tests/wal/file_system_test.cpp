// The file systems and the control file.

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>

#include "log_fixture.hpp"
#include "wal/posix_file_system.hpp"
#include "wal/snapshot.hpp"

using namespace wal_test;

namespace {

/// A fresh directory under the temporary directory, removed at the end.
struct temp_dir {
  std::string path;

  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "wal_test.XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(file_systems)

BOOST_AUTO_TEST_CASE(posix_log_round_trip) {
  temp_dir dir;
  auto fs = wal::posix_file_system::open_dir(dir.path + "/data/wal");
  BOOST_REQUIRE_MESSAGE(fs, what(fs));
  auto ctl = wal::init_control(*fs, wal::min_segment_size);
  BOOST_REQUIRE_MESSAGE(ctl, what(ctl));
  auto w = wal::log_writer::open(*fs, *ctl, wal::first_record_lsn(1, ctl->segment_size));
  BOOST_REQUIRE_MESSAGE(w, what(w));
  std::vector<std::string> payloads;
  for (int i = 0; i < 30; ++i) {
    payloads.push_back(big_string(std::to_string(i), 5000));
    BOOST_REQUIRE(w->append(wal::record_kind::insert, bytes_of(payloads.back())));
    if (i % 10 == 9)
      BOOST_REQUIRE_MESSAGE(w->flush(), "flush");
  }
  auto end = w->flush_lsn();
  auto reader = wal::log_reader::open(*fs, *ctl);
  BOOST_REQUIRE(reader);
  for (const auto& p : payloads) {
    auto rec = reader->next();
    BOOST_REQUIRE_MESSAGE(rec, what(rec));
    BOOST_REQUIRE(rec->has_value());
    BOOST_CHECK((*rec)->payload.size() == p.size()
                && std::equal(p.begin(), p.end(), (*rec)->payload.begin()));
  }
  auto last = reader->next();
  BOOST_REQUIRE(last && !last->has_value());
  BOOST_CHECK_EQUAL(reader->end(), end);
  auto names = sorted_names(*fs);
  BOOST_REQUIRE_EQUAL(names.size(), 4u); // three segments and the control file
  BOOST_CHECK_EQUAL(names[0], "000000010000000000000001");
  BOOST_CHECK_EQUAL(names[2], "000000010000000000000003");
  BOOST_CHECK_EQUAL(names[3], wal::control_file_name);
  auto size = std::filesystem::file_size(dir.path + "/data/wal/" + names[0]);
  BOOST_CHECK_GT(size, wal::segment_header_size);
  BOOST_CHECK_LE(size, ctl->segment_size);
  BOOST_CHECK_EQUAL(*wal::remove_segments_before(*fs, *ctl, end), 2u);
  BOOST_CHECK_EQUAL(sorted_names(*fs).size(), 2u);
  auto missing = fs->open("nothing");
  BOOST_REQUIRE(!missing);
  BOOST_CHECK(missing.err().code == wal::errc::not_found);
  BOOST_CHECK_MESSAGE(missing.err().message.find(dir.path + "/data/wal/nothing")
                        != std::string::npos,
                      missing.err().message);
}

BOOST_AUTO_TEST_CASE(posix_file_basics) {
  temp_dir dir;
  auto fs = wal::posix_file_system::open_dir(dir.path);
  BOOST_REQUIRE(fs);
  auto f = fs->create("a");
  BOOST_REQUIRE(f);
  std::string hello = "hello, world";
  BOOST_REQUIRE((*f)->write_at(100, bytes_of(hello)));
  BOOST_CHECK_EQUAL(*(*f)->size(), 100 + hello.size());
  std::vector<uint8_t> buf(200);
  BOOST_CHECK_EQUAL(*(*f)->read_at(100, buf), hello.size()); // short at the end
  BOOST_CHECK(std::equal(hello.begin(), hello.end(), buf.begin()));
  BOOST_CHECK_EQUAL(*(*f)->read_at(500, buf), 0u);
  BOOST_REQUIRE((*f)->sync());
  BOOST_REQUIRE((*f)->truncate(5));
  BOOST_CHECK_EQUAL(*(*f)->size(), 5u);
  BOOST_REQUIRE(fs->rename("a", "b"));
  BOOST_REQUIRE(fs->sync_dir());
  BOOST_CHECK(sorted_names(*fs) == std::vector<std::string>{"b"});
  BOOST_REQUIRE(fs->remove("b"));
  BOOST_CHECK(sorted_names(*fs).empty());
  BOOST_CHECK(!fs->remove("b"));
}

BOOST_AUTO_TEST_CASE(posix_snapshot_round_trip) {
  // Real rename and directory sync; a payload larger than the write buffer.
  temp_dir dir;
  auto fs = wal::posix_file_system::open_dir(dir.path);
  BOOST_REQUIRE(fs);
  std::mt19937_64 rng{11};
  std::vector<std::string> payloads{"small", random_string(rng, 3 * wal::snapshot_write_size),
                                    ""};
  wal::lsn redo = 0x2A0000028;
  auto w = wal::snapshot_writer::create(*fs, 42, redo);
  BOOST_REQUIRE_MESSAGE(w, what(w));
  for (const auto& p : payloads)
    BOOST_REQUIRE(w->add(9, bytes_of(p)));
  BOOST_CHECK(sorted_names(*fs) == std::vector<std::string>{"snapshot_00000002A0000028.tmp"});
  auto finished = w->finish();
  BOOST_REQUIRE_MESSAGE(finished, what(finished));
  BOOST_CHECK(sorted_names(*fs) == std::vector<std::string>{"snapshot_00000002A0000028"});
  BOOST_CHECK_EQUAL(std::filesystem::file_size(dir.path + "/snapshot_00000002A0000028"),
                    w->bytes_written());
  auto r = wal::snapshot_reader::open(*fs, redo, 42);
  BOOST_REQUIRE_MESSAGE(r, what(r));
  for (const auto& p : payloads) {
    auto e = r->next();
    BOOST_REQUIRE_MESSAGE(e, what(e));
    BOOST_REQUIRE(e->has_value());
    BOOST_CHECK_EQUAL((*e)->kind, 9u);
    BOOST_CHECK(std::ranges::equal((*e)->payload, bytes_of(p)));
  }
  auto end = r->next();
  BOOST_REQUIRE_MESSAGE(end, what(end));
  BOOST_CHECK(!end->has_value());
}

BOOST_AUTO_TEST_CASE(memory_crash_semantics) {
  wal::memory_file_system mem;
  auto a = mem.create("a");
  BOOST_REQUIRE(a);
  BOOST_REQUIRE((*a)->write_at(0, bytes_of("synced")));
  BOOST_REQUIRE((*a)->sync());
  BOOST_REQUIRE(mem.sync_dir());
  BOOST_REQUIRE((*a)->write_at(6, bytes_of(" and not")));
  auto b = mem.create("b"); // its directory entry is never synced
  BOOST_REQUIRE(b);
  BOOST_REQUIRE((*b)->write_at(0, bytes_of("lost")));
  BOOST_REQUIRE((*b)->sync());
  BOOST_REQUIRE(mem.contents("a")->size() == 14);
  mem.crash();
  BOOST_CHECK(mem.contents("b") == nullptr);
  BOOST_CHECK_EQUAL(mem.contents("a")->size(), 6u);
  // A removal not made durable comes back.
  BOOST_REQUIRE(mem.remove("a"));
  BOOST_CHECK(mem.contents("a") == nullptr);
  mem.crash();
  BOOST_REQUIRE(mem.contents("a") != nullptr);
  BOOST_REQUIRE(mem.remove("a"));
  BOOST_REQUIRE(mem.sync_dir());
  mem.crash();
  BOOST_CHECK(mem.contents("a") == nullptr);
}

BOOST_AUTO_TEST_CASE(control_file) {
  wal::memory_file_system mem;
  auto missing = wal::read_control(mem);
  BOOST_REQUIRE(!missing);
  BOOST_CHECK(missing.err().code == wal::errc::not_found);
  BOOST_CHECK(!wal::init_control(mem, 3 * wal::min_segment_size));
  auto c = wal::init_control(mem, wal::default_segment_size);
  BOOST_REQUIRE(c);
  BOOST_CHECK_NE(c->system_identifier, 0u);
  BOOST_CHECK_EQUAL(c->checkpoint, wal::invalid_lsn);
  mem.crash(); // init is durable
  auto back = wal::read_control(mem);
  BOOST_REQUIRE(back);
  BOOST_CHECK(*back == *c);
  auto twice = wal::init_control(mem, wal::default_segment_size);
  BOOST_REQUIRE(!twice);
  BOOST_CHECK(twice.err().code == wal::errc::invalid_argument);
  // A checkpoint moves the start of replay; the file is replaced whole.
  c->checkpoint = 0x12345678;
  BOOST_REQUIRE(wal::write_control(mem, *c));
  mem.crash();
  BOOST_CHECK(*wal::read_control(mem) == *c);
  BOOST_CHECK(sorted_names(mem) == std::vector<std::string>{wal::control_file_name});
  // A leftover temporary file is no segment and no control file.
  BOOST_REQUIRE(mem.create("hypertide_control.tmp"));
  BOOST_CHECK(wal::list_segments(mem, c->segment_size)->empty());
  // Damage.
  (*mem.contents(wal::control_file_name))[9] ^= 4;
  auto bad = wal::read_control(mem);
  BOOST_REQUIRE(!bad);
  BOOST_CHECK(bad.err().code == wal::errc::corruption);
  BOOST_CHECK(bad.err().message.find("incorrect checksum in control file") != std::string::npos);
  mem.contents(wal::control_file_name)->resize(10);
  BOOST_CHECK(!wal::read_control(mem));
  // Two logs, two identifiers.
  wal::memory_file_system other;
  BOOST_CHECK_NE(wal::init_control(other, wal::default_segment_size)->system_identifier,
                 c->system_identifier);
}

BOOST_AUTO_TEST_SUITE_END()
