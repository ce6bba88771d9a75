#pragma once

// The binder of SELECT planning: expressions of libpg_query's parse tree
// bound over a table's columns, or over the groups of an aggregate.
// Internal to planner/ (select_planner.cpp, select_entry.cpp); the larger
// members are out of line in select_calls.cpp and select_binder_ops.cpp.

#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "chunkstore/fragment.hpp"
#include "planner/datetime.hpp"
#include "planner/pg_format.hpp"
#include "planner/pg_nodes.hpp"
#include "planner/select_eval.hpp"
#include "planner/select_planner.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::planner::detail {

namespace cs = chunkstore;
using namespace pg_nodes;


// -- binding ---------------------------------------------------------------------

inline bool is_aggregate_name(const std::string& n) {
  return n == "count" || n == "sum" || n == "min" || n == "max" || n == "avg" || n == "first"
         || n == "last" || n == "percentile_cont" || n == "percentile_disc" || n == "bool_and"
         || n == "bool_or" || n == "every";
}

/// A numeric literal as PostgreSQL's numeric prints it: `1e3` is 1000,
/// `2.5e-1` 0.25, `.5` 0.5, `007.50` 7.50 (the scale is the digits after
/// the point less the exponent, never below 0).
inline std::string numeric_literal_text(const std::string& lit) {
  size_t i = 0;
  bool negative = false;
  if (i < lit.size() && (lit[i] == '-' || lit[i] == '+'))
    negative = lit[i++] == '-';
  std::string digits, frac;
  while (i < lit.size() && std::isdigit(static_cast<unsigned char>(lit[i])))
    digits += lit[i++];
  const size_t int_len = digits.size();
  if (i < lit.size() && lit[i] == '.')
    for (++i; i < lit.size() && std::isdigit(static_cast<unsigned char>(lit[i]));)
      frac += lit[i++];
  long exp = 0;
  if (i < lit.size() && (lit[i] == 'e' || lit[i] == 'E'))
    exp = std::strtol(lit.c_str() + i + 1, nullptr, 10);
  if (exp > 1000 || exp < -1000)
    return lit; // beyond what a double holds anyway
  digits += frac;
  long point = static_cast<long>(int_len) + exp; // where the point goes in `digits`
  if (point < 0) {
    digits.insert(0, static_cast<size_t>(-point), '0');
    point = 0;
  }
  if (point > static_cast<long>(digits.size()))
    digits.append(static_cast<size_t>(point) - digits.size(), '0');
  std::string whole = digits.substr(0, static_cast<size_t>(point));
  whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size()));
  std::string out = (whole.empty() ? "0" : whole);
  std::string fraction = digits.substr(static_cast<size_t>(point));
  if (!fraction.empty())
    out += "." + fraction;
  if (negative && out.find_first_not_of("0.") != std::string::npos)
    out.insert(0, "-"); // numeric has no negative zero
  return out;
}

/// True when the expression `n` (not its sub-selects) holds a function call
/// that `pick` picks.
template <class Pick>
bool holds_call(const node* n, const Pick& pick) {
  std::function<bool(const ProtobufCMessage*)> walk = [&](const ProtobufCMessage* m) {
    if (m->descriptor == &pg_query__select_stmt__descriptor)
      return false;
    if (m->descriptor == &pg_query__func_call__descriptor
        && pick(reinterpret_cast<const PgQuery__FuncCall*>(m)))
      return true;
    bool found = false;
    pg_nodes::each_child(const_cast<ProtobufCMessage*>(m),
                         [&](ProtobufCMessage* child) { found = found || walk(child); });
    return found;
  };
  return n != nullptr && walk(reinterpret_cast<const ProtobufCMessage*>(n));
}

/// An aggregate call (sum(v) OVER (...) is a window call, not one).
inline bool is_aggregate_call(const PgQuery__FuncCall* f) {
  return f->over == nullptr && is_aggregate_name(last_name(f->n_funcname, f->funcname));
}

inline bool is_window_call(const PgQuery__FuncCall* f) {
  return f->over != nullptr;
}

/// Functions PostgreSQL has only as window functions.
inline bool is_window_only(const std::string& n) {
  return n == "row_number" || n == "rank" || n == "dense_rank" || n == "lag" || n == "lead"
         || n == "first_value" || n == "last_value" || n == "ntile" || n == "nth_value"
         || n == "percent_rank" || n == "cume_dist";
}

/// PostgreSQL's aggregates that hypertide does not have (0A000, not
/// "function does not exist").
inline bool is_unsupported_aggregate(const std::string& n) {
  static const char* const names[] = {
    "string_agg", "array_agg", "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp",
    "var_pop", "bit_and", "bit_or", "bit_xor", "json_agg",
    "jsonb_agg", "json_object_agg", "jsonb_object_agg", "xmlagg", "corr", "covar_pop",
    "covar_samp", "regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2",
    "regr_slope", "regr_sxx", "regr_sxy", "regr_syy", "mode", "range_agg"};
  return std::find(std::begin(names), std::end(names), n) != std::end(names);
}

/// `x::t` of a column whose values `t` keeps as they are (a wider integer,
/// double precision of real, timestamp of timestamptz in UTC): the column,
/// so that WHERE and aggregates read it directly; else `e` itself.
/// With `compare`, also an integer column cast to double precision or
/// numeric (the chunk's filter compares it with a float constant as
/// double precision).
inline bexpr value_preserving_column(bexpr e, bool compare = false) {
  if (e.k != bexpr::kind::func || e.name != "::" || e.args[0].k != bexpr::kind::column)
    return e;
  int32_t from = e.args[0].type, to = e.type;
  auto int_rank = [](int32_t t) { return t == oid::int2 ? 0 : t == oid::int4 ? 1 : 2; };
  bool keeps = (is_int(from) && is_int(to) && int_rank(from) <= int_rank(to))
               || (is_float(from) && to == oid::float8) || (is_time(from) && is_time(to))
               || (compare && is_int(from) && (to == oid::float8 || to == oid::numeric));
  if (!keeps)
    return e;
  bexpr c = std::move(e.args[0]);
  if (is_time(to))
    c.type = to; // the same microseconds, read in UTC
  return c;
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
  /// A join's columns: the relation (alias) each comes from, and which are
  /// hidden from `*` and unqualified names (USING's copies). Null for one
  /// table.
  const join_columns* joined = nullptr;
  /// GROUP BY expressions and aggregate arguments the chunks cannot
  /// compute (bound over table columns): column `schema.columns.size() + i`
  /// of the fragment is `computed[i]` (see computed_columns).
  std::vector<bexpr> computed{};
  /// Per aggregate of the fragment: over distinct values (count(DISTINCT
  /// x), sum(DISTINCT x)): computed on the access node.
  std::vector<bool> distinct_aggregates{};
  /// Per aggregate of the fragment: a percentile's spec (the aggregate
  /// itself is a placeholder computed on the access node).
  std::vector<std::optional<node_aggregate>> node_aggregates{};
  /// True while binding the select list and ORDER BY: where window
  /// functions may stand.
  bool window_context = false;
  /// A SELECT without FROM (constant_select): its window calls are not
  /// supported yet rather than misplaced.
  bool no_from = false;

  /// A window function call: bound in the current context (its arguments
  /// over group keys and aggregates in an aggregate query), registered in
  /// the plan.
  bexpr bind_window(const std::string& name, const PgQuery__FuncCall* f);

  /// The fragment's column for `e`, an expression over the table's columns
  /// that is not one of them: a computed column, one per distinct
  /// expression.
  int computed_column(bexpr e, int32_t location) {
    if (e.type == oid::interval)
      fail("0A000", "grouping or aggregating interval expressions is not supported yet",
           location);
    if (e.type == oid::unknown) // an untyped literal or NULL: text, as PostgreSQL resolves it
      e = constant(e.value.null ? null_of(oid::text) : make_text(e.value.s));
    const int width = static_cast<int>(schema.columns.size());
    for (size_t i = 0; i < computed.size(); ++i)
      if (same(computed[i], e))
        return width + static_cast<int>(i);
    computed.push_back(std::move(e));
    return width + static_cast<int>(computed.size() - 1);
  }

  /// True when a GROUP BY key is an expression other than a column (then
  /// any expression of an aggregate query may be that key).
  bool expression_keys() const {
    return std::any_of(key_exprs.begin(), key_exprs.end(),
                       [](const bexpr& k) { return k.k != bexpr::kind::column; });
  }

  bexpr constant(datum d) {
    bexpr e;
    e.k = bexpr::kind::constant;
    e.type = d.type;
    e.value = std::move(d);
    return e;
  }

  /// A folded constant when `e` has no columns.
  /// LIMIT's or OFFSET's count (-1 for none or NULL): a constant, made a
  /// bigint as PostgreSQL assigns it ('5' from a driver's parameter, 1.5
  /// rounded).
  int64_t count_of(const node* n, const char* what) {
    if (n == nullptr)
      return -1;
    bexpr e = fold(bind(n));
    if (e.k != bexpr::kind::constant || !(is_number(e.type) || e.type == oid::unknown))
      fail("42804", std::string{"argument of "} + what + " must be an integer constant");
    if (e.value.null)
      return -1;
    datum d = is_int(e.type) ? e.value : cast_datum(e.value, oid::int8, -1);
    if (d.i < 0)
      fail("2201W", std::string{what} + " must not be negative");
    return d.i;
  }

  bexpr fold(bexpr e) {
    if (e.k == bexpr::kind::constant || has_columns(e) || is_volatile(e))
      return e; // random() is drawn per row, not once
    return constant(eval(e, std::vector<datum>{}));
  }

  bexpr column(const PgQuery__ColumnRef* c) {
    if (c->n_fields > 0 && c->fields[c->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR)
      fail("0A000", "* is only supported alone in the select list", c->location);
    if (c->n_fields > 2)
      fail("0A000", "cross-database references are not implemented", c->location);
    if (joined != nullptr)
      return joined_column(c);
    if (c->n_fields == 2) {
      std::string q = string_of(c->fields[0]) ? string_of(c->fields[0]) : "";
      if (q != alias && q != table)
        fail("42P01", "missing FROM-clause entry for table \"" + q + "\"", c->location);
    }
    std::string name = last_name(c->n_fields, c->fields);
    const char* q = c->n_fields == 2 ? string_of(c->fields[0]) : nullptr;
    return column_at(schema.find(name), q ? q : "", name, c->location);
  }

  /// Column `col` of the table; 42703 naming `q.name` when it is -1
  /// (PostgreSQL quotes the name only when it stands alone).
  bexpr column_at(int col, const std::string& q, const std::string& name, int32_t location) {
    if (col < 0)
      fail("42703", "column " + (q.empty() ? "\"" + name + "\"" : q + "." + name) + " does not exist",
           location);
    bexpr e;
    e.k = bexpr::kind::column;
    e.index = col;
    e.type = oid_of(schema.columns[static_cast<size_t>(col)]);
    return e;
  }

  bexpr joined_column(const PgQuery__ColumnRef* c) {
    std::string name = last_name(c->n_fields, c->fields);
    std::string q = c->n_fields == 2 && string_of(c->fields[0]) ? string_of(c->fields[0]) : "";
    const auto& quals = joined->qualifiers;
    if (!q.empty() && std::find(quals.begin(), quals.end(), q) == quals.end())
      fail("42P01", "missing FROM-clause entry for table \"" + q + "\"", c->location);
    int col = -1;
    for (size_t i = 0; i < schema.columns.size(); ++i) {
      bool match = schema.columns[i].name == name
                   && (q.empty() ? !joined->hidden[i] : quals[i] == q);
      if (!match)
        continue;
      if (col >= 0)
        fail("42702", "column reference \"" + name + "\" is ambiguous", c->location);
      col = static_cast<int>(i);
    }
    return column_at(col, q, name, c->location);
  }

  /// The columns `*` (q empty) or `q.*` stands for.
  std::vector<int> star_columns(const std::string& q, int32_t location) const {
    std::vector<int> out;
    for (size_t i = 0; i < schema.columns.size(); ++i)
      if (joined == nullptr ? q.empty() || q == alias || q == table
                            : q.empty() ? !joined->hidden[i] : joined->qualifiers[i] == q)
        out.push_back(static_cast<int>(i));
    if (out.empty() && !q.empty())
      fail("42P01", "missing FROM-clause entry for table \"" + q + "\"", location);
    return out;
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
        d.s = numeric_literal_text(s);
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

  /// varchar(n)'s n in a cast, or -1.
  static int32_t cast_typmod(const PgQuery__TypeName* t) {
    if (t->n_typmods == 1 && t->typmods[0]->node_case == PG_QUERY__NODE__NODE_A_CONST
        && t->typmods[0]->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL
        && last_name(t->n_names, t->names) == "varchar")
      return t->typmods[0]->a_const->ival->ival;
    return -1;
  }

  int32_t cast_type(const PgQuery__TypeName* t) {
    if (t->n_array_bounds > 0)
      fail("0A000", "arrays are not supported", t->location);
    auto n = last_name(t->n_names, t->names);
    if (n == "timestamptz")
      return oid::timestamptz;
    if (n == "timestamp")
      return oid::timestamp;
    if (n == "interval")
      return oid::interval;
    if (n == "int4")
      return oid::int4;
    if (n == "int2")
      return oid::int2;
    if (n == "int8")
      return oid::int8;
    if (n == "float8")
      return oid::float8;
    if (n == "float4")
      return oid::float4;
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
      // A GROUP BY expression is a key wherever it appears (a window call
      // is not one).
      if (n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL
          || (!is_aggregate_name(last_name(n->func_call->n_funcname, n->func_call->funcname))
              && n->func_call->over == nullptr)) {
        const bool ref_or_call = n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF
                                 || n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL;
        if (ref_or_call
            || (n->node_case != PG_QUERY__NODE__NODE_A_CONST && expression_keys())) {
          bool saved = agg_context, saved_window = window_context;
          agg_context = false;
          window_context = false; // a window call is never a key
          bexpr raw;
          bool bound = true;
          try {
            raw = fold(bind(n));
          } catch (const bind_failure& f) {
            agg_context = saved;
            window_context = saved_window;
            bound = false;
            // (v + 1) * count(*): not a key itself, its parts may be (bound
            // below). round(avg(x), 2): a function of aggregates, not a key
            // (a function that does not exist says so).
            if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF
                || (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL
                    && f.err.error.sqlstate == "42883"))
              throw;
            if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL)
              return bind_func(n->func_call);
          }
          agg_context = saved;
          window_context = saved_window;
          for (size_t k = 0; bound && k < key_exprs.size(); ++k)
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
        int32_t loc = n->type_cast->location;
        int32_t len = cast_typmod(n->type_cast->type_name);
        if (arg.k == bexpr::kind::constant)
          // A literal's input error points at it; a value's cast, as at run
          // time, has no position.
          return constant(cut_varchar(
            cast_datum(arg.value, t, arg.type == oid::unknown ? loc : -1), len));
        if (arg.type == t && len < 0)
          return arg;
        if (!castable(arg.type, t))
          fail("42846", std::string{"cannot cast type "} + type_name(arg.type) + " to "
                          + type_name(t), loc);
        bexpr e;
        e.k = bexpr::kind::func;
        e.name = "::";
        e.type = t;
        e.index = len; // varchar(n): n
        e.args.push_back(std::move(arg));
        return e;
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
      case PG_QUERY__NODE__NODE_CASE_EXPR:
        return bind_case(n->case_expr);
      case PG_QUERY__NODE__NODE_COALESCE_EXPR: {
        std::vector<bexpr> vs;
        for (size_t i = 0; i < n->coalesce_expr->n_args; ++i)
          vs.push_back(i == 0 ? fold(bind(n->coalesce_expr->args[i]))
                              : lazy_branch(n->coalesce_expr->args[i]));
        return conditional("coalesce", std::move(vs), {}, "COALESCE",
                           n->coalesce_expr->location);
      }
      case PG_QUERY__NODE__NODE_MIN_MAX_EXPR: {
        const auto* m = n->min_max_expr;
        std::vector<bexpr> vs;
        for (size_t i = 0; i < m->n_args; ++i)
          vs.push_back(fold(bind(m->args[i])));
        bool greatest = m->op == PG_QUERY__MIN_MAX_OP__IS_GREATEST;
        return conditional(greatest ? "greatest" : "least", std::move(vs), {},
                           greatest ? "GREATEST" : "LEAST", m->location);
      }
      case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
        if (n->sqlvalue_function->op == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP)
          return constant(make_int(oid::timestamptz, now));
        if (n->sqlvalue_function->op == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP)
          return constant(make_int(oid::timestamp, now)); // the session's zone is UTC
        switch (n->sqlvalue_function->op) {
          case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER:
          case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE:
          case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER:
          case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER:
            return constant(make_text(session_user()));
          case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG:
            return constant(make_text("postgres"));
          case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA:
            return constant(make_text("public"));
          default:
            break;
        }
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
  void unify(bexpr& a, bexpr& b, int32_t location);

  /// NOT `e`.
  static bexpr negated(bexpr e);

  /// An operator expression (A_Expr): arithmetic and comparison
  /// operators, [I]LIKE, NULLIF, IN (list) and BETWEEN.
  bexpr bind_a_expr(const PgQuery__AExpr* x);

  /// A function call: window and aggregate calls, the session's
  /// functions, time_bucket, date_trunc, AT TIME ZONE and scalar
  /// functions (their untyped literal arguments typed as they want).
  bexpr bind_func(const PgQuery__FuncCall* f);

  /// date_trunc(field, t): the time_bucket of the field's width (the
  /// session's zone is UTC, and time_bucket's origin, a Monday at midnight
  /// in 2000, starts days, weeks, months, quarters, years and decades where
  /// date_trunc does), so that GROUP BY date_trunc(...) runs in the chunks.
  bexpr bind_date_trunc(const PgQuery__FuncCall* f);

  std::string session_user() const {
    if (setting != nullptr)
      if (auto v = (*setting)("session_authorization"))
        return *v;
    return "postgres";
  }

  static bool texty_type(int32_t t) {
    return t == oid::text || t == oid::varchar || t == oid::unknown;
  }

  /// CASE, COALESCE, GREATEST/LEAST and NULLIF: a function over branches
  /// whose result type is their common type (unknown literals text).
  bexpr conditional(std::string name, std::vector<bexpr> values, std::vector<bexpr> conds,
                    const char* what, int32_t location) {
    int32_t t = oid::unknown;
    for (const auto& v : values)
      t = common_type(t, v.type, what, location);
    if (t == oid::unknown)
      t = oid::text;
    for (auto& v : values)
      if (v.k == bexpr::kind::constant)
        v = constant(cast_datum(v.value, t, location));
    bexpr e;
    e.k = bexpr::kind::func;
    e.name = std::move(name);
    e.type = t;
    // CASE: cond1, value1, cond2, value2, ..., [else]; others: the values.
    if (!conds.empty()) {
      for (size_t i = 0; i < conds.size(); ++i) {
        e.args.push_back(std::move(conds[i]));
        e.args.push_back(std::move(values[i]));
      }
      if (values.size() > conds.size())
        e.args.push_back(std::move(values.back()));
    } else {
      e.args = std::move(values);
    }
    return fold(std::move(e));
  }

  /// A branch of CASE or COALESCE: an error its constants raise as they
  /// fold (1 / 0) waits until the branch is taken, as in PostgreSQL.
  bexpr lazy_branch(const node* n) {
    try {
      return fold(bind(n));
    } catch (const bind_failure& f) {
      if (f.err.error.sqlstate.rfind("22", 0) != 0)
        throw;
      bexpr e;
      e.k = bexpr::kind::func;
      e.name = "raise";
      e.type = oid::unknown;
      e.value = make_text(f.err.error.sqlstate + f.err.error.message); // SQLSTATE: 5 characters
      return e;
    }
  }

  bexpr bind_case(const PgQuery__CaseExpr* c) {
    std::vector<bexpr> values, conds;
    std::optional<bexpr> subject;
    if (c->arg)
      subject = fold(bind(c->arg));
    for (size_t i = 0; i < c->n_args; ++i) {
      const auto* w = c->args[i]->case_when;
      bexpr cond = fold(bind(w->expr));
      if (subject) {
        // CASE x WHEN v: x = v.
        bexpr l = *subject, r = cond;
        unify(l, r, w->location);
        bexpr eq;
        eq.k = bexpr::kind::op;
        eq.name = "=";
        eq.type = oid::bool_;
        eq.args = {std::move(l), std::move(r)};
        cond = fold(std::move(eq));
      } else if (cond.type != oid::bool_ && !(cond.k == bexpr::kind::constant && cond.value.null)) {
        fail("42804", std::string{"argument of CASE/WHEN must be type boolean, not type "}
                        + type_name(cond.type), w->location);
      }
      conds.push_back(std::move(cond));
      values.push_back(lazy_branch(w->result));
    }
    if (c->defresult)
      values.push_back(lazy_branch(c->defresult));
    else
      values.push_back(constant(null_of(oid::unknown)));
    return conditional("case", std::move(values), std::move(conds), "CASE", c->location);
  }

  /// An aggregate call (count, sum, ..., FILTER, DISTINCT, percentiles,
  /// bool_and/bool_or): registered in the fragment, computed columns for
  /// arguments that are not columns.
  bexpr bind_aggregate(const std::string& name, const PgQuery__FuncCall* f);
};

/// Converts a bound WHERE expression into a chunk predicate.
cs::predicate to_predicate(const bexpr& e, const cs::table_schema& schema);

/// The name PostgreSQL gives a select-list item.
std::string output_name(const node* n);

} // namespace hypertide::planner::detail
