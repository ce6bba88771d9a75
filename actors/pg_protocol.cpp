#include "actors/pg_protocol.hpp"

#include <cstring>

namespace hypertide::actors::pg {

int32_t read_i32(const char* p) noexcept {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int32_t>((uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16)
                              | (uint32_t{u[2]} << 8) | uint32_t{u[3]});
}

std::optional<startup_packet> parse_startup(const char* data, size_t size) {
  if (size < 4)
    return std::nullopt;
  startup_packet p;
  p.code = read_i32(data);
  if (p.code == cancel_request_code) {
    if (size != 12)
      return std::nullopt;
    p.cancel_pid = read_i32(data + 4);
    p.cancel_key = read_i32(data + 8);
    return p;
  }
  if (p.code != protocol_3_0)
    return p; // SSL/GSS requests and unsupported versions: the caller decides
  // name\0value\0 ... \0
  size_t i = 4;
  while (i < size && data[i] != '\0') {
    const char* name = data + i;
    size_t nlen = strnlen(name, size - i);
    if (i + nlen >= size)
      return std::nullopt;
    i += nlen + 1;
    const char* value = data + i;
    size_t vlen = strnlen(value, size - i);
    if (i + vlen >= size)
      return std::nullopt;
    i += vlen + 1;
    p.params[std::string{name, nlen}] = std::string{value, vlen};
  }
  if (i >= size) // the final terminator is missing
    return std::nullopt;
  return p;
}

size_t writer::begin(char type) {
  out_.push_back(type);
  size_t start = out_.size();
  out_.resize(start + 4); // length, patched by end()
  return start;
}

void writer::end(size_t start) {
  auto len = static_cast<uint32_t>(out_.size() - start);
  out_[start] = static_cast<char>(len >> 24);
  out_[start + 1] = static_cast<char>(len >> 16);
  out_[start + 2] = static_cast<char>(len >> 8);
  out_[start + 3] = static_cast<char>(len);
}

void writer::put_i16(int16_t x) {
  auto u = static_cast<uint16_t>(x);
  out_.push_back(static_cast<char>(u >> 8));
  out_.push_back(static_cast<char>(u));
}

void writer::put_i32(int32_t x) {
  auto u = static_cast<uint32_t>(x);
  out_.push_back(static_cast<char>(u >> 24));
  out_.push_back(static_cast<char>(u >> 16));
  out_.push_back(static_cast<char>(u >> 8));
  out_.push_back(static_cast<char>(u));
}

void writer::put_cstr(std::string_view s) {
  // A NUL inside would end the string early for the client: cut there.
  auto n = s.find('\0');
  out_.insert(out_.end(), s.begin(), n == std::string_view::npos ? s.end() : s.begin() + static_cast<long>(n));
  out_.push_back('\0');
}

void writer::authentication_ok() {
  size_t s = begin('R');
  put_i32(0);
  end(s);
}

void writer::parameter_status(std::string_view name, std::string_view value) {
  size_t s = begin('S');
  put_cstr(name);
  put_cstr(value);
  end(s);
}

void writer::backend_key_data(int32_t pid, int32_t key) {
  size_t s = begin('K');
  put_i32(pid);
  put_i32(key);
  end(s);
}

void writer::ready_for_query(char status) {
  size_t s = begin('Z');
  out_.push_back(status);
  end(s);
}

void writer::row_description(const std::vector<field>& fields,
                             const std::vector<int16_t>& formats) {
  size_t s = begin('T');
  put_i16(static_cast<int16_t>(fields.size()));
  for (size_t i = 0; i < fields.size(); ++i) {
    const auto& f = fields[i];
    int16_t fmt = formats.empty() ? 0 : formats.size() == 1 ? formats[0] : formats[i];
    put_cstr(f.name);
    put_i32(0); // table OID
    put_i16(0); // column number
    put_i32(static_cast<int32_t>(f.type));
    put_i16(f.size);
    put_i32(-1); // type modifier
    put_i16(fmt);
  }
  end(s);
}

void writer::parse_complete() {
  end(begin('1'));
}

void writer::bind_complete() {
  end(begin('2'));
}

void writer::close_complete() {
  end(begin('3'));
}

void writer::no_data() {
  end(begin('n'));
}

void writer::portal_suspended() {
  end(begin('s'));
}

void writer::parameter_description(const std::vector<int32_t>& types) {
  size_t s = begin('t');
  put_i16(static_cast<int16_t>(types.size()));
  for (int32_t t : types)
    put_i32(t);
  end(s);
}

void writer::data_row(const std::vector<std::optional<std::string>>& cells) {
  size_t s = begin('D');
  put_i16(static_cast<int16_t>(cells.size()));
  for (const auto& c : cells) {
    if (!c) {
      put_i32(-1);
      continue;
    }
    put_i32(static_cast<int32_t>(c->size()));
    out_.insert(out_.end(), c->begin(), c->end());
  }
  end(s);
}

void writer::command_complete(std::string_view tag) {
  size_t s = begin('C');
  put_cstr(tag);
  end(s);
}

void writer::copy_in_response(bool binary, int16_t columns) {
  size_t s = begin('G');
  out_.push_back(binary ? 1 : 0);
  put_i16(columns);
  for (int16_t i = 0; i < columns; ++i)
    put_i16(binary ? 1 : 0);
  end(s);
}

void writer::copy_out_response(int16_t columns) {
  size_t s = begin('H');
  out_.push_back(0);
  put_i16(columns);
  for (int16_t i = 0; i < columns; ++i)
    put_i16(0);
  end(s);
}

void writer::copy_data(std::string_view bytes) {
  size_t s = begin('d');
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  end(s);
}

void writer::copy_done() {
  size_t s = begin('c');
  end(s);
}

void writer::empty_query_response() {
  size_t s = begin('I');
  end(s);
}

void writer::error(const chunkstore::pg_error& e, int32_t position, bool fatal) {
  size_t s = begin('E');
  const char* severity = fatal ? "FATAL" : "ERROR";
  out_.push_back('S');
  put_cstr(severity);
  out_.push_back('V');
  put_cstr(severity);
  out_.push_back('C');
  put_cstr(e.sqlstate.empty() ? "XX000" : e.sqlstate);
  out_.push_back('M');
  put_cstr(e.message);
  if (!e.detail.empty()) {
    out_.push_back('D');
    put_cstr(e.detail);
  }
  if (position > 0) {
    out_.push_back('P');
    put_cstr(std::to_string(position));
  }
  out_.push_back('\0');
  end(s);
}

void writer::notice(std::string_view message, std::string_view sqlstate,
                    std::string_view severity) {
  size_t s = begin('N');
  out_.push_back('S');
  put_cstr(severity);
  out_.push_back('V');
  put_cstr(severity);
  out_.push_back('C');
  put_cstr(sqlstate);
  out_.push_back('M');
  put_cstr(message);
  out_.push_back('\0');
  end(s);
}

} // namespace hypertide::actors::pg
