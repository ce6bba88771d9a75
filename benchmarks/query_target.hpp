#pragma once

// Where run sends its queries: a libpq connection, or a SQL session on a
// node inside the process.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace hypertide::benchmarks {

/// A query's result in text form: what `run --check` compares.
struct result_set {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

/// Something that answers SQL queries, one at a time.
class query_target {
public:
  virtual ~query_target() = default;

  /// Runs one query; `rows` gets the row count and, when `out` is given,
  /// the rows as text. `extended` asks for Parse/Bind/Execute (no
  /// parameters) where the target has it. An error message, or empty.
  virtual std::string query(const std::string& sql, bool extended, size_t& rows,
                            result_set* out) = 0;
};

} // namespace hypertide::benchmarks
