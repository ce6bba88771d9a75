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

#include <caf/io/broker.hpp>

#include "actors/interfaces.hpp"
#include "planner/extended_query.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::actors {

/// State of one client connection speaking the PostgreSQL protocol v3.
struct session_state {
  static inline const char* name = "session";

  enum class phase : uint8_t { startup_length, startup_body, header, body, closing };

  phase at = phase::startup_length;
  char message_type = 0;
  catalog_actor catalog;
  planner::sql_session sql;
  int32_t pid = 0;
  int32_t secret = 0;
  /// Messages that arrived while a query was still running.
  std::deque<std::pair<char, std::vector<char>>> waiting;
  /// The query being run, statement by statement.
  std::unique_ptr<planner::parsed_query> query;
  size_t next_statement = 0;
  bool busy = false;
  /// The transaction block: idle, open (BEGIN), or failed (an error in it).
  enum class txn : uint8_t { idle, open, failed };
  txn tx = txn::idle;
  /// InsertBatches of the open transaction, handed to the catalog at COMMIT.
  std::vector<messages::buffer> tx_writes;
  std::set<std::string> tx_tables;
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
};

/// Serves one connection: startup, the simple query protocol, Terminate.
/// Statements run one after another; one that needs the catalog continues
/// when its reply arrives.
caf::behavior session_behavior(caf::io::stateful_broker<session_state>* self,
                               caf::io::connection_handle hdl, catalog_actor catalog,
                               int32_t pid);

/// Accepts connections on one address and port and forks a session per
/// connection. Bound with (listen_atom, address, port) -> actual port.
caf::behavior acceptor_behavior(caf::io::broker* self, catalog_actor catalog);

} // namespace hypertide::actors
