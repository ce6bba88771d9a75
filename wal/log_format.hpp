#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

// The bytes of the log; wal/README.md describes them for a person.
namespace hypertide::wal {

// -- little-endian fields -------------------------------------------------------

inline void put_u16(uint8_t* p, uint16_t x) noexcept {
  p[0] = static_cast<uint8_t>(x);
  p[1] = static_cast<uint8_t>(x >> 8);
}

inline void put_u32(uint8_t* p, uint32_t x) noexcept {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(x >> (8 * i));
}

inline void put_u64(uint8_t* p, uint64_t x) noexcept {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<uint8_t>(x >> (8 * i));
}

inline uint16_t get_u16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>(p[0] | p[1] << 8);
}

inline uint32_t get_u32(const uint8_t* p) noexcept {
  uint32_t x = 0;
  for (int i = 3; i >= 0; --i)
    x = x << 8 | p[i];
  return x;
}

inline uint64_t get_u64(const uint8_t* p) noexcept {
  uint64_t x = 0;
  for (int i = 7; i >= 0; --i)
    x = x << 8 | p[i];
  return x;
}

// -- records --------------------------------------------------------------------

/// Segments are cut into blocks of 32 KiB; a fragment never crosses a block
/// boundary, so a reader can always find the next fragment at the next block.
constexpr uint64_t block_size = 32 * 1024;

/// A fragment header: masked CRC32C (4), payload length (2), type (1),
/// record kind (1). The CRC covers bytes 4..7 of the header and the payload.
constexpr size_t fragment_header_size = 8;

/// The most payload one fragment carries.
constexpr size_t max_fragment_payload = block_size - fragment_header_size;

/// Where a fragment sits in its record (bits 0-2 of the type byte). Zero is
/// never written: it is what a zero-filled (preallocated) file holds.
enum class fragment_type : uint8_t { zero = 0, full = 1, first = 2, middle = 3, last = 4 };

/// Bits 0-2 of the type byte.
constexpr uint8_t fragment_type_mask = 0x07;

/// Bit 7 of the type byte: set on the first fragment the writer appended
/// after a completed sync. Everything before such a fragment was durable
/// before it was written, which is how the reader tells a torn last write
/// from damage in the middle of the log (see README).
constexpr uint8_t sync_flag = 0x80;

/// What change a record carries (the fourth header byte, the same in every
/// fragment of a record). The payload is the FlatBuffer of that change;
/// this layer does not look inside. Zero is never a kind.
enum class record_kind : uint8_t {
  create_table = 1,      ///< messages::create_table (catalog.fbs CreateTable)
  create_hypertable = 2, ///< messages::create_hypertable
  create_chunk = 3,      ///< messages::create_chunk (wal.fbs CreateChunk)
  insert = 4,            ///< an InsertBatch (ingest.fbs)
  drop_chunks = 5,       ///< messages::drop_chunks
  drop_table = 6,        ///< messages::drop_table
  commit = 7,            ///< messages::commit_record (wal.fbs Commit)
  /// A transaction block's DDL: one byte of inner kind (1, 2 or 6), then
  /// that kind's payload. Replay applies it with the commit that follows.
  txn_ddl = 9,
};

/// A name for `k` ("insert"), or "unknown" for a kind this version does not
/// know (a reader passes such records on rather than failing).
const char* to_string(record_kind k) noexcept;

/// Where a record of `payload` bytes written at segment offset `offset` ends:
/// fragments of at most one block, block trailers of fewer than
/// `fragment_header_size` bytes skipped. May exceed the segment size (then
/// the record goes into the next segment).
uint64_t record_end_offset(uint64_t offset, uint64_t payload) noexcept;

// -- segment header -------------------------------------------------------------

/// "HTWL" as stored (little-endian u32).
constexpr uint32_t segment_magic = 0x4C575448u;

/// The format version in every segment header.
constexpr uint16_t format_version = 1;

/// The bytes before a segment's first record.
constexpr size_t segment_header_size = 40;

/// The largest record a segment of `segment_size` bytes holds (records do not
/// span segments).
uint64_t max_record_size(uint64_t segment_size) noexcept;

/// The header at the start of every segment file.
struct segment_header {
  uint16_t version = format_version;
  uint32_t block_size = static_cast<uint32_t>(wal::block_size);
  uint32_t segment_size = 0;
  uint64_t segno = 0;
  uint64_t system_identifier = 0;
  uint32_t timeline = 0;
};

/// Writes `h` into `out` (segment_header_size bytes), checksum included.
void encode(const segment_header& h, uint8_t* out) noexcept;

/// Reads a header; nullopt when `in` is short, has the wrong magic or fails
/// its checksum. The fields are not judged here.
std::optional<segment_header> decode_segment_header(std::span<const uint8_t> in) noexcept;

} // namespace hypertide::wal
