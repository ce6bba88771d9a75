#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chunkstore/column_batch.hpp"
#include "chunkstore/types.hpp"
#include "messages/codec.hpp"

namespace hypertide::planner {

/// A constant of an INSERT ... VALUES row, as written.
struct literal {
  bool is_null = false;
  /// 23 int4, 20 int8, 1700 numeric, 16 bool, 705 unknown (a quoted
  /// string), or the type a cast names (25, 1184, 1114, 701, ...).
  int32_t type_oid = 705;
  std::string text;
  int32_t location = -1; ///< 0-based position in the query string
};

/// `INSERT INTO table [(columns)] VALUES (...), ...` with constant rows,
/// or `INSERT INTO table [(columns)] SELECT ...`.
struct insert_values {
  std::string table;
  std::vector<std::string> columns; ///< empty: the table's columns in order
  std::vector<std::vector<literal>> rows;
  /// INSERT ... SELECT: the SelectStmt (in the parsed_query, which outlives
  /// this), whose result rows become `rows`; null for VALUES.
  const void* select = nullptr;
  std::string select_table; ///< the table the SELECT reads ("" if none)
  chunkstore::timestamp now = 0;
};

/// A PostgreSQL error at a position of the query string.
struct positioned_error {
  chunkstore::pg_error error;
  int32_t position = 0; ///< 1-based, 0 = none
};

/// Builds the column batch of an INSERT for a table with `schema`,
/// converting each literal to its column's type as PostgreSQL assigns it
/// (strings parsed by the column type, numerics rounded into integers,
/// integers into double precision); missing columns get NULL.
std::variant<chunkstore::column_batch, positioned_error>
build_insert(const chunkstore::table_schema& schema, const insert_values& x);

} // namespace hypertide::planner
