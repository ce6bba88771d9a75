#include "chunkstore/filter_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hypertide::chunkstore::detail {

namespace {

mask first_bits(uint32_t m) noexcept {
  mask r{};
  for (uint32_t w = 0; w < W; ++w) {
    uint32_t base = w * 64;
    if (m >= base + 64)
      r[w] = ~uint64_t{0};
    else if (m > base)
      r[w] = (uint64_t{1} << (m - base)) - 1;
  }
  return r;
}

template <class A, class B>
inline bool compare(cmp_op op, A a, B b) noexcept {
  switch (op) {
    case cmp_op::eq: return a == b;
    case cmp_op::ne: return a != b;
    case cmp_op::lt: return a < b;
    case cmp_op::le: return a <= b;
    case cmp_op::gt: return a > b;
    case cmp_op::ge: return a >= b;
  }
  return false;
}

/// compare() of float8 values as PostgreSQL orders them: NaN equals NaN
/// and is above every other value.
inline bool compare_float8(cmp_op op, double a, double b) noexcept {
  if (!std::isnan(b)) {
    // Only `a` may be NaN: above b, so it passes >, >= and <>.
    bool nan_passes = op == cmp_op::gt || op == cmp_op::ge || op == cmp_op::ne;
    return compare(op, a, b) || (a != a && nan_passes);
  }
  return compare(op, float8_order(a, b), 0);
}

} // namespace



bound_pred bind(const predicate& p, const chunk& ch) {
  bound_pred b;
  b.k = p.k;
  b.column = p.column;
  b.op = p.op;
  using K = predicate::kind;
  if (p.k == K::and_ || p.k == K::or_ || p.k == K::not_) {
    for (const auto& c : p.children)
      b.children.push_back(bind(c, ch));
    return b;
  }
  if (p.k == K::constant) {
    b.constant = p.constant.is_null ? tri::n
                 : (p.constant.type == column_type::float8 ? p.constant.f != 0
                                                            : p.constant.i != 0)
                   ? tri::t
                   : tri::f;
    return b;
  }
  b.type = ch.schema().columns[static_cast<size_t>(p.column)].type;
  b.on_series = p.column == ch.series_column();
  b.on_time = p.column == ch.time_column();
  if (p.k == K::is_null || p.k == K::is_not_null)
    return b;
  if (b.type == column_type::text) {
    const text_dictionary& dict = b.on_series
                                    ? ch.series_dictionary()
                                    : ch.dictionary(static_cast<size_t>(p.column));
    const bool null_in_list =
      p.k == K::in_list
      && std::any_of(p.list.begin(), p.list.end(), [](const value& v) { return v.is_null; });
    if ((p.k == K::compare && p.op == cmp_op::eq && !p.constant.is_null) || p.k == K::in_list) {
      // Equality and IN: the dictionary finds the matching codes (no pass
      // over every string of the dictionary).
      b.truth.assign(dict.size(), null_in_list ? 2 : 0);
      auto match = [&](const std::string& s) {
        int64_t code = dict.find(s);
        if (code >= 0 && b.truth[static_cast<size_t>(code)] != 1) {
          b.truth[static_cast<size_t>(code)] = 1;
          b.true_codes.push_back(static_cast<uint32_t>(code));
        }
      };
      if (p.k == K::compare)
        match(p.constant.s);
      else
        for (const auto& v : p.list)
          if (!v.is_null)
            match(v.s);
      std::sort(b.true_codes.begin(), b.true_codes.end());
      b.exact_codes = true;
      return b;
    }
    b.truth.resize(dict.size());
    for (uint32_t code = 0; code < dict.size(); ++code) {
      std::string_view s = dict.at(code);
      uint8_t r = 0;
      if (p.k == K::compare) {
        r = p.constant.is_null ? 2 : compare(p.op, s.compare(p.constant.s), 0);
      } else {
        bool null_in_list = false;
        for (const auto& v : p.list) {
          if (v.is_null)
            null_in_list = true;
          else if (v.s == s)
            r = 1;
        }
        if (r == 0 && null_in_list)
          r = 2;
      }
      b.truth[code] = r;
    }
    return b;
  }
  bool col_float = b.type == column_type::float8;
  if (p.k == K::compare) {
    b.const_null = p.constant.is_null;
    b.use_float = col_float || p.constant.type == column_type::float8;
    b.ci = p.constant.i;
    b.cf = p.constant.as_double();
  } else {
    b.use_float = col_float;
    for (const auto& v : p.list)
      if (!v.is_null && v.type == column_type::float8)
        b.use_float = true;
    for (const auto& v : p.list) {
      if (v.is_null) {
        b.in_null = true;
        continue;
      }
      b.in_i.push_back(v.i);
      if (double f = v.as_double(); !std::isnan(f))
        b.in_f.push_back(f);
      else
        b.in_nan = true; // NaN = NaN in PostgreSQL
    }
    // Sorted: long lists (a sub-query's) are searched, not scanned.
    std::sort(b.in_i.begin(), b.in_i.end());
    std::sort(b.in_f.begin(), b.in_f.end());
  }
  return b;
}

// `x` ("FALSE or NULL, never TRUE") arises from AND of NULL with a
// varying operand: such a series or block is skipped like FALSE, but its
// negation is not TRUE, so it needs a state of its own.
tri and_of(tri a, tri b) noexcept {
  if (a == tri::f || b == tri::f)
    return tri::f;
  bool a_unknown = a == tri::n || a == tri::x;
  bool b_unknown = b == tri::n || b == tri::x;
  if (a_unknown || b_unknown)
    return (a == tri::x || b == tri::x || a == tri::v || b == tri::v) ? tri::x : tri::n;
  return (a == tri::v || b == tri::v) ? tri::v : tri::t;
}

tri or_of(tri a, tri b) noexcept {
  if (a == tri::t || b == tri::t)
    return tri::t;
  if (a == tri::v || b == tri::v)
    return tri::v;
  if (a == tri::n || b == tri::n)
    return tri::n;          // NULL OR (FALSE or NULL) is NULL
  if (a == tri::x || b == tri::x)
    return tri::x;
  return tri::f;
}

tri not_of(tri a) noexcept {
  switch (a) {
    case tri::t: return tri::f;
    case tri::f: return tri::t;
    case tri::x: return tri::v; // TRUE or NULL
    default: return a;
  }
}

tri from_truth(uint8_t x) noexcept {
  return x == 1 ? tri::t : x == 0 ? tri::f : tri::n;
}

/// The time-range answer of a comparison of the time column over a block.
tri time_range_test(const bound_pred& p, timestamp lo, timestamp hi) noexcept {
  if (p.const_null)
    return tri::n;
  auto in = [&](auto c) -> tri {
    using C = decltype(c);
    C l = static_cast<C>(lo), h = static_cast<C>(hi);
    switch (p.op) {
      case cmp_op::eq:
        return (l == c && h == c) ? tri::t : (c < l || c > h) ? tri::f : tri::v;
      case cmp_op::ne:
        return (l == c && h == c) ? tri::f : (c < l || c > h) ? tri::t : tri::v;
      case cmp_op::lt:
        return h < c ? tri::t : l >= c ? tri::f : tri::v;
      case cmp_op::le:
        return h <= c ? tri::t : l > c ? tri::f : tri::v;
      case cmp_op::gt:
        return l > c ? tri::t : h <= c ? tri::f : tri::v;
      case cmp_op::ge:
        return l >= c ? tri::t : h < c ? tri::f : tri::v;
    }
    return tri::v;
  };
  return p.use_float ? in(p.cf) : in(p.ci);
}

/// What a predicate says of a whole series (`b` null) or of one block.
std::optional<std::vector<uint32_t>> series_candidates(const bound_pred& p) {
  if (p.on_series && p.exact_codes)
    return p.true_codes;
  if (p.k != predicate::kind::and_)
    return std::nullopt;
  std::optional<std::vector<uint32_t>> best;
  for (const auto& c : p.children)
    if (auto codes = series_candidates(c); codes && (!best || codes->size() < best->size()))
      best = std::move(codes);
  return best;
}

tri eval_coarse(const bound_pred& p, const series& s, const block* b) {
  using K = predicate::kind;
  switch (p.k) {
    case K::and_: {
      tri r = tri::t;
      for (const auto& c : p.children)
        if ((r = and_of(r, eval_coarse(c, s, b))) == tri::f)
          break;
      return r;
    }
    case K::or_: {
      tri r = tri::f;
      for (const auto& c : p.children)
        if ((r = or_of(r, eval_coarse(c, s, b))) == tri::t)
          break;
      return r;
    }
    case K::not_:
      return not_of(eval_coarse(p.children[0], s, b));
    case K::constant:
      return p.constant;
    default:
      break;
  }
  if (p.on_series) {
    if (s.is_null)
      return p.k == K::is_null ? tri::t : p.k == K::is_not_null ? tri::f : tri::n;
    if (p.k == K::is_null)
      return tri::f;
    if (p.k == K::is_not_null)
      return tri::t;
    return from_truth(p.truth[s.code]);
  }
  if (p.on_time && b != nullptr) {
    // The time dimension is NOT NULL in every hypertable.
    if (p.k == K::is_null)
      return tri::f;
    if (p.k == K::is_not_null)
      return tri::t;
    if (p.k == K::compare)
      return time_range_test(p, b->tmin, b->tmax);
  }
  return tri::v;
}

template <class T, class Test>
void leaf_bits(const T* v, uint32_t m, mask& out, Test test) noexcept {
  for (uint32_t w = 0; w < W; ++w) {
    uint32_t base = w * 64;
    uint64_t bits = 0;
    uint32_t end = m > base ? std::min<uint32_t>(64, m - base) : 0;
    for (uint32_t j = 0; j < end; ++j)
      bits |= uint64_t{test(v[base + j])} << j;
    out[w] = bits;
  }
}

/// `v[i] op c` as PostgreSQL compares float8 (c not NaN; a NaN value is
/// above it): the op chosen once per leaf, whole words of 64 values
/// compared two at a time (SSE2), the tail one by one.
template <cmp_op Op>
void float8_words(const double* v, uint32_t m, double c, mask& out) noexcept {
  auto one = [c](double x) {
    if constexpr (Op == cmp_op::gt)
      return x > c || x != x;
    else if constexpr (Op == cmp_op::ge)
      return x >= c || x != x;
    else if constexpr (Op == cmp_op::lt)
      return x < c;
    else if constexpr (Op == cmp_op::le)
      return x <= c;
    else if constexpr (Op == cmp_op::eq)
      return x == c;
    else
      return x != c; // NaN <> c
  };
  for (uint32_t w = 0; w < W; ++w) {
    uint32_t base = w * 64;
    uint64_t bits = 0;
#if defined(__SSE2__)
    if (m >= base + 64) {
      const __m128d k = _mm_set1_pd(c);
      for (uint32_t j = 0; j < 64; j += 2) {
        __m128d x = _mm_loadu_pd(v + base + j);
        __m128d r;
        if constexpr (Op == cmp_op::gt)
          r = _mm_or_pd(_mm_cmpgt_pd(x, k), _mm_cmpunord_pd(x, x));
        else if constexpr (Op == cmp_op::ge)
          r = _mm_or_pd(_mm_cmpge_pd(x, k), _mm_cmpunord_pd(x, x));
        else if constexpr (Op == cmp_op::lt)
          r = _mm_cmplt_pd(x, k);
        else if constexpr (Op == cmp_op::le)
          r = _mm_cmple_pd(x, k);
        else if constexpr (Op == cmp_op::eq)
          r = _mm_cmpeq_pd(x, k);
        else
          r = _mm_cmpneq_pd(x, k); // unordered: true for NaN
        bits |= static_cast<uint64_t>(_mm_movemask_pd(r)) << j;
      }
      out[w] = bits;
      continue;
    }
#endif
    uint32_t end = m > base ? std::min<uint32_t>(64, m - base) : 0;
    for (uint32_t j = 0; j < end; ++j)
      bits |= uint64_t{one(v[base + j])} << j;
    out[w] = bits;
  }
}

void float8_compare(cmp_op op, const double* v, uint32_t m, double c, mask& out) noexcept {
  switch (op) {
    case cmp_op::eq: return float8_words<cmp_op::eq>(v, m, c, out);
    case cmp_op::ne: return float8_words<cmp_op::ne>(v, m, c, out);
    case cmp_op::lt: return float8_words<cmp_op::lt>(v, m, c, out);
    case cmp_op::le: return float8_words<cmp_op::le>(v, m, c, out);
    case cmp_op::gt: return float8_words<cmp_op::gt>(v, m, c, out);
    case cmp_op::ge: return float8_words<cmp_op::ge>(v, m, c, out);
  }
}

template <class T>
void numeric_leaf(const bound_pred& p, const T* v, uint32_t m, mask& out) {
  using K = predicate::kind;
  if (p.k == K::compare) {
    if constexpr (std::is_same_v<T, double>) {
      if (!std::isnan(p.cf)) {
        float8_compare(p.op, v, m, p.cf, out);
        return;
      }
    }
    if (p.use_float) {
      double c = p.cf;
      cmp_op op = p.op;
      leaf_bits(v, m, out, [=](T x) { return compare_float8(op, static_cast<double>(x), c); });
    } else {
      int64_t c = p.ci;
      cmp_op op = p.op;
      leaf_bits(v, m, out, [=](T x) { return compare(op, static_cast<int64_t>(x), c); });
    }
    return;
  }
  constexpr size_t scan_at_most = 16; // a few values: a scan beats a search
  if (p.use_float) {
    const bool nan = p.in_nan;
    if (p.in_f.size() <= scan_at_most)
      leaf_bits(v, m, out, [&](T x) {
        auto d = static_cast<double>(x);
        return std::find(p.in_f.begin(), p.in_f.end(), d) != p.in_f.end() || (nan && d != d);
      });
    else
      leaf_bits(v, m, out, [&](T x) {
        auto d = static_cast<double>(x);
        return std::binary_search(p.in_f.begin(), p.in_f.end(), d) || (nan && d != d);
      });
  } else {
    if (p.in_i.size() <= scan_at_most)
      leaf_bits(v, m, out, [&](T x) {
        return std::find(p.in_i.begin(), p.in_i.end(), static_cast<int64_t>(x)) != p.in_i.end();
      });
    else
      leaf_bits(v, m, out, [&](T x) {
        return std::binary_search(p.in_i.begin(), p.in_i.end(), static_cast<int64_t>(x));
      });
  }
}

/// Per-row TRUE and FALSE masks of a predicate over the first `m` rows.
void eval_rows(const bound_pred& p, const chunk& ch, const series& s,
               const block& b, uint32_t m, mask& t, mask& f) {
  using K = predicate::kind;
  const mask all = first_bits(m);
  auto fill = [&](tri x) {
    t = x == tri::t ? all : mask{};
    f = x == tri::f ? all : mask{};
  };
  switch (p.k) {
    case K::and_:
    case K::or_: {
      bool is_and = p.k == K::and_;
      t = is_and ? all : mask{};
      f = is_and ? mask{} : all;
      for (const auto& c : p.children) {
        mask ct, cf;
        eval_rows(c, ch, s, b, m, ct, cf);
        for (uint32_t w = 0; w < W; ++w) {
          if (is_and) {
            t[w] &= ct[w];
            f[w] |= cf[w];
          } else {
            t[w] |= ct[w];
            f[w] &= cf[w];
          }
        }
      }
      return;
    }
    case K::not_:
      eval_rows(p.children[0], ch, s, b, m, f, t);
      return;
    case K::constant:
      fill(p.constant);
      return;
    default:
      break;
  }
  tri coarse = eval_coarse(p, s, &b);
  if (coarse != tri::v) {
    fill(coarse);
    return;
  }
  const auto col = static_cast<size_t>(p.column);
  const uint64_t* valid = chunk::validity(b, col);
  mask vm = all;
  if (valid)
    for (uint32_t w = 0; w < W; ++w)
      vm[w] &= valid[w];
  if (p.k == K::is_null || p.k == K::is_not_null) {
    mask nulls;
    for (uint32_t w = 0; w < W; ++w)
      nulls[w] = all[w] & ~vm[w];
    t = p.k == K::is_null ? nulls : vm;
    f = p.k == K::is_null ? vm : nulls;
    return;
  }
  if (p.const_null) {
    t = f = mask{};
    return;
  }
  const size_t off = ch.column_offset(col);
  mask r{};
  switch (p.type) {
    case column_type::int4:
      numeric_leaf(p, chunk::values<int32_t>(b, off), m, r);
      break;
    case column_type::float8:
      numeric_leaf(p, chunk::values<double>(b, off), m, r);
      break;
    case column_type::boolean:
      numeric_leaf(p, chunk::values<uint8_t>(b, off), m, r);
      break;
    case column_type::text: {
      const uint32_t* codes = chunk::values<uint32_t>(b, off);
      mask rf{};
      for (uint32_t i = 0; i < m; ++i) {
        uint8_t x = p.truth[codes[i]];
        r[i / 64] |= uint64_t{x == 1} << (i % 64);
        rf[i / 64] |= uint64_t{x == 0} << (i % 64);
      }
      for (uint32_t w = 0; w < W; ++w) {
        t[w] = r[w] & vm[w];
        f[w] = rf[w] & vm[w];
      }
      return;
    }
    default:
      numeric_leaf(p, chunk::values<int64_t>(b, off), m, r);
  }
  if (p.k == K::in_list && p.in_null) {
    // x IN (..., NULL) is TRUE or NULL, never FALSE.
    for (uint32_t w = 0; w < W; ++w) {
      t[w] = r[w] & vm[w];
      f[w] = 0;
    }
    return;
  }
  for (uint32_t w = 0; w < W; ++w) {
    t[w] = r[w] & vm[w];
    f[w] = ~r[w] & vm[w];
  }
}

bool only_series(const bound_pred& p) {
  using K = predicate::kind;
  if (p.k == K::and_ || p.k == K::or_ || p.k == K::not_)
    return std::all_of(p.children.begin(), p.children.end(), only_series);
  return p.k == K::constant || p.on_series;
}

} // namespace hypertide::chunkstore::detail
