#pragma once

// UTF-8 as PostgreSQL checks it (pg_verify_mbstr for a UTF8 database): text
// from a client — a query, a parameter, a COPY's data — must be valid UTF-8
// with no NUL byte, or the statement fails with 22021.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "chunkstore/types.hpp"

namespace hypertide::planner {

namespace utf8_detail {

/// The length of the valid character at the front of `s` (s non-empty,
/// its first byte not plain ASCII or NUL), or 0 when it is not one:
/// PostgreSQL's pg_utf8_islegal (no overlong forms, no surrogates, nothing
/// above U+10FFFF).
inline size_t valid_char(std::string_view s) noexcept {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = b(0);
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf; // range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    if (b0 == 0xe0)
      lo = 0xa0;
    else if (b0 == 0xed)
      hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    if (b0 == 0xf0)
      lo = 0x90;
    else if (b0 == 0xf4)
      hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() < len || b(1) < lo || b(1) > hi)
    return 0;
  for (size_t i = 2; i < len; ++i)
    if (b(i) < 0x80 || b(i) > 0xbf)
      return 0;
  return len;
}

} // namespace utf8_detail

/// The offset of the first byte of `s` that does not start a valid UTF-8
/// character (or is NUL); npos when all of `s` is valid. Plain ASCII goes
/// sixteen or eight bytes at a time.
inline size_t invalid_utf8_at(std::string_view s) noexcept {
  constexpr uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  size_t i = 0;
  while (i < s.size()) {
#if defined(__SSE2__)
    if (i + 16 <= s.size()) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      int odd = _mm_movemask_epi8(x) | _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128()));
      if (odd == 0) {
        i += 16;
        continue;
      }
      i += static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(odd)));
    }
#endif
    if (i + 8 <= s.size()) {
      uint64_t v;
      std::memcpy(&v, s.data() + i, 8);
      // No high bit and no zero byte: eight ASCII characters.
      if (((v | ((v - ones) & ~v)) & highs) == 0) {
        i += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c != 0 && c < 0x80) {
      ++i;
      continue;
    }
    size_t len = c == 0 ? 0 : utf8_detail::valid_char(s.substr(i));
    if (len == 0)
      return i;
    i += len;
  }
  return std::string_view::npos;
}

/// PostgreSQL's 22021 error for the bad sequence at the front of `bad`:
/// invalid byte sequence for encoding "UTF8": 0xc3 0x28 (the bytes the
/// first one announces, at most those there are).
inline chunkstore::pg_error invalid_utf8_error(std::string_view bad) {
  auto b0 = static_cast<unsigned char>(bad.empty() ? 0 : bad[0]);
  size_t want = (b0 & 0xe0) == 0xc0 ? 2 : (b0 & 0xf0) == 0xe0 ? 3 : (b0 & 0xf8) == 0xf0 ? 4 : 1;
  std::string bytes;
  for (size_t j = 0; j < want && j < bad.size(); ++j) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "%s0x%02x", j == 0 ? "" : " ",
                  static_cast<unsigned char>(bad[j]));
    bytes += hex;
  }
  if (bad.empty())
    bytes = "0x00";
  return chunkstore::pg_error{
    "22021", "invalid byte sequence for encoding \"UTF8\": " + bytes, {}};
}

/// 22021 for the first bad sequence of `s`, or nullopt when it is valid.
inline std::optional<chunkstore::pg_error> utf8_error(std::string_view s) {
  size_t at = invalid_utf8_at(s);
  if (at == std::string_view::npos) [[likely]]
    return std::nullopt;
  return invalid_utf8_error(s.substr(at));
}

} // namespace hypertide::planner
