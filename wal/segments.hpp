#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wal/control_file.hpp"
#include "wal/error.hpp"
#include "wal/file_system.hpp"
#include "wal/lsn.hpp"

// Segment files: finding, creating, checking and removing them.
namespace hypertide::wal {

/// The LSN of the first record of segment `segno`.
lsn first_record_lsn(uint64_t segno, uint64_t segment_size) noexcept;

/// `x`, or the first record position of its segment when `x` is a segment
/// boundary (the end of a record that filled a segment is where the next
/// segment's first record goes).
lsn normalize(lsn x, uint64_t segment_size) noexcept;

/// The segment numbers present in the directory, ascending; other files
/// (the control file, names of another segment size) are skipped.
result<std::vector<uint64_t>> list_segments(file_system& fs, uint64_t segment_size);

/// How a segment file's header looked.
enum class header_state {
  valid,
  /// Shorter than a header, or failing its checksum: a segment whose
  /// creation a crash interrupted, or a damaged one.
  torn,
};

/// Reads and judges the header of segment `segno` in `f` against `ctl`:
/// errc::mismatch, naming the file, for another format version, block size,
/// segment size, segment number (a renamed file), timeline or system
/// identifier (another node's log).
result<header_state> check_segment_header(file& f, const std::string& described,
                                          uint64_t segno, const control& ctl);

/// Creates segment `segno` durably: its header, then zeros up to the
/// segment size when `zero_fill`, sync, and a sync of the directory.
result<std::unique_ptr<file>> create_segment(file_system& fs, const control& ctl,
                                             uint64_t segno, bool zero_fill);

/// Writes zeros over [from, segment_size) of `f`.
result<void> zero_fill_from(file& f, uint64_t from, uint64_t segment_size);

/// Removes every segment file wholly before the segment holding `x` (what a
/// checkpoint does once it is written, `x` being the checkpoint's LSN) and
/// syncs the directory; returns how many were removed.
result<size_t> remove_segments_before(file_system& fs, const control& ctl, lsn x);

} // namespace hypertide::wal
