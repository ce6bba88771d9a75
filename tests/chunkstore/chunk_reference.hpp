#pragma once

// The test schema, random helpers and the naive reference the chunk kernels
// are checked against: rows in a plain vector, filtered with SQL's
// three-valued logic, grouped with std::map, aggregated one by one.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "chunkstore/chunk.hpp"
#include "chunkstore/hypertable.hpp"
#include "chunkstore/time_bucket.hpp"
#include "value_printer.hpp"

namespace chunk_testing {

using namespace hypertide::chunkstore;

// -- schema and data ----------------------------------------------------------

enum col : int {
  c_time,
  c_host,
  c_region,
  c_user,
  c_system,
  c_cnt,
  c_big,
  c_flag,
  ncols
};

inline table_schema make_schema() {
  table_schema s;
  s.columns = {
    {"time", column_type::timestamptz, true},
    {"hostname", column_type::text, false},
    {"region", column_type::text, false},
    {"usage_user", column_type::float8, false},
    {"usage_system", column_type::float8, false},
    {"cnt", column_type::int4, false},
    {"big", column_type::int8, false},
    {"flag", column_type::boolean, false},
  };
  return s;
}

inline const table_schema schema = make_schema();

inline column_type type_of(int c) {
  return schema.columns[static_cast<size_t>(c)].type;
}

inline const std::vector<std::string> hosts = {"host_0", "host_1", "host_2", "host_3",
                                               "host_4", "host_5", "host_6", "host_7"};
// The empty string is a region like any other, not NULL.
inline const std::vector<std::string> regions = {"us-east", "us-west", "eu", "ap", ""};

constexpr int64_t week = default_chunk_time_interval;

/// Three chunk-sized time ranges; the first straddles the Unix epoch.
inline const std::array<timestamp, 3> range_start = {
  days_from_civil(1969, 12, 25) * usecs_per_day,
  days_from_civil(2021, 6, 3) * usecs_per_day,
  days_from_civil(2021, 6, 10) * usecs_per_day,
};

using rng_t = std::mt19937_64;

inline int64_t uniform(rng_t& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>{lo, hi}(rng);
}

inline bool chance(rng_t& rng, double p) {
  return std::uniform_real_distribution<double>{0, 1}(rng) < p;
}

template <class T>
const T& pick(rng_t& rng, const std::vector<T>& xs) {
  return xs[static_cast<size_t>(uniform(rng, 0, static_cast<int64_t>(xs.size()) - 1))];
}

using row_values = std::array<value, ncols>;

struct ref_row {
  row_values v;
  lsn at = 0;   ///< commit LSN
  int part = 0; ///< which time range, i.e. which part chunk holds it
};

// -- value helpers ------------------------------------------------------------

/// Total order for sorting: NULL first, then by value.
inline int cmp_total(const value& a, const value& b) {
  if (a.is_null || b.is_null)
    return a.is_null == b.is_null ? 0 : (a.is_null ? -1 : 1);
  if (a.type == column_type::text || b.type == column_type::text)
    return a.s < b.s ? -1 : (a.s == b.s ? 0 : 1);
  if (a.type == column_type::float8 || b.type == column_type::float8) {
    double x = a.as_double(), y = b.as_double();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
}

struct values_less {
  bool operator()(const std::vector<value>& a, const std::vector<value>& b) const {
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
      if (int c = cmp_total(a[i], b[i]); c != 0)
        return c < 0;
    return a.size() < b.size();
  }
};

inline std::string show(const value& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

inline std::string show(const std::vector<value>& vs) {
  std::string s = "(";
  for (size_t i = 0; i < vs.size(); ++i)
    s += (i ? ", " : "") + show(vs[i]);
  return s + ")";
}

// -- describing fragments (for failure messages) ------------------------------

inline const char* op_name(cmp_op op) {
  switch (op) {
    case cmp_op::eq: return "=";
    case cmp_op::ne: return "<>";
    case cmp_op::lt: return "<";
    case cmp_op::le: return "<=";
    case cmp_op::gt: return ">";
    case cmp_op::ge: return ">=";
  }
  return "?";
}

inline std::string col_name(int c) {
  return c < 0 ? std::string{"*"} : schema.columns[static_cast<size_t>(c)].name;
}

inline std::string describe(const predicate& p) {
  using K = predicate::kind;
  switch (p.k) {
    case K::and_:
    case K::or_: {
      std::string s = "(";
      for (size_t i = 0; i < p.children.size(); ++i)
        s += (i ? (p.k == K::and_ ? " AND " : " OR ") : "") + describe(p.children[i]);
      return s + ")";
    }
    case K::not_:
      return "NOT " + describe(p.children[0]);
    case K::compare:
      return col_name(p.column) + " " + op_name(p.op) + " " + show(p.constant);
    case K::in_list: {
      std::string s = col_name(p.column) + " IN (";
      for (size_t i = 0; i < p.list.size(); ++i)
        s += (i ? ", " : "") + show(p.list[i]);
      return s + ")";
    }
    case K::is_null:
      return col_name(p.column) + " IS NULL";
    case K::is_not_null:
      return col_name(p.column) + " IS NOT NULL";
    case K::constant:
      return show(p.constant);
  }
  return "?";
}

inline const char* agg_name(agg_kind k) {
  switch (k) {
    case agg_kind::count_star: return "count";
    case agg_kind::count: return "count";
    case agg_kind::sum: return "sum";
    case agg_kind::min: return "min";
    case agg_kind::max: return "max";
    case agg_kind::avg: return "avg";
    case agg_kind::first: return "first";
    case agg_kind::last: return "last";
  }
  return "?";
}

inline std::string describe(const fragment& f) {
  std::ostringstream os;
  os << "SELECT ";
  if (f.is_aggregate()) {
    for (const auto& k : f.keys) {
      if (k.k == group_key::kind::column)
        os << col_name(k.column) << ", ";
      else
        os << "time_bucket(" << k.bucket.width << "us/" << k.bucket.months << "mon off "
           << k.bucket.offset << " origin "
           << (k.bucket.origin ? std::to_string(*k.bucket.origin) : "-") << ", "
           << col_name(k.column) << "), ";
    }
    for (const auto& a : f.aggregates) {
      os << agg_name(a.kind) << "(" << col_name(a.column);
      if (a.time_column >= 0)
        os << ", " << col_name(a.time_column);
      os << ") ";
    }
  } else {
    for (int c : f.projection)
      os << col_name(c) << " ";
  }
  if (f.filter)
    os << " WHERE " << describe(*f.filter);
  if (!f.keys.empty())
    os << " GROUP BY " << f.keys.size() << " keys";
  if (!f.order.empty()) {
    os << " ORDER BY";
    for (const auto& o : f.order)
      os << " " << (o.index + 1) << (o.descending ? " DESC" : "")
         << (o.nulls_first ? " NULLS FIRST" : " NULLS LAST");
  }
  if (f.limit >= 0)
    os << " LIMIT " << f.limit;
  return os.str();
}

// -- the naive reference ------------------------------------------------------

enum class tv { t, f, n };

inline bool holds(cmp_op op, int c) {
  switch (op) {
    case cmp_op::eq: return c == 0;
    case cmp_op::ne: return c != 0;
    case cmp_op::lt: return c < 0;
    case cmp_op::le: return c <= 0;
    case cmp_op::gt: return c > 0;
    case cmp_op::ge: return c >= 0;
  }
  return false;
}

/// SQL's three-valued evaluation of `p` over one row.
inline tv eval(const predicate& p, const row_values& row) {
  using K = predicate::kind;
  switch (p.k) {
    case K::and_: {
      tv r = tv::t;
      for (const auto& c : p.children) {
        tv x = eval(c, row);
        if (x == tv::f)
          return tv::f;
        if (x == tv::n)
          r = tv::n;
      }
      return r;
    }
    case K::or_: {
      tv r = tv::f;
      for (const auto& c : p.children) {
        tv x = eval(c, row);
        if (x == tv::t)
          return tv::t;
        if (x == tv::n)
          r = tv::n;
      }
      return r;
    }
    case K::not_: {
      tv x = eval(p.children[0], row);
      return x == tv::t ? tv::f : x == tv::f ? tv::t : tv::n;
    }
    case K::constant:
      if (p.constant.is_null)
        return tv::n;
      return p.constant.as_double() != 0 ? tv::t : tv::f;
    case K::is_null:
      return row[static_cast<size_t>(p.column)].is_null ? tv::t : tv::f;
    case K::is_not_null:
      return row[static_cast<size_t>(p.column)].is_null ? tv::f : tv::t;
    case K::compare: {
      const value& x = row[static_cast<size_t>(p.column)];
      if (x.is_null || p.constant.is_null)
        return tv::n;
      return holds(p.op, cmp_total(x, p.constant)) ? tv::t : tv::f;
    }
    case K::in_list: {
      const value& x = row[static_cast<size_t>(p.column)];
      if (x.is_null)
        return tv::n;
      bool saw_null = false;
      for (const auto& v : p.list) {
        if (v.is_null)
          saw_null = true;
        else if (cmp_total(x, v) == 0)
          return tv::t;
      }
      return saw_null ? tv::n : tv::f;
    }
  }
  return tv::n;
}

/// The rows a reader at `snap` sees that pass `f`'s filter.
inline std::vector<const row_values*> matching(const std::vector<ref_row>& rows,
                                        const fragment& f, lsn snap) {
  std::vector<const row_values*> out;
  for (const auto& r : rows)
    if (r.at <= snap && (!f.filter || eval(*f.filter, r.v) == tv::t))
      out.push_back(&r.v);
  return out;
}

inline value key_of(const group_key& k, const row_values& row) {
  const value& x = row[static_cast<size_t>(k.column)];
  if (k.k == group_key::kind::column || x.is_null)
    return x;
  if (x.type == column_type::timestamptz)
    return value::of_int(x.type, time_bucket(k.bucket, x.i));
  return value::of_int(x.type, int_bucket(k.bucket.width, x.i, k.bucket.offset));
}

/// One aggregate over the rows of one group, finalized as PostgreSQL would.
inline value ref_aggregate(const aggregate& a, const std::vector<const row_values*>& rows) {
  const column_type t = a.column >= 0 ? type_of(a.column) : column_type::int8;
  auto cell = [&](const row_values* r) -> const value& {
    return (*r)[static_cast<size_t>(a.column)];
  };
  switch (a.kind) {
    case agg_kind::count_star:
      return value::of_int(column_type::int8, static_cast<int64_t>(rows.size()));
    case agg_kind::count: {
      int64_t n = 0;
      for (auto r : rows)
        n += cell(r).is_null ? 0 : 1;
      return value::of_int(column_type::int8, n);
    }
    case agg_kind::sum:
    case agg_kind::avg: {
      int64_t n = 0;
      __int128 isum = 0;
      double fsum = 0;
      for (auto r : rows) {
        const value& x = cell(r);
        if (x.is_null)
          continue;
        ++n;
        if (t == column_type::float8)
          fsum += x.f;
        else
          isum += x.i;
      }
      if (a.kind == agg_kind::avg) {
        if (n == 0)
          return value::null(column_type::float8);
        double s = t == column_type::float8 ? fsum : static_cast<double>(isum);
        return value::of_float(s / static_cast<double>(n));
      }
      if (t == column_type::float8)
        return n == 0 ? value::null(column_type::float8) : value::of_float(fsum);
      if (n == 0)
        return value::null(column_type::int8);
      if (isum > INT64_MAX || isum < INT64_MIN)
        return value::of_float(static_cast<double>(isum));
      return value::of_int(column_type::int8, static_cast<int64_t>(isum));
    }
    case agg_kind::min:
    case agg_kind::max: {
      const value* best = nullptr;
      for (auto r : rows) {
        const value& x = cell(r);
        if (x.is_null)
          continue;
        int c = best ? cmp_total(x, *best) : 0;
        if (!best || (a.kind == agg_kind::min ? c < 0 : c > 0))
          best = &x;
      }
      return best ? *best : value::null(t);
    }
    case agg_kind::first:
    case agg_kind::last: {
      const row_values* best = nullptr;
      for (auto r : rows) {
        const value& tm = (*r)[static_cast<size_t>(a.time_column)];
        if (tm.is_null)
          continue;
        if (!best)
          best = r;
        const value& bt = (*best)[static_cast<size_t>(a.time_column)];
        if (a.kind == agg_kind::first ? tm.i < bt.i : tm.i > bt.i)
          best = r;
      }
      return best ? cell(best) : value::null(t);
    }
  }
  return value::null(t);
}

/// A finalized aggregate result: one row of keys and values per group.
using group_rows = std::map<std::vector<value>, std::vector<value>, values_less>;

inline group_rows reference_aggregate(const std::vector<ref_row>& rows, const fragment& f,
                               lsn snap) {
  std::map<std::vector<value>, std::vector<const row_values*>, values_less> groups;
  if (f.keys.empty())
    groups[{}]; // no GROUP BY: one group even over no rows
  for (const row_values* r : matching(rows, f, snap)) {
    std::vector<value> key;
    for (const auto& k : f.keys)
      key.push_back(key_of(k, *r));
    groups[key].push_back(r);
  }
  group_rows out;
  for (const auto& [key, members] : groups) {
    std::vector<value> aggs;
    for (const auto& a : f.aggregates)
      aggs.push_back(ref_aggregate(a, members));
    out.emplace(key, std::move(aggs));
  }
  return out;
}

inline group_rows finalized(const partial_result& r) {
  group_rows out;
  for (size_t g = 0; g < r.groups(); ++g) {
    std::vector<value> key;
    for (size_t k = 0; k < r.keys.num_columns(); ++k)
      key.push_back(r.keys.at(g, k));
    std::vector<value> aggs;
    for (size_t a = 0; a < r.kinds.size(); ++a) {
      bool text = r.input_types[a] == column_type::text;
      aggs.push_back(finalize(r.kinds[a], r.input_types[a], r.states[a][g],
                              text ? &r.texts[a][g] : nullptr));
    }
    if (!out.emplace(key, std::move(aggs)).second)
      out[{value::of_text("duplicate group " + show(key))}] = {};
  }
  return out;
}

inline bool close_enough(const value& a, const value& b) {
  if (a.type != b.type || a.is_null != b.is_null)
    return false;
  if (a.is_null || a.type != column_type::float8)
    return a == b;
  double scale = std::max({1.0, std::fabs(a.f), std::fabs(b.f)});
  return std::fabs(a.f - b.f) <= 1e-9 * scale;
}

/// The first difference between a result and the reference, or "".
inline std::string diff(const fragment& f, const group_rows& want, const group_rows& got) {
  if (want.size() != got.size())
    return "groups: want " + std::to_string(want.size()) + ", got "
           + std::to_string(got.size())
           + (got.empty() ? "" : ", first got " + show(got.begin()->first))
           + (want.empty() ? "" : ", first want " + show(want.begin()->first));
  for (auto w = want.begin(), g = got.begin(); w != want.end(); ++w, ++g) {
    if (values_less{}(w->first, g->first) || values_less{}(g->first, w->first)
        || w->first != g->first)
      return "group key: want " + show(w->first) + ", got " + show(g->first);
    for (size_t a = 0; a < f.aggregates.size(); ++a) {
      bool approx = f.aggregates[a].kind == agg_kind::sum
                    || f.aggregates[a].kind == agg_kind::avg;
      const value& x = w->second[a];
      const value& y = g->second[a];
      if (approx ? !close_enough(x, y) : !(x == y))
        return "group " + show(w->first) + " aggregate " + std::to_string(a) + " ("
               + agg_name(f.aggregates[a].kind) + "): want " + show(x) + ", got "
               + show(y);
    }
  }
  return {};
}

} // namespace chunk_testing
