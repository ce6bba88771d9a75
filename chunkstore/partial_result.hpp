#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "chunkstore/column_batch.hpp"
#include "chunkstore/fragment.hpp"
#include "chunkstore/types.hpp"

namespace hypertide::chunkstore {

/// The partial state of one aggregate for one group. States of the same
/// group from different chunks (or data nodes) merge into one.
struct agg_state {
  int64_t count = 0;       ///< rows counted; for min/max/first/last: 1 once set
  int64_t t = 0;           ///< first/last: time of the held row
  double f = 0;            ///< float8 sum, min, max, first, last
  __int128 i = 0;          ///< integer sum; integer min, max, first, last
  bool null_value = false; ///< first/last: the held row's value is NULL
};

/// Counters of one scan, to show what a query touched.
struct scan_stats {
  uint64_t rows_scanned = 0; ///< rows whose values a kernel read
  uint64_t rows_matched = 0; ///< rows that passed the filter
  uint64_t chunks = 0;       ///< chunks that answered

  scan_stats& operator+=(const scan_stats& o) noexcept {
    rows_scanned += o.rows_scanned;
    rows_matched += o.rows_matched;
    chunks += o.chunks;
    return *this;
  }
};

/// What a chunk (or a merge of chunks) answers for a fragment: one row of
/// keys and one state per aggregate for every group, or raw rows.
struct partial_result {
  column_batch keys;                          ///< one row per group
  std::vector<agg_kind> kinds;                ///< per aggregate
  std::vector<column_type> input_types;       ///< per aggregate
  std::vector<std::vector<agg_state>> states; ///< [aggregate][group]
  /// [aggregate][group] for aggregates over text; empty for the others.
  std::vector<std::vector<std::string>> texts;
  column_batch rows;                          ///< raw scans
  scan_stats stats;

  size_t groups() const noexcept { return keys.rows(); }

  /// The final value of aggregate `a` for group `g` (see finalize()).
  value final_value(size_t a, size_t g) const;
  /// The same appended to column `c` of `b` (a value of that column's type).
  void append_final(size_t a, size_t g, column_batch& b, size_t c) const;

  /// An empty result shaped for `f` over `schema`.
  static partial_result make(const fragment& f, const table_schema& schema);
};

/// Merges partial results of one fragment: groups with equal keys combine
/// their states; raw rows are concatenated and cut to the fragment's top-N.
class result_merger {
public:
  explicit result_merger(const fragment& f, const table_schema& schema);

  /// True when `r` has this fragment's shape (key columns and their types,
  /// aggregates and their input types): what add() requires.
  bool accepts(const partial_result& r) const noexcept;

  /// Folds `r` in.
  void add(const partial_result& r);
  /// Folds `r` in; the first result of an aggregate is taken over whole.
  void add(partial_result&& r);

  /// The merged result; the merger starts over empty.
  partial_result finish();

private:
  uint32_t group_of(const partial_result& r, size_t row);
  void build_index();
  fragment fragment_;
  table_schema schema_;
  partial_result acc_;
  bool empty_ = true;
  std::unordered_map<std::string, uint32_t> index_;
  std::string key_buf_;
};

/// Combines state `b` into `a` for aggregate `kind` over `type`;
/// `a_text`/`b_text` carry text values.
void merge_state(agg_kind kind, column_type type, agg_state& a,
                 const agg_state& b, std::string* a_text,
                 const std::string* b_text);

/// The final value of an aggregate: count → int8; sum(int) → int8;
/// sum/avg(float8) and avg(int) → float8; min/max/first/last → the input type.
value finalize(agg_kind kind, column_type type, const agg_state& s,
               const std::string* text);

/// Keeps the first `limit` rows of `rows` in `order` (indexes into columns).
void top_n(column_batch& rows, const std::vector<order_key>& order, int64_t limit);

/// Compares two values for ORDER BY (NULLs handled by the caller).
int compare_values(const value& a, const value& b) noexcept;

} // namespace hypertide::chunkstore
