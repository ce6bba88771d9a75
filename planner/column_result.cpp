// Results the connection writes from columns, not from a string per cell:
// raw rows read in place, and groups whose outputs are their own keys and
// aggregates (finish_select's fast paths); text_cell and materialize for
// the callers that need the cells as text.

#include <algorithm>
#include <charconv>
#include <limits>

#include "planner/datetime.hpp"
#include "planner/pg_format.hpp"
#include "planner/select_eval.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;

using namespace detail;

/// Raw rows whose outputs are plain columns, unsorted: the rows stay in
/// their columns (high-cpu-all returns millions).
std::optional<statement_result> detail::finish_plain_rows(const select_plan& plan,
                                                          cs::partial_result& r) {
  if (!is_plain_rows(plan))
    return std::nullopt;
  auto batch = std::make_shared<const cs::column_batch>(std::move(r.rows));
  return plain_rows_result(plan, {batch->view()}, batch);
}

namespace {

/// Column type of a result column of type `oid` that a column batch holds
/// as it is written; none for the others (numeric, interval, real, ...).
std::optional<cs::column_type> storage_of(int32_t type_oid) {
  switch (type_oid) {
    case oid::int4: return cs::column_type::int4;
    case oid::int8: return cs::column_type::int8;
    case oid::float8: return cs::column_type::float8;
    case oid::bool_: return cs::column_type::boolean;
    case oid::text: return cs::column_type::text;
    case oid::timestamptz: return cs::column_type::timestamptz;
    case oid::timestamp: return cs::column_type::timestamp;
    default: return std::nullopt;
  }
}

/// compare() of two non-NULL cells of one column.
int compare_cells(const cs::column_view& c, uint32_t x, uint32_t y) {
  switch (c.type) {
    case cs::column_type::float8:
      return cs::float8_order(c.f64[x], c.f64[y]);
    case cs::column_type::text: {
      int k = c.dict[c.codes[x]].compare(c.dict[c.codes[y]]);
      return k < 0 ? -1 : k > 0 ? 1 : 0;
    }
    default: {
      int64_t a = c.int_at(x), b = c.int_at(y);
      return a < b ? -1 : a > b ? 1 : 0;
    }
  }
}

/// Groups whose outputs and ORDER BY keys are their own keys and
/// aggregates, of types a column batch holds (TSBS's queries): sorted as a
/// permutation and handed over as columns, which the connection writes
/// from, with no datum or string per cell. Anything else (HAVING,
/// windows, DISTINCT ON, expressions over aggregates, numeric, real, ...)
/// goes the general way.
} // namespace

std::optional<statement_result> detail::finish_plain_groups(const select_plan& plan,
                                                            const cs::partial_result& r) {
  if (!plan.aggregate || plan.computed || plan.having || !plan.windows.empty()
      || !plan.distinct_on.empty() || r.groups() == 0)
    return std::nullopt;
  // The type a slot of the general path would have, or none.
  auto slot_type = [&](const bexpr& e) -> std::optional<cs::column_type> {
    auto i = static_cast<size_t>(e.index);
    int32_t natural = 0;
    if (e.k == bexpr::kind::key && i < r.keys.num_columns())
      natural = oid_of(r.keys.col(i).type);
    else if (e.k == bexpr::kind::agg && i < r.states.size())
      natural = from_agg(r, i, 0).type;
    else
      return std::nullopt;
    if (natural != e.type)
      return std::nullopt; // narrowed (real, smallint, varchar) or numeric
    return storage_of(e.type);
  };
  std::vector<cs::column_type> out_types, sort_types;
  for (const auto& o : plan.outputs) {
    auto t = slot_type(o);
    if (!t)
      return std::nullopt;
    out_types.push_back(*t);
  }
  for (const auto& k : plan.order) {
    auto t = slot_type(k.e);
    if (!t)
      return std::nullopt;
    sort_types.push_back(*t);
  }
  const auto groups = static_cast<uint32_t>(r.groups());
  const cs::batch_view keys = r.keys.view();
  // Slot e of group g appended to column c of `b`.
  auto put = [&](cs::column_batch& b, size_t c, const bexpr& e, uint32_t g) {
    auto i = static_cast<size_t>(e.index);
    if (e.k == bexpr::kind::agg) {
      r.append_final(i, g, b, c);
      return;
    }
    const auto& k = keys.columns[i];
    if (!k.valid(g))
      b.append_null(c);
    else if (k.type == cs::column_type::float8)
      b.append_float(c, k.f64[g]);
    else if (k.type == cs::column_type::text)
      b.append_text(c, k.dict[k.codes[g]]);
    else
      b.append_int(c, k.int_at(g));
  };
  std::vector<uint32_t> order(groups);
  for (uint32_t g = 0; g < groups; ++g)
    order[g] = g;
  size_t begin = std::min<size_t>(groups, static_cast<size_t>(plan.offset));
  size_t end = plan.limit < 0 ? groups
                              : std::min<size_t>(groups, begin + static_cast<size_t>(plan.limit));
  if (!plan.order.empty()) {
    cs::column_batch sort_keys{sort_types};
    sort_keys.reserve(groups);
    for (uint32_t g = 0; g < groups; ++g) {
      for (size_t k = 0; k < plan.order.size(); ++k)
        put(sort_keys, k, plan.order[k].e, g);
      sort_keys.finish_row();
    }
    const cs::batch_view sk = sort_keys.view();
    // As the general path sorts: NULLs where NULLS FIRST/LAST puts them,
    // ties in the groups' order.
    auto before = [&](uint32_t a, uint32_t b) {
      for (size_t k = 0; k < plan.order.size(); ++k) {
        const auto& c = sk.columns[k];
        bool an = !c.valid(a), bn = !c.valid(b);
        if (an || bn) {
          if (an && bn)
            continue;
          return an == plan.order[k].nulls_first;
        }
        int x = compare_cells(c, a, b);
        if (x != 0)
          return plan.order[k].descending ? x > 0 : x < 0;
      }
      return a < b;
    };
    if (std::is_sorted(order.begin(), order.end(), before))
      ; // groups made in key order (time buckets of one series): nothing to do
    else if (end < order.size() / 2)
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(end),
                        order.end(), before);
    else
      std::sort(order.begin(), order.end(), before);
  }
  auto out = std::make_shared<cs::column_batch>(out_types);
  out->reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    for (size_t c = 0; c < plan.outputs.size(); ++c)
      put(*out, c, plan.outputs[c], order[i]);
    out->finish_row();
  }
  std::vector<int> columns(plan.outputs.size());
  std::vector<int32_t> oids;
  for (size_t c = 0; c < plan.outputs.size(); ++c) {
    columns[c] = static_cast<int>(c);
    oids.push_back(plan.outputs[c].type);
  }
  auto pieces = std::vector<cs::batch_view>{out->view()};
  return column_result(plan.names, std::move(oids), std::move(columns), std::move(pieces),
                       std::move(out), 0, std::numeric_limits<size_t>::max());
}

statement_result column_result(const std::vector<std::string>& names, std::vector<int32_t> oids,
                               std::vector<int> columns, std::vector<cs::batch_view> pieces,
                               std::shared_ptr<const void> owner, size_t offset, size_t limit) {
  statement_result res;
  for (size_t i = 0; i < names.size(); ++i)
    res.columns.push_back(result_column{names[i], oids[i]});
  column_rows plain;
  plain.columns = std::move(columns);
  plain.oids = std::move(oids);
  size_t n = 0;
  for (const auto& p : pieces)
    n += p.rows;
  plain.begin = std::min(n, offset);
  plain.end = plain.begin + std::min(n - plain.begin, limit);
  plain.pieces = std::move(pieces);
  plain.owner = std::move(owner);
  res.tag = "SELECT " + std::to_string(plain.end - plain.begin);
  res.plain = std::move(plain);
  return res;
}

bool is_plain_rows(const select_plan& plan) {
  if (plan.aggregate || !plan.order.empty() || !plan.distinct_on.empty())
    return false;
  for (const auto& o : plan.outputs)
    if (o.k != bexpr::kind::column)
      return false;
  return true;
}

statement_result plain_rows_result(const select_plan& plan, std::vector<cs::batch_view> pieces,
                                   std::shared_ptr<const void> owner) {
  std::vector<int> columns;
  std::vector<int32_t> oids;
  for (const auto& o : plan.outputs) {
    columns.push_back(o.index);
    oids.push_back(o.type);
  }
  return column_result(plan.names, std::move(oids), std::move(columns), std::move(pieces),
                       std::move(owner), static_cast<size_t>(plan.offset),
                       plan.limit < 0 ? std::numeric_limits<size_t>::max()
                                      : static_cast<size_t>(plan.limit));
}

std::string_view text_cell(const cs::column_view& c, size_t row, char* scratch,
                           int32_t oid) {
  switch (c.type) {
    case cs::column_type::int4:
      return {scratch, std::to_chars(scratch, scratch + 24, c.i32[row]).ptr};
    case cs::column_type::float8:
      return {scratch, oid == oid::float4 ? format_float4_to(scratch, c.f64[row])
                                          : format_float8_to(scratch, c.f64[row])};
    case cs::column_type::boolean:
      return c.u8[row] ? "t" : "f";
    case cs::column_type::text:
      return c.dict[c.codes[row]];
    case cs::column_type::timestamptz:
      return {scratch, format_timestamp_to(scratch, c.i64[row], true)};
    case cs::column_type::timestamp:
      return {scratch, format_timestamp_to(scratch, c.i64[row], false)};
    default:
      return {scratch, std::to_chars(scratch, scratch + 24, c.i64[row]).ptr};
  }
}

void materialize(statement_result& r) {
  if (!r.plain)
    return;
  const auto& p = *r.plain;
  char scratch[64];
  r.rows.reserve(r.rows.size() + (p.end - p.begin));
  p.for_each_range(p.begin, p.end, [&](const cs::batch_view& piece, size_t from, size_t to) {
    for (size_t row = from; row < to; ++row) {
      auto& cells = r.rows.emplace_back();
      cells.reserve(p.columns.size());
      for (size_t j = 0; j < p.columns.size(); ++j) {
        const auto& c = piece.columns[static_cast<size_t>(p.columns[j])];
        if (!c.valid(row))
          cells.emplace_back();
        else
          cells.emplace_back(std::string{text_cell(c, row, scratch, p.oids[j])});
      }
    }
  });
  r.plain.reset();
}

} // namespace hypertide::planner
