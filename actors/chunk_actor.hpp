#pragma once

#include <cstdint>
#include <memory>

#include "actors/interfaces.hpp"
#include "chunkstore/chunk.hpp"

namespace hypertide::actors {

/// State of a chunk actor: the chunk's rows.
struct chunk_state {
  static inline const char* name = "chunk";
  int32_t id = 0;
  std::unique_ptr<chunkstore::chunk> store;
};

/// Owns one chunk: appends insert parts in the order they arrive (the
/// catalog sends them in LSN order) and answers scans at a snapshot.
chunk_actor::behavior_type
chunk_behavior(chunk_actor::stateful_pointer<chunk_state> self, int32_t id,
               chunkstore::table_schema schema, int time_column, int series_column);

} // namespace hypertide::actors
