#include "wal/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#  include <nmmintrin.h>
#endif

namespace hypertide::wal::crc32c {

namespace {

constexpr uint32_t polynomial = 0x82F63B78u; // reflected 0x1EDC6F41

using tables = std::array<std::array<uint32_t, 256>, 8>;

// t[0] is the byte-at-a-time table; t[k][b] is the CRC of byte b followed by
// k zero bytes, which lets the loop below fold 8 bytes per step.
constexpr tables make_tables() {
  tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int i = 0; i < 8; ++i)
      crc = (crc >> 1) ^ ((crc & 1u) ? polynomial : 0u);
    t[0][b] = crc;
  }
  for (uint32_t b = 0; b < 256; ++b)
    for (size_t k = 1; k < 8; ++k)
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xffu];
  return t;
}

constexpr tables table = make_tables();

uint64_t load_le64(const uint8_t* p) noexcept {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x; // x86-64 and AArch64 Linux are little-endian
}

using extend_fn = uint32_t (*)(uint32_t, const void*, size_t) noexcept;

extend_fn pick() noexcept {
  return detail::hardware_available() ? &detail::extend_hardware
                                      : &detail::extend_portable;
}

} // namespace

namespace detail {

uint32_t extend_portable(uint32_t crc, const void* data, size_t n) noexcept {
  auto p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t x = load_le64(p) ^ c;
    c = table[7][x & 0xff] ^ table[6][(x >> 8) & 0xff] ^ table[5][(x >> 16) & 0xff]
        ^ table[4][(x >> 24) & 0xff] ^ table[3][(x >> 32) & 0xff]
        ^ table[2][(x >> 40) & 0xff] ^ table[1][(x >> 48) & 0xff]
        ^ table[0][x >> 56];
  }
  for (; n > 0; --n, ++p)
    c = (c >> 8) ^ table[0][(c ^ *p) & 0xffu];
  return ~c;
}

#if defined(__x86_64__)

bool hardware_available() noexcept {
  return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2"))) uint32_t
extend_hardware(uint32_t crc, const void* data, size_t n) noexcept {
  auto p = static_cast<const uint8_t*>(data);
  uint64_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8)
    c = _mm_crc32_u64(c, load_le64(p));
  auto c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p)
    c32 = _mm_crc32_u8(c32, *p);
  return ~c32;
}

#else

bool hardware_available() noexcept {
  return false;
}

uint32_t extend_hardware(uint32_t crc, const void* data, size_t n) noexcept {
  return extend_portable(crc, data, n);
}

#endif

} // namespace detail

uint32_t extend(uint32_t crc, const void* data, size_t n) noexcept {
  static const extend_fn fn = pick();
  return fn(crc, data, n);
}

} // namespace hypertide::wal::crc32c
