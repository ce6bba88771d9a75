#include "planner/pg_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace hypertide::planner {

namespace cs = chunkstore;

int32_t oid_of(cs::column_type t) noexcept {
  switch (t) {
    case cs::column_type::timestamptz: return oid::timestamptz;
    case cs::column_type::int4: return oid::int4;
    case cs::column_type::int8: return oid::int8;
    case cs::column_type::float8: return oid::float8;
    case cs::column_type::boolean: return oid::bool_;
    case cs::column_type::text: return oid::text;
  }
  return oid::text;
}

std::string format_float8(double x) {
  if (std::isnan(x))
    return "NaN";
  if (std::isinf(x))
    return x > 0 ? "Infinity" : "-Infinity";
  if (x == 0)
    return std::signbit(x) ? "-0" : "0";
  // Shortest round-trip digits, in scientific form: d[.ddd]e±XX.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string sci{buf, r.ptr};
  auto e = sci.find('e');
  int exp = std::atoi(sci.c_str() + e + 1);
  std::string mant = sci.substr(0, e);
  bool neg = mant[0] == '-';
  if (neg)
    mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.')
      digits += c;
  std::string out;
  if (exp < -4 || exp >= 15) {
    out = digits.substr(0, 1);
    if (digits.size() > 1)
      out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  } else if (exp < 0) {
    out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out = digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
  }
  return neg ? "-" + out : out;
}

std::string format_int128(__int128 x) {
  if (x == 0)
    return "0";
  bool neg = x < 0;
  unsigned __int128 u = neg ? static_cast<unsigned __int128>(-(x + 1)) + 1
                            : static_cast<unsigned __int128>(x);
  std::string s;
  while (u > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return neg ? "-" + s : s;
}

namespace {

/// PostgreSQL's numeric weight (base-10000 digit index) and leading digit.
void weight_of(unsigned __int128 v, int& weight, unsigned& first) {
  weight = 0;
  while (v >= 10000) {
    v /= 10000;
    ++weight;
  }
  first = static_cast<unsigned>(v);
}

} // namespace

std::string format_numeric_avg(__int128 sum, int64_t count) {
  if (count <= 0)
    return {};
  bool neg = sum < 0;
  unsigned __int128 a = neg ? static_cast<unsigned __int128>(-(sum + 1)) + 1
                            : static_cast<unsigned __int128>(sum);
  auto b = static_cast<unsigned __int128>(count);
  int rscale = 16;
  if (a != 0) {
    int w1, w2;
    unsigned f1, f2;
    weight_of(a, w1, f1);
    weight_of(b, w2, f2);
    int qweight = w1 - w2;
    if (f1 <= f2)
      --qweight;
    rscale = 16 - qweight * 4;
  }
  rscale = std::max(0, std::min(rscale, 1000));
  // Exact rounding (half away from zero) while the scaled dividend fits.
  unsigned __int128 scale = 1;
  bool fits = true;
  for (int i = 0; i < rscale; ++i) {
    if (scale > (~static_cast<unsigned __int128>(0)) / 10 / (a == 0 ? 1 : a)) {
      fits = false;
      break;
    }
    scale *= 10;
  }
  std::string digits;
  if (fits) {
    unsigned __int128 q = (a * scale + b / 2) / b;
    digits = format_int128(static_cast<__int128>(q));
  } else {
    // Beyond 128 bits: long double keeps about 19 significant digits.
    long double v = static_cast<long double>(a) / static_cast<long double>(b);
    char buf[128];
    std::snprintf(buf, sizeof buf, "%.*Lf", rscale, v);
    std::string s = buf;
    return neg && s.find_first_not_of("0.") != std::string::npos ? "-" + s : s;
  }
  if (rscale > 0) {
    if (digits.size() <= static_cast<size_t>(rscale))
      digits.insert(0, static_cast<size_t>(rscale) + 1 - digits.size(), '0');
    digits.insert(digits.size() - static_cast<size_t>(rscale), ".");
  }
  bool zero = digits.find_first_not_of("0.") == std::string::npos;
  return neg && !zero ? "-" + digits : digits;
}

} // namespace hypertide::planner
