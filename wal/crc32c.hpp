#pragma once

#include <cstddef>
#include <cstdint>

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
// iSCSI (RFC 3720), ext4, LevelDB and PostgreSQL's WAL. It uses the SSE4.2
// crc32 instruction when the CPU has it and a slicing-by-8 table otherwise;
// both give the same values.
namespace hypertide::wal::crc32c {

/// The CRC-32C of `data` appended to bytes whose CRC-32C is `crc`:
/// `extend(value(a), b) == value(a + b)`.
uint32_t extend(uint32_t crc, const void* data, size_t n) noexcept;

/// The CRC-32C of `n` bytes at `data`; `value("123456789") == 0xE3069283`.
inline uint32_t value(const void* data, size_t n) noexcept {
  return extend(0, data, n);
}

/// What LevelDB adds after rotating: a stored CRC is masked because the CRC
/// of a string that itself contains CRCs is weak.
constexpr uint32_t mask_delta = 0xa282ead8u;

/// The value stored on disk for `crc` (LevelDB's `crc32c::Mask`).
constexpr uint32_t mask(uint32_t crc) noexcept {
  return ((crc >> 15) | (crc << 17)) + mask_delta;
}

/// The CRC that `mask` turned into `masked`.
constexpr uint32_t unmask(uint32_t masked) noexcept {
  uint32_t rot = masked - mask_delta;
  return (rot >> 17) | (rot << 15);
}

namespace detail {

/// The table-driven implementation.
uint32_t extend_portable(uint32_t crc, const void* data, size_t n) noexcept;

/// Whether this CPU has the SSE4.2 crc32 instruction.
bool hardware_available() noexcept;

/// The SSE4.2 implementation; call it only when `hardware_available()`.
uint32_t extend_hardware(uint32_t crc, const void* data, size_t n) noexcept;

} // namespace detail

} // namespace hypertide::wal::crc32c
