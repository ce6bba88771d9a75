#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
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
