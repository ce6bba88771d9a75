#pragma once

// A libpq connection as hypertide-bench uses it: statements, queries in the
// simple or extended protocol, and COPY FROM STDIN.

#include <cstddef>
#include <string>
#include <string_view>

#include "benchmarks/query_target.hpp"

struct pg_conn;

namespace hypertide::benchmarks {

struct server_address;

/// One connection. Errors come back as messages ("ERROR 42P01: ..."); an
/// empty string means success.
class pg_client final : public query_target {
public:
  pg_client() = default;
  ~pg_client();
  pg_client(pg_client&& o) noexcept : conn_(o.conn_) { o.conn_ = nullptr; }
  pg_client& operator=(pg_client&& o) noexcept;
  pg_client(const pg_client&) = delete;
  pg_client& operator=(const pg_client&) = delete;

  /// Connects and sets TimeZone to UTC, so timestamps read the same from
  /// every server.
  std::string connect(const server_address& a);

  /// Runs statements whose rows, if any, are dropped.
  std::string exec(const std::string& sql);

  /// Runs one query in the simple protocol or, with `extended`, as
  /// Parse/Bind/Execute.
  std::string query(const std::string& sql, bool extended, size_t& rows,
                    result_set* out) override;

  /// Starts `COPY ... FROM STDIN`.
  std::string copy_begin(const std::string& copy_sql);
  /// Sends COPY data.
  std::string copy_data(std::string_view data);
  /// Ends the COPY and waits for its result.
  std::string copy_end();

private:
  std::string error_of(const char* what) const;

  pg_conn* conn_ = nullptr;
};

} // namespace hypertide::benchmarks
