#include "planner/datetime.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "chunkstore/time_bucket.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;

namespace {

bool digits(std::string_view s, size_t& i, size_t n, int64_t& out) {
  if (i + n > s.size())
    return false;
  out = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[i + k];
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
    out = out * 10 + (c - '0');
  }
  i += n;
  return true;
}

} // namespace

namespace {

std::optional<cs::timestamp> parse(std::string_view s, bool apply_zone);

} // namespace

std::optional<cs::timestamp> parse_timestamptz(std::string_view s) {
  return parse(s, true);
}

std::optional<cs::timestamp> parse_timestamp(std::string_view s) {
  return parse(s, false);
}

namespace {

std::optional<cs::timestamp> parse(std::string_view s, bool apply_zone) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  if (s == "epoch")
    return 0;
  if (s.size() <= 9) { // [+-]infinity, any case; a date and time is longer
    std::string low;
    for (char c : s)
      low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (low == "infinity" || low == "+infinity")
      return cs::max_timestamp;
    if (low == "-infinity")
      return cs::min_timestamp;
  }
  // "... BC", as format_timestamp* writes years before 1 AD (1 BC is year 0).
  bool bc = false;
  if (s.size() > 3 && (s.substr(s.size() - 3) == " BC" || s.substr(s.size() - 3) == " bc")) {
    bc = true;
    s.remove_suffix(3);
  }
  size_t i = 0;
  int64_t y, mo, d;
  // Years have four digits or more (up to 294276, PostgreSQL's last year).
  size_t year_digits = 0;
  while (year_digits < s.size() && std::isdigit(static_cast<unsigned char>(s[year_digits])))
    ++year_digits;
  if (year_digits < 4 || year_digits > 6 || !digits(s, i, year_digits, y) || i >= s.size()
      || s[i++] != '-' || !digits(s, i, 2, mo) || i >= s.size() || s[i++] != '-'
      || !digits(s, i, 2, d))
    return std::nullopt;
  if (bc) {
    if (y == 0)
      return std::nullopt;
    y = 1 - y;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31)
    return std::nullopt;
  int64_t days = cs::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  // Reject 2021-02-30 and the like: the date must round-trip.
  int64_t ry;
  unsigned rm, rd;
  cs::civil_from_days(days, ry, rm, rd);
  if (ry != y || rm != mo || rd != d)
    return std::nullopt;
  int64_t micros = 0;
  if (i < s.size() && (s[i] == ' ' || s[i] == 'T' || s[i] == 't')) {
    ++i;
    int64_t h, mi, sec = 0;
    if (!digits(s, i, 2, h) || i >= s.size() || s[i++] != ':' || !digits(s, i, 2, mi))
      return std::nullopt;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!digits(s, i, 2, sec))
        return std::nullopt;
      if (i < s.size() && s[i] == '.') {
        ++i;
        int64_t frac = 0, scale = 100000;
        size_t start = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
          if (scale > 0) {
            frac += (s[i] - '0') * scale;
            scale /= 10;
          }
          ++i;
        }
        if (i == start)
          return std::nullopt;
        micros += frac;
      }
    }
    if (h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi != 0 || sec != 0)))
      return std::nullopt;
    micros += ((h * 60 + mi) * 60 + sec) * cs::usecs_per_second;
  }
  while (i < s.size() && s[i] == ' ')
    ++i;
  int64_t offset = 0;
  if (i < s.size()) {
    std::string_view zone = s.substr(i);
    if (zone == "Z" || zone == "z" || zone == "UTC" || zone == "utc" || zone == "GMT"
        || zone == "+00" || zone == "-00") {
      i = s.size();
    } else if (s[i] == '+' || s[i] == '-') {
      int sign = s[i++] == '-' ? -1 : 1;
      int64_t zh, zm = 0;
      if (!digits(s, i, 2, zh))
        return std::nullopt;
      if (i < s.size() && s[i] == ':')
        ++i;
      if (i < s.size() && !digits(s, i, 2, zm))
        return std::nullopt;
      offset = sign * (zh * 60 + zm) * cs::usecs_per_minute;
    } else {
      return std::nullopt;
    }
  }
  if (i != s.size())
    return std::nullopt;
  return days * cs::usecs_per_day + micros - (apply_zone ? offset : 0);
}

} // namespace

namespace {

/// Writes `x` (>= 0) with at least `width` digits.
char* put_digits(char* out, int64_t x, int width) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + x % 10);
    x /= 10;
  } while (x > 0);
  for (int i = n; i < width; ++i)
    *out++ = '0';
  while (n > 0)
    *out++ = tmp[--n];
  return out;
}

} // namespace

namespace {

/// Two digits of `x` (0..99).
char* put2(char* out, int64_t x) {
  out[0] = static_cast<char>('0' + x / 10);
  out[1] = static_cast<char>('0' + x % 10);
  return out + 2;
}

/// The "YYYY-MM-DD" of the last day formatted on this thread: rows of a
/// result mostly share their day (a chunk spans hours), and the calendar
/// arithmetic costs more than the rest of the text.
struct day_text {
  int64_t days = INT64_MIN;
  bool bc = false;
  uint8_t len = 0;
  char text[24];
};
thread_local day_text last_day;

} // namespace

char* format_timestamp_to(char* out, cs::timestamp t, bool with_zone) {
  if (is_infinite(t)) {
    std::string_view w = t == cs::max_timestamp ? "infinity" : "-infinity";
    std::memcpy(out, w.data(), w.size());
    return out + w.size();
  }
  int64_t days = cs::floor_div(t, cs::usecs_per_day);
  int64_t rest = t - days * cs::usecs_per_day;
  day_text& day = last_day;
  if (day.days != days) {
    int64_t y;
    unsigned m, d;
    cs::civil_from_days(days, y, m, d);
    day.bc = y <= 0; // year 0 is 1 BC
    char* w = put_digits(day.text, day.bc ? 1 - y : y, 4);
    *w++ = '-';
    w = put2(w, m);
    *w++ = '-';
    w = put2(w, d);
    *w++ = ' ';
    day.len = static_cast<uint8_t>(w - day.text);
    day.days = days;
  }
  std::memcpy(out, day.text, 16); // 11 or more bytes used; out has room
  out += day.len;
  int64_t secs = rest / cs::usecs_per_second;
  int64_t frac = rest % cs::usecs_per_second;
  out = put2(out, secs / 3600);
  *out++ = ':';
  out = put2(out, secs / 60 % 60);
  *out++ = ':';
  out = put2(out, secs % 60);
  if (frac != 0) {
    *out++ = '.';
    int width = 6;
    while (frac % 10 == 0) {
      frac /= 10;
      --width;
    }
    out = put_digits(out, frac, width);
  }
  if (with_zone) {
    std::memcpy(out, "+00", 3);
    out += 3;
  }
  if (day.bc) {
    std::memcpy(out, " BC", 3);
    out += 3;
  }
  return out;
}

std::string format_timestamptz(cs::timestamp t) {
  char buf[timestamp_text_max];
  return std::string{buf, format_timestamp_to(buf, t, true)};
}

std::string format_timestamp(cs::timestamp t) {
  char buf[timestamp_text_max];
  return std::string{buf, format_timestamp_to(buf, t, false)};
}

} // namespace hypertide::planner
