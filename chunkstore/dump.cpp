#include <algorithm>
#include <unordered_map>

#include "chunkstore/chunk.hpp"

// chunk::dump: a checkpoint's copy of a chunk, block by block and column by
// column (no per-cell dispatch: a checkpoint copies every row).
namespace hypertide::chunkstore {

namespace {

/// Records whether row `row` of `col` is valid, materializing the bitmap
/// (every earlier row valid) at the first NULL.
inline void note_validity(column_batch::column& col, size_t row, bool valid) {
  if (!valid && !col.has_nulls) {
    col.has_nulls = true;
    col.validity.assign((row >> 3) + 1, 0xff);
  }
  if (col.has_nulls)
    set_bit(col.validity, row, valid);
}

template <class T, class V>
void copy_values(std::vector<V>& dst, const std::byte* data, size_t offset, uint32_t from,
                 uint32_t n) {
  const T* src = reinterpret_cast<const T*>(data + offset) + from;
  dst.insert(dst.end(), src, src + n);
}

} // namespace

bool chunk::dump(lsn snapshot, dump_cursor& cursor, size_t max_rows,
                 column_batch& out) const {
  const size_t nc = schema_.columns.size();
  if (out.num_columns() != nc)
    out = column_batch(schema_);
  const size_t first_row = out.rows();
  size_t row_out = first_row;
  size_t copied = 0;
  while (cursor.series < series_.size() && copied < max_rows) {
    const series& s = series_[cursor.series];
    const mark* m = visible(s, snapshot);
    const uint32_t vis = m ? m->rows : 0;
    if (cursor.row >= vis) {
      ++cursor.series;
      cursor.row = 0;
      continue;
    }
    const uint32_t end
      = cursor.row + static_cast<uint32_t>(std::min<size_t>(vis - cursor.row, max_rows - copied));
    for (uint32_t r = cursor.row; r < end;) {
      const block& b = *s.blocks[r / block_rows];
      const uint32_t i = r % block_rows;
      const uint32_t n = std::min(block_rows - i, end - r);
      for (size_t c = 0; c < nc; ++c) {
        auto& col = out.col(c);
        const size_t off = offsets_[c];
        if (static_cast<int>(c) == series_column_) {
          col.codes.insert(col.codes.end(), n, s.code);
          if (s.is_null || col.has_nulls)
            for (uint32_t j = 0; j < n; ++j)
              note_validity(col, row_out + j, !s.is_null);
          continue;
        }
        switch (schema_.columns[c].type) {
          case column_type::int4: copy_values<int32_t>(col.i32, b.data, off, i, n); break;
          case column_type::float8: copy_values<double>(col.f64, b.data, off, i, n); break;
          case column_type::boolean: copy_values<uint8_t>(col.u8, b.data, off, i, n); break;
          case column_type::text: copy_values<uint32_t>(col.codes, b.data, off, i, n); break;
          default: copy_values<int64_t>(col.i64, b.data, off, i, n);
        }
        const uint64_t* valid = validity(b, c);
        if (valid == nullptr && !col.has_nulls)
          continue;
        for (uint32_t j = 0; j < n; ++j) {
          const uint32_t pos = i + j;
          note_validity(col, row_out + j,
                        valid == nullptr || ((valid[pos / 64] >> (pos % 64)) & 1) != 0);
        }
      }
      row_out += n;
      copied += n;
      r += n;
    }
    cursor.row = end;
  }
  out.set_rows(row_out);
  // Text was copied as the chunk's codes: renumber the new rows' codes into
  // `out`'s dictionary, which gets just the strings they use (a piece of a
  // chunk with millions of distinct values must not carry them all).
  for (size_t c = 0; c < nc; ++c) {
    if (schema_.columns[c].type != column_type::text)
      continue;
    const text_dictionary& d = static_cast<int>(c) == series_column_ ? series_dict_ : dicts_[c];
    auto& col = out.col(c);
    std::unordered_map<uint32_t, uint32_t> index;
    for (size_t k = 0; k < col.dict.size(); ++k) // strings an earlier call put there
      if (int64_t code = d.find(col.dict[k]); code >= 0)
        index.emplace(static_cast<uint32_t>(code), static_cast<uint32_t>(k));
    for (size_t r = first_row; r < row_out; ++r) {
      uint32_t& code = col.codes[r];
      auto [it, fresh] = index.emplace(code, static_cast<uint32_t>(col.dict.size()));
      if (fresh)
        col.dict.emplace_back(d.at(code));
      code = it->second;
    }
    col.dict_index.clear();
  }
  return cursor.series < series_.size();
}

} // namespace hypertide::chunkstore
