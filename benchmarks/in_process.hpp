#pragma once

// A hypertide node inside the harness's process (its own actor system),
// driven through the embedding API: load and queries without sockets.

#include <memory>
#include <string>
#include <string_view>

#include "benchmarks/query_target.hpp"
#include "chunkstore/column_batch.hpp"

namespace hypertide::benchmarks {

struct bench_options;

/// A SQL session on an in-process node (actors::local_session): the
/// session actor a network client gets, fed messages without a socket.
/// One thread at a time.
class in_process_session final : public query_target {
public:
  ~in_process_session() override;

  /// Runs one query through the simple query protocol (the session has
  /// no extended protocol: `extended` must be false).
  std::string query(const std::string& sql, bool extended, size_t& rows,
                    result_set* out) override;

private:
  friend class in_process_node;
  struct impl;
  explicit in_process_session(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

/// A node and the actor system it runs in.
class in_process_node {
public:
  /// Starts an actor system with `threads` scheduler threads and a node.
  explicit in_process_node(int threads);
  ~in_process_node();
  in_process_node(const in_process_node&) = delete;
  in_process_node& operator=(const in_process_node&) = delete;

  /// Creates `cpu` (a hypertable unless --schema table) and, with
  /// `o.tags_table`, `tags`, as load does over the wire (the node is new:
  /// nothing to drop); an error or empty.
  std::string create_schema(const bench_options& o);

  /// Inserts `batch` into `table`; an error or empty. Safe from any
  /// thread that is not one of the actor system's.
  std::string insert(std::string_view table, const chunkstore::column_batch& batch);

  /// A new SQL session on the node.
  std::unique_ptr<in_process_session> session();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace hypertide::benchmarks
