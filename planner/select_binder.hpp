#pragma once

// The binder of SELECT planning: expressions of libpg_query's parse tree
// bound over a table's columns, or over the groups of an aggregate.
// Internal to planner/ (select_planner.cpp, select_entry.cpp).

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

  static bexpr negated(bexpr e) {
    bexpr n;
    n.k = bexpr::kind::not_;
    n.type = oid::bool_;
    n.args.push_back(std::move(e));
    return n;
  }

  bexpr bind_a_expr(const PgQuery__AExpr* x) {
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

  bexpr bind_func(const PgQuery__FuncCall* f) {
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

  /// date_trunc(field, t): the time_bucket of the field's width (the
  /// session's zone is UTC, and time_bucket's origin, a Monday at midnight
  /// in 2000, starts days, weeks, months, quarters, years and decades where
  /// date_trunc does), so that GROUP BY date_trunc(...) runs in the chunks.
  bexpr bind_date_trunc(const PgQuery__FuncCall* f) {
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
