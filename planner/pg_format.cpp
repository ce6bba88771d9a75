#include "planner/pg_format.hpp"

#include <cctype>
#include <charconv>
#include <vector>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace hypertide::planner {

namespace cs = chunkstore;

int32_t oid_of(const cs::column_def& c) noexcept {
  return c.sql_oid != 0 ? c.sql_oid : oid_of(c.type);
}

int32_t oid_of(cs::column_type t) noexcept {
  switch (t) {
    case cs::column_type::timestamptz: return oid::timestamptz;
    case cs::column_type::timestamp: return oid::timestamp;
    case cs::column_type::int4: return oid::int4;
    case cs::column_type::int8: return oid::int8;
    case cs::column_type::float8: return oid::float8;
    case cs::column_type::boolean: return oid::bool_;
    case cs::column_type::text: return oid::text;
  }
  return oid::text;
}

namespace {

/// PostgreSQL's float output for a value of type T (double: float8, float:
/// float4): shortest round-trip digits, fixed notation for decimal
/// exponents -4 .. max_fixed_exp, else `1.5e+20`.
template <class T>
char* format_float_to(char* out, T x, int max_fixed_exp) {
  auto put = [&](std::string_view s) {
    std::memcpy(out, s.data(), s.size());
    return out + s.size();
  };
  // Integers below 10^15 print as integers: the common case, and cheap
  // (checked first: NaN fails the comparison, zero keeps its sign below).
  if (std::fabs(x) < (max_fixed_exp == 14 ? T(1e15) : T(1e6))) {
    auto i = static_cast<int64_t>(x);
    if (static_cast<T>(i) == x && i != 0) {
      if (i > 0 && i < 100) {
        if (i >= 10)
          *out++ = static_cast<char>('0' + i / 10);
        *out++ = static_cast<char>('0' + i % 10);
        return out;
      }
      return std::to_chars(out, out + 24, i).ptr;
    }
  }
  if (std::isnan(x))
    return put("NaN");
  if (std::isinf(x))
    return put(x > 0 ? "Infinity" : "-Infinity");
  if (x == 0)
    return put(std::signbit(x) ? "-0" : "0");
  // Shortest round-trip digits, in scientific form: d[.ddd]e±XX.
  char sci[40];
  char* sci_end = std::to_chars(sci, sci + sizeof sci, x, std::chars_format::scientific).ptr;
  const char* p = sci;
  if (*p == '-')
    *out++ = *p++;
  char digits[24];
  int nd = 0;
  while (*p != 'e') {
    if (*p != '.')
      digits[nd++] = *p;
    ++p;
  }
  int exp = 0;
  std::from_chars(p + (p[1] == '+' ? 2 : 1), sci_end, exp);
  if (exp < -4 || exp > max_fixed_exp) {
    *out++ = digits[0];
    if (nd > 1) {
      *out++ = '.';
      out = put({digits + 1, static_cast<size_t>(nd - 1)});
    }
    *out++ = 'e';
    *out++ = exp < 0 ? '-' : '+';
    int a = exp < 0 ? -exp : exp;
    if (a < 10)
      *out++ = '0';
    return std::to_chars(out, out + 4, a).ptr;
  }
  if (exp < 0) {
    out = put("0.");
    for (int i = 0; i < -exp - 1; ++i)
      *out++ = '0';
    return put({digits, static_cast<size_t>(nd)});
  }
  if (exp + 1 >= nd) {
    out = put({digits, static_cast<size_t>(nd)});
    for (int i = nd; i < exp + 1; ++i)
      *out++ = '0';
    return out;
  }
  out = put({digits, static_cast<size_t>(exp + 1)});
  *out++ = '.';
  return put({digits + exp + 1, static_cast<size_t>(nd - exp - 1)});
}

} // namespace

char* format_float8_to(char* out, double x) {
  return format_float_to(out, x, 14);
}

char* format_float4_to(char* out, double x) {
  return format_float_to(out, static_cast<float>(x), 5);
}

std::string format_float4(double x) {
  char buf[float8_text_max];
  return std::string{buf, format_float4_to(buf, x)};
}

std::string format_float8(double x) {
  char buf[float8_text_max];
  return std::string{buf, format_float8_to(buf, x)};
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
  // PostgreSQL's select_div_scale(): zero has weight 0 and leading digit 0.
  int w1, w2;
  unsigned f1, f2;
  weight_of(a, w1, f1);
  weight_of(b, w2, f2);
  int qweight = w1 - w2;
  if (f1 <= f2)
    --qweight;
  int rscale = 16 - qweight * 4;
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

/// LIKE: % any run, _ one character, \ escapes the next. Iterative, with
/// backtracking to the last % only: O(len(s) * len(p)) at worst.
bool like_match(std::string_view s, std::string_view p) {
  size_t si = 0, pi = 0;
  size_t star = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '%') {
      star = pi++;
      star_s = si;
      continue;
    }
    if (pi < p.size()) {
      bool escaped = p[pi] == '\\' && pi + 1 < p.size();
      char want = escaped ? p[pi + 1] : p[pi];
      if ((!escaped && want == '_') || want == s[si]) {
        pi += escaped ? 2 : 1;
        ++si;
        continue;
      }
    }
    if (star == std::string_view::npos)
      return false;
    pi = star + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '%')
    ++pi;
  return pi == p.size();
}

std::optional<chunkstore::pg_error> too_deep_for_parser(std::string_view sql, int limit) {
  // A small lexer: string and quoted-identifier literals, dollar quotes and
  // comments are skipped; a run of operator characters is one operator; a
  // chain of them at one parenthesis level ends at a comma, a semicolon or
  // a keyword that separates expressions.
  static const char* const separators[] = {
    "and", "or", "when", "then", "else", "end", "case", "select", "from", "where", "on",
    "in", "between", "like", "ilike", "is", "not", "as", "by", "values", "set", "using",
    "join", "union", "except", "intersect", "having", "limit", "offset", "returning"};
  std::vector<int> chain{0};
  auto too_deep = [&] {
    return chunkstore::pg_error{"54001", "stack depth limit exceeded",
                    "An expression nests more than " + std::to_string(limit)
                      + " levels (operators in a chain, or parentheses): hypertide refuses it "
                        "before parsing, as PostgreSQL refuses what exceeds max_stack_depth."};
  };
  size_t i = 0, n = sql.size();
  auto lower_word = [&](size_t b, size_t e) {
    std::string w{sql.substr(b, e - b)};
    for (auto& c : w)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return w;
  };
  while (i < n) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      char q = c;
      bool backslashes = q == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e');
      for (++i; i < n; ++i) {
        if (backslashes && sql[i] == '\\') {
          ++i;
          continue;
        }
        if (sql[i] == q) {
          if (i + 1 < n && sql[i + 1] == q) {
            ++i;
            continue;
          }
          break;
        }
      }
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n')
        ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      int level = 0;
      while (i < n) {
        if (sql[i] == '/' && i + 1 < n && sql[i + 1] == '*') {
          ++level;
          i += 2;
        } else if (sql[i] == '*' && i + 1 < n && sql[i + 1] == '/') {
          i += 2;
          if (--level == 0)
            break;
        } else {
          ++i;
        }
      }
      continue;
    }
    if (c == '$') {
      size_t e = sql.find('$', i + 1);
      if (e != std::string_view::npos) {
        auto tag = sql.substr(i, e - i + 1);
        bool is_tag = true;
        for (char t : tag.substr(1, tag.size() - 2))
          is_tag = is_tag && (std::isalnum(static_cast<unsigned char>(t)) || t == '_');
        if (is_tag && !(tag.size() > 2 && std::isdigit(static_cast<unsigned char>(tag[1])))) {
          size_t close = sql.find(tag, e + 1);
          i = close == std::string_view::npos ? n : close + tag.size();
          continue;
        }
      }
      ++i; // $1 parameters
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t b = i;
      while (i < n && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_'))
        ++i;
      std::string w = lower_word(b, i);
      for (const char* k : separators)
        if (w == k)
          chain.back() = 0;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < n
                                                          && std::isdigit(static_cast<unsigned char>(sql[i + 1])))) {
      while (i < n && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '.'
                       || ((sql[i] == '+' || sql[i] == '-') && (sql[i - 1] == 'e' || sql[i - 1] == 'E'))))
        ++i;
      continue;
    }
    if (c == '(') {
      chain.push_back(0);
      if (static_cast<int>(chain.size()) > limit)
        return too_deep();
      ++i;
      continue;
    }
    if (c == ')') {
      if (chain.size() > 1)
        chain.pop_back();
      ++i;
      continue;
    }
    if (c == ',' || c == ';') {
      chain.back() = 0;
      ++i;
      continue;
    }
    if (std::strchr("+-*/%^|&<>=~!#@", c) != nullptr) {
      while (i < n && std::strchr("+-*/%^|&<>=~!#@", sql[i]) != nullptr)
        ++i;
      if (++chain.back() > limit)
        return too_deep();
      continue;
    }
    ++i;
  }
  return std::nullopt;
}

} // namespace hypertide::planner
