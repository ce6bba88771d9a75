// Joins on the access node: the relations of a FROM clause arrive as rows
// (local tables, fetched by the session), are joined here -- a hash join on
// the equalities between the two sides, the whole condition checked on
// every candidate pair -- and the rest of the SELECT (WHERE, GROUP BY,
// aggregates, ORDER BY, LIMIT) runs over the joined rows as over a table.

#include <unordered_map>

#include "planner/local_table.hpp"
#include "planner/pg_nodes.hpp"
#include "planner/select_binder.hpp"

namespace hypertide::planner {

using namespace detail;

namespace {

using row = std::vector<datum>;

/// The most values (rows x columns) a join holds, inputs and output: the
/// access node joins in memory, and a join past this fails with 54000
/// rather than taking the node's memory (about 100 bytes a value).
constexpr size_t max_join_values = 20'000'000;

void check_size(size_t rows, size_t columns, const char* what) {
  if (rows * std::max<size_t>(columns, 1) > max_join_values)
    fail("54000", std::string{"the join's "} + what + " has more than "
                    + std::to_string(max_join_values) + " values (" + std::to_string(rows)
                    + " rows of " + std::to_string(columns)
                    + " columns): joins run in the access node's memory; filter the "
                      "relations in sub-selects first");
}

/// Rows in a join, a datum per column.
struct rel {
  cs::table_schema schema;
  join_columns cols;
  std::vector<row> rows;
};

datum cell(const cs::column_batch& b, size_t r, size_t c, int32_t type) {
  cs::value v = b.at(r, c);
  datum d;
  if (v.is_null)
    d = null_of(type);
  else if (v.type == cs::column_type::float8)
    d = make_float(v.f);
  else if (v.type == cs::column_type::text)
    d = make_text(std::move(v.s));
  else
    d = make_int(type, v.i);
  d.type = type;
  return d;
}

rel from_leaf(local_table& t, const std::string& alias) {
  rel out;
  out.schema = t.schema;
  size_t n = t.schema.columns.size();
  for (auto& c : out.schema.columns)
    c.not_null = false; // outer joins add NULLs
  out.cols.qualifiers.assign(n, alias);
  out.cols.hidden.assign(n, false);
  std::vector<int32_t> types;
  for (const auto& c : t.schema.columns)
    types.push_back(oid_of(c));
  check_size(t.rows.rows(), n, "input");
  out.rows.reserve(t.rows.rows());
  for (size_t r = 0; r < t.rows.rows(); ++r) {
    row x(n);
    for (size_t c = 0; c < n; ++c)
      x[c] = cell(t.rows, r, c, types[c]);
    out.rows.push_back(std::move(x));
  }
  return out;
}

/// A binder over a join's columns (no aggregates, no plan).
struct scope {
  select_plan plan;
  binder b;
  scope(const rel& r, cs::timestamp now)
      : b{r.schema, now, "", "", &plan, false, {}, {}, nullptr, &r.cols} {}
};

bool is_true(const datum& d) {
  return !d.null && d.i != 0;
}

/// The hash key of the values of `cols` in `x`, or nullopt when one is
/// NULL (NULL equals nothing). Numbers hash as doubles: 1 and 1.0 meet;
/// the whole condition is checked on each pair anyway.
std::optional<std::string> key_of(const row& x, const std::vector<int>& cols) {
  std::string k;
  for (int c : cols) {
    const datum& d = x[static_cast<size_t>(c)];
    if (d.null)
      return std::nullopt;
    if (is_number(d.type)) {
      double f = is_int(d.type) ? static_cast<double>(d.i) : d.f;
      if (f == 0)
        f = 0; // -0 equals 0
      k.append(reinterpret_cast<const char*>(&f), sizeof f);
    } else if (d.type == oid::text || d.type == oid::varchar || d.type == oid::unknown) {
      auto n = static_cast<uint32_t>(d.s.size());
      k.append(reinterpret_cast<const char*>(&n), sizeof n);
      k += d.s;
    } else {
      k.append(reinterpret_cast<const char*>(&d.i), sizeof d.i);
    }
  }
  return k;
}

/// Equalities column = column between the sides (left columns are
/// [l0, l1), right ones [r0, r1)) among the conjuncts of `e`.
void equi_keys(const bexpr& e, int l0, int l1, int r0, int r1, std::vector<int>& lk,
               std::vector<int>& rk) {
  if (e.k == bexpr::kind::and_) {
    for (const auto& a : e.args)
      equi_keys(a, l0, l1, r0, r1, lk, rk);
    return;
  }
  if (e.k != bexpr::kind::op || e.name != "=" || e.args.size() != 2
      || e.args[0].k != bexpr::kind::column || e.args[1].k != bexpr::kind::column)
    return;
  int a = e.args[0].index, b = e.args[1].index;
  auto in = [](int x, int lo, int hi) { return x >= lo && x < hi; };
  bool texty_a = e.args[0].type == oid::text || e.args[0].type == oid::varchar;
  bool texty_b = e.args[1].type == oid::text || e.args[1].type == oid::varchar;
  bool same_kind = (is_number(e.args[0].type) && is_number(e.args[1].type))
                   || (texty_a && texty_b) || e.args[0].type == e.args[1].type
                   || (is_time(e.args[0].type) && is_time(e.args[1].type));
  if (!same_kind)
    return;
  if (in(a, l0, l1) && in(b, r0, r1)) {
    lk.push_back(a);
    rk.push_back(b);
  } else if (in(b, l0, l1) && in(a, r0, r1)) {
    lk.push_back(b);
    rk.push_back(a);
  }
}

bexpr column_ref(int index, int32_t type) {
  bexpr e;
  e.k = bexpr::kind::column;
  e.index = index;
  e.type = type;
  return e;
}

enum class join_kind { inner, left, right, full };

/// Joins `l` and `r`. `using_names` (USING, NATURAL) merge columns;
/// `on` is the ON condition (or WHERE conjuncts of a FROM list), bound
/// over the joined columns.
rel join(rel l, rel r, join_kind kind, const std::vector<std::string>& using_names,
         const std::vector<const node*>& on, bool on_optional, cs::timestamp now,
         int32_t location) {
  rel out;
  // Columns: merged USING columns, then the left's, then the right's.
  auto visible = [](const rel& x, const std::string& name, const char* side, int32_t loc) {
    int found = -1;
    for (size_t i = 0; i < x.schema.columns.size(); ++i)
      if (!x.cols.hidden[i] && x.schema.columns[i].name == name) {
        if (found >= 0)
          fail("42702", "common column name \"" + name + "\" appears more than once in " + side
                          + " table", loc);
        found = static_cast<int>(i);
      }
    if (found < 0)
      fail("42703", "column \"" + name + "\" specified in USING clause does not exist in " + side
                      + " table", loc);
    return found;
  };
  std::vector<std::pair<int, int>> merged;
  for (const auto& u : using_names)
    merged.emplace_back(visible(l, u, "left", location), visible(r, u, "right", location));
  for (const auto& [li, ri] : merged) {
    out.schema.columns.push_back(l.schema.columns[static_cast<size_t>(li)]);
    out.cols.qualifiers.emplace_back();
    out.cols.hidden.push_back(false);
  }
  const int m = static_cast<int>(merged.size());
  const int nl = static_cast<int>(l.schema.columns.size());
  const int nr = static_cast<int>(r.schema.columns.size());
  for (int side = 0; side < 2; ++side) {
    const rel& x = side == 0 ? l : r;
    for (size_t i = 0; i < x.schema.columns.size(); ++i) {
      out.schema.columns.push_back(x.schema.columns[i]);
      out.cols.qualifiers.push_back(x.cols.qualifiers[i]);
      bool is_using = std::any_of(merged.begin(), merged.end(), [&](const auto& p) {
        return (side == 0 ? p.first : p.second) == static_cast<int>(i);
      });
      out.cols.hidden.push_back(x.cols.hidden[i] || is_using);
    }
  }
  const int l0 = m, r0 = m + nl;
  // The condition: USING's equalities and ON.
  scope sc{out, now};
  std::vector<bexpr> conds;
  for (const auto& [li, ri] : merged) {
    bexpr eq;
    eq.k = bexpr::kind::op;
    eq.name = "=";
    eq.type = oid::bool_;
    eq.args = {column_ref(l0 + li, oid_of(l.schema.columns[static_cast<size_t>(li)])),
               column_ref(r0 + ri, oid_of(r.schema.columns[static_cast<size_t>(ri)]))};
    conds.push_back(std::move(eq));
  }
  for (const node* n : on) {
    try {
      bexpr c = sc.b.fold(sc.b.bind(n));
      if (c.type != oid::bool_ && !(c.k == bexpr::kind::constant && c.value.null))
        fail("42804", std::string{"argument of JOIN/ON must be type boolean, not type "}
                        + type_name(c.type));
      conds.push_back(std::move(c));
    } catch (const bind_failure&) {
      if (!on_optional)
        throw;
      // A WHERE conjunct over relations not joined yet: later.
    }
  }
  bexpr cond;
  cond.k = bexpr::kind::and_;
  cond.type = oid::bool_;
  cond.args = std::move(conds);
  std::vector<int> lk, rk;
  equi_keys(cond, l0, r0, r0, r0 + nr, lk, rk);

  std::vector<bool> r_matched(r.rows.size(), false);
  const size_t x_width = static_cast<size_t>(m + nl + nr);
  auto emit = [&](const row* a, const row* b) {
    row x;
    x.reserve(static_cast<size_t>(m + nl + nr));
    for (int i = 0; i < m; ++i) {
      const auto& [li, ri] = merged[static_cast<size_t>(i)];
      const datum* lv = a ? &(*a)[static_cast<size_t>(li)] : nullptr;
      const datum* rv = b ? &(*b)[static_cast<size_t>(ri)] : nullptr;
      // INNER and LEFT take the left's value, RIGHT the right's, FULL the
      // first not NULL (COALESCE), as PostgreSQL merges USING columns.
      const datum* v = kind == join_kind::right ? rv
                       : kind == join_kind::full ? (lv && !lv->null ? lv : rv)
                                                 : lv;
      x.push_back(v ? *v : null_of(oid_of(out.schema.columns[static_cast<size_t>(i)])));
    }
    for (int i = 0; i < nl; ++i)
      x.push_back(a ? (*a)[static_cast<size_t>(i)]
                    : null_of(oid_of(l.schema.columns[static_cast<size_t>(i)])));
    for (int i = 0; i < nr; ++i)
      x.push_back(b ? (*b)[static_cast<size_t>(i)]
                    : null_of(oid_of(r.schema.columns[static_cast<size_t>(i)])));
    return x;
  };
  // A candidate pair joins when the whole condition is true.
  auto matches = [&](const row& x) { return cond.args.empty() || is_true(eval(cond, x)); };
  auto probe = [&](const row& a, const std::vector<size_t>& candidates, bool all) {
    bool any = false;
    auto try_pair = [&](size_t j) {
      row x = emit(&a, &r.rows[j]);
      if (matches(x)) {
        any = true;
        r_matched[j] = true;
        out.rows.push_back(std::move(x));
        if ((out.rows.size() & 0xFFFF) == 0)
          check_size(out.rows.size(), x_width, "result");
      }
    };
    if (all)
      for (size_t j = 0; j < r.rows.size(); ++j)
        try_pair(j);
    else
      for (size_t j : candidates)
        try_pair(j);
    if (!any && (kind == join_kind::left || kind == join_kind::full))
      out.rows.push_back(emit(&a, nullptr));
  };
  if (!lk.empty()) {
    std::vector<int> rk_local, lk_local;
    for (int c : rk)
      rk_local.push_back(c - r0);
    for (int c : lk)
      lk_local.push_back(c - l0);
    std::unordered_map<std::string, std::vector<size_t>> table;
    for (size_t j = 0; j < r.rows.size(); ++j)
      if (auto k = key_of(r.rows[j], rk_local))
        table[*k].push_back(j);
    static const std::vector<size_t> none;
    for (const auto& a : l.rows) {
      auto k = key_of(a, lk_local);
      auto it = k ? table.find(*k) : table.end();
      probe(a, it == table.end() ? none : it->second, false);
    }
  } else {
    for (const auto& a : l.rows)
      probe(a, {}, true);
  }
  if (kind == join_kind::right || kind == join_kind::full)
    for (size_t j = 0; j < r.rows.size(); ++j)
      if (!r_matched[j])
        out.rows.push_back(emit(nullptr, &r.rows[j]));
  return out;
}

/// The conjuncts of a WHERE clause (AND's arguments, or itself).
void conjuncts(const node* n, std::vector<const node*>& out) {
  if (n == nullptr)
    return;
  if (n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR
      && n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
    for (size_t i = 0; i < n->bool_expr->n_args; ++i)
      conjuncts(n->bool_expr->args[i], out);
    return;
  }
  out.push_back(n);
}

struct builder {
  std::vector<local_table>& leaves;
  const std::vector<join_leaf>& names;
  cs::timestamp now;
  size_t next = 0;

  rel build(const node* n) {
    if (n->node_case != PG_QUERY__NODE__NODE_JOIN_EXPR) {
      size_t i = next++;
      return from_leaf(leaves[i], names[i].alias);
    }
    const auto* j = n->join_expr;
    if (j->alias && has(j->alias->aliasname))
      fail("0A000", "an alias for a JOIN is not supported yet");
    rel l = build(j->larg);
    rel r = build(j->rarg);
    join_kind kind = j->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT    ? join_kind::left
                     : j->jointype == PG_QUERY__JOIN_TYPE__JOIN_RIGHT ? join_kind::right
                     : j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL  ? join_kind::full
                                                                      : join_kind::inner;
    std::vector<std::string> using_names;
    for (size_t i = 0; i < j->n_using_clause; ++i)
      using_names.emplace_back(string_of(j->using_clause[i]) ? string_of(j->using_clause[i]) : "");
    if (j->is_natural) {
      // NATURAL: USING every name both sides show.
      for (size_t a = 0; a < l.schema.columns.size(); ++a) {
        if (l.cols.hidden[a])
          continue;
        const auto& name = l.schema.columns[a].name;
        for (size_t b = 0; b < r.schema.columns.size(); ++b)
          if (!r.cols.hidden[b] && r.schema.columns[b].name == name
              && std::find(using_names.begin(), using_names.end(), name) == using_names.end())
            using_names.push_back(name);
      }
    }
    std::vector<const node*> on;
    if (j->quals)
      on.push_back(j->quals);
    return join(std::move(l), std::move(r), kind, using_names, on, false, now, -1);
  }
};

void collect_leaves(const node* n, std::vector<join_leaf>& out) {
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_JOIN_EXPR:
      collect_leaves(n->join_expr->larg, out);
      collect_leaves(n->join_expr->rarg, out);
      return;
    case PG_QUERY__NODE__NODE_RANGE_VAR: {
      const auto* rv = n->range_var;
      std::string schema = has(rv->schemaname) ? rv->schemaname : "";
      if (!schema.empty() && schema != "public")
        fail("0A000", "joins over relations of schema " + schema + " are not supported yet",
             rv->location);
      std::string alias = rv->alias && has(rv->alias->aliasname) ? rv->alias->aliasname
                                                                 : rv->relname;
      out.push_back(join_leaf{rv->relname, alias, nullptr, {}});
      return;
    }
    case PG_QUERY__NODE__NODE_RANGE_SUBSELECT: {
      const auto* sub = n->range_subselect;
      if (sub->lateral)
        fail("0A000", "LATERAL is not supported yet");
      if (!sub->alias || !has(sub->alias->aliasname))
        fail("42601", "subquery in FROM must have an alias");
      if (sub->subquery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
        fail("0A000", "this sub-select is not supported yet");
      join_leaf leaf{sub->alias->aliasname, sub->alias->aliasname, sub->subquery->select_stmt,
                     {}};
      for (size_t i = 0; i < sub->alias->n_colnames; ++i)
        leaf.column_aliases.emplace_back(string_of(sub->alias->colnames[i])
                                           ? string_of(sub->alias->colnames[i])
                                           : "");
      out.push_back(std::move(leaf));
      return;
    }
    default:
      fail("0A000", "table functions in FROM are not supported yet");
  }
}

} // namespace

std::variant<std::vector<join_leaf>, positioned_error> join_leaves(const void* raw) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  try {
    std::vector<join_leaf> out;
    for (size_t i = 0; i < s->n_from_clause; ++i)
      collect_leaves(s->from_clause[i], out);
    for (size_t i = 0; i < out.size(); ++i)
      for (size_t k = 0; k < i; ++k)
        if (out[i].alias == out[k].alias)
          fail("42712", "table name \"" + out[i].alias + "\" specified more than once");
    return out;
  } catch (const bind_failure& f) {
    return f.err;
  }
}

std::variant<statement_result, positioned_error>
run_join(const void* raw, std::vector<local_table> leaves, cs::timestamp now) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  try {
    auto names = join_leaves(raw);
    if (auto* e = std::get_if<positioned_error>(&names))
      return *e;
    const auto& leaf_names = std::get<std::vector<join_leaf>>(names);
    builder bld{leaves, leaf_names, now};
    // A FROM list joins its items in order; WHERE's conjuncts that read
    // only the items joined so far act as their join condition (so that
    // `FROM a, b WHERE a.x = b.x` is a hash join, not a product).
    std::vector<const node*> where;
    conjuncts(s->where_clause, where);
    rel acc = bld.build(s->from_clause[0]);
    for (size_t i = 1; i < s->n_from_clause; ++i)
      acc = join(std::move(acc), bld.build(s->from_clause[i]), join_kind::inner, {}, where, true,
                 now, -1);
    // WHERE over the joined rows.
    if (s->where_clause) {
      scope sc{acc, now};
      bexpr w = sc.b.fold(sc.b.bind(s->where_clause));
      if (w.type != oid::bool_ && !(w.k == bexpr::kind::constant && w.value.null))
        fail("42804", std::string{"argument of WHERE must be type boolean, not type "}
                        + type_name(w.type));
      std::vector<row> kept;
      for (auto& x : acc.rows)
        if (is_true(eval(w, x)))
          kept.push_back(std::move(x));
      acc.rows = std::move(kept);
    }
    // The joined rows as a table; the rest of the SELECT runs over it.
    local_table t;
    t.schema = acc.schema;
    t.rows = cs::column_batch{t.schema};
    t.rows.reserve(acc.rows.size());
    for (const auto& x : acc.rows) {
      for (size_t c = 0; c < x.size(); ++c) {
        const datum& d = x[c];
        if (d.null)
          t.rows.append_null(c);
        else if (t.schema.columns[c].type == cs::column_type::float8)
          t.rows.append_float(c, d.f);
        else if (t.schema.columns[c].type == cs::column_type::text)
          t.rows.append_text(c, d.s);
        else
          t.rows.append_int(c, d.i);
      }
      t.rows.finish_row();
    }
    t.joined = std::move(acc.cols);
    return run_local(raw, t, now);
  } catch (const bind_failure& f) {
    return f.err;
  }
}

} // namespace hypertide::planner
