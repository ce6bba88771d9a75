// Chunk placement as TimescaleDB does it: time slices aligned to the
// interval since the Unix epoch, hash slices of [0, INT32_MAX], and
// PostgreSQL's own hash functions (checked against PostgreSQL 15 output).

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "chunkstore/hypertable.hpp"
#include "chunkstore/time_bucket.hpp"

using namespace hypertide::chunkstore;

namespace {

int32_t hashtext(std::string_view s) {
  return static_cast<int32_t>(pg_hash_bytes(s.data(), s.size()));
}

int32_t hashint4(int32_t x) {
  return static_cast<int32_t>(pg_hash_int4(x));
}

int32_t hashint8(int64_t x) {
  return static_cast<int32_t>(pg_hash_int8(x));
}

} // namespace

BOOST_AUTO_TEST_SUITE(hypertable_test)

BOOST_AUTO_TEST_CASE(default_slices_are_weeks_from_the_epoch) {
  const int64_t week = default_chunk_time_interval;
  BOOST_TEST(week == 7 * usecs_per_day);
  auto r = time_slice(week, 0);
  BOOST_TEST(r.start == 0);
  BOOST_TEST(r.end == week);
  BOOST_TEST(r.partition == -1);
  // Half-open: the end belongs to the next slice.
  BOOST_TEST(time_slice(week, week - 1).start == 0);
  BOOST_TEST(time_slice(week, week).start == week);
  BOOST_TEST(time_slice(week, week).end == 2 * week);
  // Slices start on Thursdays, as 1970-01-01 was one (unlike time_bucket's
  // Monday weeks).
  timestamp t = days_from_civil(2021, 6, 9) * usecs_per_day; // a Wednesday
  auto s = time_slice(week, t);
  BOOST_TEST(s.start == days_from_civil(2021, 6, 3) * usecs_per_day);
  BOOST_TEST(s.end == days_from_civil(2021, 6, 10) * usecs_per_day);
}

BOOST_AUTO_TEST_CASE(negative_times_floor) {
  const int64_t week = default_chunk_time_interval;
  auto r = time_slice(week, -1);
  BOOST_TEST(r.start == -week);
  BOOST_TEST(r.end == 0);
  r = time_slice(week, -week);
  BOOST_TEST(r.start == -week);
  BOOST_TEST(r.end == 0);
  r = time_slice(week, -week - 1);
  BOOST_TEST(r.start == -2 * week);
  BOOST_TEST(r.end == -week);
  // 1969-12-28 (a Sunday) lies in the slice starting Thursday 1969-12-25.
  r = time_slice(week, days_from_civil(1969, 12, 28) * usecs_per_day);
  BOOST_TEST(r.start == days_from_civil(1969, 12, 25) * usecs_per_day);
}

BOOST_AUTO_TEST_CASE(random_slices_hold_their_time) {
  std::mt19937_64 rng{31};
  const int64_t intervals[] = {1, 1000, usecs_per_hour, usecs_per_day,
                               default_chunk_time_interval, 30 * usecs_per_day};
  std::uniform_int_distribution<int64_t> ts{-4'000'000'000'000'000, 4'000'000'000'000'000};
  for (int i = 0; i < 6000; ++i) {
    int64_t iv = intervals[i % 6];
    timestamp t = ts(rng);
    auto r = time_slice(iv, t);
    BOOST_TEST_REQUIRE(r.start <= t);
    BOOST_TEST_REQUIRE(t < r.end);
    BOOST_TEST_REQUIRE(r.end - r.start == iv);
    BOOST_TEST_REQUIRE(r.start % iv == 0);
    // Adjacent slices tile the line.
    BOOST_TEST_REQUIRE(time_slice(iv, r.end).start == r.end);
    BOOST_TEST_REQUIRE(time_slice(iv, r.start - 1).end == r.start);
  }
}

BOOST_AUTO_TEST_CASE(slices_clamp_at_the_ends_of_time) {
  // TimescaleDB clamps the outermost slices to the int64 range
  // (DIMENSION_SLICE_MINVALUE / MAXVALUE) instead of overflowing.
  const int64_t week = default_chunk_time_interval;
  auto lo = time_slice(week, min_timestamp);
  BOOST_TEST(lo.start == min_timestamp);
  BOOST_TEST(lo.end == (min_timestamp / week) * week);
  BOOST_TEST(lo.end > min_timestamp);
  auto hi = time_slice(week, max_timestamp);
  BOOST_TEST(hi.end == max_timestamp);
  BOOST_TEST(hi.start == (max_timestamp / week) * week);
  BOOST_TEST(time_slice(week, lo.end).start == lo.end);
}

BOOST_AUTO_TEST_CASE(partitions_cover_the_hash_space) {
  for (int32_t n : {1, 2, 3, 4, 5, 7, 8, 16, 100, 1000, 32768}) {
    int64_t prev_end = 0;
    for (int32_t p = 0; p < n; ++p) {
      int64_t start = 0, end = 0;
      partition_range(n, p, start, end);
      if (p == 0)
        BOOST_TEST_REQUIRE(start == min_timestamp);
      else
        BOOST_TEST_REQUIRE(start == prev_end); // no gap, no overlap
      if (p == n - 1)
        BOOST_TEST_REQUIRE(end == max_timestamp);
      else
        BOOST_TEST_REQUIRE(end > std::max<int64_t>(start, 0));
      // The edges of each range map back to it.
      int64_t first = std::max<int64_t>(start, 0);
      int64_t last = std::min<int64_t>(end, partition_hash_max + 1) - 1;
      BOOST_TEST_REQUIRE(partition_of(n, static_cast<uint32_t>(first)) == p);
      BOOST_TEST_REQUIRE(partition_of(n, static_cast<uint32_t>(last)) == p);
      prev_end = end;
    }
    BOOST_TEST_REQUIRE(partition_of(n, 0) == 0);
    BOOST_TEST_REQUIRE(partition_of(n, static_cast<uint32_t>(partition_hash_max)) == n - 1);
  }
  // Two partitions split at INT32_MAX / 2, as timescaledb_information shows.
  int64_t start = 0, end = 0;
  partition_range(2, 1, start, end);
  BOOST_TEST(start == 1073741823);
  BOOST_TEST(partition_of(2, 1073741822) == 0);
  BOOST_TEST(partition_of(2, 1073741823) == 1);

  std::mt19937_64 rng{37};
  for (int i = 0; i < 20000; ++i) {
    auto n = static_cast<int32_t>(1 + rng() % 64);
    auto h = static_cast<uint32_t>(rng() & 0x7fffffffu);
    int32_t p = partition_of(n, h);
    BOOST_TEST_REQUIRE(p >= 0);
    BOOST_TEST_REQUIRE(p < n);
    int64_t s = 0, e = 0;
    partition_range(n, p, s, e);
    BOOST_TEST_REQUIRE(s <= static_cast<int64_t>(h));
    BOOST_TEST_REQUIRE(static_cast<int64_t>(h) < e);
  }
}

BOOST_AUTO_TEST_CASE(hashes_match_postgresql_15) {
  BOOST_TEST(hashtext("host_1") == -1362997293);
  BOOST_TEST(hashtext("") == -1477818771);
  BOOST_TEST(hashtext("abcdefghijklmnop") == -2079749669);
  BOOST_TEST(hashint4(42) == 1509752520);
  BOOST_TEST(hashint8(-5) == 1412886042);
  BOOST_TEST(hashint8(5000000000) == -694934712);
  // hashint8 folds the high half so that equal int4 and int8 values hash
  // alike (PostgreSQL relies on it for cross-type hash joins).
  for (int32_t x : {0, 1, -1, 42, -5, 123456789, INT32_MIN, INT32_MAX})
    BOOST_TEST(hashint8(x) == hashint4(x));
}

BOOST_AUTO_TEST_CASE(partition_hash_masks_to_non_negative) {
  BOOST_TEST(partition_hash_text("host_1")
             == (static_cast<uint32_t>(-1362997293) & 0x7fffffffu));
  BOOST_TEST(partition_hash(value::of_text("host_1")) == partition_hash_text("host_1"));
  BOOST_TEST(partition_hash(value::of_int(column_type::int4, 42))
             == (1509752520u & 0x7fffffffu));
  BOOST_TEST(partition_hash(value::of_int(column_type::int8, 5000000000))
             == (static_cast<uint32_t>(-694934712) & 0x7fffffffu));
  BOOST_TEST(partition_hash(value::null(column_type::text)) == 0u);
  std::mt19937_64 rng{41};
  for (int i = 0; i < 1000; ++i) {
    std::string s(rng() % 40, 'x');
    for (auto& c : s)
      c = static_cast<char>('a' + rng() % 26);
    BOOST_TEST_REQUIRE(partition_hash_text(s) <= static_cast<uint32_t>(partition_hash_max));
  }
}

BOOST_AUTO_TEST_SUITE_END()
