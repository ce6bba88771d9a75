#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "chunkstore/column_batch.hpp"
#include "chunkstore/fragment.hpp"
#include "chunkstore/hypertable.hpp"
#include "chunkstore/types.hpp"
#include "messages/codec.hpp"
#include "messages/wal_codec.hpp"

namespace hypertide::planner {

using chunkstore::pg_error;
using messages::result;

/// TimescaleDB's schema for chunk tables.
inline constexpr std::string_view internal_schema = "_timescaledb_internal";

/// A chunk as the catalog knows it.
struct chunk_meta {
  int32_t id = 0;
  uint32_t oid = 0; ///< pg_class.oid (a plain table's one chunk: the table's)
  chunkstore::chunk_range range;
  std::string table_name; ///< `_hyper_<hypertable id>_<chunk id>_chunk`
};

/// A table: plain (one chunk for all rows) or a hypertable.
struct table_meta {
  int32_t id = 0; ///< hypertable id (TimescaleDB numbers hypertables from 1)
  /// pg_class.oid: unique for the node's lifetime, so a table dropped and
  /// created again under its name has another (sessions key caches on it).
  uint32_t oid = 0;
  chunkstore::hypertable_def def;
  /// Chunks by (range start, partition).
  std::map<std::pair<chunkstore::timestamp, int32_t>, chunk_meta> chunks;
};

/// What `create_hypertable` returns: (hypertable_id, schema_name,
/// table_name, created).
struct hypertable_created {
  int32_t hypertable_id = 0;
  std::string schema_name = "public";
  std::string table_name;
  bool created = false;
  std::string notice; ///< set when if_not_exists skipped the call
};

/// The rows of one insert that go to one chunk.
struct chunk_rows {
  int32_t chunk_id = 0;
  bool created = false;   ///< the chunk is new: spawn it before sending
  uint32_t oid = 0;       ///< the chunk's pg_class.oid
  chunkstore::chunk_range range;
  std::vector<uint32_t> rows; ///< empty when the chunk takes every row
};

/// The catalog of one node: tables, hypertables, dimensions and chunks. It
/// routes inserted rows to chunks (creating chunks on first insert) and
/// excludes chunks a query cannot touch. Plain C++; the catalog actor owns
/// one.
class catalog {
public:
  result<std::monostate> create_table(const messages::create_table& x);
  result<hypertable_created> create_hypertable(const messages::create_hypertable& x);
  /// Drops a table; returns the ids of its chunks.
  result<std::vector<int32_t>> drop_table(const messages::drop_table& x);

  /// A hypertable id for a create_hypertable of an open transaction (its
  /// COMMIT passes it back); a rolled-back one is never used, as a
  /// PostgreSQL sequence value is not.
  int32_t reserve_hypertable_id() noexcept { return next_table_id_++; }

  /// The table called `name`, or nullptr.
  const table_meta* find(std::string_view name) const;
  /// All tables, by name.
  const std::map<std::string, table_meta, std::less<>>& tables() const noexcept {
    return tables_;
  }

  /// Checks `batch` against the table's schema and splits it by chunk,
  /// creating the chunks it needs.
  result<std::vector<chunk_rows>> route(std::string_view table,
                                        const chunkstore::batch_view& batch);

  /// The chunks of `t` that rows matching `filter` can be in.
  std::vector<const chunk_meta*>
  exclude(const table_meta& t, const std::optional<chunkstore::predicate>& filter) const;

  /// Removes chunks entirely older than `older_than` and/or entirely newer
  /// than `newer_than`; returns them.
  result<std::vector<chunk_meta>> drop_chunks(const messages::drop_chunks& x);

  /// The chunks of a table as `show_chunks` lists them (by range start).
  result<std::vector<chunk_meta>> show_chunks(std::string_view table,
                                              std::optional<chunkstore::timestamp> older_than,
                                              std::optional<chunkstore::timestamp> newer_than) const;

  /// Forgets the chunks an insert created (`parts` from route) when the
  /// statement is refused after routing: no chunk exists without a record
  /// of its creation.
  void discard_created(std::string_view table, const std::vector<chunk_rows>& parts);

  /// Everything, for a checkpoint: tables with OIDs, hypertables with ids,
  /// every chunk (plain tables' too) and the numbers handed out next.
  messages::catalog_snapshot checkpoint() const;

  /// Replaces the catalog with a checkpoint's; returns every chunk.
  result<std::vector<const chunk_meta*>> restore(const messages::catalog_snapshot& snap);

  /// A chunk the log says was created, with its id and OID (nothing when
  /// it exists already with that id).
  result<const chunk_meta*> restore_chunk(const messages::create_chunk& x);

private:
  table_meta* find_mut(std::string_view name);
  std::map<std::string, table_meta, std::less<>> tables_;
  int32_t next_table_id_ = 1;
  /// PostgreSQL's FirstNormalObjectId: user objects' OIDs start here.
  uint32_t next_oid_ = 16384;
  int32_t next_chunk_id_ = 1;
};

/// `relation "x" does not exist` (42P01).
pg_error undefined_table(std::string_view name);

} // namespace hypertide::planner
