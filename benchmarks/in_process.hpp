#pragma once

// A hypertide node inside the harness's process (its own actor system),
// driven through the embedding API: load without sockets.

#include <memory>
#include <string>
#include <string_view>

#include "chunkstore/column_batch.hpp"

namespace hypertide::benchmarks {

struct bench_options;

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

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace hypertide::benchmarks
