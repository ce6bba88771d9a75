#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chunkstore/column_batch.hpp"
#include "chunkstore/types.hpp"
#include "planner/insert_builder.hpp"

namespace hypertide::planner {

/// COPY's FORMAT and its options, with PostgreSQL's defaults per format.
struct copy_options {
  enum class format : uint8_t { text, csv, binary };
  format fmt = format::text;
  char delimiter = '\t';
  std::string null_string = "\\N";
  bool header = false;
  char quote = '"';
  char escape = '"';
};

/// Reads COPY ... FROM STDIN data as it arrives in CopyData messages (a row
/// may span messages) straight into a column batch: the bulk path, with no
/// SQL parsing per row.
class copy_parser {
public:
  /// `fields[i]` is the table column that field i of a row fills; the
  /// other columns get NULL.
  copy_parser(const chunkstore::table_schema& schema, std::vector<int> fields,
              copy_options opts, std::string table);

  /// Feeds the payload of one CopyData message.
  std::optional<positioned_error> feed(std::string_view data);

  /// The end of the data (CopyDone).
  std::optional<positioned_error> finish();

  chunkstore::column_batch& batch() noexcept { return batch_; }
  size_t rows() const noexcept { return batch_.rows(); }

private:
  // Parse rows from `in_`; `used` gets the bytes of the whole rows read.
  std::optional<positioned_error> text_lines(bool at_end, size_t& used);
  std::optional<positioned_error> binary_tuples(size_t& used);
  std::optional<positioned_error> row(const std::vector<std::string>& cells,
                                      const std::vector<bool>& nulls);
  positioned_error bad(std::string sqlstate, std::string message) const;

  const chunkstore::table_schema& schema_;
  std::vector<int> fields_;
  std::vector<int> field_of_column_;
  copy_options opts_;
  std::string table_;
  chunkstore::column_batch batch_;
  std::string pending_;  ///< a part row from the last feed()
  std::string_view in_;  ///< what is being parsed: the new data, or pending_ with it
  size_t line_ = 0;
  bool header_skipped_ = false;
  bool ended_ = false;   ///< `\.` seen, or the binary trailer
  bool binary_header_ = false;
  std::vector<std::string> cells_;
  std::vector<bool> nulls_;
};

/// Options of a COPY statement's WITH (...) list; an error names a bad one.
std::optional<positioned_error> set_copy_option(copy_options& o, std::string_view name,
                                                std::string_view value);

/// A row of COPY TO output in text format (tab, `\N`, backslash escapes) or
/// CSV, with its newline.
std::string copy_out_row(const std::vector<std::optional<std::string>>& cells,
                         const copy_options& o);

} // namespace hypertide::planner
