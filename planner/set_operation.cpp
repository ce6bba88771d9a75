// UNION, INTERSECT and EXCEPT (with and without ALL) over the results of
// their two sides, then the set operation's own ORDER BY, OFFSET and LIMIT.
// The access node computes them: each side is a SELECT that ran on its own.

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "planner/local_table.hpp"
#include "planner/pg_nodes.hpp"
#include "planner/select_binder.hpp"

namespace hypertide::planner {

using namespace detail;

namespace {

const char* op_name(const PgQuery__SelectStmt* s) {
  switch (s->op) {
    case PG_QUERY__SET_OPERATION__SETOP_INTERSECT: return "INTERSECT";
    case PG_QUERY__SET_OPERATION__SETOP_EXCEPT: return "EXCEPT";
    default: return "UNION";
  }
}

bool texty(int32_t t) {
  return t == oid::text || t == oid::varchar || t == oid::unknown;
}

/// A text cell of type `from` read back as a datum.
datum read_cell(const std::string& s, int32_t from) {
  datum d = make_text(s);
  d.type = oid::unknown;
  return coerce(d, from == oid::unknown ? oid::text : from, -1);
}

using text_row = std::vector<std::optional<std::string>>;

/// A row as one string: equal rows (of the same types) give equal keys;
/// in `floats` columns -0 is 0.
std::string row_key(const text_row& r, const std::vector<bool>& floats) {
  std::string k;
  for (size_t i = 0; i < r.size(); ++i) {
    const auto& c = r[i];
    if (!c) {
      k += '\0';
      continue;
    }
    std::string_view v = floats[i] && *c == "-0" ? std::string_view{"0"} : std::string_view{*c};
    k += '\1';
    auto n = static_cast<uint32_t>(v.size());
    k.append(reinterpret_cast<const char*>(&n), sizeof n);
    k += v;
  }
  return k;
}

int64_t count_of(const node* n, const char* what) {
  if (n == nullptr)
    return -1;
  auto v = evaluate_constant(n, 0);
  if (auto* e = std::get_if<positioned_error>(&v))
    throw bind_failure{*e};
  const datum& d = std::get<datum>(v);
  if (d.null)
    return -1;
  if (!is_int(d.type))
    fail("42804", std::string{"argument of "} + what + " must be type bigint, not type "
                    + type_name(d.type));
  if (d.i < 0)
    fail("2201W", std::string{what} + " must not be negative");
  return d.i;
}

/// The set operation's ORDER BY: output column names or ordinals only.
void sort_rows(const PgQuery__SelectStmt* s, statement_result& r) {
  struct key {
    size_t column;
    bool descending;
    bool nulls_first;
  };
  std::vector<key> keys;
  for (size_t i = 0; i < s->n_sort_clause; ++i) {
    const auto* sb = s->sort_clause[i]->sort_by;
    const node* n = sb->node;
    int col = -1;
    if (n->node_case == PG_QUERY__NODE__NODE_A_CONST
        && n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
      int64_t pos = n->a_const->ival->ival;
      if (pos < 1 || pos > static_cast<int64_t>(r.columns.size()))
        fail("42P10", "ORDER BY position " + std::to_string(pos) + " is not in select list",
             n->a_const->location);
      col = static_cast<int>(pos - 1);
    } else if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF
               && n->column_ref->n_fields == 1) {
      std::string name = last_name(1, n->column_ref->fields);
      for (size_t c = 0; c < r.columns.size() && col < 0; ++c)
        if (r.columns[c].name == name)
          col = static_cast<int>(c);
      if (col < 0)
        fail("42703", "column \"" + name + "\" does not exist", n->column_ref->location);
    } else {
      throw bind_failure{positioned_error{
        {"0A000", "invalid UNION/INTERSECT/EXCEPT ORDER BY clause",
         "Only result column names can be used, not expressions or functions."},
        0}};
    }
    if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
      fail("0A000", "ORDER BY USING is not supported");
    bool desc = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
    bool nf = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST
              || (sb->sortby_nulls != PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST && desc);
    keys.push_back(key{static_cast<size_t>(col), desc, nf});
  }
  if (keys.empty())
    return;
  // The sort keys read as values of their types once per row.
  size_t rows = r.rows.size();
  std::vector<std::vector<datum>> vals(keys.size(), std::vector<datum>(rows));
  for (size_t k = 0; k < keys.size(); ++k)
    for (size_t i = 0; i < rows; ++i) {
      const auto& cell = r.rows[i][keys[k].column];
      if (cell)
        vals[k][i] = read_cell(*cell, r.columns[keys[k].column].type_oid);
    }
  std::vector<size_t> order(rows);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (size_t k = 0; k < keys.size(); ++k) {
      const datum& x = vals[k][a];
      const datum& y = vals[k][b];
      if (x.null || y.null) {
        if (x.null == y.null)
          continue;
        return x.null == keys[k].nulls_first;
      }
      int c = compare(x, y);
      if (c != 0)
        return keys[k].descending ? c > 0 : c < 0;
    }
    return false;
  });
  std::vector<text_row> sorted;
  sorted.reserve(rows);
  for (size_t i : order)
    sorted.push_back(std::move(r.rows[i]));
  r.rows = std::move(sorted);
}

} // namespace

std::variant<statement_result, positioned_error>
set_operation(const void* select_stmt, statement_result left, statement_result right) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(select_stmt);
  try {
    const char* op = op_name(s);
    materialize(left);
    materialize(right);
    if (left.columns.size() != right.columns.size())
      fail("42601", std::string{"each "} + op + " query must have the same number of columns");
    statement_result out;
    out.columns = left.columns;
    // A side's literal or NULL column is untyped: the other side types it.
    auto type_of = [](const statement_result& side, size_t c) {
      return c < side.untyped.size() && side.untyped[c] ? oid::unknown : side.columns[c].type_oid;
    };
    out.untyped.assign(out.columns.size(), false);
    for (size_t c = 0; c < out.columns.size(); ++c) {
      // An error points at the right side's column when it is a plain SELECT.
      const auto* r = s->rarg;
      int32_t loc = r && r->op == PG_QUERY__SET_OPERATION__SETOP_NONE && c < r->n_target_list
                      ? r->target_list[c]->res_target->location
                      : -1;
      int32_t t = common_type(type_of(left, c), type_of(right, c), op, loc);
      out.untyped[c] = t == oid::unknown;
      out.columns[c].type_oid = t == oid::unknown ? oid::text : t;
    }
    // Cells of a side whose type is not the result's are converted, so that
    // equal values have equal text (2 and 2.0 as double precision: "2");
    // untyped literals are read by the result's type (22P02 if they fail).
    auto convert = [&](statement_result& side) {
      for (size_t c = 0; c < out.columns.size(); ++c) {
        int32_t from = type_of(side, c), to = out.columns[c].type_oid;
        if (from == to || (texty(from) && texty(to)))
          continue;
        for (auto& row : side.rows) {
          if (!row[c])
            continue;
          if (from == oid::unknown) {
            datum u = make_text(*row[c]);
            u.type = oid::unknown;
            row[c] = to_text(cast_datum(u, to, -1));
          } else {
            row[c] = to_text(cast_datum(read_cell(*row[c], from), to, -1));
          }
        }
      }
    };
    convert(left);
    convert(right);
    std::vector<bool> floats;
    for (const auto& c : out.columns)
      floats.push_back(c.type_oid == oid::float8 || c.type_oid == oid::float4);
    std::vector<text_row> rows;
    if (s->op == PG_QUERY__SET_OPERATION__SETOP_UNION) {
      if (s->all) {
        rows = std::move(left.rows);
        rows.insert(rows.end(), std::make_move_iterator(right.rows.begin()),
                    std::make_move_iterator(right.rows.end()));
      } else {
        std::unordered_map<std::string, bool> seen;
        for (auto* side : {&left.rows, &right.rows})
          for (auto& row : *side)
            if (seen.emplace(row_key(row, floats), true).second)
              rows.push_back(std::move(row));
      }
    } else {
      // INTERSECT / EXCEPT: how many times each row is on the right.
      bool intersect = s->op == PG_QUERY__SET_OPERATION__SETOP_INTERSECT;
      std::unordered_map<std::string, int64_t> on_right;
      for (const auto& row : right.rows)
        ++on_right[row_key(row, floats)];
      std::unordered_map<std::string, bool> emitted;
      for (auto& row : left.rows) {
        auto key = row_key(row, floats);
        auto it = on_right.find(key);
        int64_t n = it == on_right.end() ? 0 : it->second;
        bool keep = false;
        if (s->all) {
          // ALL: min(l, r) copies for INTERSECT, max(l - r, 0) for EXCEPT.
          if (intersect) {
            keep = n > 0;
            if (keep)
              --it->second;
          } else {
            keep = n == 0;
            if (!keep)
              --it->second;
          }
        } else {
          keep = (intersect ? n > 0 : n == 0) && emitted.emplace(std::move(key), true).second;
        }
        if (keep)
          rows.push_back(std::move(row));
      }
    }
    out.rows = std::move(rows);
    sort_rows(s, out);
    int64_t offset = std::max<int64_t>(0, count_of(s->limit_offset, "OFFSET"));
    int64_t limit = count_of(s->limit_count, "LIMIT");
    if (offset > 0)
      out.rows.erase(out.rows.begin(),
                     out.rows.begin() + std::min<int64_t>(offset, static_cast<int64_t>(out.rows.size())));
    if (limit >= 0 && static_cast<size_t>(limit) < out.rows.size())
      out.rows.resize(static_cast<size_t>(limit));
    out.tag = "SELECT " + std::to_string(out.rows.size());
    return out;
  } catch (const bind_failure& f) {
    return f.err;
  }
}

} // namespace hypertide::planner
