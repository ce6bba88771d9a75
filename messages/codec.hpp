#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "chunkstore/column_batch.hpp"
#include "chunkstore/fragment.hpp"
#include "chunkstore/hypertable.hpp"
#include "chunkstore/partial_result.hpp"
#include "chunkstore/types.hpp"
#include "messages/buffer.hpp"

// Builders and readers for the FlatBuffers in messages/*.fbs. Readers verify
// a buffer only when told to: at a trust boundary (network, disk), not
// between actors of one process.
namespace hypertide::messages {

using chunkstore::pg_error;

/// A value or a PostgreSQL error.
template <class T>
using result = std::variant<T, pg_error>;

// -- ingest -------------------------------------------------------------------

/// An InsertBatch of `batch` for table `table`.
buffer encode_insert(std::string_view table, const chunkstore::column_batch& batch);

/// About the bytes encode_insert makes of `batch` (at least as many):
/// values, validity and text dictionaries.
size_t insert_size(const chunkstore::column_batch& batch);

/// A read view of an InsertBatch; it points into the buffer it was made of.
struct insert_view {
  std::string_view table;
  chunkstore::batch_view batch;
};

/// Reads an InsertBatch.
result<insert_view> decode_insert(const buffer& buf, bool verify);

/// An InsertBatch cut into InsertBatches of at most about `max_bytes` each
/// (rows in order; text keeps its dictionary): for a WAL whose records are
/// smaller than a COPY statement's slice. One piece: the buffer itself.
std::vector<buffer> split_insert(const buffer& buf, size_t max_bytes);

/// What one chunk takes of a batch: rows (all when empty) at commit `at`.
struct insert_part {
  chunkstore::lsn at = 0;
  chunkstore::lsn horizon = 0;
  std::vector<uint32_t> rows;
};

buffer encode_insert_part(const insert_part& part);
result<insert_part> decode_insert_part(const buffer& buf, bool verify);

// -- query --------------------------------------------------------------------

buffer encode_fragment(const chunkstore::fragment& f);
result<chunkstore::fragment> decode_fragment(const buffer& buf, bool verify);

buffer encode_result(const chunkstore::partial_result& r);
/// A PartialResult of raw rows only (a piece of a raw scan; no stats).
buffer encode_rows(const chunkstore::column_batch& rows);
/// Raw-row PartialResults of one fragment (no ORDER BY, no LIMIT) as one:
/// their rows one after the other, copied once from buffer to buffer (text
/// codes renumbered into one dictionary), stats summed. What the
/// aggregation actor does instead of decoding, appending and encoding again.
buffer concat_raw_results(const std::vector<buffer>& parts);
result<chunkstore::partial_result> decode_result(const buffer& buf, bool verify);

/// The raw rows of a PartialResult, read in place: views into the buffer
/// (which must outlive them), no copy.
struct raw_rows_view {
  chunkstore::batch_view rows;
  chunkstore::scan_stats stats;
};

/// Reads a PartialResult of raw rows without copying them; an error when it
/// holds groups (an aggregate's result) or does not parse.
result<raw_rows_view> view_raw_result(const buffer& buf, bool verify);

/// Every piece of a raw-row answer read in place, their counters summed.
struct raw_pieces_view {
  std::vector<chunkstore::batch_view> pieces;
  chunkstore::scan_stats stats;
};
result<raw_pieces_view> view_raw_pieces(const std::vector<buffer>& pieces, bool verify);

/// A query's answer as it travels: PartialResult pieces. An aggregate's
/// answer is one piece; raw rows may come as several, whose rows follow one
/// another (what concat_raw_results would join). One PartialResult of them
/// all: the piece itself, or the pieces joined.
buffer join_pieces(const std::vector<buffer>& pieces);

// -- catalog ------------------------------------------------------------------

/// CREATE TABLE.
struct create_table {
  std::string name;
  chunkstore::table_schema schema;
  bool if_not_exists = false;
  uint32_t oid = 0; ///< pg_class.oid, assigned by the catalog
};

/// create_hypertable(relation, time_column_name, chunk_time_interval,
/// partitioning_column, number_partitions, if_not_exists).
struct create_hypertable {
  std::string table;
  std::string time_column;
  int64_t chunk_interval = chunkstore::default_chunk_time_interval;
  std::string partitioning_column;
  int32_t number_partitions = 0;
  bool if_not_exists = false;
  /// The id a transaction reserved for it (it reports the id before its
  /// COMMIT); 0: the catalog's next.
  int32_t hypertable_id = 0;
};

/// drop_chunks(relation, older_than, newer_than).
struct drop_chunks {
  std::string table;
  std::optional<chunkstore::timestamp> older_than;
  std::optional<chunkstore::timestamp> newer_than;
};

/// DROP TABLE.
struct drop_table {
  std::string name;
  bool if_exists = false;
};

/// A row of show_chunks / timescaledb_information.chunks.
struct chunk_info {
  int32_t id = 0;
  std::string schema_name;
  std::string table_name;
  chunkstore::timestamp range_start = 0;
  chunkstore::timestamp range_end = 0;
  int32_t partition = -1;
  uint64_t rows = 0;
  uint64_t memory_bytes = 0;
  std::string hypertable;
  uint32_t oid = 0; ///< pg_class.oid of the chunk
};

/// A hypertable as timescaledb_information reports it.
struct hypertable_info {
  int32_t id = 0;
  std::string name;
  std::string time_column;
  chunkstore::column_type time_type = chunkstore::column_type::timestamptz;
  int64_t chunk_interval = 0;
  std::string space_column;
  int32_t partitions = 0;
  int32_t num_chunks = 0;
  chunkstore::column_type space_type = chunkstore::column_type::text;
};

/// Every hypertable and chunk of a node.
struct catalog_snapshot {
  std::vector<hypertable_info> hypertables;
  std::vector<chunk_info> chunks;
  std::vector<create_table> tables; ///< every table, by name
  /// In a checkpoint's snapshot: what the catalog numbers next (0: unset).
  int32_t next_table_id = 0;
  uint32_t next_oid = 0;
  int32_t next_chunk_id = 0;
};

buffer encode(const create_table& x);
buffer encode(const create_hypertable& x);
buffer encode(const drop_chunks& x);
buffer encode(const drop_table& x);
buffer encode(const std::vector<chunk_info>& x);
result<create_table> decode_create_table(const buffer& buf, bool verify);
result<create_hypertable> decode_create_hypertable(const buffer& buf, bool verify);
result<drop_chunks> decode_drop_chunks(const buffer& buf, bool verify);
result<drop_table> decode_drop_table(const buffer& buf, bool verify);
result<std::vector<chunk_info>> decode_chunk_list(const buffer& buf, bool verify);
buffer encode(const catalog_snapshot& x);
result<catalog_snapshot> decode_catalog_snapshot(const buffer& buf, bool verify);

} // namespace hypertide::messages
