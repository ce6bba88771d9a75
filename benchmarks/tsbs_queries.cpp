#include "benchmarks/tsbs_queries.hpp"

#include <algorithm>
#include <cstdio>

namespace hypertide::benchmarks::tsbs_query {

namespace cs = chunkstore;

namespace {

constexpr int time_col = 0;
constexpr int host_col = 1;

cs::predicate time_range(cs::timestamp start, cs::timestamp end) {
  return cs::predicate::all_of(
    {cs::predicate::compare(time_col, cs::cmp_op::ge,
                            cs::value::of_int(cs::column_type::timestamptz, start)),
     cs::predicate::compare(time_col, cs::cmp_op::lt,
                            cs::value::of_int(cs::column_type::timestamptz, end))});
}

cs::group_key bucket(int64_t width) {
  cs::group_key k;
  k.k = cs::group_key::kind::time_bucket;
  k.column = time_col;
  k.bucket.width = width;
  return k;
}

} // namespace

cs::fragment double_groupby(int fields, cs::timestamp start, cs::timestamp end) {
  cs::fragment f;
  f.table = "cpu";
  f.filter = time_range(start, end);
  f.keys = {bucket(cs::usecs_per_hour), cs::group_key{cs::group_key::kind::column, host_col, {}}};
  for (int i = 0; i < fields; ++i)
    f.aggregates.push_back({cs::agg_kind::avg, 2 + i, -1});
  return f;
}

cs::fragment single_groupby(int fields, const std::vector<std::string>& hosts,
                            cs::timestamp start, cs::timestamp end) {
  cs::fragment f;
  f.table = "cpu";
  std::vector<cs::value> names;
  for (const auto& h : hosts)
    names.push_back(cs::value::of_text(h));
  auto filter = time_range(start, end);
  filter.children.push_back(cs::predicate::in(host_col, std::move(names)));
  f.filter = std::move(filter);
  f.keys = {bucket(cs::usecs_per_minute)};
  for (int i = 0; i < fields; ++i)
    f.aggregates.push_back({cs::agg_kind::max, 2 + i, -1});
  return f;
}

cs::fragment lastpoint() {
  cs::fragment f;
  f.table = "cpu";
  f.keys = {cs::group_key{cs::group_key::kind::column, host_col, {}}};
  f.aggregates.push_back({cs::agg_kind::last, time_col, time_col});
  for (int i = 0; i < 10; ++i)
    f.aggregates.push_back({cs::agg_kind::last, 2 + i, time_col});
  return f;
}

} // namespace hypertide::benchmarks::tsbs_query

namespace hypertide::benchmarks {

namespace cs = chunkstore;

namespace {

constexpr int64_t hour = cs::usecs_per_hour;

// TSBS's query types: single-groupby-M-H-T is M metrics, H hosts, T hours;
// cpu-max-all-H is H hosts; double-groupby-M is M metrics (all = 10);
// high-cpu-H is H hosts (all = 0).
const std::vector<devops_query_type> types = {
  {"single-groupby-1-1-1", devops_kind::single_groupby, 1, 1, hour},
  {"single-groupby-1-1-12", devops_kind::single_groupby, 1, 1, 12 * hour},
  {"single-groupby-1-8-1", devops_kind::single_groupby, 1, 8, hour},
  {"single-groupby-5-1-1", devops_kind::single_groupby, 5, 1, hour},
  {"single-groupby-5-1-12", devops_kind::single_groupby, 5, 1, 12 * hour},
  {"single-groupby-5-8-1", devops_kind::single_groupby, 5, 8, hour},
  {"cpu-max-all-1", devops_kind::cpu_max_all, 10, 1, 8 * hour},
  {"cpu-max-all-8", devops_kind::cpu_max_all, 10, 8, 8 * hour},
  {"double-groupby-1", devops_kind::double_groupby, 1, 0, 12 * hour},
  {"double-groupby-5", devops_kind::double_groupby, 5, 0, 12 * hour},
  {"double-groupby-all", devops_kind::double_groupby, 10, 0, 12 * hour},
  {"high-cpu-all", devops_kind::high_cpu, 0, 0, 12 * hour},
  {"high-cpu-1", devops_kind::high_cpu, 0, 1, 12 * hour},
  {"lastpoint", devops_kind::lastpoint, 0, 0, 0},
  {"groupby-orderby-limit", devops_kind::groupby_orderby_limit, 1, 0, hour},
};

std::string aggregates(const char* agg, int metrics) {
  std::string s;
  for (int i = 0; i < metrics; ++i) {
    s += i == 0 ? "" : ", ";
    s += agg;
    s += '(';
    s += tsbs_cpu_fields[i];
    s += ") as ";
    s += agg;
    s += '_';
    s += tsbs_cpu_fields[i];
  }
  return s;
}

std::string bucket(sql_dialect d, int64_t width) {
  if (d == sql_dialect::postgres)
    return width == hour ? "date_trunc('hour', time)" : "date_trunc('minute', time)";
  return "time_bucket('" + std::to_string(width / cs::usecs_per_second) + " seconds', time)";
}

} // namespace

const std::vector<devops_query_type>& devops_query_types() {
  return types;
}

const devops_query_type* find_devops_query_type(std::string_view name) {
  for (const auto& t : types)
    if (name == t.name)
      return &t;
  return nullptr;
}

bool devops_query::ordered() const noexcept {
  return type->kind != devops_kind::high_cpu;
}

std::string tsbs_sql_time(cs::timestamp t) {
  int64_t secs = t >= 0 ? t / cs::usecs_per_second
                        : -((-t + cs::usecs_per_second - 1) / cs::usecs_per_second);
  auto micros = static_cast<int>(t - secs * cs::usecs_per_second);
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t sod = secs - days * 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2)
    ++y;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld",
                        static_cast<long long>(y), m, d, static_cast<long long>(sod / 3600),
                        static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60));
  std::string s(buf, static_cast<size_t>(n));
  if (micros != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%06d", micros);
    std::string f = frac;
    while (f.back() == '0')
      f.pop_back();
    s += f;
  }
  return s + " +0000";
}

devops_query_generator::devops_query_generator(const tsbs_options& data,
                                               const devops_query_type& type,
                                               sql_dialect dialect)
  : data_(data),
    type_(type),
    dialect_(dialect),
    rng_(data.seed,
         tsbs_random::stream(tsbs_random::queries,
                             static_cast<uint64_t>(&type - devops_query_types().data()))) {
}

std::string devops_query_generator::error() const {
  if (type_.window > 0 && data_.end - type_.window <= data_.start)
    return std::string{"query type "} + type_.name + " needs data longer than its "
           + std::to_string(type_.window / hour) + " h window; --start to --end is "
           + std::to_string((data_.end - data_.start) / cs::usecs_per_minute) + " min";
  if (type_.hosts > 0 && static_cast<uint32_t>(type_.hosts) > data_.hosts)
    return std::string{"query type "} + type_.name + " draws " + std::to_string(type_.hosts)
           + " hosts; --scale is " + std::to_string(data_.hosts);
  return {};
}

void devops_query_generator::draw_window(devops_query& q) {
  if (type_.window == 0)
    return;
  auto span = static_cast<uint64_t>(data_.end - type_.window - data_.start);
  q.start = data_.start + static_cast<int64_t>(rng_.below(span));
  q.end = q.start + type_.window;
}

void devops_query_generator::draw_hosts(devops_query& q) {
  // TSBS draws until it has `hosts` distinct ones.
  while (q.hosts.size() < static_cast<size_t>(type_.hosts)) {
    auto h = static_cast<uint32_t>(rng_.below(data_.hosts));
    if (std::find(q.hosts.begin(), q.hosts.end(), h) == q.hosts.end())
      q.hosts.push_back(h);
  }
}

devops_query devops_query_generator::next() {
  devops_query q;
  q.type = &type_;
  // The order of the draws follows TSBS: high-cpu draws its hosts first.
  if (type_.kind == devops_kind::high_cpu) {
    draw_hosts(q);
    draw_window(q);
  } else {
    draw_window(q);
    draw_hosts(q);
  }
  q.sql = devops_query_sql(q, dialect_);
  return q;
}

std::string devops_query_sql(const devops_query& q, sql_dialect dialect) {
  const devops_query_type& type = *q.type;
  std::string hosts;
  for (uint32_t h : q.hosts)
    hosts += (hosts.empty() ? "'" : ",'") + tsbs_host_name(h) + "'";
  std::string window =
    "time >= '" + tsbs_sql_time(q.start) + "' AND time < '" + tsbs_sql_time(q.end) + "'";
  switch (type.kind) {
    case devops_kind::single_groupby:
      return "SELECT " + bucket(dialect, cs::usecs_per_minute) + " AS minute, "
             + aggregates("max", type.metrics) + " FROM cpu WHERE hostname IN (" + hosts
             + ") AND " + window + " GROUP BY minute ORDER BY minute ASC";
    case devops_kind::cpu_max_all:
      return "SELECT " + bucket(dialect, hour) + " AS hour, " + aggregates("max", 10)
             + " FROM cpu WHERE hostname IN (" + hosts + ") AND " + window
             + " GROUP BY hour ORDER BY hour";
    case devops_kind::double_groupby: {
      // TSBS's form, grouping by the hostname column instead of tags_id.
      std::string means;
      for (int i = 0; i < type.metrics; ++i)
        means += std::string{i == 0 ? "" : ", "} + "mean_" + tsbs_cpu_fields[i];
      std::string avgs;
      for (int i = 0; i < type.metrics; ++i)
        avgs += std::string{i == 0 ? "" : ", "} + "avg(" + tsbs_cpu_fields[i] + ") as mean_"
                + tsbs_cpu_fields[i];
      return "WITH cpu_avg AS (SELECT " + bucket(dialect, hour) + " as hour, hostname, "
             + avgs + " FROM cpu WHERE " + window
             + " GROUP BY hour, hostname) SELECT hour, hostname, " + means
             + " FROM cpu_avg ORDER BY hour, hostname";
    }
    case devops_kind::high_cpu:
      return "SELECT * FROM cpu WHERE usage_user > 90.0 and " + window
             + (hosts.empty() ? "" : " AND hostname IN (" + hosts + ")");
    case devops_kind::lastpoint:
      return "SELECT DISTINCT ON (hostname) * FROM cpu ORDER BY hostname, time DESC";
    case devops_kind::groupby_orderby_limit:
      return "SELECT " + bucket(dialect, cs::usecs_per_minute)
             + " AS minute, max(usage_user) FROM cpu WHERE time < '" + tsbs_sql_time(q.end)
             + "' GROUP BY minute ORDER BY minute DESC LIMIT 5";
  }
  return {};
}

} // namespace hypertide::benchmarks
