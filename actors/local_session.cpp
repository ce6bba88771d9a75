#include "actors/local_session.hpp"

#include <atomic>
#include <cstring>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/pg_protocol.hpp"
#include "actors/session_actor.hpp"

namespace hypertide::actors {

namespace {

void put_i32(std::vector<char>& out, int32_t x) {
  auto u = static_cast<uint32_t>(x);
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((u >> shift) & 0xff));
}

int16_t read_i16(const char* p) {
  return static_cast<int16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

std::atomic<int32_t> next_local_pid{1'000'000};

} // namespace

struct local_session::impl {
  caf::scoped_actor self;
  caf::actor session;
  /// Backend bytes received and not yet read as whole messages.
  std::vector<char> in;
  bool closed = false;

  explicit impl(node& n) : self(n.system()) {
    session = n.system().spawn(session_behavior, caf::actor_cast<caf::actor>(self),
                               n.catalog(), next_local_pid++);
    // A session that dies without closing (an error, the node stopping)
    // must not leave a caller waiting for ReadyForQuery.
    self->monitor(session);
  }

  ~impl() {
    if (session)
      caf::anon_send_exit(session, caf::exit_reason::user_shutdown);
  }

  void send(const std::vector<char>& bytes) {
    // The session answers each request once the bytes are framed.
    self->request(session, caf::infinite, wire_atom_v, messages::buffer{bytes})
      .receive([] {}, [this](const caf::error&) { closed = true; });
  }

  /// Receives backend messages until ReadyForQuery, handing each one
  /// (type, body) to `on`.
  template <class F>
  void until_ready(F&& on) {
    size_t pos = 0;
    for (;;) {
      while (in.size() - pos >= 5) {
        int32_t len = pg::read_i32(in.data() + pos + 1);
        if (in.size() - pos < static_cast<size_t>(len) + 1)
          break;
        char type = in[pos];
        const char* body = in.data() + pos + 5;
        size_t size = static_cast<size_t>(len) - 4;
        pos += static_cast<size_t>(len) + 1;
        on(type, body, size);
        if (type == 'Z') {
          in.erase(in.begin(), in.begin() + static_cast<ptrdiff_t>(pos));
          return;
        }
      }
      in.erase(in.begin(), in.begin() + static_cast<ptrdiff_t>(pos));
      pos = 0;
      if (closed)
        return;
      self->receive([this](wire_atom, const messages::buffer& b) {
                      in.insert(in.end(), b.chars().begin(), b.chars().end());
                    },
                    [this](close_atom) { closed = true; },
                    [this](const caf::down_msg&) { closed = true; });
    }
  }
};

local_session::local_session(node& n) : impl_(std::make_unique<impl>(n)) {
  std::vector<char> startup;
  put_i32(startup, 0);
  put_i32(startup, pg::protocol_3_0);
  for (const char* s : {"user", "postgres", "database", "postgres", ""})
    startup.insert(startup.end(), s, s + std::strlen(s) + 1);
  uint32_t len = static_cast<uint32_t>(startup.size());
  for (int i = 0; i < 4; ++i)
    startup[static_cast<size_t>(i)] = static_cast<char>((len >> (24 - 8 * i)) & 0xff);
  impl_->send(startup);
  impl_->until_ready([](char, const char*, size_t) {});
}

local_session::~local_session() = default;

result<std::vector<local_session::statement_result>>
local_session::simple_query(std::string_view sql) {
  auto& m = *impl_;
  if (m.closed)
    return chunkstore::pg_error{"08006", "the session has ended", {}};
  std::vector<char> q{'Q'};
  put_i32(q, static_cast<int32_t>(sql.size() + 5));
  q.insert(q.end(), sql.begin(), sql.end());
  q.push_back('\0');
  m.send(q);
  std::vector<statement_result> out;
  std::optional<chunkstore::pg_error> error;
  statement_result cur;
  m.until_ready([&](char type, const char* p, size_t size) {
    const char* end = p + size;
    switch (type) {
      case 'T': { // RowDescription: name, then 18 bytes of attributes
        int16_t n = read_i16(p);
        p += 2;
        for (int16_t i = 0; i < n && p < end; ++i) {
          cur.columns.emplace_back(p);
          p += std::strlen(p) + 1 + 18;
        }
        return;
      }
      case 'D': { // DataRow
        int16_t n = read_i16(p);
        p += 2;
        auto& row = cur.rows.emplace_back();
        row.reserve(static_cast<size_t>(n));
        for (int16_t i = 0; i < n; ++i) {
          int32_t len = pg::read_i32(p);
          p += 4;
          if (len < 0) {
            row.emplace_back();
            continue;
          }
          row.emplace_back(std::string{p, static_cast<size_t>(len)});
          p += len;
        }
        return;
      }
      case 'C': // CommandComplete
        cur.tag = p;
        out.push_back(std::move(cur));
        cur = {};
        return;
      case 'I': // EmptyQueryResponse
        out.push_back(std::move(cur));
        cur = {};
        return;
      case 'E': { // ErrorResponse: (code, string) fields
        chunkstore::pg_error e;
        while (p < end && *p != '\0') {
          char code = *p++;
          std::string v{p};
          p += v.size() + 1;
          if (code == 'C')
            e.sqlstate = v;
          else if (code == 'M')
            e.message = v;
          else if (code == 'D')
            e.detail = v;
        }
        if (!error)
          error = std::move(e);
        return;
      }
      case 'G': { // CopyInResponse: there is no data to send; refuse it
        static constexpr std::string_view why = "COPY FROM STDIN needs a client with data";
        std::vector<char> f{'f'};
        put_i32(f, static_cast<int32_t>(why.size() + 5));
        f.insert(f.end(), why.begin(), why.end());
        f.push_back('\0');
        m.send(f);
        return;
      }
      case 'd': // CopyData of COPY TO STDOUT: one row per line
        cur.rows.push_back({std::string{p, size}});
        return;
      default: // notices, ParameterStatus, CopyOutResponse, ReadyForQuery
        return;
    }
  });
  if (error)
    return *error;
  if (m.closed)
    return chunkstore::pg_error{"08006", "the session has ended", {}};
  return out;
}

} // namespace hypertide::actors
