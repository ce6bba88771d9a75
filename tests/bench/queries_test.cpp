// The TSBS devops query types: names, windows and hosts drawn as TSBS
// draws them, deterministic for a seed, and SQL that PostgreSQL's parser
// accepts in both dialects.

#include <boost/test/unit_test.hpp>

#include <pg_query.h>

#include <set>

#include "bench/data_set.hpp"
#include "benchmarks/tsbs_queries.hpp"

namespace {

using namespace hypertide;
using namespace hypertide::benchmarks;
namespace cs = hypertide::chunkstore;

constexpr int64_t hour = cs::usecs_per_hour;

} // namespace

BOOST_AUTO_TEST_SUITE(queries)

BOOST_AUTO_TEST_CASE(the_fifteen_tsbs_types) {
  std::vector<std::string> names;
  for (const auto& t : devops_query_types())
    names.push_back(t.name);
  std::vector<std::string> expected = {
    "single-groupby-1-1-1", "single-groupby-1-1-12", "single-groupby-1-8-1",
    "single-groupby-5-1-1", "single-groupby-5-1-12", "single-groupby-5-8-1",
    "cpu-max-all-1",        "cpu-max-all-8",         "double-groupby-1",
    "double-groupby-5",     "double-groupby-all",    "high-cpu-all",
    "high-cpu-1",           "lastpoint",             "groupby-orderby-limit"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST(find_devops_query_type("double-groupby-all")->metrics == 10);
  BOOST_TEST(find_devops_query_type("cpu-max-all-8")->window == 8 * hour);
  BOOST_TEST(find_devops_query_type("single-groupby-5-8-1")->hosts == 8);
  BOOST_TEST(find_devops_query_type("nope") == nullptr);
}

BOOST_AUTO_TEST_CASE(windows_and_hosts_are_drawn_as_tsbs_draws_them) {
  auto d = test::data_set(123, 20, 26);
  for (const auto& t : devops_query_types()) {
    devops_query_generator gen{d, t};
    BOOST_REQUIRE(gen.error().empty());
    std::set<int64_t> starts;
    for (int i = 0; i < 50; ++i) {
      auto q = gen.next();
      BOOST_TEST(q.sql.find(";") == std::string::npos);
      if (t.kind == devops_kind::lastpoint)
        continue;
      BOOST_TEST(q.end - q.start == t.window, t.name);
      BOOST_TEST(q.start >= d.start);
      BOOST_TEST(q.end < d.end);
      starts.insert(q.start);
      std::set<uint32_t> hosts(q.hosts.begin(), q.hosts.end());
      BOOST_TEST(hosts.size() == static_cast<size_t>(t.hosts), t.name);
      BOOST_TEST(q.hosts.size() == static_cast<size_t>(t.hosts));
      for (uint32_t h : q.hosts) {
        BOOST_TEST(h < d.hosts);
        BOOST_TEST(q.sql.find("'host_" + std::to_string(h) + "'") != std::string::npos);
      }
    }
    if (t.kind != devops_kind::lastpoint)
      BOOST_TEST(starts.size() == 50u, t.name); // microsecond starts: no repeats
  }
}

BOOST_AUTO_TEST_CASE(the_same_seed_draws_the_same_queries) {
  for (const auto& t : devops_query_types()) {
    auto d = test::data_set(5, 30, 30);
    auto other = test::data_set(6, 30, 30);
    devops_query_generator a{d, t}, b{d, t}, c{other, t};
    bool all_same = true;
    for (int i = 0; i < 5; ++i) {
      auto qa = a.next();
      BOOST_TEST(qa.sql == b.next().sql);
      all_same = all_same && qa.sql == c.next().sql;
    }
    BOOST_TEST(all_same == (t.kind == devops_kind::lastpoint), t.name);
  }
}

BOOST_AUTO_TEST_CASE(a_type_needs_data_longer_than_its_window_and_enough_hosts) {
  auto fits = [](const tsbs_options& d, const char* type) {
    return devops_query_generator(d, *find_devops_query_type(type)).error().empty();
  };
  auto one_hour = test::data_set(1, 10, 1);
  BOOST_TEST(!fits(one_hour, "single-groupby-1-1-1"));
  BOOST_TEST(fits(one_hour, "lastpoint"));
  auto few_hosts = test::data_set(1, 5, 13);
  BOOST_TEST(!fits(few_hosts, "cpu-max-all-8"));
  BOOST_TEST(fits(few_hosts, "cpu-max-all-1"));
}

BOOST_AUTO_TEST_CASE(times_are_written_as_tsbs_writes_them) {
  cs::timestamp t = 1'451'606'400LL * cs::usecs_per_second; // 2016-01-01
  BOOST_TEST(tsbs_sql_time(t) == "2016-01-01 00:00:00 +0000");
  BOOST_TEST(tsbs_sql_time(t + 120'000) == "2016-01-01 00:00:00.12 +0000");
  BOOST_TEST(tsbs_sql_time(t + 59 * cs::usecs_per_day + 5 * hour + 7) ==
             "2016-02-29 05:00:00.000007 +0000");
  BOOST_TEST(tsbs_sql_time(-1) == "1969-12-31 23:59:59.999999 +0000");
}

BOOST_AUTO_TEST_CASE(every_type_parses_in_both_dialects) {
  auto d = test::data_set(9, 40, 30);
  for (const auto& t : devops_query_types()) {
    devops_query_generator gen{d, t};
    auto q = gen.next();
    for (auto dialect : {sql_dialect::timescaledb, sql_dialect::postgres}) {
      std::string sql = devops_query_sql(q, dialect);
      auto r = pg_query_parse(sql.c_str());
      BOOST_TEST(r.error == nullptr, t.name << ": " << (r.error ? r.error->message : "") << "\n"
                                            << sql);
      pg_query_free_parse_result(r);
      bool buckets = t.kind == devops_kind::single_groupby || t.kind == devops_kind::cpu_max_all
                     || t.kind == devops_kind::double_groupby
                     || t.kind == devops_kind::groupby_orderby_limit;
      bool postgres = dialect == sql_dialect::postgres;
      BOOST_TEST((sql.find("time_bucket(") != std::string::npos) == (buckets && !postgres));
      BOOST_TEST((sql.find("date_trunc(") != std::string::npos) == (buckets && postgres));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
