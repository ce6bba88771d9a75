#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/interfaces.hpp"
#include "chunkstore/column_batch.hpp"
#include "chunkstore/fragment.hpp"
#include "chunkstore/partial_result.hpp"
#include "messages/codec.hpp"
#include "planner/catalog.hpp"

namespace hypertide::actors {

using messages::result;

/// What an insert returns once its rows are visible.
struct insert_result {
  uint64_t lsn = 0;
  uint64_t rows = 0;
};

/// The embedding API: a node's actors inside a caller's `caf::actor_system`.
/// Calls block the calling thread until the node answers; they are safe
/// from any thread that is not one of the system's scheduler threads.
/// Tests, benchmarks and simulation tools use it; the wire protocol will
/// talk to the same catalog actor (`catalog()`).
class node {
public:
  /// Starts a node's actors in `sys`, in memory only.
  explicit node(caf::actor_system& sys);

  /// Durability: the write-ahead log under `data_dir`/pg_wal.
  struct durability {
    std::string data_dir;          ///< empty: in memory only
    bool synchronous_commit = true; ///< acknowledge commits once flushed
    int wal_writer_delay_ms = 200; ///< flush delay when not synchronous
    /// PostgreSQL's max_wal_size: a checkpoint once the log has grown by
    /// half of it (0: never by volume).
    uint64_t max_wal_size_bytes = uint64_t{1} << 30;
    /// PostgreSQL's checkpoint_timeout (0: never by time).
    uint64_t checkpoint_timeout_ms = 300'000;
    /// Start even when the log is damaged before its tail, cutting it there.
    bool truncate_on_corruption = false;
    /// PostgreSQL's wal_init_zero: zero-fill new segments.
    bool wal_init_zero = true;
    /// Bytes per WAL segment of a new log (an existing log keeps its own).
    uint64_t wal_segment_size = uint64_t{64} << 20;
  };

  /// Starts a node that replays the log in `d.data_dir` (every committed
  /// change since the log began) and then logs every change there. When
  /// recovery fails, startup_error() says why and the node is stopped.
  node(caf::actor_system& sys, const durability& d);

  /// Why recovery failed (nullopt: it did not, or there was none).
  const std::optional<chunkstore::pg_error>& startup_error() const;

  /// Records replayed at startup (snapshot entries and WAL records), and
  /// what was cut off a torn log tail.
  uint64_t replayed_records() const;
  /// The redo LSN of the checkpoint recovery started from (0: none).
  uint64_t recovered_checkpoint() const;
  /// CHECKPOINT: returns the new checkpoint's redo LSN once it is durable
  /// (0 for a node in memory only).
  result<uint64_t> checkpoint();
  const std::string& torn_tail() const;
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  result<std::monostate> create_table(const messages::create_table& x);
  result<planner::hypertable_created> create_hypertable(const messages::create_hypertable& x);
  result<std::monostate> drop_table(const messages::drop_table& x);

  /// The columns of a table.
  result<chunkstore::table_schema> schema(std::string_view table);

  /// Inserts `batch` (one column per table column) into `table`.
  result<insert_result> insert(std::string_view table, const chunkstore::column_batch& batch);
  /// Inserts a ready InsertBatch FlatBuffer.
  result<insert_result> insert(const messages::buffer& insert_batch);

  /// Runs a fragment over the whole node; the result is merged over chunks.
  result<chunkstore::partial_result> query(const chunkstore::fragment& f);

  result<std::vector<messages::chunk_info>>
  show_chunks(std::string_view table, std::optional<int64_t> older_than = {},
              std::optional<int64_t> newer_than = {});
  result<std::vector<messages::chunk_info>> drop_chunks(const messages::drop_chunks& x);

  /// The catalog actor, for actors that talk to the node directly.
  catalog_actor catalog() const;
  /// The actor system the node runs in.
  caf::actor_system& system() const;

  /// Stops the node's actors; later calls fail.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace hypertide::actors
