#include "chunkstore/time_bucket.hpp"

namespace hypertide::chunkstore {

// Howard Hinnant's civil-calendar algorithms (public domain description at
// howardhinnant.github.io/date_algorithms.html).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) noexcept {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

std::optional<pg_error> validate(const bucket_spec& spec) {
  if (spec.months != 0 && spec.width != 0)
    return pg_error{"0A000", "month intervals cannot have day or time component",
                    {}};
  if (spec.months < 0 || spec.width < 0 || (spec.months == 0 && spec.width == 0))
    return pg_error{"22023", "period must be greater than 0", {}};
  return std::nullopt;
}

namespace {

// Months since 0000-01 of the month that holds `t`, and the day and time
// inside the month (to tell a month start from a later instant).
int64_t month_index(timestamp t, int64_t& usec_into_month) noexcept {
  int64_t day = floor_div(t, usecs_per_day);
  int64_t y;
  unsigned m, d;
  civil_from_days(day, y, m, d);
  int64_t month_start_day = days_from_civil(y, m, 1);
  usec_into_month = t - month_start_day * usecs_per_day;
  return y * 12 + (m - 1);
}

timestamp month_start(int64_t index) noexcept {
  int64_t y = floor_div(index, 12);
  auto m = static_cast<unsigned>(index - y * 12 + 1);
  return days_from_civil(y, m, 1) * usecs_per_day;
}

} // namespace

timestamp time_bucket(const bucket_spec& spec, timestamp t) noexcept {
  // An infinite timestamp is its own bucket, as in TimescaleDB.
  if (t == min_timestamp || t == max_timestamp)
    return t;
  if (spec.months == 0) {
    timestamp origin = spec.origin.value_or(default_bucket_origin) + spec.offset;
    return time_bucket_fixed(spec.width, origin, t);
  }
  // Calendar months: bucket months counted from the origin's month; the
  // offset shifts the boundaries. As in TimescaleDB's bucket_month(), only
  // the origin's year and month count, not its day or time.
  timestamp origin = spec.origin.value_or(default_month_origin);
  int64_t origin_into = 0;
  int64_t origin_month = month_index(origin, origin_into);
  int64_t shift = spec.offset;
  int64_t into = 0;
  int64_t month = month_index(t - shift, into);
  int64_t bucket = origin_month + floor_div(month - origin_month, spec.months)
                                      * spec.months;
  return month_start(bucket) + shift;
}

} // namespace hypertide::chunkstore
