#include "chunkstore/partial_result.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace hypertide::chunkstore {

partial_result partial_result::make(const fragment& f, const table_schema& schema) {
  partial_result r;
  if (f.is_aggregate()) {
    std::vector<column_type> kt;
    for (const auto& k : f.keys)
      kt.push_back(key_type(schema, k));
    r.keys = column_batch{kt};
    for (const auto& a : f.aggregates) {
      r.kinds.push_back(a.kind);
      r.input_types.push_back(a.column >= 0 ? schema.columns[a.column].type
                                            : column_type::int8);
    }
    r.states.resize(f.aggregates.size());
    r.texts.resize(f.aggregates.size());
  } else {
    std::vector<column_type> pt;
    for (int c : f.projection)
      pt.push_back(schema.columns[c].type);
    r.rows = column_batch{pt};
  }
  return r;
}

value partial_result::final_value(size_t a, size_t g) const {
  return finalize(kinds[a], input_types[a], states[a][g],
                  input_types[a] == column_type::text ? &texts[a][g] : nullptr);
}

void merge_state(agg_kind kind, column_type type, agg_state& a,
                 const agg_state& b, std::string* a_text,
                 const std::string* b_text) {
  bool text = type == column_type::text;
  bool flt = type == column_type::float8;
  switch (kind) {
    case agg_kind::count_star:
    case agg_kind::count:
      a.count += b.count;
      return;
    case agg_kind::sum:
    case agg_kind::avg:
      a.count += b.count;
      a.f += b.f;
      a.i += b.i;
      return;
    case agg_kind::min:
    case agg_kind::max: {
      if (b.count == 0)
        return;
      bool take = a.count == 0;
      if (!take) {
        int c = text ? a_text->compare(*b_text)
                     : flt ? float8_order(a.f, b.f)
                           : (b.i < a.i ? 1 : (b.i > a.i ? -1 : 0));
        take = kind == agg_kind::min ? c > 0 : c < 0;
      }
      if (take) {
        a = b;
        if (text)
          *a_text = *b_text;
      }
      return;
    }
    case agg_kind::first:
    case agg_kind::last: {
      if (b.count == 0)
        return;
      bool take = a.count == 0
                  || (kind == agg_kind::first ? b.t < a.t : b.t > a.t);
      if (take) {
        a = b;
        if (text)
          *a_text = *b_text;
      }
      return;
    }
  }
}

namespace {

/// The final value of an aggregate's state, handed to `out` as
/// out.null(type), out.integer(type, x), out.real(x) or out.text(s): one
/// definition for a value and for a batch's column.
template <class Out>
void finish_state(agg_kind kind, column_type type, const agg_state& s, const std::string* text,
                  Out& out) {
  switch (kind) {
    case agg_kind::count_star:
    case agg_kind::count:
      return out.integer(column_type::int8, s.count);
    case agg_kind::sum:
      if (s.count == 0)
        return out.null(type == column_type::float8 ? column_type::float8 : column_type::int8);
      if (type == column_type::float8)
        return out.real(s.f);
      // TODO(#3): sum(int8) is numeric in PostgreSQL; an int8 result that
      // does not fit is returned as float8 until numeric lands.
      if (s.i > INT64_MAX || s.i < INT64_MIN)
        return out.real(static_cast<double>(s.i));
      return out.integer(column_type::int8, static_cast<int64_t>(s.i));
    case agg_kind::avg:
      if (s.count == 0)
        return out.null(column_type::float8);
      if (type == column_type::float8)
        return out.real(s.f / static_cast<double>(s.count));
      return out.real(static_cast<double>(s.i) / static_cast<double>(s.count));
    case agg_kind::min:
    case agg_kind::max:
    case agg_kind::first:
    case agg_kind::last:
      if (s.count == 0 || s.null_value)
        return out.null(type);
      if (type == column_type::text)
        return out.text(*text);
      if (type == column_type::float8)
        return out.real(s.f);
      return out.integer(type, static_cast<int64_t>(s.i));
  }
  out.null(type);
}

struct to_value {
  value v;
  void null(column_type t) { v = value::null(t); }
  void integer(column_type t, int64_t x) { v = value::of_int(t, x); }
  void real(double x) { v = value::of_float(x); }
  void text(const std::string& s) { v = value::of_text(s); }
};

struct to_column {
  column_batch& b;
  size_t c;
  void null(column_type) { b.append_null(c); }
  void integer(column_type, int64_t x) { b.append_int(c, x); }
  void real(double x) { b.append_float(c, x); }
  void text(const std::string& s) { b.append_text(c, s); }
};

} // namespace

value finalize(agg_kind kind, column_type type, const agg_state& s,
               const std::string* text) {
  to_value out;
  finish_state(kind, type, s, text, out);
  return std::move(out.v);
}

void partial_result::append_final(size_t a, size_t g, column_batch& b, size_t c) const {
  to_column out{b, c};
  finish_state(kinds[a], input_types[a], states[a][g],
               input_types[a] == column_type::text ? &texts[a][g] : nullptr, out);
}

result_merger::result_merger(const fragment& f, const table_schema& schema)
  : fragment_(f), schema_(schema), acc_(partial_result::make(f, schema)) {
}

namespace {

// Appends an unambiguous byte encoding of key cell (`row`, `c`).
void encode_cell(std::string& out, const column_batch& b, size_t row, size_t c) {
  const auto& col = b.col(c);
  bool null = col.has_nulls && ((col.validity[row >> 3] >> (row & 7)) & 1) == 0;
  out.push_back(null ? 'n' : 'v');
  if (null)
    return;
  auto put = [&out](const auto& x) {
    out.append(reinterpret_cast<const char*>(&x), sizeof x);
  };
  switch (col.type) {
    case column_type::text: {
      const std::string& s = col.dict[col.codes[row]];
      put(static_cast<uint32_t>(s.size()));
      out.append(s);
      break;
    }
    case column_type::float8: {
      double f = col.f64[row] == 0 ? 0.0 : col.f64[row]; // -0 groups with 0
      put(f);
      break;
    }
    case column_type::int4:
      put(static_cast<int64_t>(col.i32[row]));
      break;
    case column_type::boolean:
      put(static_cast<int64_t>(col.u8[row]));
      break;
    default:
      put(col.i64[row]);
  }
}

} // namespace

bool result_merger::accepts(const partial_result& r) const noexcept {
  auto same_columns = [](const column_batch& a, const column_batch& b) {
    if (a.num_columns() != b.num_columns())
      return false;
    for (size_t c = 0; c < a.num_columns(); ++c)
      if (a.col(c).type != b.col(c).type)
        return false;
    return true;
  };
  if (fragment_.is_aggregate())
    return same_columns(acc_.keys, r.keys) && r.kinds == acc_.kinds
           && r.input_types == acc_.input_types && r.states.size() == acc_.states.size()
           && r.texts.size() == acc_.texts.size();
  return same_columns(acc_.rows, r.rows);
}

void result_merger::build_index() {
  for (size_t g = index_.size(); g < acc_.groups(); ++g) {
    key_buf_.clear();
    for (size_t c = 0; c < acc_.keys.num_columns(); ++c)
      encode_cell(key_buf_, acc_.keys, g, c);
    index_.emplace(key_buf_, static_cast<uint32_t>(g));
  }
}

uint32_t result_merger::group_of(const partial_result& r, size_t row) {
  key_buf_.clear();
  for (size_t c = 0; c < r.keys.num_columns(); ++c)
    encode_cell(key_buf_, r.keys, row, c);
  auto [it, added] = index_.try_emplace(key_buf_,
                                        static_cast<uint32_t>(acc_.groups()));
  if (added) {
    for (size_t c = 0; c < r.keys.num_columns(); ++c)
      acc_.keys.append_value(c, r.keys.at(row, c));
    acc_.keys.finish_row();
    for (size_t a = 0; a < acc_.states.size(); ++a) {
      acc_.states[a].emplace_back();
      if (acc_.input_types[a] == column_type::text)
        acc_.texts[a].emplace_back();
    }
  }
  return it->second;
}

void result_merger::add(partial_result&& r) {
  if (empty_ && !fragment_.is_aggregate() && acc_.rows.rows() == 0
      && r.rows.num_columns() == acc_.rows.num_columns()) {
    // The first raw result is taken over whole.
    scan_stats stats = acc_.stats;
    acc_.rows = std::move(r.rows);
    acc_.stats = stats;
    acc_.stats += r.stats;
    empty_ = false;
    if (fragment_.limit >= 0 && fragment_.limit < (INT64_MAX - 1024) / 2
        && acc_.rows.rows() > static_cast<size_t>(2 * fragment_.limit + 1024))
      top_n(acc_.rows, fragment_.order, fragment_.limit);
    return;
  }
  if (empty_ && fragment_.is_aggregate() && r.states.size() == acc_.states.size()) {
    // Groups within one result are distinct: nothing to merge yet.
    scan_stats stats = acc_.stats;
    acc_ = std::move(r);
    acc_.stats += stats;
    empty_ = false;
    return;
  }
  add(static_cast<const partial_result&>(r));
}

void result_merger::add(const partial_result& r) {
  empty_ = false;
  acc_.stats += r.stats;
  if (fragment_.is_aggregate()) {
    build_index();
    for (size_t g = 0; g < r.groups(); ++g) {
      uint32_t to = group_of(r, g);
      for (size_t a = 0; a < acc_.states.size(); ++a) {
        bool text = acc_.input_types[a] == column_type::text;
        merge_state(acc_.kinds[a], acc_.input_types[a], acc_.states[a][to],
                    r.states[a][g], text ? &acc_.texts[a][to] : nullptr,
                    text ? &r.texts[a][g] : nullptr);
      }
    }
    // A fragment without GROUP BY keys has exactly one group, even over no
    // rows (`SELECT count(*)` of an empty table is 0, not no row): finish()
    // adds it.
    return;
  }
  acc_.rows.append_batch(r.rows);
  if (fragment_.limit >= 0 && fragment_.limit < (INT64_MAX - 1024) / 2
      && acc_.rows.rows() > static_cast<size_t>(2 * fragment_.limit + 1024))
    top_n(acc_.rows, fragment_.order, fragment_.limit);
}

partial_result result_merger::finish() {
  if (fragment_.is_aggregate() && fragment_.keys.empty() && acc_.groups() == 0) {
    acc_.keys.finish_row();
    for (size_t a = 0; a < acc_.states.size(); ++a) {
      acc_.states[a].emplace_back();
      if (acc_.input_types[a] == column_type::text)
        acc_.texts[a].emplace_back();
    }
  }
  // ORDER BY without LIMIT sorts too: top_n with limit -1 keeps every row.
  if (!fragment_.is_aggregate() && (fragment_.limit >= 0 || !fragment_.order.empty()))
    top_n(acc_.rows, fragment_.order, fragment_.limit);
  index_.clear();
  empty_ = true;
  partial_result out = std::move(acc_);
  acc_ = partial_result::make(fragment_, schema_);
  return out;
}

int compare_values(const value& a, const value& b) noexcept {
  if (a.type == column_type::text)
    return a.s.compare(b.s) < 0 ? -1 : (a.s == b.s ? 0 : 1);
  if (a.type == column_type::float8 || b.type == column_type::float8) {
    double x = a.as_double(), y = b.as_double();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
}

void top_n(column_batch& rows, const std::vector<order_key>& order,
           int64_t limit) {
  size_t n = rows.rows();
  size_t keep = limit < 0 ? n : std::min(n, static_cast<size_t>(limit));
  if (order.empty() && keep == n)
    return;
  std::vector<uint32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0u);
  if (!order.empty()) {
    // Materialize the sort keys once; rows compare by them in order.
    std::vector<std::vector<value>> keys(order.size());
    for (size_t k = 0; k < order.size(); ++k) {
      keys[k].reserve(n);
      for (size_t r = 0; r < n; ++r)
        keys[k].push_back(rows.at(r, static_cast<size_t>(order[k].index)));
    }
    auto less = [&](uint32_t x, uint32_t y) {
      for (size_t k = 0; k < order.size(); ++k) {
        const value& a = keys[k][x];
        const value& b = keys[k][y];
        if (a.is_null || b.is_null) {
          if (a.is_null && b.is_null)
            continue;
          // NULLs sort as larger than every value, as in PostgreSQL, unless
          // NULLS FIRST says otherwise.
          return a.is_null == order[k].nulls_first;
        }
        int c = compare_values(a, b);
        if (c != 0)
          return order[k].descending ? c > 0 : c < 0;
      }
      return x < y;
    };
    if (keep < n)
      std::partial_sort(perm.begin(), perm.begin() + static_cast<long>(keep),
                        perm.end(), less);
    else
      std::sort(perm.begin(), perm.end(), less);
  }
  std::vector<column_type> types;
  for (size_t c = 0; c < rows.num_columns(); ++c)
    types.push_back(rows.col(c).type);
  column_batch out{types};
  out.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    for (size_t c = 0; c < rows.num_columns(); ++c)
      out.append_value(c, rows.at(perm[i], c));
    out.finish_row();
  }
  rows = std::move(out);
}

} // namespace hypertide::chunkstore
