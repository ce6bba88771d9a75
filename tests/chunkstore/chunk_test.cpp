// The scan and aggregate kernels of a chunk, checked against a naive
// reference: a plain vector of rows, each with the LSN of its commit,
// filtered with SQL's three-valued logic and grouped with std::map.
//
// Data is random but seeded: out-of-order and in-order batches over three
// weekly time ranges (one of them straddles 1970), NULLs in every nullable
// column (a NULL hostname is a series of its own), batches appended through
// random row selections with increasing LSNs, and queries at snapshots
// between commits, never below the horizon passed to append().

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chunk_dataset.hpp"
#include "chunk_reference.hpp"

using namespace hypertide::chunkstore;
using namespace chunk_testing;

namespace {

// -- running and checking -----------------------------------------------------

/// Runs `f` on one chunk and, separately, on the part chunks folded together
/// by a result_merger (as the aggregation actor does).
/// `pieced`: the one chunk's raw rows let out in pieces of a block or two
/// (as the chunk actor sends them), joined again.
struct outcome {
  partial_result whole;
  partial_result merged;
  partial_result pieced;
  size_t pieces = 0;
};

outcome run(const dataset& ds, const fragment& f, lsn snap) {
  outcome o;
  result_merger one{f, schema};
  one.add(ds.whole.execute(f, snap));
  o.whole = one.finish();
  result_merger many{f, schema};
  for (const auto& p : ds.parts)
    many.add(p->execute(f, snap));
  o.merged = many.finish();
  std::optional<column_batch> joined;
  auto rest = ds.whole.execute(
    f, snap,
    [&](const column_batch& rows) {
      ++o.pieces;
      BOOST_CHECK(rows.rows() > 0);
      if (joined)
        joined->append_batch(rows);
      else
        joined = rows;
    },
    1);
  if (joined) {
    joined->append_batch(rest.rows);
    rest.rows = std::move(*joined);
  }
  result_merger pieced{f, schema};
  pieced.add(std::move(rest));
  o.pieced = pieced.finish();
  return o;
}

std::vector<std::vector<value>> rows_of(const column_batch& b) {
  std::vector<std::vector<value>> out;
  for (size_t r = 0; r < b.rows(); ++r) {
    std::vector<value> row;
    for (size_t c = 0; c < b.num_columns(); ++c)
      row.push_back(b.at(r, c));
    out.push_back(std::move(row));
  }
  return out;
}

/// ORDER BY as top_n defines it: NULLs last unless nulls_first, DESC flips
/// only the order of values.
bool order_less(const std::vector<order_key>& order, const std::vector<value>& a,
                const std::vector<value>& b) {
  for (const auto& o : order) {
    const value& x = a[static_cast<size_t>(o.index)];
    const value& y = b[static_cast<size_t>(o.index)];
    if (x.is_null || y.is_null) {
      if (x.is_null && y.is_null)
        continue;
      return x.is_null == o.nulls_first;
    }
    int c = cmp_total(x, y);
    if (c != 0)
      return o.descending ? c > 0 : c < 0;
  }
  return false;
}

std::vector<value> sort_key(const std::vector<order_key>& order, const std::vector<value>& row) {
  std::vector<value> k;
  for (const auto& o : order)
    k.push_back(row[static_cast<size_t>(o.index)]);
  return k;
}

/// The first difference between a raw scan result and the reference, or "".
std::string diff_raw(const fragment& f, const std::vector<ref_row>& rows, lsn snap,
                     const partial_result& r) {
  std::vector<std::vector<value>> want;
  for (const row_values* row : matching(rows, f, snap)) {
    std::vector<value> out;
    for (int c : f.projection)
      out.push_back((*row)[static_cast<size_t>(c)]);
    want.push_back(std::move(out));
  }
  auto got = rows_of(r.rows);
  if (r.rows.num_columns() != f.projection.size())
    return "wrong column count";
  size_t expect = f.limit < 0 ? want.size()
                              : std::min(want.size(), static_cast<size_t>(f.limit));
  if (got.size() != expect)
    return "rows: want " + std::to_string(expect) + " of " + std::to_string(want.size())
           + ", got " + std::to_string(got.size());
  if (!f.order.empty()) {
    // Ties may break either way: compare the sequence of sort keys, then
    // check below that every row is a real one.
    std::stable_sort(want.begin(), want.end(), [&](const auto& a, const auto& b) {
      return order_less(f.order, a, b);
    });
    for (size_t i = 0; i < got.size(); ++i) {
      auto wk = sort_key(f.order, want[i]);
      auto gk = sort_key(f.order, got[i]);
      if (wk != gk)
        return "row " + std::to_string(i) + " sort key: want " + show(wk) + ", got " + show(gk);
    }
  }
  // Every returned row is a distinct matching row (multiset inclusion); with
  // neither order nor limit the multisets are equal.
  std::sort(want.begin(), want.end(), values_less{});
  std::sort(got.begin(), got.end(), values_less{});
  if (!std::includes(want.begin(), want.end(), got.begin(), got.end(), values_less{}))
    return "a returned row is not a matching row (or came twice)";
  return {};
}

/// Row counts, series and time range of a chunk against the reference.
void check_chunk_metadata(const dataset& ds, const chunk& ch, int part, lsn snap) {
  size_t want = ds.visible_rows(snap, part);
  BOOST_TEST(ch.rows(snap) == want);
  size_t total = 0;
  timestamp tmin = max_timestamp, tmax = min_timestamp;
  std::set<std::string> series;
  bool null_series = false;
  for (const auto& r : ds.rows) {
    if (part >= 0 && r.part != part)
      continue;
    ++total;
    tmin = std::min(tmin, r.v[c_time].i);
    tmax = std::max(tmax, r.v[c_time].i);
    if (r.v[c_host].is_null)
      null_series = true;
    else
      series.insert(r.v[c_host].s);
  }
  BOOST_TEST(ch.total_rows() == total);
  BOOST_TEST(ch.num_series() == series.size() + (null_series ? 1 : 0));
  if (total > 0) {
    BOOST_TEST(ch.min_time() == tmin);
    BOOST_TEST(ch.max_time() == tmax);
  }
}

/// Runs `n` random aggregate queries at snapshots >= `min_snap`; returns the
/// number that failed (each failure is reported once).
int check_aggregates(dataset& ds, int n, lsn min_snap) {
  int failures = 0;
  for (int q = 0; q < n && failures < 5; ++q) {
    fragment f = ds.random_aggregate_fragment();
    auto err = validate(f, schema);
    BOOST_TEST_REQUIRE(!err.has_value(), describe(f));
    lsn snap = ds.snapshot(min_snap);
    group_rows want = reference_aggregate(ds.rows, f, snap);
    outcome o = run(ds, f, snap);
    for (const auto* r : {&o.whole, &o.merged}) {
      std::string d = diff(f, want, finalized(*r));
      if (!d.empty()) {
        BOOST_ERROR((r == &o.whole ? "one chunk" : "merged chunks") << ", " << describe(f)
                    << " @ snapshot " << snap << ": " << d);
        ++failures;
        break;
      }
    }
    BOOST_TEST(o.whole.stats.rows_scanned <= ds.visible_rows(snap));
    BOOST_TEST(o.merged.stats.chunks == ds.parts.size());
  }
  return failures;
}

int check_raw_scans(dataset& ds, int n, lsn min_snap, size_t* pieces = nullptr) {
  int failures = 0;
  for (int q = 0; q < n && failures < 5; ++q) {
    fragment f = ds.random_raw_fragment();
    auto err = validate(f, schema);
    BOOST_TEST_REQUIRE(!err.has_value(), describe(f));
    lsn snap = ds.snapshot(min_snap);
    outcome o = run(ds, f, snap);
    // Only raw rows in any order and all of them may come in pieces.
    if (o.pieces > 0 && (!f.order.empty() || f.limit >= 0)) {
      BOOST_ERROR("pieces of an ordered or limited scan: " << describe(f));
      ++failures;
    }
    if (pieces != nullptr)
      *pieces += o.pieces;
    BOOST_CHECK_EQUAL(o.pieced.stats.rows_scanned, o.whole.stats.rows_scanned);
    BOOST_CHECK_EQUAL(o.pieced.stats.rows_matched, o.whole.stats.rows_matched);
    for (const auto* r : {&o.whole, &o.merged, &o.pieced}) {
      std::string d = diff_raw(f, ds.rows, snap, *r);
      if (!d.empty()) {
        BOOST_ERROR((r == &o.whole ? "one chunk" : r == &o.merged ? "merged chunks" : "pieces")
                    << ", " << describe(f) << " @ snapshot " << snap << ": " << d);
        ++failures;
        break;
      }
    }
  }
  return failures;
}

/// Appends `batches` random batches, moving the horizon up behind the
/// commits, and runs `check` every few appends with snapshots no older than
/// the horizon.
template <class Check>
void interleave(dataset& ds, int batches, Check check) {
  lsn horizon = 0;
  for (int i = 0; i < batches; ++i) {
    // The first batches carry no NULLs in the value columns, so early blocks
    // have no validity bitmap and take the dense kernels.
    double null_rate = i < batches * 2 / 5 ? 0.0 : 0.1;
    // Readers lag up to three commits behind; the horizon never moves back.
    if (i > 3 && ds.commits.size() > 3) {
      auto lag = static_cast<size_t>(uniform(ds.rng, 1, 3));
      horizon = std::max(horizon, ds.commits[ds.commits.size() - lag]);
    }
    ds.append_batch(null_rate, horizon);
    if (i % 4 == 3 || i == batches - 1) {
      lsn snap = ds.snapshot(horizon);
      check_chunk_metadata(ds, ds.whole, -1, snap);
      for (size_t p = 0; p < ds.parts.size(); ++p)
        check_chunk_metadata(ds, *ds.parts[p], static_cast<int>(p), snap);
      check(horizon);
    }
  }
}

/// GROUP BY time_bucket over in-order data with `late_rate` late points.
void check_bucket_runs(double late_rate) {
  dataset ds{91};
  ds.in_order_rate = 1.0;
  ds.late_rate = late_rate;
  for (int i = 0; i < 24; ++i)
    ds.append_batch(i < 12 ? 0.0 : 0.1, 0, 400);
  auto fixed = [](int64_t width, int64_t offset = 0,
                  std::optional<timestamp> origin = std::nullopt) {
    bucket_spec b;
    b.width = width;
    b.offset = offset;
    b.origin = origin;
    return b;
  };
  bucket_spec month;
  month.months = 1;
  const std::vector<bucket_spec> specs = {
    fixed(usecs_per_minute),
    fixed(5 * usecs_per_minute),
    fixed(5 * usecs_per_minute, -2 * usecs_per_minute),
    fixed(usecs_per_hour),
    fixed(usecs_per_hour, 30 * usecs_per_minute),
    fixed(6 * usecs_per_hour),
    fixed(usecs_per_day, 0, range_start[1] + 7 * usecs_per_hour),
    fixed(7 * usecs_per_day),
    month,
  };
  const std::vector<aggregate> aggs = {
    {agg_kind::count_star, -1, -1}, {agg_kind::count, c_user, -1},
    {agg_kind::sum, c_user, -1},    {agg_kind::sum, c_big, -1},
    {agg_kind::sum, c_cnt, -1},     {agg_kind::avg, c_system, -1},
    {agg_kind::min, c_user, -1},    {agg_kind::max, c_big, -1},
    {agg_kind::min, c_cnt, -1},     {agg_kind::max, c_region, -1},
    {agg_kind::first, c_user, c_time}, {agg_kind::last, c_cnt, c_time},
    {agg_kind::min, c_flag, -1},    {agg_kind::max, c_time, -1},
  };
  std::vector<std::optional<predicate>> filters = {
    std::nullopt,
    predicate::compare(c_time, cmp_op::ge, value::of_int(column_type::timestamptz, range_start[1])),
    predicate::compare(c_host, cmp_op::ne, value::of_text("host_3")),
  };
  int failures = 0;
  for (lsn snap : {ds.commits[11], ds.commits.back()}) {
    for (const auto& spec : specs) {
      group_key bucket{group_key::kind::time_bucket, c_time, spec};
      group_key host{group_key::kind::column, c_host, {}};
      for (const auto& keys : {std::vector<group_key>{bucket},
                               std::vector<group_key>{host, bucket},
                               std::vector<group_key>{bucket, host}}) {
        for (const auto& filter : filters) {
          fragment f;
          f.keys = keys;
          f.aggregates = aggs;
          f.filter = filter;
          auto o = run(ds, f, snap);
          auto want = reference_aggregate(ds.rows, f, snap);
          for (const auto* r : {&o.whole, &o.merged}) {
            std::string d = diff(f, want, finalized(*r));
            if (!d.empty() && failures++ < 5)
              BOOST_ERROR(describe(f) << " @ " << snap << ": " << d);
          }
        }
      }
    }
  }
  BOOST_TEST(failures == 0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(chunk_test)

BOOST_AUTO_TEST_CASE(time_ranges_are_chunk_slices) {
  // The test data's ranges are what a hypertable with 7-day chunks holds.
  for (timestamp s : range_start) {
    BOOST_TEST(time_slice(week, s).start == s);
    BOOST_TEST(time_slice(week, s + week - 1).end == s + week);
  }
}

BOOST_AUTO_TEST_CASE(random_aggregates_match_reference) {
  // Seed 3 ingests in time order only: sorted blocks take other kernels.
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      dataset ds{seed};
      ds.in_order_rate = seed == 3 ? 1.0 : 0.5;
      int failures = 0;
      interleave(ds, 28, [&](lsn horizon) { failures += check_aggregates(ds, 60, horizon); });
      BOOST_TEST(failures == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(random_raw_scans_match_reference) {
  size_t pieces = 0;
  for (uint64_t seed : {11u, 12u, 13u}) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      dataset ds{seed};
      ds.in_order_rate = seed == 13 ? 1.0 : 0.5;
      int failures = 0;
      interleave(ds, 28,
                 [&](lsn horizon) { failures += check_raw_scans(ds, 40, horizon, &pieces); });
      BOOST_TEST(failures == 0);
    }
  }
  // The scans above did let rows out in pieces.
  BOOST_TEST(pieces > 50u);
}

BOOST_AUTO_TEST_CASE(later_commits_are_invisible) {
  // A statement is atomic: at every snapshot a reader sees whole commits.
  dataset ds{21};
  for (int i = 0; i < 12; ++i)
    ds.append_batch(0.1, 0, 300);
  fragment f;
  f.keys.push_back(group_key{group_key::kind::column, c_host, {}});
  f.aggregates = {aggregate{agg_kind::count_star, -1, -1},
                  aggregate{agg_kind::max, c_time, -1},
                  aggregate{agg_kind::last, c_user, c_time}};
  for (lsn snap = 0; snap <= ds.next_lsn; snap += 50) {
    BOOST_TEST_CONTEXT("snapshot " << snap) {
      auto o = run(ds, f, snap);
      BOOST_TEST(diff(f, reference_aggregate(ds.rows, f, snap), finalized(o.whole)) == "");
      BOOST_TEST(diff(f, reference_aggregate(ds.rows, f, snap), finalized(o.merged)) == "");
      BOOST_TEST(ds.whole.rows(snap) == ds.visible_rows(snap));
    }
  }
}

BOOST_AUTO_TEST_CASE(series_filter_touches_only_its_series) {
  dataset ds{31};
  for (int i = 0; i < 30; ++i)
    ds.append_batch(0.1, 0);
  const lsn snap = ds.commits.back();
  std::map<std::string, size_t> per_series;
  size_t null_series_rows = 0;
  for (const auto& r : ds.rows) {
    if (!r.v[c_host].is_null)
      ++per_series[r.v[c_host].s];
    else
      ++null_series_rows;
  }
  BOOST_TEST_REQUIRE(per_series.size() == hosts.size());
  for (const auto& [host, n] : per_series) {
    BOOST_TEST_CONTEXT(host) {
      fragment f;
      f.filter = predicate::compare(c_host, cmp_op::eq, value::of_text(host));
      f.aggregates = {aggregate{agg_kind::count_star, -1, -1},
                      aggregate{agg_kind::sum, c_user, -1}};
      auto r = ds.whole.execute(f, snap);
      BOOST_TEST(r.stats.rows_scanned <= n);
      BOOST_TEST(r.stats.rows_scanned > 0u);
      result_merger m{f, schema};
      m.add(r);
      BOOST_TEST(diff(f, reference_aggregate(ds.rows, f, snap), finalized(m.finish())) == "");

      // A series test under AND with a row filter still skips every other
      // series, the NULL series too: AND(varies, NULL) is never TRUE.
      fragment g = f;
      g.filter = predicate::all_of({predicate::compare(c_user, cmp_op::gt, value::of_float(50)),
                                    predicate::compare(c_host, cmp_op::eq, value::of_text(host))});
      BOOST_TEST(ds.whole.execute(g, snap).stats.rows_scanned <= n);
      BOOST_TEST(null_series_rows > 0u);
      auto rg = ds.whole.execute(g, snap);
      result_merger mg{g, schema};
      mg.add(rg);
      BOOST_TEST(diff(g, reference_aggregate(ds.rows, g, snap), finalized(mg.finish())) == "");

      // A raw scan too.
      fragment raw;
      raw.filter = f.filter;
      raw.projection = {c_time, c_host};
      auto rr = ds.whole.execute(raw, snap);
      BOOST_TEST(rr.stats.rows_scanned <= n);
      BOOST_TEST(rr.rows.rows() == n);
    }
  }
  // IN over two series reads at most their rows.
  fragment in;
  in.filter = predicate::in(c_host, {value::of_text("host_1"), value::of_text("host_6")});
  in.aggregates = {aggregate{agg_kind::count_star, -1, -1}};
  BOOST_TEST(ds.whole.execute(in, snap).stats.rows_scanned
             <= per_series["host_1"] + per_series["host_6"]);
  // Its rows come in the order a scan of every series gives them (an OR is
  // not pruned), whatever the list's order; a NULL in the list adds none.
  fragment in_raw;
  in_raw.filter = predicate::in(c_host, {value::of_text("host_6"), value::null(column_type::text),
                                         value::of_text("host_1")});
  in_raw.projection = {c_time, c_host, c_user};
  fragment or_raw = in_raw;
  or_raw.filter = predicate::any_of({predicate::compare(c_host, cmp_op::eq, value::of_text("host_1")),
                                     predicate::compare(c_host, cmp_op::eq, value::of_text("host_6"))});
  auto in_rows = rows_of(ds.whole.execute(in_raw, snap).rows);
  BOOST_TEST(in_rows.size() == per_series["host_1"] + per_series["host_6"]);
  BOOST_TEST((in_rows == rows_of(ds.whole.execute(or_raw, snap).rows)));
  // A name no row has reads nothing.
  fragment none;
  none.filter = predicate::compare(c_host, cmp_op::eq, value::of_text("nope"));
  none.aggregates = {aggregate{agg_kind::count_star, -1, -1}};
  BOOST_TEST(ds.whole.execute(none, snap).stats.rows_scanned == 0u);
}

BOOST_AUTO_TEST_CASE(last_per_series_reads_two_rows_per_series) {
  dataset ds{41};
  lsn horizon = 0;
  for (int i = 0; i < 30; ++i) {
    ds.append_batch(0.1, horizon);
    if (i >= 2)
      horizon = ds.commits[ds.commits.size() - 2];
  }
  BOOST_TEST_REQUIRE(ds.rows.size() > 1000u);
  // SELECT hostname, last(usage_user, time), first(region, time) ...
  // GROUP BY hostname, at the latest commit and at the horizon.
  for (lsn snap : {horizon, horizon + 50, ds.commits.back()}) {
    BOOST_TEST_CONTEXT("snapshot " << snap) {
      fragment f;
      f.keys.push_back(group_key{group_key::kind::column, c_host, {}});
      f.aggregates = {aggregate{agg_kind::last, c_user, c_time},
                      aggregate{agg_kind::first, c_region, c_time},
                      aggregate{agg_kind::last, c_time, c_time},
                      aggregate{agg_kind::last, c_host, c_time}};
      auto r = ds.whole.execute(f, snap);
      BOOST_TEST(r.stats.rows_scanned <= 2 * ds.whole.num_series());
      result_merger m{f, schema};
      m.add(r);
      BOOST_TEST(diff(f, reference_aggregate(ds.rows, f, snap), finalized(m.finish())) == "");
      // Only last(): one row per series.
      fragment g;
      g.keys = f.keys;
      g.aggregates = {aggregate{agg_kind::last, c_big, c_time}};
      g.filter = predicate::in(c_host, {value::of_text("host_2"), value::null(column_type::text)});
      auto rg = ds.whole.execute(g, snap);
      BOOST_TEST(rg.stats.rows_scanned <= 1u);
      result_merger mg{g, schema};
      mg.add(rg);
      BOOST_TEST(diff(g, reference_aggregate(ds.rows, g, snap), finalized(mg.finish())) == "");
    }
  }
}

BOOST_AUTO_TEST_CASE(three_valued_logic_over_whole_series_and_blocks) {
  // Every NOT/AND/OR shape over pairs of leaves, many of which the chunk
  // decides per series or per block without reading rows (series tests on
  // the NULL series, constants, time ranges). FALSE and NULL only part ways
  // under NOT, so every shape is tried with it.
  dataset ds{71};
  for (int i = 0; i < 16; ++i)
    ds.append_batch(i < 6 ? 0.0 : 0.15, 0, 250);
  const lsn snap = ds.commits.back();
  auto txt = [](const char* s) { return value::of_text(s); };
  auto ts = [](timestamp t) { return value::of_int(column_type::timestamptz, t); };
  predicate null_const, true_const, false_const;
  null_const.constant = value::null(column_type::boolean);
  false_const.constant = value::of_int(column_type::boolean, 0);
  const std::vector<predicate> leaves = {
    predicate::compare(c_host, cmp_op::eq, txt("host_1")),
    predicate::null_test(c_host, true),
    predicate::in(c_host, {txt("host_2"), value::null(column_type::text)}),
    predicate::compare(c_host, cmp_op::lt, txt("host_4")),
    predicate::compare(c_host, cmp_op::ne, value::null(column_type::text)),
    null_const,
    true_const,
    false_const,
    predicate::compare(c_time, cmp_op::lt, ts(range_start[1] + 3 * usecs_per_day)),
    predicate::compare(c_time, cmp_op::ge, ts(range_start[2])),
    predicate::compare(c_time, cmp_op::gt, value::null(column_type::timestamptz)),
    predicate::compare(c_user, cmp_op::gt, value::of_float(50)),
    predicate::in(c_region, {txt("eu"), value::null(column_type::text)}),
    predicate::in(c_cnt, {value::of_int(column_type::int4, 1),
                          value::of_int(column_type::int4, 2),
                          value::null(column_type::int4)}),
    predicate::compare(c_region, cmp_op::eq, value::null(column_type::text)),
    predicate::compare(c_flag, cmp_op::eq, value::of_int(column_type::boolean, 1)),
    predicate::null_test(c_system, true),
  };
  fragment f;
  f.keys.push_back(group_key{group_key::kind::column, c_host, {}});
  f.aggregates = {aggregate{agg_kind::count_star, -1, -1},
                  aggregate{agg_kind::sum, c_cnt, -1}};
  int failures = 0;
  auto check = [&](predicate p) {
    if (failures >= 5)
      return;
    f.filter = std::move(p);
    result_merger m{f, schema};
    m.add(ds.whole.execute(f, snap));
    std::string d = diff(f, reference_aggregate(ds.rows, f, snap), finalized(m.finish()));
    if (!d.empty()) {
      BOOST_ERROR(describe(f) << ": " << d);
      ++failures;
    }
  };
  using P = predicate;
  for (const auto& a : leaves) {
    check(a);
    check(P::negate(a));
    for (const auto& b : leaves) {
      check(P::all_of({a, b}));
      check(P::any_of({a, b}));
      check(P::negate(P::all_of({a, b})));
      check(P::negate(P::any_of({a, b})));
      check(P::all_of({P::negate(a), b}));
      check(P::any_of({a, P::negate(b)}));
    }
  }
  BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(time_comparisons_at_block_edges) {
  // Blocks are skipped or taken whole by their time range; every row time
  // (and its neighbours) as a constant hits each block's edges exactly.
  dataset ds{81};
  ds.in_order_rate = 0.8;
  for (int i = 0; i < 6; ++i)
    ds.append_batch(0.0, 0, 250);
  const lsn snap = ds.commits.back();
  fragment f;
  f.aggregates = {aggregate{agg_kind::count_star, -1, -1},
                  aggregate{agg_kind::max, c_time, -1}};
  int failures = 0;
  for (size_t r = 0; r < ds.rows.size() && failures < 5; ++r) {
    for (int64_t d : {-1, 0, 1}) {
      for (int op = 0; op < 6; ++op) {
        f.filter = predicate::compare(c_time, static_cast<cmp_op>(op),
                                      value::of_int(column_type::timestamptz,
                                                    ds.rows[r].v[c_time].i + d));
        result_merger m{f, schema};
        m.add(ds.whole.execute(f, snap));
        std::string e = diff(f, reference_aggregate(ds.rows, f, snap), finalized(m.finish()));
        if (!e.empty()) {
          BOOST_ERROR(describe(f) << ": " << e);
          ++failures;
        }
      }
    }
  }
  BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(time_sorted_blocks_cut_into_bucket_runs) {
  // In-order ingest: blocks sorted by time span several buckets, so GROUP BY
  // time_bucket cuts them into runs; late points leave some blocks unsorted
  // (many with 3% late points, about one per block with 0.4%); the first
  // batches carry no NULLs at all.
  for (double late_rate : {0.03, 0.004}) {
    BOOST_TEST_CONTEXT("late_rate " << late_rate) {
      check_bucket_runs(late_rate);
    }
  }
}


BOOST_AUTO_TEST_CASE(aggregate_over_no_rows_yields_one_group) {
  fragment f;
  f.aggregates = {aggregate{agg_kind::count_star, -1, -1},
                  aggregate{agg_kind::count, c_user, -1},
                  aggregate{agg_kind::sum, c_user, -1},
                  aggregate{agg_kind::sum, c_cnt, -1},
                  aggregate{agg_kind::avg, c_big, -1},
                  aggregate{agg_kind::min, c_region, -1},
                  aggregate{agg_kind::last, c_host, c_time}};
  const std::vector<value> want = {
    value::of_int(column_type::int8, 0), value::of_int(column_type::int8, 0),
    value::null(column_type::float8),    value::null(column_type::int8),
    value::null(column_type::float8),    value::null(column_type::text),
    value::null(column_type::text)};
  auto check = [&](const partial_result& r) {
    BOOST_TEST_REQUIRE(r.groups() == 1u);
    auto got = finalized(r).begin()->second;
    BOOST_TEST_REQUIRE(got.size() == want.size());
    for (size_t a = 0; a < want.size(); ++a)
      BOOST_TEST(got[a] == want[a]);
  };
  // An empty chunk.
  chunk empty{schema, c_time, c_host};
  BOOST_TEST(empty.execute(f, 100).groups() == 0u);
  result_merger m1{f, schema};
  m1.add(empty.execute(f, 100));
  check(m1.finish());
  // No chunk at all.
  result_merger m0{f, schema};
  check(m0.finish());
  // Rows, but none visible yet or none matching.
  dataset ds{51};
  ds.append_batch(0.1, 0, 50);
  result_merger m2{f, schema};
  m2.add(ds.whole.execute(f, ds.commits.back() - 1));
  for (const auto& p : ds.parts)
    m2.add(p->execute(f, ds.commits.back() - 1));
  check(m2.finish());
  fragment g = f;
  g.filter = predicate::compare(c_time, cmp_op::lt, value::of_int(column_type::timestamptz,
                                                                  range_start[0]));
  result_merger m3{g, schema};
  m3.add(ds.whole.execute(g, ds.commits.back()));
  check(m3.finish());
  // With GROUP BY, no rows means no groups.
  fragment h = g;
  h.keys.push_back(group_key{group_key::kind::column, c_host, {}});
  result_merger m4{h, schema};
  m4.add(ds.whole.execute(h, ds.commits.back()));
  BOOST_TEST(m4.finish().groups() == 0u);
  // A merger starts over after finish(): the same answer again.
  m1.add(empty.execute(f, 100));
  check(m1.finish());
  check(m1.finish());
}

BOOST_AUTO_TEST_CASE(sum_of_int8_is_exact) {
  // sum(int8) is numeric in PostgreSQL; a sum past INT64_MAX must not wrap.
  // Rows without NULLs take the dense path of the kernel.
  chunk ch{schema, c_time, c_host};
  column_batch b{schema};
  const int64_t big = int64_t{1} << 62;
  for (int i = 0; i < 4; ++i) {
    b.append_int(c_time, i);
    b.append_text(c_host, "h");
    b.append_text(c_region, "r");
    b.append_float(c_user, 1);
    b.append_float(c_system, 1);
    b.append_int(c_cnt, INT32_MAX);
    b.append_int(c_big, big);
    b.append_int(c_flag, 1);
    b.finish_row();
  }
  ch.append(b.view(), {}, 10, 0);
  fragment f;
  f.aggregates = {aggregate{agg_kind::sum, c_big, -1}, aggregate{agg_kind::avg, c_big, -1},
                  aggregate{agg_kind::sum, c_cnt, -1}};
  result_merger m{f, schema};
  m.add(ch.execute(f, 10));
  auto got = finalized(m.finish()).begin()->second;
  BOOST_TEST(got[0] == value::of_float(4.0 * static_cast<double>(big)));
  BOOST_TEST(got[1] == value::of_float(static_cast<double>(big)));
  BOOST_TEST(got[2] == value::of_int(column_type::int8, 4 * int64_t{INT32_MAX}));
}

BOOST_AUTO_TEST_CASE(append_of_all_rows_and_of_a_selection_agree) {
  // An empty selection means every row of the batch.
  dataset ds{61};
  column_batch b{schema};
  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < 700; ++i) {
    row_values v = ds.random_row(0.1, static_cast<int>(i % 3), nullptr);
    for (size_t c = 0; c < ncols; ++c)
      b.append_value(c, v[c]);
    b.finish_row();
    all.push_back(i);
  }
  chunk a{schema, c_time, c_host}, s{schema, c_time, c_host};
  a.append(b.view(), {}, 5, 0);
  s.append(b.view(), all, 5, 0);
  fragment f;
  f.projection = {c_time, c_host, c_region, c_user, c_system, c_cnt, c_big, c_flag};
  f.order = {order_key{0, false, false}};
  auto sorted = [&](const chunk& ch) {
    result_merger m{f, schema};
    m.add(ch.execute(f, 5));
    return rows_of(m.finish().rows);
  };
  auto ra = sorted(a);
  auto rs = sorted(s);
  BOOST_TEST(ra.size() == 700u);
  BOOST_TEST((ra == rs));
  // Sorted by time, the rows are the batch's rows.
  for (size_t i = 1; i < ra.size(); ++i)
    BOOST_TEST_REQUIRE(ra[i - 1][0].i < ra[i][0].i);
  BOOST_TEST(a.rows(4) == 0u);
  BOOST_TEST(a.rows(5) == 700u);
}

BOOST_AUTO_TEST_CASE(merger_keeps_top_n_over_many_results) {
  // The aggregation actor folds one result per chunk; with many chunks the
  // merger cuts to the top N on the way (past 2N + 1024 rows), not only at
  // the end.
  dataset ds{101};
  for (int i = 0; i < 5; ++i)
    ds.append_batch(0.1, 0, 300);
  const lsn snap = ds.commits.back();
  fragment f;
  f.projection = {c_user, c_host, c_time};
  f.order = {order_key{0, true, false}, order_key{2, false, false}};
  f.limit = 7;
  const partial_result one = ds.whole.execute(f, snap);
  BOOST_TEST_REQUIRE(one.rows.rows() == 7u);
  BOOST_TEST(diff_raw(f, ds.rows, snap, one) == "");
  result_merger m{f, schema};
  for (int i = 0; i < 400; ++i)
    m.add(one);
  auto r = m.finish();
  BOOST_TEST(r.stats.chunks == 400u);
  // Every row came 400 times: the top 7 are copies of the best one (times
  // are unique, so the sort keys leave no tie).
  auto best = rows_of(one.rows).front();
  auto got = rows_of(r.rows);
  BOOST_TEST_REQUIRE(got.size() == 7u);
  for (const auto& row : got)
    BOOST_TEST((row == best));
}

BOOST_AUTO_TEST_CASE(chunk_bookkeeping) {
  chunk empty{schema, c_time, c_host};
  BOOST_TEST(empty.memory_usage() > 0u);
  BOOST_TEST(empty.min_time() > empty.max_time());
  BOOST_TEST(empty.num_series() == 0u);
  BOOST_TEST(empty.rows(1000) == 0u);
  dataset ds{111};
  for (int i = 0; i < 5; ++i)
    ds.append_batch(0.1, 0, 400);
  const size_t half = ds.whole.memory_usage();
  for (int i = 0; i < 5; ++i)
    ds.append_batch(0.1, 0, 400);
  const size_t full = ds.whole.memory_usage();
  BOOST_TEST(full > half);
  // At least the stored values: 8 + 4 + 8 + 8 + 4 + 8 + 1 bytes a row (the
  // series column is not stored per row).
  BOOST_TEST(full >= ds.whole.total_rows() * 41);
  const text_dictionary& hosts_dict = ds.whole.series_dictionary();
  int64_t code = hosts_dict.find("host_1");
  BOOST_TEST_REQUIRE(code >= 0);
  BOOST_TEST(hosts_dict.at(static_cast<uint32_t>(code)) == "host_1");
  BOOST_TEST(hosts_dict.find("nope") == -1);
  BOOST_TEST(ds.whole.dictionary(c_region).find("eu") >= 0);
  BOOST_TEST(ds.whole.schema().columns.size() == size_t{ncols});
  BOOST_TEST(ds.whole.time_column() == c_time);
  BOOST_TEST(ds.whole.series_column() == c_host);
}

/// Dumps `ch` at `snap` in pieces of at most `step` rows.
std::vector<column_batch> dump_all(const chunk& ch, lsn snap, size_t step) {
  std::vector<column_batch> out;
  chunk::dump_cursor cur;
  for (bool more = true; more;) {
    column_batch b;
    more = ch.dump(snap, cur, step, b);
    BOOST_TEST(b.rows() <= step);
    BOOST_TEST(b.num_columns() == size_t{ncols});
    if (b.rows() > 0)
      out.push_back(std::move(b));
  }
  return out;
}

BOOST_AUTO_TEST_CASE(dump_restores_the_rows_of_a_snapshot) {
  // A checkpoint dumps each chunk at a snapshot and recovery appends the
  // pieces to a new chunk: it must hold exactly the rows visible then, in
  // an order that dumps the same again, with NULLs (also in the series
  // column) and text intact, whatever the piece size.
  dataset ds{121};
  lsn horizon = 0;
  for (int i = 0; i < 40; ++i) {
    ds.append_batch(i < 10 ? 0.0 : 0.15, horizon, 500);
    if (i > 4)
      horizon = ds.commits[ds.commits.size() - 3];
  }
  int failures = 0;
  for (lsn snap : {horizon, ds.commits[ds.commits.size() - 2], ds.commits.back(), lsn{0}}) {
    for (size_t step : {size_t{1}, size_t{37}, size_t{256}, size_t{5000}, size_t{1} << 30}) {
      if (step == 1 && snap != horizon)
        continue; // one row a piece: slow, once is enough
      BOOST_TEST_CONTEXT("snapshot " << snap << ", pieces of " << step) {
        auto pieces = dump_all(ds.whole, snap, step);
        chunk copy{schema, c_time, c_host};
        size_t rows = 0;
        for (const auto& b : pieces) {
          copy.append(b.view(), {}, 1, 1);
          rows += b.rows();
        }
        BOOST_TEST(rows == ds.visible_rows(snap));
        BOOST_TEST(copy.rows(1) == ds.visible_rows(snap));
        for (int q = 0; q < 15 && failures < 5; ++q) {
          fragment f = ds.random_raw_fragment();
          result_merger m{f, schema};
          m.add(copy.execute(f, 1));
          std::string d = diff_raw(f, ds.rows, snap, m.finish());
          if (!d.empty()) {
            BOOST_ERROR(describe(f) << ": " << d);
            ++failures;
          }
        }
        // Dumped again, the copy gives the same rows in the same order.
        auto again = dump_all(copy, 1, size_t{1} << 30);
        column_batch a{schema}, b{schema};
        for (const auto& x : pieces)
          a.append_batch(x);
        for (const auto& x : again)
          b.append_batch(x);
        BOOST_TEST_REQUIRE(a.rows() == b.rows());
        for (size_t r = 0; r < a.rows() && failures < 5; ++r)
          for (size_t c = 0; c < size_t{ncols}; ++c)
            if (cmp_total(a.at(r, c), b.at(r, c)) != 0) {
              BOOST_ERROR("row " << r << " column " << c << ": " << show(a.at(r, c))
                                 << " vs " << show(b.at(r, c)));
              ++failures;
            }
      }
    }
  }
  BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(validate_reports_bad_fragments) {
  fragment ok;
  ok.aggregates = {aggregate{agg_kind::count_star, -1, -1}};
  BOOST_TEST(!validate(ok, schema).has_value());

  fragment sum_text = ok;
  sum_text.aggregates = {aggregate{agg_kind::sum, c_region, -1}};
  auto e = validate(sum_text, schema);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->sqlstate == "42883");
  BOOST_TEST(e->message == "function sum(text) does not exist");

  fragment bad_col = ok;
  bad_col.filter = predicate::null_test(ncols, true);
  e = validate(bad_col, schema);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->sqlstate == "42703");

  fragment bucket_float = ok;
  bucket_float.keys.push_back(group_key{group_key::kind::time_bucket, c_user, {}});
  bucket_float.keys.back().bucket.width = 5;
  e = validate(bucket_float, schema);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->sqlstate == "42883");

  fragment bucket_zero = ok;
  bucket_zero.keys.push_back(group_key{group_key::kind::time_bucket, c_time, {}});
  e = validate(bucket_zero, schema);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->message == "period must be greater than 0");

  fragment first_text = ok;
  first_text.aggregates = {aggregate{agg_kind::first, c_user, c_host}};
  BOOST_TEST(validate(first_text, schema).has_value());

  fragment order_out = ok;
  order_out.aggregates.clear();
  order_out.projection = {c_time};
  order_out.order = {order_key{1, false, false}};
  e = validate(order_out, schema);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->sqlstate == "42P10");
}

BOOST_AUTO_TEST_SUITE_END()
