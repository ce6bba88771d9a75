// The binder's operators and function calls (select_binder.hpp), out of
// line: operator expressions (arithmetic, comparison, LIKE, NULLIF, IN,
// BETWEEN) with their operands' unification, and scalar function calls
// with date_trunc.

#include "planner/select_binder.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "planner/sql_session.hpp"

namespace hypertide::planner::detail {

void binder::unify(bexpr& a, bexpr& b, int32_t location) {
  if (a.type == b.type)
    return;
  if (a.k == bexpr::kind::constant && a.type == oid::unknown) {
    a = constant(coerce(a.value, b.type == oid::unknown ? oid::text : b.type, location));
    return;
  }
  if (b.k == bexpr::kind::constant && b.type == oid::unknown) {
    b = constant(coerce(b.value, a.type, location));
    return;
  }
  if (is_time(a.type) && is_time(b.type)) {
    // timestamptz against timestamp: the same instant in UTC.
    if (b.k == bexpr::kind::constant)
      b = constant(coerce(b.value, a.type, location));
    else if (a.k == bexpr::kind::constant)
      a = constant(coerce(a.value, b.type, location));
    return;
  }
  if (is_number(a.type) && is_number(b.type)) {
    auto rank = [](int32_t t) {
      return t == oid::int2     ? 0
             : t == oid::int4    ? 1
             : t == oid::int8    ? 2
             : t == oid::numeric ? 3
             : t == oid::float4  ? 4
                                 : 5;
    };
    int32_t wide = rank(a.type) >= rank(b.type) ? a.type : b.type;
    // real meets an exact number: both become float8, as PostgreSQL
    // picks float8 (its preferred numeric type) for real * integer.
    if (wide == oid::float4 && (a.type != oid::float4 || b.type != oid::float4))
      wide = oid::float8;
    if (a.k == bexpr::kind::constant && a.type != wide)
      a = constant(coerce(a.value, wide, location));
    if (b.k == bexpr::kind::constant && b.type != wide)
      b = constant(coerce(b.value, wide, location));
  }
}

bexpr binder::negated(bexpr e) {
  bexpr n;
  n.k = bexpr::kind::not_;
  n.type = oid::bool_;
  n.args.push_back(std::move(e));
  return n;
}

bexpr binder::bind_a_expr(const PgQuery__AExpr* x) {
  std::string op = x->n_name > 0 ? last_name(x->n_name, x->name) : "";
  switch (x->kind) {
    case PG_QUERY__A__EXPR__KIND__AEXPR_OP: {
      bexpr e;
      e.k = bexpr::kind::op;
      e.name = op;
      if (x->lexpr == nullptr) { // prefix: - and + of a number or interval
        e.args.push_back(bind(x->rexpr));
        e.type = e.args[0].type;
        if (op != "-" && op != "+")
          fail("0A000", "prefix operator " + op + " is not supported yet", x->location);
        if (e.type == oid::unknown && e.args[0].k == bexpr::kind::constant
            && !e.args[0].value.null)
          fail("42725", "operator is not unique: " + op + " unknown", x->location);
        if (!is_number(e.type) && !(e.type == oid::interval && op == "-")
            && e.type != oid::unknown)
          fail("42883", "operator does not exist: " + op + " " + type_name(e.type),
               x->location);
        return fold(std::move(e));
      }
      bexpr l = bind(x->lexpr), r = bind(x->rexpr);
      if (op == "||") {
        // text || anything: quoted literals are text, the other side is
        // written as text (PostgreSQL's anynonarray || text).
        for (bexpr* side : {&l, &r})
          if (side->k == bexpr::kind::constant && side->type == oid::unknown)
            *side = constant(coerce(side->value, oid::text, x->location));
        auto texty = [](int32_t t) { return t == oid::text || t == oid::varchar; };
        if (!texty(l.type) && !texty(r.type))
          fail("42883", std::string{"operator does not exist: "} + type_name(l.type) + " || "
                          + type_name(r.type), x->location);
        e.type = oid::text;
        e.args = {std::move(l), std::move(r)};
        return fold(std::move(e));
      }
      if (op == "+" || op == "-") {
        // timestamptz +/- 'unknown' means an interval.
        if (is_time(l.type) && r.k == bexpr::kind::constant && r.type == oid::unknown)
          r = constant(coerce(r.value, oid::interval, x->location));
      }
      if (op == "%" && (is_float(l.type) || is_float(r.type)))
        fail("42883", "operator does not exist: " + std::string{type_name(l.type)} + " % "
                        + type_name(r.type), x->location);
      unify(l, r, x->location);
      bool cmp = op == "=" || op == "<>" || op == "!=" || op == "<" || op == "<=" || op == ">"
                 || op == ">=";
      if (cmp && l.type != oid::unknown && r.type != oid::unknown) {
        // Values of different kinds have no comparison (text = bigint).
        auto kind = [](int32_t t) {
          return is_number(t) ? 1 : is_time(t) ? 2 : t == oid::bool_ ? 3
                 : t == oid::interval ? 4 : 0;
        };
        if (kind(l.type) != kind(r.type))
          fail("42883", "operator does not exist: " + std::string{type_name(l.type)} + " "
                          + op + " " + type_name(r.type), x->location);
      }
      if (cmp)
        e.type = oid::bool_;
      else if (is_time(l.type) && is_time(r.type) && op == "-")
        e.type = oid::interval;
      else if (is_time(l.type))
        e.type = l.type;
      else if (is_time(r.type))
        e.type = r.type;
      else if (l.type == oid::interval && r.type == oid::interval)
        e.type = oid::interval;
      else if (l.type == oid::float4 && r.type == oid::float4)
        e.type = oid::float4; // real op real is real; real with anything else, float8
      else if (is_float(l.type) || is_float(r.type))
        e.type = oid::float8;
      else if (l.type == oid::numeric || r.type == oid::numeric)
        e.type = oid::numeric;
      else if (l.type == oid::int8 || r.type == oid::int8)
        e.type = oid::int8;
      else
        e.type = l.type;
      e.args = {std::move(l), std::move(r)};
      return fold(std::move(e));
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
    case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE: {
      // s [NOT] [I]LIKE pattern (~~, !~~, ~~*, !~~*).
      bexpr l = fold(bind(x->lexpr)), r = fold(bind(x->rexpr));
      for (bexpr* side : {&l, &r})
        if (side->k == bexpr::kind::constant && side->type == oid::unknown)
          *side = constant(cast_datum(side->value, oid::text, x->location));
      auto texty = [](int32_t t) { return t == oid::text || t == oid::varchar; };
      if (!texty(l.type) || !texty(r.type))
        fail("42883", std::string{"operator does not exist: "} + type_name(l.type) + " " + op
                        + " " + type_name(r.type), x->location);
      bexpr e;
      e.k = bexpr::kind::func;
      e.name = x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE ? "ilike" : "like";
      e.type = oid::bool_;
      e.args = {std::move(l), std::move(r)};
      return fold(op.rfind("!", 0) == 0 ? negated(std::move(e)) : std::move(e));
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF: {
      bexpr l = fold(bind(x->lexpr)), r = fold(bind(x->rexpr));
      unify(l, r, x->location);
      int32_t t = l.type == oid::unknown ? oid::text : l.type;
      if (l.k == bexpr::kind::constant && l.type == oid::unknown)
        l = constant(cast_datum(l.value, t, x->location));
      bexpr e;
      e.k = bexpr::kind::func;
      e.name = "nullif";
      e.type = t;
      e.args = {std::move(l), std::move(r)};
      return fold(std::move(e));
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_IN: {
      bexpr e;
      e.k = bexpr::kind::in_list;
      e.type = oid::bool_;
      bexpr v = bind(x->lexpr);
      e.args.push_back(v);
      if (x->rexpr->node_case != PG_QUERY__NODE__NODE_LIST)
        fail("0A000", "IN (subquery) is not supported yet", x->location);
      bool all_constant = true;
      for (size_t i = 0; i < x->rexpr->list->n_items; ++i) {
        bexpr item = bind(x->rexpr->list->items[i]);
        bexpr vv = v;
        unify(vv, item, x->location);
        all_constant = all_constant && item.k == bexpr::kind::constant;
        e.args.push_back(std::move(item));
      }
      if (all_constant && e.args.size() > 16) {
        std::vector<datum> values;
        for (size_t i = 1; i < e.args.size(); ++i) {
          if (e.args[i].value.null)
            e.in_has_null = true;
          else
            values.push_back(e.args[i].value);
        }
        std::sort(values.begin(), values.end(),
                  [](const datum& a, const datum& b) { return compare(a, b) < 0; });
        e.in_sorted = std::make_shared<const std::vector<datum>>(std::move(values));
      }
      return fold(op == "<>" ? negated(std::move(e)) : std::move(e));
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
    case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN: {
      const auto* l = x->rexpr->list;
      bexpr v = bind(x->lexpr);
      bexpr lo = bind(l->items[0]), hi = bind(l->items[1]);
      bexpr v1 = v, v2 = v;
      unify(v1, lo, x->location);
      unify(v2, hi, x->location);
      bexpr ge;
      ge.k = bexpr::kind::op;
      ge.name = ">=";
      ge.type = oid::bool_;
      ge.args = {v1, lo};
      bexpr le = ge;
      le.name = "<=";
      le.args = {v2, hi};
      bexpr both;
      both.k = bexpr::kind::and_;
      both.type = oid::bool_;
      both.args = {ge, le};
      if (x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN) {
        bexpr n;
        n.k = bexpr::kind::not_;
        n.type = oid::bool_;
        n.args.push_back(std::move(both));
        return fold(std::move(n));
      }
      return fold(std::move(both));
    }
    default:
      fail("0A000", "this operator form is not supported yet", x->location);
  }
}

bexpr binder::bind_func(const PgQuery__FuncCall* f) {
  std::string name = last_name(f->n_funcname, f->funcname);
  if (f->over)
    return bind_window(name, f);
  if (is_window_only(name))
    fail("42809", "window function " + name + " requires an OVER clause", f->location);
  if (is_aggregate_name(name)) {
    if (!agg_context)
      fail("42803", "aggregate functions are not allowed here", f->location);
    return bind_aggregate(name, f);
  }
  if (name == "now" && f->n_args == 0)
    return constant(make_int(oid::timestamptz, now));
  if (name == "version" && f->n_args == 0)
    return constant(make_text(std::string{"PostgreSQL "} + sql_session::server_version
                              + " on x86_64-pc-linux-gnu, an in-memory time-series database"));
  if (name == "pg_typeof" && f->n_args == 1) {
    // The argument's type by name (PostgreSQL returns regtype, which
    // prints the same; here it is text).
    bexpr arg = bind(f->args[0]);
    return constant(make_text(type_name(arg.type)));
  }
  if (name == "current_setting" && f->n_args == 1 && setting != nullptr) {
    bexpr arg = fold(bind(f->args[0]));
    if (arg.k != bexpr::kind::constant)
      fail("0A000", "current_setting() of an expression is not supported", f->location);
    if (arg.value.null)
      return constant(null_of(oid::text));
    auto v = (*setting)(arg.value.s);
    if (!v)
      fail("42704", "unrecognized configuration parameter \"" + arg.value.s + "\"", f->location);
    return constant(make_text(*v));
  }
  if (name == "time_bucket") {
    if (f->n_args < 2 || f->n_args > 3)
      fail("42883", "function time_bucket() needs 2 or 3 arguments", f->location);
    bexpr e;
    e.k = bexpr::kind::func;
    e.name = name;
    bexpr width = fold(bind(f->args[0]));
    bexpr ts = bind(f->args[1]);
    if (ts.type == oid::unknown && ts.k == bexpr::kind::constant)
      ts = constant(coerce(ts.value, oid::timestamptz, f->location));
    if (is_time(ts.type)) {
      if (width.k == bexpr::kind::constant && width.type == oid::unknown)
        width = constant(coerce(width.value, oid::interval, f->location));
      if (width.type != oid::interval)
        fail("42883", std::string{"function time_bucket("} + type_name(width.type) + ", "
                        + type_name(ts.type) + ") does not exist", f->location);
    } else if (is_int(ts.type)) {
      if (!is_int(width.type))
        fail("42883", "function time_bucket() needs an integer width for an integer time",
             f->location);
    } else {
      fail("42883", std::string{"function time_bucket(interval, "} + type_name(ts.type)
                      + ") does not exist", f->location);
    }
    e.type = ts.type;
    e.args = {width, ts};
    if (f->n_args == 3) {
      const node* third = f->args[2];
      bool named_origin = false;
      if (third->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR) {
        named_origin = std::string{third->named_arg_expr->name} == "origin";
        third = third->named_arg_expr->arg;
      }
      bexpr extra = fold(bind(third));
      if (extra.k == bexpr::kind::constant && extra.type == oid::unknown)
        extra = constant(coerce(extra.value, named_origin ? oid::timestamptz : oid::interval,
                                f->location));
      e.args.push_back(extra);
    }
    return fold(std::move(e));
  }
  if (name == "date_trunc")
    return bind_date_trunc(f);
  // The session's own facts: one database, the public schema, a
  // superuser.
  if (name == "current_database" && f->n_args == 0)
    return constant(make_text("postgres"));
  if (name == "current_schema" && f->n_args == 0)
    return constant(make_text("public"));
  if ((name == "current_user" || name == "session_user") && f->n_args == 0)
    return constant(make_text(session_user()));
  if ((name == "has_table_privilege" || name == "has_schema_privilege"
       || name == "has_database_privilege" || name == "has_column_privilege")
      && f->n_args >= 2 && f->n_args <= 4)
    return constant(make_int(oid::bool_, 1));
  if (name == "timezone" && f->n_args == 2) {
    // x AT TIME ZONE 'UTC': the session's zone is UTC, so the same
    // instant with and without a zone.
    bexpr zone = fold(bind(f->args[0]));
    if (zone.k != bexpr::kind::constant || !texty_type(zone.type) || zone.value.null)
      fail("0A000", "AT TIME ZONE with a zone that is not a constant is not supported yet",
           f->location);
    std::string z = lower(zone.value.s);
    if (z != "utc" && z != "gmt" && z != "etc/utc" && z != "z" && z != "+00" && z != "+00:00"
        && z != "0")
      fail("0A000", "AT TIME ZONE '" + zone.value.s + "': only UTC is supported yet",
           f->location);
    bexpr ts = fold(bind(f->args[1]));
    if (ts.k == bexpr::kind::constant && ts.type == oid::unknown)
      ts = constant(coerce(ts.value, oid::timestamptz, f->location));
    if (!is_time(ts.type))
      fail("42883", std::string{"function timezone(unknown, "} + type_name(ts.type)
                      + ") does not exist", f->location);
    int32_t to = ts.type == oid::timestamptz ? oid::timestamp : oid::timestamptz;
    if (ts.k == bexpr::kind::constant)
      return constant(make_int(to, ts.value.i));
    bexpr e;
    e.k = bexpr::kind::func;
    e.name = "::";
    e.type = to;
    e.args.push_back(std::move(ts));
    return e;
  }
  if (is_unsupported_aggregate(name))
    fail("0A000", "aggregate function " + name + "() is not supported yet", f->location);
  if (f->agg_star)
    fail("42809", name + "(*) specified, but " + name + " is not an aggregate function",
         f->location);
  if (f->agg_distinct || f->n_agg_order > 0 || f->agg_filter)
    fail("42809", std::string{f->agg_distinct ? "DISTINCT" : f->agg_filter ? "FILTER" : "ORDER BY"}
                    + " specified, but " + name + " is not an aggregate function",
         f->location);
  std::vector<bexpr> args;
  std::vector<int32_t> types;
  for (size_t i = 0; i < f->n_args; ++i) {
    args.push_back(fold(bind(f->args[i])));
    types.push_back(args.back().type);
  }
  if (!scalar_type(name, types, f->location)) {
    std::string sig;
    for (size_t i = 0; i < types.size(); ++i)
      sig += std::string{i ? ", " : ""} + type_name(types[i]);
    fail("42883", "function " + name + "(" + sig + ") does not exist", f->location);
  }
  // Quoted literals take the type the function wants: text for text
  // functions and extract's field, a number for the arithmetic ones.
  bool numeric_fn = name == "abs" || name == "sign" || name == "round" || name == "trunc"
                    || name == "floor" || name == "ceil" || name == "ceiling" || name == "sqrt"
                    || name == "cbrt" || name == "exp" || name == "ln" || name == "log10"
                    || name == "log" || name == "power" || name == "pow" || name == "mod"
                    || name == "to_timestamp";
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].k == bexpr::kind::constant && args[i].type == oid::unknown) {
      int32_t want = (name == "date_part" || name == "extract") && i == 1 ? oid::timestamptz
                     : numeric_fn ? oid::float8
                     : (name == "substr" || name == "substring" || name == "left"
                        || name == "right" || name == "repeat" || name == "split_part")
                         && i > 0 && !(name == "split_part" && i == 1)
                       ? oid::int8
                       : oid::text;
      args[i] = constant(cast_datum(args[i].value, want, f->location));
      types[i] = want;
    }
  bexpr e;
  e.k = bexpr::kind::func;
  e.name = name;
  e.type = *scalar_type(name, types, f->location);
  e.args = std::move(args);
  return fold(std::move(e));
}

bexpr binder::bind_date_trunc(const PgQuery__FuncCall* f) {
  if (f->n_args != 2)
    fail("42883", "function date_trunc() needs 2 arguments", f->location);
  bexpr field = fold(bind(f->args[0]));
  if (field.k != bexpr::kind::constant || !texty_type(field.type))
    fail("0A000", "date_trunc() with a field that is not a constant is not supported yet",
         f->location);
  if (field.value.null)
    return constant(null_of(oid::timestamptz));
  std::string u = lower(field.value.s);
  interval width;
  if (u == "microseconds") width.micros = 1;
  else if (u == "milliseconds") width.micros = 1000;
  else if (u == "second") width.micros = cs::usecs_per_second;
  else if (u == "minute") width.micros = cs::usecs_per_minute;
  else if (u == "hour") width.micros = cs::usecs_per_hour;
  else if (u == "day") width.days = 1;
  else if (u == "week") width.days = 7;
  else if (u == "month") width.months = 1;
  else if (u == "quarter") width.months = 3;
  else if (u == "year") width.months = 12;
  else if (u == "decade") width.months = 120;
  else if (u == "century" || u == "millennium")
    fail("0A000", "date_trunc('" + u + "') is not supported yet", f->location);
  else
    fail("22023", "unit \"" + u + "\" not recognized for type timestamp with time zone");
  bexpr ts = bind(f->args[1]);
  if (ts.k == bexpr::kind::constant && ts.type == oid::unknown)
    ts = constant(coerce(ts.value, oid::timestamptz, f->location));
  if (!is_time(ts.type))
    fail("42883", std::string{"function date_trunc(unknown, "} + type_name(ts.type)
                    + ") does not exist", f->location);
  datum w;
  w.type = oid::interval;
  w.null = false;
  w.iv = width;
  bexpr e;
  e.k = bexpr::kind::func;
  e.name = "time_bucket";
  e.type = ts.type;
  e.args = {constant(w), std::move(ts)};
  return fold(std::move(e));
}

} // namespace hypertide::planner::detail
