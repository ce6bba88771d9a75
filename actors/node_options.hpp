#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hypertide::actors {

/// The options of a node, from the `[hypertide]` section of its config file
/// (and `--hypertide.*` on the command line).
struct node_options {
  std::string node_name = "hypertide";
  std::string listen_address = "127.0.0.1";
  uint16_t port = 5433;         ///< PostgreSQL wire protocol
  uint16_t cluster_port = 0;    ///< node-to-node; 0 = off
  std::string data_dir;         ///< empty: in memory only
  /// PostgreSQL's synchronous_commit: on, local (acknowledge once the
  /// commit is flushed to the local WAL), remote_write, remote_apply (the
  /// same until replication exists), off (acknowledge at once, flush within
  /// wal-writer-delay).
  std::string synchronous_commit = "on";
  uint32_t wal_writer_delay_ms = 200;
  /// PostgreSQL's max_wal_size in megabytes: a checkpoint once the log
  /// has grown by half of it since the last.
  uint32_t max_wal_size_mb = 1024;
  /// PostgreSQL's checkpoint_timeout in seconds (30 to 86400).
  uint32_t checkpoint_timeout_s = 300;
  /// Start even when the log is damaged before its tail: cut it there
  /// (what follows is lost). Off: refuse to start, naming segment and
  /// offset.
  bool truncate_corrupt_wal = false;
  /// PostgreSQL's wal_init_zero: fill a new WAL segment with zeros before
  /// using it, so that a commit's fdatasync never changes the file's size
  /// (faster small commits; bulk appends write every byte twice).
  bool wal_init_zero = true;
  /// PostgreSQL's wal_segment_size (initdb --wal-segsize) in megabytes: a
  /// power of two from 1 to 1024, fixed when the log is created (a log
  /// that exists keeps its own).
  uint32_t wal_segment_size_mb = 64;
  /// PostgreSQL's huge_pages: try (or on) asks for transparent huge pages
  /// for the rows' memory, off does not (faster bulk loads, slower scans).
  std::string huge_pages = "try";
};

/// Checks the text of a config file the way CAF does not: CAF drops a value
/// of the wrong type or out of range without a word, and ignores
/// `policy="sharing"` (atoms need single quotes). Every problem is returned
/// as one line that names the file's line and the key; `out` gets the
/// values of the `[hypertide]` section.
std::vector<std::string> check_config_text(std::string_view text, node_options& out);

/// Checks option values however they were given (file or command line).
std::vector<std::string> check_options(const node_options& o);

} // namespace hypertide::actors
