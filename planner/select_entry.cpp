// SELECT entry points besides plan_select: constant SELECTs, constant
// expressions, plain table scans, and what a SELECT reads.

#include "planner/local_table.hpp"
#include "planner/select_binder.hpp"

namespace hypertide::planner {

using namespace detail;

namespace {

/// True when a SELECT without FROM aggregates (`SELECT count(*)`), groups
/// or calls a window function: it runs over one row, as in PostgreSQL.
bool aggregates_one_row(const PgQuery__SelectStmt* s) {
  if (s->n_group_clause > 0 || s->having_clause)
    return true;
  for (size_t i = 0; i < s->n_target_list; ++i)
    if (holds_call(s->target_list[i]->res_target->val,
                   [](const PgQuery__FuncCall* f) { return is_window_call(f) || is_aggregate_call(f); }))
      return true;
  return false;
}

} // namespace

std::variant<statement_result, positioned_error>
constant_select(const void* raw, cs::timestamp now, const setting_lookup& setting) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  if (s->n_values_lists == 0 && aggregates_one_row(s)) {
    // One row of one column no name can reach.
    local_table one;
    one.schema.columns.push_back(cs::column_def{std::string(1, '\0'), cs::column_type::int4});
    one.rows = cs::column_batch{one.schema};
    one.rows.append_null(0);
    one.rows.finish_row();
    return run_local(raw, one, now);
  }
  static const cs::table_schema no_columns;
  select_plan plan;
  try {
    binder b{no_columns, now, "", "", &plan, false, {}, {}, &setting};
    b.no_from = true;
    statement_result r;
    if (s->n_values_lists > 0) {
      // VALUES (...), (...): constants, columns column1.. typed as UNION's.
      if (s->n_sort_clause > 0 || s->limit_count || s->limit_offset)
        fail("0A000", "ORDER BY, LIMIT and OFFSET on VALUES are not supported yet");
      std::vector<std::vector<datum>> rows;
      size_t width = s->values_lists[0]->list->n_items;
      for (size_t i = 0; i < s->n_values_lists; ++i) {
        const auto* list = s->values_lists[i]->list;
        if (list->n_items != width)
          fail("42601", "VALUES lists must all be the same length");
        std::vector<datum> row;
        for (size_t c = 0; c < width; ++c) {
          bexpr e = b.fold(b.bind(list->items[c]));
          if (e.k != bexpr::kind::constant && !has_columns(e))
            e = b.constant(eval(e, {})); // random()
          if (e.k != bexpr::kind::constant)
            fail("0A000", "this expression is not supported yet");
          row.push_back(e.value);
        }
        rows.push_back(std::move(row));
      }
      for (size_t c = 0; c < width; ++c) {
        int32_t t = rows[0][c].type;
        for (const auto& row : rows)
          t = common_type(t, row[c].type, "VALUES", -1);
        r.untyped.push_back(t == oid::unknown);
        t = t == oid::unknown ? oid::text : t;
        r.columns.push_back(result_column{"column" + std::to_string(c + 1), t});
      }
      for (const auto& row : rows) {
        std::vector<std::optional<std::string>> cells;
        for (size_t c = 0; c < width; ++c)
          cells.push_back(to_text(cast_datum(row[c], r.columns[c].type_oid, -1)));
        r.rows.push_back(std::move(cells));
      }
      r.tag = "SELECT " + std::to_string(r.rows.size());
      return r;
    }
    std::vector<std::optional<std::string>> row;
    for (size_t i = 0; i < s->n_target_list; ++i) {
      const auto* rt = s->target_list[i]->res_target;
      bexpr e = b.fold(b.bind(rt->val));
      if (e.k != bexpr::kind::constant && !has_columns(e))
        e = b.constant(eval(e, {})); // random()
      if (e.k != bexpr::kind::constant)
        fail("0A000", "this expression is not supported yet");
      r.untyped.push_back(e.type == oid::unknown);
      r.columns.push_back(result_column{has(rt->name) ? rt->name : output_name(rt->val),
                                        e.type == oid::unknown ? oid::text : e.type});
      row.push_back(to_text(e.value));
    }
    // LIMIT and OFFSET of the one row.
    int64_t limit = b.count_of(s->limit_count, "LIMIT");
    int64_t offset = b.count_of(s->limit_offset, "OFFSET");
    if (limit != 0 && offset <= 0)
      r.rows.push_back(std::move(row));
    r.tag = "SELECT " + std::to_string(r.rows.size());
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
    b.no_from = true;
    bexpr e = b.fold(b.bind(static_cast<const node*>(raw)));
    if (e.k != bexpr::kind::constant && !has_columns(e))
      return eval(e, {}); // random(): drawn here, once per value
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
    e.type = oid_of(schema.columns[static_cast<size_t>(cols[i])]);
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
                           sub->subquery->select_stmt, alias_columns(sub->alias)};
    }
    if (f->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
      fail("0A000", "joins and table functions in FROM are not supported yet");
    const auto* rv = f->range_var;
    std::string schema = has(rv->schemaname) ? rv->schemaname : "";
    if (!readable_schema(schema))
      fail("42P01", "relation \"" + schema + "." + rv->relname + "\" does not exist",
           rv->location);
    if (schema == "timescaledb_information" || schema == "information_schema")
      return select_source{schema + "." + rv->relname, nullptr, {}};
    return select_source{rv->relname, nullptr, {}};
  } catch (const bind_failure& f) {
    return f.err;
  }
}

namespace {

void collect_relations(const node* n, std::vector<std::string>& out);

void collect_select(const PgQuery__SelectStmt* s, std::vector<std::string>& out) {
  if (s == nullptr)
    return;
  collect_select(s->larg, out);
  collect_select(s->rarg, out);
  if (s->with_clause)
    for (size_t i = 0; i < s->with_clause->n_ctes; ++i)
      if (s->with_clause->ctes[i]->node_case == PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR)
        collect_relations(s->with_clause->ctes[i]->common_table_expr->ctequery, out);
  for (size_t i = 0; i < s->n_from_clause; ++i)
    collect_relations(s->from_clause[i], out);
}

void collect_relations(const node* n, std::vector<std::string>& out) {
  if (n == nullptr)
    return;
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT: collect_select(n->select_stmt, out); break;
    case PG_QUERY__NODE__NODE_RANGE_VAR: out.emplace_back(n->range_var->relname); break;
    case PG_QUERY__NODE__NODE_JOIN_EXPR:
      collect_relations(n->join_expr->larg, out);
      collect_relations(n->join_expr->rarg, out);
      break;
    case PG_QUERY__NODE__NODE_RANGE_SUBSELECT:
      collect_relations(n->range_subselect->subquery, out);
      break;
    default: break;
  }
}

} // namespace

std::vector<std::string> relations_read(const void* raw) {
  std::vector<std::string> out;
  collect_select(static_cast<const PgQuery__SelectStmt*>(raw), out);
  return out;
}

bool is_join(const void* raw) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  return s->n_from_clause > 1
         || (s->n_from_clause == 1 && s->from_clause[0]->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR);
}

bool has_from(const void* raw) {
  return static_cast<const PgQuery__SelectStmt*>(raw)->n_from_clause > 0;
}

bool is_set_operation(const void* raw) {
  auto op = static_cast<const PgQuery__SelectStmt*>(raw)->op;
  return op != PG_QUERY__SET_OPERATION__SETOP_NONE
         && op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED;
}

size_t set_operation_depth(const void* raw) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  if (s == nullptr || !is_set_operation(s))
    return 0;
  return 1 + std::max(set_operation_depth(s->larg), set_operation_depth(s->rarg));
}

std::pair<const void*, const void*> set_operation_sides(const void* raw) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  return {s->larg, s->rarg};
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

} // namespace hypertide::planner
