// Joins on the access node: the relations of a FROM clause arrive as rows
// (local tables, fetched by the session), are joined here -- a hash join on
// the equalities between the two sides, the whole condition checked on
// every candidate pair -- and the rest of the SELECT (WHERE, GROUP BY,
// aggregates, ORDER BY, LIMIT) runs over the joined rows as over a table.

#include <functional>
#include <unordered_map>

#include "planner/local_table.hpp"
#include "planner/pg_nodes.hpp"
#include "planner/select_binder.hpp"

namespace hypertide::planner {

using namespace detail;

namespace {

/// A row of a join: for each relation it joins, a row of that relation's
/// batch, or `none` where an outer join padded it with NULLs.
constexpr uint32_t none = UINT32_MAX;

/// The most rows a join keeps (4 bytes per relation each), and the most
/// values it copies into its result table: the access node joins in
/// memory, and a join past these fails with 54000 rather than taking the
/// node's memory.
constexpr size_t max_join_rows = 50'000'000;
constexpr size_t max_join_values = 100'000'000;
/// The most pairs a join without an equality between its sides tries (a
/// nested loop runs about 10-50 M pairs a second here).
constexpr double max_join_pairs = 1e9;

void check_rows(size_t rows) {
  if (rows > max_join_rows)
    fail("54000", "the join has more than " + std::to_string(max_join_rows)
                    + " rows: joins run in the access node's memory; filter the relations "
                      "in sub-selects first");
}

/// A column of a join: a leaf's column, or a USING column merged from two
/// columns of the same join (`a`, `b`: the left's and the right's).
struct rcol {
  int leaf = -1;
  int col = -1;
  int a = -1, b = -1;
  enum class merge : uint8_t { left, right, coalesce } how = merge::left;
};

/// Rows of a join: row references into the leaves' batches.
struct rel {
  cs::table_schema schema;
  join_columns cols;
  std::vector<rcol> src;
  std::vector<int> leaves;      ///< the leaves it joins, in reference order
  std::vector<uint32_t> refs;   ///< rows x leaves.size()
  size_t rows() const { return leaves.empty() ? 0 : refs.size() / leaves.size(); }
};

struct context {
  const std::vector<local_table>& tables;
  cs::timestamp now;
  std::vector<std::vector<int32_t>> types; ///< per leaf, each column's type OID
};

datum cell(const cs::column_batch& b, uint32_t r, size_t c, int32_t type) {
  return r == none ? null_of(type) : datum_at(b, r, c, type);
}

/// The value of column `c` of `x` in the row whose leaf rows `leaf_row`
/// gives.
template <class LeafRow>
datum value_at(const context& cx, const rel& x, size_t c, const LeafRow& leaf_row) {
  const rcol& s = x.src[c];
  if (s.leaf >= 0)
    return cell(cx.tables[static_cast<size_t>(s.leaf)].rows, leaf_row(s.leaf),
                static_cast<size_t>(s.col), cx.types[static_cast<size_t>(s.leaf)][static_cast<size_t>(s.col)]);
  datum l = value_at(cx, x, static_cast<size_t>(s.a), leaf_row);
  datum v = s.how == rcol::merge::left || (s.how == rcol::merge::coalesce && !l.null)
              ? std::move(l)
              : value_at(cx, x, static_cast<size_t>(s.b), leaf_row);
  int32_t t = oid_of(x.schema.columns[c]);
  return v.type == t ? v : cast_datum(v, t, -1);
}

rel from_leaf(const context& cx, int leaf, const std::string& alias) {
  const local_table& t = cx.tables[static_cast<size_t>(leaf)];
  rel out;
  out.schema = t.schema;
  size_t n = t.schema.columns.size();
  for (auto& c : out.schema.columns)
    c.not_null = false; // outer joins add NULLs
  out.cols.qualifiers.assign(n, alias);
  out.cols.hidden.assign(n, false);
  for (size_t c = 0; c < n; ++c)
    out.src.push_back(rcol{leaf, static_cast<int>(c), -1, -1, rcol::merge::left});
  out.leaves = {leaf};
  check_rows(t.rows.rows());
  out.refs.resize(t.rows.rows());
  for (size_t r = 0; r < out.refs.size(); ++r)
    out.refs[r] = static_cast<uint32_t>(r);
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

/// Evaluates `e` over a row: only the columns it reads are read.
struct evaluator {
  const bexpr& e;
  std::vector<int> used;
  std::vector<datum> slots;
  evaluator(const bexpr& x, size_t width) : e{x}, slots(width) { columns_of(x, used); }
  template <class Value>
  bool holds(const Value& value) {
    for (int c : used)
      slots[static_cast<size_t>(c)] = value(static_cast<size_t>(c));
    return is_true(eval(e, slots));
  }
};

/// How a key column is hashed: integers as int64 (both sides integers),
/// other numbers as doubles (so 1 and 1.0 meet), text by its bytes, time
/// and booleans by their integer.
enum class key_kind : uint8_t { integer, number, text, other };

key_kind kind_of(int32_t l, int32_t r) {
  if (is_int(l) && is_int(r))
    return key_kind::integer;
  if (is_number(l) && is_number(r))
    return key_kind::number;
  if (!is_number(l) && !is_time(l) && l != oid::bool_)
    return key_kind::text;
  return key_kind::other;
}

/// Appends the key bytes of column `c` of `x` in the row `leaf_row` gives;
/// false when the value is NULL (NULL equals nothing).
template <class LeafRow>
bool append_key(const context& cx, const rel& x, size_t c, key_kind kind,
                const LeafRow& leaf_row, std::string& k) {
  const rcol& s = x.src[c];
  if (s.leaf < 0) {
    // A merged USING column: through its value.
    datum d = value_at(cx, x, c, leaf_row);
    if (d.null)
      return false;
    if (kind == key_kind::number) {
      double f = is_int(d.type) ? static_cast<double>(d.i) : d.f;
      f = f == 0 ? 0 : f; // -0 equals 0
      k.append(reinterpret_cast<const char*>(&f), sizeof f);
    } else if (kind == key_kind::text) {
      auto n = static_cast<uint32_t>(d.s.size());
      k.append(reinterpret_cast<const char*>(&n), sizeof n);
      k += d.s;
    } else {
      k.append(reinterpret_cast<const char*>(&d.i), sizeof d.i);
    }
    return true;
  }
  uint32_t r = leaf_row(s.leaf);
  if (r == none)
    return false;
  const auto& col = cx.tables[static_cast<size_t>(s.leaf)].rows.col(static_cast<size_t>(s.col));
  if (col.has_nulls && ((col.validity[r >> 3] >> (r & 7)) & 1) == 0)
    return false;
  int64_t i = 0;
  switch (col.type) {
    case cs::column_type::int4: i = col.i32[r]; break;
    case cs::column_type::boolean: i = col.u8[r]; break;
    case cs::column_type::float8: {
      double f = col.f64[r];
      f = f == 0 ? 0 : f; // -0 equals 0
      k.append(reinterpret_cast<const char*>(&f), sizeof f);
      return true;
    }
    case cs::column_type::text: {
      const std::string& t = col.dict[col.codes[r]];
      auto n = static_cast<uint32_t>(t.size());
      k.append(reinterpret_cast<const char*>(&n), sizeof n);
      k += t;
      return true;
    }
    default: i = col.i64[r]; break;
  }
  if (kind == key_kind::number) {
    auto f = static_cast<double>(i);
    k.append(reinterpret_cast<const char*>(&f), sizeof f);
  } else {
    k.append(reinterpret_cast<const char*>(&i), sizeof i);
  }
  return true;
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
rel join(const context& cx, rel l, rel r, join_kind kind,
         const std::vector<std::string>& using_names, const std::vector<const node*>& on,
         bool on_optional) {
  rel out;
  // Columns: merged USING columns, then the left's, then the right's.
  auto visible = [](const rel& x, const std::string& name, const char* side) {
    int found = -1;
    for (size_t i = 0; i < x.schema.columns.size(); ++i)
      if (!x.cols.hidden[i] && x.schema.columns[i].name == name) {
        if (found >= 0)
          fail("42702", "common column name \"" + name + "\" appears more than once in " + side
                          + " table");
        found = static_cast<int>(i);
      }
    if (found < 0)
      fail("42703", "column \"" + name + "\" specified in USING clause does not exist in " + side
                      + " table");
    return found;
  };
  std::vector<std::pair<int, int>> merged;
  for (const auto& u : using_names)
    merged.emplace_back(visible(l, u, "left"), visible(r, u, "right"));
  const int m = static_cast<int>(merged.size());
  const int nl = static_cast<int>(l.schema.columns.size());
  const int nr = static_cast<int>(r.schema.columns.size());
  const int l0 = m, r0 = m + nl;
  for (const auto& [li, ri] : merged) {
    // The merged column has the type both sides resolve to (int with
    // bigint is bigint), as PostgreSQL types USING columns.
    const auto& lc = l.schema.columns[static_cast<size_t>(li)];
    const auto& rc = r.schema.columns[static_cast<size_t>(ri)];
    int32_t t = common_type(oid_of(lc), oid_of(rc), "JOIN/USING", -1);
    cs::column_def def = t == oid_of(lc) ? lc : t == oid_of(rc) ? rc : column_of_type(lc.name, t);
    out.schema.columns.push_back(def);
    out.cols.qualifiers.emplace_back();
    out.cols.hidden.push_back(false);
    // INNER and LEFT take the left's value, RIGHT the right's, FULL the
    // first not NULL (COALESCE), as PostgreSQL merges USING columns.
    out.src.push_back(rcol{-1, -1, l0 + li, r0 + ri,
                           kind == join_kind::right  ? rcol::merge::right
                           : kind == join_kind::full ? rcol::merge::coalesce
                                                     : rcol::merge::left});
  }
  for (int side = 0; side < 2; ++side) {
    const rel& x = side == 0 ? l : r;
    int shift = side == 0 ? l0 : r0;
    for (size_t i = 0; i < x.schema.columns.size(); ++i) {
      out.schema.columns.push_back(x.schema.columns[i]);
      out.cols.qualifiers.push_back(x.cols.qualifiers[i]);
      bool is_using = std::any_of(merged.begin(), merged.end(), [&](const auto& p) {
        return (side == 0 ? p.first : p.second) == static_cast<int>(i);
      });
      out.cols.hidden.push_back(x.cols.hidden[i] || is_using);
      rcol c = x.src[i];
      if (c.leaf < 0) {
        c.a += shift;
        c.b += shift;
      }
      out.src.push_back(c);
    }
  }
  out.leaves = l.leaves;
  out.leaves.insert(out.leaves.end(), r.leaves.begin(), r.leaves.end());
  const size_t kl = l.leaves.size(), kr = r.leaves.size();

  // The condition: USING's equalities and ON.
  scope sc{out, cx.now};
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
  std::vector<key_kind> kinds;
  for (size_t k = 0; k < lk.size(); ++k)
    kinds.push_back(kind_of(oid_of(out.schema.columns[static_cast<size_t>(lk[k])]),
                            oid_of(out.schema.columns[static_cast<size_t>(rk[k])])));
  // Equal keys of integers, text, time or booleans are equal values: when
  // the condition is only those equalities, a key match is a match.
  std::function<size_t(const bexpr&)> conjuncts_in = [&](const bexpr& e) -> size_t {
    if (e.k != bexpr::kind::and_)
      return 1;
    size_t n = 0;
    for (const auto& a : e.args)
      n += conjuncts_in(a);
    return n;
  };
  bool keys_decide = !lk.empty() && lk.size() == conjuncts_in(cond);
  for (size_t k = 0; keys_decide && k < kinds.size(); ++k) {
    const auto& a = out.schema.columns[static_cast<size_t>(lk[k])];
    const auto& b = out.schema.columns[static_cast<size_t>(rk[k])];
    keys_decide = kinds[k] == key_kind::integer || kinds[k] == key_kind::text
                  || (kinds[k] == key_kind::other && oid_of(a) == oid_of(b));
  }

  // Where each leaf's row is in a left row i / right row j.
  std::vector<int> pos_in_l(cx.tables.size(), -1), pos_in_r(cx.tables.size(), -1);
  for (size_t p = 0; p < kl; ++p)
    pos_in_l[static_cast<size_t>(l.leaves[p])] = static_cast<int>(p);
  for (size_t p = 0; p < kr; ++p)
    pos_in_r[static_cast<size_t>(r.leaves[p])] = static_cast<int>(p);
  auto pair_row = [&](size_t i, size_t j) {
    return [&, i, j](int leaf) -> uint32_t {
      int p = pos_in_l[static_cast<size_t>(leaf)];
      if (p >= 0)
        return i == none ? none : l.refs[i * kl + static_cast<size_t>(p)];
      p = pos_in_r[static_cast<size_t>(leaf)];
      return j == none ? none : r.refs[j * kr + static_cast<size_t>(p)];
    };
  };
  evaluator ev{cond, out.schema.columns.size()};
  auto emit = [&](size_t i, size_t j) {
    for (size_t p = 0; p < kl; ++p)
      out.refs.push_back(i == none ? none : l.refs[i * kl + p]);
    for (size_t p = 0; p < kr; ++p)
      out.refs.push_back(j == none ? none : r.refs[j * kr + p]);
    if ((out.refs.size() & 0xFFFFF) == 0)
      check_rows(out.rows());
  };
  std::vector<bool> r_matched(r.rows(), false);
  auto probe = [&](size_t i, const std::vector<uint32_t>* candidates) {
    bool any = false;
    auto try_pair = [&](size_t j) {
      auto lr = pair_row(i, j);
      if (cond.args.empty() || (keys_decide && candidates != nullptr)
          || ev.holds([&](size_t c) { return value_at(cx, out, c, lr); })) {
        any = true;
        r_matched[j] = true;
        emit(i, j);
      }
    };
    if (candidates == nullptr)
      for (size_t j = 0; j < r.rows(); ++j)
        try_pair(j);
    else
      for (uint32_t j : *candidates)
        try_pair(j);
    if (!any && (kind == join_kind::left || kind == join_kind::full))
      emit(i, none);
  };
  if (!lk.empty()) {
    // Hash join: the right side's keys in a table, the left's probing it.
    std::unordered_map<std::string, std::vector<uint32_t>> table;
    std::string key;
    auto key_of = [&](const std::vector<int>& cols, auto lr) {
      key.clear();
      for (size_t k = 0; k < cols.size(); ++k)
        if (!append_key(cx, out, static_cast<size_t>(cols[k]), kinds[k], lr, key))
          return false;
      return true;
    };
    for (size_t j = 0; j < r.rows(); ++j)
      if (key_of(rk, pair_row(none, j)))
        table[key].push_back(static_cast<uint32_t>(j));
    static const std::vector<uint32_t> no_rows;
    for (size_t i = 0; i < l.rows(); ++i) {
      auto it = key_of(lk, pair_row(i, none)) ? table.find(key) : table.end();
      probe(i, it == table.end() ? &no_rows : &it->second);
    }
  } else {
    // No equality between the sides: every pair is tried.
    if (static_cast<double>(l.rows()) * static_cast<double>(r.rows()) > max_join_pairs)
      fail("54000", "the join compares every pair of its " + std::to_string(l.rows()) + " and "
                      + std::to_string(r.rows()) + " rows (its condition has no equality "
                      "between the two sides), more than "
                      + std::to_string(static_cast<int64_t>(max_join_pairs))
                      + " pairs: add an equality or filter the relations in sub-selects");
    for (size_t i = 0; i < l.rows(); ++i)
      probe(i, nullptr);
  }
  if (kind == join_kind::right || kind == join_kind::full)
    for (size_t j = 0; j < r.rows(); ++j)
      if (!r_matched[j])
        emit(none, j);
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
  const context& cx;
  const std::vector<join_leaf>& names;
  int next = 0;

  rel build(const node* n) {
    if (n->node_case != PG_QUERY__NODE__NODE_JOIN_EXPR) {
      int i = next++;
      return from_leaf(cx, i, names[static_cast<size_t>(i)].alias);
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
    for (size_t i = 0; i < j->n_using_clause; ++i) {
      std::string u = string_of(j->using_clause[i]) ? string_of(j->using_clause[i]) : "";
      if (std::find(using_names.begin(), using_names.end(), u) != using_names.end())
        fail("42701", "column name \"" + u + "\" appears more than once in USING clause");
      using_names.push_back(std::move(u));
    }
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
    return join(cx, std::move(l), std::move(r), kind, using_names, on, false);
  }
};

/// Copies column `c` of the join's rows into column `dc` of `dst`: typed,
/// text through a code map (each distinct string looked up once).
void gather(const context& cx, const rel& x, size_t c, cs::column_batch& dst, size_t dc) {
  const rcol& s = x.src[c];
  size_t k = x.leaves.size(), rows = x.rows();
  if (s.leaf < 0) {
    // A merged USING column: value by value.
    for (size_t i = 0; i < rows; ++i) {
      auto lr = [&](int leaf) -> uint32_t {
        for (size_t p = 0; p < k; ++p)
          if (x.leaves[p] == leaf)
            return x.refs[i * k + p];
        return none;
      };
      append_datum(dst, dc, value_at(cx, x, c, lr));
    }
    return;
  }
  size_t p = static_cast<size_t>(std::find(x.leaves.begin(), x.leaves.end(), s.leaf) - x.leaves.begin());
  const auto& src = cx.tables[static_cast<size_t>(s.leaf)].rows.col(static_cast<size_t>(s.col));
  std::vector<uint32_t> code_map(src.type == cs::column_type::text ? src.dict.size() : 0, none);
  for (size_t i = 0; i < rows; ++i) {
    uint32_t r = x.refs[i * k + p];
    if (r == none || (src.has_nulls && ((src.validity[r >> 3] >> (r & 7)) & 1) == 0)) {
      dst.append_null(dc);
      continue;
    }
    switch (src.type) {
      case cs::column_type::int4: dst.append_int(dc, src.i32[r]); break;
      case cs::column_type::boolean: dst.append_int(dc, src.u8[r]); break;
      case cs::column_type::float8: dst.append_float(dc, src.f64[r]); break;
      case cs::column_type::text: {
        uint32_t& code = code_map[src.codes[r]];
        if (code == none) {
          dst.append_text(dc, src.dict[src.codes[r]]);
          code = dst.last_code(dc);
        } else {
          dst.append_code(dc, code);
        }
        break;
      }
      default: dst.append_int(dc, src.i64[r]); break;
    }
  }
}

/// Calls `f` with every ColumnRef under parse-tree message `m` (any node
/// kind, through protobuf-c's descriptors); false when `m` holds a
/// sub-query (its names are not the join's).
template <class F>
bool each_column_ref(const ProtobufCMessage* m, const F& f) {
  const auto* d = m->descriptor;
  if (d == &pg_query__column_ref__descriptor) {
    f(reinterpret_cast<const PgQuery__ColumnRef*>(m));
    return true;
  }
  if (d == &pg_query__select_stmt__descriptor || d == &pg_query__sub_link__descriptor)
    return false;
  bool ok = true;
  each_child(const_cast<ProtobufCMessage*>(m), [&](ProtobufCMessage* child) {
    ok = ok && each_column_ref(child, f);
  });
  return ok;
}

/// Calls `walk` with the clauses of a SELECT that are evaluated after its
/// FROM clause: the select list, GROUP BY, HAVING, ORDER BY, DISTINCT ON.
template <class F>
void each_later_clause(const PgQuery__SelectStmt* s, const F& walk) {
  for (size_t i = 0; i < s->n_target_list; ++i)
    walk(s->target_list[i]);
  for (size_t i = 0; i < s->n_group_clause; ++i)
    walk(s->group_clause[i]);
  walk(s->having_clause);
  for (size_t i = 0; i < s->n_sort_clause; ++i)
    walk(s->sort_clause[i]);
  for (size_t i = 0; i < s->n_distinct_clause; ++i)
    walk(s->distinct_clause[i]);
}

/// The join's columns the rest of the SELECT reads (`*` and `q.*` expand);
/// all of them when a name does not resolve here (an output alias, or an
/// error the planner reports) or a sub-query is in the way.
std::vector<bool> columns_read(const PgQuery__SelectStmt* s, const rel& x, cs::timestamp now) {
  std::vector<bool> used(x.schema.columns.size(), false);
  scope sc{x, now};
  bool all = false;
  auto on_ref = [&](const PgQuery__ColumnRef* c) {
    if (all)
      return;
    try {
      if (c->n_fields > 0 && c->fields[c->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
        const char* q = c->n_fields == 2 ? string_of(c->fields[0]) : nullptr;
        for (int i : sc.b.star_columns(q ? q : "", c->location))
          used[static_cast<size_t>(i)] = true;
      } else {
        used[static_cast<size_t>(sc.b.column(c).index)] = true;
      }
    } catch (const bind_failure&) {
      all = true;
    }
  };
  auto walk = [&](const node* n) {
    if (n && !all && !each_column_ref(reinterpret_cast<const ProtobufCMessage*>(n), on_ref))
      all = true;
  };
  each_later_clause(s, walk);
  if (all)
    used.assign(used.size(), true);
  return used;
}

void collect_leaves(const node* n, std::vector<join_leaf>& out) {
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_JOIN_EXPR:
      collect_leaves(n->join_expr->larg, out);
      collect_leaves(n->join_expr->rarg, out);
      return;
    case PG_QUERY__NODE__NODE_RANGE_VAR: {
      const auto* rv = n->range_var;
      std::string schema = has(rv->schemaname) ? rv->schemaname : "";
      if (!readable_schema(schema))
        fail("42P01", "relation \"" + schema + "." + rv->relname + "\" does not exist",
             rv->location);
      if (rv->alias && rv->alias->n_colnames > 0)
        fail("0A000", "column aliases of a table in FROM are not supported yet", rv->location);
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
      out.push_back(join_leaf{sub->alias->aliasname, sub->alias->aliasname,
                              sub->subquery->select_stmt, alias_columns(sub->alias)});
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

namespace {

bool has_outer_join(const node* n) {
  if (n == nullptr || n->node_case != PG_QUERY__NODE__NODE_JOIN_EXPR)
    return false;
  const auto* j = n->join_expr;
  return j->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT
         || j->jointype == PG_QUERY__JOIN_TYPE__JOIN_RIGHT
         || j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL || has_outer_join(j->larg)
         || has_outer_join(j->rarg);
}

/// The conjuncts of WHERE that bind over one table (as `alias`) and are
/// comparisons the chunks evaluate.
std::optional<cs::predicate> pushable(const PgQuery__SelectStmt* s, const std::string& alias,
                                      const std::string& table, const cs::table_schema& schema,
                                      cs::timestamp now, bool* all) {
  std::vector<const node*> where;
  conjuncts(s->where_clause, where);
  std::vector<cs::predicate> parts;
  if (all)
    *all = true;
  for (const node* c : where) {
    select_plan plan;
    binder b{schema, now, alias, table, &plan, false, {}, {}, nullptr, nullptr};
    try {
      bexpr e = b.fold(b.bind(c));
      if (e.type != oid::bool_)
        throw bind_failure{};
      parts.push_back(to_predicate(e, schema));
    } catch (const bind_failure&) {
      if (all)
        *all = false;
    }
  }
  if (parts.empty())
    return std::nullopt;
  return parts.size() == 1 ? std::move(parts[0]) : cs::predicate::all_of(std::move(parts));
}

} // namespace

std::optional<cs::predicate> join_leaf_filter(const void* raw, const std::string& alias,
                                              const std::string& table,
                                              const cs::table_schema& schema,
                                              cs::timestamp now) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  // Below an outer join, WHERE applies after the NULLs are added: not to
  // the relation's own rows.
  for (size_t i = 0; i < s->n_from_clause; ++i)
    if (has_outer_join(s->from_clause[i]))
      return std::nullopt;
  return pushable(s, alias, table, schema, now, nullptr);
}

bool where_needs_rows(const void* raw, const cs::table_schema& schema, cs::timestamp now) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  if (s->where_clause == nullptr || s->n_from_clause != 1)
    return false;
  const node* from = s->from_clause[0];
  std::string alias, relname;
  if (from->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
    const auto* rv = from->range_var;
    relname = rv->relname;
    alias = rv->alias && has(rv->alias->aliasname) ? rv->alias->aliasname : relname;
  } else if (from->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT) {
    const auto* a = from->range_subselect->alias;
    relname = alias = a && has(a->aliasname) ? a->aliasname : "";
  } else {
    return false;
  }
  // The whole WHERE must bind (else its error is the answer) ...
  select_plan plan;
  binder b{schema, now, alias, relname, &plan, false, {}, {}, nullptr, nullptr};
  try {
    bexpr w = b.fold(b.bind(s->where_clause));
    if (w.type != oid::bool_)
      return false;
    try {
      to_predicate(w, schema);
      return false; // ... and not be one the chunks evaluate
    } catch (const bind_failure&) {
      return true;
    }
  } catch (const bind_failure&) {
    return false;
  }
}

std::optional<std::vector<std::string>>
join_leaf_columns(const void* raw, const std::string& alias, const cs::table_schema& schema) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  std::vector<std::string> out;
  bool all = false;
  auto want = [&](const std::string& name) {
    if (schema.find(name) >= 0 && std::find(out.begin(), out.end(), name) == out.end())
      out.push_back(name);
  };
  auto on_ref = [&](const PgQuery__ColumnRef* c) {
    if (c->n_fields == 0 || c->n_fields > 2) {
      all = true;
      return;
    }
    const char* q = c->n_fields == 2 ? string_of(c->fields[0]) : nullptr;
    if (c->fields[c->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
      if (q == nullptr || alias == q)
        all = true;
      return;
    }
    if (q == nullptr || alias == q)
      want(last_name(c->n_fields, c->fields));
  };
  auto walk = [&](const node* n) {
    if (n && !all && !each_column_ref(reinterpret_cast<const ProtobufCMessage*>(n), on_ref))
      all = true;
  };
  std::function<void(const node*)> from = [&](const node* n) {
    if (n == nullptr || n->node_case != PG_QUERY__NODE__NODE_JOIN_EXPR)
      return;
    const auto* j = n->join_expr;
    if (j->is_natural)
      all = true; // its columns are the names both sides share
    for (size_t i = 0; i < j->n_using_clause; ++i)
      if (const char* u = string_of(j->using_clause[i]))
        want(u);
    walk(j->quals);
    from(j->larg);
    from(j->rarg);
  };
  for (size_t i = 0; i < s->n_from_clause; ++i)
    from(s->from_clause[i]);
  walk(s->where_clause);
  each_later_clause(s, walk);
  if (all)
    return std::nullopt;
  if (out.empty())
    out.push_back(schema.columns.front().name); // count(*): one column gives the rows
  return out;
}

std::variant<statement_result, positioned_error>
run_join(const void* raw, std::vector<local_table> leaves, cs::timestamp now) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(raw);
  try {
    auto names = join_leaves(raw);
    if (auto* e = std::get_if<positioned_error>(&names))
      return *e;
    const auto& leaf_names = std::get<std::vector<join_leaf>>(names);
    context cx{leaves, now, {}};
    for (const auto& t : leaves) {
      std::vector<int32_t> types;
      for (const auto& c : t.schema.columns)
        types.push_back(oid_of(c));
      cx.types.push_back(std::move(types));
    }
    builder bld{cx, leaf_names};
    // A FROM list joins its items in order; WHERE's conjuncts that read
    // only the items joined so far act as their join condition (so that
    // `FROM a, b WHERE a.x = b.x` is a hash join, not a product).
    std::vector<const node*> where;
    conjuncts(s->where_clause, where);
    rel acc = bld.build(s->from_clause[0]);
    for (size_t i = 1; i < s->n_from_clause; ++i)
      acc = join(cx, std::move(acc), bld.build(s->from_clause[i]), join_kind::inner, {}, where,
                 true);
    const size_t k = acc.leaves.size();
    auto row_of = [&](size_t i) {
      return [&, i](int leaf) -> uint32_t {
        for (size_t p = 0; p < k; ++p)
          if (acc.leaves[p] == leaf)
            return acc.refs[i * k + p];
        return none;
      };
    };
    // WHERE over the joined rows (reading only the columns it names).
    if (s->where_clause) {
      scope sc{acc, now};
      bexpr w = sc.b.fold(sc.b.bind(s->where_clause));
      if (w.type != oid::bool_ && !(w.k == bexpr::kind::constant && w.value.null))
        fail("42804", std::string{"argument of WHERE must be type boolean, not type "}
                        + type_name(w.type));
      evaluator ev{w, acc.schema.columns.size()};
      std::vector<uint32_t> kept;
      for (size_t i = 0; i < acc.rows(); ++i) {
        auto lr = row_of(i);
        if (ev.holds([&](size_t c) { return value_at(cx, acc, c, lr); }))
          kept.insert(kept.end(), acc.refs.begin() + static_cast<std::ptrdiff_t>(i * k),
                      acc.refs.begin() + static_cast<std::ptrdiff_t>((i + 1) * k));
      }
      acc.refs = std::move(kept);
    }
    // The joined rows as a table -- the columns the rest of the SELECT
    // reads; the others stay NULL -- and the rest of the SELECT over it.
    auto used = columns_read(s, acc, now);
    size_t copied = static_cast<size_t>(std::count(used.begin(), used.end(), true));
    if (acc.rows() * std::max<size_t>(copied, 1) > max_join_values)
      fail("54000", "the join's result has more than " + std::to_string(max_join_values)
                      + " values (" + std::to_string(acc.rows()) + " rows of "
                      + std::to_string(copied) + " columns): joins run in the access node's "
                        "memory; filter the relations in sub-selects first");
    local_table t;
    t.schema = acc.schema;
    t.rows = cs::column_batch{t.schema};
    t.rows.reserve(acc.rows());
    for (size_t c = 0; c < used.size(); ++c) {
      if (used[c]) {
        gather(cx, acc, c, t.rows, c);
      } else {
        for (size_t i = 0; i < acc.rows(); ++i)
          t.rows.append_null(c);
      }
    }
    t.rows.set_rows(acc.rows());
    t.joined = std::move(acc.cols);
    return run_local(raw, t, now);
  } catch (const bind_failure& f) {
    return f.err;
  }
}

} // namespace hypertide::planner
