#include "planner/catalog_query.hpp"

#include <algorithm>
#include <cctype>
#include <deque>

#include "planner/catalog_query_internal.hpp"
#include "planner/pg_nodes.hpp"

namespace hypertide::planner {

namespace {

using namespace pg_nodes;
using namespace catalog_detail;

// -- execution --------------------------------------------------------------------

/// One relation of a FROM clause bound to one of its rows (null: the
/// NULL-extended side of a LEFT JOIN).
struct binding {
  std::string alias;
  const relation* rel;
  const std::vector<cval>* row;
};
using frame = std::vector<binding>;

/// The frames visible to an expression: the innermost query's first, then
/// those of the queries it is nested in (correlated sub-queries).
struct scope {
  const frame* current;
  const scope* outer;
};

/// The most rows a FROM clause (its cross product) or a set-returning
/// function in a catalog query may produce: catalogs are small, and a
/// query must not run the node out of memory.
constexpr size_t max_rows = 1'000'000;

struct result_set {
  std::vector<std::string> names;
  std::vector<int32_t> types; ///< 0 until a value says
  std::vector<std::vector<cval>> rows;
};

class executor {
public:
  explicit executor(catalog_relations& cat) : cat_(cat) {}

  result_set run(const PgQuery__SelectStmt* s, const scope* outer) {
    if (s->op == PG_QUERY__SET_OPERATION__SETOP_UNION) {
      auto l = run(s->larg, outer);
      auto r = run(s->rarg, outer);
      if (l.names.size() != r.names.size())
        fail("42601", "each UNION query must have the same number of columns");
      for (size_t i = 0; i < l.types.size(); ++i)
        if (l.types[i] == 0)
          l.types[i] = r.types[i];
      for (auto& row : r.rows)
        l.rows.push_back(std::move(row));
      if (!s->all)
        dedupe(l.rows);
      order_outputs(s, l);
      limit(s, l.rows);
      return l;
    }
    if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
      fail("0A000", "INTERSECT and EXCEPT are not supported in catalog queries yet");
    if (s->n_values_lists > 0 || s->with_clause || s->n_group_clause > 0 || s->having_clause
        || s->n_window_clause > 0)
      fail("0A000", "VALUES, WITH, GROUP BY, HAVING and windows are not supported in catalog "
                    "queries yet");
    // FROM: a cross product of its items.
    std::vector<frame> frames{frame{}};
    for (size_t i = 0; i < s->n_from_clause; ++i) {
      auto item = from_item(s->from_clause[i], outer);
      std::vector<frame> next;
      if (!item.empty() && frames.size() > max_rows / item.size())
        fail("54000", "a catalog query's FROM is limited to " + std::to_string(max_rows)
                        + " combinations of rows");
      for (const auto& f : frames)
        for (const auto& g : item) {
          frame h = f;
          h.insert(h.end(), g.begin(), g.end());
          next.push_back(std::move(h));
        }
      frames = std::move(next);
    }
    if (s->where_clause != nullptr) {
      std::vector<frame> kept;
      for (auto& f : frames) {
        scope sc{&f, outer};
        if (truth(eval(s->where_clause, sc)))
          kept.push_back(std::move(f));
      }
      frames = std::move(kept);
    }
    // The select list, expanded (*).
    std::vector<const node*> exprs;
    std::vector<std::pair<size_t, size_t>> stars; ///< (binding, column) where exprs is null
    result_set out;
    for (size_t i = 0; i < s->n_target_list; ++i) {
      const auto* rt = s->target_list[i]->res_target;
      const node* v = rt->val;
      if (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
        const auto* cr = v->column_ref;
        const node* last = cr->fields[cr->n_fields - 1];
        if (last->node_case == PG_QUERY__NODE__NODE_A_STAR) {
          // With no rows the columns still come from the FROM items.
          frame empty_shape;
          if (frames.empty())
            for (size_t f = 0; f < s->n_from_clause; ++f) {
              frame g = null_shape(s->from_clause[f]);
              empty_shape.insert(empty_shape.end(), g.begin(), g.end());
            }
          expand_star(cr, frames, empty_shape, out, exprs, stars);
          continue;
        }
      }
      exprs.push_back(v);
      stars.emplace_back();
      out.names.push_back(has(rt->name) ? rt->name : output_name(v));
      out.types.push_back(0);
    }
    if (has_aggregate(s)) {
      aggregate_row(s, frames, outer, exprs, out);
      limit(s, out.rows);
      return out;
    }
    std::vector<size_t> order(frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
      scope sc{&frames[i], outer};
      std::vector<cval> row;
      for (size_t c = 0; c < exprs.size(); ++c)
        row.push_back(exprs[c] ? eval(exprs[c], sc) : star_value(frames[i], stars[c]));
      out.rows.push_back(std::move(row));
      order[i] = i;
    }
    for (size_t c = 0; c < out.names.size(); ++c)
      out.types[c] = column_type(out, c, c < exprs.size() ? exprs[c] : nullptr, frames);
    if (s->n_distinct_clause > 0) {
      if (s->distinct_clause[0] != nullptr
          && s->distinct_clause[0]->node_case != PG_QUERY__NODE__NODE__NOT_SET)
        fail("0A000", "DISTINCT ON is not supported in catalog queries yet");
      dedupe(out.rows);
      order_outputs(s, out);
    } else if (s->n_sort_clause > 0) {
      // Keys: an output column (ordinal or name) or an expression over the row.
      std::vector<std::vector<cval>> keys(frames.size());
      for (size_t i = 0; i < frames.size(); ++i) {
        scope sc{&frames[i], outer};
        for (size_t k = 0; k < s->n_sort_clause; ++k) {
          const node* e = s->sort_clause[k]->sort_by->node;
          int col = output_ref(e, out);
          keys[i].push_back(col >= 0 ? out.rows[i][static_cast<size_t>(col)] : eval(e, sc));
        }
      }
      sort_by(s, keys, order);
      std::vector<std::vector<cval>> sorted;
      for (size_t i : order)
        sorted.push_back(std::move(out.rows[i]));
      out.rows = std::move(sorted);
    }
    limit(s, out.rows);
    return out;
  }

private:
  catalog_relations& cat_;
  std::deque<relation> temps_; ///< sub-selects in FROM

  static bool is_aggregate_call(const node* v) {
    if (v == nullptr || v->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
      return false;
    std::string n = lower(last_name(v->func_call->n_funcname, v->func_call->funcname));
    return n == "count" || n == "min" || n == "max" || n == "string_agg" || n == "bool_and"
           || n == "bool_or";
  }

  static bool has_aggregate(const PgQuery__SelectStmt* s) {
    for (size_t i = 0; i < s->n_target_list; ++i)
      if (is_aggregate_call(s->target_list[i]->res_target->val))
        return true;
    return false;
  }

  /// A select list of aggregates (and constants) over all rows: one row.
  void aggregate_row(const PgQuery__SelectStmt* s, const std::vector<frame>& frames,
                     const scope* outer, const std::vector<const node*>& exprs, result_set& out) {
    std::vector<cval> row;
    for (size_t c = 0; c < exprs.size(); ++c) {
      const node* e = exprs[c];
      if (e == nullptr || (!is_aggregate_call(e) && e->node_case != PG_QUERY__NODE__NODE_A_CONST))
        fail("42803", "column \"" + out.names[c] + "\" must appear in the GROUP BY clause or "
                      "be used in an aggregate function");
      if (!is_aggregate_call(e)) {
        frame none;
        row.push_back(eval(e, scope{&none, outer}));
        continue;
      }
      const auto* fc = e->func_call;
      std::string name = lower(last_name(fc->n_funcname, fc->funcname));
      if (fc->agg_distinct || fc->n_agg_order > 0 || fc->agg_filter || fc->over)
        fail("0A000", "DISTINCT, ORDER BY, FILTER and OVER in aggregates are not supported in "
                      "catalog queries yet", fc->location);
      int64_t count = 0;
      cval acc;
      for (const auto& f : frames) {
        scope sc{&f, outer};
        if (fc->agg_star) {
          ++count;
          continue;
        }
        if (fc->n_args == 0)
          fail("42883", "function " + name + "() needs an argument", fc->location);
        cval v = eval(fc->args[0], sc);
        if (v.null())
          continue;
        ++count;
        if (name == "string_agg") {
          std::string sep = fc->n_args > 1 ? text_of(eval(fc->args[1], sc)) : "";
          acc = acc.null() ? cval::of_text(text_of(v)) : cval::of_text(acc.s + sep + text_of(v));
        } else if (name == "min" || name == "max") {
          if (acc.null() || (name == "min" ? compare(v, acc) < 0 : compare(v, acc) > 0))
            acc = v;
        } else if (name == "bool_and" || name == "bool_or") {
          bool b = v.i != 0;
          acc = acc.null() ? cval::of_bool(b)
                           : cval::of_bool(name == "bool_and" ? (acc.i != 0 && b) : (acc.i != 0 || b));
        }
      }
      row.push_back(name == "count" ? cval::of_int(count, oid::int8) : acc);
    }
    out.rows.push_back(std::move(row));
    for (size_t c = 0; c < out.names.size(); ++c)
      out.types[c] = out.rows[0][c].null() ? oid::text : out.rows[0][c].type;
    (void) s;
  }

  static std::string output_name(const node* v) {
    switch (v->node_case) {
      case PG_QUERY__NODE__NODE_COLUMN_REF: {
        const auto* cr = v->column_ref;
        const char* s = string_of(cr->fields[cr->n_fields - 1]);
        return s ? s : "?column?";
      }
      case PG_QUERY__NODE__NODE_FUNC_CALL:
        return last_name(v->func_call->n_funcname, v->func_call->funcname);
      case PG_QUERY__NODE__NODE_TYPE_CAST: {
        const auto* tc = v->type_cast;
        if (tc->arg->node_case == PG_QUERY__NODE__NODE_A_CONST)
          return last_name(tc->type_name->n_names, tc->type_name->names);
        std::string inner = output_name(tc->arg);
        return inner == "?column?" ? last_name(tc->type_name->n_names, tc->type_name->names)
                                   : inner;
      }
      case PG_QUERY__NODE__NODE_CASE_EXPR:
        return "case";
      case PG_QUERY__NODE__NODE_COALESCE_EXPR:
        return "coalesce";
      case PG_QUERY__NODE__NODE_SUB_LINK:
        return v->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK ? "exists"
               : v->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK
                 ? "array"
                 : "?column?";
      default:
        return "?column?";
    }
  }

  /// A result column's type: its values', else the relation column it names.
  static int32_t column_type(const result_set& out, size_t c, const node* e,
                             const std::vector<frame>& frames) {
    for (const auto& row : out.rows)
      if (!row[c].null())
        return row[c].type == oid::unknown ? oid::text : row[c].type;
    if (e != nullptr && e->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && !frames.empty()) {
      const auto* cr = e->column_ref;
      const char* col = string_of(cr->fields[cr->n_fields - 1]);
      for (const auto& b : frames.front())
        if (int i = b.rel->find(col ? col : ""); i >= 0)
          return b.rel->types[static_cast<size_t>(i)];
    }
    return oid::text;
  }

  static void expand_star(const PgQuery__ColumnRef* cr, const std::vector<frame>& frames,
                          const frame& empty_shape, result_set& out, std::vector<const node*>& exprs,
                          std::vector<std::pair<size_t, size_t>>& stars) {
    std::string only = cr->n_fields == 2 ? string_of(cr->fields[0]) : "";
    const frame& shape = frames.empty() ? empty_shape : frames.front();
    for (size_t bi = 0; bi < shape.size(); ++bi) {
      const auto& b = shape[bi];
      if (!only.empty() && b.alias != only)
        continue;
      for (size_t ci = 0; ci < b.rel->columns.size(); ++ci) {
        exprs.push_back(nullptr);
        stars.emplace_back(bi, ci);
        out.names.push_back(b.rel->columns[ci]);
        out.types.push_back(0);
      }
    }
  }

  static cval star_value(const frame& f, std::pair<size_t, size_t> src) {
    const auto& b = f[src.first];
    return b.row ? (*b.row)[src.second] : cval{};
  }

  /// The rows of one FROM item, each a list of bindings.
  std::vector<frame> from_item(const node* n, const scope* outer) {
    switch (n->node_case) {
      case PG_QUERY__NODE__NODE_RANGE_VAR: {
        const auto* rv = n->range_var;
        std::string schema = has(rv->schemaname) ? rv->schemaname : "";
        if (!schema.empty() && schema != "pg_catalog")
          fail("0A000", "catalog queries read pg_catalog relations only");
        const relation* r = cat_.get(rv->relname);
        if (r == nullptr)
          fail("42P01", "relation \"" + (schema.empty() ? "" : schema + ".")
                          + std::string{rv->relname} + "\" does not exist",
               rv->location);
        std::string alias = rv->alias && has(rv->alias->aliasname) ? rv->alias->aliasname
                                                                    : rv->relname;
        std::vector<frame> out;
        for (const auto& row : r->rows)
          out.push_back(frame{binding{alias, r, &row}});
        return out;
      }
      case PG_QUERY__NODE__NODE_RANGE_SUBSELECT: {
        const auto* rs = n->range_subselect;
        auto res = run(rs->subquery->select_stmt, rs->lateral ? outer : nullptr);
        relation& t = temps_.emplace_back();
        t.columns = res.names;
        t.types = res.types;
        t.rows = std::move(res.rows);
        std::string alias = rs->alias && has(rs->alias->aliasname) ? rs->alias->aliasname : "";
        std::vector<frame> out;
        for (const auto& row : t.rows)
          out.push_back(frame{binding{alias, &t, &row}});
        return out;
      }
      case PG_QUERY__NODE__NODE_RANGE_FUNCTION: {
        // unnest(array) and generate_series(a, b): one column named by the
        // alias (or the function).
        const auto* rf = n->range_function;
        if (rf->n_functions != 1 || rf->ordinality || rf->is_rowsfrom)
          fail("0A000", "this function in FROM is not supported in catalog queries yet");
        const auto* pair = rf->functions[0]->list;
        if (pair == nullptr || pair->n_items == 0
            || pair->items[0]->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
          fail("0A000", "this function in FROM is not supported in catalog queries yet");
        const auto* fc = pair->items[0]->func_call;
        std::string fname = lower(last_name(fc->n_funcname, fc->funcname));
        std::string alias = rf->alias && has(rf->alias->aliasname) ? rf->alias->aliasname : fname;
        relation& t = temps_.emplace_back();
        t.columns = {alias};
        frame none;
        scope sc{&none, outer};
        std::vector<cval> args;
        for (size_t i = 0; i < fc->n_args; ++i)
          args.push_back(eval(fc->args[i], sc));
        if (fname == "unnest" && args.size() == 1) {
          t.types = {oid::text};
          if (args[0].kind == cval::k::array)
            for (const auto& e : *args[0].elems)
              t.rows.push_back({e});
          else if (!args[0].null())
            fail("0A000", "unnest() of a non-array is not supported in catalog queries");
        } else if (fname == "generate_series" && args.size() == 2) {
          t.types = {oid::int4};
          if (!args[0].null() && !args[1].null())
            for (int64_t x = args[0].i; x <= args[1].i; ++x) {
              if (t.rows.size() == max_rows)
                fail("54000", "generate_series() in a catalog query is limited to "
                                + std::to_string(max_rows) + " rows");
              t.rows.push_back({cval::of_int(x)});
            }
        } else {
          fail("0A000", "function " + fname + "() in FROM is not supported in catalog queries yet");
        }
        std::vector<frame> out;
        for (const auto& row : t.rows)
          out.push_back(frame{binding{alias, &t, &row}});
        return out;
      }
      case PG_QUERY__NODE__NODE_JOIN_EXPR: {
        const auto* j = n->join_expr;
        if (j->n_using_clause > 0 || j->is_natural)
          fail("0A000", "JOIN ... USING and NATURAL JOIN are not supported in catalog queries yet");
        if (j->jointype != PG_QUERY__JOIN_TYPE__JOIN_INNER
            && j->jointype != PG_QUERY__JOIN_TYPE__JOIN_LEFT)
          fail("0A000", "only inner and left joins are supported in catalog queries yet");
        auto left = from_item(j->larg, outer);
        auto right = from_item(j->rarg, outer);
        std::vector<frame> out;
        frame right_shape;
        if (j->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT)
          right_shape = null_shape(j->rarg);
        for (const auto& l : left) {
          bool matched = false;
          for (const auto& r : right) {
            frame f = l;
            f.insert(f.end(), r.begin(), r.end());
            scope sc{&f, outer};
            if (j->quals == nullptr || truth(eval(j->quals, sc))) {
              out.push_back(std::move(f));
              matched = true;
            }
          }
          if (!matched && j->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT) {
            frame f = l;
            f.insert(f.end(), right_shape.begin(), right_shape.end());
            out.push_back(std::move(f));
          }
        }
        return out;
      }
      default:
        fail("0A000", "this FROM item is not supported in catalog queries yet");
    }
  }

  /// The bindings of a FROM item with no row (NULLs), for LEFT JOIN.
  frame null_shape(const node* n) {
    if (n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
      const auto* rv = n->range_var;
      const relation* r = cat_.get(rv->relname);
      if (r == nullptr)
        fail("42P01", "relation \"" + std::string{rv->relname} + "\" does not exist", rv->location);
      return frame{binding{rv->alias && has(rv->alias->aliasname) ? rv->alias->aliasname
                                                                  : rv->relname,
                           r, nullptr}};
    }
    if (n->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT) {
      const auto* rs = n->range_subselect;
      auto res = run(rs->subquery->select_stmt, nullptr);
      relation& t = temps_.emplace_back();
      t.columns = res.names;
      t.types = res.types;
      return frame{binding{rs->alias && has(rs->alias->aliasname) ? rs->alias->aliasname : "",
                           &t, nullptr}};
    }
    if (n->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR) {
      frame f = null_shape(n->join_expr->larg);
      frame g = null_shape(n->join_expr->rarg);
      f.insert(f.end(), g.begin(), g.end());
      return f;
    }
    fail("0A000", "this LEFT JOIN is not supported in catalog queries yet");
  }

  static bool truth(const cval& v) {
    return v.kind == cval::k::boolean && v.i != 0;
  }

  static std::optional<cval> lookup(const frame& f, const std::string& table,
                                    const std::string& column, int32_t location) {
    std::optional<cval> found;
    for (const auto& b : f) {
      if (!table.empty() && b.alias != table)
        continue;
      int i = b.rel->find(column);
      if (i < 0)
        continue;
      if (found && table.empty())
        fail("42702", "column reference \"" + column + "\" is ambiguous", location);
      found = b.row ? (*b.row)[static_cast<size_t>(i)] : cval{};
    }
    return found;
  }

  cval column(const PgQuery__ColumnRef* cr, const scope& sc) {
    std::string table, col;
    if (cr->n_fields == 1) {
      col = string_of(cr->fields[0]) ? string_of(cr->fields[0]) : "";
    } else if (cr->n_fields == 2 && string_of(cr->fields[0]) && string_of(cr->fields[1])) {
      table = string_of(cr->fields[0]);
      col = string_of(cr->fields[1]);
    } else {
      fail("0A000", "this column reference is not supported in catalog queries", cr->location);
    }
    for (const scope* s = &sc; s != nullptr; s = s->outer)
      if (auto v = lookup(*s->current, table, col, cr->location))
        return *v;
    if (!table.empty())
      fail("42P01", "missing FROM-clause entry for table \"" + table + "\"", cr->location);
    fail("42703", "column \"" + col + "\" does not exist", cr->location);
  }

  cval cast(cval v, const std::string& type, int32_t location) {
    if (v.null())
      return v;
    if (type == "text" || type == "varchar" || type == "name" || type == "bpchar"
        || type == "char")
      return cval::of_text(text_of(v), type == "name" ? name_type : type == "char" ? char_type
                                                                                   : oid::text);
    if (type == "int2" || type == "int4" || type == "int8" || type == "oid") {
      int32_t t = type == "int2" ? int2_type : type == "int4" ? oid::int4
                  : type == "int8" ? oid::int8 : oid_type;
      if (v.kind == cval::k::integer || v.kind == cval::k::boolean)
        return cval::of_int(v.i, t);
      if (v.kind == cval::k::real)
        return cval::of_int(static_cast<int64_t>(std::llround(v.f)), t);
      return coerce_like(cval::of_text(v.s, oid::unknown), cval::of_int(0, t));
    }
    if (type == "float8" || type == "float4" || type == "numeric") {
      if (v.kind == cval::k::integer)
        return cval::of_real(static_cast<double>(v.i));
      if (v.kind == cval::k::real)
        return v;
      return cval::of_real(std::strtod(v.s.c_str(), nullptr));
    }
    if (type == "bool")
      return coerce_like(cval::of_text(text_of(v), oid::unknown), cval::of_bool(false));
    auto named_oid = [](int64_t o, std::string name, int32_t t) {
      cval r = cval::of_int(o, t);
      r.s = std::move(name);
      return r;
    };
    if (type == "regclass") {
      if (v.kind == cval::k::integer)
        return named_oid(v.i, cat_.regclass(v.i), 2205);
      // Read as an identifier: folded to lower case unless double-quoted.
      std::string name = v.s.size() >= 2 && v.s.front() == '"' && v.s.back() == '"'
                           ? v.s.substr(1, v.s.size() - 2)
                           : lower(v.s);
      auto o = cat_.oid_of_class(name);
      if (!o)
        fail("42P01", "relation \"" + name + "\" does not exist", location);
      return named_oid(*o, cat_.regclass(*o), 2205);
    }
    if (type == "regtype") {
      for (const auto& t : types())
        if (v.kind == cval::k::integer ? v.i == t.oid : (v.s == t.name || v.s == t.sql_name))
          return named_oid(t.oid, t.sql_name, 2206);
      if (v.kind == cval::k::integer)
        return named_oid(v.i, std::to_string(v.i), 2206);
      fail("42704", "type \"" + v.s + "\" does not exist", location);
    }
    if (type == "regnamespace" && v.kind == cval::k::integer) {
      const relation* ns = cat_.get("pg_namespace");
      for (const auto& row : ns->rows)
        if (row[0].i == v.i)
          return named_oid(v.i, row[1].s, 4089);
      return named_oid(v.i, std::to_string(v.i), 4089);
    }
    fail("0A000", "casts to " + type + " are not supported in catalog queries yet", location);
  }

  cval call(const PgQuery__FuncCall* fc, const scope& sc) {
    std::string name = lower(last_name(fc->n_funcname, fc->funcname));
    if (fc->agg_star || fc->agg_distinct || fc->over)
      fail("0A000", "aggregates and window functions are not supported in catalog queries yet",
           fc->location);
    std::vector<cval> a;
    for (size_t i = 0; i < fc->n_args; ++i)
      a.push_back(eval(fc->args[i], sc));
    auto arg = [&](size_t i) -> const cval& {
      if (i >= a.size())
        fail("42883", "function " + name + "() does not exist with these arguments",
             fc->location);
      return a[i];
    };
    if (name == "pg_table_is_visible")
      return arg(0).null() ? cval{} : cval::of_bool(cat_.visible(arg(0).i));
    if (name == "pg_get_userbyid")
      return arg(0).null() ? cval{}
                           : cval::of_text(arg(0).i == superuser
                                             ? "postgres"
                                             : "unknown (OID=" + std::to_string(arg(0).i) + ")",
                                           name_type);
    if (name == "format_type") {
      if (arg(0).null())
        return {};
      const type_row* t = type_by_oid(arg(0).i);
      // varchar(n) keeps n + 4 in atttypmod, as PostgreSQL does.
      if (t != nullptr && t->oid == 1043 && fc->n_args > 1 && !arg(1).null() && arg(1).i >= 4)
        return cval::of_text(std::string{t->sql_name} + "(" + std::to_string(arg(1).i - 4) + ")");
      return cval::of_text(t ? t->sql_name : "???");
    }
    if (name == "pg_get_expr" || name == "obj_description" || name == "col_description"
        || name == "shobj_description" || name == "pg_get_indexdef"
        || name == "pg_get_constraintdef" || name == "pg_get_triggerdef"
        || name == "pg_get_statisticsobjdef_columns")
      return {}; // nothing of the kind exists here
    if (name == "array_to_string") {
      if (arg(0).null() || arg(1).null())
        return {};
      if (arg(0).kind != cval::k::array)
        fail("42883", "function array_to_string() needs an array", fc->location);
      std::string out;
      bool first = true;
      for (const auto& e : *arg(0).elems) {
        if (e.null() && a.size() < 3)
          continue;
        if (!first)
          out += text_of(arg(1));
        out += e.null() ? text_of(a[2]) : text_of(e);
        first = false;
      }
      return cval::of_text(std::move(out));
    }
    if (name == "pg_table_size" || name == "pg_relation_size"
        || name == "pg_total_relation_size" || name == "pg_indexes_size")
      return {}; // sizes are not tracked per relation yet: unknown, not 0
    if (name == "pg_size_pretty") {
      if (arg(0).null())
        return {};
      // PostgreSQL's rule: the largest unit with a value of at least 10.
      int64_t x = arg(0).kind == cval::k::real ? static_cast<int64_t>(arg(0).f) : arg(0).i;
      const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
      size_t u = 0;
      int64_t v = x;
      while (u + 1 < std::size(units) && (v < 0 ? -v : v) >= 10 * 1024 - 512) {
        v = (v + (v < 0 ? -512 : 512)) / 1024;
        ++u;
      }
      return cval::of_text(std::to_string(v) + " " + units[u]);
    }
    if (name == "pg_relation_is_publishable")
      return cval::of_bool(false);
    if (name == "current_schema")
      return cval::of_text("public", name_type);
    if (name == "current_database")
      return cval::of_text("postgres", name_type);
    if (name == "lower" || name == "upper") {
      if (arg(0).null())
        return {};
      std::string s = text_of(arg(0));
      for (auto& ch : s)
        ch = static_cast<char>(name == "lower" ? std::tolower(static_cast<unsigned char>(ch))
                                               : std::toupper(static_cast<unsigned char>(ch)));
      return cval::of_text(std::move(s));
    }
    fail("0A000", "function " + name + "() is not supported in catalog queries yet",
         fc->location);
  }

  cval eval(const node* n, const scope& sc) {
    switch (n->node_case) {
      case PG_QUERY__NODE__NODE_A_CONST: {
        const auto* c = n->a_const;
        if (c->isnull)
          return {};
        switch (c->val_case) {
          case PG_QUERY__A__CONST__VAL_IVAL:
            return cval::of_int(c->ival->ival);
          case PG_QUERY__A__CONST__VAL_FVAL:
            return cval::of_real(std::strtod(c->fval->fval, nullptr));
          case PG_QUERY__A__CONST__VAL_BOOLVAL:
            return cval::of_bool(c->boolval->boolval);
          case PG_QUERY__A__CONST__VAL_SVAL:
            return cval::of_text(c->sval->sval, oid::unknown);
          default:
            fail("0A000", "this constant is not supported in catalog queries", c->location);
        }
      }
      case PG_QUERY__NODE__NODE_COLUMN_REF:
        return column(n->column_ref, sc);
      case PG_QUERY__NODE__NODE_TYPE_CAST: {
        const auto* tc = n->type_cast;
        if (tc->type_name->n_array_bounds > 0)
          fail("0A000", "arrays are not supported in catalog queries yet", tc->location);
        return cast(eval(tc->arg, sc), last_name(tc->type_name->n_names, tc->type_name->names),
                    tc->location);
      }
      case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
        return eval(n->collate_clause->arg, sc);
      case PG_QUERY__NODE__NODE_A_EXPR: {
        const auto* x = n->a_expr;
        std::string name = last_name(x->n_name, x->name);
        switch (x->kind) {
          case PG_QUERY__A__EXPR__KIND__AEXPR_OP: {
            if (x->lexpr == nullptr) {
              cval v = eval(x->rexpr, sc);
              if (name == "-" && v.kind == cval::k::integer)
                return cval::of_int(-v.i, v.type);
              if (name == "-" && v.kind == cval::k::real)
                return cval::of_real(-v.f);
              fail("0A000", "prefix operator " + name + " is not supported in catalog queries",
                   x->location);
            }
            return apply_operator(name, eval(x->lexpr, sc), eval(x->rexpr, sc), x->location);
          }
          case PG_QUERY__A__EXPR__KIND__AEXPR_IN: {
            cval l = eval(x->lexpr, sc);
            if (l.null())
              return {};
            bool any_null = false;
            const auto* list = x->rexpr->list;
            for (size_t i = 0; i < list->n_items; ++i) {
              cval r = eval(list->items[i], sc);
              if (r.null()) {
                any_null = true;
                continue;
              }
              if (compare(l, r) == 0)
                return cval::of_bool(name == "=");
            }
            return any_null ? cval{} : cval::of_bool(name != "=");
          }
          case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
          case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE: {
            cval l = eval(x->lexpr, sc), r = eval(x->rexpr, sc);
            if (l.null() || r.null())
              return {};
            std::string s = text_of(l), p = text_of(r);
            if (x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE) {
              s = lower(s);
              p = lower(p);
            }
            bool m = like_match(s, p);
            return cval::of_bool(name.find('!') == std::string::npos ? m : !m);
          }
          default:
            fail("0A000", "this operator is not supported in catalog queries yet", x->location);
        }
      }
      case PG_QUERY__NODE__NODE_BOOL_EXPR: {
        const auto* b = n->bool_expr;
        if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) {
          cval v = eval(b->args[0], sc);
          return v.null() ? v : cval::of_bool(v.i == 0);
        }
        bool is_and = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
        bool saw_null = false;
        for (size_t i = 0; i < b->n_args; ++i) {
          cval v = eval(b->args[i], sc);
          if (v.null()) {
            saw_null = true;
            continue;
          }
          if ((v.i != 0) != is_and)
            return cval::of_bool(!is_and);
        }
        return saw_null ? cval{} : cval::of_bool(is_and);
      }
      case PG_QUERY__NODE__NODE_NULL_TEST: {
        cval v = eval(n->null_test->arg, sc);
        bool is_null = v.null();
        return cval::of_bool(n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL
                               ? is_null
                               : !is_null);
      }
      case PG_QUERY__NODE__NODE_CASE_EXPR: {
        const auto* c = n->case_expr;
        std::optional<cval> subject;
        if (c->arg != nullptr)
          subject = eval(c->arg, sc);
        for (size_t i = 0; i < c->n_args; ++i) {
          const auto* w = c->args[i]->case_when;
          cval cond = eval(w->expr, sc);
          bool hit = subject ? (!subject->null() && !cond.null() && compare(*subject, cond) == 0)
                             : truth(cond);
          if (hit)
            return eval(w->result, sc);
        }
        return c->defresult ? eval(c->defresult, sc) : cval{};
      }
      case PG_QUERY__NODE__NODE_COALESCE_EXPR: {
        const auto* c = n->coalesce_expr;
        for (size_t i = 0; i < c->n_args; ++i)
          if (cval v = eval(c->args[i], sc); !v.null())
            return v;
        return {};
      }
      case PG_QUERY__NODE__NODE_FUNC_CALL:
        return call(n->func_call, sc);
      case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION: {
        using O = PgQuery__SQLValueFunctionOp;
        O o = n->sqlvalue_function->op;
        if (o == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER
            || o == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER
            || o == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER
            || o == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE)
          return cval::of_text("postgres", name_type);
        if (o == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA)
          return cval::of_text("public", name_type);
        if (o == PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG)
          return cval::of_text("postgres", name_type);
        fail("0A000", "this SQL value function is not supported in catalog queries yet",
             n->sqlvalue_function->location);
      }
      case PG_QUERY__NODE__NODE_SUB_LINK: {
        const auto* l = n->sub_link;
        if (l->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK
            || l->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK) {
          auto r = run(l->subselect->select_stmt, &sc);
          if (l->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK)
            return cval::of_bool(!r.rows.empty());
          if (r.names.size() != 1)
            fail("42601", "subquery must return only one column", l->location);
          if (r.rows.size() > 1)
            fail("21000", "more than one row returned by a subquery used as an expression");
          return r.rows.empty() ? cval{} : r.rows[0][0];
        }
        if (l->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK) {
          auto r = run(l->subselect->select_stmt, &sc);
          if (r.names.size() != 1)
            fail("42601", "subquery must return only one column", l->location);
          std::vector<cval> xs;
          for (auto& row : r.rows)
            xs.push_back(std::move(row[0]));
          return array_of(std::move(xs));
        }
        fail("0A000", "ANY and ALL sub-queries are not supported in catalog queries yet",
             l->location);
      }
      default:
        fail("0A000", "this expression is not supported in catalog queries yet");
    }
  }

  /// The output column an ORDER BY item names (ordinal or output name).
  static int output_ref(const node* e, const result_set& out) {
    if (e->node_case == PG_QUERY__NODE__NODE_A_CONST
        && e->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
      int k = e->a_const->ival->ival;
      if (k < 1 || static_cast<size_t>(k) > out.names.size())
        fail("42P10", "ORDER BY position " + std::to_string(k) + " is not in select list",
             e->a_const->location);
      return k - 1;
    }
    if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && e->column_ref->n_fields == 1) {
      const char* s = string_of(e->column_ref->fields[0]);
      for (size_t i = 0; s && i < out.names.size(); ++i)
        if (out.names[i] == s)
          return static_cast<int>(i);
    }
    return -1;
  }

  static void sort_by(const PgQuery__SelectStmt* s, const std::vector<std::vector<cval>>& keys,
                      std::vector<size_t>& order) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      for (size_t k = 0; k < s->n_sort_clause; ++k) {
        const auto* sb = s->sort_clause[k]->sort_by;
        bool desc = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
        bool nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_DEFAULT
                             ? desc
                             : sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST;
        const cval& x = keys[a][k];
        const cval& y = keys[b][k];
        if (x.null() || y.null()) {
          if (x.null() == y.null())
            continue;
          return x.null() == nulls_first;
        }
        int c = compare(x, y);
        if (c != 0)
          return desc ? c > 0 : c < 0;
      }
      return false;
    });
  }

  /// ORDER BY over output columns only (after UNION or DISTINCT).
  void order_outputs(const PgQuery__SelectStmt* s, result_set& out) {
    if (s->n_sort_clause == 0)
      return;
    std::vector<std::vector<cval>> keys(out.rows.size());
    std::vector<size_t> order(out.rows.size());
    for (size_t i = 0; i < out.rows.size(); ++i) {
      order[i] = i;
      for (size_t k = 0; k < s->n_sort_clause; ++k) {
        int col = output_ref(s->sort_clause[k]->sort_by->node, out);
        if (col < 0)
          fail("0A000", "ORDER BY of a UNION or DISTINCT must name an output column here");
        keys[i].push_back(out.rows[i][static_cast<size_t>(col)]);
      }
    }
    sort_by(s, keys, order);
    std::vector<std::vector<cval>> sorted;
    for (size_t i : order)
      sorted.push_back(std::move(out.rows[i]));
    out.rows = std::move(sorted);
  }

  static void dedupe(std::vector<std::vector<cval>>& rows) {
    std::vector<std::vector<cval>> out;
    for (auto& r : rows)
      if (std::none_of(out.begin(), out.end(), [&](const auto& o) { return equal_rows(o, r); }))
        out.push_back(std::move(r));
    rows = std::move(out);
  }

  static int64_t count_of(const node* n, const char* what) {
    if (n == nullptr)
      return -1;
    if (n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull)
      return -1;
    if (n->node_case != PG_QUERY__NODE__NODE_A_CONST
        || n->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
      fail("0A000", std::string{what} + " must be an integer constant in catalog queries");
    return n->a_const->ival->ival;
  }

  static void limit(const PgQuery__SelectStmt* s, std::vector<std::vector<cval>>& rows) {
    int64_t off = std::max<int64_t>(0, count_of(s->limit_offset, "OFFSET"));
    int64_t lim = count_of(s->limit_count, "LIMIT");
    if (off > 0)
      rows.erase(rows.begin(), rows.begin() + std::min<int64_t>(off, static_cast<int64_t>(rows.size())));
    if (lim >= 0 && static_cast<size_t>(lim) < rows.size())
      rows.resize(static_cast<size_t>(lim));
  }
};

bool names_pg_catalog(const node* n) {
  if (n == nullptr)
    return false;
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_RANGE_VAR: {
      const auto* rv = n->range_var;
      std::string rel = rv->relname;
      if (has(rv->schemaname))
        return std::string_view{rv->schemaname} == "pg_catalog";
      // Unqualified: pg_catalog is first on PostgreSQL's search path, so
      // its relations win; any other name is a user table.
      return catalog_relations::known(rel);
    }
    case PG_QUERY__NODE__NODE_JOIN_EXPR:
      return names_pg_catalog(n->join_expr->larg) || names_pg_catalog(n->join_expr->rarg);
    case PG_QUERY__NODE__NODE_RANGE_SUBSELECT:
      return reads_pg_catalog(n->range_subselect->subquery->select_stmt);
    default:
      return false;
  }
}

} // namespace

bool reads_pg_catalog(const void* select_stmt) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(select_stmt);
  if (s == nullptr)
    return false;
  if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
    return reads_pg_catalog(s->larg) || reads_pg_catalog(s->rarg);
  for (size_t i = 0; i < s->n_from_clause; ++i)
    if (names_pg_catalog(s->from_clause[i]))
      return true;
  return false;
}

std::variant<statement_result, positioned_error>
run_catalog_query(const void* select_stmt, const messages::catalog_snapshot& snap) {
  try {
    catalog_relations cat{snap};
    executor ex{cat};
    auto r = ex.run(static_cast<const PgQuery__SelectStmt*>(select_stmt), nullptr);
    statement_result out;
    for (size_t i = 0; i < r.names.size(); ++i)
      out.columns.push_back(result_column{r.names[i], r.types[i] == 0 ? oid::text : r.types[i]});
    for (const auto& row : r.rows) {
      std::vector<std::optional<std::string>> cells;
      for (const auto& v : row)
        cells.push_back(v.null() ? std::nullopt : std::optional<std::string>{text_of(v)});
      out.rows.push_back(std::move(cells));
    }
    out.tag = "SELECT " + std::to_string(out.rows.size());
    return out;
  } catch (const positioned_error& e) {
    return e;
  }
}

} // namespace hypertide::planner
