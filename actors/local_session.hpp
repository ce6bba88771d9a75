#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/node.hpp"

namespace hypertide::actors {

/// A SQL session inside the process: the same session actor a network
/// client gets, fed protocol messages by the caller instead of a socket.
/// It is how the load harness measures the engine without the wire, and how
/// embedders run SQL. Calls block; use one local_session from one thread at
/// a time, never from a scheduler thread.
class local_session {
public:
  /// One statement's outcome: its command tag (`SELECT 3`, `INSERT 0 1`)
  /// and, when it returns rows, the column names and the rows in text
  /// format (nullopt = NULL), as psql would show them.
  struct statement_result {
    std::string tag;
    std::vector<std::string> columns;
    std::vector<std::vector<std::optional<std::string>>> rows;
  };

  /// Opens a session on `n` as the `postgres` role.
  explicit local_session(node& n);
  ~local_session();
  local_session(const local_session&) = delete;
  local_session& operator=(const local_session&) = delete;

  /// Runs a simple-query string (one or more statements). Stops at the
  /// first error and returns it (SQLSTATE and message); the session stays
  /// usable, as a connection does.
  result<std::vector<statement_result>> simple_query(std::string_view sql);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace hypertide::actors
