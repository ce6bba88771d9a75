#include "benchmarks/pg_client.hpp"

#include <libpq-fe.h>

#include <algorithm>

#include "benchmarks/bench_options.hpp"

namespace hypertide::benchmarks {

namespace {

/// The server's error from a result: "ERROR 42P01: message".
std::string result_error(const PGresult* r) {
  const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY);
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char* message = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  if (message == nullptr)
    return PQresultErrorMessage(r);
  return std::string{severity != nullptr ? severity : "ERROR"} + " "
         + (state != nullptr ? state : "?????") + ": " + message;
}

/// Empty when `r` finished well; drains it either way.
std::string finish(PGresult* r) {
  std::string e;
  auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    e = result_error(r);
  PQclear(r);
  return e;
}

} // namespace

pg_client::~pg_client() {
  if (conn_ != nullptr)
    PQfinish(conn_);
}

pg_client& pg_client::operator=(pg_client&& o) noexcept {
  if (this != &o) {
    if (conn_ != nullptr)
      PQfinish(conn_);
    conn_ = o.conn_;
    o.conn_ = nullptr;
  }
  return *this;
}

std::string pg_client::error_of(const char* what) const {
  std::string m = conn_ != nullptr ? PQerrorMessage(conn_) : "no connection";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' '))
    m.pop_back();
  return std::string{what} + ": " + m;
}

std::string pg_client::connect(const server_address& a) {
  conn_ = PQconnectdb(a.conninfo().c_str());
  if (PQstatus(conn_) != CONNECTION_OK)
    return error_of(("cannot connect to " + a.name()).c_str());
  // NOTICEs (DROP TABLE IF EXISTS of a missing table) would interleave
  // with the progress output; errors still come back as results.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  return exec("SET TimeZone = 'UTC'");
}

std::string pg_client::exec(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  if (r == nullptr)
    return error_of("query failed");
  // PQexec keeps the last result of a multi-statement string; an error
  // stops the string there, so the last result carries it.
  return finish(r);
}

std::string pg_client::query(const std::string& sql, bool extended, size_t& rows,
                             result_set* out) {
  PGresult* r = extended
                  ? PQexecParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)
                  : PQexec(conn_, sql.c_str());
  if (r == nullptr)
    return error_of("query failed");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::string e = PQresultStatus(r) == PGRES_COMMAND_OK ? "the query returned no rows"
                                                          : result_error(r);
    PQclear(r);
    return e;
  }
  rows = static_cast<size_t>(PQntuples(r));
  if (out != nullptr) {
    int cols = PQnfields(r);
    out->columns.clear();
    out->rows.assign(rows, {});
    for (int c = 0; c < cols; ++c)
      out->columns.emplace_back(PQfname(r, c));
    for (size_t i = 0; i < rows; ++i) {
      auto& row = out->rows[i];
      row.reserve(static_cast<size_t>(cols));
      for (int c = 0; c < cols; ++c) {
        int ri = static_cast<int>(i);
        if (PQgetisnull(r, ri, c))
          row.emplace_back(std::nullopt);
        else
          row.emplace_back(std::string{PQgetvalue(r, ri, c),
                                       static_cast<size_t>(PQgetlength(r, ri, c))});
      }
    }
  }
  PQclear(r);
  return {};
}

std::string pg_client::copy_begin(const std::string& copy_sql) {
  PGresult* r = PQexec(conn_, copy_sql.c_str());
  if (r == nullptr)
    return error_of("COPY failed");
  if (PQresultStatus(r) != PGRES_COPY_IN) {
    std::string e = result_error(r);
    PQclear(r);
    return e.empty() ? "COPY did not start" : e;
  }
  PQclear(r);
  return {};
}

std::string pg_client::copy_data(std::string_view data) {
  // CopyData messages of at most 1 MiB: libpq takes an int length.
  constexpr size_t piece = 1 << 20;
  for (size_t at = 0; at < data.size(); at += piece) {
    auto n = static_cast<int>(std::min(piece, data.size() - at));
    if (PQputCopyData(conn_, data.data() + at, n) != 1)
      return error_of("COPY data not sent");
  }
  return {};
}

std::string pg_client::copy_end() {
  if (PQputCopyEnd(conn_, nullptr) != 1)
    return error_of("COPY end not sent");
  std::string e;
  while (PGresult* r = PQgetResult(conn_)) {
    std::string one = finish(r);
    if (e.empty())
      e = one;
  }
  return e;
}

} // namespace hypertide::benchmarks
