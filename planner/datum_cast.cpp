// Casts and coercions of datums (select_eval.hpp): the SQL types' names
// and classes, literals read as a type, explicit casts, the common type of
// two columns, comparison, and numeric's scale. Split from select_eval.cpp,
// which evaluates expressions with these.

#include "planner/select_eval.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "planner/datetime.hpp"
#include "planner/interval.hpp"
#include "planner/pg_format.hpp"

namespace hypertide::planner::detail {

namespace cs = chunkstore;

void fail(std::string sqlstate, std::string message, int32_t location) {
  throw bind_failure{{cs::pg_error{std::move(sqlstate), std::move(message), {}},
                      location >= 0 ? location + 1 : 0}};
}

const char* type_name(int32_t t) {
  switch (t) {
    case oid::bool_: return "boolean";
    case oid::int8: return "bigint";
    case oid::int4: return "integer";
    case oid::int2: return "smallint";
    case oid::float4: return "real";
    case oid::varchar: return "character varying";
    case oid::text: return "text";
    case oid::float8: return "double precision";
    case oid::timestamptz: return "timestamp with time zone";
    case oid::timestamp: return "timestamp without time zone";
    case oid::interval: return "interval";
    case oid::numeric: return "numeric";
    default: return "unknown";
  }
}

bool is_int(int32_t t) { return t == oid::int4 || t == oid::int8 || t == oid::int2; }
bool is_time(int32_t t) { return t == oid::timestamptz || t == oid::timestamp; }
bool is_float(int32_t t) { return t == oid::float8 || t == oid::float4; }
bool is_number(int32_t t) { return is_int(t) || is_float(t) || t == oid::numeric; }

datum narrowed(datum d, int32_t t, int32_t location) {
  d.type = t;
  if (d.null)
    return d;
  if (t == oid::float4) {
    if (std::isfinite(d.f) && std::fabs(d.f) > std::numeric_limits<float>::max())
      fail("22003", "value out of range: overflow", location);
    d.f = static_cast<float>(d.f);
  } else if (t == oid::int2 && (d.i > INT16_MAX || d.i < INT16_MIN)) {
    fail("22003", "smallint out of range", location);
  } else if (t == oid::int4 && (d.i > INT32_MAX || d.i < INT32_MIN)) {
    fail("22003", "integer out of range", location);
  }
  return d;
}

datum make_int(int32_t type, int64_t x) {
  datum d;
  d.type = type;
  d.null = false;
  d.i = x;
  return d;
}

datum make_float(double x) {
  datum d;
  d.type = oid::float8;
  d.null = false;
  d.f = x;
  return d;
}

datum make_text(std::string s) {
  datum d;
  d.type = oid::text;
  d.null = false;
  d.s = std::move(s);
  return d;
}

datum null_of(int32_t type) {
  datum d;
  d.type = type;
  return d;
}

double as_double(const datum& d) {
  return is_float(d.type) || d.type == oid::numeric ? d.f : static_cast<double>(d.i);
}

/// Reads an unknown-typed literal as type `t` (the other operand's type).
datum coerce(const datum& d, int32_t t, int32_t location) {
  if (d.null) {
    datum n = d;
    n.type = t;
    return n;
  }
  if (d.type == t)
    return d;
  // timestamptz <-> timestamp: the same instant in the session's zone, UTC.
  if (is_time(d.type) && is_time(t))
    return make_int(t, d.i);
  if (d.type == oid::unknown || d.type == oid::text) {
    if (d.type == oid::text && t != oid::text && t != oid::varchar)
      fail("42883", std::string{"operator does not exist: "} + type_name(t) + " = text", location);
    switch (t) {
      case oid::timestamptz:
      case oid::timestamp: {
        auto ts = t == oid::timestamp ? parse_timestamp(d.s) : parse_timestamptz(d.s);
        if (!ts)
          fail("22007", std::string{"invalid input syntax for type "} + type_name(t) + ": \""
                          + d.s + "\"", location);
        return make_int(t, *ts);
      }
      case oid::int2:
      case oid::int4:
      case oid::int8: {
        char* end = nullptr;
        errno = 0;
        long long x = std::strtoll(d.s.c_str(), &end, 10);
        if (d.s.empty() || *end != '\0')
          fail("22P02", std::string{"invalid input syntax for type "} + type_name(t) + ": \""
                          + d.s + "\"", location);
        if (errno == ERANGE || (t == oid::int4 && (x > INT32_MAX || x < INT32_MIN))
            || (t == oid::int2 && (x > INT16_MAX || x < INT16_MIN)))
          fail("22003", "value \"" + d.s + "\" is out of range for type " + type_name(t),
               location);
        return make_int(t, x);
      }
      case oid::float4:
      case oid::float8:
      case oid::numeric: {
        char* end = nullptr;
        errno = 0;
        double x = std::strtod(d.s.c_str(), &end);
        if (d.s.empty() || *end != '\0')
          fail("22P02", std::string{"invalid input syntax for type "}
                          + (t == oid::float4 ? "real" : "double precision") + ": \"" + d.s
                          + "\"",
               location);
        // Past double's range (not "Infinity" written out) is 22003.
        if (errno == ERANGE && (std::isinf(x) || x == 0))
          fail("22003", "\"" + d.s + "\" is out of range for type "
                          + (t == oid::float4 ? "real" : "double precision"),
               location);
        if (t == oid::numeric) {
          // numeric keeps the digits it was written with (its scale).
          datum n = make_float(x);
          n.type = oid::numeric;
          bool plain = d.s.find_first_not_of("+-0123456789.") == std::string::npos;
          n.s = plain ? d.s : format_float8(x);
          if (!n.s.empty() && n.s[0] == '+')
            n.s.erase(0, 1);
          if (!n.s.empty() && n.s[0] == '.')
            n.s.insert(0, "0");
          if (n.s.rfind("-.", 0) == 0)
            n.s.insert(1, "0");
          return n;
        }
        return t == oid::float4 ? narrowed(make_float(x), t, location) : make_float(x);
      }
      case oid::bool_: {
        std::string v = d.s;
        for (auto& c : v)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        // PostgreSQL's boolin: any prefix of true/false/yes/no, on, off
        // (at least "of"), 1, 0; blanks around are skipped.
        auto b = v.find_first_not_of(" \t\n\r");
        v = b == std::string::npos ? "" : v.substr(b, v.find_last_not_of(" \t\n\r") - b + 1);
        auto prefix_of = [&](std::string_view w) {
          return !v.empty() && v.size() <= w.size() && w.compare(0, v.size(), v) == 0;
        };
        if (prefix_of("true") || prefix_of("yes") || v == "on" || v == "1")
          return make_int(oid::bool_, 1);
        if (prefix_of("false") || prefix_of("no") || (v.size() >= 2 && prefix_of("off"))
            || v == "0")
          return make_int(oid::bool_, 0);
        fail("22P02", "invalid input syntax for type boolean: \"" + d.s + "\"", location);
      }
      case oid::interval: {
        auto iv = parse_interval(d.s);
        if (!iv)
          fail("22007", "invalid input syntax for type interval: \"" + d.s + "\"", location);
        datum r;
        r.type = oid::interval;
        r.null = false;
        r.iv = *iv;
        return r;
      }
      case oid::text:
      case oid::varchar: {
        datum r = d;
        r.type = t;
        return r;
      }
      default:
        break;
    }
  }
  if (is_number(d.type) && is_number(t)) {
    if (is_float(t) || t == oid::numeric) {
      datum r = make_float(as_double(d));
      r.type = t;
      if (t == oid::numeric)
        r.s = d.type == oid::numeric ? d.s : is_int(d.type) ? std::to_string(d.i) : format_float8(d.f);
      return narrowed(r, t, location);
    }
    if (is_float(d.type) || d.type == oid::numeric)
      return narrowed(make_int(t, static_cast<int64_t>(std::llround(d.f))), t, location);
    return narrowed(make_int(t, d.i), t, location);
  }
  if ((d.type == oid::text || d.type == oid::varchar) && (t == oid::text || t == oid::varchar)) {
    datum r = d;
    r.type = t;
    return r;
  }
  fail("42804", std::string{"cannot compare "} + type_name(d.type) + " with " + type_name(t),
       location);
}

bool castable(int32_t from, int32_t to) {
  auto texty = [](int32_t t) { return t == oid::text || t == oid::varchar || t == oid::unknown; };
  if (from == to || texty(from) || to == oid::text || to == oid::varchar)
    return true;
  if (is_number(from) && is_number(to))
    return true;
  if (is_time(from) && is_time(to))
    return true;
  // PostgreSQL casts boolean to and from integer (int4) only.
  return (from == oid::bool_ && to == oid::int4) || (from == oid::int4 && to == oid::bool_);
}

datum cast_datum(const datum& d, int32_t t, int32_t location) {
  if (!castable(d.type, t))
    fail("42846", std::string{"cannot cast type "} + type_name(d.type) + " to " + type_name(t),
         location);
  if (d.null)
    return null_of(t);
  if (d.type == t)
    return d;
  if (t == oid::text || t == oid::varchar) {
    // boolean's cast to text spells the word (its output is t/f).
    datum r = make_text(d.type == oid::bool_ ? (d.i ? "true" : "false") : to_text(d).value_or(""));
    r.type = t;
    return r;
  }
  if (d.type == oid::text || d.type == oid::varchar || d.type == oid::unknown) {
    datum u = d;
    u.type = oid::unknown;
    // PostgreSQL's input functions skip surrounding blanks.
    auto b = u.s.find_first_not_of(" \t\n\r");
    u.s = b == std::string::npos ? std::string{} : u.s.substr(b, u.s.find_last_not_of(" \t\n\r") - b + 1);
    if (t == oid::text || t == oid::varchar || t == oid::interval)
      u.s = d.s;
    return coerce(u, t, location);
  }
  if (d.type == oid::bool_)
    return make_int(oid::int4, d.i ? 1 : 0);
  if (t == oid::bool_)
    return make_int(oid::bool_, d.i != 0 ? 1 : 0);
  if (is_number(d.type) && is_int(t) && (is_float(d.type) || d.type == oid::numeric)) {
    // float to integer rounds half to even (rint), numeric half away from
    // zero, as PostgreSQL does; out of range is 22003.
    double x = d.type == oid::numeric ? std::round(d.f) : std::nearbyint(d.f);
    if (!std::isfinite(x) || x < -9223372036854775808.0 || x >= 9223372036854775808.0)
      fail("22003", std::string{t == oid::int8 ? "bigint" : t == oid::int2 ? "smallint" : "integer"}
                      + " out of range", location);
    return narrowed(make_int(t, static_cast<int64_t>(x)), t, location);
  }
  return coerce(d, t, location);
}

datum cut_varchar(datum d, int32_t n) {
  if (n < 0 || d.null || (d.type != oid::text && d.type != oid::varchar))
    return d;
  size_t chars = 0;
  for (size_t i = 0; i < d.s.size(); ++i) {
    if ((static_cast<unsigned char>(d.s[i]) & 0xC0) == 0x80)
      continue; // a continuation byte
    if (chars == static_cast<size_t>(n)) {
      d.s.resize(i);
      break;
    }
    ++chars;
  }
  return d;
}

/// The type of a result column whose sides have types `a` and `b`, as
/// PostgreSQL resolves UNION, CASE and VALUES: unknown literals take the
/// other side's type, numbers the wider one, strings text, timestamps with
/// and without zone timestamptz.
int32_t common_type(int32_t a, int32_t b, const char* op, int32_t location) {
  auto texty = [](int32_t t) { return t == oid::text || t == oid::varchar || t == oid::unknown; };
  if (a == b)
    return a; // unknown stays unknown: the caller makes it text at the end
  if (a == oid::unknown)
    return b;
  if (b == oid::unknown)
    return a;
  if (texty(a) && texty(b))
    return oid::text;
  if (is_time(a) && is_time(b))
    return oid::timestamptz;
  if (is_number(a) && is_number(b)) {
    auto rank = [](int32_t t) {
      return t == oid::int2 ? 0 : t == oid::int4 ? 1 : t == oid::int8 ? 2 : t == oid::numeric ? 3
             : t == oid::float4 ? 4 : 5;
    };
    int32_t wide = rank(a) >= rank(b) ? a : b;
    return wide == oid::float4 ? oid::float8 : wide; // real with another number: float8
  }
  fail("42804", std::string{op} + " types " + type_name(a) + " and " + type_name(b)
                  + " cannot be matched", location);
}

/// -1, 0, 1 for non-NULL datums of comparable types (NaN sorts last).
int compare(const datum& a, const datum& b) {
  if (a.type == oid::text || b.type == oid::text || a.type == oid::unknown
      || a.type == oid::varchar)
    return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  if (a.type == oid::interval) {
    auto x = static_cast<__int128>(a.iv.months) * 30 * cs::usecs_per_day
             + static_cast<__int128>(a.iv.days) * cs::usecs_per_day + a.iv.micros;
    auto y = static_cast<__int128>(b.iv.months) * 30 * cs::usecs_per_day
             + static_cast<__int128>(b.iv.days) * cs::usecs_per_day + b.iv.micros;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (is_float(a.type) || a.type == oid::numeric || is_float(b.type) || b.type == oid::numeric) {
    return cs::float8_order(as_double(a), as_double(b));
  }
  return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
}

int64_t interval_micros(const interval& iv, int32_t location) {
  auto us = iv.fixed_micros();
  if (!us)
    fail("0A000", "intervals with months are not supported in this expression yet", location);
  return *us;
}

/// The scale (digits after the point) of a numeric datum's text; -1 for
/// other types and numerics without one (from a double).
int numeric_scale(const datum& v) {
  if (v.type != oid::numeric || v.null || v.s.empty()
      || v.s.find_first_of("eEIN") != std::string::npos) // exponent, Infinity, NaN
    return -1;
  auto dot = v.s.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(v.s.size() - dot - 1);
}

/// A numeric of value `x` printed with `scale` digits after the point (the
/// double's last-bit noise rounds away).
datum numeric_at_scale(double x, int scale) {
  datum d = make_float(x);
  d.type = oid::numeric;
  if (!std::isfinite(x)) {
    d.s = format_float8(x);
    return d;
  }
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", std::min(scale, 300), x);
  d.s = buf;
  if (d.s[0] == '-' && d.s.find_first_not_of("-0.") == std::string::npos)
    d.s.erase(0, 1); // numeric has no negative zero
  return d;
}

} // namespace hypertide::planner::detail
