// Checkpoints and recovery of a node with a data directory, through the
// embedding API on a real actor system: a node rebuilt from a checkpoint's
// snapshot and the log after it must be the node that stopped.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "actors/fixtures.hpp"
#include "messages/codec.hpp"
#include "wal/control_file.hpp"
#include "wal/log_reader.hpp"
#include "wal/log_writer.hpp"
#include "wal/lsn.hpp"
#include "wal/posix_file_system.hpp"
#include "wal/snapshot.hpp"

using namespace hypertide;
namespace cs = hypertide::chunkstore;
namespace fs = std::filesystem;
using test::expect_ok;
using test::sqlstate_of;

namespace {

constexpr int64_t hour = cs::usecs_per_hour;

/// A fresh, empty directory, removed at the end.
struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/hypertide-recovery-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

cs::table_schema metrics_schema() {
  return cs::table_schema{{{"time", cs::column_type::timestamptz, true},
                           {"device", cs::column_type::text, false},
                           {"value", cs::column_type::float8, false},
                           {"n", cs::column_type::int4, false}}};
}

/// `count` random rows between hours `h0` and `h1`, some values NULL.
cs::column_batch random_rows(std::mt19937_64& rng, int count, int64_t h0, int64_t h1) {
  cs::column_batch b{metrics_schema()};
  std::uniform_int_distribution<int64_t> t{h0 * hour, h1 * hour - 1};
  for (int i = 0; i < count; ++i) {
    b.append_int(0, t(rng));
    if (rng() % 13 == 0)
      b.append_null(1);
    else
      b.append_text(1, "d" + std::to_string(rng() % 9));
    if (rng() % 11 == 0)
      b.append_null(2);
    else
      b.append_float(2, static_cast<double>(rng() % 10000) / 8);
    b.append_int(3, static_cast<int64_t>(rng() % 100));
    b.finish_row();
  }
  return b;
}

/// Everything a client could tell about a node: every table and chunk with
/// names, ids and OIDs, and every table's rows (sorted).
std::string describe(actors::node& n) {
  std::string out;
  caf::scoped_actor self{n.system()};
  messages::buffer info;
  self->request(n.catalog(), caf::infinite, actors::info_atom_v)
    .receive([&](const messages::buffer& b) { info = b; },
             [&](caf::error& e) { BOOST_FAIL("info: " << caf::to_string(e)); });
  auto snap = std::get<messages::catalog_snapshot>(messages::decode_catalog_snapshot(info, true));
  for (const auto& t : snap.tables) {
    out += "table " + t.name + " oid " + std::to_string(t.oid) + "\n";
    cs::fragment raw;
    raw.table = t.name;
    for (size_t c = 0; c < t.schema.columns.size(); ++c) {
      raw.projection.push_back(static_cast<int>(c));
      raw.order.push_back(cs::order_key{static_cast<int>(c), false, false});
    }
    auto rows = expect_ok(n.query(raw)).rows;
    for (size_t r = 0; r < rows.rows(); ++r) {
      for (size_t c = 0; c < rows.num_columns(); ++c) {
        auto v = rows.at(r, c);
        out += v.is_null ? std::string{"NULL"}
                         : v.type == cs::column_type::text
                             ? v.s
                             : v.type == cs::column_type::float8 ? std::to_string(v.f)
                                                                 : std::to_string(v.i);
        out += c + 1 < rows.num_columns() ? "|" : "\n";
      }
    }
  }
  for (const auto& c : snap.chunks)
    out += "chunk " + std::to_string(c.id) + " " + c.table_name + " oid " + std::to_string(c.oid)
           + " [" + std::to_string(c.range_start) + "," + std::to_string(c.range_end) + ") p"
           + std::to_string(c.partition) + "\n";
  return out;
}

actors::node::durability no_automatic_checkpoints(const fs::path& dir) {
  actors::node::durability d;
  d.data_dir = dir.string();
  d.max_wal_size_bytes = 0;
  d.checkpoint_timeout_ms = 0;
  return d;
}

/// Creates the metrics table in `n` and inserts `rows` random rows.
void seed_metrics(actors::node& n, std::mt19937_64& rng, int rows) {
  expect_ok(n.create_table({"metrics", metrics_schema(), false}));
  expect_ok(n.insert("metrics", random_rows(rng, rows, 0, 5)));
}

/// count(*) of the metrics table.
int64_t count_rows(actors::node& n) {
  cs::fragment f;
  f.table = "metrics";
  f.aggregates = {{cs::agg_kind::count_star, -1, -1}};
  return expect_ok(n.query(f)).states[0][0].count;
}

/// Files in `dir` whose names start with `prefix`.
size_t files_named(const fs::path& dir, const std::string& prefix) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    n += e.path().filename().string().rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(recovery_tests, test::real_node_fixture)

BOOST_AUTO_TEST_CASE(checkpoints_and_replay_rebuild_the_same_node) {
  // The same random changes go to an in-memory reference node and to a
  // durable node that takes checkpoints and is stopped and started again
  // at random moments; after every start the two must be the same node:
  // rows, tables, chunk names, ids and OIDs.
  temp_dir dir;
  auto d = no_automatic_checkpoints(dir.path);
  actors::node& ref = node;
  auto durable = std::make_unique<actors::node>(sys, d);
  BOOST_REQUIRE(!durable->startup_error());
  std::mt19937_64 rng{7};
  auto both = [&](auto&& op) {
    auto a = op(ref);
    auto b = op(*durable);
    BOOST_REQUIRE_EQUAL(sqlstate_of(a), sqlstate_of(b));
  };
  both([](actors::node& n) { return n.create_table({"metrics", metrics_schema(), false}); });
  both([](actors::node& n) {
    return n.create_hypertable({"metrics", "time", 2 * hour, "device", 2, false});
  });
  both([](actors::node& n) { return n.create_table({"plain", metrics_schema(), false}); });
  uint64_t last_checkpoint = 0;
  int restarts = 0, checkpoints = 0;
  for (int step = 0; step < 80; ++step) {
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2: {
        int64_t h0 = static_cast<int64_t>(rng() % 40);
        auto rows = random_rows(rng, 1 + static_cast<int>(rng() % 300), h0,
                                h0 + 1 + static_cast<int64_t>(rng() % 6));
        both([&](actors::node& n) { return n.insert("metrics", rows); });
        break;
      }
      case 3: {
        auto rows = random_rows(rng, 1 + static_cast<int>(rng() % 50), 0, 100);
        both([&](actors::node& n) { return n.insert("plain", rows); });
        break;
      }
      case 4: {
        int64_t older = static_cast<int64_t>(rng() % 20) * hour;
        both([&](actors::node& n) { return n.drop_chunks({"metrics", older, {}}); });
        break;
      }
      case 5: {
        // A table that comes and goes moves the OIDs on.
        both([](actors::node& n) { return n.create_table({"scratch", metrics_schema(), true}); });
        if (rng() % 2 == 0)
          both([](actors::node& n) { return n.drop_table({"scratch", true}); });
        break;
      }
      case 6: {
        last_checkpoint = expect_ok(durable->checkpoint());
        BOOST_CHECK_GT(last_checkpoint, 0u);
        ++checkpoints;
        break;
      }
      default: {
        durable.reset();
        durable = std::make_unique<actors::node>(sys, d);
        BOOST_REQUIRE_MESSAGE(!durable->startup_error(), durable->startup_error()->message);
        BOOST_CHECK_EQUAL(durable->recovered_checkpoint(), last_checkpoint);
        BOOST_REQUIRE_EQUAL(describe(*durable), describe(ref));
        ++restarts;
      }
    }
  }
  durable.reset();
  durable = std::make_unique<actors::node>(sys, d);
  BOOST_REQUIRE(!durable->startup_error());
  BOOST_CHECK_EQUAL(describe(*durable), describe(ref));
  BOOST_CHECK_GT(restarts, 3);
  BOOST_CHECK_GT(checkpoints, 3);
  // Only the newest snapshot is kept.
  BOOST_CHECK_EQUAL(files_named(dir.path / "snapshots", "snapshot_"), 1u);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_while_inserts_run_loses_nothing) {
  // Inserts from another thread keep coming while checkpoints copy the
  // chunks; each restart must find every acknowledged insert whole.
  temp_dir dir;
  auto d = no_automatic_checkpoints(dir.path);
  int64_t acked = 0;
  {
    actors::node n{sys, d};
    expect_ok(n.create_table({"metrics", metrics_schema(), false}));
    expect_ok(n.create_hypertable({"metrics", "time", hour, "", 0, false}));
    std::atomic<bool> stop{false};
    std::thread writer{[&] {
      std::mt19937_64 rng{3};
      while (!stop) {
        auto rows = random_rows(rng, 500, 0, 48);
        if (std::holds_alternative<actors::insert_result>(n.insert("metrics", rows)))
          acked += 500;
      }
    }};
    for (int i = 0; i < 5; ++i) {
      expect_ok(n.checkpoint());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop = true;
    writer.join();
  }
  actors::node n{sys, d};
  BOOST_REQUIRE(!n.startup_error());
  BOOST_CHECK_GT(n.recovered_checkpoint(), 0u);
  cs::fragment f;
  f.table = "metrics";
  f.aggregates = {{cs::agg_kind::count_star, -1, -1}};
  auto r = expect_ok(n.query(f));
  BOOST_CHECK_EQUAL(r.states[0][0].count, acked);
  BOOST_CHECK_GT(acked, 0);
}

BOOST_AUTO_TEST_CASE(damaged_or_missing_snapshots_refuse_to_start) {
  temp_dir dir;
  auto d = no_automatic_checkpoints(dir.path);
  {
    actors::node n{sys, d};
    expect_ok(n.create_table({"metrics", metrics_schema(), false}));
    std::mt19937_64 rng{1};
    expect_ok(n.insert("metrics", random_rows(rng, 200, 0, 10)));
    expect_ok(n.checkpoint());
  }
  fs::path snap;
  for (const auto& e : fs::directory_iterator(dir.path / "snapshots"))
    snap = e.path();
  BOOST_REQUIRE(!snap.empty());
  auto size = fs::file_size(snap);
  {
    // One flipped bit in the middle: the checksum names file and offset.
    std::fstream f{snap, std::ios::in | std::ios::out | std::ios::binary};
    f.seekg(static_cast<std::streamoff>(size / 2));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x10);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.write(&c, 1);
  }
  {
    actors::node n{sys, d};
    BOOST_REQUIRE(n.startup_error());
    BOOST_CHECK_EQUAL(n.startup_error()->sqlstate, "XX001");
    BOOST_CHECK_NE(n.startup_error()->message.find(snap.filename().string()), std::string::npos);
  }
  fs::remove(snap);
  {
    actors::node n{sys, d};
    BOOST_REQUIRE(n.startup_error());
    BOOST_CHECK_NE(n.startup_error()->message.find("snapshot"), std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(volume_and_time_start_checkpoints) {
  std::mt19937_64 rng{5};
  auto wait_for_snapshot = [](const fs::path& dir) {
    for (int i = 0; i < 500 && files_named(dir / "snapshots", "snapshot_") == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return files_named(dir / "snapshots", "snapshot_");
  };
  {
    // max_wal_size: 256 KiB, so a checkpoint once 128 KiB are logged.
    temp_dir dir;
    auto d = no_automatic_checkpoints(dir.path);
    d.max_wal_size_bytes = 256 << 10;
    actors::node n{sys, d};
    expect_ok(n.create_table({"metrics", metrics_schema(), false}));
    BOOST_CHECK_EQUAL(files_named(dir.path / "snapshots", "snapshot_"), 0u);
    for (int i = 0; i < 10; ++i)
      expect_ok(n.insert("metrics", random_rows(rng, 1000, 0, 10)));
    BOOST_CHECK_GE(wait_for_snapshot(dir.path), 1u);
  }
  {
    // checkpoint_timeout: 50 ms, and only when something was logged.
    temp_dir dir;
    auto d = no_automatic_checkpoints(dir.path);
    d.checkpoint_timeout_ms = 50;
    actors::node n{sys, d};
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    BOOST_CHECK_EQUAL(files_named(dir.path / "snapshots", "snapshot_"), 0u);
    expect_ok(n.create_table({"metrics", metrics_schema(), false}));
    BOOST_CHECK_GE(wait_for_snapshot(dir.path), 1u);
  }
  // A node in memory has nothing to checkpoint.
  BOOST_CHECK_EQUAL(expect_ok(node.checkpoint()), 0u);
}

BOOST_AUTO_TEST_CASE(a_transaction_without_its_commit_never_comes_back) {
  // A crash can leave a transaction's insert records on disk without its
  // commit record. The first start leaves them out; the log must then go
  // on without them, or the next commit record would take them in at the
  // start after that.
  temp_dir dir;
  auto d = no_automatic_checkpoints(dir.path);
  std::mt19937_64 rng{9};
  {
    actors::node n{sys, d};
    seed_metrics(n, rng, 10);
  }
  {
    // What the crash left: an insert of 7 rows, no commit.
    auto fs = wal::posix_file_system::open_dir((dir.path / "pg_wal").string());
    BOOST_REQUIRE(fs);
    auto ctl = wal::read_control(*fs);
    BOOST_REQUIRE(ctl);
    auto reader = wal::log_reader::open(*fs, *ctl);
    BOOST_REQUIRE(reader);
    for (;;) {
      auto r = reader->next();
      BOOST_REQUIRE(r);
      if (!*r)
        break;
    }
    auto w = wal::log_writer::open(*fs, *ctl, reader->end());
    BOOST_REQUIRE(w);
    auto rows = messages::encode_insert("metrics", random_rows(rng, 7, 0, 5));
    BOOST_REQUIRE(w->append(wal::record_kind::insert, {rows.data(), rows.size()}));
    BOOST_REQUIRE(w->flush());
  }
  {
    actors::node n{sys, d};
    BOOST_REQUIRE(!n.startup_error());
    BOOST_CHECK_NE(n.torn_tail().find("without its commit"), std::string::npos);
    BOOST_CHECK_EQUAL(count_rows(n), 10);
    expect_ok(n.insert("metrics", random_rows(rng, 3, 0, 5))); // a commit record
  }
  actors::node n{sys, d};
  BOOST_REQUIRE(!n.startup_error());
  BOOST_CHECK_EQUAL(count_rows(n), 13);
}

BOOST_AUTO_TEST_CASE(a_failed_checkpoint_keeps_the_last_good_one) {
  // After a restart, a checkpoint that fails must not take the snapshot
  // the control file names with it.
  temp_dir dir;
  auto d = no_automatic_checkpoints(dir.path);
  std::mt19937_64 rng{11};
  {
    actors::node n{sys, d};
    seed_metrics(n, rng, 50);
    expect_ok(n.checkpoint());
  }
  {
    actors::node n{sys, d};
    BOOST_REQUIRE(!n.startup_error());
    expect_ok(n.insert("metrics", random_rows(rng, 5, 0, 5)));
    // The next checkpoint's snapshot cannot be created: a directory holds
    // its name (redo = the log's insert position, nothing appends now).
    uint64_t lsn = 0;
    caf::scoped_actor self{sys};
    self->request(n.catalog(), caf::infinite, actors::wal_atom_v)
      .receive([&](uint64_t at, uint64_t) { lsn = at; },
               [&](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    fs::create_directories(dir.path / "snapshots" / (wal::snapshot_file_name(lsn) + ".tmp"));
    BOOST_CHECK_EQUAL(sqlstate_of(n.checkpoint()), "58030");
  }
  size_t finished = 0;
  for (const auto& e : fs::directory_iterator(dir.path / "snapshots"))
    finished += wal::parse_snapshot_file_name(e.path().filename().string()).has_value() ? 1 : 0;
  BOOST_CHECK_EQUAL(finished, 1u);
  actors::node n{sys, d};
  BOOST_REQUIRE_MESSAGE(!n.startup_error(), n.startup_error()->message);
  BOOST_CHECK_EQUAL(count_rows(n), 55);
}

BOOST_AUTO_TEST_SUITE_END()
