#pragma once

// Functions of the session actor shared by session_actor.cpp (startup,
// simple query, COPY) and extended_query.cpp (Parse/Bind/Describe/Execute).
// Internal to actors/.

#include <vector>

#include <caf/io/connection_handle.hpp>

#include "actors/session_actor.hpp"

namespace hypertide::actors::session_detail {

using self_ptr = caf::io::stateful_broker<session_state>*;
using caf::io::connection_handle;

void send_bytes(self_ptr self, connection_handle hdl, const std::vector<char>& bytes);

/// Appends a RowDescription of result columns (formats as in pg::writer).
void row_description(std::vector<char>& out, const std::vector<planner::result_column>& cols,
                     const std::vector<int16_t>& formats = {});

/// Runs st.query statement by statement (results to the client, or to
/// st.sink when set).
void run_statements(self_ptr self, connection_handle hdl);

/// Handles messages that waited while a query ran.
void drain(self_ptr self, connection_handle hdl);

/// Parse, Bind, Describe, Execute, Sync, Close, Flush.
void handle_extended(self_ptr self, connection_handle hdl, char type,
                     const std::vector<char>& body);

} // namespace hypertide::actors::session_detail
