#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wal/control_file.hpp"
#include "wal/error.hpp"
#include "wal/file_system.hpp"
#include "wal/log_format.hpp"
#include "wal/lsn.hpp"

namespace hypertide::wal {

/// Damage the reader passed over: a torn tail it cut off, or (only with
/// `truncate_on_corruption`) damage before the tail it cut the log at.
struct corruption_report {
  std::string file;           ///< the segment file, as the file system names it
  uint64_t offset = 0;        ///< where the discarded bytes start in that file
  lsn at = invalid_lsn;       ///< the same place as an LSN: the new end of the log
  uint64_t bytes_dropped = 0; ///< from `offset` to the end of that file
  std::string reason;
  bool torn_tail = false; ///< the expected end of a log written up to a crash
};

/// How a reader starts and what it does with damage.
struct reader_options {
  /// Where to start: a record boundary (a record's start or end LSN, e.g. a
  /// checkpoint's); invalid_lsn for the first record of the oldest segment.
  lsn start = invalid_lsn;
  /// Damage before the tail ends the log there (everything after it is lost;
  /// the writer will remove later segments) instead of being an error.
  bool truncate_on_corruption = false;
  /// Told of every stretch of damage passed over; may be empty.
  std::function<void(const corruption_report&)> reporter;
};

/// A record as read back.
struct record {
  record_kind kind{};
  lsn start = invalid_lsn; ///< where its first fragment starts
  lsn end = invalid_lsn;   ///< where its last fragment ends (what append returned)
  /// The payload, 8-byte aligned (a FlatBuffer can be read in place); valid
  /// until the next call of `next`.
  std::span<const uint8_t> payload;
};

/// Reads records from a start LSN to the end of the log, across segments.
/// Use it on a log nobody writes to: at recovery, before the writer opens.
///
/// The end of the log is where the data of the newest segment ends: the end
/// of the file, zeros, or damage in the last write before a crash (a torn
/// tail), which is cut off and told to the reporter. Damage anywhere else —
/// followed by data that was written after a later sync, or in a segment
/// older than the newest — is an error naming file and offset
/// (errc::corruption), or with `truncate_on_corruption` the end of the log.
/// See wal/README.md for how the two are told apart.
class log_reader {
public:
  /// Opens the log in `fs` described by `ctl`. errc::not_found when the
  /// start segment was removed or a segment in between is missing,
  /// errc::mismatch when a segment belongs to another log.
  static result<log_reader> open(file_system& fs, const control& ctl,
                                 reader_options opts = {});

  log_reader(log_reader&&) noexcept;
  log_reader& operator=(log_reader&&) noexcept;
  ~log_reader();

  /// The next record, or nullopt at the end of the log.
  result<std::optional<record>> next();

  /// Once `next` returned nullopt: the end of the log, where a writer
  /// continues (`log_writer::open(fs, ctl, reader.end())`).
  lsn end() const noexcept { return end_; }

private:
  struct fragment;
  struct scan_result;

  log_reader(file_system& fs, const control& ctl, reader_options opts);

  result<bool> open_segment(size_t index);
  result<std::span<const uint8_t>> block_at(uint64_t block_start);
  result<fragment> parse(uint64_t offset);
  result<scan_result> scan(uint64_t from, bool skip_first, bool need_sync_flag);
  result<bool> damaged(uint64_t offset, std::string reason, bool zeros);
  result<bool> end_of_segment(uint64_t offset);
  bool finish(uint64_t offset);
  record emit(uint64_t end_offset);
  void append_payload(std::span<const uint8_t> data);
  void report(uint64_t offset, std::string reason, bool torn_tail);
  lsn here(uint64_t offset) const noexcept;
  bool newest() const noexcept { return index_ + 1 == segments_.size(); }

  file_system* fs_;
  control ctl_;
  reader_options opts_;
  std::vector<uint64_t> segments_;
  size_t index_ = 0;
  uint64_t segno_ = 0;
  std::unique_ptr<file> file_;
  std::string file_name_;
  uint64_t file_size_ = 0;
  uint64_t pos_ = 0;
  /// Whole blocks of the current file read ahead.
  std::vector<uint8_t> window_;
  uint64_t window_start_ = 0;
  size_t window_len_ = 0;
  /// The record being assembled.
  bool in_record_ = false;
  bool at_start_ = true;
  uint64_t record_start_ = 0;
  record_kind kind_{};
  std::vector<uint64_t> scratch_; ///< uint64_t for alignment
  size_t scratch_len_ = 0;
  bool done_ = false;
  lsn end_ = invalid_lsn;
};

} // namespace hypertide::wal
