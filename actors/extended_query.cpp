// The extended query protocol of a session: Parse, Bind, Describe, Execute,
// Sync, Close, Flush. A portal's statement is the prepared SQL with its
// parameters bound as literals (planner/extended_query.hpp); it runs
// through the same statement machinery as a simple query, its result kept
// in the portal so Execute can send it in pieces.

#include <cstring>
#include <optional>
#include <string>

#include <caf/stateful_actor.hpp>

#include "actors/pg_protocol.hpp"
#include "actors/session_internal.hpp"
#include "planner/extended_query.hpp"
#include "planner/utf8.hpp"

namespace hypertide::actors::session_detail {

namespace {

/// Reads the extended protocol's message fields, with bounds checks.
struct reader {
  const std::vector<char>& b;
  size_t at = 0;
  bool ok = true;

  std::string cstr() {
    size_t n = at < b.size() ? strnlen(b.data() + at, b.size() - at) : 0;
    if (at + n >= b.size()) {
      ok = false;
      return {};
    }
    std::string s{b.data() + at, n};
    at += n + 1;
    return s;
  }
  int32_t i32() {
    if (at + 4 > b.size()) {
      ok = false;
      return 0;
    }
    int32_t x = pg::read_i32(b.data() + at);
    at += 4;
    return x;
  }
  int16_t i16() {
    if (at + 2 > b.size()) {
      ok = false;
      return 0;
    }
    auto u = static_cast<uint16_t>((static_cast<unsigned char>(b[at]) << 8)
                                   | static_cast<unsigned char>(b[at + 1]));
    at += 2;
    return static_cast<int16_t>(u);
  }
  std::string bytes(size_t n) {
    if (at + n > b.size()) {
      ok = false;
      return {};
    }
    std::string s{b.data() + at, n};
    at += n;
    return s;
  }
  char byte() {
    if (at >= b.size()) {
      ok = false;
      return 0;
    }
    return b[at++];
  }
};

/// Reports an error and skips messages until Sync.
void ext_error(self_ptr self, const chunkstore::pg_error& e,
               int32_t position = 0) {
  if (self->state.tx == session_state::txn::open)
    self->state.tx = session_state::txn::failed;
  std::vector<char> out;
  pg::writer{out}.error(e, position);
  send_bytes(self, out);
  self->state.skip_to_sync = true;
}

chunkstore::pg_error protocol_violation(std::string what) {
  return {"08P01", std::move(what), {}};
}

int16_t format_of(const std::vector<int16_t>& formats, size_t i) {
  return formats.empty() ? 0 : formats.size() == 1 ? formats[0] : formats[i];
}

/// Runs `sql` as one statement; `then` gets its result (errors go to the
/// client and skip to Sync).
void run_sql(self_ptr self, const std::string& sql,
             std::function<void(const planner::statement_result&)> then) {
  auto& st = self->state;
  st.query = st.parses.parse(sql);
  st.next_statement = 0;
  st.busy = true;
  if (st.query->error()) {
    auto e = *st.query->error();
    st.query.reset();
    st.busy = false;
    ext_error(self, e.error, e.position);
    return;
  }
  if (st.query->size() == 0) {
    st.query.reset();
    st.busy = false;
    then(planner::statement_result{});
    return;
  }
  st.sink = [self, then](const planner::statement_result& r) { then(r); };
  st.sink_error = [self](const planner::statement_error& e) {
    ext_error(self, e.error, e.position);
  };
  run_statements(self);
}

/// What PostgreSQL refuses in a portal's result formats: a count that is
/// neither 0, 1 nor the column count, binary for a type without a binary
/// output here. (Codes other than 0 and 1 are refused at Bind.)
std::optional<chunkstore::pg_error> check_formats(const planner::statement_result& r,
                                                  const std::vector<int16_t>& formats) {
  if (r.columns.empty())
    return std::nullopt; // no rows: PostgreSQL ignores the formats
  if (formats.size() > 1 && formats.size() != r.columns.size())
    return protocol_violation("bind message has " + std::to_string(formats.size())
                              + " result formats but query has "
                              + std::to_string(r.columns.size()) + " columns");
  for (size_t c = 0; c < r.columns.size() && !formats.empty(); ++c)
    if (format_of(formats, c) == 1 && !planner::has_binary_output(r.columns[c].type_oid))
      return chunkstore::pg_error{"0A000", "binary output of type OID "
                                               + std::to_string(r.columns[c].type_oid)
                                               + " (column \"" + r.columns[c].name
                                               + "\") is not supported", {}};
  return std::nullopt;
}

/// Sends a portal's rows (up to `max_rows`, 0 = all) and its completion.
void send_portal(self_ptr self, const std::string& name, int32_t max_rows) {
  auto& st = self->state;
  auto it = st.portals.find(name);
  if (it == st.portals.end())
    return;
  auto& p = it->second;
  const auto& r = *p.result;
  std::vector<char> out;
  pg::writer w{out};
  if (r.columns.empty() && r.tag.empty()) {
    w.empty_query_response();
    send_bytes(self, out);
    return;
  }
  if (auto e = check_formats(r, p.formats)) {
    ext_error(self, *e);
    return;
  }
  if (p.sent == 0) {
    for (const auto& [code, message] : r.warnings)
      w.notice(message, code, "WARNING");
    for (const auto& n : r.notices)
      w.notice(n);
  }
  size_t total = r.row_count();
  size_t start = p.sent;
  size_t end = total;
  if (max_rows > 0)
    end = std::min(end, p.sent + static_cast<size_t>(max_rows));
  if (r.plain) {
    // Rows still in columns: each cell written once, in its format.
    write_column_rows(self, out, *r.plain, r.plain->begin + p.sent, r.plain->begin + end,
                      p.formats);
    p.sent = end;
  }
  for (; p.sent < end; ++p.sent) {
    const auto& row = r.rows[p.sent];
    std::vector<std::optional<std::string>> cells;
    for (size_t c = 0; c < row.size(); ++c) {
      if (!row[c] || format_of(p.formats, c) == 0) {
        cells.push_back(row[c]);
        continue;
      }
      auto bin = planner::text_to_binary_result(r.columns[c].type_oid, *row[c]);
      if (!bin) {
        send_bytes(self, std::move(out));
        ext_error(self, {"XX000", "cannot write \"" + *row[c] + "\" in the binary format of type OID "
                                     + std::to_string(r.columns[c].type_oid), {}});
        return;
      }
      cells.push_back(std::move(bin));
    }
    w.data_row(cells);
  }
  if (p.sent < total)
    w.portal_suspended();
  else if (start > 0 && r.tag.starts_with("SELECT "))
    w.command_complete("SELECT " + std::to_string(end - start)); // this Execute's rows, as PostgreSQL counts
  else
    w.command_complete(r.tag);
  send_bytes(self, out);
}

} // namespace

void handle_extended(self_ptr self, char type,
                     const std::vector<char>& body) {
  auto& st = self->state;
  if (type == 'S') {
    st.skip_to_sync = false;
    std::vector<char> out;
    using txn = session_state::txn;
    pg::writer{out}.ready_for_query(st.tx == txn::idle ? 'I' : st.tx == txn::open ? 'T' : 'E');
    send_bytes(self, out);
    st.portals.erase(""); // the unnamed portal ends with the transaction step
    return;
  }
  if (type == 'H')
    return; // every write is flushed already
  if (st.skip_to_sync)
    return;
  reader in{body};
  switch (type) {
    case 'P': {
      std::string name = in.cstr();
      std::string sql = in.cstr();
      int16_t n = in.i16();
      std::vector<int32_t> types;
      for (int16_t i = 0; i < n && in.ok; ++i)
        types.push_back(in.i32());
      if (!in.ok) {
        ext_error(self, protocol_violation("invalid Parse message"));
        return;
      }
      if (auto e = planner::utf8_error(sql)) {
        ext_error(self, *e);
        return;
      }
      if (!name.empty() && st.prepared.count(name) > 0) {
        ext_error(self, {"42P05", "prepared statement \"" + name + "\" already exists", {}});
        return;
      }
      auto shape = planner::inspect_statement(sql);
      if (auto* e = std::get_if<planner::positioned_error>(&shape)) {
        ext_error(self, e->error, e->position);
        return;
      }
      auto& sh = std::get<planner::prepared_shape>(shape);
      types.resize(static_cast<size_t>(std::max<int32_t>(sh.params, static_cast<int32_t>(types.size()))), 0);
      st.prepared[name] = session_state::prepared_statement{sql, types, sh};
      std::vector<char> out;
      pg::writer{out}.parse_complete();
      send_bytes(self, out);
      return;
    }
    case 'B': {
      std::string portal = in.cstr();
      std::string stmt = in.cstr();
      int16_t nf = in.i16();
      std::vector<int16_t> pformats;
      for (int16_t i = 0; i < nf && in.ok; ++i)
        pformats.push_back(in.i16());
      int16_t np = in.i16();
      std::vector<std::optional<std::string>> raw;
      for (int16_t i = 0; i < np && in.ok; ++i) {
        int32_t len = in.i32();
        if (len == -1)
          raw.emplace_back();
        else if (len < 0)
          in.ok = false;
        else
          raw.emplace_back(in.bytes(static_cast<size_t>(len)));
      }
      int16_t nr = in.i16();
      std::vector<int16_t> rformats;
      for (int16_t i = 0; i < nr && in.ok; ++i)
        rformats.push_back(in.i16());
      if (!in.ok) {
        ext_error(self, protocol_violation("invalid Bind message"));
        return;
      }
      if (pformats.size() > 1 && pformats.size() != raw.size()) {
        ext_error(self, protocol_violation("bind message has " + std::to_string(pformats.size())
                                           + " parameter formats but "
                                           + std::to_string(raw.size()) + " parameters"));
        return;
      }
      for (int16_t f : pformats)
        if (f != 0 && f != 1) {
          ext_error(self, {"22023", "unsupported format code: " + std::to_string(f), {}});
          return;
        }
      for (int16_t f : rformats)
        if (f != 0 && f != 1) {
          ext_error(self, {"22023", "unsupported format code: " + std::to_string(f), {}});
          return;
        }
      auto it = st.prepared.find(stmt);
      if (it == st.prepared.end()) {
        ext_error(self, {"26000", "prepared statement \"" + stmt + "\" does not exist", {}});
        return;
      }
      const auto& ps = it->second;
      if (static_cast<int32_t>(raw.size()) != ps.shape.params) {
        ext_error(self, protocol_violation(
                               "bind message supplies " + std::to_string(raw.size())
                               + " parameters, but prepared statement \"" + stmt + "\" requires "
                               + std::to_string(ps.shape.params)));
        return;
      }
      // Parameters as text.
      std::vector<std::optional<std::string>> values;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (!raw[i] || format_of(pformats, i) == 0) {
          values.push_back(raw[i]);
          continue;
        }
        auto text = planner::binary_param_to_text(ps.types[i], *raw[i]);
        if (!text) {
          ext_error(self, {"22P03", "incorrect binary data format in bind parameter "
                                           + std::to_string(i + 1), {}});
          return;
        }
        values.push_back(std::move(text));
      }
      for (const auto& v : values)
        if (auto e = v ? planner::utf8_error(*v) : std::nullopt) {
          ext_error(self, *e);
          return;
        }
      auto bound = planner::bind_parameters(ps.sql, values, ps.types);
      if (auto* e = std::get_if<planner::positioned_error>(&bound)) {
        ext_error(self, e->error, e->position);
        return;
      }
      st.portals[portal] = session_state::portal{std::get<std::string>(bound), ps.shape, rformats, {}, 0};
      std::vector<char> out;
      pg::writer{out}.bind_complete();
      send_bytes(self, out);
      return;
    }
    case 'D': {
      char what = in.byte();
      std::string name = in.cstr();
      if (!in.ok) {
        ext_error(self, protocol_violation("invalid Describe message"));
        return;
      }
      if (what == 'S') {
        auto it = st.prepared.find(name);
        if (it == st.prepared.end()) {
          ext_error(self, {"26000", "prepared statement \"" + name + "\" does not exist", {}});
          return;
        }
        const auto ps = it->second;
        std::vector<int32_t> types = ps.types;
        for (auto& t : types)
          if (t == 0)
            t = 25; // unknown parameters travel as text
        std::vector<char> out;
        pg::writer{out}.parameter_description(types);
        if (ps.shape.fixed_columns) {
          std::vector<planner::result_column> cols;
          for (const auto& [n, t] : *ps.shape.fixed_columns)
            cols.push_back({n, t});
          row_description(out, cols, {});
          send_bytes(self, out);
          return;
        }
        if (!ps.shape.returns_rows || ps.shape.side_effects) {
          pg::writer{out}.no_data();
          send_bytes(self, out);
          return;
        }
        send_bytes(self, out);
        // The columns of a SELECT: run it with NULL parameters (it only reads).
        std::vector<std::optional<std::string>> nulls(ps.types.size());
        auto bound = planner::bind_parameters(ps.sql, nulls, ps.types);
        if (auto* e = std::get_if<planner::positioned_error>(&bound)) {
          ext_error(self, e->error, e->position);
          return;
        }
        run_sql(self, std::get<std::string>(bound),
                [self](const planner::statement_result& r) {
                  std::vector<char> o;
                  row_description(o, r.columns, {});
                  send_bytes(self, o);
                  drain(self);
                });
        return;
      }
      auto it = st.portals.find(name);
      if (it == st.portals.end()) {
        ext_error(self, {"34000", "portal \"" + name + "\" does not exist", {}});
        return;
      }
      auto& p = it->second;
      if (p.shape.fixed_columns || (p.shape.returns_rows && !p.result)) {
        // Run it now: Describe must say what Execute will send.
        run_sql(self, p.sql, [self, name](const planner::statement_result& r) {
          auto& pt = self->state.portals[name];
          pt.result = r;
          if (auto e = check_formats(r, pt.formats)) {
            ext_error(self, *e);
            drain(self);
            return;
          }
          std::vector<char> o;
          if (r.columns.empty())
            pg::writer{o}.no_data();
          else
            row_description(o, r.columns, pt.formats);
          send_bytes(self, o);
          drain(self);
        });
        return;
      }
      std::vector<char> out;
      if (p.result && !p.result->columns.empty())
        row_description(out, p.result->columns, p.formats);
      else
        pg::writer{out}.no_data();
      send_bytes(self, out);
      return;
    }
    case 'E': {
      std::string name = in.cstr();
      int32_t max_rows = in.i32();
      if (!in.ok) {
        ext_error(self, protocol_violation("invalid Execute message"));
        return;
      }
      auto it = st.portals.find(name);
      if (it == st.portals.end()) {
        ext_error(self, {"34000", "portal \"" + name + "\" does not exist", {}});
        return;
      }
      if (it->second.result) {
        send_portal(self, name, max_rows);
        return;
      }
      run_sql(self, it->second.sql,
              [self, name, max_rows](const planner::statement_result& r) {
                auto& result = self->state.portals[name].result;
                result = r;
                send_portal(self, name, max_rows);
                drain(self);
              });
      return;
    }
    case 'C': {
      char what = in.byte();
      std::string name = in.cstr();
      if (what == 'S')
        st.prepared.erase(name);
      else
        st.portals.erase(name);
      std::vector<char> out;
      pg::writer{out}.close_complete();
      send_bytes(self, out);
      return;
    }
    default:
      ext_error(self, protocol_violation(std::string{"unknown message type '"} + type + "'"));
  }
}

} // namespace hypertide::actors::session_detail
