#include "chunkstore/hypertable.hpp"

namespace hypertide::chunkstore {

chunk_range time_slice(int64_t interval, timestamp t) noexcept {
  chunk_range r;
  int64_t q = floor_div(t, interval);
  // Clamp at the ends of the int64 range rather than overflow.
  if (q < 0 && q < min_timestamp / interval)
    r.start = min_timestamp;
  else
    r.start = q * interval;
  if (r.start > max_timestamp - interval)
    r.end = max_timestamp;
  else
    r.end = (q + 1) * interval; // q * interval overflows when start clamped
  return r;
}

int32_t partition_of(int32_t partitions, uint32_t hash) noexcept {
  if (partitions <= 1)
    return 0;
  int64_t width = partition_hash_max / partitions;
  auto p = static_cast<int32_t>(static_cast<int64_t>(hash) / width);
  return p >= partitions ? partitions - 1 : p;
}

void partition_range(int32_t partitions, int32_t p, int64_t& start,
                     int64_t& end) noexcept {
  int64_t width = partition_hash_max / (partitions <= 0 ? 1 : partitions);
  start = p == 0 ? min_timestamp : p * width;
  end = p + 1 >= partitions ? max_timestamp : (p + 1) * width;
}

namespace {

inline uint32_t rot(uint32_t x, int k) noexcept {
  return (x << k) | (x >> (32 - k));
}

inline void mix(uint32_t& a, uint32_t& b, uint32_t& c) noexcept {
  a -= c; a ^= rot(c, 4); c += b;
  b -= a; b ^= rot(a, 6); a += c;
  c -= b; c ^= rot(b, 8); b += a;
  a -= c; a ^= rot(c, 16); c += b;
  b -= a; b ^= rot(a, 19); a += c;
  c -= b; c ^= rot(b, 4); b += a;
}

inline void final_mix(uint32_t& a, uint32_t& b, uint32_t& c) noexcept {
  c ^= b; c -= rot(b, 14);
  a ^= c; a -= rot(c, 11);
  b ^= a; b -= rot(a, 25);
  c ^= b; c -= rot(b, 16);
  a ^= c; a -= rot(c, 4);
  b ^= a; b -= rot(a, 14);
  c ^= b; c -= rot(b, 24);
}

inline uint32_t le32(const unsigned char* k) noexcept {
  return k[0] | (uint32_t{k[1]} << 8) | (uint32_t{k[2]} << 16)
         | (uint32_t{k[3]} << 24);
}

} // namespace

uint32_t pg_hash_bytes(const void* data, size_t keylen) noexcept {
  auto k = static_cast<const unsigned char*>(data);
  auto len = static_cast<uint32_t>(keylen);
  uint32_t a, b, c;
  a = b = c = 0x9e3779b9u + len + 3923095u;
  while (len >= 12) {
    a += le32(k);
    b += le32(k + 4);
    c += le32(k + 8);
    mix(a, b, c);
    k += 12;
    len -= 12;
  }
  // The last 11 bytes; the lowest byte of c is left for the length, as in
  // PostgreSQL's little-endian path. Unlike lookup3's hashlittle(),
  // PostgreSQL mixes even when no byte is left (len 0, 12, 24, ...).
  switch (len) {
    case 11: c += uint32_t{k[10]} << 24; [[fallthrough]];
    case 10: c += uint32_t{k[9]} << 16; [[fallthrough]];
    case 9: c += uint32_t{k[8]} << 8; [[fallthrough]];
    case 8: b += uint32_t{k[7]} << 24; [[fallthrough]];
    case 7: b += uint32_t{k[6]} << 16; [[fallthrough]];
    case 6: b += uint32_t{k[5]} << 8; [[fallthrough]];
    case 5: b += k[4]; [[fallthrough]];
    case 4: a += uint32_t{k[3]} << 24; [[fallthrough]];
    case 3: a += uint32_t{k[2]} << 16; [[fallthrough]];
    case 2: a += uint32_t{k[1]} << 8; [[fallthrough]];
    case 1: a += k[0]; break;
    case 0: break;
  }
  final_mix(a, b, c);
  return c;
}

namespace {

uint32_t hash_uint32(uint32_t k) noexcept {
  uint32_t a, b, c;
  a = b = c = 0x9e3779b9u + sizeof(uint32_t) + 3923095u;
  a += k;
  final_mix(a, b, c);
  return c;
}

} // namespace

uint32_t pg_hash_int4(int32_t x) noexcept {
  return hash_uint32(static_cast<uint32_t>(x));
}

uint32_t pg_hash_int8(int64_t x) noexcept {
  // PostgreSQL folds the high half in so that equal int4 and int8 values hash
  // alike.
  auto lo = static_cast<uint32_t>(x);
  auto hi = static_cast<uint32_t>(static_cast<uint64_t>(x) >> 32);
  lo ^= x >= 0 ? hi : ~hi;
  return hash_uint32(lo);
}

uint32_t partition_hash(const value& v) noexcept {
  if (v.is_null)
    return 0;
  switch (v.type) {
    case column_type::text:
      return partition_hash_text(v.s);
    case column_type::int4:
    case column_type::boolean:
      return pg_hash_int4(static_cast<int32_t>(v.i)) & 0x7fffffffu;
    default:
      return pg_hash_int8(v.i) & 0x7fffffffu;
  }
}

} // namespace hypertide::chunkstore
