#include <regex>
#include <string>

#include "planner/catalog_query_internal.hpp"

// Operators of the pg_catalog executor (catalog_query.cpp): comparison,
// regular expressions, LIKE, ||, integer arithmetic. The one file that
// includes <regex>.
namespace hypertide::planner::catalog_detail {

namespace {

bool regex_match(const std::string& s, const std::string& pattern, bool icase,
                 int32_t location) {
  // std::regex recurses once per character of the subject: a long one
  // would run the thread out of stack. Catalog names are short.
  constexpr size_t max_subject = 4096;
  if (s.size() > max_subject || pattern.size() > max_subject)
    fail("0A000", "regular expressions over more than " + std::to_string(max_subject)
                    + " characters are not supported in catalog queries", location);
  try {
    auto flags = std::regex::ECMAScript;
    if (icase)
      flags |= std::regex::icase;
    return std::regex_search(s, std::regex{pattern, flags});
  } catch (const std::regex_error&) {
    fail("2201B", "invalid regular expression: " + pattern, location);
  }
}

} // namespace

cval apply_operator(const std::string& name, const cval& l, const cval& r, int32_t location) {
  if (name == "||" && (l.kind == cval::k::array || r.kind == cval::k::array)) {
    // Array concatenation: a NULL array adds nothing.
    std::vector<cval> xs;
    for (const cval* a : {&l, &r}) {
      if (a->kind == cval::k::array)
        xs.insert(xs.end(), a->elems->begin(), a->elems->end());
      else if (!a->null())
        xs.push_back(*a);
    }
    return array_of(std::move(xs));
  }
  if (l.null() || r.null())
    return {};
  if (name == "=" || name == "<>" || name == "!=" || name == "<" || name == "<="
      || name == ">" || name == ">=") {
    int c = compare(l, r);
    bool b = name == "=" ? c == 0 : (name == "<>" || name == "!=") ? c != 0
             : name == "<" ? c < 0 : name == "<=" ? c <= 0 : name == ">" ? c > 0 : c >= 0;
    return cval::of_bool(b);
  }
  if (name == "~" || name == "!~" || name == "~*" || name == "!~*") {
    bool m = regex_match(text_of(l), text_of(r), name.find('*') != std::string::npos, location);
    return cval::of_bool(name[0] == '!' ? !m : m);
  }
  if (name == "||")
    return cval::of_text(text_of(l) + text_of(r));
  if (name == "+" || name == "-" || name == "*") {
    cval x = coerce_like(l, r), y = coerce_like(r, l);
    if (x.kind == cval::k::integer && y.kind == cval::k::integer) {
      int64_t r = 0;
      bool overflow = name == "+"   ? __builtin_add_overflow(x.i, y.i, &r)
                      : name == "-" ? __builtin_sub_overflow(x.i, y.i, &r)
                                    : __builtin_mul_overflow(x.i, y.i, &r);
      if (overflow)
        fail("22003", "bigint out of range", location);
      return cval::of_int(r, x.type);
    }
  }
  fail("0A000", "operator " + name + " is not supported in catalog queries yet", location);
}

} // namespace hypertide::planner::catalog_detail
