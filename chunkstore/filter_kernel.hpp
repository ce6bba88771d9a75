#pragma once

// Filter kernels of a chunk scan: a predicate bound to one chunk's
// dictionaries and layout, evaluated for a whole series, a whole block (from
// its time range) or row by row into bitmasks, with SQL's three-valued logic.

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "chunkstore/chunk.hpp"

namespace hypertide::chunkstore::detail {

using series = chunk::series;
using block = chunk::block;

constexpr uint32_t W = chunk::words_per_block;
/// One bit per row of a block.
using mask = std::array<uint64_t, W>;

/// Three-valued logic plus "varies from row to row" (`v`) and "FALSE or
/// NULL, never TRUE" (`x`).
enum class tri : uint8_t { t, f, n, v, x };

/// True when no row can pass: FALSE, NULL, or never TRUE.
constexpr bool never_true(tri x) noexcept {
  return x == tri::f || x == tri::n || x == tri::x;
}

/// A predicate bound to one chunk.
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
  std::vector<double> in_f;   ///< without NaN (in_nan)
  bool in_nan = false;        ///< the list holds NaN, which equals NaN
  bool in_null = false;
  std::vector<uint8_t> truth; ///< text leaves, per dictionary code: 0 f, 1 t, 2 n
  /// `= 'x'` and `IN (...)` over text: the codes whose truth is 1 (the only
  /// ones that can pass), when `exact_codes` is set.
  std::vector<uint32_t> true_codes;
  bool exact_codes = false;
  tri constant = tri::t;
  std::vector<bound_pred> children;
};

/// Binds `p` to chunk `ch` (text constants become per-code truth tables).
bound_pred bind(const predicate& p, const chunk& ch);

/// The series dictionary codes outside which `p` is never TRUE (an
/// equality or IN list on the series column, alone or ANDed with other
/// conditions), sorted; nullopt when `p` does not name them.
std::optional<std::vector<uint32_t>> series_candidates(const bound_pred& p);

/// What a predicate says of a whole series (`b` null) or of one block.
tri eval_coarse(const bound_pred& p, const series& s, const block* b);

/// Per-row TRUE and FALSE masks of a predicate over the first `m` rows.
void eval_rows(const bound_pred& p, const chunk& ch, const series& s,
               const block& b, uint32_t m, mask& t, mask& f);

/// True when `p` only looks at the series column.
bool only_series(const bound_pred& p);

} // namespace hypertide::chunkstore::detail
