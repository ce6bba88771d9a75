#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chunkstore/block_arena.hpp"
#include "chunkstore/column_batch.hpp"
#include "chunkstore/fragment.hpp"
#include "chunkstore/partial_result.hpp"
#include "chunkstore/types.hpp"

namespace hypertide::chunkstore {

/// A per-chunk dictionary of one text column: string <-> dense code.
class text_dictionary {
public:
  /// The code of `s`, adding it when new.
  uint32_t intern(std::string_view s);
  /// The code of `s`, or -1.
  int64_t find(std::string_view s) const;
  std::string_view at(uint32_t code) const noexcept { return strings_[code]; }
  size_t size() const noexcept { return strings_.size(); }
  size_t memory_usage() const noexcept;

private:
  std::vector<std::string> strings_;
  text_index index_;
};

/// An append-only columnar chunk. Rows are grouped per *series* (one value
/// of the series column, e.g. `hostname`); each series keeps its rows in
/// fixed-size PAX blocks (one array per column inside the block).
///
/// Visibility: every append carries its commit LSN; each series keeps
/// `(lsn, row count)` marks, so a reader at snapshot S sees in each series
/// exactly the rows of commits `<= S`. Marks older than the oldest snapshot
/// still in use (the *horizon*) are folded together, so their number stays
/// at the number of commits in flight. See chunkstore/README.md.
class chunk {
public:
  /// Rows per block: one block is `block_rows` values of every column.
  static constexpr uint32_t block_rows = 256;
  static constexpr uint32_t words_per_block = block_rows / 64;

  /// A chunk of a table with `schema`; `time_column` (or -1) feeds the block
  /// time ranges; `series_column` (a text column, or -1) groups the rows.
  chunk(table_schema schema, int time_column, int series_column);
  ~chunk();
  chunk(const chunk&) = delete;
  chunk& operator=(const chunk&) = delete;

  /// Appends rows `sel` of `batch` (all rows when `sel` is empty), committed
  /// at `at`. `at` must be at least every earlier append's (appends of one
  /// commit may come in several calls); `horizon` is the oldest snapshot any
  /// reader may still use.
  void append(const batch_view& batch, std::span<const uint32_t> sel, lsn at,
              lsn horizon);

  /// Runs fragment `f` over the rows visible at `snapshot`.
  partial_result execute(const fragment& f, lsn snapshot) const;

  /// Takes a piece of a raw scan's rows (see below); the batch is cleared
  /// after the call and filled again.
  using piece_sink = std::function<void(const column_batch& rows)>;

  /// The same; the raw rows of a fragment without ORDER BY and LIMIT leave
  /// in pieces of about `piece_bytes` of values through `sink` as the scan
  /// goes, the rest (and the stats) in the result. Pieces are small enough
  /// to stay in cache and for the allocator to reuse their memory: one
  /// result of a million rows would be built, grown and copied in memory
  /// the kernel has to fault in afresh.
  partial_result execute(const fragment& f, lsn snapshot, const piece_sink& sink,
                         size_t piece_bytes = size_t{1} << 20) const;

  /// Where a dump (a checkpoint's copy of the chunk) goes on: a series and
  /// a row of it. Series only ever get appended, so a cursor stays valid
  /// while rows arrive between two calls.
  struct dump_cursor {
    uint64_t series = 0;
    uint32_t row = 0;
  };

  /// Copies up to `max_rows` rows visible at `snapshot` from `cursor` on
  /// into `out` (which gets the chunk's schema), series by series and, in a
  /// series, in the order they were appended -- the order appending them
  /// again reproduces. Advances `cursor`; returns false once every row
  /// visible at `snapshot` was copied. Text columns get a dictionary of
  /// the strings the copied rows use.
  bool dump(lsn snapshot, dump_cursor& cursor, size_t max_rows, column_batch& out) const;

  /// Rows visible at `snapshot`.
  size_t rows(lsn snapshot) const noexcept;
  /// Rows appended, committed or not.
  size_t total_rows() const noexcept { return total_rows_; }
  size_t num_series() const noexcept { return series_.size(); }
  /// Smallest and largest time appended (min > max while empty).
  timestamp min_time() const noexcept { return tmin_; }
  timestamp max_time() const noexcept { return tmax_; }
  /// Bytes allocated for rows, dictionaries and bookkeeping.
  size_t memory_usage() const noexcept;
  const table_schema& schema() const noexcept { return schema_; }

  // -- internals shared with the scan kernels (scan.cpp) ----------------

  /// One PAX block: `block_rows` slots of every stored column.
  struct block {
    uint32_t rows = 0;
    bool sorted = true; ///< times never decrease from row to row
    timestamp tmin = max_timestamp;
    timestamp tmax = min_timestamp;
    std::byte* data = nullptr; ///< in the chunk's block_arena
    std::unique_ptr<uint64_t[]> validity; ///< null while every value is valid
  };

  /// What a series looks like after one commit.
  struct mark {
    lsn at = 0;
    uint32_t rows = 0;      ///< rows of the series visible at `at`
    uint32_t first_row = 0; ///< row with the smallest time among them
    uint32_t last_row = 0;  ///< row with the largest time among them
  };

  /// The rows of one value of the series column.
  struct series {
    uint32_t code = 0;   ///< the value's code in `series_dict_`
    bool is_null = false;
    uint32_t rows = 0;   ///< appended, committed or not
    std::vector<std::unique_ptr<block>> blocks;
    std::vector<mark> marks;
    uint32_t first_row = 0, last_row = 0; ///< over all appended rows
    timestamp first_time = max_timestamp, last_time = min_timestamp;
    uint64_t touched = 0; ///< the append (sequence number) that last added rows
  };

  /// The mark a reader at `snapshot` uses, or nullptr when none is visible.
  static const mark* visible(const series& s, lsn snapshot) noexcept;

  const std::vector<series>& all_series() const noexcept { return series_; }
  size_t column_offset(size_t c) const noexcept { return offsets_[c]; }
  int time_column() const noexcept { return time_column_; }
  int series_column() const noexcept { return series_column_; }
  const text_dictionary& dictionary(size_t c) const noexcept { return dicts_[c]; }
  const text_dictionary& series_dictionary() const noexcept { return series_dict_; }

  template <class T>
  static const T* values(const block& b, size_t offset) noexcept {
    return reinterpret_cast<const T*>(b.data + offset);
  }
  static const uint64_t* validity(const block& b, size_t c) noexcept {
    return b.validity ? b.validity.get() + c * words_per_block : nullptr;
  }

private:
  series& series_for(const column_view* col, uint32_t row,
                     std::vector<int64_t>& cache, int64_t& null_series);
  block& new_block(series& s);

  table_schema schema_;
  int time_column_;
  int series_column_;
  block_arena arena_;                 ///< block data; outlives the blocks
  std::vector<size_t> offsets_;       ///< per column, inside a block
  size_t block_bytes_ = 0;
  std::vector<text_dictionary> dicts_;///< per column (text columns only)
  text_dictionary series_dict_;
  std::vector<series> series_;
  std::vector<uint32_t> series_by_code_;
  int64_t null_series_ = -1;
  size_t total_rows_ = 0;
  uint64_t append_seq_ = 0; ///< counts append() calls
  size_t blocks_ = 0;
  size_t validity_blocks_ = 0;
  timestamp tmin_ = max_timestamp;
  timestamp tmax_ = min_timestamp;
};

} // namespace hypertide::chunkstore
