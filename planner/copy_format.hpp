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
  std::optional<positioned_error> text_rows(size_t& used);
  /// False for the end marker (which ends the data) and a header line.
  bool is_data(std::string_view line);
  std::optional<positioned_error> binary_tuples(size_t& used);
  /// Splits a text-format line with backslashes into cells_ (views_ and
  /// nulls_ set); the number of fields, nf + 1 when there are more,
  /// end_marker_inside for a "\." inside the line.
  size_t split_escaped(std::string_view line);
  static constexpr size_t end_marker_inside = ~size_t{0};
  /// Appends the row in views_ and nulls_ to the batch.
  std::optional<positioned_error> row();
  /// row() for a line of f fields, or the error for its width.
  std::optional<positioned_error> take_row(size_t f);
  positioned_error bad(std::string sqlstate, std::string message) const;
  /// `data` arriving after the end marker or trailer.
  std::optional<positioned_error> after_end(std::string_view data);
  /// The end of the line from in_[line_start] at in_[k] (a newline or
  /// carriage return outside a field): `bytes` it takes (1 or 2; 0 when the
  /// byte after a carriage return has not come yet), or 22P04 when it is
  /// not the data's style.
  std::optional<positioned_error> line_end(size_t line_start, size_t k, bool csv, size_t& bytes);
  enum class eol_style : uint8_t { unknown, nl, crlf, cr };
  eol_style eol_ = eol_style::unknown; ///< set by the first line's end
  /// 22021 unless `text` is valid UTF-8 without NUL (PostgreSQL checks
  /// every byte a COPY reads).
  std::optional<positioned_error> check_utf8(std::string_view text) const;
  positioned_error not_null(size_t column) const;
  positioned_error missing(size_t field) const;

  const chunkstore::table_schema& schema_;
  std::vector<int> fields_;
  copy_options opts_;
  std::string table_;
  chunkstore::column_batch batch_;
  std::string pending_;  ///< a part row from the last feed()
  size_t retry_at_ = 0;  ///< pending_ is read again once it is this long
  std::string_view in_;  ///< what is being parsed: the new data, or pending_ with it
  size_t line_ = 0;
  bool header_skipped_ = false;
  bool ended_ = false;   ///< `\.` seen, or the binary trailer
  bool binary_header_ = false;
  std::vector<size_t> absent_;          ///< columns no field fills (NULL)
  /// NOT NULL columns in table order (PostgreSQL checks them so, after the
  /// row is read), each with the field that fills it or -1.
  std::vector<std::pair<size_t, int>> not_null_;
  /// How a binary field is read: its wire size and where it goes.
  enum class binary_kind : uint8_t { time, int8, int4, int2, float8, float4, boolean, text };
  struct binary_field {
    size_t column;
    binary_kind kind;
  };
  std::vector<binary_field> binary_fields_;
  std::vector<std::string> cells_;      ///< fields that needed unescaping
  std::vector<std::string_view> views_; ///< the current row's fields
  std::vector<uint8_t> nulls_;
  bool null_plain_ = true;              ///< the NULL string has no backslash
  /// Per field, the last time read and its text (a tick's rows share it).
  struct last_time {
    std::string text;
    int64_t value = 0;
    bool read = false;
  };
  std::vector<last_time> last_time_;
};

/// Options of a COPY statement's WITH (...) list; an error names a bad one.
std::optional<positioned_error> set_copy_option(copy_options& o, std::string_view name,
                                                std::string_view value);

/// A row of COPY TO output in text format (tab, `\N`, backslash escapes) or
/// CSV, with its newline.
std::string copy_out_row(const std::vector<std::optional<std::string>>& cells,
                         const copy_options& o);

} // namespace hypertide::planner
