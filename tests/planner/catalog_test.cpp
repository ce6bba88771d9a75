// The catalog without actors: insert routing and chunk exclusion.

#include <boost/test/unit_test.hpp>

#include <set>

#include "planner/catalog.hpp"
#include "planner/chunk_exclusion.hpp"

using namespace hypertide;
namespace cs = hypertide::chunkstore;

namespace {

constexpr int64_t hour = cs::usecs_per_hour;

cs::table_schema schema() {
  return cs::table_schema{{{"time", cs::column_type::timestamptz, false},
                           {"host", cs::column_type::text, false},
                           {"v", cs::column_type::float8, false}}};
}

planner::catalog make(int partitions) {
  planner::catalog cat;
  BOOST_REQUIRE(std::holds_alternative<std::monostate>(cat.create_table({"m", schema(), false})));
  auto r = cat.create_hypertable({"m", "time", hour, partitions ? "host" : "", partitions, false});
  BOOST_REQUIRE(std::holds_alternative<planner::hypertable_created>(r));
  return cat;
}

cs::column_batch rows(const std::vector<std::pair<int64_t, std::string>>& xs) {
  cs::column_batch b{schema()};
  for (const auto& [t, h] : xs) {
    b.append_int(0, t);
    b.append_text(1, h);
    b.append_float(2, 1);
    b.finish_row();
  }
  return b;
}

cs::value ts(int64_t t) {
  return cs::value::of_int(cs::column_type::timestamptz, t);
}

} // namespace

BOOST_AUTO_TEST_CASE(routing_creates_aligned_chunks_and_splits_rows) {
  auto cat = make(0);
  auto b = rows({{10, "a"}, {hour + 5, "b"}, {20, "c"}, {-1, "d"}});
  auto r = cat.route("m", b.view());
  auto& parts = std::get<std::vector<planner::chunk_rows>>(r);
  BOOST_REQUIRE_EQUAL(parts.size(), 3u);
  std::set<int64_t> starts;
  size_t total = 0;
  for (const auto& p : parts) {
    BOOST_CHECK(p.created);
    BOOST_CHECK_EQUAL(p.range.end - p.range.start, hour);
    starts.insert(p.range.start);
    total += p.rows.size();
    for (uint32_t row : p.rows) {
      int64_t t = b.at(row, 0).i;
      BOOST_CHECK(t >= p.range.start && t < p.range.end);
    }
  }
  BOOST_CHECK_EQUAL(total, 4u);
  BOOST_CHECK(starts == (std::set<int64_t>{-hour, 0, hour}));
  // The same slices again: no new chunk.
  auto again = std::get<std::vector<planner::chunk_rows>>(cat.route("m", b.view()));
  for (const auto& p : again)
    BOOST_CHECK(!p.created);
  // All rows in one chunk: the part takes every row (no row list).
  auto one = std::get<std::vector<planner::chunk_rows>>(
    cat.route("m", rows({{1, "a"}, {2, "b"}}).view()));
  BOOST_REQUIRE_EQUAL(one.size(), 1u);
  BOOST_CHECK(one[0].rows.empty());
}

BOOST_AUTO_TEST_CASE(exclusion_by_time_and_space) {
  auto cat = make(4);
  std::vector<std::pair<int64_t, std::string>> xs;
  for (int h = 0; h < 6; ++h)
    for (int d = 0; d < 16; ++d)
      xs.emplace_back(h * hour, "host" + std::to_string(d));
  cat.route("m", rows(xs).view());
  const auto* t = cat.find("m");
  BOOST_REQUIRE(t != nullptr);
  size_t all = t->chunks.size();
  BOOST_CHECK_GT(all, 6u);

  auto kept = [&](std::optional<cs::predicate> p) { return cat.exclude(*t, p).size(); };
  BOOST_CHECK_EQUAL(kept(std::nullopt), all);
  using P = cs::predicate;
  size_t per_slice = all / 6;
  BOOST_CHECK_EQUAL(kept(P::all_of({P::compare(0, cs::cmp_op::ge, ts(2 * hour)),
                                     P::compare(0, cs::cmp_op::lt, ts(4 * hour))})),
                    2 * per_slice);
  BOOST_CHECK_EQUAL(kept(P::compare(0, cs::cmp_op::le, ts(2 * hour))), 3 * per_slice);
  BOOST_CHECK_EQUAL(kept(P::compare(0, cs::cmp_op::gt, ts(2 * hour - 1))), 4 * per_slice);
  BOOST_CHECK_EQUAL(kept(P::compare(0, cs::cmp_op::eq, ts(5 * hour + 7))), per_slice);
  // OR gives no bound: everything is kept, never too little.
  BOOST_CHECK_EQUAL(kept(P::any_of({P::compare(0, cs::cmp_op::lt, ts(hour)),
                                    P::compare(0, cs::cmp_op::ge, ts(5 * hour))})),
                    all);
  BOOST_CHECK_EQUAL(kept(P::compare(0, cs::cmp_op::eq, cs::value::null(cs::column_type::timestamptz))), 0u);
  // One host: one partition per slice.
  BOOST_CHECK_EQUAL(kept(P::in(1, {cs::value::of_text("host3")})), 6u);
  BOOST_CHECK_EQUAL(kept(P::compare(1, cs::cmp_op::eq, cs::value::of_text("host3"))), 6u);
  BOOST_CHECK_EQUAL(kept(P::all_of({P::in(1, {cs::value::of_text("host3")}),
                                    P::compare(0, cs::cmp_op::ge, ts(5 * hour))})),
                    1u);
}

BOOST_AUTO_TEST_CASE(drop_chunks_bounds) {
  auto cat = make(0);
  cat.route("m", rows({{0, "a"}, {hour, "a"}, {2 * hour, "a"}, {3 * hour, "a"}}).view());
  auto r = cat.drop_chunks({"m", 2 * hour, hour});
  auto& dropped = std::get<std::vector<planner::chunk_meta>>(r);
  BOOST_REQUIRE_EQUAL(dropped.size(), 1u);
  BOOST_CHECK_EQUAL(dropped[0].range.start, hour);
  BOOST_CHECK(std::holds_alternative<cs::pg_error>(cat.drop_chunks({"m", hour, 2 * hour})));
  auto shown = std::get<std::vector<planner::chunk_meta>>(cat.show_chunks("m", {}, {}));
  BOOST_CHECK_EQUAL(shown.size(), 3u);
}
