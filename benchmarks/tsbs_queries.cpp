#include "benchmarks/tsbs_queries.hpp"

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
