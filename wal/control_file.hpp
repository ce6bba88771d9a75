#pragma once

#include <cstdint>

#include "wal/error.hpp"
#include "wal/file_system.hpp"
#include "wal/lsn.hpp"

// The control file: what a node's log is (its system identifier and segment
// size, fixed when the log is created) and where recovery starts, as
// PostgreSQL's pg_control. It lives beside the segments and is replaced
// atomically (write a temporary file, sync, rename, sync the directory).
namespace hypertide::wal {

/// The control file's name in the WAL directory.
constexpr const char* control_file_name = "hypertide_control";

/// What the control file holds.
struct control {
  /// A random number chosen when the log was created; every segment header
  /// carries it, so a segment of another node's log is refused.
  uint64_t system_identifier = 0;
  /// Bytes per segment file (a power of two, see valid_segment_size).
  uint64_t segment_size = default_segment_size;
  /// Where replay starts: the LSN of the last checkpoint, or invalid_lsn
  /// before the first one (replay from the oldest segment).
  lsn checkpoint = invalid_lsn;

  friend bool operator==(const control&, const control&) = default;
};

/// A fresh system identifier: random, never 0.
uint64_t new_system_identifier();

/// Reads the control file: errc::not_found when there is none,
/// errc::corruption when it fails its checksum, errc::mismatch for another
/// format version.
result<control> read_control(file_system& fs);

/// Replaces the control file with `c`, durably.
result<void> write_control(file_system& fs, const control& c);

/// Creates the control file of a new log with a new system identifier;
/// errc::invalid_argument for a bad segment size or when a control file
/// exists already.
result<control> init_control(file_system& fs, uint64_t segment_size);

} // namespace hypertide::wal
