#include "wal/lsn.hpp"

#include <cstdio>

namespace hypertide::wal {

namespace {

uint64_t segments_per_id(uint64_t segment_size) noexcept {
  return (uint64_t{1} << 32) / segment_size;
}

std::optional<uint32_t> parse_hex(std::string_view s) noexcept {
  if (s.empty() || s.size() > 8)
    return std::nullopt;
  uint32_t x = 0;
  for (char c : s) {
    uint32_t d;
    if (c >= '0' && c <= '9')
      d = static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = static_cast<uint32_t>(c - 'A' + 10);
    else
      return std::nullopt;
    x = x << 4 | d;
  }
  return x;
}

} // namespace

std::string format_lsn(lsn x) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%X/%X", static_cast<unsigned>(x >> 32),
                static_cast<unsigned>(x & 0xffffffffu));
  return buf;
}

std::optional<lsn> parse_lsn(std::string_view text) noexcept {
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  auto hi = parse_hex(text.substr(0, slash));
  auto lo = parse_hex(text.substr(slash + 1));
  if (!hi || !lo)
    return std::nullopt;
  return lsn{*hi} << 32 | *lo;
}

std::string segment_file_name(uint64_t segno, uint64_t segment_size) {
  auto per_id = segments_per_id(segment_size);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%08X%08X%08X", static_cast<unsigned>(timeline),
                static_cast<unsigned>(segno / per_id),
                static_cast<unsigned>(segno % per_id));
  return buf;
}

std::optional<uint64_t> parse_segment_file_name(std::string_view name,
                                                uint64_t segment_size) noexcept {
  if (name.size() != 24)
    return std::nullopt;
  auto tli = parse_hex(name.substr(0, 8));
  auto hi = parse_hex(name.substr(8, 8));
  auto lo = parse_hex(name.substr(16, 8));
  auto per_id = segments_per_id(segment_size);
  if (!tli || !hi || !lo || *tli != timeline || *lo >= per_id)
    return std::nullopt;
  // Upper case only, as written: "0000000A..." and "0000000a..." must not
  // both name one segment.
  for (char c : name)
    if (c >= 'a' && c <= 'f')
      return std::nullopt;
  return uint64_t{*hi} * per_id + *lo;
}

std::string pg_walfile_name(lsn x, uint64_t segment_size) {
  return segment_file_name(x == 0 ? 0 : segment_of(x - 1, segment_size), segment_size);
}

} // namespace hypertide::wal
