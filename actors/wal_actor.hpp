#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "chunkstore/types.hpp"
#include "messages/buffer.hpp"

namespace hypertide::actors {

/// Kinds of snapshot entries and WAL records (wal/log_format.hpp's
/// record_kind) as the actors use them, without including wal/.
enum wal_kind : uint8_t {
  wal_create_table = 1,
  wal_create_hypertable = 2,
  wal_create_chunk = 3,
  wal_insert = 4,
  wal_drop_chunks = 5,
  wal_drop_table = 6,
  wal_commit = 7,
  /// Only in a checkpoint's snapshot: its catalog (a CatalogSnapshot).
  wal_catalog = 8,
  /// DDL of a transaction block: the inner kind (create_table,
  /// create_hypertable, drop_table) as one byte, then its record. Applied
  /// with the transaction's commit record, never without it.
  wal_txn_ddl = 9,
};

/// How recovery treats damage.
struct recovery_options {
  /// A checksum failure before the log's tail ends the log there (what
  /// comes after is lost) instead of refusing to start.
  bool truncate_on_corruption = false;
  /// wal_init_zero: new segments are filled with zeros before use.
  bool zero_fill = true;
  /// Bytes per segment when the log is created (a power of two).
  uint64_t segment_size = uint64_t{64} << 20;
};

/// Told, in order, every entry of the newest checkpoint's snapshot
/// (`from_snapshot`) and then every WAL record after it; a returned error
/// stops recovery.
using recovery_sink = std::function<std::optional<chunkstore::pg_error>(
  bool from_snapshot, uint8_t kind, const messages::buffer& payload)>;

/// What recovery found: where the log ends (the writer continues there),
/// the checkpoint it started from, what was cut off. `files` keeps the log
/// open for the writer and the checkpointer.
struct wal_recovery {
  uint64_t end = 0;
  uint64_t checkpoint = 0;  ///< redo LSN of the snapshot loaded; 0: none
  uint64_t snapshot_entries = 0;
  uint64_t records = 0;     ///< WAL records read after the checkpoint
  uint64_t max_record = 0;  ///< the largest payload one record can hold
  std::string torn_tail;    ///< what was cut off the end, if anything
  std::shared_ptr<void> files;
};

/// Opens the log under `data_dir`/pg_wal (creating the directory and a new
/// control file on first start), loads the checkpoint's snapshot from
/// `data_dir`/snapshots and reads every record after it into `sink`. A
/// checksum failure before the tail is an error naming segment and offset
/// (unless `opts` says to truncate there).
std::variant<wal_recovery, chunkstore::pg_error>
recover_wal(const std::string& data_dir, const recovery_options& opts, const recovery_sink& sink);

/// The WAL writer: (append_atom, payloads, kinds, commit_mode) appends the
/// records in order and answers with the LSN of the last one's end -- once
/// it is on disk (fdatasync) when the commit is synchronous (the mode, or
/// for commit_default `synchronous_commit`), at once otherwise (then a
/// flush follows within `writer_delay_ms`). Appends that arrive while a
/// flush runs share the next one (group commit). Runs on its own thread:
/// its fdatasync never blocks the scheduler. After an I/O error it refuses
/// every append, as PostgreSQL PANICs.
///
/// Checkpoints: (checkpoint_atom) flushes and answers the insert LSN (a
/// redo point); (checkpoint_atom, redo) records a finished checkpoint in
/// the control file and removes the segments before it. Once the log has
/// grown by half of `max_wal_bytes` since the last checkpoint it asks
/// `catalog` for one (PostgreSQL's max_wal_size).
caf::actor spawn_wal_writer(caf::actor_system& sys, wal_recovery& log, bool synchronous_commit,
                            int writer_delay_ms, catalog_actor catalog, uint64_t max_wal_bytes);

/// The checkpointer: writes a checkpoint's snapshot file under
/// `data_dir`/snapshots on its own thread. (checkpoint_atom, redo, catalog)
/// starts one, (append_atom, InsertBatch) adds rows, (done_atom, redo)
/// makes it durable and answers (bytes, entries), (close_atom, keep)
/// removes every other snapshot file.
caf::actor spawn_checkpointer(caf::actor_system& sys, const std::string& data_dir,
                              wal_recovery& log);

} // namespace hypertide::actors
