// time_bucket() as TimescaleDB computes it for timestamptz in UTC and for
// integers. The fixed expectations come from TimescaleDB's regression tests
// (test/sql/timestamp.sql); the rest are worked out by hand from its source
// (src/time_bucket.c), which is the reference for behaviour.

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>

#include "chunkstore/time_bucket.hpp"

using namespace hypertide::chunkstore;

namespace {

/// Microseconds since the epoch of a civil UTC date and time.
timestamp utc(int64_t y, unsigned mo, unsigned d, int64_t h = 0,
              int64_t mi = 0, int64_t s = 0, int64_t us = 0) {
  return days_from_civil(y, mo, d) * usecs_per_day + h * usecs_per_hour
         + mi * usecs_per_minute + s * usecs_per_second + us;
}

bucket_spec fixed(int64_t width, int64_t offset = 0) {
  bucket_spec b;
  b.width = width;
  b.offset = offset;
  return b;
}

bucket_spec fixed_origin(int64_t width, timestamp origin) {
  bucket_spec b;
  b.width = width;
  b.origin = origin;
  return b;
}

bucket_spec months(int32_t n, int64_t offset = 0) {
  bucket_spec b;
  b.months = n;
  b.offset = offset;
  return b;
}

bucket_spec months_origin(int32_t n, timestamp origin) {
  bucket_spec b;
  b.months = n;
  b.origin = origin;
  return b;
}

/// Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday).
int64_t weekday(timestamp t) {
  int64_t day = floor_div(t, usecs_per_day);
  return ((day + 3) % 7 + 7) % 7;
}

} // namespace

BOOST_AUTO_TEST_SUITE(time_bucket_test)

BOOST_AUTO_TEST_CASE(civil_helpers_round_trip) {
  // The helper the other cases lean on: known epoch days, both directions.
  BOOST_TEST(days_from_civil(1970, 1, 1) == 0);
  BOOST_TEST(days_from_civil(2000, 1, 1) == 10957);
  BOOST_TEST(days_from_civil(1969, 12, 31) == -1);
  BOOST_TEST(days_from_civil(1900, 3, 1) == -25508);
  BOOST_TEST(default_bucket_origin == utc(2000, 1, 3));
  BOOST_TEST(default_month_origin == utc(2000, 1, 1));
  for (int64_t z = -800'000; z <= 800'000; z += 997) {
    int64_t y;
    unsigned m, d;
    civil_from_days(z, y, m, d);
    BOOST_TEST_REQUIRE(days_from_civil(y, m, d) == z);
  }
}

BOOST_AUTO_TEST_CASE(fixed_widths_match_timescaledb_regression) {
  const int64_t two_days = 2 * usecs_per_day;
  BOOST_TEST(time_bucket(fixed(two_days), utc(2011, 1, 1, 1, 1, 1))
             == utc(2011, 1, 1));
  BOOST_TEST(time_bucket(fixed(two_days), utc(2011, 1, 2, 1, 1, 1))
             == utc(2011, 1, 1));
  BOOST_TEST(time_bucket(fixed(two_days), utc(2011, 1, 3, 1, 1, 1))
             == utc(2011, 1, 3));
  BOOST_TEST(time_bucket(fixed(5 * usecs_per_minute),
                         utc(1970, 1, 1, 0, 59, 59, 999'999))
             == utc(1970, 1, 1, 0, 55));
  // '2011-01-02 01:01:01+02' is 2011-01-01 23:01:01 UTC.
  BOOST_TEST(time_bucket(fixed(usecs_per_hour), utc(2011, 1, 1, 23, 1, 1))
             == utc(2011, 1, 1, 23));
  BOOST_TEST(time_bucket(fixed(usecs_per_day), utc(2011, 1, 2, 1, 1, 1))
             == utc(2011, 1, 2));
  // A bucket start maps to itself; one microsecond earlier is the bucket
  // before (half-open buckets).
  BOOST_TEST(time_bucket(fixed(usecs_per_day), utc(2011, 1, 2)) == utc(2011, 1, 2));
  BOOST_TEST(time_bucket(fixed(usecs_per_day), utc(2011, 1, 2) - 1)
             == utc(2011, 1, 1));
}

BOOST_AUTO_TEST_CASE(fixed_widths_with_offsets) {
  const int64_t five = 5 * usecs_per_minute;
  const int64_t two = 2 * usecs_per_minute;
  BOOST_TEST(time_bucket(fixed(five, two), utc(2011, 1, 2, 1, 1, 59, 999'999))
             == utc(2011, 1, 2, 0, 57));
  BOOST_TEST(time_bucket(fixed(five, two), utc(2011, 1, 2, 1, 2))
             == utc(2011, 1, 2, 1, 2));
  BOOST_TEST(time_bucket(fixed(five, -two), utc(2011, 1, 2, 1, 2, 59, 999'999))
             == utc(2011, 1, 2, 0, 58));
  BOOST_TEST(time_bucket(fixed(five, -two), utc(2011, 1, 2, 1, 3))
             == utc(2011, 1, 2, 1, 3));
  // An offset larger than the width wraps around it.
  BOOST_TEST(time_bucket(fixed(five, five + two), utc(2011, 1, 2, 1, 2))
             == utc(2011, 1, 2, 1, 2));
  // time_bucket(w, t, offset) = time_bucket(w, t - offset) + offset.
  std::mt19937_64 rng{7};
  std::uniform_int_distribution<int64_t> ts{utc(1900, 1, 1), utc(2100, 1, 1)};
  std::uniform_int_distribution<int64_t> off{-3 * usecs_per_day, 3 * usecs_per_day};
  for (int i = 0; i < 2000; ++i) {
    int64_t w = (i % 3 == 0 ? usecs_per_day : i % 3 == 1 ? usecs_per_hour : 7 * usecs_per_minute)
                * (1 + i % 5);
    timestamp t = ts(rng);
    int64_t o = off(rng);
    BOOST_TEST_REQUIRE(time_bucket(fixed(w, o), t)
                       == time_bucket(fixed(w), t - o) + o);
  }
}

BOOST_AUTO_TEST_CASE(fixed_widths_with_origin) {
  // Hourly buckets starting half past the hour.
  auto half_past = fixed_origin(usecs_per_hour, utc(2000, 1, 1, 0, 30));
  BOOST_TEST(time_bucket(half_past, utc(2011, 1, 2, 1, 29, 59)) == utc(2011, 1, 2, 0, 30));
  BOOST_TEST(time_bucket(half_past, utc(2011, 1, 2, 1, 30)) == utc(2011, 1, 2, 1, 30));
  // An origin after the timestamp works the same (buckets extend both ways).
  auto late = fixed_origin(usecs_per_day, utc(2030, 6, 1, 6));
  BOOST_TEST(time_bucket(late, utc(2011, 1, 2, 5, 59)) == utc(2011, 1, 1, 6));
  BOOST_TEST(time_bucket(late, utc(2011, 1, 2, 6)) == utc(2011, 1, 2, 6));
  // Weeks from a Sunday origin start on Sundays.
  auto sundays = fixed_origin(7 * usecs_per_day, utc(2000, 1, 2));
  BOOST_TEST(time_bucket(sundays, utc(2021, 6, 9, 12)) == utc(2021, 6, 6));
  BOOST_TEST(weekday(time_bucket(sundays, utc(1955, 3, 17, 3))) == 6);
}

BOOST_AUTO_TEST_CASE(weeks_start_on_monday_by_default) {
  const auto week = fixed(7 * usecs_per_day);
  BOOST_TEST(time_bucket(week, utc(2000, 1, 3)) == utc(2000, 1, 3));
  BOOST_TEST(time_bucket(week, utc(2000, 1, 2, 23, 59, 59)) == utc(1999, 12, 27));
  // 2021-06-09 is a Wednesday; its week began Monday 2021-06-07.
  BOOST_TEST(time_bucket(week, utc(2021, 6, 9, 12)) == utc(2021, 6, 7));
  std::mt19937_64 rng{11};
  std::uniform_int_distribution<int64_t> ts{utc(1800, 1, 1), utc(2200, 1, 1)};
  for (int i = 0; i < 1000; ++i) {
    timestamp t = ts(rng);
    timestamp b = time_bucket(week, t);
    BOOST_TEST_REQUIRE(weekday(b) == 0);
    BOOST_TEST_REQUIRE(b % usecs_per_day == 0);
    BOOST_TEST_REQUIRE(b <= t);
    BOOST_TEST_REQUIRE(t < b + 7 * usecs_per_day);
  }
}

BOOST_AUTO_TEST_CASE(times_before_1970) {
  BOOST_TEST(time_bucket(fixed(usecs_per_day), utc(1969, 12, 31, 23, 59, 59))
             == utc(1969, 12, 31));
  BOOST_TEST(time_bucket(fixed(usecs_per_day), utc(1969, 12, 31)) == utc(1969, 12, 31));
  BOOST_TEST(time_bucket(fixed(usecs_per_hour), utc(1900, 6, 15, 12, 34, 56))
             == utc(1900, 6, 15, 12));
  BOOST_TEST(time_bucket(fixed(5 * usecs_per_minute), -1) == -5 * usecs_per_minute);
  BOOST_TEST(time_bucket(fixed(1), utc(1812, 1, 1, 0, 0, 0, 7)) == utc(1812, 1, 1, 0, 0, 0, 7));
  // Negative times with an offset: floor, never truncation toward zero.
  BOOST_TEST(time_bucket(fixed(usecs_per_day, usecs_per_hour), utc(1969, 12, 31, 0, 30))
             == utc(1969, 12, 30, 1));
  std::mt19937_64 rng{13};
  std::uniform_int_distribution<int64_t> ts{utc(1600, 1, 1), utc(1970, 1, 1)};
  for (int i = 0; i < 1000; ++i) {
    timestamp t = ts(rng);
    int64_t w = usecs_per_minute * (1 + static_cast<int64_t>(rng() % 10'000));
    timestamp b = time_bucket(fixed(w), t);
    BOOST_TEST_REQUIRE(b <= t);
    BOOST_TEST_REQUIRE(t - b < w);
    BOOST_TEST_REQUIRE((b - default_bucket_origin) % w == 0);
  }
}

BOOST_AUTO_TEST_CASE(month_buckets) {
  BOOST_TEST(time_bucket(months(1), utc(2011, 1, 31, 23, 59, 59)) == utc(2011, 1, 1));
  BOOST_TEST(time_bucket(months(1), utc(2011, 2, 1)) == utc(2011, 2, 1));
  BOOST_TEST(time_bucket(months(1), utc(2012, 2, 29, 12)) == utc(2012, 2, 1));
  // Quarters count from January 2000.
  BOOST_TEST(time_bucket(months(3), utc(2021, 8, 1)) == utc(2021, 7, 1));
  BOOST_TEST(time_bucket(months(3), utc(2021, 6, 30, 23)) == utc(2021, 4, 1));
  // Years.
  BOOST_TEST(time_bucket(months(12), utc(2021, 12, 31, 23, 59, 59)) == utc(2021, 1, 1));
  BOOST_TEST(time_bucket(months(12), utc(2022, 1, 1)) == utc(2022, 1, 1));
  // Before 1970 and before the origin.
  BOOST_TEST(time_bucket(months(1), utc(1969, 12, 15)) == utc(1969, 12, 1));
  BOOST_TEST(time_bucket(months(3), utc(1969, 11, 20)) == utc(1969, 10, 1));
  BOOST_TEST(time_bucket(months(12), utc(1969, 7, 4)) == utc(1969, 1, 1));
  BOOST_TEST(time_bucket(months(5), utc(1999, 12, 31)) == utc(1999, 8, 1));
  // An offset shifts the boundaries: bucket(t - offset) + offset.
  BOOST_TEST(time_bucket(months(1, usecs_per_day), utc(2011, 3, 1, 12)) == utc(2011, 2, 2));
  BOOST_TEST(time_bucket(months(1, usecs_per_day), utc(2011, 3, 2)) == utc(2011, 3, 2));
  BOOST_TEST(time_bucket(months(1, -usecs_per_hour), utc(2011, 3, 31, 23, 30))
             == utc(2011, 3, 31, 23));
}

BOOST_AUTO_TEST_CASE(month_buckets_with_origin) {
  // Fiscal years beginning in February.
  auto fiscal = months_origin(12, utc(2000, 2, 1));
  BOOST_TEST(time_bucket(fiscal, utc(2011, 1, 15)) == utc(2010, 2, 1));
  BOOST_TEST(time_bucket(fiscal, utc(2011, 2, 1)) == utc(2011, 2, 1));
  BOOST_TEST(time_bucket(fiscal, utc(1960, 1, 31, 23)) == utc(1959, 2, 1));
  // Quarters starting in February, with an origin far in the future.
  auto quarters = months_origin(3, utc(2100, 11, 1));
  BOOST_TEST(time_bucket(quarters, utc(2021, 1, 10)) == utc(2020, 11, 1));
  BOOST_TEST(time_bucket(quarters, utc(2021, 5, 1)) == utc(2021, 5, 1));
  // TimescaleDB's bucket_month() uses only the year and month of the
  // origin: an origin inside a month still yields month starts.
  auto mid_month = months_origin(1, utc(2000, 1, 15, 12));
  BOOST_TEST(time_bucket(mid_month, utc(2011, 3, 10)) == utc(2011, 3, 1));
  BOOST_TEST(time_bucket(mid_month, utc(2011, 3, 20)) == utc(2011, 3, 1));
  // Months are calendar months, every bucket start is a 1st at midnight.
  std::mt19937_64 rng{17};
  std::uniform_int_distribution<int64_t> ts{utc(1850, 1, 1), utc(2150, 1, 1)};
  for (int i = 0; i < 1000; ++i) {
    timestamp t = ts(rng);
    int32_t n = 1 + static_cast<int32_t>(rng() % 24);
    timestamp b = time_bucket(months(n), t);
    int64_t y, by;
    unsigned m, d, bm, bd;
    civil_from_days(floor_div(t, usecs_per_day), y, m, d);
    civil_from_days(floor_div(b, usecs_per_day), by, bm, bd);
    BOOST_TEST_REQUIRE(b % usecs_per_day == 0);
    BOOST_TEST_REQUIRE(bd == 1u);
    int64_t months_in = (y * 12 + m) - (by * 12 + bm);
    BOOST_TEST_REQUIRE(months_in >= 0);
    BOOST_TEST_REQUIRE(months_in < n);
    // Bucket starts are n-month steps away from January 2000.
    BOOST_TEST_REQUIRE(floor_div(by * 12 + bm - 1 - 2000 * 12, n) * n
                       == by * 12 + bm - 1 - 2000 * 12);
  }
}

BOOST_AUTO_TEST_CASE(integer_buckets) {
  BOOST_TEST(int_bucket(10, 0) == 0);
  BOOST_TEST(int_bucket(10, 9) == 0);
  BOOST_TEST(int_bucket(10, 10) == 10);
  BOOST_TEST(int_bucket(10, -1) == -10);
  BOOST_TEST(int_bucket(10, -10) == -10);
  BOOST_TEST(int_bucket(10, -11) == -20);
  BOOST_TEST(int_bucket(10, 5, 2) == 2);
  BOOST_TEST(int_bucket(10, 1, 2) == -8);
  BOOST_TEST(int_bucket(10, -3, -2) == -12);
  BOOST_TEST(int_bucket(10, 8, -2) == 8);
  BOOST_TEST(int_bucket(1, -7) == -7);
  std::mt19937_64 rng{19};
  for (int i = 0; i < 1000; ++i) {
    int64_t w = 1 + static_cast<int64_t>(rng() % 1000);
    int64_t x = static_cast<int64_t>(rng() % 2'000'001) - 1'000'000;
    int64_t o = static_cast<int64_t>(rng() % 2001) - 1000;
    int64_t b = int_bucket(w, x, o);
    BOOST_TEST_REQUIRE(b <= x);
    BOOST_TEST_REQUIRE(x - b < w);
    BOOST_TEST_REQUIRE(floor_div(b - o, w) * w == b - o);
  }
}

BOOST_AUTO_TEST_CASE(validate_refuses_bad_widths) {
  BOOST_TEST(!validate(fixed(1)).has_value());
  BOOST_TEST(!validate(months(1)).has_value());
  BOOST_TEST(!validate(months(1, usecs_per_day)).has_value());

  auto zero = validate(bucket_spec{});
  BOOST_TEST_REQUIRE(zero.has_value());
  BOOST_TEST(zero->sqlstate == "22023");
  BOOST_TEST(zero->message == "period must be greater than 0");

  auto negative = validate(fixed(-usecs_per_hour));
  BOOST_TEST_REQUIRE(negative.has_value());
  BOOST_TEST(negative->message == "period must be greater than 0");

  auto negative_months = validate(months(-1));
  BOOST_TEST_REQUIRE(negative_months.has_value());
  BOOST_TEST(negative_months->message == "period must be greater than 0");

  // '1 month 1 day': TimescaleDB raises feature_not_supported.
  bucket_spec mixed = months(1);
  mixed.width = usecs_per_day;
  auto both = validate(mixed);
  BOOST_TEST_REQUIRE(both.has_value());
  BOOST_TEST(both->sqlstate == "0A000");
  BOOST_TEST(both->message == "month intervals cannot have day or time component");
}

BOOST_AUTO_TEST_CASE(random_fixed_buckets_hold_their_time) {
  // Every bucket holds its timestamp and sits on the grid of origin + offset.
  std::mt19937_64 rng{23};
  std::uniform_int_distribution<int64_t> ts{utc(1700, 1, 1), utc(2300, 1, 1)};
  for (int i = 0; i < 2000; ++i) {
    bucket_spec s = fixed(usecs_per_second * (1 + static_cast<int64_t>(rng() % 1'000'000)),
                          static_cast<int64_t>(rng() % 1'000'000'000) - 500'000'000);
    if (i % 2 == 0)
      s.origin = ts(rng);
    timestamp t = ts(rng);
    timestamp b = time_bucket(s, t);
    BOOST_TEST_REQUIRE(b <= t);
    BOOST_TEST_REQUIRE(t - b < s.width);
    int64_t grid = s.origin.value_or(default_bucket_origin) + s.offset;
    BOOST_TEST_REQUIRE((b - grid) % s.width == 0);
  }
}

BOOST_AUTO_TEST_SUITE_END()
