#include "planner/select_planner.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <functional>

#include "chunkstore/time_bucket.hpp"
#include "planner/datetime.hpp"
#include "planner/pg_format.hpp"
#include "planner/pg_nodes.hpp"
#include "planner/select_eval.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;
using namespace pg_nodes;

using namespace detail;

namespace {

// -- binding ---------------------------------------------------------------------

bool is_aggregate_name(const std::string& n) {
  return n == "count" || n == "sum" || n == "min" || n == "max" || n == "avg" || n == "first"
         || n == "last";
}

struct binder {
  const cs::table_schema& schema;
  cs::timestamp now;
  std::string alias;                 ///< FROM's alias or table name
  std::string table;
  select_plan* plan = nullptr;
  bool agg_context = false;          ///< binding outputs of an aggregate query
  std::vector<bexpr> key_exprs;      ///< GROUP BY keys, bound over table columns
  std::vector<int> slot_of_column;   ///< raw queries: projection slot per column
  const setting_lookup* setting = nullptr;

  bexpr constant(datum d) {
    bexpr e;
    e.k = bexpr::kind::constant;
    e.type = d.type;
    e.value = std::move(d);
    return e;
  }

  /// A folded constant when `e` has no columns.
  bexpr fold(bexpr e) {
    if (e.k == bexpr::kind::constant || has_columns(e))
      return e;
    return constant(eval(e, std::vector<datum>{}));
  }

  bexpr column(const PgQuery__ColumnRef* c) {
    if (c->n_fields > 0 && c->fields[c->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR)
      fail("0A000", "* is only supported alone in the select list", c->location);
    if (c->n_fields > 2)
      fail("0A000", "cross-database references are not implemented", c->location);
    if (c->n_fields == 2) {
      std::string q = string_of(c->fields[0]) ? string_of(c->fields[0]) : "";
      if (q != alias && q != table)
        fail("42P01", "missing FROM-clause entry for table \"" + q + "\"", c->location);
    }
    std::string name = last_name(c->n_fields, c->fields);
    int col = schema.find(name);
    if (col < 0)
      fail("42703", "column \"" + name + "\" does not exist", c->location);
    bexpr e;
    e.k = bexpr::kind::column;
    e.index = col;
    e.type = oid_of(schema.columns[static_cast<size_t>(col)].type);
    return e;
  }

  datum const_datum(const PgQuery__AConst* c) {
    if (c->isnull)
      return null_of(oid::unknown);
    switch (c->val_case) {
      case PG_QUERY__A__CONST__VAL_IVAL:
        return make_int(oid::int4, c->ival->ival);
      case PG_QUERY__A__CONST__VAL_FVAL: {
        std::string s = c->fval->fval;
        bool integral = s.find_first_of(".eE") == std::string::npos;
        if (integral) {
          errno = 0;
          long long x = std::strtoll(s.c_str(), nullptr, 10);
          if (errno != ERANGE)
            return make_int(oid::int8, x);
        }
        datum d = make_float(std::strtod(s.c_str(), nullptr));
        d.type = oid::numeric;
        d.s = s;
        return d;
      }
      case PG_QUERY__A__CONST__VAL_BOOLVAL:
        return make_int(oid::bool_, c->boolval->boolval ? 1 : 0);
      case PG_QUERY__A__CONST__VAL_SVAL: {
        datum d = make_text(c->sval->sval);
        d.type = oid::unknown;
        return d;
      }
      default:
        fail("0A000", "this kind of constant is not supported", c->location);
    }
  }

  int32_t cast_type(const PgQuery__TypeName* t) {
    auto n = last_name(t->n_names, t->names);
    if (n == "timestamptz")
      return oid::timestamptz;
    if (n == "timestamp")
      return oid::timestamp;
    if (n == "interval")
      return oid::interval;
    if (n == "int4" || n == "int2")
      return oid::int4;
    if (n == "int8")
      return oid::int8;
    if (n == "float8" || n == "float4")
      return oid::float8;
    if (n == "numeric")
      return oid::numeric;
    if (n == "text" || n == "varchar")
      return oid::text;
    if (n == "bool")
      return oid::bool_;
    fail("0A000", "casts to type " + n + " are not supported yet", t->location);
  }

  /// Binds an expression over table columns (agg_context == false), or over
  /// group keys and aggregates (agg_context == true).
  bexpr bind(const node* n) {
    if (agg_context) {
      // A GROUP BY expression is a key wherever it appears.
      if (n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL
          || !is_aggregate_name(last_name(n->func_call->n_funcname, n->func_call->funcname))) {
        if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF
            || n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL) {
          bool saved = agg_context;
          agg_context = false;
          bexpr raw = bind(n);
          agg_context = saved;
          for (size_t k = 0; k < key_exprs.size(); ++k)
            if (same(raw, key_exprs[k])) {
              bexpr e;
              e.k = bexpr::kind::key;
              e.index = static_cast<int>(k);
              e.type = raw.type;
              return e;
            }
          if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF)
            fail("42803", "column \"" + table + "."
                            + last_name(n->column_ref->n_fields, n->column_ref->fields)
                            + "\" must appear in the GROUP BY clause or be used in an "
                              "aggregate function",
                 n->column_ref->location);
        }
      }
    }
    switch (n->node_case) {
      case PG_QUERY__NODE__NODE_COLUMN_REF:
        return column(n->column_ref);
      case PG_QUERY__NODE__NODE_A_CONST:
        return constant(const_datum(n->a_const));
      case PG_QUERY__NODE__NODE_TYPE_CAST: {
        bexpr arg = fold(bind(n->type_cast->arg));
        int32_t t = cast_type(n->type_cast->type_name);
        if (arg.k == bexpr::kind::constant)
          return constant(coerce(arg.value, t, n->type_cast->location));
        if (arg.type == t || (is_number(arg.type) && is_number(t)))
          return arg; // numeric casts of columns keep the value
        fail("0A000", "casts of columns are not supported yet", n->type_cast->location);
      }
      case PG_QUERY__NODE__NODE_A_EXPR:
        return bind_a_expr(n->a_expr);
      case PG_QUERY__NODE__NODE_BOOL_EXPR: {
        const auto* b = n->bool_expr;
        bexpr e;
        e.k = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR  ? bexpr::kind::and_
              : b->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR ? bexpr::kind::or_
                                                               : bexpr::kind::not_;
        e.type = oid::bool_;
        for (size_t i = 0; i < b->n_args; ++i)
          e.args.push_back(bind(b->args[i]));
        return fold(std::move(e));
      }
      case PG_QUERY__NODE__NODE_NULL_TEST: {
        bexpr e;
        e.k = n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL
                ? bexpr::kind::is_null
                : bexpr::kind::is_not_null;
        e.type = oid::bool_;
        e.args.push_back(bind(n->null_test->arg));
        return fold(std::move(e));
      }
      case PG_QUERY__NODE__NODE_FUNC_CALL:
        return bind_func(n->func_call);
      case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
        if (n->sqlvalue_function->op == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP
            || n->sqlvalue_function->op == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP)
          return constant(make_int(oid::timestamptz, now));
        fail("0A000", "this SQL value function is not supported yet",
             n->sqlvalue_function->location);
      default:
        fail("0A000", "this expression is not supported yet");
    }
  }

  /// Makes operands of a binary operator agree on a type: an untyped
  /// literal takes the other side's type; numeric constants widen to the
  /// wider numeric type (int4 < int8 < numeric < float8). Columns keep
  /// their type; operators evaluate mixed numerics in double precision.
  void unify(bexpr& a, bexpr& b, int32_t location) {
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
    if (is_number(a.type) && is_number(b.type)) {
      auto rank = [](int32_t t) {
        return t == oid::int4 ? 0 : t == oid::int8 ? 1 : t == oid::numeric ? 2 : 3;
      };
      int32_t wide = rank(a.type) >= rank(b.type) ? a.type : b.type;
      if (a.k == bexpr::kind::constant && a.type != wide)
        a = constant(coerce(a.value, wide, location));
      if (b.k == bexpr::kind::constant && b.type != wide)
        b = constant(coerce(b.value, wide, location));
    }
  }

  bexpr bind_a_expr(const PgQuery__AExpr* x) {
    std::string op = x->n_name > 0 ? last_name(x->n_name, x->name) : "";
    switch (x->kind) {
      case PG_QUERY__A__EXPR__KIND__AEXPR_OP: {
        bexpr e;
        e.k = bexpr::kind::op;
        e.name = op;
        if (x->lexpr == nullptr) { // unary
          e.args.push_back(bind(x->rexpr));
          e.type = e.args[0].type;
          return fold(std::move(e));
        }
        bexpr l = bind(x->lexpr), r = bind(x->rexpr);
        if (op == "+" || op == "-") {
          // timestamptz +/- 'unknown' means an interval.
          if (is_time(l.type) && r.k == bexpr::kind::constant && r.type == oid::unknown)
            r = constant(coerce(r.value, oid::interval, x->location));
        }
        unify(l, r, x->location);
        bool cmp = op == "=" || op == "<>" || op == "!=" || op == "<" || op == "<=" || op == ">"
                   || op == ">=";
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
        else if (l.type == oid::float8 || r.type == oid::float8)
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
      case PG_QUERY__A__EXPR__KIND__AEXPR_IN: {
        bexpr e;
        e.k = bexpr::kind::in_list;
        e.type = oid::bool_;
        bexpr v = bind(x->lexpr);
        e.args.push_back(v);
        if (x->rexpr->node_case != PG_QUERY__NODE__NODE_LIST)
          fail("0A000", "IN (subquery) is not supported yet", x->location);
        for (size_t i = 0; i < x->rexpr->list->n_items; ++i) {
          bexpr item = bind(x->rexpr->list->items[i]);
          bexpr vv = v;
          unify(vv, item, x->location);
          e.args.push_back(std::move(item));
        }
        if (op == "<>") {
          bexpr n;
          n.k = bexpr::kind::not_;
          n.type = oid::bool_;
          n.args.push_back(std::move(e));
          return fold(std::move(n));
        }
        return fold(std::move(e));
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

  bexpr bind_func(const PgQuery__FuncCall* f) {
    std::string name = last_name(f->n_funcname, f->funcname);
    if (f->over)
      fail("0A000", "window functions are not supported yet", f->location);
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
          fail("42883", std::string{"function time_bucket("} + type_name(width.type)
                          + ", timestamp with time zone) does not exist", f->location);
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
    fail("0A000", "function " + name + "() is not supported yet", f->location);
  }

  bexpr bind_aggregate(const std::string& name, const PgQuery__FuncCall* f) {
    if (f->agg_distinct || f->agg_filter || f->n_agg_order > 0)
      fail("0A000", "DISTINCT, FILTER and ORDER BY in aggregates are not supported yet",
           f->location);
    cs::aggregate a;
    int32_t input = oid::int8;
    auto column_arg = [&](const node* n) {
      bool saved = agg_context;
      agg_context = false;
      bexpr c = bind(n);
      agg_context = saved;
      if (c.k != bexpr::kind::column)
        fail("0A000", "aggregates over expressions are not supported yet", f->location);
      return c;
    };
    if (name == "count" && f->agg_star) {
      a.kind = cs::agg_kind::count_star;
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
    auto& aggs = plan->fragment.aggregates;
    int index = -1;
    for (size_t i = 0; i < aggs.size(); ++i)
      if (aggs[i].kind == a.kind && aggs[i].column == a.column
          && aggs[i].time_column == a.time_column)
        index = static_cast<int>(i);
    if (index < 0) {
      aggs.push_back(a);
      index = static_cast<int>(aggs.size() - 1);
    }
    bexpr e;
    e.k = bexpr::kind::agg;
    e.index = index;
    switch (a.kind) {
      case cs::agg_kind::count_star:
      case cs::agg_kind::count:
        e.type = oid::int8;
        break;
      case cs::agg_kind::sum:
        e.type = input == oid::float8 ? oid::float8 : input == oid::int4 ? oid::int8 : oid::numeric;
        break;
      case cs::agg_kind::avg:
        e.type = input == oid::float8 ? oid::float8 : oid::numeric;
        break;
      default:
        e.type = input;
    }
    return e;
  }
};

/// Converts a bound WHERE expression into a chunk predicate.
cs::predicate to_predicate(const bexpr& e, const cs::table_schema& schema) {
  using P = cs::predicate;
  auto value_of = [&](const datum& d, int column) {
    auto t = schema.columns[static_cast<size_t>(column)].type;
    if (d.null)
      return cs::value::null(t);
    switch (d.type) {
      case oid::float8:
      case oid::numeric:
        return cs::value::of_float(d.f);
      case oid::text:
      case oid::unknown:
        return cs::value::of_text(d.s);
      default:
        return cs::value::of_int(t == cs::column_type::float8 ? cs::column_type::int8 : t, d.i);
    }
  };
  switch (e.k) {
    case bexpr::kind::and_:
    case bexpr::kind::or_: {
      std::vector<P> cs_;
      for (const auto& c : e.args)
        cs_.push_back(to_predicate(c, schema));
      return e.k == bexpr::kind::and_ ? P::all_of(std::move(cs_)) : P::any_of(std::move(cs_));
    }
    case bexpr::kind::not_:
      return P::negate(to_predicate(e.args[0], schema));
    case bexpr::kind::is_null:
    case bexpr::kind::is_not_null:
      if (e.args[0].k == bexpr::kind::column)
        return P::null_test(e.args[0].index, e.k == bexpr::kind::is_null);
      break;
    case bexpr::kind::constant: {
      P p;
      p.k = P::kind::constant;
      p.constant = e.value.null ? cs::value::null(cs::column_type::boolean)
                                : cs::value::of_int(cs::column_type::boolean, e.value.i);
      return p;
    }
    case bexpr::kind::in_list:
      if (e.args[0].k == bexpr::kind::column) {
        std::vector<cs::value> vs;
        for (size_t i = 1; i < e.args.size(); ++i) {
          if (e.args[i].k != bexpr::kind::constant)
            fail("0A000", "IN lists of expressions are not supported yet");
          vs.push_back(value_of(e.args[i].value, e.args[0].index));
        }
        return P::in(e.args[0].index, std::move(vs));
      }
      break;
    case bexpr::kind::op: {
      static const std::vector<std::pair<std::string, cs::cmp_op>> ops = {
        {"=", cs::cmp_op::eq}, {"<>", cs::cmp_op::ne}, {"!=", cs::cmp_op::ne},
        {"<", cs::cmp_op::lt}, {"<=", cs::cmp_op::le}, {">", cs::cmp_op::gt},
        {">=", cs::cmp_op::ge}};
      auto it = std::find_if(ops.begin(), ops.end(), [&](auto& p) { return p.first == e.name; });
      if (it == ops.end() || e.args.size() != 2)
        break;
      const bexpr* col = &e.args[0];
      const bexpr* val = &e.args[1];
      cs::cmp_op op = it->second;
      if (col->k != bexpr::kind::column) {
        std::swap(col, val);
        // c < x  is  x > c
        op = op == cs::cmp_op::lt ? cs::cmp_op::gt : op == cs::cmp_op::gt ? cs::cmp_op::lt
             : op == cs::cmp_op::le ? cs::cmp_op::ge : op == cs::cmp_op::ge ? cs::cmp_op::le : op;
      }
      if (col->k == bexpr::kind::column && val->k == bexpr::kind::constant)
        return P::compare(col->index, op, value_of(val->value, col->index));
      break;
    }
    default:
      break;
  }
  fail("0A000", "this WHERE condition is not supported yet (compare a column with a constant)");
}

/// TSBS lastpoint and its kin: `SELECT DISTINCT ON (a, b) <columns | *>
/// FROM t ORDER BY a, b, c DESC` with c a NOT NULL time column is one
/// group per (a, b) with last(x, c) of every other column (first() for
/// ASC): the chunks answer it from their commit marks, one row per series,
/// instead of sorting every row. Returns false when the query has another
/// shape (the raw DISTINCT ON path then runs it).
bool rewrite_distinct_on(const PgQuery__SelectStmt* s, const cs::table_schema& schema,
                         binder& b, select_plan& plan);

std::string output_name(const node* n) {
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_COLUMN_REF:
      return last_name(n->column_ref->n_fields, n->column_ref->fields);
    case PG_QUERY__NODE__NODE_FUNC_CALL:
      return last_name(n->func_call->n_funcname, n->func_call->funcname);
    case PG_QUERY__NODE__NODE_TYPE_CAST:
      return n->type_cast->arg->node_case == PG_QUERY__NODE__NODE_A_CONST
               ? last_name(n->type_cast->type_name->n_names, n->type_cast->type_name->names)
               : output_name(n->type_cast->arg);
    case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
      return "current_timestamp";
    case PG_QUERY__NODE__NODE_A_CONST:
      return n->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL && !n->a_const->isnull
               ? "bool"
               : "?column?";
    default:
      return "?column?";
  }
}

/// The target-list entry an ORDER BY / GROUP BY item names: an ordinal or
/// an output alias (nullptr when it is an expression of its own).
const node* target_ref(const node* n, const PgQuery__SelectStmt* s, bool prefer_input,
                       const cs::table_schema& schema) {
  if (n->node_case == PG_QUERY__NODE__NODE_A_CONST
      && n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
    int k = n->a_const->ival->ival;
    if (k < 1 || static_cast<size_t>(k) > s->n_target_list)
      fail("42P10", "position " + std::to_string(k) + " is not in select list",
           n->a_const->location);
    return s->target_list[k - 1]->res_target->val;
  }
  if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && n->column_ref->n_fields == 1) {
    std::string name = last_name(1, n->column_ref->fields);
    // GROUP BY prefers an input column; ORDER BY an output alias.
    if (prefer_input && schema.find(name) >= 0)
      return nullptr;
    for (size_t i = 0; i < s->n_target_list; ++i) {
      const auto* rt = s->target_list[i]->res_target;
      if (has(rt->name) && name == rt->name)
        return rt->val;
    }
  }
  return nullptr;
}

bool rewrite_distinct_on(const PgQuery__SelectStmt* s, const cs::table_schema& schema,
                         binder& b, select_plan& plan) {
  size_t nd = s->n_distinct_clause;
  if (s->n_sort_clause != nd + 1 || s->n_group_clause > 0 || s->having_clause)
    return false;
  // The DISTINCT ON columns.
  std::vector<int> cols;
  for (size_t i = 0; i < nd; ++i) {
    bexpr e = b.bind(s->distinct_clause[i]);
    if (e.k != bexpr::kind::column)
      return false;
    cols.push_back(e.index);
  }
  // ORDER BY: those columns (any order), then one NOT NULL time column.
  std::vector<select_plan::sort_key> keys;
  for (size_t i = 0; i < nd; ++i) {
    const auto* sb = s->sort_clause[i]->sort_by;
    bexpr e = b.bind(sb->node);
    if (e.k != bexpr::kind::column || std::find(cols.begin(), cols.end(), e.index) == cols.end())
      return false;
    select_plan::sort_key k;
    k.e = e;
    k.descending = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
    k.nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST
                    || (sb->sortby_nulls != PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST
                        && k.descending);
    keys.push_back(std::move(k));
  }
  const auto* last_sb = s->sort_clause[nd]->sort_by;
  bexpr tcol = b.bind(last_sb->node);
  if (tcol.k != bexpr::kind::column)
    return false;
  const auto& tdef = schema.columns[static_cast<size_t>(tcol.index)];
  if (!tdef.not_null
      || (tdef.type != cs::column_type::timestamptz && tdef.type != cs::column_type::int4
          && tdef.type != cs::column_type::int8))
    return false;
  auto pick = last_sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC ? cs::agg_kind::last
                                                                         : cs::agg_kind::first;
  // The select list: columns or *.
  std::vector<std::pair<int, std::string>> outs;
  for (size_t i = 0; i < s->n_target_list; ++i) {
    const auto* rt = s->target_list[i]->res_target;
    const node* v = rt->val;
    if (v->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
      return false;
    if (v->column_ref->fields[v->column_ref->n_fields - 1]->node_case
        == PG_QUERY__NODE__NODE_A_STAR) {
      for (size_t c = 0; c < schema.columns.size(); ++c)
        outs.emplace_back(static_cast<int>(c), schema.columns[c].name);
      continue;
    }
    bexpr e = b.bind(v);
    outs.emplace_back(e.index, has(rt->name) ? rt->name : output_name(v));
  }
  plan.aggregate = true;
  for (int c : cols) {
    plan.fragment.keys.push_back(cs::group_key{cs::group_key::kind::column, c, {}});
    bexpr k;
    k.k = bexpr::kind::column;
    k.index = c;
    k.type = oid_of(schema.columns[static_cast<size_t>(c)].type);
    b.key_exprs.push_back(k);
  }
  auto key_ref = [&](int c) {
    for (size_t k = 0; k < cols.size(); ++k)
      if (cols[k] == c) {
        bexpr e;
        e.k = bexpr::kind::key;
        e.index = static_cast<int>(k);
        e.type = oid_of(schema.columns[static_cast<size_t>(c)].type);
        return e;
      }
    auto& aggs = plan.fragment.aggregates;
    aggs.push_back(cs::aggregate{pick, c, tcol.index});
    bexpr e;
    e.k = bexpr::kind::agg;
    e.index = static_cast<int>(aggs.size() - 1);
    e.type = oid_of(schema.columns[static_cast<size_t>(c)].type);
    return e;
  };
  for (const auto& [c, name] : outs) {
    plan.outputs.push_back(key_ref(c));
    plan.names.push_back(name);
  }
  for (auto& k : keys) {
    k.e = key_ref(k.e.index);
    plan.order.push_back(std::move(k));
  }
  b.agg_context = true;
  return true;
}

} // namespace

std::variant<statement_result, positioned_error>
constant_select(const void* raw, cs::timestamp now, const setting_lookup& setting) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  static const cs::table_schema no_columns;
  select_plan plan;
  try {
    binder b{no_columns, now, "", "", &plan, false, {}, {}, &setting};
    statement_result r;
    std::vector<std::optional<std::string>> row;
    for (size_t i = 0; i < s->n_target_list; ++i) {
      const auto* rt = s->target_list[i]->res_target;
      bexpr e = b.fold(b.bind(rt->val));
      if (e.k != bexpr::kind::constant)
        fail("0A000", "this expression is not supported yet");
      r.columns.push_back(result_column{has(rt->name) ? rt->name : output_name(rt->val),
                                        e.type == oid::unknown ? oid::text : e.type});
      row.push_back(to_text(e.value));
    }
    r.rows.push_back(std::move(row));
    r.tag = "SELECT 1";
    return r;
  } catch (const bind_failure& f) {
    return f.err;
  }
}

std::variant<datum, positioned_error> evaluate_constant(const void* raw, cs::timestamp now) {
  static const cs::table_schema no_columns;
  select_plan plan;
  try {
    binder b{no_columns, now, "", "", &plan, false, {}, {}, nullptr};
    bexpr e = b.fold(b.bind(static_cast<const node*>(raw)));
    if (e.k != bexpr::kind::constant)
      fail("0A000", "a constant is needed here");
    return e.value;
  } catch (const bind_failure& f) {
    return f.err;
  }
}

std::variant<select_plan, positioned_error>
plan_table_scan(const cs::table_schema& schema, const std::string& table,
                const std::vector<std::string>& columns) {
  select_plan plan;
  plan.fragment.table = table;
  std::vector<int> cols;
  if (columns.empty())
    for (size_t c = 0; c < schema.columns.size(); ++c)
      cols.push_back(static_cast<int>(c));
  for (const auto& name : columns) {
    int c = schema.find(name);
    if (c < 0)
      return positioned_error{{"42703", "column \"" + name + "\" of relation \"" + table
                                          + "\" does not exist", {}}, 0};
    cols.push_back(c);
  }
  for (size_t i = 0; i < cols.size(); ++i) {
    plan.fragment.projection.push_back(cols[i]);
    plan.slot_columns.push_back(cols[i]);
    bexpr e;
    e.k = bexpr::kind::column;
    e.index = static_cast<int>(i);
    e.type = oid_of(schema.columns[static_cast<size_t>(cols[i])].type);
    plan.outputs.push_back(e);
    plan.names.push_back(schema.columns[static_cast<size_t>(cols[i])].name);
  }
  return plan;
}

std::variant<select_source, positioned_error> source_of(const void* raw) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  try {
    if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE
        && s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED)
      fail("0A000", "UNION, INTERSECT and EXCEPT are not supported yet");
    if (s->n_from_clause != 1)
      fail("0A000", "SELECT from several tables and joins are not supported yet");
    const node* f = s->from_clause[0];
    if (f->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT) {
      const auto* sub = f->range_subselect;
      if (sub->lateral)
        fail("0A000", "LATERAL is not supported yet");
      if (sub->subquery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
        fail("0A000", "this sub-select is not supported yet");
      return select_source{sub->alias && has(sub->alias->aliasname) ? sub->alias->aliasname : "",
                           sub->subquery->select_stmt};
    }
    if (f->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
      fail("0A000", "joins and table functions in FROM are not supported yet");
    const auto* rv = f->range_var;
    std::string schema = has(rv->schemaname) ? rv->schemaname : "";
    if (!schema.empty() && schema != "public" && schema != "timescaledb_information")
      fail("42P01", "relation \"" + schema + "." + rv->relname + "\" does not exist",
           rv->location);
    if (schema == "timescaledb_information")
      return select_source{schema + "." + rv->relname, nullptr};
    return select_source{rv->relname, nullptr};
  } catch (const bind_failure& f) {
    return f.err;
  }
}

bool has_from(const void* raw) {
  return static_cast<const PgQuery__SelectStmt*>(raw)->n_from_clause > 0;
}

std::vector<std::pair<std::string, const void*>> with_queries(const void* raw) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  std::vector<std::pair<std::string, const void*>> out;
  if (s->with_clause == nullptr)
    return out;
  for (size_t i = 0; i < s->with_clause->n_ctes; ++i) {
    const node* c = s->with_clause->ctes[i];
    if (c->node_case != PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR)
      continue;
    const auto* cte = c->common_table_expr;
    if (cte->ctequery->node_case == PG_QUERY__NODE__NODE_SELECT_STMT)
      out.emplace_back(cte->ctename, cte->ctequery->select_stmt);
    else
      out.emplace_back(cte->ctename, nullptr);
  }
  return out;
}

std::variant<select_plan, positioned_error>
plan_select(const void* raw, const cs::table_schema& schema, cs::timestamp now) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  select_plan plan;
  try {
    const node* from = s->from_clause[0];
    std::string relname, alias;
    if (from->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT) {
      const auto* a = from->range_subselect->alias;
      relname = alias = a && has(a->aliasname) ? a->aliasname : "";
    } else {
      const auto* rv = from->range_var;
      relname = rv->relname;
      alias = rv->alias && has(rv->alias->aliasname) ? rv->alias->aliasname : relname;
    }
    struct {
      const char* relname;
    } rv_name{relname.c_str()};
    const auto* rv = &rv_name;
    binder b{schema, now, alias, relname, &plan, false, {}, {}};
    plan.fragment.table = relname;
    const bool distinct_plain = s->n_distinct_clause == 1
                                && s->distinct_clause[0]->node_case == PG_QUERY__NODE__NODE__NOT_SET;
    const bool distinct_on = s->n_distinct_clause > 0 && !distinct_plain;
    if (s->n_locking_clause > 0 || s->into_clause)
      fail("0A000", "FOR UPDATE and SELECT INTO are not supported");
    // WHERE: pushed down to the chunks.
    if (s->where_clause) {
      bexpr w = b.fold(b.bind(s->where_clause));
      if (w.type != oid::bool_ && !(w.k == bexpr::kind::constant && w.value.null))
        fail("42804", std::string{"argument of WHERE must be type boolean, not type "}
                        + type_name(w.type));
      plan.fragment.filter = to_predicate(w, schema);
    }
    // Aggregate query?
    std::function<bool(const node*)> has_agg = [&](const node* n) -> bool {
      if (n == nullptr)
        return false;
      if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL) {
        if (is_aggregate_name(last_name(n->func_call->n_funcname, n->func_call->funcname)))
          return true;
        for (size_t i = 0; i < n->func_call->n_args; ++i)
          if (has_agg(n->func_call->args[i]))
            return true;
      }
      if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR)
        return has_agg(n->a_expr->lexpr) || has_agg(n->a_expr->rexpr);
      if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
        return has_agg(n->type_cast->arg);
      if (n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR)
        for (size_t i = 0; i < n->bool_expr->n_args; ++i)
          if (has_agg(n->bool_expr->args[i]))
            return true;
      return false;
    };
    bool star = false;
    for (size_t i = 0; i < s->n_target_list; ++i) {
      const node* v = s->target_list[i]->res_target->val;
      if (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && v->column_ref->n_fields >= 1
          && v->column_ref->fields[v->column_ref->n_fields - 1]->node_case
               == PG_QUERY__NODE__NODE_A_STAR)
        star = true;
      else if (has_agg(v))
        plan.aggregate = true;
    }
    if (s->n_group_clause > 0 || s->having_clause)
      plan.aggregate = true;
    for (size_t i = 0; i < s->n_sort_clause; ++i)
      if (has_agg(s->sort_clause[i]->sort_by->node))
        plan.aggregate = true;

    // Adds a GROUP BY key (or a DISTINCT column) bound from `g`.
    auto add_key = [&](const node* g) {
        const node* t = target_ref(g, s, true, schema);
        bexpr k = b.fold(b.bind(t ? t : g));
        cs::group_key key;
        if (k.k == bexpr::kind::column) {
          key.k = cs::group_key::kind::column;
          key.column = k.index;
        } else if (k.k == bexpr::kind::func && k.name == "time_bucket"
                   && k.args[1].k == bexpr::kind::column
                   && k.args[0].k == bexpr::kind::constant
                   && (k.args.size() < 3 || k.args[2].k == bexpr::kind::constant)) {
          key.k = cs::group_key::kind::time_bucket;
          key.column = k.args[1].index;
          const datum& w = k.args[0].value;
          if (k.type == oid::timestamptz) {
            key.bucket.width = static_cast<int64_t>(w.iv.days) * cs::usecs_per_day + w.iv.micros;
            key.bucket.months = w.iv.months;
            if (k.args.size() > 2) {
              if (k.args[2].type == oid::interval)
                key.bucket.offset = interval_micros(k.args[2].value.iv, -1);
              else
                key.bucket.origin = k.args[2].value.i;
            }
          } else {
            key.bucket.width = w.i;
            if (k.args.size() > 2)
              key.bucket.offset = k.args[2].value.i;
          }
        } else {
          fail("0A000", "GROUP BY supports columns and time_bucket() of a column for now");
        }
        plan.fragment.keys.push_back(key);
        b.key_exprs.push_back(std::move(k));
    };

    if ((distinct_plain || distinct_on) && plan.aggregate)
      fail("0A000", "DISTINCT together with aggregates or GROUP BY is not supported yet");
    if (distinct_plain) {
      // SELECT DISTINCT a, b  is  SELECT a, b ... GROUP BY a, b.
      plan.aggregate = true;
      if (star)
        for (size_t c = 0; c < schema.columns.size(); ++c) {
          bexpr e;
          e.k = bexpr::kind::column;
          e.index = static_cast<int>(c);
          e.type = oid_of(schema.columns[c].type);
          plan.fragment.keys.push_back(cs::group_key{cs::group_key::kind::column, e.index, {}});
          b.key_exprs.push_back(e);
        }
      else
        for (size_t i = 0; i < s->n_target_list; ++i)
          add_key(s->target_list[i]->res_target->val);
      star = false;
    }
    if (distinct_on && rewrite_distinct_on(s, schema, b, plan))
      star = false; // planned as last()/first() per group
    if (plan.aggregate && plan.outputs.empty()) {
      if (star)
        fail("42803", "column \"" + std::string{rv->relname}
                        + ".*\" must appear in the GROUP BY clause or be used in an aggregate "
                          "function");
      for (size_t i = 0; i < s->n_group_clause; ++i)
        add_key(s->group_clause[i]);
      b.agg_context = true;
      for (size_t i = 0; i < s->n_target_list; ++i) {
        const auto* rt = s->target_list[i]->res_target;
        plan.outputs.push_back(b.bind(rt->val));
        plan.names.push_back(has(rt->name) ? rt->name : output_name(rt->val));
      }
      if (s->having_clause)
        plan.having = b.bind(s->having_clause);
    } else if (!plan.aggregate) {
      // Raw rows: project the columns the outputs and sort keys use.
      b.slot_of_column.assign(schema.columns.size(), -1);
      for (size_t i = 0; i < s->n_target_list; ++i) {
        const auto* rt = s->target_list[i]->res_target;
        const node* v = rt->val;
        if (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF
            && v->column_ref->fields[v->column_ref->n_fields - 1]->node_case
                 == PG_QUERY__NODE__NODE_A_STAR) {
          for (size_t c = 0; c < schema.columns.size(); ++c) {
            bexpr e;
            e.k = bexpr::kind::column;
            e.index = static_cast<int>(c);
            e.type = oid_of(schema.columns[c].type);
            plan.outputs.push_back(e);
            plan.names.push_back(schema.columns[c].name);
          }
          continue;
        }
        plan.outputs.push_back(b.bind(v));
        plan.names.push_back(has(rt->name) ? rt->name : output_name(v));
      }
    }
    // ORDER BY, OFFSET, LIMIT.
    const bool order_done = !plan.order.empty(); // set by the DISTINCT ON rewrite
    for (size_t i = 0; i < s->n_sort_clause && !order_done; ++i) {
      const auto* sb = s->sort_clause[i]->sort_by;
      const node* t = target_ref(sb->node, s, false, schema);
      select_plan::sort_key k;
      k.e = b.fold(b.bind(t ? t : sb->node));
      k.descending = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
      k.nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST
                      || (sb->sortby_nulls != PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST
                          && k.descending);
      if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
        fail("0A000", "ORDER BY USING is not supported");
      plan.order.push_back(std::move(k));
    }
    if (distinct_on && !plan.aggregate) {
      // DISTINCT ON over raw rows: the expressions must lead the ORDER BY.
      for (size_t i = 0; i < s->n_distinct_clause; ++i)
        plan.distinct_on.push_back(b.fold(b.bind(s->distinct_clause[i])));
      bool leads = plan.order.size() >= plan.distinct_on.size();
      for (size_t i = 0; leads && i < plan.distinct_on.size(); ++i) {
        bool found = false;
        for (size_t j = 0; j < plan.distinct_on.size(); ++j)
          found = found || same(plan.distinct_on[i], plan.order[j].e);
        leads = found;
      }
      if (!leads && !plan.order.empty())
        fail("42P10", "SELECT DISTINCT ON expressions must match initial ORDER BY expressions");
    }
    auto count_of = [&](const node* n, const char* what) -> int64_t {
      if (n == nullptr)
        return -1;
      bexpr e = b.fold(b.bind(n));
      if (e.k != bexpr::kind::constant || !is_int(e.type))
        fail("42804", std::string{"argument of "} + what + " must be an integer constant");
      if (e.value.null)
        return -1;
      if (e.value.i < 0)
        fail("2201W", std::string{what} + " must not be negative");
      return e.value.i;
    };
    plan.limit = count_of(s->limit_count, "LIMIT");
    plan.offset = std::max<int64_t>(0, count_of(s->limit_offset, "OFFSET"));

    if (!plan.aggregate) {
      // Project every column an output or a sort key reads; slots are in
      // table order.
      std::vector<bool> used(schema.columns.size(), false);
      std::function<void(const bexpr&)> mark = [&](const bexpr& e) {
        if (e.k == bexpr::kind::column)
          used[static_cast<size_t>(e.index)] = true;
        for (const auto& c : e.args)
          mark(c);
      };
      for (const auto& o : plan.outputs)
        mark(o);
      for (const auto& k : plan.order)
        mark(k.e);
      for (const auto& d : plan.distinct_on)
        mark(d);
      std::vector<int> slot(schema.columns.size(), -1);
      for (size_t c = 0; c < used.size(); ++c)
        if (used[c]) {
          slot[c] = static_cast<int>(plan.slot_columns.size());
          plan.slot_columns.push_back(static_cast<int>(c));
        }
      plan.fragment.projection = plan.slot_columns;
      // Rewrite column refs to slots.
      std::function<void(bexpr&)> to_slot = [&](bexpr& e) {
        if (e.k == bexpr::kind::column)
          e.index = slot[static_cast<size_t>(e.index)];
        for (auto& c : e.args)
          to_slot(c);
      };
      for (auto& o : plan.outputs)
        to_slot(o);
      for (auto& k : plan.order)
        to_slot(k.e);
      for (auto& d : plan.distinct_on)
        to_slot(d);
      // Top-N next to the data when every sort key is a column.
      bool simple = std::all_of(plan.order.begin(), plan.order.end(), [](const auto& k) {
        return k.e.k == bexpr::kind::column;
      });
      if (plan.limit >= 0 && simple && plan.distinct_on.empty()) {
        for (const auto& k : plan.order)
          plan.fragment.order.push_back(cs::order_key{k.e.index, k.descending, k.nulls_first});
        plan.fragment.limit = plan.limit + plan.offset;
      }
      if (plan.slot_columns.empty()) {
        // SELECT 1 FROM t: still one row per table row.
        plan.slot_columns.push_back(0);
        plan.fragment.projection = {0};
      }
    }
  } catch (const bind_failure& f) {
    return f.err;
  }
  return plan;
}


} // namespace hypertide::planner
