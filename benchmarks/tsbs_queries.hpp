#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/tsbs_data.hpp"
#include "chunkstore/fragment.hpp"

namespace hypertide::benchmarks {

/// TSBS devops queries over the cpu table (columns as in
/// tsbs_cpu_generator::schema()) as plan fragments, for benchmarks that
/// run below SQL.
namespace tsbs_query {

/// double-groupby-N: avg of the first `fields` usage fields per hour per
/// host over [start, end).
chunkstore::fragment double_groupby(int fields, chunkstore::timestamp start,
                                    chunkstore::timestamp end);

/// single-groupby-M-H-*: max of the first `fields` usage fields per minute
/// for `hosts` over [start, end).
chunkstore::fragment single_groupby(int fields, const std::vector<std::string>& hosts,
                                    chunkstore::timestamp start, chunkstore::timestamp end);

/// lastpoint: the last row of every host (last(field, time) per hostname).
chunkstore::fragment lastpoint();

} // namespace tsbs_query

} // namespace hypertide::benchmarks

namespace hypertide::benchmarks {

/// What a TSBS devops query type does.
enum class devops_kind : uint8_t {
  single_groupby,        ///< max of M fields per minute, H hosts, a T-hour window
  cpu_max_all,           ///< max of all fields per hour, H hosts, an 8-hour window
  double_groupby,        ///< avg of M fields per hour per host, a 12-hour window
  high_cpu,              ///< rows with usage_user > 90, H hosts (0 = all), 12 hours
  lastpoint,             ///< the last row of every host
  groupby_orderby_limit, ///< max usage_user of the 5 last minutes before a random end
};

/// One of TSBS's 15 devops query types.
struct devops_query_type {
  const char* name; ///< TSBS's label, e.g. "single-groupby-5-1-12"
  devops_kind kind;
  int metrics = 0;    ///< fields aggregated
  int hosts = 0;      ///< hosts drawn per query (0 = every host)
  int64_t window = 0; ///< the random window's length in microseconds
};

/// The 15 types, in TSBS's order.
const std::vector<devops_query_type>& devops_query_types();

/// The type called `name`, or nullptr.
const devops_query_type* find_devops_query_type(std::string_view name);

/// The SQL a query is written in.
enum class sql_dialect : uint8_t {
  timescaledb, ///< time_bucket('60 seconds', time): TimescaleDB and hypertide
  postgres,    ///< date_trunc('minute', time): plain PostgreSQL
};

/// One generated query: what was drawn and its SQL.
struct devops_query {
  const devops_query_type* type = nullptr;
  std::vector<uint32_t> hosts; ///< host numbers in drawn order (empty: all)
  chunkstore::timestamp start = 0; ///< the window [start, end)
  chunkstore::timestamp end = 0;
  std::string sql;

  /// Whether the result's row order is defined (the query has ORDER BY).
  bool ordered() const noexcept;
};

/// Draws queries of one type as TSBS does: a window of the type's length
/// starting uniformly at random (to the microsecond) in
/// [start, end - window) of the data set, and hosts drawn uniformly
/// without repetition. Each type has its own random stream of the seed.
class devops_query_generator {
public:
  devops_query_generator(const tsbs_options& data, const devops_query_type& type,
                         sql_dialect dialect = sql_dialect::timescaledb);

  /// Why this type cannot be drawn from this data set (window not shorter
  /// than the data, more hosts than the scale), or empty.
  std::string error() const;

  /// The next query; error() must be empty.
  devops_query next();

private:
  void draw_window(devops_query& q);
  void draw_hosts(devops_query& q);

  tsbs_options data_;
  const devops_query_type& type_;
  sql_dialect dialect_;
  tsbs_random rng_;
};

/// The SQL of a drawn query in `dialect` (the same drawn hosts and window
/// in another dialect, for comparing two kinds of server).
std::string devops_query_sql(const devops_query& q, sql_dialect dialect);

/// A time as TSBS writes it in SQL (Go's "2006-01-02 15:04:05.999999
/// -0700" in UTC): `2016-01-01 05:23:45.12345 +0000`.
std::string tsbs_sql_time(chunkstore::timestamp t);

} // namespace hypertide::benchmarks
