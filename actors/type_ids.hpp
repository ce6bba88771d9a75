#pragma once

// Atoms and message types of hypertide's actors, in CAF 0.17.6's
// forward-compatible style (type ID block, `_v` atom constants), so that a
// move to CAF 0.18+ is mechanical.

#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/detail/scope_guard.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>

#include "chunkstore/types.hpp"
#include "messages/buffer.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(hypertide, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(hypertide, (hypertide::messages::buffer))
  CAF_ADD_TYPE_ID(hypertide, (std::vector<hypertide::messages::buffer>))

  CAF_ADD_ATOM(hypertide, hypertide::actors, append_atom, "append")
  CAF_ADD_ATOM(hypertide, hypertide::actors, scan_atom, "scan")
  CAF_ADD_ATOM(hypertide, hypertide::actors, stats_atom, "stats")
  CAF_ADD_ATOM(hypertide, hypertide::actors, run_atom, "run")
  CAF_ADD_ATOM(hypertide, hypertide::actors, create_atom, "create")
  CAF_ADD_ATOM(hypertide, hypertide::actors, hyper_atom, "hyper")
  CAF_ADD_ATOM(hypertide, hypertide::actors, drop_atom, "drop")
  CAF_ADD_ATOM(hypertide, hypertide::actors, insert_atom, "insert")
  CAF_ADD_ATOM(hypertide, hypertide::actors, query_atom, "query")
  CAF_ADD_ATOM(hypertide, hypertide::actors, done_atom, "done")
  CAF_ADD_ATOM(hypertide, hypertide::actors, chunks_atom, "chunks")
  CAF_ADD_ATOM(hypertide, hypertide::actors, dropchunk_atom, "dropchunk")
  CAF_ADD_ATOM(hypertide, hypertide::actors, schema_atom, "schema")
  CAF_ADD_ATOM(hypertide, hypertide::actors, listen_atom, "listen")
  CAF_ADD_ATOM(hypertide, hypertide::actors, commit_atom, "commit")
  CAF_ADD_ATOM(hypertide, hypertide::actors, info_atom, "info")
  CAF_ADD_ATOM(hypertide, hypertide::actors, explain_atom, "explain")
  CAF_ADD_ATOM(hypertide, hypertide::actors, wire_atom, "wire")
  CAF_ADD_ATOM(hypertide, hypertide::actors, close_atom, "close")
  CAF_ADD_ATOM(hypertide, hypertide::actors, wal_atom, "wal")
  CAF_ADD_ATOM(hypertide, hypertide::actors, dump_atom, "dump")
  CAF_ADD_ATOM(hypertide, hypertide::actors, checkpoint_atom, "checkpoint")
  CAF_ADD_ATOM(hypertide, hypertide::actors, restore_atom, "restore")

CAF_END_TYPE_ID_BLOCK(hypertide)

namespace hypertide::messages {

/// Sends the bytes when a buffer leaves the process; inside one process CAF
/// copies only the handle.
template <class Inspector>
typename std::enable_if<Inspector::reads_state, typename Inspector::result_type>::type
inspect(Inspector& f, const buffer& x) {
  auto bytes = x.to_vector();
  return f(caf::meta::type_name("buffer"), bytes);
}

template <class Inspector>
typename std::enable_if<Inspector::writes_state, typename Inspector::result_type>::type
inspect(Inspector& f, buffer& x) {
  std::vector<char> tmp;
  auto g = caf::detail::make_scope_guard([&] { x = buffer{std::move(tmp)}; });
  return f(caf::meta::type_name("buffer"), tmp);
}

} // namespace hypertide::messages

namespace hypertide::actors {

/// The error category of hypertide's errors. The context of such an error
/// holds (SQLSTATE, message, detail) as three strings.
inline constexpr caf::atom_value error_category = caf::atom("hypertide");

/// A PostgreSQL error as a CAF error, to cross actor boundaries.
inline caf::error make_pg_error(const chunkstore::pg_error& e) {
  return caf::error{1, error_category, caf::make_message(e.sqlstate, e.message, e.detail)};
}

/// The PostgreSQL error a CAF error stands for (XX000 for CAF's own).
chunkstore::pg_error to_pg_error(const caf::error& e);

} // namespace hypertide::actors
