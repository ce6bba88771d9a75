#pragma once

#include <cstdint>
#include <string>

#include "chunkstore/hypertable.hpp"
#include "messages/buffer.hpp"
#include "messages/codec.hpp"

// Builders and readers for messages/wal.fbs: the payloads of the WAL records
// `create_chunk` and `commit` (wal/log_format.hpp).
namespace hypertide::messages {

/// A chunk the catalog created.
struct create_chunk {
  std::string hypertable;
  int32_t id = 0;
  chunkstore::chunk_range range;
  uint32_t oid = 0; ///< pg_class.oid

  friend bool operator==(const create_chunk&, const create_chunk&) = default;
};

/// The commit of a transaction.
struct commit_record {
  chunkstore::timestamp time = 0; ///< microseconds since the Unix epoch
  uint64_t first_lsn = 0;         ///< the transaction's first record; 0: none

  friend bool operator==(const commit_record&, const commit_record&) = default;
};

buffer encode(const create_chunk& x);
result<create_chunk> decode_create_chunk(const buffer& buf, bool verify);
buffer encode(const commit_record& x);
result<commit_record> decode_commit(const buffer& buf, bool verify);

} // namespace hypertide::messages
