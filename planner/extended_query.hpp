#pragma once

// The extended query protocol's SQL side: what a prepared statement looks
// like, parameters bound into it, and parameter/result values in binary.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chunkstore/column_batch.hpp"
#include "planner/insert_builder.hpp"

namespace hypertide::planner {

struct result_column;

/// A statement as Parse sees it.
struct prepared_shape {
  bool returns_rows = false;       ///< a SELECT (Describe runs it to learn its columns)
  /// Columns known without running it (create_hypertable, show_chunks...).
  std::optional<std::vector<std::pair<std::string, int32_t>>> fixed_columns;
  bool side_effects = false;       ///< a SELECT that changes something (drop_chunks...)
  int32_t params = 0;              ///< highest $n
  bool empty = false;              ///< no statement at all
};

/// Checks one statement (more than one is 42601) and describes it.
std::variant<prepared_shape, positioned_error> inspect_statement(std::string_view sql);

/// The statement with each `$n` (found in the parse tree, never inside a
/// string) replaced by a literal of parameter n: `'text'` escaped, with a
/// cast to its declared type when one was given; NULL for a null value.
std::variant<std::string, positioned_error>
bind_parameters(std::string_view sql, const std::vector<std::optional<std::string>>& values,
                const std::vector<int32_t>& types);

/// A binary-format parameter of type `oid` as text; nullopt when its bytes
/// do not fit the type.
std::optional<std::string> binary_param_to_text(int32_t oid, std::string_view bytes);

/// Whether values of type `oid` have a binary output here (every type a
/// result column can have but regclass and the other reg* types).
bool has_binary_output(int32_t oid) noexcept;

/// A text result value as PostgreSQL's binary output (its send function)
/// of type `oid`; nullopt when the type has no binary output here
/// (has_binary_output) or the text is not a value of it.
std::optional<std::string> text_to_binary_result(int32_t oid, const std::string& text);

/// The binary output of row `row` of `c` (not NULL) as type `oid`
/// (has_binary_output): written to `scratch` (64 bytes), a view of the
/// column's dictionary, or, for a pairing of column and type without a
/// direct path (numeric from a float8 column), through the text into
/// `spill`.
std::string_view binary_cell(const chunkstore::column_view& c, size_t row, int32_t oid,
                             char* scratch, std::string& spill);

} // namespace hypertide::planner
