#include <boost/test/unit_test.hpp>

#include "planner/interval.hpp"

using hypertide::planner::parse_interval;

BOOST_AUTO_TEST_CASE(interval_input_forms) {
  constexpr int64_t s = 1'000'000;
  BOOST_CHECK_EQUAL(*parse_interval("12 hours")->fixed_micros(), 12 * 3600 * s);
  BOOST_CHECK_EQUAL(*parse_interval("1 day 2 hours")->fixed_micros(), 26 * 3600 * s);
  BOOST_CHECK_EQUAL(*parse_interval("7 days")->fixed_micros(), 7 * 86400 * s);
  BOOST_CHECK_EQUAL(*parse_interval("00:30:00")->fixed_micros(), 1800 * s);
  BOOST_CHECK_EQUAL(*parse_interval("-2 minutes")->fixed_micros(), -120 * s);
  BOOST_CHECK_EQUAL(*parse_interval("2.5 minutes")->fixed_micros(), 150 * s);
  BOOST_CHECK_EQUAL(*parse_interval("1 hour 30 minutes ago")->fixed_micros(), -5400 * s);
  BOOST_CHECK_EQUAL(*parse_interval("10s")->fixed_micros(), 10 * s);
  BOOST_CHECK_EQUAL(*parse_interval("1 week")->fixed_micros(), 7 * 86400 * s);
  BOOST_CHECK_EQUAL(parse_interval("1 mon")->months, 1);
  BOOST_CHECK(!parse_interval("1 mon")->fixed_micros());
  BOOST_CHECK_EQUAL(parse_interval("2 years")->months, 24);
  BOOST_CHECK(!parse_interval(""));
  BOOST_CHECK(!parse_interval("12 parsecs"));
  BOOST_CHECK(!parse_interval("abc"));
}
