#pragma once

// A libpq connection as hypertide-bench uses it: statements, queries in the
// simple or extended protocol, and COPY FROM STDIN.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;

namespace hypertide::benchmarks {

struct server_address;

/// A query's result in text form: what `run --check` compares.
struct result_set {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

/// One connection. Errors come back as messages ("ERROR 42P01: ..."); an
/// empty string means success.
class pg_client {
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

  /// Runs one query; `rows` gets the row count and, when `out` is given,
  /// the rows as text. `extended` uses Parse/Bind/Execute (no parameters).
  std::string query(const std::string& sql, bool extended, size_t& rows,
                    result_set* out = nullptr);

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
