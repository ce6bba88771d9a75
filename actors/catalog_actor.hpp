#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <unordered_map>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/interfaces.hpp"
#include "planner/catalog.hpp"

namespace hypertide::actors {

/// An insert whose parts are out at chunk actors.
struct pending_commit {
  size_t remaining = 0;
  uint64_t rows = 0;
  bool applied = false;
  std::vector<chunk_actor> chunks; ///< keeps dropped chunks alive until acked
  caf::typed_response_promise<uint64_t, uint64_t> promise;
};

/// A checkpoint in progress: the catalog copies every chunk at one
/// snapshot to the checkpointer, piece by piece.
struct checkpoint_job {
  uint64_t snapshot = 0; ///< the commit number the chunks are copied at
  uint64_t redo = 0;     ///< the WAL position the copy is consistent with
  std::vector<std::pair<chunk_actor, std::string>> chunks; ///< and their tables
  size_t next = 0;       ///< the chunk being copied
  uint64_t series = 0, row = 0; ///< where in it
  uint64_t changes = 0;  ///< changes logged before it began
  std::vector<caf::typed_response_promise<uint64_t>> waiting;
};

/// State of the catalog actor.
struct catalog_state {
  static inline const char* name = "catalog";

  planner::catalog cat;
  std::unordered_map<int32_t, chunk_actor> chunks;
  /// Commit sequence numbers: the catalog numbers commits itself and makes
  /// them visible in this order. With a WAL their records are appended in
  /// the same order, so this order is the log's; the numbers themselves
  /// are not WAL positions (pg_current_wal_lsn() asks the WAL writer).
  uint64_t next_lsn = 1;
  /// Every commit up to here is visible; a new query reads at this snapshot.
  uint64_t committed = 0;
  std::map<uint64_t, pending_commit> pending;
  /// Snapshots of running queries: marks older than the oldest can fold.
  std::multiset<uint64_t> snapshots;
  /// Set when a chunk failed to apply an insert: the node refuses further
  /// work rather than make part of a statement visible.
  std::optional<chunkstore::pg_error> broken;
  /// The WAL writer, when the node has a data directory; null while
  /// recovery replays the log (replayed changes are not logged again).
  caf::actor wal;
  uint64_t wal_max_record = 0;
  /// Checkpoints: who writes them, the one running, the CHECKPOINTs that
  /// asked while it ran (they get the next), changes logged since the last
  /// one began, and its redo LSN.
  caf::actor checkpointer;
  std::optional<checkpoint_job> checkpoint;
  std::vector<caf::typed_response_promise<uint64_t>> checkpoint_next;
  uint64_t checkpoint_timeout_ms = 0;
  uint64_t changes = 0;
  uint64_t last_redo = 0;
  /// When the last checkpoint finished (or the node started):
  /// checkpoint_timeout counts from here, as in PostgreSQL.
  std::chrono::steady_clock::time_point last_checkpoint_at = std::chrono::steady_clock::now();

  /// The oldest snapshot a reader may still use.
  uint64_t horizon() const noexcept {
    return snapshots.empty() ? committed : std::min(*snapshots.begin(), committed);
  }
};

/// The catalog of a node (see interfaces.hpp).
catalog_actor::behavior_type
catalog_behavior(catalog_actor::stateful_pointer<catalog_state> self);

/// Spawns a node's catalog actor in `sys`.
catalog_actor spawn_catalog(caf::actor_system& sys);

} // namespace hypertide::actors
