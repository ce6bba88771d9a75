// The actor graph of one node, end to end through the embedding API, on a
// real (threaded) actor system.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <map>
#include <thread>

#include "actors/fixtures.hpp"
#include "benchmarks/tsbs_data.hpp"

#include <caf/scoped_actor.hpp>

#include "messages/codec.hpp"

using namespace hypertide;
namespace cs = hypertide::chunkstore;
using test::expect_ok;
using test::sqlstate_of;

namespace {

constexpr int64_t hour = cs::usecs_per_hour;

cs::table_schema metrics_schema() {
  return cs::table_schema{{{"time", cs::column_type::timestamptz, false},
                           {"device", cs::column_type::text, false},
                           {"value", cs::column_type::float8, false},
                           {"n", cs::column_type::int4, false}}};
}

/// Rows (time = i * step, device = d<i % devices>, value = i, n = i % 7).
cs::column_batch metrics_rows(int64_t first, int64_t count, int64_t step, int devices) {
  cs::column_batch b{metrics_schema()};
  for (int64_t i = first; i < first + count; ++i) {
    b.append_int(0, i * step);
    b.append_text(1, "d" + std::to_string(i % devices));
    b.append_float(2, static_cast<double>(i));
    b.append_int(3, i % 7);
    b.finish_row();
  }
  return b;
}

cs::fragment count_all(const std::string& table) {
  cs::fragment f;
  f.table = table;
  f.aggregates = {{cs::agg_kind::count_star, -1, -1}};
  return f;
}

int64_t count_of(actors::node& node, const cs::fragment& f) {
  auto r = expect_ok(node.query(f));
  BOOST_REQUIRE_EQUAL(r.groups(), 1u);
  return r.states[0][0].count;
}

void make_metrics(actors::node& node, int partitions) {
  expect_ok(node.create_table({"metrics", metrics_schema(), false}));
  auto h = expect_ok(node.create_hypertable(
    {"metrics", "time", 2 * hour, partitions > 0 ? "device" : "", partitions, false}));
  BOOST_CHECK(h.created);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(node_tests, test::real_node_fixture)

BOOST_AUTO_TEST_CASE(ddl_errors_carry_postgres_sqlstates) {
  BOOST_CHECK_EQUAL(sqlstate_of(node.create_hypertable({"nope", "time", hour, "", 0, false})),
                    "42P01");
  expect_ok(node.create_table({"metrics", metrics_schema(), false}));
  BOOST_CHECK_EQUAL(sqlstate_of(node.create_table({"metrics", metrics_schema(), false})),
                    "42P07");
  expect_ok(node.create_table({"metrics", metrics_schema(), true}));
  BOOST_CHECK_EQUAL(sqlstate_of(node.create_hypertable({"metrics", "tim", hour, "", 0, false})),
                    "42703");
  BOOST_CHECK_EQUAL(sqlstate_of(node.create_hypertable({"metrics", "value", hour, "", 0, false})),
                    "22023");
  BOOST_CHECK_EQUAL(sqlstate_of(node.create_hypertable({"metrics", "time", 0, "", 0, false})),
                    "22023");
  BOOST_CHECK_EQUAL(sqlstate_of(node.create_hypertable({"metrics", "time", hour, "device", 0, false})),
                    "22023");
  auto h = expect_ok(node.create_hypertable({"metrics", "time", hour, "", 0, false}));
  BOOST_CHECK_EQUAL(h.hypertable_id, 1);
  BOOST_CHECK(h.created);
  BOOST_CHECK_EQUAL(sqlstate_of(node.create_hypertable({"metrics", "time", hour, "", 0, false})),
                    "TS110");
  auto again = expect_ok(node.create_hypertable({"metrics", "time", hour, "", 0, true}));
  BOOST_CHECK(!again.created);
  BOOST_CHECK(!again.notice.empty());
  // A table that already holds rows cannot become a hypertable.
  expect_ok(node.create_table({"plain", metrics_schema(), false}));
  expect_ok(node.insert("plain", metrics_rows(0, 10, hour, 2)));
  BOOST_CHECK_EQUAL(sqlstate_of(node.create_hypertable({"plain", "time", hour, "", 0, false})),
                    "TS102");
  BOOST_CHECK_EQUAL(count_of(node, count_all("plain")), 10);
}

BOOST_AUTO_TEST_CASE(bad_inserts_are_refused_whole) {
  make_metrics(node, 2);
  expect_ok(node.insert("metrics", metrics_rows(0, 100, hour / 10, 3)));
  // NULL in the time dimension (NOT NULL since create_hypertable).
  auto b = metrics_rows(100, 5, hour / 10, 3);
  cs::column_batch with_null{metrics_schema()};
  for (size_t r = 0; r < b.rows(); ++r) {
    for (size_t c = 0; c < 4; ++c) {
      if (c == 0 && r == 3)
        with_null.append_null(0);
      else
        with_null.append_value(c, b.at(r, c));
    }
    with_null.finish_row();
  }
  BOOST_CHECK_EQUAL(sqlstate_of(node.insert("metrics", with_null)), "23502");
  // Wrong column count and wrong type.
  cs::column_batch short_batch{std::vector<cs::column_type>{cs::column_type::timestamptz}};
  short_batch.append_int(0, 1);
  short_batch.finish_row();
  BOOST_CHECK_EQUAL(sqlstate_of(node.insert("metrics", short_batch)), "42601");
  cs::column_batch wrong{std::vector<cs::column_type>{
    cs::column_type::timestamptz, cs::column_type::int8, cs::column_type::float8,
    cs::column_type::int4}};
  wrong.append_int(0, 1);
  wrong.append_int(1, 2);
  wrong.append_float(2, 3);
  wrong.append_int(3, 4);
  wrong.finish_row();
  BOOST_CHECK_EQUAL(sqlstate_of(node.insert("metrics", wrong)), "42804");
  BOOST_CHECK_EQUAL(sqlstate_of(node.insert("missing", b)), "42P01");
  // Nothing of the refused statements is visible.
  BOOST_CHECK_EQUAL(count_of(node, count_all("metrics")), 100);
}

BOOST_AUTO_TEST_CASE(chunks_are_aligned_partitioned_and_excluded) {
  make_metrics(node, 4);
  // 10 hours of rows, 16 devices: five 2-hour slices x up to 4 partitions.
  expect_ok(node.insert("metrics", metrics_rows(0, 600, hour / 60, 16)));
  auto chunks = expect_ok(node.show_chunks("metrics"));
  BOOST_CHECK_GT(chunks.size(), 5u);
  BOOST_CHECK_LE(chunks.size(), 20u);
  std::map<int64_t, int> per_slice;
  for (const auto& c : chunks) {
    BOOST_CHECK_EQUAL(c.range_start % (2 * hour), 0);
    BOOST_CHECK_EQUAL(c.range_end - c.range_start, 2 * hour);
    BOOST_CHECK_GE(c.partition, 0);
    BOOST_CHECK_LT(c.partition, 4);
    BOOST_CHECK_EQUAL(c.schema_name, "_timescaledb_internal");
    BOOST_CHECK_EQUAL(c.table_name.rfind("_hyper_1_", 0), 0u);
    ++per_slice[c.range_start];
  }
  BOOST_CHECK_EQUAL(per_slice.size(), 5u);

  // A one-hour window touches the chunks of one time slice only.
  cs::fragment f = count_all("metrics");
  f.filter = cs::predicate::all_of(
    {cs::predicate::compare(0, cs::cmp_op::ge, cs::value::of_int(cs::column_type::timestamptz, 2 * hour)),
     cs::predicate::compare(0, cs::cmp_op::lt, cs::value::of_int(cs::column_type::timestamptz, 3 * hour))});
  auto r = expect_ok(node.query(f));
  BOOST_CHECK_EQUAL(r.states[0][0].count, 60);
  BOOST_CHECK_EQUAL(r.stats.chunks, static_cast<uint64_t>(per_slice[2 * hour]));

  // A device filter keeps one partition per slice.
  f.filter = cs::predicate::in(1, {cs::value::of_text("d3")});
  r = expect_ok(node.query(f));
  BOOST_CHECK_EQUAL(r.states[0][0].count, 600 / 16 + (600 % 16 > 3 ? 1 : 0));
  BOOST_CHECK_EQUAL(r.stats.chunks, 5u);
  // ... and touches only that device's rows.
  BOOST_CHECK_LE(r.stats.rows_scanned, 2 * static_cast<uint64_t>(r.states[0][0].count) + 256);
}

BOOST_AUTO_TEST_CASE(drop_chunks_removes_whole_old_chunks) {
  make_metrics(node, 0);
  expect_ok(node.insert("metrics", metrics_rows(0, 600, hour / 60, 4))); // 10 h
  BOOST_CHECK_EQUAL(expect_ok(node.show_chunks("metrics")).size(), 5u);
  BOOST_CHECK_EQUAL(expect_ok(node.show_chunks("metrics", 4 * hour)).size(), 2u);
  BOOST_CHECK_EQUAL(sqlstate_of(node.drop_chunks({"metrics", {}, {}})), "22023");
  // older_than 5 h drops [0,2) and [2,4), not the chunk holding 4-6 h.
  auto dropped = expect_ok(node.drop_chunks({"metrics", 5 * hour, {}}));
  BOOST_CHECK_EQUAL(dropped.size(), 2u);
  BOOST_CHECK_EQUAL(count_of(node, count_all("metrics")), 600 - 240);
  auto newer = expect_ok(node.drop_chunks({"metrics", {}, 8 * hour}));
  BOOST_CHECK_EQUAL(newer.size(), 1u);
  BOOST_CHECK_EQUAL(count_of(node, count_all("metrics")), 600 - 240 - 120);
  // Rows for a dropped range land in a new chunk.
  expect_ok(node.insert("metrics", metrics_rows(0, 10, hour / 60, 4)));
  BOOST_CHECK_EQUAL(count_of(node, count_all("metrics")), 250);
  BOOST_CHECK_EQUAL(expect_ok(node.show_chunks("metrics")).size(), 3u);
  BOOST_CHECK_EQUAL(sqlstate_of(node.drop_chunks({"nope", 1, {}})), "42P01");
}

BOOST_AUTO_TEST_CASE(one_chunk_answers_like_many) {
  // With one chunk the aggregation actor may pass the chunk's bytes on; the
  // answer must still be PostgreSQL's.
  make_metrics(node, 0);
  expect_ok(node.insert("metrics", metrics_rows(0, 5, 1, 1)));
  BOOST_REQUIRE_EQUAL(expect_ok(node.show_chunks("metrics")).size(), 1u);
  cs::fragment f = count_all("metrics");
  f.filter = cs::predicate::compare(2, cs::cmp_op::gt, cs::value::of_float(100));
  auto r = expect_ok(node.query(f));
  BOOST_REQUIRE_EQUAL(r.groups(), 1u); // count(*) over no rows is one row: 0
  BOOST_CHECK_EQUAL(r.states[0][0].count, 0);
  cs::fragment raw;
  raw.table = "metrics";
  raw.projection = {3};
  raw.order = {{0, false, false}};
  auto sorted = expect_ok(node.query(raw)); // ORDER BY n, no LIMIT
  BOOST_REQUIRE_EQUAL(sorted.rows.rows(), 5u);
  for (size_t i = 1; i < 5; ++i)
    BOOST_CHECK_LE(sorted.rows.at(i - 1, 0).i, sorted.rows.at(i, 0).i);
  raw.order.clear();
  raw.limit = int64_t{1} << 32; // more than 32 bits
  BOOST_CHECK_EQUAL(expect_ok(node.query(raw)).rows.rows(), 5u);
  raw.limit = (int64_t{1} << 32) + 2;
  BOOST_CHECK_EQUAL(expect_ok(node.query(raw)).rows.rows(), 5u);
  // A double precision space column would put every row in one slice.
  expect_ok(node.create_table({"f", metrics_schema(), false}));
  BOOST_CHECK_EQUAL(sqlstate_of(node.create_hypertable({"f", "time", hour, "value", 2, false})),
                    "0A000");
}

BOOST_AUTO_TEST_CASE(drop_table_forgets_the_table) {
  make_metrics(node, 0);
  expect_ok(node.insert("metrics", metrics_rows(0, 50, hour / 60, 4)));
  expect_ok(node.drop_table({"metrics", false}));
  BOOST_CHECK_EQUAL(sqlstate_of(node.query(count_all("metrics"))), "42P01");
  BOOST_CHECK_EQUAL(sqlstate_of(node.drop_table({"metrics", false})), "42P01");
  expect_ok(node.drop_table({"metrics", true}));
  make_metrics(node, 0);
  BOOST_CHECK_EQUAL(count_of(node, count_all("metrics")), 0);
}

BOOST_AUTO_TEST_CASE(tsbs_aggregates_match_a_reference) {
  benchmarks::tsbs_options opts;
  opts.hosts = 40;
  opts.end = opts.start + 3 * hour;
  expect_ok(node.create_table({"cpu", benchmarks::tsbs_cpu_generator::schema(), false}));
  expect_ok(node.create_hypertable({"cpu", "time", hour, "hostname", 3, false}));
  // Reference: avg(usage_user), max(usage_system) per (hour, host).
  std::map<std::pair<int64_t, std::string>, std::tuple<double, int64_t, double>> ref;
  benchmarks::tsbs_cpu_generator gen{opts};
  cs::column_batch batch;
  while (gen.next(batch, 1000) > 0) {
    for (size_t r = 0; r < batch.rows(); ++r) {
      int64_t t = batch.at(r, 0).i;
      auto& [sum, n, mx] = ref[{t - t % hour, batch.at(r, 1).s}];
      sum += batch.at(r, 2).f;
      ++n;
      mx = n == 1 ? batch.at(r, 3).f : std::max(mx, batch.at(r, 3).f);
    }
    expect_ok(node.insert("cpu", batch));
  }
  cs::fragment f;
  f.table = "cpu";
  cs::group_key hk;
  hk.k = cs::group_key::kind::time_bucket;
  hk.column = 0;
  hk.bucket.width = hour;
  f.keys = {hk, cs::group_key{cs::group_key::kind::column, 1, {}}};
  f.aggregates = {{cs::agg_kind::avg, 2, -1}, {cs::agg_kind::max, 3, -1}};
  auto r = expect_ok(node.query(f));
  BOOST_REQUIRE_EQUAL(r.groups(), ref.size());
  for (size_t g = 0; g < r.groups(); ++g) {
    auto key = std::make_pair(r.keys.at(g, 0).i, r.keys.at(g, 1).s);
    BOOST_REQUIRE(ref.count(key) == 1);
    auto [sum, n, mx] = ref[key];
    auto avg = cs::finalize(r.kinds[0], r.input_types[0], r.states[0][g], nullptr);
    auto max = cs::finalize(r.kinds[1], r.input_types[1], r.states[1][g], nullptr);
    BOOST_CHECK_CLOSE(avg.f, sum / static_cast<double>(n), 1e-9);
    BOOST_CHECK_EQUAL(max.f, mx);
  }
}

BOOST_AUTO_TEST_CASE(concurrent_statements_are_atomic) {
  // Every batch spans the 4 space partitions; readers running beside
  // the writers must see whole batches only.
  make_metrics(node, 4);
  constexpr int batches = 40;
  constexpr int rows_per_batch = 300;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, reads{0};
  std::thread writer([&] {
    for (int i = 0; i < batches; ++i)
      expect_ok(node.insert("metrics",
                            metrics_rows(int64_t{i} * rows_per_batch, rows_per_batch,
                                         6 * hour / rows_per_batch / batches, 16)));
    done = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t)
    readers.emplace_back([&] {
      while (!done) {
        auto r = node.query(count_all("metrics"));
        auto* p = std::get_if<cs::partial_result>(&r);
        if (p == nullptr || p->states[0][0].count % rows_per_batch != 0)
          ++bad;
        ++reads;
      }
    });
  writer.join();
  for (auto& r : readers)
    r.join();
  BOOST_CHECK_EQUAL(bad.load(), 0);
  BOOST_CHECK_GT(reads.load(), 0);
  BOOST_CHECK_EQUAL(count_of(node, count_all("metrics")), batches * rows_per_batch);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(node_commit_tests, test::real_node_fixture)

BOOST_AUTO_TEST_CASE(a_refused_transaction_leaves_no_chunk_behind) {
  // A transaction's batches are routed at COMMIT; when a later one is
  // refused, the chunks an earlier one created must go too (a chunk in the
  // catalog without its actor broke every query of the table).
  make_metrics(node, 0);
  cs::table_schema strict{{{"time", cs::column_type::timestamptz, true},
                           {"v", cs::column_type::float8, true}}};
  expect_ok(node.create_table({"strict", strict, false}));
  cs::column_batch bad{strict};
  bad.append_int(0, 0);
  bad.append_null(1);
  bad.finish_row();
  std::vector<messages::buffer> writes{messages::encode_insert("metrics", metrics_rows(0, 5, 1, 1)),
                                       messages::encode_insert("strict", bad)};
  caf::scoped_actor self{sys};
  std::string state;
  self->request(node.catalog(), caf::infinite, actors::commit_atom_v, writes,
                uint8_t{actors::commit_default})
    .receive([&](uint64_t, uint64_t) { state = "committed"; },
             [&](caf::error& e) { state = actors::to_pg_error(e).sqlstate; });
  BOOST_CHECK_EQUAL(state, "23502");
  BOOST_CHECK_EQUAL(expect_ok(node.show_chunks("metrics")).size(), 0u);
  BOOST_CHECK_EQUAL(count_of(node, count_all("metrics")), 0);
  expect_ok(node.insert("metrics", metrics_rows(0, 5, 1, 1)));
  BOOST_CHECK_EQUAL(count_of(node, count_all("metrics")), 5);
}

BOOST_AUTO_TEST_SUITE_END()
