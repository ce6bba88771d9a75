// The TSBS generator: deterministic for a seed, the same rows whichever
// range of hosts draws them, and TSBS's statistical shape and tags.

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "bench/data_set.hpp"
#include "benchmarks/tsbs_data.hpp"

namespace {

using namespace hypertide;
using namespace hypertide::benchmarks;
namespace cs = hypertide::chunkstore;

/// A row as (time, host name) -> the ten values.
using row_map = std::map<std::pair<int64_t, std::string>, std::vector<double>>;

row_map rows_of(tsbs_cpu_generator gen, size_t batch_rows = 777) {
  row_map m;
  cs::column_batch b;
  while (gen.next(b, batch_rows) > 0)
    for (size_t r = 0; r < b.rows(); ++r) {
      auto& v = m[{b.col(0).i64[r], b.col(1).dict[b.col(1).codes[r]]}];
      for (size_t f = 0; f < 10; ++f)
        v.push_back(b.col(2 + f).f64[r]);
    }
  return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(generator)

BOOST_AUTO_TEST_CASE(the_same_seed_draws_the_same_rows) {
  auto a = rows_of(tsbs_cpu_generator{test::data_set(7, 5, 1)});
  auto b = rows_of(tsbs_cpu_generator{test::data_set(7, 5, 1)}, 10'000);
  auto c = rows_of(tsbs_cpu_generator{test::data_set(8, 5, 1)});
  BOOST_TEST(a.size() == 5u * 360u);
  BOOST_TEST((a == b));
  BOOST_TEST(a.size() == c.size());
  BOOST_TEST((a != c));
}

BOOST_AUTO_TEST_CASE(a_range_of_hosts_draws_their_rows_of_the_whole) {
  auto o = test::data_set(3, 7, 1);
  auto whole = rows_of(tsbs_cpu_generator{o});
  row_map parts = rows_of(tsbs_cpu_generator{o, 0, 3});
  parts.merge(rows_of(tsbs_cpu_generator{o, 3, 4}));
  BOOST_TEST((whole == parts));
  // A host's walk does not depend on how many hosts there are.
  auto more = rows_of(tsbs_cpu_generator{test::data_set(3, 9, 1)});
  for (const auto& [key, values] : whole)
    BOOST_TEST((more.at(key) == values));
}

BOOST_AUTO_TEST_CASE(rows_come_by_time_then_host) {
  auto o = test::data_set(1, 3, 1);
  o.interval = 7 * cs::usecs_per_minute; // does not divide the hour
  tsbs_cpu_generator gen{o};
  BOOST_TEST(o.ticks() == 9u); // ceil(60 / 7)
  BOOST_TEST(gen.total_rows() == 27u);
  cs::column_batch b;
  BOOST_TEST(gen.next(b, 100) == 27u);
  for (size_t r = 0; r < 27; ++r) {
    BOOST_TEST(b.col(0).i64[r] == o.start + static_cast<int64_t>(r / 3) * o.interval);
    BOOST_TEST(b.col(1).dict[b.col(1).codes[r]] == "host_" + std::to_string(r % 3));
  }
  BOOST_TEST(gen.next(b, 100) == 0u);
}

BOOST_AUTO_TEST_CASE(values_are_integers_in_bounds_stepping_like_a_unit_normal) {
  auto o = test::data_set(123, 50, 6);
  tsbs_cpu_generator gen{o};
  cs::column_batch b;
  std::vector<double> first;      // the first tick's values
  std::map<std::pair<uint32_t, size_t>, double> last;
  double sum = 0, sum_sq = 0;
  size_t steps = 0;
  while (gen.next(b, 1000) > 0)
    for (size_t r = 0; r < b.rows(); ++r)
      for (size_t f = 0; f < 10; ++f) {
        double v = b.col(2 + f).f64[r];
        BOOST_REQUIRE(v >= 0 && v <= 100);
        BOOST_REQUIRE(v == std::trunc(v));
        auto key = std::make_pair(b.col(1).codes[r], f);
        if (b.col(0).i64[r] == o.start) {
          first.push_back(v);
        } else if (last[key] > 2 && last[key] < 98) {
          // Away from the clamps a step of the truncated values is
          // z - frac(x + z) + frac(x): mean 0, variance 1 + 1/12 + 1/12.
          double d = v - last[key];
          sum += d;
          sum_sq += d * d;
          ++steps;
        }
        last[key] = v;
      }
  BOOST_TEST(first.size() == 500u);
  double mean_first = 0;
  for (double v : first)
    mean_first += v / static_cast<double>(first.size());
  BOOST_TEST(mean_first > 45.0); // uniform in [0, 100): truncated mean 49.5
  BOOST_TEST(mean_first < 54.0);
  BOOST_TEST(steps > 900'000u);
  double mean = sum / static_cast<double>(steps);
  double var = sum_sq / static_cast<double>(steps) - mean * mean;
  BOOST_TEST(std::fabs(mean) < 0.01);
  BOOST_TEST(var > 1.12);
  BOOST_TEST(var < 1.22);
}

BOOST_AUTO_TEST_CASE(tags_have_tsbs_value_sets_and_cardinalities) {
  tsbs_options o;
  o.hosts = 4000;
  auto b = tsbs_tags_batch(o);
  BOOST_REQUIRE(b.rows() == 4000u);
  std::vector<std::set<std::string>> distinct(10);
  for (size_t r = 0; r < b.rows(); ++r) {
    for (size_t c = 0; c < 10; ++c)
      distinct[c].insert(b.col(c).dict[b.col(c).codes[r]]);
    // A datacenter belongs to its region: "us-east-1" -> "us-east-1a".
    const auto& region = b.col(1).dict[b.col(1).codes[r]];
    const auto& dc = b.col(2).dict[b.col(2).codes[r]];
    BOOST_TEST(dc.substr(0, region.size()) == region);
    BOOST_TEST(dc.size() == region.size() + 1);
  }
  const size_t expected[10] = {4000, 9, 23, 100, 3, 2, 4, 20, 2, 3};
  for (size_t c = 0; c < 10; ++c)
    BOOST_TEST(distinct[c].size() == expected[c], tsbs_tag_names[c]);
  BOOST_TEST(*distinct[3].begin() == "0");
  BOOST_TEST(*distinct[3].rbegin() == "99");
  BOOST_TEST((distinct[5] == std::set<std::string>{"x64", "x86"}));
  BOOST_TEST((distinct[6] == std::set<std::string>{"CHI", "LON", "NYC", "SF"}));
  BOOST_TEST((distinct[9] == std::set<std::string>{"production", "staging", "test"}));
  // Deterministic for the seed, independent of the scale.
  BOOST_TEST((tsbs_host_tags(123, 17).values == tsbs_host_tags(123, 17).values));
  BOOST_TEST((tsbs_host_tags(123, 17).values != tsbs_host_tags(124, 17).values));
  BOOST_TEST(b.col(1).dict[b.col(1).codes[17]] == tsbs_host_tags(123, 17).values[1]);
}

BOOST_AUTO_TEST_SUITE_END()
