#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "wal/control_file.hpp"
#include "wal/error.hpp"
#include "wal/file_system.hpp"
#include "wal/log_format.hpp"
#include "wal/lsn.hpp"

namespace hypertide::wal {

/// How the writer treats new segments.
struct writer_options {
  /// Fill every new segment with zeros to its full size when creating it,
  /// as PostgreSQL does (wal_init_zero): later fdatasyncs then never change
  /// the file size, which on ext4 saves a journal commit per flush, at the
  /// price of writing each segment twice and a pause at each segment switch.
  bool zero_fill = false;
  /// Hand the bytes of a record to the file once this many are buffered,
  /// before the record ends (0: only in `write`/`flush`). A 32 MiB record
  /// then never leaves the CPU caches between framing and the write: the
  /// benchmark (benchmarks/wal_bench.cpp) measured 35 % of the disk's raw
  /// rate without, at flushes every 32 MiB. Nothing changes for readers:
  /// bytes written early are as undurable as any before the next sync.
  size_t write_behind_bytes = size_t{1} << 20;
};

/// Appends records to the log. Single-threaded: the WAL writer actor owns
/// it. Records are buffered by `append`; `write` hands them to the files,
/// `flush` also makes them durable — one write per segment touched and one
/// fdatasync for everything appended since the last flush (group commit).
/// After any failed write or sync the writer refuses all further work
/// (errc::closed): PostgreSQL PANICs there, because after a failed fsync
/// Linux may have dropped the dirty pages, and a retried fsync would report
/// success for data that never reached the disk. The owner must stop the
/// node; restart runs recovery from what is durable.
class log_writer {
public:
  /// Opens the log for appending at `end`: the end a log_reader found (its
  /// `end()`), or `first_record_lsn(1, ...)` for a new log. Cuts the segment
  /// holding `end` there (a torn tail goes), removes segment files after it,
  /// creates the segment when it does not exist yet, and syncs.
  static result<log_writer> open(file_system& fs, const control& ctl, lsn end,
                                 writer_options opts = {});

  log_writer(log_writer&&) noexcept;
  log_writer& operator=(log_writer&&) noexcept;
  ~log_writer();

  /// Buffers a record of kind `kind`; returns the LSN of its end (where the
  /// next record starts, give or take a block trailer or segment switch).
  /// errc::too_large for a payload over `max_record_size`.
  result<lsn> append(record_kind kind, std::span<const uint8_t> payload);

  /// Writes the buffered records to the segment files, without a sync: they
  /// survive a crash of the process, not of the machine. Returns the write
  /// LSN.
  result<lsn> write();

  /// Writes the buffered records and syncs; returns the flushed LSN: every
  /// record ending at or before it is durable.
  result<lsn> flush();

  /// The end of the last appended record (pg_current_wal_insert_lsn()).
  lsn insert_lsn() const noexcept { return insert_lsn_; }

  /// The end of what was written (pg_current_wal_lsn()).
  lsn write_lsn() const noexcept { return write_lsn_; }

  /// The end of what is durable (pg_current_wal_flush_lsn()).
  lsn flush_lsn() const noexcept { return flush_lsn_; }

  /// Bytes appended but not yet written.
  size_t buffered_bytes() const noexcept;

  /// The largest payload `append` takes.
  uint64_t max_record_size() const noexcept;

  /// The failure that stopped the writer, nullptr while it works.
  const error* failure() const noexcept { return failed_ ? &*failed_ : nullptr; }

  /// The log this writer appends to.
  const control& ctl() const noexcept { return ctl_; }

private:
  /// Bytes for one segment, starting at `offset` of it.
  struct run {
    uint64_t segno = 0;
    uint64_t offset = 0;
    std::vector<uint8_t> bytes;
  };

  log_writer(file_system& fs, const control& ctl, writer_options opts);

  result<void> fail(error e);
  result<void> closed() const;
  /// Writes every buffered byte; keeps the last run (its position and
  /// capacity) for more.
  result<void> write_runs();
  result<void> switch_to(uint64_t segno);

  file_system* fs_;
  control ctl_;
  writer_options opts_;
  std::unique_ptr<file> file_;
  uint64_t file_segno_ = 0;
  bool file_dirty_ = false;
  std::vector<run> runs_;
  std::vector<uint8_t> spare_;
  lsn insert_lsn_ = invalid_lsn;
  lsn write_lsn_ = invalid_lsn;
  lsn flush_lsn_ = invalid_lsn;
  /// The next fragment written is the first after a sync (type bit 7).
  bool after_sync_ = true;
  std::optional<error> failed_;
};

} // namespace hypertide::wal
