#pragma once

// Functions of the session actor shared by session_actor.cpp (startup,
// simple query, COPY) and extended_query.cpp (Parse/Bind/Describe/Execute).
// Internal to actors/.

#include <vector>

#include "actors/session_actor.hpp"

namespace hypertide::actors::session_detail {

using self_ptr = caf::stateful_actor<session_state>*;

void send_bytes(self_ptr self, std::vector<char> bytes);

/// Appends a RowDescription of result columns (formats as in pg::writer).
void row_description(std::vector<char>& out, const std::vector<planner::result_column>& cols,
                     const std::vector<int16_t>& formats = {});

/// Runs st.query statement by statement (results to the client, or to
/// st.sink when set).
void run_statements(self_ptr self);

/// Handles messages that waited while a query ran.
void drain(self_ptr self);

/// Parse, Bind, Describe, Execute, Sync, Close, Flush.
void handle_extended(self_ptr self, char type,
                     const std::vector<char>& body);

} // namespace hypertide::actors::session_detail
