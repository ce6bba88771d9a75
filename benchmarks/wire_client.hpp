#pragma once

// A connection that speaks the PostgreSQL protocol itself and reads a
// query's rows as they arrive, as drivers that iterate rows do (pgx's
// rows.Next(), JDBC with a fetch size): nothing is kept but the row count,
// unless run --check asks for the rows. libpq's PQexec holds the whole
// result first (a PGresult of 1.6 M rows costs the client more CPU than
// hypertide spends answering), so `run` uses this one by default.

#include <cstddef>
#include <string>
#include <vector>

#include "benchmarks/query_target.hpp"

namespace hypertide::benchmarks {

struct server_address;

class wire_client final : public query_target {
public:
  /// Rows in text (format 0) or binary (format 1, extended protocol only).
  explicit wire_client(bool binary_results) : binary_(binary_results) {}
  ~wire_client() override;
  wire_client(const wire_client&) = delete;
  wire_client& operator=(const wire_client&) = delete;

  /// Connects over TCP (trust authentication) and sets TimeZone to UTC.
  std::string connect(const server_address& a);

  std::string query(const std::string& sql, bool extended, size_t& rows,
                    result_set* out) override;

private:
  /// Reads messages up to ReadyForQuery: rows counted (and kept in `out`),
  /// the first error returned.
  std::string read_until_ready(size_t& rows, result_set* out);
  bool send_all(const std::string& bytes);
  /// Makes [at_, at_ + n) readable; false when the connection ends.
  bool fill(size_t n);

  bool binary_ = false;
  int fd_ = -1;
  std::vector<char> in_;
  size_t at_ = 0;  ///< next unread byte of in_
  size_t end_ = 0; ///< bytes of in_ filled
};

} // namespace hypertide::benchmarks
