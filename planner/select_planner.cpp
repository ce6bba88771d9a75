#include "planner/select_planner.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <functional>

#include "chunkstore/time_bucket.hpp"
#include "planner/datetime.hpp"
#include "planner/pg_format.hpp"
#include "planner/pg_nodes.hpp"
#include "planner/select_binder.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;
using namespace pg_nodes;

using namespace detail;

namespace detail {


/// Converts a bound WHERE expression into a chunk predicate.
cs::predicate to_predicate(const bexpr& e_in, const cs::table_schema& schema) {
  using P = cs::predicate;
  // Casts that keep a column's values compare the column itself.
  bexpr e = e_in;
  if (e.k == bexpr::kind::op || e.k == bexpr::kind::in_list || e.k == bexpr::kind::is_null
      || e.k == bexpr::kind::is_not_null)
    for (auto& a : e.args)
      a = value_preserving_column(std::move(a), true);
  auto value_of = [&](const datum& d, int column) {
    auto t = schema.columns[static_cast<size_t>(column)].type;
    if (d.null)
      return cs::value::null(t);
    switch (d.type) {
      case oid::float8:
      case oid::float4:
      case oid::numeric:
        return cs::value::of_float(d.f);
      case oid::text:
      case oid::varchar:
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

std::string output_name(const node* n) {
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_COLUMN_REF:
      return last_name(n->column_ref->n_fields, n->column_ref->fields);
    case PG_QUERY__NODE__NODE_FUNC_CALL:
      return last_name(n->func_call->n_funcname, n->func_call->funcname);
    case PG_QUERY__NODE__NODE_TYPE_CAST: {
      // PostgreSQL's FigureColname: the argument's name, else the type's.
      std::string inner = n->type_cast->arg->node_case == PG_QUERY__NODE__NODE_A_CONST
                            ? "?column?"
                            : output_name(n->type_cast->arg);
      return inner != "?column?"
               ? inner
               : last_name(n->type_cast->type_name->n_names, n->type_cast->type_name->names);
    }
    case PG_QUERY__NODE__NODE_COALESCE_EXPR:
      return "coalesce";
    case PG_QUERY__NODE__NODE_CASE_EXPR:
      return "case";
    case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
      return n->min_max_expr->op == PG_QUERY__MIN_MAX_OP__IS_GREATEST ? "greatest" : "least";
    case PG_QUERY__NODE__NODE_A_EXPR:
      return n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF ? "nullif" : "?column?";
    case PG_QUERY__NODE__NODE_SUB_LINK: {
      const auto* sl = n->sub_link;
      if (sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK)
        return "exists";
      if (sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK && sl->subselect
          && sl->subselect->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
        const auto* sub = sl->subselect->select_stmt;
        if (sub->n_target_list > 0) {
          const auto* rt = sub->target_list[0]->res_target;
          return has(rt->name) ? rt->name : output_name(rt->val);
        }
      }
      return "?column?";
    }
    case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
      switch (n->sqlvalue_function->op) {
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP: return "localtimestamp";
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER: return "current_user";
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE: return "current_role";
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER: return "session_user";
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER: return "user";
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG: return "current_catalog";
        case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA: return "current_schema";
        default: return "current_timestamp";
      }
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
/// `q` of `q.*`, empty for `*`.
std::string star_qualifier(const PgQuery__ColumnRef* c) {
  return c->n_fields == 2 && string_of(c->fields[0]) ? string_of(c->fields[0]) : "";
}

/// True for `*` and `q.*`.
bool is_star(const node* v) {
  return v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && v->column_ref->n_fields >= 1
         && v->column_ref->fields[v->column_ref->n_fields - 1]->node_case
              == PG_QUERY__NODE__NODE_A_STAR;
}

/// An ordinal counts the columns `*` stands for: when it lands on one of
/// them, `*star_col` is that table column and the result is nullptr.
const node* target_ref(const node* n, const PgQuery__SelectStmt* s, bool prefer_input,
                       const cs::table_schema& schema, const binder& b, int* star_col) {
  if (n->node_case == PG_QUERY__NODE__NODE_A_CONST
      && n->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
    fail("42601", std::string{"non-integer constant in "} + (prefer_input ? "GROUP BY" : "ORDER BY"),
         n->a_const->location);
  if (n->node_case == PG_QUERY__NODE__NODE_A_CONST) {
    int k = n->a_const->ival->ival;
    int pos = 0;
    for (size_t i = 0; k >= 1 && i < s->n_target_list; ++i) {
      const node* v = s->target_list[i]->res_target->val;
      if (is_star(v)) {
        auto cols = b.star_columns(star_qualifier(v->column_ref), v->column_ref->location);
        if (k <= pos + static_cast<int>(cols.size())) {
          *star_col = cols[static_cast<size_t>(k - pos - 1)];
          return nullptr;
        }
        pos += static_cast<int>(cols.size());
      } else if (++pos == k) {
        return v;
      }
    }
    fail("42P10", std::string{prefer_input ? "GROUP BY" : "ORDER BY"} + " position "
                    + std::to_string(k) + " is not in select list",
         n->a_const->location);
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
      || (!cs::is_time_type(tdef.type) && tdef.type != cs::column_type::int4
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
      for (int c : b.star_columns(star_qualifier(v->column_ref), v->column_ref->location))
        outs.emplace_back(c, schema.columns[static_cast<size_t>(c)].name);
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
    k.type = oid_of(schema.columns[static_cast<size_t>(c)]);
    b.key_exprs.push_back(k);
  }
  auto key_ref = [&](int c) {
    for (size_t k = 0; k < cols.size(); ++k)
      if (cols[k] == c) {
        bexpr e;
        e.k = bexpr::kind::key;
        e.index = static_cast<int>(k);
        e.type = oid_of(schema.columns[static_cast<size_t>(c)]);
        return e;
      }
    auto& aggs = plan.fragment.aggregates;
    aggs.push_back(cs::aggregate{pick, c, tcol.index});
    bexpr e;
    e.k = bexpr::kind::agg;
    e.index = static_cast<int>(aggs.size() - 1);
    e.type = oid_of(schema.columns[static_cast<size_t>(c)]);
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

/// Moves the grouping and aggregation of `plan` to the access node, over
/// the `computed` expressions (bound over `schema`'s columns; fragment
/// column `schema.columns.size() + i` is expression i): the fragment then
/// fetches the rows its filter selects -- only the columns the keys,
/// aggregates and expressions read -- and plan.computed says the rest.
/// count(DISTINCT x) and kin when they are the only aggregates, all over
/// the same column, with no computed expressions: the chunks group by the
/// keys and x (the distinct pairs, far fewer than the rows), and the
/// access node aggregates those pairs by the keys.
bool pregroup_distinct(select_plan& plan, const cs::table_schema& schema,
                       const std::vector<bexpr>& computed, const std::vector<bool>& distinct) {
  const auto& aggs = plan.fragment.aggregates;
  if (!computed.empty() || aggs.empty() || distinct.size() != aggs.size())
    return false;
  for (size_t a = 0; a < aggs.size(); ++a)
    if (!distinct[a] || aggs[a].column != aggs[0].column || aggs[a].time_column >= 0)
      return false;
  auto stage = std::make_shared<computed_columns>();
  stage->pregrouped = true;
  const int x = aggs[0].column;
  const size_t nk = plan.fragment.keys.size();
  for (size_t k = 0; k < nk; ++k) {
    const auto& key = plan.fragment.keys[k];
    cs::column_def d = schema.columns[static_cast<size_t>(key.column)];
    d.type = cs::key_type(schema, key);
    if (key.k == cs::group_key::kind::time_bucket)
      d.name = "time_bucket(" + d.name + ")";
    stage->schema.columns.push_back(std::move(d));
    stage->fragment.keys.push_back(
      cs::group_key{cs::group_key::kind::column, static_cast<int>(k), {}});
  }
  stage->schema.columns.push_back(schema.columns[static_cast<size_t>(x)]);
  for (const auto& a : aggs)
    stage->fragment.aggregates.push_back(cs::aggregate{a.kind, static_cast<int>(nk), -1});
  stage->fragment.table = plan.fragment.table;
  stage->distinct.assign(aggs.size(), false); // the pairs are distinct already
  plan.fragment.keys.push_back(cs::group_key{cs::group_key::kind::column, x, {}});
  plan.fragment.aggregates.clear();
  plan.computed = std::move(stage);
  return true;
}

void compute_on_access_node(select_plan& plan, const cs::table_schema& schema,
                            std::vector<bexpr> computed, std::vector<bool> distinct,
                            std::vector<std::optional<node_aggregate>> node_aggregates) {
  const bool any_percentile = std::any_of(node_aggregates.begin(), node_aggregates.end(),
                                          [](const auto& p) { return p.has_value(); });
  if (!any_percentile && pregroup_distinct(plan, schema, computed, distinct))
    return;
  const size_t width = schema.columns.size();
  std::vector<int> reads;
  for (const auto& k : plan.fragment.keys)
    reads.push_back(k.column);
  for (const auto& a : plan.fragment.aggregates) {
    reads.push_back(a.column);
    reads.push_back(a.time_column);
  }
  for (const auto& e : computed)
    columns_of(e, reads);
  auto stage = std::make_shared<computed_columns>();
  std::vector<int> slot(width + computed.size(), -1);
  auto& fetch = plan.fragment.projection;
  fetch.clear();
  for (size_t c = 0; c < width; ++c)
    if (std::find(reads.begin(), reads.end(), static_cast<int>(c)) != reads.end()) {
      slot[c] = static_cast<int>(fetch.size());
      fetch.push_back(static_cast<int>(c));
      stage->schema.columns.push_back(schema.columns[c]);
    }
  if (fetch.empty()) {
    // count(*) ... GROUP BY a constant: one column still gives the rows.
    fetch.push_back(0);
    stage->schema.columns.push_back(schema.columns[0]);
  }
  for (size_t i = 0; i < computed.size(); ++i) {
    slot[width + i] = static_cast<int>(stage->schema.columns.size());
    stage->schema.columns.push_back(column_of_type(describe(computed[i], schema), computed[i].type));
  }
  std::function<void(bexpr&)> to_slot = [&](bexpr& e) {
    if (e.k == bexpr::kind::column)
      e.index = slot[static_cast<size_t>(e.index)];
    for (auto& a : e.args)
      to_slot(a);
  };
  for (auto& e : computed)
    to_slot(e);
  stage->exprs = std::move(computed);
  auto at = [&](int c) { return c < 0 ? c : slot[static_cast<size_t>(c)]; };
  stage->fragment.table = plan.fragment.table;
  stage->fragment.keys = std::move(plan.fragment.keys);
  for (auto& k : stage->fragment.keys)
    k.column = at(k.column);
  stage->fragment.aggregates = std::move(plan.fragment.aggregates);
  for (auto& a : stage->fragment.aggregates) {
    a.column = at(a.column);
    a.time_column = at(a.time_column);
  }
  distinct.resize(stage->fragment.aggregates.size(), false);
  stage->distinct = std::move(distinct);
  node_aggregates.resize(stage->fragment.aggregates.size());
  stage->node_aggregates = std::move(node_aggregates);
  plan.fragment.keys.clear();
  plan.fragment.aggregates.clear();
  plan.computed = std::move(stage);
}

} // namespace detail

std::variant<select_plan, positioned_error>
plan_select(const void* raw, const cs::table_schema& schema, cs::timestamp now,
            const join_columns* joined) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  select_plan plan;
  try {
    const node* from = s->n_from_clause > 0 ? s->from_clause[0] : nullptr;
    std::string relname, alias;
    if (joined != nullptr || from == nullptr) {
      // A join's rows: names resolve by the join's relations. No FROM
      // (aggregates over the one row of a SELECT without FROM): no names.
    } else if (from->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT) {
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
    binder b{schema, now, alias, relname, &plan, false, {}, {}, nullptr, joined};
    plan.fragment.table = relname;
    const bool distinct_plain = s->n_distinct_clause == 1
                                && s->distinct_clause[0]->node_case == PG_QUERY__NODE__NODE__NOT_SET;
    const bool distinct_on = s->n_distinct_clause > 0 && !distinct_plain;
    if (s->n_locking_clause > 0 || s->into_clause)
      fail("0A000", "FOR UPDATE and SELECT INTO are not supported");
    // WHERE: pushed down to the chunks.
    if (s->where_clause && joined == nullptr) { // a join applied its WHERE itself
      bexpr w = b.fold(b.bind(s->where_clause));
      if (w.type != oid::bool_ && !(w.k == bexpr::kind::constant && w.value.null))
        fail("42804", std::string{"argument of WHERE must be type boolean, not type "}
                        + type_name(w.type));
      plan.fragment.filter = to_predicate(w, schema);
    }
    // Aggregate query?
    // An aggregate anywhere in an expression (CASE, COALESCE, casts, ...),
    // not inside a sub-query.
    auto has_agg = [](const node* n) { return holds_call(n, is_aggregate_call); };
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

    // Adds a GROUP BY key (`by`: an ordinal or output name may stand for
    // a select-list item) or a DISTINCT column bound from `g`.
    auto add_key = [&](const node* g, bool by) {
        int star_col = -1;
        const node* t = by ? target_ref(g, s, true, schema, b, &star_col) : nullptr;
        bexpr k = star_col >= 0 ? b.column_at(star_col, "", "", -1) : b.fold(b.bind(t ? t : g));
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
          if (k.type == oid::timestamptz || k.type == oid::timestamp) {
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
          // Any other expression: computed per row on the access node.
          key.k = cs::group_key::kind::column;
          key.column = b.computed_column(k, -1);
        }
        plan.fragment.keys.push_back(key);
        b.key_exprs.push_back(std::move(k));
    };

    if ((distinct_plain || distinct_on) && plan.aggregate)
      fail("0A000", "DISTINCT together with aggregates or GROUP BY is not supported yet");
    if (distinct_plain || distinct_on) {
      for (size_t i = 0; i < s->n_target_list; ++i)
        if (holds_call(s->target_list[i]->res_target->val, is_window_call))
          fail("0A000", "DISTINCT together with window functions is not supported yet");
    }
    if (distinct_plain) {
      // SELECT DISTINCT a, b  is  SELECT a, b ... GROUP BY a, b.
      plan.aggregate = true;
      if (star)
        for (size_t c = 0; c < schema.columns.size(); ++c) {
          bexpr e;
          e.k = bexpr::kind::column;
          e.index = static_cast<int>(c);
          e.type = oid_of(schema.columns[c]);
          plan.fragment.keys.push_back(cs::group_key{cs::group_key::kind::column, e.index, {}});
          b.key_exprs.push_back(e);
        }
      else
        for (size_t i = 0; i < s->n_target_list; ++i)
          add_key(s->target_list[i]->res_target->val, false);
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
        add_key(s->group_clause[i], true);
      b.agg_context = true;
      b.window_context = true;
      for (size_t i = 0; i < s->n_target_list; ++i) {
        const auto* rt = s->target_list[i]->res_target;
        plan.outputs.push_back(b.bind(rt->val));
        plan.names.push_back(has(rt->name) ? rt->name : output_name(rt->val));
      }
      b.window_context = false;
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
          for (int c : b.star_columns(star_qualifier(v->column_ref), v->column_ref->location)) {
            bexpr e;
            e.k = bexpr::kind::column;
            e.index = c;
            e.type = oid_of(schema.columns[static_cast<size_t>(c)]);
            plan.outputs.push_back(e);
            plan.names.push_back(schema.columns[static_cast<size_t>(c)].name);
          }
          continue;
        }
        b.window_context = true;
        plan.outputs.push_back(b.bind(v));
        b.window_context = false;
        plan.names.push_back(has(rt->name) ? rt->name : output_name(v));
      }
    }
    // ORDER BY, OFFSET, LIMIT.
    const bool order_done = !plan.order.empty(); // set by the DISTINCT ON rewrite
    for (size_t i = 0; i < s->n_sort_clause && !order_done; ++i) {
      const auto* sb = s->sort_clause[i]->sort_by;
      int star_col = -1;
      const node* t = target_ref(sb->node, s, false, schema, b, &star_col);
      select_plan::sort_key k;
      b.window_context = true;
      k.e = star_col >= 0 ? b.column_at(star_col, "", "", -1) : b.fold(b.bind(t ? t : sb->node));
      b.window_context = false;
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
    plan.limit = b.count_of(s->limit_count, "LIMIT");
    plan.offset = std::max<int64_t>(0, b.count_of(s->limit_offset, "OFFSET"));

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
      // Every expression over the rows: outputs, sort keys, DISTINCT ON,
      // window calls.
      auto each_expr = [&](auto&& f) {
        for (auto& o : plan.outputs)
          f(o);
        for (auto& k : plan.order)
          f(k.e);
        for (auto& d : plan.distinct_on)
          f(d);
        for (auto& w : plan.windows) {
          for (auto& a : w.args)
            f(a);
          for (auto& p : w.partition)
            f(p);
          for (auto& o : w.order)
            f(o.e);
        }
      };
      each_expr(mark);
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
      each_expr(to_slot);
      // Top-N next to the data when every sort key is a column (and no
      // window function needs the rows the limit would cut).
      bool simple = std::all_of(plan.order.begin(), plan.order.end(), [](const auto& k) {
        return k.e.k == bexpr::kind::column;
      });
      if (plan.limit >= 0 && simple && plan.distinct_on.empty() && plan.windows.empty()) {
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
    if (!b.computed.empty()
        || std::find(b.distinct_aggregates.begin(), b.distinct_aggregates.end(), true)
             != b.distinct_aggregates.end()
        || std::any_of(b.node_aggregates.begin(), b.node_aggregates.end(),
                       [](const auto& p) { return p.has_value(); }))
      compute_on_access_node(plan, schema, std::move(b.computed),
                             std::move(b.distinct_aggregates), std::move(b.node_aggregates));
    // Checked here, so that rows computed here meet the checks the
    // node's would.
    const auto& checked = plan.computed ? plan.computed->fragment : plan.fragment;
    if (auto e = cs::validate(checked, plan.computed ? plan.computed->schema : schema))
      fail(e->sqlstate, e->message);
  } catch (const bind_failure& f) {
    return f.err;
  }
  return plan;
}


} // namespace hypertide::planner
