// PostgreSQL's everyday scalar functions over planner values: their result
// types (as PostgreSQL resolves them for the argument types) and their
// evaluation, per row in the access node's final step or once when their
// arguments are constants.

#include <cmath>
#include <cstdio>
#include <random>

#include "chunkstore/time_bucket.hpp"
#include "planner/datetime.hpp"
#include "planner/pg_format.hpp"
#include "planner/select_eval.hpp"

namespace hypertide::planner::detail {

namespace cs = chunkstore;

namespace {

double num(const datum& d) {
  return is_int(d.type) || d.type == oid::bool_ ? static_cast<double>(d.i) : d.f;
}

datum numeric_of(double x, std::string text) {
  datum d = make_float(x);
  d.type = oid::numeric;
  d.s = std::move(text);
  return d;
}

/// Decimal text of `x` with `scale` digits after the point (half away from
/// zero on the decimal text when `exact` holds it, as numeric rounds).
std::string fixed(double x, int scale) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", std::max(scale, 0), x);
  std::string s = buf;
  if (s == "-0" || s.find_first_not_of("-0.") == std::string::npos)
    if (s[0] == '-')
      s.erase(0, 1); // numeric has no negative zero
  return s;
}

/// numeric rounding of `d` (exact text when it has one) to `scale` digits,
/// half away from zero; `truncate` cuts instead.
datum numeric_round(const datum& d, int scale, bool truncate) {
  std::string s = d.s.empty() ? fixed(d.f, 17) : d.s;
  bool neg = !s.empty() && s[0] == '-';
  if (neg || (!s.empty() && s[0] == '+'))
    s.erase(0, 1);
  if (s.find_first_of("eE") != std::string::npos)
    s = fixed(std::fabs(d.f), 17);
  auto dot = s.find('.');
  std::string ip = dot == std::string::npos ? s : s.substr(0, dot);
  std::string fp = dot == std::string::npos ? "" : s.substr(dot + 1);
  if (ip.empty())
    ip = "0";
  int keep = std::max(scale, 0);
  fp.resize(std::max<size_t>(fp.size(), static_cast<size_t>(keep) + 1), '0');
  bool up = !truncate && fp[static_cast<size_t>(keep)] >= '5';
  std::string digits = ip + fp.substr(0, static_cast<size_t>(keep));
  if (up) {
    int i = static_cast<int>(digits.size()) - 1;
    while (i >= 0 && digits[static_cast<size_t>(i)] == '9')
      digits[static_cast<size_t>(i--)] = '0';
    if (i < 0)
      digits.insert(digits.begin(), '1');
    else
      ++digits[static_cast<size_t>(i)];
  }
  std::string out = digits.substr(0, digits.size() - static_cast<size_t>(keep));
  if (keep > 0)
    out += "." + digits.substr(digits.size() - static_cast<size_t>(keep));
  out.erase(0, std::min(out.find_first_not_of('0'), out.find('.') == std::string::npos
                                                         ? out.size() - 1
                                                         : out.find('.') - 1));
  bool zero = out.find_first_not_of("0.") == std::string::npos;
  if (neg && !zero)
    out.insert(out.begin(), '-');
  return numeric_of(std::strtod(out.c_str(), nullptr), out);
}

std::mt19937_64& rng() {
  thread_local std::mt19937_64 g{std::random_device{}()};
  return g;
}

/// Characters of UTF-8 text, as byte offsets of each character's start.
std::vector<size_t> char_starts(const std::string& s) {
  std::vector<size_t> out;
  for (size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80)
      out.push_back(i);
  return out;
}

/// Characters [from, from + count) of `s` (1-based `from`, PostgreSQL's
/// substr: positions before 1 count but return nothing).
std::string substr_chars(const std::string& s, int64_t from, std::optional<int64_t> count) {
  auto starts = char_starts(s);
  int64_t n = static_cast<int64_t>(starts.size());
  int64_t begin = from, end = count ? from + *count : n + 1;
  if (count && *count < 0)
    fail("22011", "negative substring length not allowed");
  begin = std::max<int64_t>(begin, 1);
  end = std::min<int64_t>(end, n + 1);
  if (begin >= end)
    return {};
  size_t b = starts[static_cast<size_t>(begin - 1)];
  size_t e = end > n ? s.size() : starts[static_cast<size_t>(end - 1)];
  return s.substr(b, e - b);
}

std::string trim_chars(const std::string& s, const std::string& set, bool left, bool right) {
  size_t b = 0, e = s.size();
  if (left)
    while (b < e && set.find(s[b]) != std::string::npos)
      ++b;
  if (right)
    while (e > b && set.find(s[e - 1]) != std::string::npos)
      --e;
  return s.substr(b, e - b);
}

/// Fields of a timestamp (UTC: the session's zone).
struct civil {
  int64_t year;
  unsigned month, day;
  int64_t days;     ///< since 1970-01-01
  int64_t of_day;   ///< microseconds into the day
};

civil civil_of(int64_t t) {
  civil c{};
  c.days = cs::floor_div(t, cs::usecs_per_day);
  c.of_day = t - c.days * cs::usecs_per_day;
  cs::civil_from_days(c.days, c.year, c.month, c.day);
  return c;
}

/// extract(field FROM t) as a double and as numeric text (PostgreSQL 14+
/// returns numeric: scale 6 for epoch and second, 3 for milliseconds,
/// none for the rest).
std::pair<double, std::string> extract_field(const std::string& field, int64_t t, bool with_zone) {
  if (is_infinite(t)) {
    double inf = t > 0 ? HUGE_VAL : -HUGE_VAL;
    if (field == "epoch" || field == "year" || field == "decade" || field == "century"
        || field == "millennium" || field == "isoyear" || field == "julian")
      return {inf, t > 0 ? "Infinity" : "-Infinity"};
    return {std::nan(""), "NULL"};
  }
  civil c = civil_of(t);
  auto whole = [](int64_t x) { return std::pair<double, std::string>{static_cast<double>(x), std::to_string(x)}; };
  auto scaled = [](int64_t micros, int scale) {
    // micros / 10^6 as decimal text with `scale` digits.
    bool neg = micros < 0;
    uint64_t a = neg ? static_cast<uint64_t>(-(micros + 1)) + 1 : static_cast<uint64_t>(micros);
    uint64_t ip = a / 1'000'000, fp = a % 1'000'000;
    std::string frac = std::to_string(fp);
    frac.insert(0, 6 - frac.size(), '0');
    frac.resize(static_cast<size_t>(scale));
    std::string s = (neg ? "-" : "") + std::to_string(ip) + (scale > 0 ? "." + frac : "");
    return std::pair<double, std::string>{static_cast<double>(micros) / 1e6, s};
  };
  int64_t secs_of_day = c.of_day / cs::usecs_per_second;
  int64_t dow = ((c.days % 7) + 7 + 4) % 7; // 1970-01-01 was a Thursday
  if (field == "epoch")
    return scaled(t, 6);
  if (field == "year")
    return whole(c.year > 0 ? c.year : c.year - 1);
  if (field == "month")
    return whole(c.month);
  if (field == "day")
    return whole(c.day);
  if (field == "hour")
    return whole(secs_of_day / 3600);
  if (field == "minute")
    return whole(secs_of_day / 60 % 60);
  if (field == "second")
    return scaled(c.of_day % (60 * cs::usecs_per_second), 6);
  if (field == "milliseconds") {
    int64_t us = c.of_day % (60 * cs::usecs_per_second);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(us / 1000),
                  static_cast<long long>(us % 1000));
    return {static_cast<double>(us) / 1000.0, buf};
  }
  if (field == "microseconds")
    return whole(c.of_day % (60 * cs::usecs_per_second));
  if (field == "dow")
    return whole(dow);
  if (field == "isodow")
    return whole(dow == 0 ? 7 : dow);
  if (field == "doy") {
    int64_t y = 0;
    unsigned m = 0, d = 0;
    cs::civil_from_days(c.days, y, m, d);
    return whole(c.days - cs::days_from_civil(y, 1, 1) + 1);
  }
  if (field == "quarter")
    return whole((c.month - 1) / 3 + 1);
  if (field == "week" || field == "isoyear") {
    // ISO 8601: weeks start on Monday; week 1 holds the year's first Thursday.
    int64_t iso_dow = dow == 0 ? 7 : dow;
    int64_t thursday = c.days - iso_dow + 4;
    int64_t ty = 0;
    unsigned tm = 0, td = 0;
    cs::civil_from_days(thursday, ty, tm, td);
    if (field == "isoyear")
      return whole(ty);
    return whole((thursday - cs::days_from_civil(ty, 1, 1)) / 7 + 1);
  }
  if (field == "decade")
    return whole(cs::floor_div(c.year, 10));
  if (field == "century")
    return whole(c.year > 0 ? (c.year + 99) / 100 : -((99 - c.year) / 100));
  if (field == "millennium")
    return whole(c.year > 0 ? (c.year + 999) / 1000 : -((999 - c.year) / 1000));
  if (field == "timezone" && with_zone)
    return whole(0);
  fail("22023", "unit \"" + field + "\" not supported for type "
                  + (with_zone ? "timestamp with time zone" : "timestamp without time zone"));
}

} // namespace

std::optional<int32_t> scalar_type(const std::string& name, const std::vector<int32_t>& args,
                                   int32_t location) {
  size_t n = args.size();
  auto want = [&](size_t lo, size_t hi) {
    if (n < lo || n > hi)
      fail("42883", "function " + name + "() does not exist with " + std::to_string(n)
                      + " argument" + (n == 1 ? "" : "s"), location);
  };
  auto number = [&](size_t i) {
    if (!is_number(args[i]) && args[i] != oid::unknown)
      fail("42883", "function " + name + "(" + type_name(args[i]) + ") does not exist", location);
  };
  if (name == "abs" || name == "sign") {
    want(1, 1);
    number(0);
    if (name == "sign") // sign(integer) resolves to sign(double precision)
      return args[0] == oid::numeric ? oid::numeric : oid::float8;
    return args[0] == oid::unknown ? oid::float8 : args[0];
  }
  if (name == "round" || name == "trunc" || name == "floor" || name == "ceil"
      || name == "ceiling") {
    want(1, name == "round" || name == "trunc" ? 2 : 1);
    number(0);
    if (n == 2) // round(numeric, int): PostgreSQL has no float version
      return oid::numeric;
    // An integer takes the double precision version (float8 is the preferred
    // numeric type when PostgreSQL resolves round(integer)).
    return args[0] == oid::numeric ? oid::numeric : oid::float8;
  }
  if (name == "sqrt" || name == "cbrt" || name == "exp" || name == "ln" || name == "log10"
      || name == "power" || name == "pow" || name == "log") {
    want(1, name == "power" || name == "pow" || name == "log" ? 2 : 1);
    if ((name == "power" || name == "pow") && n != 2)
      fail("42883", "function " + name + "() needs 2 arguments", location);
    for (size_t i = 0; i < n; ++i)
      number(i);
    bool numeric = std::any_of(args.begin(), args.end(), [](int32_t t) { return t == oid::numeric; })
                   || (name == "log" && n == 2);
    return numeric ? oid::numeric : oid::float8;
  }
  if (name == "mod") {
    want(2, 2);
    number(0);
    number(1);
    return is_int(args[0]) && is_int(args[1]) ? (args[0] == oid::int8 || args[1] == oid::int8 ? oid::int8 : oid::int4)
                                              : oid::numeric;
  }
  if (name == "pi" || name == "random") {
    want(0, 0);
    return oid::float8;
  }
  // Text functions: PostgreSQL has no implicit cast to text from numbers
  // or times, so `upper(1)` does not exist; `t` and `i` give each
  // argument's kind (text, integer).
  auto typed = [&](const char* kinds) {
    for (size_t i = 0; i < n; ++i) {
      bool ok = args[i] == oid::unknown
                || (kinds[i] == 't' ? args[i] == oid::text || args[i] == oid::varchar
                                    : is_int(args[i]));
      if (!ok) {
        std::string sig;
        for (size_t j = 0; j < n; ++j)
          sig += (j > 0 ? ", " : "") + std::string{type_name(args[j])};
        fail("42883", "function " + name + "(" + sig + ") does not exist", location);
      }
    }
  };
  if (name == "lower" || name == "upper" || name == "btrim" || name == "ltrim"
      || name == "rtrim" || name == "reverse" || name == "initcap") {
    want(1, name == "lower" || name == "upper" || name == "reverse" || name == "initcap" ? 1 : 2);
    typed("tt");
    return oid::text;
  }
  if (name == "length" || name == "char_length" || name == "character_length"
      || name == "octet_length") {
    want(1, 1);
    typed("t");
    return oid::int4;
  }
  if (name == "substr" || name == "substring") {
    want(2, 3);
    typed("tii");
    return oid::text;
  }
  if (name == "replace" || name == "split_part" || name == "left" || name == "right"
      || name == "repeat") {
    want(name == "replace" || name == "split_part" ? 3 : 2,
         name == "replace" || name == "split_part" ? 3 : 2);
    typed(name == "replace" ? "ttt" : name == "split_part" ? "tti" : "ti");
    return oid::text;
  }
  if (name == "strpos" || name == "position") {
    want(2, 2);
    typed("tt");
    return oid::int4;
  }
  if (name == "starts_with") {
    want(2, 2);
    typed("tt");
    return oid::bool_;
  }
  if (name == "concat") {
    return oid::text;
  }
  if (name == "concat_ws") {
    want(1, 100);
    return oid::text;
  }
  if (name == "date_part") {
    want(2, 2);
    if (!is_time(args[1]) && args[1] != oid::unknown)
      fail("42883", std::string{"function date_part(unknown, "} + type_name(args[1])
                      + ") does not exist", location);
    return oid::float8;
  }
  if (name == "extract") {
    want(2, 2);
    if (!is_time(args[1]) && args[1] != oid::unknown)
      fail("42883", std::string{"function extract(unknown, "} + type_name(args[1])
                      + ") does not exist", location);
    return oid::numeric;
  }
  if (name == "to_timestamp") {
    want(1, 1);
    number(0);
    return oid::timestamptz;
  }
  return std::nullopt;
}

datum apply_scalar(std::string_view name, int32_t type, const std::vector<datum>& a) {
  // Strict functions: NULL in, NULL out (concat and concat_ws are not).
  if (name != "concat" && name != "concat_ws")
    for (const auto& x : a)
      if (x.null)
        return null_of(type);
  auto text = [&](size_t i) { return to_text(a[i]).value_or(""); };
  auto integer = [&](size_t i) {
    return is_int(a[i].type) ? a[i].i : static_cast<int64_t>(std::llround(num(a[i])));
  };
  auto float_result = [&](double x) {
    datum d = make_float(x);
    if (type == oid::numeric)
      return numeric_of(x, format_float8(x));
    d.type = type;
    return d;
  };
  if (name == "abs") {
    if (is_int(a[0].type)) {
      if (a[0].i == INT64_MIN)
        fail("22003", "bigint out of range");
      return narrowed(make_int(type, std::llabs(a[0].i)), type, -1);
    }
    if (a[0].type == oid::numeric && !a[0].s.empty())
      return numeric_of(std::fabs(a[0].f), a[0].s[0] == '-' ? a[0].s.substr(1) : a[0].s);
    datum d = a[0];
    d.f = std::fabs(d.f);
    d.type = type;
    return d;
  }
  if (name == "sign")
    return float_result(num(a[0]) > 0 ? 1 : num(a[0]) < 0 ? -1 : 0);
  if (name == "round" || name == "trunc" || name == "floor" || name == "ceil"
      || name == "ceiling") {
    double x = num(a[0]);
    if (type == oid::float8) {
      double r = name == "round" ? std::nearbyint(x) // float rounds half to even
                 : name == "trunc" ? std::trunc(x)
                 : name == "floor" ? std::floor(x)
                                   : std::ceil(x);
      return make_float(r);
    }
    datum v = a[0];
    if (is_int(v.type))
      v = numeric_of(static_cast<double>(v.i), std::to_string(v.i));
    if (name == "floor" || name == "ceil" || name == "ceiling") {
      double r = name == "floor" ? std::floor(x) : std::ceil(x);
      return numeric_of(r, fixed(r, 0));
    }
    int scale = a.size() > 1 ? static_cast<int>(integer(1)) : 0;
    if (scale < 0) { // round(1234.5, -2) = 1200
      double p = std::pow(10.0, -scale);
      double r = (name == "round" ? std::round(x / p) : std::trunc(x / p)) * p;
      return numeric_of(r, fixed(r, 0));
    }
    return numeric_round(v, scale, name == "trunc");
  }
  if (name == "sqrt" || name == "cbrt" || name == "exp" || name == "ln" || name == "log10"
      || name == "log" || name == "power" || name == "pow") {
    double x = num(a[0]);
    if ((name == "sqrt") && x < 0)
      fail("2201F", "cannot take square root of a negative number");
    if ((name == "ln" || name == "log10" || (name == "log" && a.size() == 1)) && x <= 0)
      fail("2201E", x == 0 ? "cannot take logarithm of zero"
                           : "cannot take logarithm of a negative number");
    double r = name == "sqrt"    ? std::sqrt(x)
               : name == "cbrt"  ? std::cbrt(x)
               : name == "exp"   ? std::exp(x)
               : name == "ln"    ? std::log(x)
               : name == "log10" ? std::log10(x)
               : name == "log"   ? (a.size() == 1 ? std::log10(x) : std::log(num(a[1])) / std::log(x))
                                 : std::pow(x, num(a[1]));
    if (!std::isfinite(r) && std::isfinite(x))
      fail("22003", "value out of range: overflow");
    return float_result(r);
  }
  if (name == "mod") {
    if (is_int(type)) {
      if (a[1].i == 0)
        fail("22012", "division by zero");
      return make_int(type, a[1].i == -1 ? 0 : a[0].i % a[1].i);
    }
    if (num(a[1]) == 0)
      fail("22012", "division by zero");
    return float_result(std::fmod(num(a[0]), num(a[1])));
  }
  if (name == "pi")
    return make_float(M_PI);
  if (name == "random")
    return make_float(std::uniform_real_distribution<double>{0.0, 1.0}(rng()));
  if (name == "lower" || name == "upper") {
    std::string s = text(0);
    for (auto& c : s)
      c = static_cast<char>(name == "lower" ? std::tolower(static_cast<unsigned char>(c))
                                            : std::toupper(static_cast<unsigned char>(c)));
    return make_text(std::move(s));
  }
  if (name == "initcap") {
    std::string s = text(0);
    bool start = true;
    for (auto& c : s) {
      auto u = static_cast<unsigned char>(c);
      c = static_cast<char>(start ? std::toupper(u) : std::tolower(u));
      start = !std::isalnum(u);
    }
    return make_text(std::move(s));
  }
  if (name == "length" || name == "char_length" || name == "character_length")
    return make_int(oid::int4, static_cast<int64_t>(char_starts(text(0)).size()));
  if (name == "octet_length")
    return make_int(oid::int4, static_cast<int64_t>(text(0).size()));
  if (name == "reverse") {
    auto s = text(0);
    auto starts = char_starts(s);
    std::string out;
    for (size_t i = starts.size(); i-- > 0;)
      out += s.substr(starts[i], (i + 1 < starts.size() ? starts[i + 1] : s.size()) - starts[i]);
    return make_text(std::move(out));
  }
  if (name == "btrim" || name == "ltrim" || name == "rtrim")
    return make_text(trim_chars(text(0), a.size() > 1 ? text(1) : " ", name != "rtrim",
                                name != "ltrim"));
  if (name == "substr" || name == "substring")
    return make_text(substr_chars(text(0), integer(1),
                                  a.size() > 2 ? std::optional<int64_t>{integer(2)} : std::nullopt));
  if (name == "left" || name == "right") {
    auto s = text(0);
    int64_t n = integer(1);
    int64_t len = static_cast<int64_t>(char_starts(s).size());
    int64_t keep = n >= 0 ? std::min(n, len) : std::max<int64_t>(len + n, 0);
    return make_text(name == "left" ? substr_chars(s, 1, keep)
                                    : substr_chars(s, len - keep + 1, keep));
  }
  if (name == "repeat") {
    std::string out, s = text(0);
    for (int64_t i = 0; i < integer(1); ++i) {
      out += s;
      if (out.size() > (1u << 30))
        fail("54000", "requested length too large");
    }
    return make_text(std::move(out));
  }
  if (name == "replace") {
    std::string s = text(0), from = text(1), to = text(2), out;
    if (from.empty())
      return make_text(s);
    size_t i = 0;
    for (size_t j; (j = s.find(from, i)) != std::string::npos; i = j + from.size())
      out += s.substr(i, j - i) + to;
    return make_text(out + s.substr(i));
  }
  if (name == "split_part") {
    std::string s = text(0), d = text(1);
    int64_t k = integer(2);
    if (k == 0)
      fail("22023", "field position must not be zero");
    std::vector<std::string> parts;
    if (d.empty()) {
      parts.push_back(s);
    } else {
      size_t i = 0;
      for (size_t j; (j = s.find(d, i)) != std::string::npos; i = j + d.size())
        parts.push_back(s.substr(i, j - i));
      parts.push_back(s.substr(i));
    }
    int64_t idx = k > 0 ? k - 1 : static_cast<int64_t>(parts.size()) + k;
    return make_text(idx >= 0 && idx < static_cast<int64_t>(parts.size())
                       ? parts[static_cast<size_t>(idx)]
                       : "");
  }
  if (name == "strpos" || name == "position") {
    std::string s = text(0), sub = text(1);
    size_t at = s.find(sub);
    if (at == std::string::npos)
      return make_int(oid::int4, 0);
    return make_int(oid::int4, static_cast<int64_t>(char_starts(s.substr(0, at)).size()) + 1);
  }
  if (name == "starts_with")
    return make_int(oid::bool_, text(0).rfind(text(1), 0) == 0 ? 1 : 0);
  if (name == "concat" || name == "concat_ws") {
    std::string out;
    bool first = true;
    if (name == "concat_ws" && a[0].null)
      return null_of(oid::text);
    for (size_t i = name == "concat" ? 0 : 1; i < a.size(); ++i) {
      if (a[i].null)
        continue;
      if (!first && name == "concat_ws")
        out += text(0);
      out += a[i].type == oid::bool_ ? (a[i].i ? "t" : "f") : text(i);
      first = false;
    }
    return make_text(std::move(out));
  }
  if (name == "date_part" || name == "extract") {
    std::string field = text(0);
    for (auto& c : field)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (field == "epochs")
      field = "epoch";
    auto [f, s] = extract_field(field, a[1].i, a[1].type == oid::timestamptz);
    if (s == "NULL")
      return null_of(type);
    if (name == "date_part")
      return make_float(f);
    return numeric_of(f, s);
  }
  if (name == "to_timestamp") {
    double x = num(a[0]);
    if (std::isinf(x))
      return make_int(oid::timestamptz, x > 0 ? cs::max_timestamp : cs::min_timestamp);
    if (std::isnan(x) || std::fabs(x) > 9.2e12)
      fail("22008", "timestamp out of range: \"" + format_float8(x) + "\"");
    return make_int(oid::timestamptz, static_cast<int64_t>(std::llround(x * 1e6)));
  }
  fail("0A000", "function " + std::string{name} + "() is not supported yet");
}

} // namespace hypertide::planner::detail
