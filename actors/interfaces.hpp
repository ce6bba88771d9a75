#pragma once

// Every typed actor interface of hypertide. Payloads are FlatBuffers
// (messages::buffer, schemas in messages/*.fbs); LSNs are uint64_t.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/type_ids.hpp"

namespace hypertide::actors {

using messages::buffer;

/// A session's synchronous_commit for one commit: off (acknowledged before
/// its WAL records are flushed), on (after), or the node's configured
/// default (the session never changed the setting).
enum commit_mode : uint8_t { commit_async = 0, commit_sync = 1, commit_default = 2 };

/// The catalog's answer to a query planned from a cached schema that is no
/// longer the table's: the session plans again. Never shown to a client.
inline constexpr const char* stale_plan_sqlstate = "HTSTL";

/// One chunk of a hypertable (or the one chunk of a plain table).
using chunk_actor = caf::typed_actor<
  /// Appends rows of an InsertBatch (2nd) as an InsertPart (1st) says;
  /// replies with the part's LSN.
  caf::replies_to<append_atom, buffer, buffer>::with<uint64_t>,
  /// Runs a Fragment over the rows visible at a snapshot LSN; replies with
  /// its PartialResult in pieces (messages::join_pieces): one for now.
  caf::replies_to<scan_atom, buffer, uint64_t>::with<std::vector<buffer>>,
  /// Rows visible at a snapshot, and bytes of memory used.
  caf::replies_to<stats_atom, uint64_t>::with<uint64_t, uint64_t>,
  /// A checkpoint's copy: (snapshot, table name, series, row) -> the next
  /// rows visible at the snapshot from that cursor on, as an InsertBatch
  /// of the table (empty buffer: none), the cursor after them, and whether
  /// more may follow.
  caf::replies_to<dump_atom, uint64_t, std::string, uint64_t, uint64_t>::with<
    buffer, uint64_t, uint64_t, bool>>;

/// Runs one query over a set of chunks of one node and reduces their partial
/// results before it replies, once, with a PartialResult in pieces: one
/// merged piece for aggregates, ORDER BY and LIMIT; the chunks' own pieces,
/// passed on uncopied, for other raw rows.
using aggregation_actor = caf::typed_actor<
  caf::replies_to<run_atom>::with<std::vector<buffer>>>;

/// The catalog of a node: tables, hypertables, chunks; routes inserts,
/// commits them in LSN order and starts queries at a snapshot.
using catalog_actor = caf::typed_actor<
  /// CreateTable.
  caf::replies_to<create_atom, buffer>::with<bool>,
  /// CreateHypertable; replies (hypertable_id, table_name, created, notice).
  caf::replies_to<hyper_atom, buffer>::with<int32_t, std::string, bool, std::string>,
  /// DropTable.
  caf::replies_to<drop_atom, buffer>::with<bool>,
  /// InsertBatch, a commit_mode and the OID of the table the batch was
  /// built for (0: any); replies (commit LSN, rows) once the batch is
  /// visible, or stale_plan_sqlstate when the table is now another one.
  caf::replies_to<insert_atom, buffer, uint8_t, uint32_t>::with<uint64_t, uint64_t>,
  /// Several InsertBatches (a transaction's writes) under one commit LSN;
  /// replies (commit LSN, rows) once all of them are visible.
  caf::replies_to<commit_atom, std::vector<buffer>, uint8_t>::with<uint64_t, uint64_t>,
  /// A transaction block with DDL: its operations in order, each a
  /// CreateTable, CreateHypertable, DropTable or InsertBatch (kinds as the
  /// WAL's: wal_create_table, wal_create_hypertable, wal_drop_table,
  /// wal_insert), and a commit_mode. All of it is checked on a copy of the
  /// catalog first, then applied and logged under one commit record;
  /// replies (commit LSN, rows), or the first error with nothing applied.
  caf::replies_to<commit_atom, std::vector<buffer>, std::vector<uint8_t>, uint8_t>::with<
    uint64_t, uint64_t>,
  /// A hypertable id reserved for a create_hypertable of an open
  /// transaction block.
  caf::replies_to<hyper_atom>::with<int32_t>,
  /// Fragment planned against the table with this OID (0: any); replies
  /// with the node's PartialResult in pieces (as the aggregation actor), or
  /// stale_plan_sqlstate when the table is now another one (dropped and
  /// created again).
  caf::replies_to<query_atom, buffer, uint32_t>::with<std::vector<buffer>>,
  /// show_chunks with DropChunks-shaped bounds; replies with a ChunkList.
  caf::replies_to<chunks_atom, buffer>::with<buffer>,
  /// DropChunks; replies with a ChunkList of the dropped chunks.
  caf::replies_to<dropchunk_atom, buffer>::with<buffer>,
  /// The chunks a Fragment would scan (a ChunkList) and how many the table
  /// has: EXPLAIN.
  caf::replies_to<explain_atom, buffer>::with<buffer, uint64_t>,
  /// A CatalogSnapshot: every hypertable and chunk.
  caf::replies_to<info_atom>::with<buffer>,
  /// The CreateTable of a table (its schema).
  caf::replies_to<schema_atom, std::string>::with<buffer>,
  /// A query at this snapshot finished.
  caf::reacts_to<done_atom, uint64_t>,
  /// From now on every change goes to this WAL writer (actors/wal_actor.hpp)
  /// and is acknowledged once the writer has it; the largest record it
  /// takes.
  caf::reacts_to<wal_atom, caf::actor, uint64_t>,
  /// The WAL's current insert position and its segment size; 55000 when
  /// the node has no WAL (no data-dir).
  caf::replies_to<wal_atom>::with<uint64_t, uint64_t>,
  /// CHECKPOINT: replies with the checkpoint's redo LSN once its snapshot
  /// is durable and the control file points at it (0 without a WAL). A
  /// request while one runs is answered by the next one.
  caf::replies_to<checkpoint_atom>::with<uint64_t>,
  /// The checkpointer (actors/wal_actor.hpp), the checkpoint_timeout in
  /// milliseconds (0: none), the redo LSN of the checkpoint recovery
  /// started from (0: none) and whether recovery replayed WAL records the
  /// next timed checkpoint should cover: from now on checkpoints happen.
  caf::reacts_to<checkpoint_atom, caf::actor, uint64_t, uint64_t, bool>,
  /// checkpoint_timeout elapsed.
  caf::reacts_to<checkpoint_atom, bool>,
  /// Recovery: a record the log or a snapshot holds that only replay
  /// applies -- create_chunk (kind 3, a CreateChunk) or a checkpoint's
  /// catalog (kind 8, a CatalogSnapshot).
  caf::replies_to<restore_atom, uint8_t, buffer>::with<bool>>;

} // namespace hypertide::actors
