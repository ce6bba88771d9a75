#include "planner/interval.hpp"

#include <cctype>
#include <cmath>
#include <string>

#include "chunkstore/types.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;

std::optional<int64_t> interval::fixed_micros() const noexcept {
  if (months != 0)
    return std::nullopt;
  return static_cast<int64_t>(days) * cs::usecs_per_day + micros;
}

namespace {

bool unit_of(std::string u, double& to_micros, bool& is_months, bool& is_days) {
  for (auto& c : u)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u.size() > 1 && u.back() == 's' && u != "s" && u != "ms" && u != "us")
    u.pop_back();
  is_months = is_days = false;
  if (u == "microsecond" || u == "us" || u == "usec")
    to_micros = 1;
  else if (u == "millisecond" || u == "ms" || u == "msec")
    to_micros = 1e3;
  else if (u == "second" || u == "s" || u == "sec")
    to_micros = 1e6;
  else if (u == "minute" || u == "m" || u == "min")
    to_micros = 60e6;
  else if (u == "hour" || u == "h" || u == "hr")
    to_micros = 3600e6;
  else if (u == "day" || u == "d")
    is_days = true, to_micros = 1;
  else if (u == "week" || u == "w")
    is_days = true, to_micros = 7;
  else if (u == "month" || u == "mon")
    is_months = true, to_micros = 1;
  else if (u == "year" || u == "y" || u == "yr")
    is_months = true, to_micros = 12;
  else if (u == "decade")
    is_months = true, to_micros = 120;
  else if (u == "century")
    is_months = true, to_micros = 1200;
  else
    return false;
  return true;
}

} // namespace

std::optional<interval> parse_interval(std::string_view text) {
  interval out;
  size_t i = 0;
  bool any = false, ago = false;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
  };
  skip_space();
  if (i < text.size() && text[i] == '@') {
    ++i;
  }
  while (true) {
    skip_space();
    if (i >= text.size())
      break;
    // A number, possibly signed, possibly with a fraction.
    size_t start = i;
    if (text[i] == '+' || text[i] == '-')
      ++i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    std::string num{text.substr(start, i - start)};
    if (num.empty() || num == "+" || num == "-") {
      // A word alone: "ago".
      size_t w = i;
      while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
        ++i;
      std::string word{text.substr(w, i - w)};
      for (auto& c : word)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (word == "ago" && any) {
        ago = true;
        continue;
      }
      return std::nullopt;
    }
    if (i < text.size() && text[i] == ':') {
      // hh:mm[:ss[.frac]]
      size_t t = start;
      bool neg = text[t] == '-';
      if (text[t] == '+' || text[t] == '-')
        ++t;
      double parts[3] = {0, 0, 0};
      int n = 0;
      size_t j = t;
      while (n < 3) {
        size_t s = j;
        while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.'))
          ++j;
        if (s == j)
          return std::nullopt;
        parts[n++] = std::stod(std::string{text.substr(s, j - s)});
        if (j < text.size() && text[j] == ':')
          ++j;
        else
          break;
      }
      if (n < 2)
        return std::nullopt;
      double us = parts[0] * 3600e6 + parts[1] * 60e6 + parts[2] * 1e6;
      out.micros += static_cast<int64_t>(std::llround(neg ? -us : us));
      i = j;
      any = true;
      continue;
    }
    double x = 0;
    try {
      x = std::stod(num);
    } catch (...) {
      return std::nullopt;
    }
    skip_space();
    size_t u = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
      ++i;
    std::string unit{text.substr(u, i - u)};
    if (unit.empty()) {
      // A bare number is seconds, as in PostgreSQL.
      unit = "second";
    }
    double scale = 0;
    bool months = false, days = false;
    if (!unit_of(unit, scale, months, days))
      return std::nullopt;
    if (months) {
      double m = x * scale;
      out.months += static_cast<int32_t>(m);
      // A fraction of a month is 30 days, as in PostgreSQL.
      double rest_days = (m - std::trunc(m)) * 30;
      out.days += static_cast<int32_t>(rest_days);
      out.micros += static_cast<int64_t>(std::llround((rest_days - std::trunc(rest_days))
                                                      * cs::usecs_per_day));
    } else if (days) {
      double d = x * scale;
      out.days += static_cast<int32_t>(d);
      out.micros += static_cast<int64_t>(std::llround((d - std::trunc(d)) * cs::usecs_per_day));
    } else {
      out.micros += static_cast<int64_t>(std::llround(x * scale));
    }
    any = true;
  }
  if (!any)
    return std::nullopt;
  if (ago) {
    out.months = -out.months;
    out.days = -out.days;
    out.micros = -out.micros;
  }
  return out;
}

} // namespace hypertide::planner
