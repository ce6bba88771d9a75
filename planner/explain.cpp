#include "planner/explain.hpp"

#include <cstdio>

#include "planner/datetime.hpp"
#include "planner/pg_format.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;

namespace {

std::string literal(const cs::value& v) {
  if (v.is_null)
    return "NULL";
  switch (v.type) {
    case cs::column_type::text: {
      std::string s = "'";
      for (char c : v.s)
        s += c == '\'' ? std::string{"''"} : std::string(1, c);
      return s + "'";
    }
    case cs::column_type::float8:
      return format_float8(v.f);
    case cs::column_type::timestamptz:
      return "'" + format_timestamptz(v.i) + "'::timestamp with time zone";
    case cs::column_type::timestamp:
      return "'" + format_timestamp(v.i) + "'::timestamp without time zone";
    case cs::column_type::boolean:
      return v.i ? "true" : "false";
    default:
      return std::to_string(v.i);
  }
}

std::string deparse(const cs::predicate& p, const cs::table_schema& s) {
  using K = cs::predicate::kind;
  auto col = [&](int c) { return s.columns[static_cast<size_t>(c)].name; };
  switch (p.k) {
    case K::and_:
    case K::or_: {
      std::string out = "(";
      for (size_t i = 0; i < p.children.size(); ++i) {
        if (i > 0)
          out += p.k == K::and_ ? " AND " : " OR ";
        out += deparse(p.children[i], s);
      }
      return out + ")";
    }
    case K::not_:
      return "NOT " + deparse(p.children[0], s);
    case K::compare: {
      static const char* ops[] = {"=", "<>", "<", "<=", ">", ">="};
      return "(" + col(p.column) + " " + ops[static_cast<int>(p.op)] + " "
             + literal(p.constant) + ")";
    }
    case K::in_list: {
      std::string out = "(" + col(p.column) + " = ANY (ARRAY[";
      for (size_t i = 0; i < p.list.size(); ++i)
        out += (i > 0 ? ", " : "") + literal(p.list[i]);
      return out + "]))";
    }
    case K::is_null:
      return "(" + col(p.column) + " IS NULL)";
    case K::is_not_null:
      return "(" + col(p.column) + " IS NOT NULL)";
    case K::constant:
      return p.constant.is_null ? "NULL" : p.constant.i ? "true" : "false";
  }
  return "?";
}

const char* agg_name(cs::agg_kind k) {
  switch (k) {
    case cs::agg_kind::count_star:
    case cs::agg_kind::count: return "count";
    case cs::agg_kind::sum: return "sum";
    case cs::agg_kind::min: return "min";
    case cs::agg_kind::max: return "max";
    case cs::agg_kind::avg: return "avg";
    case cs::agg_kind::first: return "first";
    case cs::agg_kind::last: return "last";
  }
  return "?";
}

std::string range_text(const messages::chunk_info& c, bool time) {
  auto bound = [&](int64_t x) {
    if (x == cs::min_timestamp)
      return std::string{"-infinity"};
    if (x == cs::max_timestamp)
      return std::string{"infinity"};
    return time ? format_timestamptz(x) : std::to_string(x);
  };
  return "[" + bound(c.range_start) + ", " + bound(c.range_end) + ")";
}

} // namespace

std::vector<std::string> explain_lines(const select_plan& plan, const cs::table_schema& schema,
                                       const std::string& table,
                                       const std::vector<messages::chunk_info>& kept,
                                       uint64_t total_chunks,
                                       const std::optional<explain_analysis>& analysis) {
  std::vector<std::string> out;
  const auto& f = plan.fragment;
  bool time_dim = true;
  out.push_back("Custom Scan (HypertideScan) on " + table
                + (analysis ? " (actual rows=" + std::to_string(analysis->rows_out) + ")" : ""));
  out.push_back("  Chunks: " + std::to_string(kept.size()) + " of " + std::to_string(total_chunks)
                + " scanned, " + std::to_string(total_chunks - kept.size())
                + " excluded by time and space constraints");
  for (const auto& c : kept)
    out.push_back("    ->  " + c.schema_name + "." + c.table_name + " " + range_text(c, time_dim)
                  + (c.partition >= 0 ? " slice " + std::to_string(c.partition) : ""));
  if (f.filter)
    out.push_back("  Filter (pushed down to chunks): " + deparse(*f.filter, schema));
  // Keys and aggregates of fragment `g` over `sch`, done `where`.
  auto grouping = [&](const cs::fragment& g, const cs::table_schema& sch, const char* keys_where,
                      const char* aggs_where, const std::vector<bool>& distinct) {
    std::string keys;
    for (size_t i = 0; i < g.keys.size(); ++i) {
      const auto& k = g.keys[i];
      std::string name = sch.columns[static_cast<size_t>(k.column)].name;
      if (k.k == cs::group_key::kind::time_bucket) {
        datum w;
        w.type = oid::interval;
        w.null = false;
        w.iv.days = static_cast<int32_t>(k.bucket.width / cs::usecs_per_day);
        w.iv.micros = k.bucket.width % cs::usecs_per_day;
        w.iv.months = k.bucket.months;
        name = "time_bucket('" + *to_text(w) + "', " + name + ")";
      }
      keys += (i > 0 ? ", " : "") + name;
    }
    if (!keys.empty())
      out.push_back(std::string{"  Group Key "} + keys_where + ": " + keys);
    std::string aggs;
    for (size_t i = 0; i < g.aggregates.size(); ++i) {
      const auto& a = g.aggregates[i];
      std::string arg = a.kind == cs::agg_kind::count_star
                          ? "*"
                          : sch.columns[static_cast<size_t>(a.column)].name;
      if (a.time_column >= 0)
        arg += ", " + sch.columns[static_cast<size_t>(a.time_column)].name;
      if (i < distinct.size() && distinct[i])
        arg = "DISTINCT " + arg;
      aggs += (i > 0 ? ", " : "") + std::string{agg_name(a.kind)} + "(" + arg + ")";
    }
    if (!aggs.empty())
      out.push_back(std::string{"  "} + aggs_where + ": " + aggs);
  };
  auto fetched = [&] {
    std::string cols;
    for (size_t i = 0; i < f.projection.size(); ++i)
      cols += (i > 0 ? ", " : "") + schema.columns[static_cast<size_t>(f.projection[i])].name;
    out.push_back("  Output (pushed down): " + cols);
  };
  if (plan.computed && plan.computed->pregrouped) {
    grouping(f, schema, "(pushed down)", "Partial Aggregates (per chunk, merged on the node)", {});
    const auto& c = *plan.computed;
    grouping(c.fragment, c.schema, "(on the node, over those groups)", "Aggregates (on the node)",
             {});
  } else if (plan.computed) {
    fetched();
    std::string exprs;
    const auto& c = *plan.computed;
    for (size_t i = c.schema.columns.size() - c.exprs.size(); i < c.schema.columns.size(); ++i)
      exprs += (exprs.empty() ? "" : ", ") + c.schema.columns[i].name;
    if (!exprs.empty())
      out.push_back("  Computed per row on the node: " + exprs);
    grouping(c.fragment, c.schema, "(on the node)", "Aggregates (on the node)", c.distinct);
  } else if (plan.aggregate) {
    grouping(f, schema, "(pushed down)", "Partial Aggregates (per chunk, merged on the node)", {});
  } else {
    fetched();
    if (f.limit >= 0)
      out.push_back("  Top-N (pushed down): " + std::string{f.order.empty() ? "" : "ORDER BY, "}
                    + "LIMIT " + std::to_string(f.limit));
  }
  std::string final_step;
  if (plan.having)
    final_step += "HAVING, ";
  if (!plan.order.empty())
    final_step += "ORDER BY, ";
  if (!plan.distinct_on.empty())
    final_step += "DISTINCT ON, ";
  if (plan.offset > 0)
    final_step += "OFFSET " + std::to_string(plan.offset) + ", ";
  if (plan.limit >= 0)
    final_step += "LIMIT " + std::to_string(plan.limit) + ", ";
  if (!final_step.empty())
    out.push_back("  Final step on the node: " + final_step.substr(0, final_step.size() - 2));
  if (analysis) {
    out.push_back("  Rows scanned: " + std::to_string(analysis->stats.rows_scanned)
                  + ", rows matched: " + std::to_string(analysis->stats.rows_matched)
                  + ", chunks answered: " + std::to_string(analysis->stats.chunks));
    char buf[64];
    std::snprintf(buf, sizeof buf, "Execution Time: %.3f ms", analysis->milliseconds);
    out.push_back(buf);
  }
  return out;
}

} // namespace hypertide::planner
