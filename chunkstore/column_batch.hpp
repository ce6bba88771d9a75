#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chunkstore/types.hpp"

namespace hypertide::chunkstore {

/// A hash of text for dictionary indexes: whole 8-byte words, mixed (the
/// short keys of a time series -- host names, regions -- cost a few
/// multiplications, not a byte loop).
inline uint64_t hash_text(std::string_view s) noexcept {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (s.size() * 0xff51afd7ed558ccdull);
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
  }
  return h * 0xbf58476d1ce4e5b9ull;
}

/// The code of each string of a dictionary, for appends by value: open
/// addressing over codes and their hashes; the strings stay where the
/// dictionary keeps them.
class text_index {
public:
  size_t size() const noexcept { return size_; }
  void clear() noexcept {
    slots_.clear();
    size_ = 0;
  }
  /// The code of `x` in `dict` (which this indexes), or -1.
  int64_t find(std::string_view x, const std::vector<std::string>& dict) const noexcept {
    if (slots_.empty())
      return -1;
    uint64_t h = hash_text(x);
    auto tag = static_cast<uint32_t>(h >> 32);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      uint64_t e = slots_[i];
      if (e == 0)
        return -1;
      auto code = static_cast<uint32_t>(e) - 1;
      if (static_cast<uint32_t>(e >> 32) == tag && dict[code] == x)
        return code;
    }
  }
  /// Indexes dict[code], which is not indexed yet.
  void add(uint32_t code, const std::vector<std::string>& dict);
  size_t memory_usage() const noexcept { return slots_.capacity() * sizeof(uint64_t); }

private:
  void put(uint64_t h, uint32_t code) noexcept;
  std::vector<uint64_t> slots_; ///< hash tag << 32 | (code + 1); 0: empty
  size_t size_ = 0;
};

/// A read-only view of one column of a batch: a typed value array and a
/// validity bitmap (bit `i` set = row `i` is not NULL; absent = no NULLs).
/// Views point into a FlatBuffer or a `column_batch`; they own nothing.
struct column_view {
  column_type type = column_type::int8;
  const int32_t* i32 = nullptr;    ///< int4
  const int64_t* i64 = nullptr;    ///< timestamptz, int8
  const double* f64 = nullptr;     ///< float8
  const uint8_t* u8 = nullptr;     ///< boolean (0 or 1)
  const uint32_t* codes = nullptr; ///< text: indexes into `dict`
  std::vector<std::string_view> dict;
  const uint8_t* validity = nullptr;

  bool valid(size_t row) const noexcept {
    return validity == nullptr || ((validity[row >> 3] >> (row & 7)) & 1) != 0;
  }

  /// The value at `row` as an integer (integral types only).
  int64_t int_at(size_t row) const noexcept {
    switch (type) {
      case column_type::int4:
        return i32[row];
      case column_type::boolean:
        return u8[row];
      default:
        return i64[row];
    }
  }

  /// The value at `row` as a scalar.
  value at(size_t row) const;
};

/// A read-only view of a batch of rows, one `column_view` per table column.
struct batch_view {
  uint32_t rows = 0;
  std::vector<column_view> columns;
};

/// Sets bit `i` of a validity bitmap.
inline void set_bit(std::vector<uint8_t>& bits, size_t i, bool on) {
  if (bits.size() <= (i >> 3))
    bits.resize((i >> 3) + 1, 0);
  if (on)
    bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
  else
    bits[i >> 3] &= static_cast<uint8_t>(~(1u << (i & 7)));
}

/// An owning, growable columnar batch: what a client builds before an insert
/// and what a raw scan returns. Text is dictionary-encoded per batch.
class column_batch {
public:
  /// One column's storage.
  struct column {
    column_type type = column_type::int8;
    std::vector<int32_t> i32;
    std::vector<int64_t> i64;
    std::vector<double> f64;
    std::vector<uint8_t> u8;
    std::vector<uint32_t> codes;
    std::vector<std::string> dict;
    /// Index of `dict`, built on the first append_text(): columns filled in
    /// bulk (decoders, generators) never pay for it.
    text_index dict_index;
    std::vector<uint8_t> validity; ///< bitmap; empty while no NULL was added
    bool has_nulls = false;
  };

  column_batch() = default;
  explicit column_batch(std::span<const column_type> types);
  explicit column_batch(const table_schema& schema);

  size_t rows() const noexcept { return rows_; }
  size_t num_columns() const noexcept { return columns_.size(); }
  const column& col(size_t i) const noexcept { return columns_[i]; }
  column& col(size_t i) noexcept { return columns_[i]; }

  /// Appends to column `c`; every column must get one value per row, then
  /// `finish_row()` counts the row.
  void append_int(size_t c, int64_t x);
  void append_float(size_t c, double x);
  void append_text(size_t c, std::string_view x);
  void append_null(size_t c);
  /// Appends text by a code of this column's dictionary (a code that an
  /// earlier append_text returned, see last_code()).
  void append_code(size_t c, uint32_t code);
  /// The code of the last value appended to text column `c`.
  uint32_t last_code(size_t c) const noexcept { return columns_[c].codes.back(); }
  void append_value(size_t c, const value& v);
  /// append_int / append_float where the column's storage is known:
  /// i64 (int8, timestamps), i32 (int4), f64 (float8), u8 (boolean).
  void append_i64(size_t c, int64_t x) { push(columns_[c], columns_[c].i64, x); }
  void append_i32(size_t c, int32_t x) { push(columns_[c], columns_[c].i32, x); }
  void append_f64(size_t c, double x) { push(columns_[c], columns_[c].f64, x); }
  void append_u8(size_t c, bool x) { push(columns_[c], columns_[c].u8, uint8_t{x}); }
  void finish_row() noexcept { ++rows_; }

  /// Sets the row count when columns were filled directly (bulk builders).
  void set_rows(size_t n) noexcept { rows_ = n; }

  /// The value at (`row`, `c`).
  value at(size_t row, size_t c) const;

  /// A view of the whole batch.
  batch_view view() const;

  /// Appends every row of `o` (same column types), column by column; text
  /// codes are renumbered into this batch's dictionaries.
  void append_batch(const column_batch& o);
  /// The same from a view (rows read in place from a FlatBuffer).
  void append_view(const batch_view& o);

  /// Reserves room for `n` rows in every column.
  void reserve(size_t n);

  /// No rows, no dictionaries; the columns keep their types and memory.
  void clear() noexcept;

  /// Rows [begin, end) as a batch of their own (text keeps the whole
  /// dictionary).
  column_batch slice(size_t begin, size_t end) const;

private:
  void mark_valid(column& col, size_t row, bool valid);
  template <class T>
  void push(column& col, std::vector<T>& v, T x) {
    v.push_back(x);
    if (col.has_nulls) [[unlikely]]
      set_bit(col.validity, v.size() - 1, true);
  }
  size_t rows_ = 0;
  std::vector<column> columns_;
};

} // namespace hypertide::chunkstore
