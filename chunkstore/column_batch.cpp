#include "chunkstore/column_batch.hpp"

#include <algorithm>

namespace hypertide::chunkstore {

value column_view::at(size_t row) const {
  if (!valid(row))
    return value::null(type);
  switch (type) {
    case column_type::float8:
      return value::of_float(f64[row]);
    case column_type::text:
      return value::of_text(std::string{dict[codes[row]]});
    default:
      return value::of_int(type, int_at(row));
  }
}

column_batch::column_batch(std::span<const column_type> types) {
  columns_.resize(types.size());
  for (size_t i = 0; i < types.size(); ++i)
    columns_[i].type = types[i];
}

column_batch::column_batch(const table_schema& schema) {
  columns_.resize(schema.columns.size());
  for (size_t i = 0; i < schema.columns.size(); ++i)
    columns_[i].type = schema.columns[i].type;
}

void column_batch::reserve(size_t n) {
  for (auto& c : columns_) {
    switch (c.type) {
      case column_type::int4:
        c.i32.reserve(n);
        break;
      case column_type::float8:
        c.f64.reserve(n);
        break;
      case column_type::boolean:
        c.u8.reserve(n);
        break;
      case column_type::text:
        c.codes.reserve(n);
        break;
      default:
        c.i64.reserve(n);
    }
  }
}

void column_batch::mark_valid(column& c, size_t row, bool valid) {
  if (!valid && !c.has_nulls) {
    // First NULL: materialize the bitmap with every earlier row valid.
    c.has_nulls = true;
    c.validity.assign((row >> 3) + 1, 0xff);
  }
  if (c.has_nulls)
    set_bit(c.validity, row, valid);
}

void column_batch::append_int(size_t ci, int64_t x) {
  auto& c = columns_[ci];
  size_t row = 0;
  switch (c.type) {
    case column_type::int4:
      row = c.i32.size();
      c.i32.push_back(static_cast<int32_t>(x));
      break;
    case column_type::boolean:
      row = c.u8.size();
      c.u8.push_back(x != 0 ? 1 : 0);
      break;
    case column_type::float8:
      row = c.f64.size();
      c.f64.push_back(static_cast<double>(x));
      break;
    default:
      row = c.i64.size();
      c.i64.push_back(x);
  }
  mark_valid(c, row, true);
}

void column_batch::append_float(size_t ci, double x) {
  auto& c = columns_[ci];
  if (c.type != column_type::float8) {
    append_int(ci, static_cast<int64_t>(x));
    return;
  }
  size_t row = c.f64.size();
  c.f64.push_back(x);
  mark_valid(c, row, true);
}

void text_index::put(uint64_t h, uint32_t code) noexcept {
  size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  while (slots_[i] != 0)
    i = (i + 1) & mask;
  slots_[i] = (h >> 32 << 32) | (uint64_t{code} + 1);
}

void text_index::add(uint32_t code, const std::vector<std::string>& dict) {
  if ((size_ + 1) * 2 > slots_.size()) {
    // At most half full: probes stay short.
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(std::max<size_t>(16, old.size() * 2), 0);
    for (uint64_t e : old)
      if (e != 0) {
        auto c = static_cast<uint32_t>(e) - 1;
        put(hash_text(dict[c]), c);
      }
  }
  put(hash_text(dict[code]), code);
  ++size_;
}

namespace {

/// The code of `x` in column `c`'s dictionary, added when new.
uint32_t code_of(column_batch::column& c, std::string_view x) {
  // Series come in runs (a host's rows together) or in the same order at
  // every tick (every host once per interval): the last row's code or the
  // one after it is the usual answer, for one comparison.
  if (!c.codes.empty()) {
    uint32_t last = c.codes.back();
    if (last < c.dict.size() && c.dict[last] == x)
      return last;
    if (last + 1 < c.dict.size() && c.dict[last + 1] == x)
      return last + 1;
  }
  if (c.dict_index.size() != c.dict.size()) {
    c.dict_index.clear();
    for (uint32_t i = 0; i < c.dict.size(); ++i)
      c.dict_index.add(i, c.dict);
  }
  if (int64_t found = c.dict_index.find(x, c.dict); found >= 0)
    return static_cast<uint32_t>(found);
  auto code = static_cast<uint32_t>(c.dict.size());
  c.dict.emplace_back(x);
  c.dict_index.add(code, c.dict);
  return code;
}

} // namespace

void column_batch::append_text(size_t ci, std::string_view x) {
  auto& c = columns_[ci];
  size_t row = c.codes.size();
  c.codes.push_back(code_of(c, x));
  mark_valid(c, row, true);
}

void column_batch::append_code(size_t ci, uint32_t code) {
  auto& c = columns_[ci];
  size_t row = c.codes.size();
  c.codes.push_back(code);
  mark_valid(c, row, true);
}

void column_batch::append_null(size_t ci) {
  auto& c = columns_[ci];
  size_t row = 0;
  switch (c.type) {
    case column_type::int4:
      row = c.i32.size();
      c.i32.push_back(0);
      break;
    case column_type::boolean:
      row = c.u8.size();
      c.u8.push_back(0);
      break;
    case column_type::float8:
      row = c.f64.size();
      c.f64.push_back(0);
      break;
    case column_type::text:
      row = c.codes.size();
      // A NULL's code is any valid one; a column of only NULLs gets "".
      if (c.dict.empty()) {
        c.dict_index.clear();
        c.dict.emplace_back();
        c.dict_index.add(0, c.dict);
      }
      c.codes.push_back(0);
      break;
    default:
      row = c.i64.size();
      c.i64.push_back(0);
  }
  mark_valid(c, row, false);
}

void column_batch::append_value(size_t ci, const value& v) {
  if (v.is_null)
    append_null(ci);
  else if (v.type == column_type::text)
    append_text(ci, v.s);
  else if (v.type == column_type::float8)
    append_float(ci, v.f);
  else
    append_int(ci, v.i);
}

value column_batch::at(size_t row, size_t ci) const {
  const auto& c = columns_[ci];
  if (c.has_nulls && ((c.validity[row >> 3] >> (row & 7)) & 1) == 0)
    return value::null(c.type);
  switch (c.type) {
    case column_type::int4:
      return value::of_int(c.type, c.i32[row]);
    case column_type::boolean:
      return value::of_int(c.type, c.u8[row]);
    case column_type::float8:
      return value::of_float(c.f64[row]);
    case column_type::text:
      return value::of_text(c.dict[c.codes[row]]);
    default:
      return value::of_int(c.type, c.i64[row]);
  }
}

column_batch column_batch::slice(size_t begin, size_t end) const {
  end = std::min(end, rows_);
  begin = std::min(begin, end);
  column_batch out;
  out.columns_.resize(columns_.size());
  auto range = [&](const auto& v, auto& dst) {
    dst.assign(v.begin() + static_cast<ptrdiff_t>(begin), v.begin() + static_cast<ptrdiff_t>(end));
  };
  for (size_t ci = 0; ci < columns_.size(); ++ci) {
    const auto& c = columns_[ci];
    auto& d = out.columns_[ci];
    d.type = c.type;
    switch (c.type) {
      case column_type::int4: range(c.i32, d.i32); break;
      case column_type::float8: range(c.f64, d.f64); break;
      case column_type::boolean: range(c.u8, d.u8); break;
      case column_type::text:
        range(c.codes, d.codes);
        d.dict = c.dict;
        break;
      default: range(c.i64, d.i64);
    }
    if (c.has_nulls) {
      d.has_nulls = true;
      for (size_t r = begin; r < end; ++r)
        set_bit(d.validity, r - begin, ((c.validity[r >> 3] >> (r & 7)) & 1) != 0);
    }
  }
  out.rows_ = end - begin;
  return out;
}

void column_batch::clear() noexcept {
  for (auto& c : columns_) {
    c.i32.clear();
    c.i64.clear();
    c.f64.clear();
    c.u8.clear();
    c.codes.clear();
    c.dict.clear();
    c.dict_index.clear();
    c.validity.clear();
    c.has_nulls = false;
  }
  rows_ = 0;
}

void column_batch::append_batch(const column_batch& o) {
  append_view(o.view());
}

void column_batch::append_view(const batch_view& o) {
  const size_t base = rows_;
  const size_t n = o.rows;
  for (size_t ci = 0; ci < columns_.size(); ++ci) {
    auto& c = columns_[ci];
    const auto& oc = o.columns[ci];
    switch (c.type) {
      case column_type::int4:
        c.i32.insert(c.i32.end(), oc.i32, oc.i32 + n);
        break;
      case column_type::float8:
        c.f64.insert(c.f64.end(), oc.f64, oc.f64 + n);
        break;
      case column_type::boolean:
        c.u8.insert(c.u8.end(), oc.u8, oc.u8 + n);
        break;
      case column_type::text: {
        std::vector<uint32_t> remap(oc.dict.size());
        for (size_t d = 0; d < oc.dict.size(); ++d)
          remap[d] = code_of(c, oc.dict[d]);
        c.codes.reserve(c.codes.size() + n);
        for (size_t r = 0; r < n; ++r)
          c.codes.push_back(remap[oc.codes[r]]);
        break;
      }
      default:
        c.i64.insert(c.i64.end(), oc.i64, oc.i64 + n);
    }
    if (oc.validity != nullptr || c.has_nulls) {
      if (!c.has_nulls) {
        c.has_nulls = true;
        c.validity.assign((base + 7) / 8, 0xff);
      }
      for (size_t r = 0; r < n; ++r)
        set_bit(c.validity, base + r, oc.valid(r));
    }
  }
  rows_ += n;
}

batch_view column_batch::view() const {
  batch_view v;
  v.rows = static_cast<uint32_t>(rows_);
  v.columns.resize(columns_.size());
  for (size_t i = 0; i < columns_.size(); ++i) {
    const auto& c = columns_[i];
    auto& cv = v.columns[i];
    cv.type = c.type;
    cv.i32 = c.i32.data();
    cv.i64 = c.i64.data();
    cv.f64 = c.f64.data();
    cv.u8 = c.u8.data();
    cv.codes = c.codes.data();
    cv.dict.assign(c.dict.begin(), c.dict.end());
    cv.validity = c.has_nulls ? c.validity.data() : nullptr;
  }
  return v;
}

} // namespace hypertide::chunkstore
