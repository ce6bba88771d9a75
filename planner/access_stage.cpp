// The access node's own stages of a SELECT (access_stage.hpp): computed
// columns grouped and aggregated with the chunk kernels, and window
// functions.

#include "planner/access_stage.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <unordered_map>

#include "planner/pg_format.hpp"
#include "planner/select_eval.hpp"

namespace hypertide::planner::detail {

namespace cs = chunkstore;

namespace {

/// The keys of group `g` of `r` as bytes (equal keys, equal bytes).
std::string group_key_bytes(const cs::partial_result& r, size_t g,
                            size_t n = std::numeric_limits<size_t>::max()) {
  std::string k;
  for (size_t i = 0; i < std::min(n, r.keys.num_columns()); ++i) {
    cs::value v = r.keys.at(g, i);
    k += v.is_null ? 'N' : 'V';
    if (v.is_null)
      continue;
    if (v.type == cs::column_type::float8) {
      k.append(reinterpret_cast<const char*>(&v.f), sizeof v.f);
    } else if (v.type == cs::column_type::text) {
      auto n = static_cast<uint32_t>(v.s.size());
      k.append(reinterpret_cast<const char*>(&n), sizeof n);
      k += v.s;
    } else {
      k.append(reinterpret_cast<const char*>(&v.i), sizeof v.i);
    }
  }
  return k;
}

/// Aggregate `a` of `f` over the distinct values of its argument in each
/// group, into `out` (the result of `f` over `rows`): the rows grouped by
/// the keys and the argument, then those groups aggregated by the keys.
void aggregate_distinct(const cs::fragment& f, const cs::table_schema& schema,
                        const cs::batch_view& rows, size_t a, cs::partial_result& out) {
  const cs::aggregate& agg = f.aggregates[a];
  cs::fragment pairs_of;
  pairs_of.table = f.table;
  pairs_of.keys = f.keys;
  pairs_of.keys.push_back(cs::group_key{cs::group_key::kind::column, agg.column, {}});
  cs::partial_result pairs = execute_over(pairs_of, schema, rows);
  const size_t nk = f.keys.size();
  cs::table_schema keyed;
  for (const auto& k : pairs_of.keys)
    keyed.columns.push_back(cs::column_def{"k", cs::key_type(schema, k), false});
  cs::fragment per_group;
  per_group.table = f.table;
  for (size_t k = 0; k < nk; ++k)
    per_group.keys.push_back(cs::group_key{cs::group_key::kind::column, static_cast<int>(k), {}});
  per_group.aggregates.push_back(cs::aggregate{agg.kind, static_cast<int>(nk), -1});
  cs::partial_result once = execute_over(per_group, keyed, pairs.keys.view());
  std::unordered_map<std::string, size_t> group_of;
  for (size_t g = 0; g < once.groups(); ++g)
    group_of.emplace(group_key_bytes(once, g), g);
  const bool text = a < out.texts.size() && !out.texts[a].empty() && !once.texts.empty()
                    && !once.texts[0].empty();
  for (size_t g = 0; g < out.groups(); ++g) {
    auto it = group_of.find(group_key_bytes(out, g));
    out.states[a][g] = it == group_of.end() ? cs::agg_state{} : once.states[0][it->second];
    if (text && it != group_of.end())
      out.texts[a][g] = once.texts[0][it->second];
  }
}

/// percentile_cont / percentile_disc `ps` of column `a`'s argument in each
/// group of `out` (the result of `f` over `rows`): the rows grouped by the
/// keys and the value with their counts, then each group's values walked
/// in order, as PostgreSQL's percentile functions walk the sorted rows.
std::vector<datum> percentile_values(const cs::fragment& f, const cs::table_schema& schema,
                                     const cs::batch_view& rows, size_t a,
                                     const node_aggregate& ps, const cs::partial_result& out) {
  const cs::aggregate& agg = f.aggregates[a];
  const int32_t type = oid_of(schema.columns[static_cast<size_t>(agg.column)]);
  cs::fragment counted;
  counted.table = f.table;
  counted.keys = f.keys;
  counted.keys.push_back(cs::group_key{cs::group_key::kind::column, agg.column, {}});
  counted.aggregates.push_back(cs::aggregate{cs::agg_kind::count_star, -1, -1});
  cs::partial_result pairs = execute_over(counted, schema, rows);
  const size_t nk = f.keys.size();
  std::unordered_map<std::string, std::vector<std::pair<datum, int64_t>>> values_of;
  for (size_t g = 0; g < pairs.groups(); ++g) {
    cs::value v = pairs.keys.at(g, nk);
    if (v.is_null)
      continue; // percentiles skip NULLs
    datum d = from_value(v);
    d.type = type;
    values_of[group_key_bytes(pairs, g, nk)].emplace_back(std::move(d), pairs.states[0][g].count);
  }
  std::vector<datum> result;
  for (size_t g = 0; g < out.groups(); ++g) {
    const int32_t result_type = ps.continuous ? oid::float8 : type;
    auto it = values_of.find(group_key_bytes(out, g));
    if (it == values_of.end() || !ps.fraction) {
      result.push_back(null_of(result_type));
      continue;
    }
    auto& vs = it->second;
    std::sort(vs.begin(), vs.end(), [&](const auto& x, const auto& y) {
      int c = compare(x.first, y.first);
      return ps.descending ? c > 0 : c < 0;
    });
    int64_t n = 0;
    for (const auto& [_, count] : vs)
      n += count;
    // The value of 0-based row `row` of the group in order.
    auto at = [&](int64_t row) -> const datum& {
      for (const auto& [v, count] : vs) {
        if (row < count)
          return v;
        row -= count;
      }
      return vs.back().first;
    };
    const double fr = *ps.fraction;
    if (!ps.continuous) {
      auto row = static_cast<int64_t>(std::ceil(fr * static_cast<double>(n)));
      result.push_back(at(std::max<int64_t>(row, 1) - 1));
      continue;
    }
    const double pos = fr * static_cast<double>(n - 1);
    const auto first_row = static_cast<int64_t>(std::floor(pos));
    const auto second_row = static_cast<int64_t>(std::ceil(pos));
    auto as_double = [](const datum& d) { return is_int(d.type) ? static_cast<double>(d.i) : d.f; };
    double lo = as_double(at(first_row));
    if (second_row == first_row) {
      result.push_back(make_float(lo));
      continue;
    }
    double hi = as_double(at(second_row));
    result.push_back(make_float(lo + (hi - lo) * (pos - static_cast<double>(first_row))));
  }
  return result;
}

/// A double as an integer of the same order (for first/last's ordering).
int64_t ordered_bits(double x) {
  auto bits = std::bit_cast<int64_t>(x == 0 ? 0.0 : x);
  return bits < 0 ? bits ^ INT64_MAX : bits;
}

} // namespace

computed_result aggregate_computed(const computed_columns& c, cs::partial_result r) {
  if (c.pregrouped)
    r.rows = std::move(r.keys); // the distinct (keys, argument) pairs
  const size_t fetched = c.schema.columns.size() - c.exprs.size();
  const size_t n = r.rows.rows();
  std::vector<int32_t> types;
  for (const auto& def : c.schema.columns)
    types.push_back(oid_of(def));
  // The scales of numeric expressions: a column of each value's scale
  // (and one of its value as an ordered integer), and hidden aggregates
  // over them, dropped again below.
  cs::table_schema schema = c.schema;
  cs::fragment f = c.fragment;
  const size_t aggs = f.aggregates.size();
  std::vector<int> scale_col(c.exprs.size(), -1), order_col(c.exprs.size(), -1);
  auto numeric_expr = [&](int col) {
    return col >= static_cast<int>(fetched) && types[static_cast<size_t>(col)] == oid::numeric;
  };
  auto hidden = [&](cs::agg_kind kind, int col, int time_col, bool ordered) {
    size_t e = static_cast<size_t>(col) - fetched;
    if (scale_col[e] < 0) {
      scale_col[e] = static_cast<int>(schema.columns.size());
      schema.columns.push_back(column_of_type("scale", oid::int4));
    }
    if (ordered && order_col[e] < 0) {
      order_col[e] = static_cast<int>(schema.columns.size());
      schema.columns.push_back(column_of_type("order", oid::int8));
    }
    f.aggregates.push_back(cs::aggregate{kind, scale_col[e], ordered ? order_col[e] : time_col});
    return static_cast<int>(f.aggregates.size() - 1);
  };
  std::vector<int> key_hidden(f.keys.size(), -1), agg_hidden(aggs, -1);
  for (size_t k = 0; k < f.keys.size(); ++k)
    if (f.keys[k].k == cs::group_key::kind::column && numeric_expr(f.keys[k].column))
      key_hidden[k] = hidden(cs::agg_kind::max, f.keys[k].column, -1, false);
  for (size_t a = 0; a < aggs; ++a) {
    const auto agg = f.aggregates[a];
    if (!numeric_expr(agg.column))
      continue;
    switch (agg.kind) {
      case cs::agg_kind::sum: agg_hidden[a] = hidden(cs::agg_kind::max, agg.column, -1, false); break;
      case cs::agg_kind::min: agg_hidden[a] = hidden(cs::agg_kind::first, agg.column, -1, true); break;
      case cs::agg_kind::max: agg_hidden[a] = hidden(cs::agg_kind::last, agg.column, -1, true); break;
      case cs::agg_kind::first:
      case cs::agg_kind::last: agg_hidden[a] = hidden(agg.kind, agg.column, agg.time_column, false); break;
      default: break;
    }
  }
  std::vector<cs::column_def> defs(schema.columns.begin() + static_cast<std::ptrdiff_t>(fetched),
                                   schema.columns.end());
  cs::column_batch values{cs::table_schema{defs}};
  values.reserve(n);
  std::vector<std::vector<int>> reads(c.exprs.size());
  for (size_t e = 0; e < c.exprs.size(); ++e)
    columns_of(c.exprs[e], reads[e]);
  std::vector<datum> slots(fetched);
  for (size_t row = 0; row < n; ++row) {
    for (size_t e = 0; e < c.exprs.size(); ++e) {
      for (int col : reads[e])
        slots[static_cast<size_t>(col)] =
          datum_at(r.rows, row, static_cast<size_t>(col), types[static_cast<size_t>(col)]);
      datum v = eval(c.exprs[e], slots);
      if (scale_col[e] >= 0) {
        size_t sc = static_cast<size_t>(scale_col[e]) - fetched;
        if (v.null)
          values.append_null(sc);
        else
          values.append_int(sc, std::max(numeric_scale(v), 0));
      }
      if (order_col[e] >= 0) {
        size_t oc = static_cast<size_t>(order_col[e]) - fetched;
        if (v.null)
          values.append_null(oc);
        else
          values.append_int(oc, ordered_bits(v.f));
      }
      append_datum(values, e, v);
    }
  }
  values.set_rows(n);
  cs::batch_view all = r.rows.view();
  for (auto& v : values.view().columns)
    all.columns.push_back(std::move(v));
  computed_result out;
  out.r = execute_over(f, schema, all);
  out.r.stats = r.stats;
  for (size_t a = 0; a < aggs; ++a)
    if (a < c.distinct.size() && c.distinct[a])
      aggregate_distinct(f, schema, all, a, out.r);
  out.agg_values.resize(aggs);
  for (size_t a = 0; a < aggs; ++a)
    if (a < c.node_aggregates.size() && c.node_aggregates[a]) {
      const auto& na = *c.node_aggregates[a];
      if (na.kind == node_aggregate::what::percentile) {
        out.agg_values[a] = percentile_values(f, schema, all, a, na, out.r);
        continue;
      }
      // bool_and / bool_or: the min / max of the argument as 0 or 1.
      for (size_t g = 0; g < out.r.groups(); ++g) {
        cs::value v = out.r.final_value(a, g);
        out.agg_values[a].push_back(v.is_null ? null_of(oid::bool_)
                                              : make_int(oid::bool_, v.i != 0 ? 1 : 0));
      }
    }
  auto scales_of = [&](int a) {
    std::vector<int> s;
    for (size_t g = 0; a >= 0 && g < out.r.groups(); ++g) {
      cs::value v = out.r.final_value(static_cast<size_t>(a), g);
      s.push_back(v.is_null ? -1 : static_cast<int>(v.i));
    }
    return s;
  };
  for (int a : key_hidden)
    out.key_scales.push_back(scales_of(a));
  for (int a : agg_hidden)
    out.agg_scales.push_back(scales_of(a));
  out.r.kinds.resize(aggs);
  out.r.input_types.resize(aggs);
  out.r.states.resize(aggs);
  if (out.r.texts.size() > aggs)
    out.r.texts.resize(aggs);
  return out;
}

namespace {

/// -1, 0, 1 ordering two values of a sort key (NULLs where `nulls_first`
/// puts them).
int sort_compare(const datum& x, const datum& y, bool descending, bool nulls_first) {
  if (x.null || y.null) {
    if (x.null && y.null)
      return 0;
    return x.null == nulls_first ? -1 : 1;
  }
  int c = compare(x, y);
  return descending ? -c : c;
}

/// The running sum, count, min and max of a window aggregate's frame.
struct window_accumulator {
  int64_t count = 0;
  __int128 isum = 0;
  double fsum = 0;
  int scale = -1;
  std::optional<datum> best; ///< min or max

  void add(const window_call& w, const datum& v) {
    if (w.star) {
      ++count;
      return;
    }
    if (v.null)
      return;
    ++count;
    if (w.name == "min" || w.name == "max") {
      int c = best ? compare(v, *best) : 0;
      if (!best || (w.name == "min" ? c < 0 : c > 0))
        best = v;
    } else if (is_int(v.type)) {
      isum += v.i;
      fsum += static_cast<double>(v.i);
    } else {
      fsum += v.f;
      scale = std::max(scale, numeric_scale(v));
    }
  }

  datum value(const window_call& w, int32_t input) const {
    if (w.name == "count")
      return make_int(oid::int8, count);
    if (count == 0)
      return null_of(w.type);
    if (w.name == "min" || w.name == "max") {
      datum d = *best;
      d.type = w.type;
      return d;
    }
    if (is_int(input)) {
      if (w.name == "avg") {
        datum d = numeric_at_scale(static_cast<double>(isum) / static_cast<double>(count), 0);
        d.s = format_numeric_avg(isum, count);
        return d;
      }
      if (w.type == oid::int8) {
        if (isum > INT64_MAX || isum < INT64_MIN)
          fail("22003", "bigint out of range");
        return make_int(oid::int8, static_cast<int64_t>(isum));
      }
      datum d = numeric_at_scale(static_cast<double>(isum), 0);
      d.s = format_int128(isum);
      return d;
    }
    double x = w.name == "avg" ? fsum / static_cast<double>(count) : fsum;
    if (w.type == oid::numeric)
      return w.name == "sum" && scale >= 0 ? numeric_at_scale(x, scale)
                                           : numeric_at_scale(x, 16); // PostgreSQL: 16 digits or more
    datum d = make_float(x);
    d.type = w.type;
    return w.type == oid::float4 ? narrowed(d, w.type, -1) : d;
  }
};

} // namespace

bool same_window(const window_call& a, const window_call& b) {
  if (a.partition.size() != b.partition.size() || a.order.size() != b.order.size())
    return false;
  for (size_t i = 0; i < a.partition.size(); ++i)
    if (!same(a.partition[i], b.partition[i]))
      return false;
  for (size_t i = 0; i < a.order.size(); ++i)
    if (!same(a.order[i].e, b.order[i].e) || a.order[i].descending != b.order[i].descending
        || a.order[i].nulls_first != b.order[i].nulls_first)
      return false;
  return true;
}

std::vector<datum> window_values(const window_call& w, const std::vector<std::vector<datum>>& rows,
                                 window_order& sorted) {
  const size_t n = rows.size();
  auto& part = sorted.part;
  auto& ord = sorted.ord;
  const bool fresh = sorted.idx.size() != n || n == 0;
  if (fresh) {
    part.assign(n, {});
    ord.assign(n, {});
    for (size_t i = 0; i < n; ++i) {
      for (const auto& p : w.partition)
        part[i].push_back(eval(p, rows[i]));
      for (const auto& o : w.order)
        ord[i].push_back(eval(o.e, rows[i]));
    }
  }
  auto part_cmp = [&](size_t a, size_t b) {
    for (size_t k = 0; k < w.partition.size(); ++k)
      if (int c = sort_compare(part[a][k], part[b][k], false, false))
        return c;
    return 0;
  };
  auto ord_cmp = [&](size_t a, size_t b) {
    for (size_t k = 0; k < w.order.size(); ++k)
      if (int c = sort_compare(ord[a][k], ord[b][k], w.order[k].descending, w.order[k].nulls_first))
        return c;
    return 0;
  };
  auto& idx = sorted.idx;
  if (fresh) {
    idx.resize(n);
    for (size_t i = 0; i < n; ++i)
      idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      int c = part_cmp(a, b);
      return c != 0 ? c < 0 : ord_cmp(a, b) < 0;
    });
  }
  const int32_t input = w.args.empty() ? oid::int8 : w.args[0].type;
  auto arg_at = [&](size_t j) { return eval(w.args[0], rows[idx[j]]); };
  std::vector<datum> out(n);
  for (size_t ps = 0; ps < n;) {
    size_t pe = ps + 1;
    while (pe < n && part_cmp(idx[ps], idx[pe]) == 0)
      ++pe;
    window_accumulator acc;
    int64_t dense = 0;
    for (size_t gs = ps; gs < pe;) {
      size_t ge = gs + 1; // the current row's peers: equal in every ORDER BY key
      while (ge < pe && ord_cmp(idx[gs], idx[ge]) == 0)
        ++ge;
      ++dense;
      const bool aggregate = w.name == "count" || w.name == "sum" || w.name == "avg"
                             || w.name == "min" || w.name == "max";
      if (aggregate)
        for (size_t j = gs; j < ge; ++j)
          acc.add(w, w.star ? datum{} : arg_at(j));
      for (size_t j = gs; j < ge; ++j) {
        datum& d = out[idx[j]];
        if (w.name == "row_number") {
          d = make_int(oid::int8, static_cast<int64_t>(j - ps + 1));
        } else if (w.name == "rank") {
          d = make_int(oid::int8, static_cast<int64_t>(gs - ps + 1));
        } else if (w.name == "dense_rank") {
          d = make_int(oid::int8, dense);
        } else if (w.name == "lag" || w.name == "lead") {
          int64_t off = w.args.size() > 1 ? w.args[1].value.i : 1;
          if (w.args.size() > 1 && w.args[1].value.null) {
            d = null_of(w.type);
            continue;
          }
          int64_t at = static_cast<int64_t>(j) + (w.name == "lag" ? -off : off);
          if (at >= static_cast<int64_t>(ps) && at < static_cast<int64_t>(pe))
            d = arg_at(static_cast<size_t>(at));
          else
            d = w.args.size() > 2 ? eval(w.args[2], rows[idx[j]]) : null_of(w.type);
          d.type = d.null ? w.type : d.type;
        } else if (w.name == "first_value") {
          d = arg_at(ps);
        } else if (w.name == "last_value") {
          d = arg_at(ge - 1); // the frame ends at the current row's last peer
        } else {
          d = acc.value(w, input);
        }
      }
      gs = ge;
    }
    ps = pe;
  }
  return out;
}

} // namespace hypertide::planner::detail
