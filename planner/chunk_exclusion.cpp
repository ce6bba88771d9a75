#include "planner/chunk_exclusion.hpp"

#include <cmath>

namespace hypertide::planner {

namespace cs = chunkstore;

bool chunk_filter::keeps(const cs::chunk_range& r) const noexcept {
  if (none)
    return false;
  if (r.end <= lo)
    return false;
  if (!hi_unbounded && r.start >= hi)
    return false;
  if (partitions && r.partition >= 0
      && (static_cast<size_t>(r.partition) >= partitions->size()
          || !(*partitions)[static_cast<size_t>(r.partition)]))
    return false;
  return true;
}

namespace {

/// The integer bound of a time comparison constant (a float constant is
/// rounded so that the bound stays conservative).
bool time_constant(const cs::value& v, bool round_up, int64_t& out) {
  if (v.is_null)
    return false;
  if (v.type == cs::column_type::float8) {
    if (!std::isfinite(v.f) || std::fabs(v.f) > 9.0e18)
      return false;
    out = static_cast<int64_t>(round_up ? std::ceil(v.f) : std::floor(v.f));
    return true;
  }
  out = v.i;
  return true;
}

void apply_time(chunk_filter& cf, const cs::predicate& p) {
  int64_t c = 0;
  switch (p.op) {
    case cs::cmp_op::lt:  // t < c  →  hi = c
    case cs::cmp_op::le:  // t <= c →  hi = c + 1
      if (!time_constant(p.constant, true, c))
        return;
      if (p.op == cs::cmp_op::le) {
        if (c == cs::max_timestamp)
          return;
        ++c;
      }
      if (cf.hi_unbounded || c < cf.hi) {
        cf.hi = c;
        cf.hi_unbounded = false;
      }
      return;
    case cs::cmp_op::gt:  // t > c  →  lo = c + 1
    case cs::cmp_op::ge:
      if (!time_constant(p.constant, false, c))
        return;
      if (p.op == cs::cmp_op::gt) {
        if (c == cs::max_timestamp) {
          cf.none = true;
          return;
        }
        ++c;
      }
      if (c > cf.lo)
        cf.lo = c;
      return;
    case cs::cmp_op::eq:
      if (!time_constant(p.constant, false, c))
        return;
      if (c > cf.lo)
        cf.lo = c;
      if (c != cs::max_timestamp && (cf.hi_unbounded || c + 1 < cf.hi)) {
        cf.hi = c + 1;
        cf.hi_unbounded = false;
      }
      return;
    case cs::cmp_op::ne:
      return;
  }
}

void apply_space(chunk_filter& cf, const cs::hypertable_def& def,
                 const std::vector<cs::value>& values) {
  std::vector<bool> allowed(static_cast<size_t>(def.partitions), false);
  for (const auto& v : values) {
    if (v.is_null)
      continue; // = NULL is never true
    allowed[static_cast<size_t>(cs::partition_of(def.partitions, cs::partition_hash(v)))]
      = true;
  }
  if (cf.partitions)
    for (size_t i = 0; i < allowed.size(); ++i)
      allowed[i] = allowed[i] && (*cf.partitions)[i];
  cf.partitions = std::move(allowed);
}

void visit(chunk_filter& cf, const cs::hypertable_def& def, const cs::predicate& p) {
  using K = cs::predicate::kind;
  switch (p.k) {
    case K::and_:
      for (const auto& c : p.children)
        visit(cf, def, c);
      return;
    case K::constant:
      if (p.constant.is_null || (p.constant.type == cs::column_type::float8
                                   ? p.constant.f == 0
                                   : p.constant.i == 0))
        cf.none = true;
      return;
    case K::compare:
      if (p.column == def.time_column && p.constant.is_null)
        cf.none = true;
      else if (p.column == def.time_column)
        apply_time(cf, p);
      else if (p.column == def.space_column && def.partitions > 0
               && p.op == cs::cmp_op::eq
               && p.constant.type == def.schema.columns[static_cast<size_t>(p.column)].type)
        apply_space(cf, def, {p.constant});
      return;
    case K::in_list:
      if (p.column == def.space_column && def.partitions > 0) {
        auto t = def.schema.columns[static_cast<size_t>(p.column)].type;
        for (const auto& v : p.list)
          if (!v.is_null && v.type != t)
            return; // a cast would be needed: stay conservative
        apply_space(cf, def, p.list);
      }
      return;
    case K::is_null:
      if (p.column == def.time_column)
        cf.none = true;
      return;
    default:
      return; // OR, NOT, IS NOT NULL: no bound
  }
}

} // namespace

chunk_filter derive_chunk_filter(const cs::hypertable_def& def,
                                 const std::optional<cs::predicate>& filter) {
  chunk_filter cf;
  if (filter && def.is_hypertable())
    visit(cf, def, *filter);
  return cf;
}

} // namespace hypertide::planner
