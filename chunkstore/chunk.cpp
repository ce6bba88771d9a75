#include "chunkstore/chunk.hpp"

#include <algorithm>
#include <cstring>

namespace hypertide::chunkstore {

// -- text_dictionary ------------------------------------------------------

uint32_t text_dictionary::intern(std::string_view s) {
  if (int64_t found = index_.find(s, strings_); found >= 0)
    return static_cast<uint32_t>(found);
  auto code = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  index_.add(code, strings_);
  return code;
}

int64_t text_dictionary::find(std::string_view s) const {
  return index_.find(s, strings_);
}

size_t text_dictionary::memory_usage() const noexcept {
  size_t n = strings_.capacity() * sizeof(std::string);
  for (const auto& s : strings_)
    n += s.capacity() > 15 ? s.capacity() : 0;
  n += index_.memory_usage();
  return n;
}

// -- chunk ------------------------------------------------------------------

chunk::chunk(table_schema schema, int time_column, int series_column)
  : schema_(std::move(schema)),
    time_column_(time_column),
    series_column_(series_column) {
  size_t n = schema_.columns.size();
  offsets_.resize(n, 0);
  dicts_.resize(n);
  // Widest columns first keeps every column array aligned to its width.
  size_t off = 0;
  for (size_t width : {size_t{8}, size_t{4}, size_t{1}}) {
    for (size_t c = 0; c < n; ++c) {
      if (static_cast<int>(c) == series_column_
          || value_width(schema_.columns[c].type) != width)
        continue;
      offsets_[c] = off;
      off += width * block_rows;
    }
  }
  block_bytes_ = off == 0 ? 64 : off; // a multiple of 256: arena blocks stay aligned
}

chunk::~chunk() = default;

chunk::block& chunk::new_block(series& s) {
  auto b = std::make_unique<block>();
  b->data = arena_.allocate(block_bytes_);
  s.blocks.push_back(std::move(b));
  ++blocks_;
  return *s.blocks.back();
}

namespace {

/// Text as a column stores it: varchar(n) without the trailing spaces past
/// n characters (the catalog refused anything else longer).
inline std::string_view stored_text(const column_def& def, std::string_view s) noexcept {
  if (def.sql_oid != 1043 || def.typmod < 0)
    return s;
  size_t keep = varchar_cut(s, def.typmod);
  return keep == std::string_view::npos ? s : s.substr(0, keep);
}

} // namespace

chunk::series& chunk::series_for(const column_view* col, uint32_t row,
                                 std::vector<int64_t>& cache,
                                 int64_t& null_series) {
  if (col == nullptr || !col->valid(row)) {
    // Without a series column every row is in one series; NULL values of
    // the series column form a series of their own.
    if (null_series_ < 0) {
      null_series_ = static_cast<int64_t>(series_.size());
      series_.emplace_back();
      series_.back().is_null = col != nullptr;
    }
    null_series = null_series_;
    return series_[static_cast<size_t>(null_series_)];
  }
  uint32_t bcode = col->codes[row];
  int64_t idx = cache[bcode];
  if (idx < 0) {
    uint32_t code = series_dict_.intern(
      stored_text(schema_.columns[static_cast<size_t>(series_column_)], col->dict[bcode]));
    if (code >= series_by_code_.size()) {
      series_by_code_.push_back(static_cast<uint32_t>(series_.size()));
      series_.emplace_back();
      series_.back().code = code;
    }
    idx = series_by_code_[code];
    cache[bcode] = idx;
  }
  return series_[static_cast<size_t>(idx)];
}

namespace {

template <class T>
inline void put(std::byte* data, size_t off, uint32_t pos, T x) noexcept {
  reinterpret_cast<T*>(data + off)[pos] = x;
}

} // namespace

void chunk::append(const batch_view& batch, std::span<const uint32_t> sel,
                   lsn at, lsn horizon) {
  const size_t n = sel.empty() ? batch.rows : sel.size();
  if (n == 0)
    return;
  auto row_at = [&](size_t i) -> uint32_t {
    return sel.empty() ? static_cast<uint32_t>(i) : sel[i];
  };
  const column_view* scol
    = series_column_ >= 0 ? &batch.columns[static_cast<size_t>(series_column_)]
                          : nullptr;
  const column_view* tcol
    = time_column_ >= 0 ? &batch.columns[static_cast<size_t>(time_column_)]
                        : nullptr;
  std::vector<int64_t> series_cache(scol ? scol->dict.size() : 0, -1);
  std::vector<block*> dst_block(n);
  std::vector<std::byte*> dst_data(n);
  std::vector<uint16_t> dst_pos(n);
  std::vector<uint32_t> touched;
  ++append_seq_;

  // Pass 1: where each row goes, per series; block and series time ranges.
  for (size_t i = 0; i < n; ++i) {
    uint32_t r = row_at(i);
    int64_t ns = -1;
    series& found = series_for(scol, r, series_cache, ns); // may grow series_
    size_t sidx = static_cast<size_t>(&found - series_.data());
    series& s = series_[sidx];
    if (s.touched != append_seq_) {
      s.touched = append_seq_;
      touched.push_back(static_cast<uint32_t>(sidx));
    }
    block* b = (s.blocks.empty() || s.blocks.back()->rows == block_rows)
                 ? &new_block(s)
                 : s.blocks.back().get();
    uint32_t pos = b->rows++;
    timestamp t = tcol ? tcol->int_at(r) : 0;
    if (t < b->tmax)
      b->sorted = false;
    if (t < b->tmin)
      b->tmin = t;
    if (t > b->tmax)
      b->tmax = t;
    uint32_t row_index = s.rows++;
    if (t < s.first_time) {
      s.first_time = t;
      s.first_row = row_index;
    }
    if (t > s.last_time) {
      s.last_time = t;
      s.last_row = row_index;
    }
    dst_block[i] = b;
    dst_data[i] = b->data;
    dst_pos[i] = static_cast<uint16_t>(pos);
  }

  // Pass 2: one column at a time, so the type switch is outside the loop.
  for (size_t c = 0; c < schema_.columns.size(); ++c) {
    if (static_cast<int>(c) == series_column_)
      continue;
    const column_view& col = batch.columns[c];
    const size_t off = offsets_[c];
    switch (schema_.columns[c].type) {
      case column_type::int4:
        for (size_t i = 0; i < n; ++i) {
          int32_t x = col.type == column_type::int4
                        ? col.i32[row_at(i)]
                        : static_cast<int32_t>(col.int_at(row_at(i)));
          put(dst_data[i], off, dst_pos[i], x);
        }
        break;
      case column_type::timestamptz:
      case column_type::timestamp:
      case column_type::int8:
        for (size_t i = 0; i < n; ++i) {
          int64_t x = col.int_at(row_at(i));
          put(dst_data[i], off, dst_pos[i], x);
        }
        break;
      case column_type::float8: {
        // real: float8 storage of values rounded to float4.
        const bool real = schema_.columns[c].sql_oid == 700;
        for (size_t i = 0; i < n; ++i) {
          double x = col.f64[row_at(i)];
          if (real)
            x = static_cast<float>(x);
          put(dst_data[i], off, dst_pos[i], x);
        }
        break;
      }
      case column_type::boolean:
        for (size_t i = 0; i < n; ++i)
          put(dst_data[i], off, dst_pos[i],
              static_cast<uint8_t>(col.u8[row_at(i)] != 0));
        break;
      case column_type::text: {
        std::vector<int64_t> remap(col.dict.size(), -1);
        for (size_t i = 0; i < n; ++i) {
          uint32_t r = row_at(i);
          uint32_t bc = col.codes[r];
          if (remap[bc] < 0)
            remap[bc] = dicts_[c].intern(stored_text(schema_.columns[c], col.dict[bc]));
          put(dst_data[i], off, dst_pos[i], static_cast<uint32_t>(remap[bc]));
        }
        break;
      }
    }
    if (col.validity == nullptr)
      continue;
    for (size_t i = 0; i < n; ++i) {
      if (col.valid(row_at(i)))
        continue;
      block* b = dst_block[i];
      if (!b->validity) {
        size_t words = schema_.columns.size() * words_per_block;
        b->validity = std::make_unique<uint64_t[]>(words);
        std::fill_n(b->validity.get(), words, ~uint64_t{0});
        ++validity_blocks_;
      }
      uint32_t pos = dst_pos[i];
      b->validity[c * words_per_block + pos / 64] &= ~(uint64_t{1} << (pos % 64));
    }
  }

  // Commit marks: fold the ones no reader needs any more, add this commit.
  for (uint32_t sidx : touched) {
    series& s = series_[sidx];
    auto& ms = s.marks;
    size_t keep_from = 0;
    for (size_t k = 0; k < ms.size(); ++k)
      if (ms[k].at <= horizon)
        keep_from = k;
    if (keep_from > 0)
      ms.erase(ms.begin(), ms.begin() + static_cast<long>(keep_from));
    // Several appends of one commit (a transaction's statements) share its
    // mark.
    if (!ms.empty() && ms.back().at == at)
      ms.back() = mark{at, s.rows, s.first_row, s.last_row};
    else
      ms.push_back(mark{at, s.rows, s.first_row, s.last_row});
  }
  if (tcol) {
    for (uint32_t sidx : touched) {
      const series& s = series_[sidx];
      tmin_ = std::min(tmin_, s.first_time);
      tmax_ = std::max(tmax_, s.last_time);
    }
  }
  total_rows_ += n;
}

const chunk::mark* chunk::visible(const series& s, lsn snapshot) noexcept {
  for (auto it = s.marks.rbegin(); it != s.marks.rend(); ++it)
    if (it->at <= snapshot)
      return &*it;
  return nullptr;
}

size_t chunk::rows(lsn snapshot) const noexcept {
  size_t n = 0;
  for (const auto& s : series_)
    if (const mark* m = visible(s, snapshot))
      n += m->rows;
  return n;
}

size_t chunk::memory_usage() const noexcept {
  size_t n = sizeof(*this);
  n += arena_.reserved() + blocks_ * (sizeof(block) + sizeof(void*));
  n += validity_blocks_ * schema_.columns.size() * words_per_block * 8;
  n += series_.capacity() * sizeof(series);
  for (const auto& s : series_)
    n += s.marks.capacity() * sizeof(mark)
         + (s.blocks.capacity() - s.blocks.size()) * sizeof(void*);
  n += series_by_code_.capacity() * sizeof(uint32_t);
  for (const auto& d : dicts_)
    n += d.memory_usage();
  n += series_dict_.memory_usage();
  return n;
}

} // namespace hypertide::chunkstore
