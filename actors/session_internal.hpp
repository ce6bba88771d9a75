#pragma once

// Functions of the session actor shared by session_actor.cpp (startup,
// simple query, COPY) and extended_query.cpp (Parse/Bind/Describe/Execute).
// Internal to actors/.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/session_actor.hpp"
#include "planner/local_table.hpp"
#include "planner/select_planner.hpp"

namespace hypertide::actors::session_detail {

using self_ptr = caf::stateful_actor<session_state>*;

void send_bytes(self_ptr self, std::vector<char> bytes);

/// Appends a RowDescription of result columns (formats as in pg::writer).
void row_description(std::vector<char>& out, const std::vector<planner::result_column>& cols,
                     const std::vector<int16_t>& formats = {});

/// DataRows of rows [from, to) of `p`, each column in the format
/// `formats` asks for (as Bind gives them: none = text, one for all, or
/// one per column; 1 = binary), sent in batches as `out` fills.
void write_column_rows(self_ptr self, std::vector<char>& out, const planner::column_rows& p,
                       size_t from, size_t to, const std::vector<int16_t>& formats);

/// Runs st.query statement by statement (results to the client, or to
/// st.sink when set).
void run_statements(self_ptr self);

/// Handles messages that waited while a query ran.
void drain(self_ptr self);

/// WITH queries evaluated so far, by name.
using cte_map = std::map<std::string, std::shared_ptr<planner::local_table>>;
using select_done = std::function<void(const planner::statement_result&)>;
using select_failed = std::function<void(const planner::statement_error&)>;

/// A SELECT (over a table, pg_catalog, a timescaledb_information view, WITH
/// queries or sub-selects); `done` gets its rows, `failed` any error
/// (session_select.cpp).
void run_select(self_ptr self, const void* stmt, int64_t now, std::shared_ptr<cte_map> ctes,
                bool ctes_done, select_done done, select_failed failed);

/// Runs a planned SELECT on the node and its final step here; `stale`
/// runs when the table the plan was made for is gone.
void run_plan(self_ptr self, std::shared_ptr<planner::select_plan> plan, uint32_t table_oid,
              select_done done, select_failed failed, std::function<void()> stale);

/// Session functions of session_actor.cpp the transaction code uses.
uint8_t commit_mode_of(const session_state& st);
void fail_query(self_ptr self, const planner::statement_error& e);
void statement_done(self_ptr self, const planner::statement_result& r);
void finish_query(self_ptr self, std::vector<char>& out);
planner::statement_result tagged(std::string tag);

/// The transaction's operations and their kinds, its bookkeeping ended
/// (session_transaction.cpp).
std::pair<std::vector<buffer>, std::vector<uint8_t>> take_tx(session_state& st);
/// The block's view of its DDL again, from its operations.
void rebuild_tx_view(session_state& st);
/// A transaction's operations to the catalog under one commit.
void commit_tx(self_ptr self, std::vector<buffer> writes, const std::vector<uint8_t>& kinds,
               std::function<void(uint64_t, uint64_t)> done,
               std::function<void(caf::error&)> failed);
/// CREATE TABLE, DROP TABLE, create_hypertable() inside a transaction.
void block_ddl(self_ptr self, const planner::catalog_request& req);
/// BEGIN, COMMIT, ROLLBACK and the savepoint statements.
void run_transaction_control(self_ptr self, const planner::transaction_control& tc);
/// The end of a simple query: its implicit transaction commits, then
/// ReadyForQuery.
void end_statements(self_ptr self, std::vector<char>& out);

/// Parse, Bind, Describe, Execute, Sync, Close, Flush.
void handle_extended(self_ptr self, char type,
                     const std::vector<char>& body);

} // namespace hypertide::actors::session_detail
