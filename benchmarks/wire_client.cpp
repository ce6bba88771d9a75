#include "benchmarks/wire_client.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "benchmarks/bench_options.hpp"

namespace hypertide::benchmarks {

namespace {

void put_i32(std::string& s, uint32_t x) {
  for (int shift = 24; shift >= 0; shift -= 8)
    s += static_cast<char>((x >> shift) & 0xff);
}

void put_i16(std::string& s, uint16_t x) {
  s += static_cast<char>(x >> 8);
  s += static_cast<char>(x & 0xff);
}

uint32_t get_u32(const char* p) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(p[0])) << 24)
         | (static_cast<uint32_t>(static_cast<unsigned char>(p[1])) << 16)
         | (static_cast<uint32_t>(static_cast<unsigned char>(p[2])) << 8)
         | static_cast<uint32_t>(static_cast<unsigned char>(p[3]));
}

/// A frontend message: type, then length and body.
std::string message(char type, const std::string& body) {
  std::string m(1, type);
  put_i32(m, static_cast<uint32_t>(body.size() + 4));
  return m + body;
}

/// "ERROR 42P01: message" from an ErrorResponse body.
std::string error_text(const char* body, size_t n) {
  std::string severity = "ERROR", code = "?????", text;
  for (size_t at = 0; at < n && body[at] != 0;) {
    char field = body[at];
    size_t len = strnlen(body + at + 1, n - at - 1);
    std::string value{body + at + 1, len};
    if (field == 'S')
      severity = value;
    else if (field == 'C')
      code = value;
    else if (field == 'M')
      text = value;
    at += len + 2;
  }
  return severity + " " + code + ": " + text;
}

} // namespace

wire_client::~wire_client() {
  if (fd_ >= 0)
    close(fd_);
}

bool wire_client::send_all(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool wire_client::fill(size_t n) {
  if (end_ - at_ >= n)
    return true;
  // Keep the unread bytes at the front, room for n and a large read.
  if (at_ > 0) {
    std::memmove(in_.data(), in_.data() + at_, end_ - at_);
    end_ -= at_;
    at_ = 0;
  }
  if (in_.size() < std::max(n, size_t{1} << 20))
    in_.resize(std::max(n, size_t{1} << 20));
  while (end_ < n) {
    ssize_t got = recv(fd_, in_.data() + end_, in_.size() - end_, 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    end_ += static_cast<size_t>(got);
  }
  return true;
}

std::string wire_client::connect(const server_address& a) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(a.host.c_str(), std::to_string(a.port).c_str(), &hints, &res) != 0 || !res)
    return "cannot connect to " + a.name() + ": unknown host";
  fd_ = socket(res->ai_family, SOCK_STREAM, 0);
  int rc = fd_ < 0 ? -1 : ::connect(fd_, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0)
    return "cannot connect to " + a.name() + ": " + std::strerror(errno);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::string body;
  put_i32(body, 196608); // protocol 3.0
  for (const auto& [k, v] : {std::pair{"user", a.user}, std::pair{"database", a.dbname}}) {
    body += k;
    body += '\0';
    body += v;
    body += '\0';
  }
  body += '\0';
  std::string startup;
  put_i32(startup, static_cast<uint32_t>(body.size() + 4));
  if (!send_all(startup + body))
    return "cannot connect to " + a.name() + ": send failed";
  size_t rows = 0;
  if (auto e = read_until_ready(rows, nullptr); !e.empty())
    return "cannot connect to " + a.name() + ": " + e;
  std::string sql = "SET TimeZone = 'UTC'";
  if (!send_all(message('Q', sql + '\0')))
    return "connection lost";
  return read_until_ready(rows, nullptr);
}

std::string wire_client::read_until_ready(size_t& rows, result_set* out) {
  std::string error;
  rows = 0;
  for (;;) {
    if (!fill(5))
      return error.empty() ? "server closed the connection" : error;
    char type = in_[at_];
    uint32_t len = get_u32(in_.data() + at_ + 1);
    if (len < 4)
      return "malformed message from the server";
    if (!fill(1 + len))
      return error.empty() ? "server closed the connection" : error;
    const char* body = in_.data() + at_ + 5;
    size_t n = len - 4;
    at_ += 1 + len;
    switch (type) {
      case 'D':
        ++rows;
        if (out != nullptr && n >= 2) {
          auto& row = out->rows.emplace_back();
          size_t cols = (static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1]);
          size_t p = 2;
          for (size_t c = 0; c < cols && p + 4 <= n; ++c) {
            auto cell = static_cast<int32_t>(get_u32(body + p));
            p += 4;
            if (cell < 0) {
              row.emplace_back();
              continue;
            }
            row.emplace_back(std::string{body + p, static_cast<size_t>(cell)});
            p += static_cast<size_t>(cell);
          }
        }
        break;
      case 'T':
        if (out != nullptr && n >= 2) {
          out->columns.clear();
          out->rows.clear();
          size_t cols = (static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1]);
          size_t p = 2;
          for (size_t c = 0; c < cols && p < n; ++c) {
            size_t name = strnlen(body + p, n - p);
            out->columns.emplace_back(body + p, name);
            p += name + 1 + 18;
          }
        }
        break;
      case 'E':
        if (error.empty())
          error = error_text(body, n);
        break;
      case 'R':
        if (n < 4 || get_u32(body) != 0)
          error = "the server asks for a password: only trust authentication is supported";
        break;
      case 'Z':
        return error;
      default: // C, I, S, K, N, 1, 2, n, s: nothing to keep
        break;
    }
  }
}

std::string wire_client::query(const std::string& sql, bool extended, size_t& rows,
                               result_set* out) {
  if (out != nullptr && binary_)
    return "run --check compares text: binary results cannot be checked";
  std::string msgs;
  if (!extended) {
    msgs = message('Q', sql + '\0');
  } else {
    std::string bind{"\0\0", 2};
    put_i16(bind, 0); // parameter formats
    put_i16(bind, 0); // parameters
    put_i16(bind, 1); // one result format for every column
    put_i16(bind, binary_ ? 1 : 0);
    // What PQexecParams sends: Parse, Bind, Describe (portal), Execute, Sync.
    msgs = message('P', std::string{"\0", 1} + sql + std::string{"\0\0\0", 3}) + message('B', bind)
           + message('D', std::string{"P\0", 2}) + message('E', std::string{"\0\0\0\0\0", 5})
           + message('S', "");
  }
  if (out != nullptr) {
    out->columns.clear();
    out->rows.clear();
  }
  if (!send_all(msgs))
    return "connection lost";
  std::string e = read_until_ready(rows, out);
  if (e.empty() && out != nullptr && out->columns.empty())
    return "the query returned no rows";
  return e;
}

} // namespace hypertide::benchmarks
