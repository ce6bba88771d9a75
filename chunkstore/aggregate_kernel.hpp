#pragma once

// Aggregate kernels of a chunk scan: update partial states from a block's
// column arrays, densely over a row range for one group, or row by row over
// a selection with a group per row.

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "chunkstore/chunk.hpp"

namespace hypertide::chunkstore::detail {


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
inline int64_t time_at(const bound_agg& a, const chunk::block& b, uint32_t i) noexcept {
  if (a.time_type == column_type::int4)
    return chunk::values<int32_t>(b, a.time_off)[i];
  return chunk::values<int64_t>(b, a.time_off)[i];
}

inline bool time_valid(const bound_agg& a, const chunk::block& b, uint32_t i) noexcept {
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

/// The selected rows of a block: the dense range `[begin, m)`, or
/// `sel[0..k)`.
struct selection {
  uint32_t m = 0;
  const uint16_t* sel = nullptr;
  uint32_t k = 0;
  uint32_t begin = 0;

  uint32_t count() const noexcept { return sel ? k : m - begin; }
  uint32_t row(uint32_t j) const noexcept { return sel ? sel[j] : begin + j; }
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
inline void update_typed(const bound_agg& a, const chunk::block& b, const T* v,
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
    if constexpr (is_float)
      return float8_less(x, y);
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
          s.f += sum_dense(v + sel.begin, n);
        } else {
          __int128 acc = 0; // int8 sums overflow int64
          for (uint32_t i = sel.begin; i < sel.m; ++i)
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
        T best = v[sel.begin];
        if constexpr (is_float) {
          // NaN is above every other value (PostgreSQL): the max when there
          // is one, the min only when nothing else is.
          best = is_min ? HUGE_VAL : -HUGE_VAL;
          uint32_t nans = 0;
          for (uint32_t i = sel.begin; i < sel.m; ++i) {
            nans += v[i] != v[i];
            best = is_min ? (v[i] < best ? v[i] : best) : (v[i] > best ? v[i] : best);
          }
          if (is_min ? nans == n : nans > 0)
            best = std::numeric_limits<double>::quiet_NaN();
        } else {
          for (uint32_t i = sel.begin + 1; i < sel.m; ++i)
            best = is_min ? (v[i] < best ? v[i] : best) : (v[i] > best ? v[i] : best);
        }
        agg_state& s = states[grp.uniform * stride];
        if (s.count == 0 || (is_min ? less(best, get_value<T>(s)) : less(get_value<T>(s), best))) {
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
inline void update_series_agg(const bound_agg& a, const chunk::series& sr, const chunk::block& b,
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

inline void update_agg(const bound_agg& a, const chunk& ch, const chunk::series& sr,
                const chunk::block& b, const selection& sel, const grouping& grp,
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
} // namespace hypertide::chunkstore::detail
