#pragma once

// The PostgreSQL frontend/backend protocol v3: building backend messages and
// reading the startup packet. Plain C++; the session actor moves the bytes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chunkstore/types.hpp"

namespace hypertide::actors::pg {

/// Startup packet codes (the int32 after the length).
constexpr int32_t protocol_3_0 = 196608;
constexpr int32_t ssl_request_code = 80877103;
constexpr int32_t gssenc_request_code = 80877104;
constexpr int32_t cancel_request_code = 80877102;

/// Largest startup packet PostgreSQL accepts (MAX_STARTUP_PACKET_LENGTH).
constexpr int32_t max_startup_length = 10000;
/// Largest regular message we accept (PostgreSQL's PQ_LARGE_MESSAGE_LIMIT
/// is 1 GiB - 1; we keep to 256 MiB until COPY streams).
constexpr int32_t max_message_length = 256 << 20;


/// A parsed startup packet (after the length word).
struct startup_packet {
  int32_t code = 0;
  std::map<std::string, std::string> params; ///< protocol 3.0 only
  int32_t cancel_pid = 0;                    ///< CancelRequest only
  int32_t cancel_key = 0;
};

/// Parses a startup packet body; nullopt when malformed.
std::optional<startup_packet> parse_startup(const char* data, size_t size);

/// One column of a RowDescription.
struct field {
  std::string name;
  int32_t type = 25; ///< pg_type OID (planner/pg_format.hpp names them)
  int16_t size = -1;
};

/// Appends backend messages to a byte buffer.
class writer {
public:
  explicit writer(std::vector<char>& out) : out_(out) {}

  void authentication_ok();
  void parameter_status(std::string_view name, std::string_view value);
  void backend_key_data(int32_t pid, int32_t key);
  /// 'I' idle, 'T' in a transaction block, 'E' in a failed transaction.
  void ready_for_query(char status);
  /// RowDescription; `formats` holds one format code for all columns, one
  /// per column, or none (text).
  void row_description(const std::vector<field>& fields,
                       const std::vector<int16_t>& formats = {});
  /// A row of cells already encoded (text or binary).
  void data_row_raw(const std::vector<std::optional<std::string>>& cells) { data_row(cells); }
  void parse_complete();
  void bind_complete();
  void close_complete();
  void no_data();
  void portal_suspended();
  void parameter_description(const std::vector<int32_t>& types);
  /// A row of text-format cells (nullopt = NULL).
  void data_row(const std::vector<std::optional<std::string>>& cells);
  /// A DataRow written cell by cell: begin_data_row, then cell or
  /// null_cell for each column, then end_data_row with begin's result.
  size_t begin_data_row(int16_t columns) {
    size_t s = begin('D');
    put_i16(columns);
    return s;
  }
  void cell(std::string_view bytes) {
    put_i32(static_cast<int32_t>(bytes.size()));
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  void null_cell() { put_i32(-1); }
  void end_data_row(size_t start) { end(start); }
  void command_complete(std::string_view tag);
  /// CopyInResponse / CopyOutResponse: overall format (0 text, 1 binary)
  /// and the same format for each of `columns`.
  void copy_in_response(bool binary, int16_t columns);
  void copy_out_response(int16_t columns);
  void copy_data(std::string_view bytes);
  void copy_done();
  void empty_query_response();
  void error(const chunkstore::pg_error& e, int32_t position = 0, bool fatal = false);
  void notice(std::string_view message, std::string_view sqlstate = "00000",
              std::string_view severity = "NOTICE");

private:
  size_t begin(char type);
  void end(size_t start);
  void put_i16(int16_t x);
  void put_i32(int32_t x);
  void put_cstr(std::string_view s);
  std::vector<char>& out_;
};

/// Reads the big-endian int32 at `p`.
int32_t read_i32(const char* p) noexcept;

} // namespace hypertide::actors::pg
