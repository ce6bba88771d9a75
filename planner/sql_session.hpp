#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chunkstore/column_batch.hpp"
#include "chunkstore/types.hpp"
#include "messages/codec.hpp"
#include "planner/copy_format.hpp"
#include "planner/insert_builder.hpp"

namespace hypertide::planner {

using chunkstore::pg_error;

/// A column of a result set: its name and PostgreSQL type OID.
struct result_column {
  std::string name;
  int32_t type_oid = 25;
};

/// Rows of a plain projection of raw rows, still in the typed columns they
/// came in: they become text only as they are written to the client
/// (high-cpu-all returns millions; a string per cell costs more than the scan).
/// The rows come in pieces read in place -- the chunks' answers as they
/// arrived, never joined into one copy; `owner` keeps their memory.
struct column_rows {
  std::vector<chunkstore::batch_view> pieces; ///< rows, piece after piece
  std::shared_ptr<const void> owner;
  std::vector<int> columns; ///< piece column of each result column
  std::vector<int32_t> oids; ///< type OID of each result column
  size_t begin = 0;         ///< rows [begin, end) of the pieces one after another
  size_t end = 0;

  /// Calls `f(piece, from, to)` for the rows [from, to) of the pieces one
  /// after another, piece by piece.
  template <class F>
  void for_each_range(size_t from, size_t to, F&& f) const {
    size_t base = 0;
    for (const auto& p : pieces) {
      size_t n = p.rows;
      if (from < base + n && to > base) {
        size_t a = from > base ? from - base : 0;
        size_t b = std::min(n, to - base);
        f(p, a, b);
      }
      base += n;
      if (base >= to)
        break;
    }
  }
};

/// The text output of row `row` of `c` (not NULL) as a value of type
/// `oid` (real prints as float4): a view of `scratch` (64 bytes) or of the
/// column's dictionary.
std::string_view text_cell(const chunkstore::column_view& c, size_t row, char* scratch,
                           int32_t oid);

/// What a statement produced: rows (when `columns` is not empty), the
/// CommandComplete tag, and notices.
struct statement_result {
  std::vector<result_column> columns;
  /// The rows as text, unless `plain` holds them (materialize() moves them
  /// here).
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::optional<column_rows> plain;
  std::string tag;
  std::vector<std::string> notices;
  std::vector<std::pair<std::string, std::string>> warnings; ///< (SQLSTATE, message)
  /// Columns of quoted literals and NULLs whose type nothing fixed (sent
  /// as text): a set operation types them by its other side, as PostgreSQL
  /// resolves `SELECT NULL UNION SELECT 1`. Empty: none.
  std::vector<bool> untyped;

  size_t row_count() const noexcept { return plain ? plain->end - plain->begin : rows.size(); }
};

/// Turns `r.plain` into text `r.rows`.
void materialize(statement_result& r);

/// A statement that failed, with the 1-based character position of the
/// problem in the query string (0 = none).
struct statement_error {
  pg_error error;
  int32_t position = 0;
};

/// A SELECT over a table: planned once the table's columns are known
/// (plan_select). `stmt` points into the parsed_query, which must outlive it.
struct select_request {
  const void* stmt = nullptr;
  std::string table;
  chunkstore::timestamp now = 0;
};

/// COPY table [(columns)] FROM STDIN | TO STDOUT, or COPY (query) TO STDOUT.
struct copy_request {
  std::string table;
  std::vector<std::string> columns; ///< empty: every column
  bool from = true;
  const void* query = nullptr;      ///< COPY (SELECT ...) TO: the SelectStmt
  copy_options options;
  chunkstore::timestamp now = 0;
};

/// BEGIN / START TRANSACTION, COMMIT, ROLLBACK: the session keeps a
/// transaction's writes and hands them to the catalog at COMMIT.
struct transaction_control {
  enum class action : uint8_t { begin, commit, rollback, savepoint, release, rollback_to };
  action what = action::begin;
  std::string savepoint; ///< SAVEPOINT, RELEASE, ROLLBACK TO: its name
};

/// SELECT show_chunks(...) / drop_chunks(...).
struct chunk_function {
  bool drop = false;
  std::string table;
  std::optional<chunkstore::timestamp> older_than;
  std::optional<chunkstore::timestamp> newer_than;
};

/// SELECT pg_current_wal_lsn() / pg_walfile_name(pg_current_wal_lsn()):
/// the WAL writer's current position.
struct wal_position {
  std::string column;
  bool file_name = false; ///< pg_walfile_name of it
};

/// CHECKPOINT: the node writes a checkpoint (done once it is durable).
struct checkpoint_request {};

/// EXPLAIN [ANALYZE] of a SELECT over a table.
struct explain_request {
  const void* stmt = nullptr; ///< the SelectStmt
  std::string table;
  bool analyze = false;
  chunkstore::timestamp now = 0;
};

/// A statement the node's catalog carries out (or, for a SELECT, whose
/// planning needs the catalog first).
using catalog_request = std::variant<messages::create_table, messages::create_hypertable,
                                     messages::drop_table, insert_values, select_request,
                                     copy_request, transaction_control, chunk_function,
                                     explain_request, wal_position, checkpoint_request>;

/// One planned statement of a query string.
using planned_statement = std::variant<statement_result, catalog_request, statement_error>;

class sql_session;

/// A query string parsed by libpg_query: its statements, or a syntax error.
class parsed_query {
public:
  explicit parsed_query(std::string_view sql);
  ~parsed_query();
  parsed_query(parsed_query&&) noexcept;
  parsed_query& operator=(parsed_query&&) noexcept;

  /// The syntax error, if the string does not parse.
  const std::optional<statement_error>& error() const noexcept { return error_; }
  /// Number of statements (0 for an empty query).
  size_t size() const noexcept;
  /// Position `pos` (1-based, 0 = none) of an error in this query's text:
  /// a tree taken from the parse cache carries the positions of the text it
  /// was parsed from, whose literals may have had other lengths.
  int32_t position(int32_t pos) const noexcept;

private:
  friend class sql_session;
  friend class parse_cache;
  parsed_query();
  struct impl;
  std::unique_ptr<impl> impl_;
  std::optional<statement_error> error_;
};

/// The SQL state of one client connection: its settings (SET/SHOW/RESET).
/// It parses a query string with libpg_query (PostgreSQL 15's grammar) and
/// plans each statement: session statements and constant SELECTs are
/// answered here, catalog statements go to the catalog actor. Statements
/// that read or write table rows arrive with the rest of issue #3.
class sql_session {
public:
  sql_session();

  /// Plans statement `i` of `q`. Statements run one after the other:
  /// plan the next only after this one ran (a SET changes what follows).
  planned_statement plan(const parsed_query& q, size_t i);

  /// Parses and plans every statement of `sql`, stopping after the first
  /// error (for tests and tools; the session actor plans one at a time).
  std::vector<planned_statement> plan(std::string_view sql);

  /// The value of a setting as SHOW prints it, or nullopt if unknown.
  std::optional<std::string> setting(std::string_view name) const;

  /// Sets a known setting (startup parameters); unknown names are ignored.
  void set_setting(std::string_view name, std::string value);

  /// Whether the session has left a setting at its default (never SET, or
  /// RESET since).
  bool is_default(std::string_view name) const;

  /// client_encoding `value` by its canonical name (UTF8, or SQL_ASCII,
  /// whose bytes PostgreSQL checks as UTF-8 too), or the error: encodings
  /// that need a conversion are not supported (0A000), unknown names are
  /// 22023.
  static std::variant<std::string, chunkstore::pg_error> client_encoding(std::string_view value);

  /// The settings PostgreSQL reports to a client in ParameterStatus.
  static const std::vector<std::string>& reported_settings();

  /// `server_version` as reported to clients.
  static constexpr const char* server_version = "15.0 (hypertide 0.1.0)";

  /// The text of `create_hypertable`'s result record.
  static std::string hypertable_record(int32_t id, std::string_view table, bool created);

private:
  planned_statement plan_node(const void* stmt);
  std::map<std::string, std::string> settings_;
  std::map<std::string, std::string> defaults_;
  std::set<std::string> changed_; ///< settings SET in this session
};

} // namespace hypertide::planner
