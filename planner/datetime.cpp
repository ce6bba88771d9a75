#include "planner/datetime.hpp"

#include <cctype>
#include <cstdio>

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
  size_t i = 0;
  int64_t y, mo, d;
  if (!digits(s, i, 4, y) || i >= s.size() || s[i++] != '-' || !digits(s, i, 2, mo)
      || i >= s.size() || s[i++] != '-' || !digits(s, i, 2, d))
    return std::nullopt;
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

std::string format_timestamptz(cs::timestamp t) {
  int64_t days = cs::floor_div(t, cs::usecs_per_day);
  int64_t rest = t - days * cs::usecs_per_day;
  int64_t y;
  unsigned m, d;
  cs::civil_from_days(days, y, m, d);
  int64_t secs = rest / cs::usecs_per_second;
  int64_t frac = rest % cs::usecs_per_second;
  bool bc = y <= 0; // year 0 is 1 BC
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld",
                        static_cast<long long>(bc ? 1 - y : y), m, d,
                        static_cast<long long>(secs / 3600),
                        static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  std::string out{buf, static_cast<size_t>(n)};
  if (frac != 0) {
    char f[16];
    std::snprintf(f, sizeof f, ".%06lld", static_cast<long long>(frac));
    std::string fs{f};
    while (fs.back() == '0')
      fs.pop_back();
    out += fs;
  }
  out += "+00";
  return bc ? out + " BC" : out;
}

std::string format_timestamp(cs::timestamp t) {
  std::string s = format_timestamptz(t);
  auto z = s.find("+00");
  return s.erase(z, 3);
}

} // namespace hypertide::planner
