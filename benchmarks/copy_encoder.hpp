#pragma once

// Rows of a column batch as COPY ... FROM STDIN data, in PostgreSQL's
// binary, text or CSV format: what hypertide-bench load streams.

#include <cstdint>
#include <string>
#include <string_view>

#include "chunkstore/column_batch.hpp"

namespace hypertide::benchmarks {

/// COPY's FORMAT.
enum class copy_format : uint8_t { binary, text, csv };

/// The format's name as COPY spells it.
const char* copy_format_name(copy_format f);

/// `COPY table (columns) FROM STDIN [WITH (FORMAT ...)]` for `schema`.
std::string copy_statement(std::string_view table, const chunkstore::table_schema& schema,
                           copy_format f);

/// Appends the rows of one batch as COPY data. A binary COPY stream needs
/// binary_header() before the first rows and binary_trailer() after the last.
/// Timestamps are written in UTC; text values are escaped (text) or quoted
/// (CSV) where the format needs it.
class copy_encoder {
public:
  explicit copy_encoder(copy_format f) : fmt_(f) {}

  /// Appends the batch's rows to `out`.
  void append(const chunkstore::column_batch& batch, std::string& out);

  /// The binary format's signature, flags and header extension.
  static void binary_header(std::string& out);
  /// The binary format's end: a field count of -1.
  static void binary_trailer(std::string& out);

private:
  void append_binary(const chunkstore::column_batch& batch, std::string& out);
  void append_text(const chunkstore::column_batch& batch, std::string& out);

  copy_format fmt_;
  // Rows of one tick share a time: its text is formatted once.
  int64_t last_time_ = INT64_MIN;
  std::string last_time_text_;
};

} // namespace hypertide::benchmarks
