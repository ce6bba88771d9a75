// float8 filters and min/max as PostgreSQL orders float8: NaN equals NaN
// and is above every other value. The chunk compares whole words of 64
// values two at a time and the rest one by one; both, and every operator,
// against a plain reference.

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "chunkstore/chunk.hpp"
#include "chunkstore/partial_result.hpp"
#include "chunkstore/time_bucket.hpp"

using namespace hypertide::chunkstore;

namespace {

const double nan_v = std::numeric_limits<double>::quiet_NaN();
const double inf_v = std::numeric_limits<double>::infinity();

/// -1, 0, 1 as PostgreSQL orders two float8 values.
int pg_order(double a, double b) {
  bool an = std::isnan(a), bn = std::isnan(b);
  if (an || bn)
    return an == bn ? 0 : an ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

bool passes(cmp_op op, double x, double c) {
  int o = pg_order(x, c);
  switch (op) {
    case cmp_op::eq: return o == 0;
    case cmp_op::ne: return o != 0;
    case cmp_op::lt: return o < 0;
    case cmp_op::le: return o <= 0;
    case cmp_op::gt: return o > 0;
    case cmp_op::ge: return o >= 0;
  }
  return false;
}

table_schema two_columns() {
  return table_schema{{{"time", column_type::timestamptz, true},
                       {"v", column_type::float8, false}}};
}

/// 300 values (a block of 256 and 44 more: whole words and a tail), NaN
/// and infinities among them at places that fall in both.
std::vector<double> values() {
  std::vector<double> v;
  const double pattern[] = {1.5, -2, 0, nan_v, 7, inf_v, -inf_v, 1.5, -0.0, 3};
  for (int i = 0; i < 300; ++i)
    v.push_back(pattern[(i * 7) % 10] + (i % 3 == 0 ? 0 : i % 5));
  v[63] = nan_v;
  v[64] = nan_v;
  v[290] = nan_v;
  return v;
}

} // namespace

BOOST_AUTO_TEST_SUITE(float8_nan)

BOOST_AUTO_TEST_CASE(comparisons_count_nan_as_postgresql_does) {
  auto schema = two_columns();
  chunk ch{schema, 0, -1};
  column_batch b{schema};
  auto vs = values();
  for (size_t i = 0; i < vs.size(); ++i) {
    b.append_int(0, static_cast<int64_t>(i));
    b.append_float(1, vs[i]);
    b.finish_row();
  }
  ch.append(b.view(), {}, 1, 0);
  int failures = 0;
  for (double c : {nan_v, 1.5, 0.0, 7.0, -inf_v, inf_v, 2.5}) {
    for (int op = 0; op < 6 && failures < 5; ++op) {
      fragment f;
      f.filter = predicate::compare(1, static_cast<cmp_op>(op), value::of_float(c));
      f.aggregates = {aggregate{agg_kind::count_star, -1, -1}};
      auto r = ch.execute(f, 1);
      int64_t want = 0;
      for (double x : vs)
        want += passes(static_cast<cmp_op>(op), x, c);
      int64_t got = r.groups() == 0 ? 0 : r.final_value(0, 0).i;
      if (got != want) {
        BOOST_ERROR("v op " << op << " " << c << ": " << got << " rows, want " << want);
        ++failures;
      }
    }
  }
  // IN with NaN in the list matches NaN values.
  fragment in;
  in.filter = predicate::in(1, {value::of_float(nan_v), value::of_float(7)});
  in.aggregates = {aggregate{agg_kind::count_star, -1, -1}};
  int64_t want = 0;
  for (double x : vs)
    want += std::isnan(x) || x == 7;
  BOOST_TEST(ch.execute(in, 1).final_value(0, 0).i == want);
}

BOOST_AUTO_TEST_CASE(max_is_nan_when_there_is_one_and_min_only_when_all_are) {
  auto schema = two_columns();
  for (bool all_nan : {false, true}) {
    chunk ch{schema, 0, -1};
    column_batch b{schema};
    for (int i = 0; i < 100; ++i) {
      b.append_int(0, i);
      b.append_float(1, all_nan || i % 40 == 5 ? nan_v : i - 50.0);
      b.finish_row();
    }
    ch.append(b.view(), {}, 1, 0);
    fragment f;
    f.aggregates = {aggregate{agg_kind::min, 1, -1}, aggregate{agg_kind::max, 1, -1}};
    // Dense (every row) and grouped by time (a group of 10 rows each).
    auto whole = ch.execute(f, 1);
    BOOST_TEST(std::isnan(whole.final_value(1, 0).f));
    if (all_nan)
      BOOST_TEST(std::isnan(whole.final_value(0, 0).f));
    else
      BOOST_TEST(whole.final_value(0, 0).f == -50.0);
    f.keys.push_back(group_key{group_key::kind::time_bucket, 0, bucket_spec{10, 0, 0, std::nullopt}});
    auto grouped = ch.execute(f, 1);
    BOOST_REQUIRE(grouped.groups() == 10u);
    for (size_t g = 0; g < grouped.groups(); ++g) {
      int64_t start = grouped.keys.at(g, 0).i;
      bool has_nan = all_nan || (start <= 5 && 5 < start + 10) || (start <= 45 && 45 < start + 10)
                     || (start <= 85 && 85 < start + 10);
      BOOST_TEST(std::isnan(grouped.final_value(1, g).f) == has_nan);
      BOOST_TEST(std::isnan(grouped.final_value(0, g).f) == all_nan);
    }
    // Partial states merged (the aggregation actor's step) keep NaN on top.
    result_merger m{f, schema};
    m.add(ch.execute(f, 1));
    m.add(ch.execute(f, 1));
    auto merged = m.finish();
    for (size_t g = 0; g < merged.groups(); ++g)
      BOOST_TEST(std::isnan(merged.final_value(0, g).f) == all_nan);
  }
}

BOOST_AUTO_TEST_SUITE_END()
