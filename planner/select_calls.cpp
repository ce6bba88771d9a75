// The binder's aggregate and window function calls (select_binder.hpp),
// out of line: the largest of its members, and needed only where
// plan_select binds.

#include "planner/select_binder.hpp"

#include <cmath>

namespace hypertide::planner::detail {

bexpr binder::bind_window(const std::string& name, const PgQuery__FuncCall* f) {
  if (!window_context && no_from)
    fail("0A000", "window functions in a SELECT without FROM are not supported yet",
         f->location);
  if (!window_context)
    fail("42P20", "window functions are not allowed here", f->location);
  const auto* w = f->over;
  if (has(w->name) || has(w->refname))
    fail("0A000", "named windows (OVER w) are not supported yet", w->location);
  if ((w->frame_options & 1) != 0) // FRAMEOPTION_NONDEFAULT: a frame clause
    fail("0A000", "window frame clauses are not supported yet", w->location);
  if (f->agg_distinct || f->agg_filter || f->n_agg_order > 0)
    fail("0A000", "DISTINCT, FILTER and ORDER BY in window functions are not supported yet",
         f->location);
  window_call c;
  c.name = name;
  c.star = f->agg_star;
  window_context = false; // window calls do not nest
  struct restore {
    bool& flag;
    ~restore() { flag = true; }
  } back{window_context};
  for (size_t i = 0; i < f->n_args; ++i)
    c.args.push_back(fold(bind(f->args[i])));
  for (size_t i = 0; i < w->n_partition_clause; ++i)
    c.partition.push_back(fold(bind(w->partition_clause[i])));
  for (size_t i = 0; i < w->n_order_clause; ++i) {
    const auto* sb = w->order_clause[i]->sort_by;
    if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
      fail("0A000", "ORDER BY USING is not supported", f->location);
    sort_spec k;
    k.e = fold(bind(sb->node));
    k.descending = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
    k.nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST
                    || (sb->sortby_nulls != PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST
                        && k.descending);
    c.order.push_back(std::move(k));
  }
  const size_t n = c.args.size();
  auto arity = [&](size_t lo, size_t hi) {
    if (c.star || n < lo || n > hi)
      fail("42883", "function " + name + "() with " + std::to_string(n) + " argument"
                      + (n == 1 ? "" : "s") + " does not exist", f->location);
  };
  auto arg_type = [&] { return c.args[0].type == oid::unknown ? oid::text : c.args[0].type; };
  if (name == "row_number" || name == "rank" || name == "dense_rank") {
    arity(0, 0);
    c.type = oid::int8;
  } else if (name == "lag" || name == "lead") {
    arity(1, 3);
    if (c.args[0].type == oid::unknown)
      fail("42804", "could not determine polymorphic type because input has type unknown",
           f->location);
    c.type = c.args[0].type;
    auto signature = [&] {
      std::string sig;
      for (size_t i = 0; i < n; ++i)
        sig += (i > 0 ? ", " : "") + std::string{type_name(c.args[i].type)};
      return "function " + name + "(" + sig + ") does not exist";
    };
    if (n > 1 && c.args[1].type != oid::int4 && c.args[1].type != oid::int2
        && c.args[1].type != oid::unknown)
      fail("42883", signature(), f->location);
    if (n > 1 && c.args[1].k != bexpr::kind::constant)
      fail("0A000", name + "() with an offset that is not a constant is not supported yet",
           f->location);
    if (n > 1 && c.args[1].type == oid::unknown)
      c.args[1] = constant(cast_datum(c.args[1].value, oid::int4, f->location));
    if (n > 2 && c.args[2].type == oid::unknown) {
      // An untyped literal or NULL takes the value's type.
      c.args[2] = constant(c.args[2].value.null ? null_of(c.type)
                                                : cast_datum(c.args[2].value, c.type, f->location));
    } else if (n > 2 && c.args[2].type != c.type) {
      // The value and the default resolve to their common type, as
      // PostgreSQL's anycompatible does (lag(int, 1, bigint) is bigint).
      auto kind = [](int32_t t) {
        return is_number(t) ? 1 : is_time(t) ? 2 : t == oid::bool_ ? 3 : t == oid::interval ? 4 : 0;
      };
      if (kind(c.args[0].type) != kind(c.args[2].type))
        fail("42883", signature(), f->location);
      int32_t t = common_type(c.args[0].type, c.args[2].type, name.c_str(), f->location);
      for (size_t i : {size_t{0}, size_t{2}})
        if (c.args[i].type != t) {
          bexpr cast;
          cast.k = bexpr::kind::func;
          cast.name = "::";
          cast.type = t;
          cast.args = {std::move(c.args[i])};
          c.args[i] = fold(std::move(cast));
        }
      c.type = t;
    }
  } else if (name == "first_value" || name == "last_value") {
    arity(1, 1);
    if (c.args[0].type == oid::unknown)
      fail("42804", "could not determine polymorphic type because input has type unknown",
           f->location);
    c.type = arg_type();
  } else if (name == "count") {
    if (!c.star)
      arity(1, 1);
    c.type = oid::int8;
  } else if (name == "sum" || name == "avg" || name == "min" || name == "max") {
    arity(1, 1);
    int32_t in = arg_type();
    bool number = is_number(in);
    if ((name == "sum" || name == "avg") && !number)
      fail("42883", "function " + name + "(" + type_name(in) + ") does not exist", f->location);
    if ((name == "min" || name == "max") && in == oid::bool_)
      fail("42883", "function " + name + "(boolean) does not exist", f->location);
    c.type = name == "sum"   ? (is_float(in) ? in : in == oid::int4 || in == oid::int2 ? oid::int8 : oid::numeric)
             : name == "avg" ? (is_float(in) ? oid::float8 : oid::numeric)
                             : in;
  } else {
    fail("0A000", "window function " + name + "() is not supported yet", f->location);
  }
  plan->windows.push_back(std::move(c));
  bexpr e;
  e.k = bexpr::kind::window;
  e.index = static_cast<int>(plan->windows.size() - 1);
  e.type = plan->windows.back().type;
  return e;
}

bexpr binder::bind_aggregate(const std::string& name, const PgQuery__FuncCall* f) {
  const bool percentile = name == "percentile_cont" || name == "percentile_disc";
  if (percentile && !f->agg_within_group)
    fail("42883", "function " + name + "() does not exist without WITHIN GROUP (ORDER BY ...)",
         f->location);
  if (!percentile && f->agg_within_group)
    fail("0A000", "WITHIN GROUP is supported for percentile_cont and percentile_disc only",
         f->location);
  if (f->n_agg_order > 0 && !percentile)
    fail("0A000", "ORDER BY in aggregates is not supported yet", f->location);
  const bool distinct = f->agg_distinct;
  if (distinct && name != "count" && name != "sum" && name != "avg" && name != "min"
      && name != "max")
    fail("0A000", "DISTINCT is supported in count, sum, avg, min and max only", f->location);
  cs::aggregate a;
  int32_t input = oid::int8;
  // Binds an argument (or FILTER's condition) over the table's columns:
  // no aggregate and no window call inside.
  auto raw_arg = [&](const node* n, bool in_filter = false) {
    bool saved = agg_context, saved_window = window_context;
    agg_context = false;
    window_context = false;
    bexpr c;
    try {
      c = value_preserving_column(fold(bind(n)));
    } catch (const bind_failure& e) {
      agg_context = saved;
      window_context = saved_window;
      const auto& err = e.err.error;
      const int32_t at = e.err.position - 1; // fail() counts from 0
      if (err.sqlstate == "42803" && err.message.find("not allowed here") != std::string::npos)
        fail("42803", in_filter ? "aggregate functions are not allowed in FILTER"
                                : "aggregate function calls cannot be nested", at);
      if (err.sqlstate == "42P20")
        fail(in_filter ? "42P20" : "42803",
             in_filter ? "window functions are not allowed in FILTER"
                       : "aggregate function calls cannot contain window function calls",
             at);
      throw;
    }
    agg_context = saved;
    window_context = saved_window;
    return c;
  };
  // FILTER (WHERE c): the argument is CASE WHEN c THEN x END, which is
  // NULL (skipped by every aggregate) where c is not TRUE.
  std::optional<bexpr> filter;
  if (f->agg_filter) {
    bexpr c = raw_arg(f->agg_filter, true);
    if (c.type != oid::bool_ && !(c.k == bexpr::kind::constant && c.value.null))
      fail("42804", std::string{"argument of FILTER must be type boolean, not type "}
                      + type_name(c.type), f->location);
    filter = std::move(c);
  }
  auto filtered = [&](bexpr x) {
    if (!filter)
      return x;
    bexpr e;
    e.k = bexpr::kind::func;
    e.name = "case";
    e.type = x.type == oid::unknown ? oid::text : x.type;
    e.args = {*filter, std::move(x)};
    return e;
  };
  // The argument as a column: a column, else an expression computed per
  // row.
  auto as_column = [&](bexpr c) {
    if (c.k != bexpr::kind::column) {
      bexpr ref;
      ref.k = bexpr::kind::column;
      ref.type = c.type == oid::unknown ? oid::text : c.type;
      ref.index = computed_column(std::move(c), f->location);
      c = std::move(ref);
    }
    return c;
  };
  auto column_arg = [&](const node* n) { return as_column(filtered(raw_arg(n))); };
  std::optional<node_aggregate> spec;
  if (percentile) {
    // percentile_cont(f) WITHIN GROUP (ORDER BY x): the fraction a
    // constant, x any column or expression (a number for _cont).
    if (f->n_args != 1 || f->n_agg_order != 1)
      fail("42883", "function " + name + "() takes one fraction and one ORDER BY expression",
           f->location);
    bexpr fr = raw_arg(f->args[0]);
    if (fr.k != bexpr::kind::constant || !(is_number(fr.type) || fr.type == oid::unknown))
      fail("0A000", name + "() with a fraction that is not a number constant is not supported yet",
           f->location);
    node_aggregate ps;
    ps.continuous = name == "percentile_cont";
    if (!fr.value.null) {
      datum d = cast_datum(fr.value, oid::float8, f->location);
      if (!(d.f >= 0 && d.f <= 1))
        fail("22003", "percentile value " + format_float8(d.f) + " is not between 0 and 1");
      ps.fraction = d.f;
    }
    const auto* sb = f->agg_order[0]->sort_by;
    if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
      fail("0A000", "ORDER BY USING is not supported", f->location);
    ps.descending = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
    bexpr c = as_column(filtered(raw_arg(sb->node)));
    if (ps.continuous && !is_number(c.type))
      fail("42883", std::string{"function percentile_cont("}
                      + type_name(fr.type == oid::unknown ? oid::numeric : fr.type) + ", "
                      + type_name(c.type) + ") does not exist", f->location);
    a.kind = cs::agg_kind::count; // a placeholder: the access node computes it
    a.column = c.index;
    input = c.type;
    spec = ps;
  } else if (name == "bool_and" || name == "bool_or" || name == "every") {
    // The min (bool_and, every) or max (bool_or) of CASE WHEN x THEN 1
    // ELSE 0 END, turned back into a boolean on the access node.
    if (f->n_args != 1 || f->agg_star)
      fail("42883", "function " + name + "() takes one argument", f->location);
    bexpr x = raw_arg(f->args[0]);
    if (x.k == bexpr::kind::constant && x.type == oid::unknown)
      x = constant(cast_datum(x.value, oid::bool_, f->location));
    if (x.type != oid::bool_)
      fail("42883", "function " + name + "(" + type_name(x.type) + ") does not exist",
           f->location);
    bexpr as_int;
    as_int.k = bexpr::kind::func;
    as_int.name = "::";
    as_int.type = oid::int4;
    as_int.args = {std::move(x)};
    a.kind = name == "bool_or" ? cs::agg_kind::max : cs::agg_kind::min;
    a.column = as_column(filtered(std::move(as_int))).index;
    input = oid::bool_;
    node_aggregate na;
    na.kind = name == "bool_or" ? node_aggregate::what::bool_or : node_aggregate::what::bool_and;
    spec = na;
  } else if (name == "count" && f->agg_star && !filter) {
    a.kind = cs::agg_kind::count_star;
  } else if (name == "count" && f->agg_star) {
    a.kind = cs::agg_kind::count; // count(*) FILTER: count(CASE WHEN c THEN 1 END)
    a.column = as_column(filtered(constant(make_int(oid::int4, 1)))).index;
  } else {
    size_t want = (name == "first" || name == "last") ? 2 : 1;
    if (f->n_args != want)
      fail("42883", "function " + name + "() takes " + std::to_string(want) + " argument"
                      + (want > 1 ? "s" : ""), f->location);
    bexpr c = column_arg(f->args[0]);
    a.column = c.index;
    input = c.type;
    a.kind = name == "count" ? cs::agg_kind::count
             : name == "sum" ? cs::agg_kind::sum
             : name == "min" ? cs::agg_kind::min
             : name == "max" ? cs::agg_kind::max
             : name == "avg" ? cs::agg_kind::avg
             : name == "first" ? cs::agg_kind::first
                               : cs::agg_kind::last;
    if (want == 2)
      a.time_column = column_arg(f->args[1]).index;
    if ((a.kind == cs::agg_kind::min || a.kind == cs::agg_kind::max) && input == oid::bool_)
      fail("42883", "function " + name + "(boolean) does not exist", f->location);
  }
  // min and max are the same over distinct values.
  const bool counted_once = distinct && a.kind != cs::agg_kind::min && a.kind != cs::agg_kind::max;
  auto& aggs = plan->fragment.aggregates;
  distinct_aggregates.resize(aggs.size(), false);
  node_aggregates.resize(aggs.size());
  int index = -1;
  for (size_t i = 0; i < aggs.size(); ++i)
    if (aggs[i].kind == a.kind && aggs[i].column == a.column
        && aggs[i].time_column == a.time_column && distinct_aggregates[i] == counted_once
        && node_aggregates[i] == spec)
      index = static_cast<int>(i);
  if (index < 0) {
    aggs.push_back(a);
    distinct_aggregates.push_back(counted_once);
    node_aggregates.push_back(spec);
    index = static_cast<int>(aggs.size() - 1);
  }
  bexpr e;
  e.k = bexpr::kind::agg;
  e.index = index;
  if (spec) {
    e.type = spec->kind != node_aggregate::what::percentile ? oid::bool_
             : spec->continuous                             ? oid::float8
                                                            : input;
    return e;
  }
  switch (a.kind) {
    case cs::agg_kind::count_star:
    case cs::agg_kind::count:
      e.type = oid::int8;
      break;
    case cs::agg_kind::sum: // PostgreSQL: sum(real) is real, sum(smallint) bigint
      e.type = is_float(input)                                ? input
               : input == oid::int4 || input == oid::int2 ? oid::int8
                                                          : oid::numeric;
      break;
    case cs::agg_kind::avg:
      e.type = is_float(input) ? oid::float8 : oid::numeric;
      break;
    default:
      e.type = input;
  }
  return e;
}

} // namespace hypertide::planner::detail
