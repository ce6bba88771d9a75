#include "benchmarks/result_compare.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace hypertide::benchmarks {

namespace {

using row = std::vector<std::optional<std::string>>;

std::optional<double> as_number(const std::string& s) {
  double x = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), x);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || s.empty())
    return std::nullopt;
  return x;
}

bool same_cell(const std::optional<std::string>& a, const std::optional<std::string>& b,
               double tolerance) {
  if (!a || !b)
    return !a && !b;
  if (*a == *b)
    return true;
  auto x = as_number(*a);
  auto y = as_number(*b);
  if (!x || !y)
    return false;
  return std::fabs(*x - *y) <= tolerance * std::max(std::fabs(*x), std::fabs(*y));
}

std::string show(const row& r) {
  std::string s;
  for (size_t i = 0; i < r.size(); ++i) {
    s += i == 0 ? "" : "|";
    s += r[i] ? *r[i] : "NULL";
  }
  return s;
}

std::vector<const row*> in_order(const result_set& r, bool ordered) {
  std::vector<const row*> v;
  v.reserve(r.rows.size());
  for (const auto& x : r.rows)
    v.push_back(&x);
  if (!ordered)
    std::sort(v.begin(), v.end(), [](const row* a, const row* b) { return *a < *b; });
  return v;
}

} // namespace

std::string compare_results(const result_set& a, const result_set& b,
                            const compare_options& o) {
  std::string out;
  if (a.columns != b.columns) {
    std::string ca, cb;
    for (const auto& c : a.columns)
      ca += (ca.empty() ? "" : ",") + c;
    for (const auto& c : b.columns)
      cb += (cb.empty() ? "" : ",") + c;
    out += "columns differ: (" + ca + ") vs (" + cb + ")\n";
  }
  if (a.rows.size() != b.rows.size())
    out += "row counts differ: " + std::to_string(a.rows.size()) + " vs "
           + std::to_string(b.rows.size()) + "\n";
  auto ra = in_order(a, o.ordered);
  auto rb = in_order(b, o.ordered);
  size_t reported = 0;
  size_t differing = 0;
  for (size_t i = 0; i < std::max(ra.size(), rb.size()); ++i) {
    const row* x = i < ra.size() ? ra[i] : nullptr;
    const row* y = i < rb.size() ? rb[i] : nullptr;
    bool same = x != nullptr && y != nullptr && x->size() == y->size();
    for (size_t c = 0; same && c < x->size(); ++c)
      same = same_cell((*x)[c], (*y)[c], o.tolerance);
    if (same)
      continue;
    ++differing;
    if (reported++ < o.max_reported)
      out += (o.ordered ? "row " : "sorted row ") + std::to_string(i + 1) + ": "
             + (x ? show(*x) : "(none)") + "  vs  "
             + (y ? show(*y) : "(none)") + "\n";
  }
  if (differing > o.max_reported)
    out += "... " + std::to_string(differing - o.max_reported) + " more differing rows\n";
  return out;
}

} // namespace hypertide::benchmarks
