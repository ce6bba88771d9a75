#pragma once

// A random, seeded data set for the chunk tests: one chunk with every row,
// one chunk per time range (as a hypertable holds them), the reference rows
// with their commit LSNs, and generators of constants, predicates, group
// keys, aggregates and whole fragments.

#include <array>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "chunk_reference.hpp"

namespace chunk_testing {

// -- the data set -------------------------------------------------------------

/// One chunk with every row, one chunk per time range (as a hypertable would
/// hold them), and the reference rows.
struct dataset {
  explicit dataset(uint64_t seed) : rng(seed) {
    for (size_t p = 0; p < range_start.size(); ++p)
      parts.push_back(std::make_unique<chunk>(schema, c_time, c_host));
  }

  rng_t rng;
  /// Share of batches that arrive in time order (the rest are scattered).
  double in_order_rate = 0.5;
  /// Share of in-order points that arrive late.
  double late_rate = 0.03;
  /// Where the next in-order batch of each range starts: ingest moves on.
  std::array<timestamp, 3> cursor = range_start;
  chunk whole{schema, c_time, c_host};
  std::vector<std::unique_ptr<chunk>> parts;
  std::vector<ref_row> rows;
  std::set<timestamp> used_times;
  std::vector<lsn> commits;
  lsn next_lsn = 100;

  /// A fresh, unique time in range `part` near `hint` (or anywhere).
  timestamp fresh_time(int part, const timestamp* hint) {
    const timestamp start = range_start[static_cast<size_t>(part)];
    const timestamp end = start + week;
    timestamp t = hint ? *hint : start + uniform(rng, 0, week - 1);
    while (t < start || t >= end || !used_times.insert(t).second)
      t = t < start || t >= end ? start + uniform(rng, 0, week - 1) : t + 1;
    return t;
  }

  row_values random_row(double null_rate, int part, const timestamp* hint) {
    row_values v;
    auto maybe_null = [&](column_type t, value x) {
      return chance(rng, null_rate) ? value::null(t) : std::move(x);
    };
    v[c_time] = value::of_int(column_type::timestamptz, fresh_time(part, hint));
    v[c_host] = chance(rng, 0.08) ? value::null(column_type::text)
                                  : value::of_text(pick(rng, hosts));
    v[c_region] = maybe_null(column_type::text, value::of_text(pick(rng, regions)));
    v[c_user] = maybe_null(column_type::float8,
                           value::of_float(static_cast<double>(uniform(rng, 0, 10000)) / 100));
    v[c_system] = maybe_null(column_type::float8,
                             value::of_float(static_cast<double>(uniform(rng, 0, 20)) * 0.5));
    v[c_cnt] = maybe_null(column_type::int4,
                          value::of_int(column_type::int4, uniform(rng, -5, 20)));
    v[c_big] = maybe_null(column_type::int8,
                          value::of_int(column_type::int8,
                                        uniform(rng, -(int64_t{1} << 45), int64_t{1} << 45)));
    v[c_flag] = maybe_null(column_type::boolean,
                           value::of_int(column_type::boolean, uniform(rng, 0, 1)));
    return v;
  }

  /// Appends one random batch through a random selection, committed at the
  /// next LSN, and returns that LSN.
  lsn append_batch(double null_rate, lsn horizon, int64_t max_rows = 400) {
    const auto m = static_cast<size_t>(uniform(rng, 1, max_rows));
    column_batch b{schema};
    std::vector<row_values> batch;
    // Some batches arrive in time order, each going on where the last one
    // of its range stopped, as real ingest does (blocks are then sorted by
    // time and fall inside few time buckets); the rest are scattered over
    // all ranges.
    // Some in-order batches sample on whole half minutes, so that rows fall
    // exactly on bucket boundaries; a few points arrive late, a little
    // behind the others (blocks then are almost, but not quite, sorted).
    bool in_order = chance(rng, in_order_rate);
    bool aligned = in_order && chance(rng, 0.3);
    int run_part = static_cast<int>(uniform(rng, 0, 2));
    timestamp& next = cursor[static_cast<size_t>(run_part)];
    const int64_t half_minute = 30 * usecs_per_second;
    if (aligned)
      next = (floor_div(next, usecs_per_minute) + 1) * usecs_per_minute;
    std::vector<int> part_of;
    for (size_t i = 0; i < m; ++i) {
      int part = in_order ? run_part : static_cast<int>(uniform(rng, 0, 2));
      if (in_order)
        next += aligned ? half_minute * uniform(rng, 1, 2) : uniform(rng, 1, 10 * usecs_per_second);
      bool late = in_order && chance(rng, late_rate);
      // Late by a microsecond to two minutes, spread evenly over the scales.
      auto lateness = static_cast<int64_t>(
        std::exp(std::uniform_real_distribution<double>{0, std::log(120e6)}(rng)));
      timestamp late_time = next - (aligned ? half_minute * uniform(rng, 1, 4) : lateness);
      row_values v = random_row(null_rate, part,
                                in_order ? (late ? &late_time : &next) : nullptr);
      if (in_order && !late)
        next = v[c_time].i;
      for (size_t c = 0; c < ncols; ++c)
        b.append_value(c, v[c]);
      b.finish_row();
      batch.push_back(std::move(v));
      part_of.push_back(part);
    }
    // Which rows of the batch this commit inserts: all (empty selection),
    // or a random subset in random order.
    std::vector<uint32_t> sel;
    bool all = chance(rng, 0.3);
    if (all) {
      for (uint32_t i = 0; i < m; ++i)
        sel.push_back(i);
    } else {
      double keep = std::uniform_real_distribution<double>{0.2, 0.95}(rng);
      for (uint32_t i = 0; i < m; ++i)
        if (chance(rng, keep))
          sel.push_back(i);
      if (sel.empty())
        sel.push_back(static_cast<uint32_t>(uniform(rng, 0, static_cast<int64_t>(m) - 1)));
      if (chance(rng, 0.5))
        std::shuffle(sel.begin(), sel.end(), rng);
    }
    const lsn at = next_lsn;
    next_lsn += 100;
    commits.push_back(at);
    batch_view view = b.view();
    whole.append(view, all ? std::span<const uint32_t>{} : std::span<const uint32_t>{sel},
                 at, horizon);
    for (size_t p = 0; p < parts.size(); ++p) {
      std::vector<uint32_t> mine;
      for (uint32_t i : sel)
        if (part_of[i] == static_cast<int>(p))
          mine.push_back(i);
      // An empty selection would mean "every row": skip instead.
      if (!mine.empty())
        parts[p]->append(view, mine, at, horizon);
    }
    for (uint32_t i : sel)
      rows.push_back(ref_row{batch[i], at, part_of[i]});
    return at;
  }

  /// A snapshot no older than `min_snap`: at a commit, between two commits,
  /// or past the last one.
  lsn snapshot(lsn min_snap) {
    std::vector<lsn> c;
    c.push_back(min_snap);
    for (lsn at : commits) {
      if (at >= min_snap)
        c.push_back(at);
      if (at + 50 >= min_snap)
        c.push_back(at + 50);
    }
    lsn last = commits.empty() ? 0 : commits.back();
    for (int i = 0; i < 4; ++i)
      c.push_back(last); // the common case: the latest commit
    c.push_back(last + 1000);
    return pick(rng, c);
  }

  size_t visible_rows(lsn snap, int part = -1) const {
    size_t n = 0;
    for (const auto& r : rows)
      n += r.at <= snap && (part < 0 || r.part == part) ? 1 : 0;
    return n;
  }

  /// A constant for column `c`: often a value the data holds, so that
  /// equality and range edges hit; sometimes NULL or of another type.
  value constant(int c) {
    if (chance(rng, 0.04))
      return value::null(type_of(c));
    if (!rows.empty() && chance(rng, 0.5)) {
      const value& v = pick(rng, rows).v[static_cast<size_t>(c)];
      if (!v.is_null)
        return v;
    }
    switch (c) {
      case c_time:
        return value::of_int(column_type::timestamptz,
                             range_start[static_cast<size_t>(uniform(rng, 0, 2))]
                               + uniform(rng, -usecs_per_day, week + usecs_per_day));
      case c_host: {
        static const std::vector<std::string> extra = {"host_", "host_10", "a", "zzz", ""};
        return value::of_text(chance(rng, 0.7) ? pick(rng, hosts) : pick(rng, extra));
      }
      case c_region: {
        static const std::vector<std::string> extra = {"eu-central", "a", "z"};
        return value::of_text(chance(rng, 0.7) ? pick(rng, regions) : pick(rng, extra));
      }
      case c_user:
        // An integer constant against a float8 column compares as float8.
        return chance(rng, 0.3) ? value::of_int(column_type::int8, uniform(rng, 0, 100))
                                : value::of_float(
                                    static_cast<double>(uniform(rng, -100, 10100)) / 100);
      case c_system:
        return value::of_float(static_cast<double>(uniform(rng, -1, 21)) * 0.5);
      case c_cnt:
        // A float constant against an int4 column compares as float8.
        return chance(rng, 0.2) ? value::of_float(static_cast<double>(uniform(rng, -6, 21)) + 0.5)
                                : value::of_int(chance(rng, 0.5) ? column_type::int4
                                                                 : column_type::int8,
                                                uniform(rng, -6, 21));
      case c_big:
        return value::of_int(column_type::int8,
                             uniform(rng, -(int64_t{1} << 45), int64_t{1} << 45));
      default:
        return value::of_int(column_type::boolean, uniform(rng, 0, 1));
    }
  }

  int random_column() {
    // The time and series columns take the special paths: weigh them up.
    static const std::vector<int> cols = {c_time, c_time, c_host, c_host, c_region,
                                          c_user, c_system, c_cnt, c_big, c_flag};
    return pick(rng, cols);
  }

  predicate random_leaf() {
    int c = random_column();
    int k = static_cast<int>(uniform(rng, 0, 19));
    if (c == c_time && k < 6) {
      // time >= a AND time < b, the shape of nearly every real query.
      timestamp a = constant(c_time).i;
      timestamp b = a + uniform(rng, 0, 3 * usecs_per_day);
      return predicate::all_of(
        {predicate::compare(c, cmp_op::ge, value::of_int(column_type::timestamptz, a)),
         predicate::compare(c, cmp_op::lt, value::of_int(column_type::timestamptz, b))});
    }
    if (k < 12)
      return predicate::compare(c, static_cast<cmp_op>(uniform(rng, 0, 5)), constant(c));
    if (k < 16) {
      std::vector<value> list;
      auto n = uniform(rng, 1, 4);
      for (int64_t i = 0; i < n; ++i) {
        value v = constant(c);
        if (!v.is_null)
          list.push_back(std::move(v));
      }
      if (list.empty() || chance(rng, 0.4))
        list.push_back(value::null(type_of(c)));
      return predicate::in(c, std::move(list));
    }
    if (k < 19)
      return predicate::null_test(c, chance(rng, 0.5));
    predicate p; // TRUE, FALSE or NULL
    p.constant = chance(rng, 0.3) ? value::null(column_type::boolean)
                                  : value::of_int(column_type::boolean, uniform(rng, 0, 1));
    return p;
  }

  predicate random_predicate(int depth) {
    // NOT is where FALSE and NULL part ways: give it a fair share.
    int k = static_cast<int>(uniform(rng, 0, depth > 0 ? 11 : 5));
    if (k <= 5)
      return random_leaf();
    if (k >= 10)
      return predicate::negate(random_predicate(depth - 1));
    std::vector<predicate> children;
    auto n = uniform(rng, 2, 3);
    for (int64_t i = 0; i < n; ++i)
      children.push_back(random_predicate(depth - 1));
    return k <= 7 ? predicate::all_of(std::move(children))
                  : predicate::any_of(std::move(children));
  }

  group_key random_key() {
    group_key k;
    int x = static_cast<int>(uniform(rng, 0, 13));
    auto column = [&](int c) {
      k.k = group_key::kind::column;
      k.column = c;
      return k;
    };
    auto bucket = [&](int c, int64_t width, int32_t months, int64_t offset,
                      std::optional<timestamp> origin) {
      k.k = group_key::kind::time_bucket;
      k.column = c;
      k.bucket.width = width;
      k.bucket.months = months;
      k.bucket.offset = offset;
      k.bucket.origin = origin;
      return k;
    };
    switch (x) {
      case 0:
      case 1: return column(c_host);
      case 2: return column(c_region);
      case 3: return column(c_cnt);
      case 4: return column(c_flag);
      case 5: return column(c_system);
      case 6: return chance(rng, 0.3) ? column(c_time) : column(c_big);
      case 7: return bucket(c_time, usecs_per_hour * uniform(rng, 1, 6),
                            0, chance(rng, 0.5) ? 0 : uniform(rng, -usecs_per_hour, usecs_per_hour),
                            std::nullopt);
      case 8: {
        std::optional<timestamp> noon;
        if (chance(rng, 0.5))
          noon = range_start[1] + 12 * usecs_per_hour;
        return bucket(c_time, usecs_per_day, 0, 0, noon);
      }
      case 9: return bucket(c_time, 7 * usecs_per_day, 0, 0, std::nullopt); // Mondays
      case 10: return bucket(c_time, 5 * usecs_per_minute, 0, -2 * usecs_per_minute, std::nullopt);
      case 11: return bucket(c_time, 0,
                             static_cast<int32_t>(pick(rng, std::vector<int64_t>{1, 3, 12})),
                             chance(rng, 0.5) ? 0 : usecs_per_day, std::nullopt);
      case 12: return bucket(c_cnt, uniform(rng, 1, 7), 0, uniform(rng, -3, 3), std::nullopt);
      default: return bucket(c_big, int64_t{1} << 40, 0, chance(rng, 0.5) ? 0 : 12345,
                             std::nullopt);
    }
  }

  aggregate random_aggregate() {
    aggregate a;
    a.kind = static_cast<agg_kind>(uniform(rng, 0, 7));
    switch (a.kind) {
      case agg_kind::count_star:
        break;
      case agg_kind::sum:
      case agg_kind::avg:
        a.column = pick(rng, std::vector<int>{c_user, c_system, c_cnt, c_big});
        break;
      default:
        a.column = static_cast<int>(uniform(rng, 0, ncols - 1));
    }
    if (a.kind == agg_kind::first || a.kind == agg_kind::last)
      a.time_column = c_time;
    return a;
  }

  fragment random_aggregate_fragment() {
    fragment f;
    f.table = "metrics";
    if (chance(rng, 0.15)) {
      // first/last per series: the shape the commit marks answer.
      f.keys.push_back(group_key{group_key::kind::column, c_host, {}});
      if (chance(rng, 0.3))
        f.filter = predicate::in(c_host, {constant(c_host), constant(c_host)});
      for (int i = 0, n = static_cast<int>(uniform(rng, 1, 3)); i < n; ++i)
        f.aggregates.push_back(aggregate{chance(rng, 0.5) ? agg_kind::first : agg_kind::last,
                                         static_cast<int>(uniform(rng, 0, ncols - 1)), c_time});
      return f;
    }
    if (chance(rng, 0.25)) {
      // The dashboard query: per time bucket (and often per host) over a
      // time range, a few aggregates of the metrics.
      if (chance(rng, 0.5))
        f.keys.push_back(group_key{group_key::kind::column, c_host, {}});
      group_key k;
      do
        k = random_key();
      while (k.column != c_time || k.k != group_key::kind::time_bucket);
      auto at = uniform(rng, 0, static_cast<int64_t>(f.keys.size()));
      f.keys.insert(f.keys.begin() + static_cast<long>(at), k);
      if (chance(rng, 0.5)) {
        timestamp a = constant(c_time).i;
        f.filter = predicate::all_of(
          {predicate::compare(c_time, cmp_op::ge, value::of_int(column_type::timestamptz, a)),
           predicate::compare(c_time, cmp_op::lt,
                              value::of_int(column_type::timestamptz,
                                            a + uniform(rng, 0, 4 * usecs_per_day)))});
      } else if (chance(rng, 0.3)) {
        f.filter = predicate::compare(c_host, cmp_op::ne, value::of_text(pick(rng, hosts)));
      }
      static const std::vector<agg_kind> kinds = {agg_kind::count_star, agg_kind::count,
                                                  agg_kind::sum, agg_kind::avg, agg_kind::min,
                                                  agg_kind::max, agg_kind::first, agg_kind::last};
      for (int i = 0, n = static_cast<int>(uniform(rng, 1, 4)); i < n; ++i) {
        aggregate a{pick(rng, kinds),
                    pick(rng, std::vector<int>{c_user, c_system, c_cnt, c_big}), -1};
        if (a.kind == agg_kind::count_star)
          a.column = -1;
        if (a.kind == agg_kind::first || a.kind == agg_kind::last)
          a.time_column = c_time;
        f.aggregates.push_back(a);
      }
      return f;
    }
    if (chance(rng, 0.7))
      f.filter = random_predicate(static_cast<int>(uniform(rng, 0, 3)));
    int nk = pick(rng, std::vector<int>{0, 0, 1, 1, 1, 2, 2, 3});
    for (int i = 0; i < nk; ++i)
      f.keys.push_back(random_key());
    for (int i = 0, n = static_cast<int>(uniform(rng, 1, 4)); i < n; ++i)
      f.aggregates.push_back(random_aggregate());
    return f;
  }

  fragment random_raw_fragment() {
    fragment f;
    f.table = "metrics";
    if (chance(rng, 0.7))
      f.filter = random_predicate(static_cast<int>(uniform(rng, 0, 3)));
    for (int i = 0, n = static_cast<int>(uniform(rng, 1, 5)); i < n; ++i)
      f.projection.push_back(static_cast<int>(uniform(rng, 0, ncols - 1)));
    int no = pick(rng, std::vector<int>{0, 1, 1, 2});
    for (int i = 0; i < no; ++i) {
      auto index = uniform(rng, 0, static_cast<int64_t>(f.projection.size()) - 1);
      f.order.push_back(order_key{static_cast<int>(index), chance(rng, 0.5), chance(rng, 0.5)});
    }
    if (chance(rng, 0.6))
      f.limit = pick(rng, std::vector<int64_t>{0, 1, 5, 17, 100, 3000});
    return f;
  }
};

} // namespace chunk_testing
