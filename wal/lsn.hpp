#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Log sequence numbers. An LSN is a byte position in the log: segment number
// times segment size plus the offset in the segment file, so it only grows,
// and the segment a position lives in is one division away. LSN 0 is never a
// position (segments are numbered from 1), as in PostgreSQL.
namespace hypertide::wal {

/// A byte position in the log.
using lsn = uint64_t;

/// "No position" (PostgreSQL's InvalidXLogRecPtr).
constexpr lsn invalid_lsn = 0;

/// 64 MiB, the default segment size.
constexpr uint64_t default_segment_size = uint64_t{64} << 20;

/// 64 KiB, the smallest segment size (two blocks; small sizes are for tests).
constexpr uint64_t min_segment_size = uint64_t{64} << 10;

/// 1 GiB, the largest segment size (PostgreSQL's limit too).
constexpr uint64_t max_segment_size = uint64_t{1} << 30;

/// The timeline in segment file names; hypertide has only timeline 1 today.
constexpr uint32_t timeline = 1;

/// Whether `size` is a power of two in [min_segment_size, max_segment_size].
constexpr bool valid_segment_size(uint64_t size) noexcept {
  return size >= min_segment_size && size <= max_segment_size
         && (size & (size - 1)) == 0;
}

/// The segment that holds byte position `x`.
constexpr uint64_t segment_of(lsn x, uint64_t segment_size) noexcept {
  return x / segment_size;
}

/// The offset of byte position `x` in its segment file.
constexpr uint64_t offset_in_segment(lsn x, uint64_t segment_size) noexcept {
  return x % segment_size;
}

/// The position of byte `offset` of segment `segno`.
constexpr lsn make_lsn(uint64_t segno, uint64_t offset, uint64_t segment_size) noexcept {
  return segno * segment_size + offset;
}

/// PostgreSQL's text form of an LSN, `%X/%X` of its high and low 32 bits:
/// "0/16B3748", as pg_current_wal_lsn() prints it.
std::string format_lsn(lsn x);

/// Reads the text form (one to eight hex digits, '/', one to eight hex
/// digits), as the pg_lsn type does; nullopt for anything else.
std::optional<lsn> parse_lsn(std::string_view text) noexcept;

/// The file name of segment `segno`: 24 hex digits, timeline, then the
/// segment number split as PostgreSQL splits it (high and low part, with
/// 2^32 / segment_size segments per high part): "000000010000000000000001".
std::string segment_file_name(uint64_t segno, uint64_t segment_size);

/// The segment number a segment file name stands for; nullopt for names
/// that are not segment files of this segment size and timeline.
std::optional<uint64_t> parse_segment_file_name(std::string_view name,
                                                uint64_t segment_size) noexcept;

/// pg_walfile_name(lsn): the name of the segment file that holds the byte
/// just before `x` (so the end of a record that fills a segment names that
/// segment, as in PostgreSQL).
std::string pg_walfile_name(lsn x, uint64_t segment_size);

} // namespace hypertide::wal
