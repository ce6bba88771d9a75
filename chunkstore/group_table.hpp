#pragma once

// Grouping of a chunk scan: the open-addressing table from key tuples to
// dense group ids, and GROUP BY keys bound to a chunk's layout.

#include <algorithm>
#include <bit>
#include <limits>
#include <cstdint>
#include <vector>

#include "chunkstore/chunk.hpp"
#include "chunkstore/time_bucket.hpp"

namespace hypertide::chunkstore::detail {


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
    if (!is_time_type(type))
      return int_bucket(spec.width, x, spec.offset);
    if (spec.months == 0)
      return time_bucket_fixed(spec.width, origin, x);
    return time_bucket(spec, x);
  }
};

inline uint64_t float_bits(double d) noexcept {
  if (d == 0)
    d = 0; // -0 groups with 0
  if (d != d)
    d = std::numeric_limits<double>::quiet_NaN(); // every NaN is one group
  return std::bit_cast<uint64_t>(d);
}

/// Reads key part `k` of row `i` of `b`; false when NULL.
inline bool key_part(const bound_key& k, const chunk::block& b, uint32_t i,
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

} // namespace hypertide::chunkstore::detail
