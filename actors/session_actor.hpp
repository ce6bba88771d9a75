#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/interfaces.hpp"
#include "messages/codec.hpp"
#include "planner/extended_query.hpp"
#include "planner/parse_cache.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::actors {

/// State of one client connection speaking the PostgreSQL protocol v3.
struct session_state {
  static inline const char* name = "session";

  /// Startup packets (length, body) until the StartupMessage is accepted,
  /// then typed messages (type, length, body).
  enum class phase : uint8_t { startup, messages, closing };

  phase at = phase::startup;
  /// The connection: receives (wire_atom, bytes) to write and close_atom.
  caf::actor out;
  /// Bytes received and not yet framed into a whole message.
  std::vector<char> in;
  /// Bytes of the CopyData message being read that have not arrived yet: a
  /// COPY's data is parsed as it comes, not gathered into whole messages.
  size_t copy_data_left = 0;
  catalog_actor catalog;
  planner::sql_session sql;
  /// Columns (and OID) of tables this session has queried, by name.
  std::map<std::string, messages::create_table> schemas;
  static constexpr size_t max_cached_schemas = 256;
  int32_t pid = 0;
  int32_t secret = 0;
  /// Messages that arrived while a query was still running.
  std::deque<std::pair<char, std::vector<char>>> waiting;
  /// Parse trees of the query shapes this session sent before.
  planner::parse_cache parses;
  /// The query being run, statement by statement.
  std::unique_ptr<planner::parsed_query> query;
  size_t next_statement = 0;
  bool busy = false;
  /// The transaction block: idle, open (BEGIN), or failed (an error in it).
  enum class txn : uint8_t { idle, open, failed };
  txn tx = txn::idle;
  /// A simple query of several statements runs them in one implicit
  /// transaction, as PostgreSQL does: `multi_statement` for the query's
  /// duration, `implicit_tx` while such a transaction is open (an explicit
  /// BEGIN turns it into a regular block).
  bool multi_statement = false;
  bool implicit_tx = false;
  /// The open transaction's operations, handed to the catalog at COMMIT:
  /// InsertBatches, and in a BEGIN block its DDL (CreateTable,
  /// CreateHypertable, DropTable), each with its kind (wal_kind).
  std::vector<messages::buffer> tx_writes;
  std::vector<uint8_t> tx_kinds;
  /// Tables the transaction wrote rows into.
  std::set<std::string> tx_tables;
  /// The block's own view of its DDL: tables it created (their columns;
  /// the node knows them only at COMMIT), hypertables it made of them, and
  /// tables it dropped.
  std::map<std::string, messages::create_table> tx_created;
  std::set<std::string> tx_hypertables;
  std::set<std::string> tx_dropped;
  /// SAVEPOINTs of the open transaction, oldest first: a name and how
  /// many writes (and which written tables) came before it.
  struct savepoint {
    std::string name;
    size_t writes = 0;
    std::set<std::string> tables;
  };
  std::vector<savepoint> savepoints;
  /// Extended query protocol: prepared statements and portals by name.
  struct prepared_statement {
    std::string sql;
    std::vector<int32_t> types;
    planner::prepared_shape shape;
  };
  struct portal {
    std::string sql; ///< parameters bound
    planner::prepared_shape shape;
    std::vector<int16_t> formats;
    std::optional<planner::statement_result> result; ///< once run
    size_t sent = 0;
  };
  std::map<std::string, prepared_statement> prepared;
  std::map<std::string, portal> portals;
  /// After an error in the extended protocol, messages up to Sync are
  /// skipped.
  bool skip_to_sync = false;
  /// While set, a finished statement goes here rather than to the client.
  std::function<void(const planner::statement_result&)> sink;
  std::function<void(const planner::statement_error&)> sink_error;
  /// COPY ... FROM STDIN in progress: CopyData goes to the parser.
  std::unique_ptr<chunkstore::table_schema> copy_schema;
  std::unique_ptr<planner::copy_parser> copy;
  std::string copy_table;
  std::optional<planner::statement_error> copy_error;
  /// Rows of this session's last COPY (at most copy_reserve_max): the next
  /// one's columns are sized for as many, as a loader's batches repeat.
  size_t copy_rows_hint = 0;
};

/// Serves one client speaking the PostgreSQL protocol: startup, the simple
/// and extended query protocols, COPY, Terminate. Bytes arrive as
/// (wire_atom, buffer) in any split (a request is answered, empty, once the
/// bytes are framed); replies go to `out` as (wire_atom, buffer),
/// and close_atom when the session ends. `out` is a connection broker
/// (actors/listener.hpp) or an in-process client (actors/local_session.hpp).
/// Statements run one after another; one that needs the catalog continues
/// when its reply arrives.
caf::behavior session_behavior(caf::stateful_actor<session_state>* self, caf::actor out,
                               catalog_actor catalog, int32_t pid);

} // namespace hypertide::actors
