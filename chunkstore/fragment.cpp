#include "chunkstore/fragment.hpp"

#include <string>

namespace hypertide::chunkstore {

column_type key_type(const table_schema& schema, const group_key& k) {
  return schema.columns[k.column].type;
}

namespace {

std::optional<pg_error> bad_column(int c) {
  return pg_error{"42703", "column index " + std::to_string(c) + " does not exist",
                  {}};
}

bool column_ok(const table_schema& s, int c) {
  return c >= 0 && static_cast<size_t>(c) < s.columns.size();
}

std::optional<pg_error> validate_predicate(const predicate& p,
                                           const table_schema& s) {
  switch (p.k) {
    case predicate::kind::and_:
    case predicate::kind::or_:
    case predicate::kind::not_:
      if (p.k == predicate::kind::not_ && p.children.size() != 1)
        return pg_error{"XX000", "NOT takes exactly one argument", {}};
      for (const auto& c : p.children)
        if (auto e = validate_predicate(c, s))
          return e;
      return std::nullopt;
    case predicate::kind::constant:
      return std::nullopt;
    default:
      if (!column_ok(s, p.column))
        return bad_column(p.column);
      return std::nullopt;
  }
}

} // namespace

std::optional<pg_error> validate(const fragment& f, const table_schema& s) {
  if (f.filter)
    if (auto e = validate_predicate(*f.filter, s))
      return e;
  if (f.keys.size() > 16)
    return pg_error{"54000", "more than 16 GROUP BY keys are not supported", {}};
  for (const auto& k : f.keys) {
    if (!column_ok(s, k.column))
      return bad_column(k.column);
    if (k.k == group_key::kind::time_bucket) {
      auto t = s.columns[k.column].type;
      if (is_time_type(t)) {
        if (auto e = validate(k.bucket))
          return e;
      } else if (t == column_type::int4 || t == column_type::int8) {
        if (k.bucket.width <= 0)
          return pg_error{"22023", "period must be greater than 0", {}};
      } else {
        return pg_error{"42883",
                        std::string{"function time_bucket(interval, "}
                          + pg_type_name(t) + ") does not exist",
                        {}};
      }
    }
  }
  for (const auto& a : f.aggregates) {
    if (a.kind == agg_kind::count_star)
      continue;
    if (!column_ok(s, a.column))
      return bad_column(a.column);
    auto t = s.columns[a.column].type;
    if ((a.kind == agg_kind::sum || a.kind == agg_kind::avg)
        && (t == column_type::text || t == column_type::boolean
            || is_time_type(t)))
      return pg_error{"42883",
                      std::string{"function "}
                        + (a.kind == agg_kind::sum ? "sum" : "avg") + "("
                        + pg_type_name(t) + ") does not exist",
                      {}};
    if (a.kind == agg_kind::first || a.kind == agg_kind::last) {
      if (!column_ok(s, a.time_column))
        return bad_column(a.time_column);
      auto tt = s.columns[a.time_column].type;
      if (tt == column_type::text || tt == column_type::float8
          || tt == column_type::boolean)
        return pg_error{"42883", "first/last need an integer or timestamp time "
                                 "argument", {}};
    }
  }
  for (int c : f.projection)
    if (!column_ok(s, c))
      return bad_column(c);
  for (const auto& o : f.order)
    if (o.index < 0 || static_cast<size_t>(o.index) >= f.projection.size())
      return pg_error{"42P10", "ORDER BY position is not in select list", {}};
  return std::nullopt;
}

} // namespace hypertide::chunkstore
