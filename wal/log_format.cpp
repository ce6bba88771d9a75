#include "wal/log_format.hpp"

#include <algorithm>

#include "wal/crc32c.hpp"

namespace hypertide::wal {

const char* to_string(record_kind k) noexcept {
  switch (k) {
    case record_kind::create_table:
      return "create_table";
    case record_kind::create_hypertable:
      return "create_hypertable";
    case record_kind::create_chunk:
      return "create_chunk";
    case record_kind::insert:
      return "insert";
    case record_kind::drop_chunks:
      return "drop_chunks";
    case record_kind::drop_table:
      return "drop_table";
    case record_kind::commit:
      return "commit";
    case record_kind::txn_ddl:
      return "txn_ddl";
  }
  return "unknown";
}

uint64_t record_end_offset(uint64_t offset, uint64_t payload) noexcept {
  uint64_t left = payload;
  for (;;) {
    uint64_t in_block = block_size - offset % block_size;
    if (in_block < fragment_header_size) {
      offset += in_block; // trailer
      continue;
    }
    uint64_t n = std::min<uint64_t>(left, in_block - fragment_header_size);
    offset += fragment_header_size + n;
    left -= n;
    if (left == 0)
      return offset;
  }
}

uint64_t max_record_size(uint64_t segment_size) noexcept {
  uint64_t blocks = segment_size / block_size;
  if (blocks == 0)
    return 0;
  return (block_size - segment_header_size - fragment_header_size)
         + (blocks - 1) * max_fragment_payload;
}

void encode(const segment_header& h, uint8_t* out) noexcept {
  put_u32(out, segment_magic);
  put_u16(out + 4, h.version);
  put_u16(out + 6, static_cast<uint16_t>(segment_header_size));
  put_u32(out + 8, h.block_size);
  put_u32(out + 12, h.segment_size);
  put_u64(out + 16, h.segno);
  put_u64(out + 24, h.system_identifier);
  put_u32(out + 32, h.timeline);
  put_u32(out + 36, crc32c::mask(crc32c::value(out, 36)));
}

std::optional<segment_header> decode_segment_header(std::span<const uint8_t> in) noexcept {
  if (in.size() < segment_header_size)
    return std::nullopt;
  const uint8_t* p = in.data();
  if (crc32c::unmask(get_u32(p + 36)) != crc32c::value(p, 36)
      || get_u32(p) != segment_magic || get_u16(p + 6) != segment_header_size)
    return std::nullopt;
  segment_header h;
  h.version = get_u16(p + 4);
  h.block_size = get_u32(p + 8);
  h.segment_size = get_u32(p + 12);
  h.segno = get_u64(p + 16);
  h.system_identifier = get_u64(p + 24);
  h.timeline = get_u32(p + 32);
  return h;
}

} // namespace hypertide::wal
