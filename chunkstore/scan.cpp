// Fragment execution over one chunk: filter, group, aggregate, project.
// Work goes a block (256 rows) at a time; whole series and whole blocks are
// decided without touching rows where the series dictionary or the block's
// time range already tells the answer.

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string_view>

#include "chunkstore/chunk.hpp"
#include "chunkstore/time_bucket.hpp"

namespace hypertide::chunkstore {

namespace {

using series = chunk::series;
using block = chunk::block;

constexpr uint32_t W = chunk::words_per_block;
using mask = std::array<uint64_t, W>;

/// Three-valued logic plus "varies from row to row".
enum class tri : uint8_t { t, f, n, v };

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

// -- predicates ------------------------------------------------------------

struct bound_pred {
  predicate::kind k = predicate::kind::constant;
  int column = -1;
  column_type type = column_type::int8;
  cmp_op op = cmp_op::eq;
  bool on_series = false;
  bool on_time = false;
  bool const_null = false;
  bool use_float = false;
  int64_t ci = 0;
  double cf = 0;
  std::vector<int64_t> in_i;
  std::vector<double> in_f;
  bool in_null = false;
  std::vector<uint8_t> truth; ///< text leaves, per dictionary code: 0 f, 1 t, 2 n
  tri constant = tri::t;
  std::vector<bound_pred> children;
};

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
      b.in_f.push_back(v.as_double());
    }
  }
  return b;
}

tri and_of(tri a, tri b) noexcept {
  if (a == tri::f || b == tri::f)
    return tri::f;
  if (a == tri::v || b == tri::v)
    return tri::v;
  if (a == tri::n || b == tri::n)
    return tri::n;
  return tri::t;
}

tri or_of(tri a, tri b) noexcept {
  if (a == tri::t || b == tri::t)
    return tri::t;
  if (a == tri::v || b == tri::v)
    return tri::v;
  if (a == tri::n || b == tri::n)
    return tri::n;
  return tri::f;
}

tri not_of(tri a) noexcept {
  return a == tri::t ? tri::f : a == tri::f ? tri::t : a;
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

template <class T>
void numeric_leaf(const bound_pred& p, const T* v, uint32_t m, mask& out) {
  using K = predicate::kind;
  if (p.k == K::compare) {
    if (p.use_float) {
      double c = p.cf;
      cmp_op op = p.op;
      leaf_bits(v, m, out, [=](T x) { return compare(op, static_cast<double>(x), c); });
    } else {
      int64_t c = p.ci;
      cmp_op op = p.op;
      leaf_bits(v, m, out, [=](T x) { return compare(op, static_cast<int64_t>(x), c); });
    }
    return;
  }
  if (p.use_float) {
    leaf_bits(v, m, out, [&](T x) {
      return std::find(p.in_f.begin(), p.in_f.end(), static_cast<double>(x))
             != p.in_f.end();
    });
  } else {
    leaf_bits(v, m, out, [&](T x) {
      return std::find(p.in_i.begin(), p.in_i.end(), static_cast<int64_t>(x))
             != p.in_i.end();
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

// -- grouping ----------------------------------------------------------------

constexpr size_t max_keys = 16;

/// Open-addressing map from a key tuple (one uint64 per part plus a NULL
/// mask) to a dense group id.
class group_table {
public:
  explicit group_table(size_t parts) : parts_(parts), slots_(64, 0), mask_(63) {}

  uint32_t find_or_insert(const uint64_t* key, uint32_t nulls) {
    uint64_t h = hash(key, nulls);
    size_t i = h & mask_;
    for (;;) {
      uint32_t s = slots_[i];
      if (s == 0)
        break;
      uint32_t g = s - 1;
      if (nulls_[g] == nulls
          && std::equal(key, key + parts_, keys_.begin() + static_cast<long>(g * parts_)))
        return g;
      i = (i + 1) & mask_;
    }
    auto g = static_cast<uint32_t>(nulls_.size());
    keys_.insert(keys_.end(), key, key + parts_);
    nulls_.push_back(nulls);
    slots_[i] = g + 1;
    if (nulls_.size() * 2 > slots_.size())
      grow();
    return g;
  }

  size_t size() const noexcept { return nulls_.size(); }
  const uint64_t* key(uint32_t g) const noexcept { return keys_.data() + g * parts_; }
  uint32_t nulls(uint32_t g) const noexcept { return nulls_[g]; }

private:
  uint64_t hash(const uint64_t* key, uint32_t nulls) const noexcept {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ nulls;
    for (size_t p = 0; p < parts_; ++p) {
      h ^= key[p];
      h *= 0xbf58476d1ce4e5b9ull;
      h ^= h >> 31;
    }
    return h;
  }

  void grow() {
    std::vector<uint32_t> next(slots_.size() * 2, 0);
    size_t m = next.size() - 1;
    for (uint32_t g = 0; g < nulls_.size(); ++g) {
      size_t i = hash(key(g), nulls_[g]) & m;
      while (next[i] != 0)
        i = (i + 1) & m;
      next[i] = g + 1;
    }
    slots_ = std::move(next);
    mask_ = m;
  }

  size_t parts_;
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> nulls_;
  std::vector<uint32_t> slots_;
  size_t mask_;
};

struct bound_key {
  group_key::kind k = group_key::kind::column;
  int column = -1;
  column_type type = column_type::int8;
  size_t off = 0;
  bool on_series = false;
  bool on_time = false;
  bucket_spec spec;
  timestamp origin = 0; ///< fixed-width buckets: origin + offset

  /// The bucket (or the value itself) of key column value `x`.
  int64_t bucket(int64_t x) const noexcept {
    if (k != group_key::kind::time_bucket)
      return x;
    if (type != column_type::timestamptz)
      return int_bucket(spec.width, x, spec.offset);
    if (spec.months == 0)
      return time_bucket_fixed(spec.width, origin, x);
    return time_bucket(spec, x);
  }
};

inline uint64_t float_bits(double d) noexcept {
  if (d == 0)
    d = 0; // -0 groups with 0
  return std::bit_cast<uint64_t>(d);
}

/// Reads key part `k` of row `i` of `b`; false when NULL.
inline bool key_part(const bound_key& k, const block& b, uint32_t i,
                     uint64_t& out) noexcept {
  const uint64_t* valid = chunk::validity(b, static_cast<size_t>(k.column));
  if (valid && ((valid[i / 64] >> (i % 64)) & 1) == 0)
    return false;
  switch (k.type) {
    case column_type::int4:
      out = static_cast<uint64_t>(k.bucket(chunk::values<int32_t>(b, k.off)[i]));
      break;
    case column_type::float8:
      out = float_bits(chunk::values<double>(b, k.off)[i]);
      break;
    case column_type::boolean:
      out = chunk::values<uint8_t>(b, k.off)[i];
      break;
    case column_type::text:
      out = chunk::values<uint32_t>(b, k.off)[i];
      break;
    default:
      out = static_cast<uint64_t>(k.bucket(chunk::values<int64_t>(b, k.off)[i]));
  }
  return true;
}

// -- aggregates ----------------------------------------------------------------

struct bound_agg {
  agg_kind kind = agg_kind::count_star;
  int column = -1;
  column_type type = column_type::int8;
  size_t off = 0;
  bool on_series = false;
  int time_column = -1;
  column_type time_type = column_type::timestamptz;
  size_t time_off = 0;
};

/// Reads the time argument of first/last for rows of a block as int64.
inline int64_t time_at(const bound_agg& a, const block& b, uint32_t i) noexcept {
  if (a.time_type == column_type::int4)
    return chunk::values<int32_t>(b, a.time_off)[i];
  return chunk::values<int64_t>(b, a.time_off)[i];
}

inline bool time_valid(const bound_agg& a, const block& b, uint32_t i) noexcept {
  const uint64_t* valid = chunk::validity(b, static_cast<size_t>(a.time_column));
  return !valid || ((valid[i / 64] >> (i % 64)) & 1) != 0;
}

template <class T>
inline void set_value(agg_state& s, T x) noexcept {
  if constexpr (std::is_same_v<T, double>)
    s.f = x;
  else
    s.i = x;
}

template <class T>
inline T get_value(const agg_state& s) noexcept {
  if constexpr (std::is_same_v<T, double>)
    return s.f;
  else
    return static_cast<T>(s.i);
}

/// The selected rows of a block: all of the first `m`, or `sel[0..k)`.
struct selection {
  uint32_t m = 0;
  const uint16_t* sel = nullptr;
  uint32_t k = 0;

  uint32_t count() const noexcept { return sel ? k : m; }
  uint32_t row(uint32_t j) const noexcept { return sel ? sel[j] : j; }
};

/// The group of each selected row: one for all, or `gids[j]`.
struct grouping {
  const uint32_t* gids = nullptr;
  uint32_t uniform = 0;

  uint32_t of(uint32_t j) const noexcept { return gids ? gids[j] : uniform; }
};

/// Sum of m doubles with eight independent accumulators (no reassociation
/// across them is needed for the compiler to keep the adds in flight).
inline double sum_dense(const double* v, uint32_t m) noexcept {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  uint32_t i = 0;
  for (; i + 8 <= m; i += 8)
    for (int l = 0; l < 8; ++l)
      a[l] += v[i + static_cast<uint32_t>(l)];
  for (; i < m; ++i)
    a[0] += v[i];
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

template <class T>
void update_typed(const bound_agg& a, const block& b, const T* v,
                  const uint64_t* valid, const selection& sel,
                  const grouping& grp, agg_state* states, size_t stride,
                  const text_dictionary* dict) {
  constexpr bool is_float = std::is_same_v<T, double>;
  auto ok = [valid](uint32_t i) {
    return !valid || ((valid[i / 64] >> (i % 64)) & 1) != 0;
  };
  auto less = [dict](T x, T y) {
    if constexpr (std::is_same_v<T, uint32_t>) {
      if (dict)
        return dict->at(x) < dict->at(y);
    }
    return x < y;
  };
  const uint32_t n = sel.count();
  const bool dense = !sel.sel && !grp.gids && !valid;
  switch (a.kind) {
    case agg_kind::count_star:
    case agg_kind::count:
      if (dense) {
        states[grp.uniform * stride].count += n;
        return;
      }
      for (uint32_t j = 0; j < n; ++j)
        if (ok(sel.row(j)))
          states[grp.of(j) * stride].count += 1;
      return;
    case agg_kind::sum:
    case agg_kind::avg:
      if (dense) {
        agg_state& s = states[grp.uniform * stride];
        s.count += n;
        if constexpr (is_float) {
          s.f += sum_dense(v, n);
        } else {
          int64_t acc = 0;
          for (uint32_t i = 0; i < n; ++i)
            acc += static_cast<int64_t>(v[i]);
          s.i += acc;
        }
        return;
      }
      for (uint32_t j = 0; j < n; ++j) {
        uint32_t i = sel.row(j);
        if (!ok(i))
          continue;
        agg_state& s = states[grp.of(j) * stride];
        s.count += 1;
        if constexpr (is_float)
          s.f += v[i];
        else
          s.i += static_cast<int64_t>(v[i]);
      }
      return;
    case agg_kind::min:
    case agg_kind::max: {
      const bool is_min = a.kind == agg_kind::min;
      if (dense && n > 0 && !dict) {
        T best = v[0];
        for (uint32_t i = 1; i < n; ++i)
          best = is_min ? (v[i] < best ? v[i] : best) : (v[i] > best ? v[i] : best);
        agg_state& s = states[grp.uniform * stride];
        if (s.count == 0 || (is_min ? best < get_value<T>(s) : get_value<T>(s) < best)) {
          set_value(s, best);
          s.count = 1;
        }
        return;
      }
      for (uint32_t j = 0; j < n; ++j) {
        uint32_t i = sel.row(j);
        if (!ok(i))
          continue;
        agg_state& s = states[grp.of(j) * stride];
        T cur = get_value<T>(s);
        if (s.count == 0 || (is_min ? less(v[i], cur) : less(cur, v[i]))) {
          set_value(s, v[i]);
          s.count = 1;
        }
      }
      return;
    }
    case agg_kind::first:
    case agg_kind::last: {
      const bool is_first = a.kind == agg_kind::first;
      for (uint32_t j = 0; j < n; ++j) {
        uint32_t i = sel.row(j);
        if (!time_valid(a, b, i))
          continue;
        int64_t t = time_at(a, b, i);
        agg_state& s = states[grp.of(j) * stride];
        if (s.count == 0 || (is_first ? t < s.t : t > s.t)) {
          s.count = 1;
          s.t = t;
          s.null_value = !ok(i);
          set_value(s, v[i]);
        }
      }
      return;
    }
  }
}

/// Aggregates over the series column: every row holds the series' value.
void update_series_agg(const bound_agg& a, const series& sr, const block& b,
                       const selection& sel, const grouping& grp,
                       agg_state* states, size_t stride,
                       const text_dictionary& dict) {
  for (uint32_t j = 0; j < sel.count(); ++j) {
    uint32_t i = sel.row(j);
    agg_state& s = states[grp.of(j) * stride];
    switch (a.kind) {
      case agg_kind::count_star:
        s.count += 1;
        break;
      case agg_kind::count:
        s.count += sr.is_null ? 0 : 1;
        break;
      case agg_kind::min:
      case agg_kind::max: {
        if (sr.is_null)
          break;
        bool is_min = a.kind == agg_kind::min;
        auto cur = static_cast<uint32_t>(s.i);
        if (s.count == 0
            || (is_min ? dict.at(sr.code) < dict.at(cur)
                       : dict.at(cur) < dict.at(sr.code))) {
          s.i = sr.code;
          s.count = 1;
        }
        break;
      }
      case agg_kind::first:
      case agg_kind::last: {
        if (!time_valid(a, b, i))
          break;
        int64_t t = time_at(a, b, i);
        bool is_first = a.kind == agg_kind::first;
        if (s.count == 0 || (is_first ? t < s.t : t > s.t)) {
          s.count = 1;
          s.t = t;
          s.null_value = sr.is_null;
          s.i = sr.code;
        }
        break;
      }
      default:
        break; // sum/avg of text are refused by validate()
    }
  }
}

void update_agg(const bound_agg& a, const chunk& ch, const series& sr,
                const block& b, const selection& sel, const grouping& grp,
                agg_state* states, size_t stride) {
  if (a.kind == agg_kind::count_star) {
    update_typed<int64_t>(a, b, nullptr, nullptr, sel, grp, states, stride, nullptr);
    return;
  }
  if (a.on_series) {
    update_series_agg(a, sr, b, sel, grp, states, stride, ch.series_dictionary());
    return;
  }
  const uint64_t* valid = chunk::validity(b, static_cast<size_t>(a.column));
  switch (a.type) {
    case column_type::int4:
      update_typed(a, b, chunk::values<int32_t>(b, a.off), valid, sel, grp,
                   states, stride, nullptr);
      break;
    case column_type::float8:
      update_typed(a, b, chunk::values<double>(b, a.off), valid, sel, grp,
                   states, stride, nullptr);
      break;
    case column_type::boolean:
      update_typed(a, b, chunk::values<uint8_t>(b, a.off), valid, sel, grp,
                   states, stride, nullptr);
      break;
    case column_type::text:
      update_typed(a, b, chunk::values<uint32_t>(b, a.off), valid, sel, grp,
                   states, stride, &ch.dictionary(static_cast<size_t>(a.column)));
      break;
    default:
      update_typed(a, b, chunk::values<int64_t>(b, a.off), valid, sel, grp,
                   states, stride, nullptr);
  }
}

/// Appends value `row` of `b` (column `c`) to column `out` of a batch.
void emit_cell(column_batch& out, size_t oc, const chunk& ch, const series& sr,
               const block& b, size_t c, uint32_t i) {
  if (static_cast<int>(c) == ch.series_column()) {
    if (sr.is_null)
      out.append_null(oc);
    else
      out.append_text(oc, ch.series_dictionary().at(sr.code));
    return;
  }
  const uint64_t* valid = chunk::validity(b, c);
  if (valid && ((valid[i / 64] >> (i % 64)) & 1) == 0) {
    out.append_null(oc);
    return;
  }
  size_t off = ch.column_offset(c);
  switch (ch.schema().columns[c].type) {
    case column_type::int4:
      out.append_int(oc, chunk::values<int32_t>(b, off)[i]);
      break;
    case column_type::float8:
      out.append_float(oc, chunk::values<double>(b, off)[i]);
      break;
    case column_type::boolean:
      out.append_int(oc, chunk::values<uint8_t>(b, off)[i]);
      break;
    case column_type::text:
      out.append_text(oc, ch.dictionary(c).at(chunk::values<uint32_t>(b, off)[i]));
      break;
    default:
      out.append_int(oc, chunk::values<int64_t>(b, off)[i]);
  }
}

} // namespace

partial_result chunk::execute(const fragment& f, lsn snapshot) const {
  partial_result out = partial_result::make(f, schema_);
  out.stats.chunks = 1;
  std::optional<bound_pred> filter;
  if (f.filter)
    filter = bind(*f.filter, *this);

  // Bind keys and aggregates to this chunk's layout.
  std::vector<bound_key> keys;
  for (const auto& k : f.keys) {
    bound_key bk;
    bk.k = k.k;
    bk.column = k.column;
    bk.type = schema_.columns[static_cast<size_t>(k.column)].type;
    bk.off = offsets_[static_cast<size_t>(k.column)];
    bk.on_series = k.column == series_column_;
    bk.on_time = k.column == time_column_;
    bk.spec = k.bucket;
    bk.origin = k.bucket.origin.value_or(default_bucket_origin) + k.bucket.offset;
    keys.push_back(bk);
  }
  std::vector<bound_agg> aggs;
  for (const auto& a : f.aggregates) {
    bound_agg ba;
    ba.kind = a.kind;
    ba.column = a.column;
    if (a.column >= 0) {
      ba.type = schema_.columns[static_cast<size_t>(a.column)].type;
      ba.off = offsets_[static_cast<size_t>(a.column)];
      ba.on_series = a.column == series_column_;
    }
    ba.time_column = a.time_column;
    if (a.time_column >= 0) {
      ba.time_type = schema_.columns[static_cast<size_t>(a.time_column)].type;
      ba.time_off = offsets_[static_cast<size_t>(a.time_column)];
    }
    aggs.push_back(ba);
  }
  const size_t nk = keys.size();
  const size_t na = aggs.size();
  const bool aggregate = f.is_aggregate();
  group_table groups{nk};
  std::vector<agg_state> states;

  auto group_for = [&](const uint64_t* key, uint32_t nulls) {
    uint32_t g = groups.find_or_insert(key, nulls);
    if (g * na >= states.size())
      states.resize((g + 1) * na);
    return g;
  };

  // Fast path: first/last over the time dimension per series, no row
  // filter: the commit marks already know each series' first and last row.
  bool marks_answer
    = aggregate && na > 0 && time_column_ >= 0 && (!filter || only_series(*filter))
      && std::all_of(aggs.begin(), aggs.end(), [&](const bound_agg& a) {
           return (a.kind == agg_kind::first || a.kind == agg_kind::last)
                  && a.time_column == time_column_;
         })
      && std::all_of(keys.begin(), keys.end(), [](const bound_key& k) {
           return k.on_series && k.k == group_key::kind::column;
         });

  std::array<uint16_t, block_rows> sel_buf;
  std::array<uint32_t, block_rows> gid_buf;
  std::array<uint64_t, max_keys> key_buf{};
  const bool limit_only = !aggregate && f.order.empty() && f.limit >= 0;

  for (const series& s : series_) {
    const mark* mk = visible(s, snapshot);
    if (mk == nullptr || mk->rows == 0)
      continue;
    tri st = filter ? eval_coarse(*filter, s, nullptr) : tri::t;
    if (st == tri::f || st == tri::n)
      continue;
    // Constant key parts of this series.
    uint32_t series_nulls = 0;
    for (size_t k = 0; k < nk; ++k)
      if (keys[k].on_series) {
        if (s.is_null)
          series_nulls |= 1u << k;
        else
          key_buf[k] = s.code;
      }

    if (marks_answer) {
      uint32_t g = group_for(key_buf.data(), series_nulls);
      uint32_t touched_rows = 0;
      for (size_t a = 0; a < na; ++a) {
        uint32_t row = aggs[a].kind == agg_kind::first ? mk->first_row : mk->last_row;
        const block& b = *s.blocks[row / block_rows];
        uint16_t pos = static_cast<uint16_t>(row % block_rows);
        selection one{block_rows, &pos, 1};
        grouping grp{nullptr, g};
        update_agg(aggs[a], *this, s, b, one, grp, states.data() + a, na);
        touched_rows |= aggs[a].kind == agg_kind::first ? 1u : 2u;
      }
      out.stats.rows_scanned += std::popcount(touched_rows);
      out.stats.rows_matched += 1;
      continue;
    }

    const uint32_t visible_rows = mk->rows;
    for (size_t bi = 0; bi * block_rows < visible_rows; ++bi) {
      const block& b = *s.blocks[bi];
      const uint32_t m = std::min<uint32_t>(b.rows, visible_rows - static_cast<uint32_t>(bi * block_rows));
      selection sel{m, nullptr, 0};
      if (filter && st == tri::v) {
        tri bt = eval_coarse(*filter, s, &b);
        if (bt == tri::f || bt == tri::n)
          continue;
        if (bt == tri::v) {
          mask t, fm;
          eval_rows(*filter, *this, s, b, m, t, fm);
          uint32_t k = 0;
          for (uint32_t w = 0; w < W; ++w)
            for (uint64_t bits = t[w]; bits != 0; bits &= bits - 1)
              sel_buf[k++] = static_cast<uint16_t>(w * 64 + static_cast<uint32_t>(std::countr_zero(bits)));
          out.stats.rows_scanned += m;
          if (k == 0)
            continue;
          if (k < m) {
            sel.sel = sel_buf.data();
            sel.k = k;
          }
        } else {
          out.stats.rows_scanned += m;
        }
      } else {
        out.stats.rows_scanned += m;
      }
      const uint32_t n = sel.count();
      out.stats.rows_matched += n;

      if (!aggregate) {
        uint32_t take = n;
        if (limit_only) {
          size_t have = out.rows.rows();
          if (have >= static_cast<size_t>(f.limit))
            break;
          take = std::min<uint32_t>(n, static_cast<uint32_t>(f.limit - static_cast<int64_t>(have)));
        }
        for (uint32_t j = 0; j < take; ++j) {
          uint32_t i = sel.row(j);
          for (size_t oc = 0; oc < f.projection.size(); ++oc)
            emit_cell(out.rows, oc, *this, s, b, static_cast<size_t>(f.projection[oc]), i);
          out.rows.finish_row();
        }
        if (f.limit >= 0 && !f.order.empty()
            && out.rows.rows() > static_cast<size_t>(2 * f.limit + 1024))
          top_n(out.rows, f.order, f.limit);
        continue;
      }

      // Group ids: one for the whole block when every key part is constant
      // over it (series keys; buckets of the time column that the block's
      // time range does not cross), else per row with a one-entry cache.
      grouping grp;
      bool uniform = true;
      uint32_t nulls = series_nulls;
      for (size_t k = 0; k < nk && uniform; ++k) {
        const bound_key& key = keys[k];
        if (key.on_series)
          continue;
        if (key.on_time && key.k == group_key::kind::time_bucket
            && key.bucket(b.tmin) == key.bucket(b.tmax))
          key_buf[k] = static_cast<uint64_t>(key.bucket(b.tmin));
        else
          uniform = false;
      }
      if (uniform) {
        grp.uniform = group_for(key_buf.data(), nulls);
      } else {
        std::array<uint64_t, max_keys> prev{};
        uint32_t prev_nulls = 0, prev_gid = 0;
        bool have_prev = false;
        for (uint32_t j = 0; j < n; ++j) {
          uint32_t i = sel.row(j);
          uint32_t row_nulls = series_nulls;
          for (size_t k = 0; k < nk; ++k) {
            if (keys[k].on_series)
              continue;
            if (!key_part(keys[k], b, i, key_buf[k])) {
              row_nulls |= 1u << k;
              key_buf[k] = 0;
            }
          }
          if (have_prev && row_nulls == prev_nulls
              && std::equal(key_buf.begin(), key_buf.begin() + static_cast<long>(nk), prev.begin())) {
            gid_buf[j] = prev_gid;
            continue;
          }
          prev_gid = gid_buf[j] = group_for(key_buf.data(), row_nulls);
          prev = key_buf;
          prev_nulls = row_nulls;
          have_prev = true;
        }
        grp.gids = gid_buf.data();
      }
      for (size_t a = 0; a < na; ++a)
        update_agg(aggs[a], *this, s, b, sel, grp, states.data() + a, na);
    }
    if (limit_only && out.rows.rows() >= static_cast<size_t>(f.limit))
      break;
  }

  if (!aggregate) {
    if (f.limit >= 0 && !f.order.empty())
      top_n(out.rows, f.order, f.limit);
    return out;
  }

  // Emit one row of keys and states per group.
  const size_t ng = groups.size();
  out.keys.reserve(ng);
  for (size_t a = 0; a < na; ++a) {
    out.states[a].resize(ng);
    if (out.input_types[a] == column_type::text)
      out.texts[a].resize(ng);
  }
  for (uint32_t g = 0; g < ng; ++g) {
    const uint64_t* key = groups.key(g);
    for (size_t k = 0; k < nk; ++k) {
      if ((groups.nulls(g) >> k) & 1) {
        out.keys.append_null(k);
        continue;
      }
      switch (keys[k].type) {
        case column_type::text:
          out.keys.append_text(k, keys[k].on_series
                                    ? series_dict_.at(static_cast<uint32_t>(key[k]))
                                    : dicts_[static_cast<size_t>(keys[k].column)].at(static_cast<uint32_t>(key[k])));
          break;
        case column_type::float8:
          out.keys.append_float(k, std::bit_cast<double>(key[k]));
          break;
        default:
          out.keys.append_int(k, static_cast<int64_t>(key[k]));
      }
    }
    out.keys.finish_row();
    for (size_t a = 0; a < na; ++a) {
      const agg_state& s = states[g * na + a];
      out.states[a][g] = s;
      if (out.input_types[a] == column_type::text && s.count > 0 && !s.null_value
          && aggs[a].kind != agg_kind::count && aggs[a].kind != agg_kind::count_star) {
        const text_dictionary& d = aggs[a].on_series
                                     ? series_dict_
                                     : dicts_[static_cast<size_t>(aggs[a].column)];
        out.texts[a][g] = std::string{d.at(static_cast<uint32_t>(s.i))};
      }
    }
  }
  return out;
}

} // namespace hypertide::chunkstore
