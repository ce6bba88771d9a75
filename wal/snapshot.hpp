#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wal/error.hpp"
#include "wal/file_system.hpp"
#include "wal/lsn.hpp"

// Checkpoint snapshots: one file per checkpoint holding a list of entries
// (a kind byte and opaque payload bytes, by convention a FlatBuffer),
// consistent at the checkpoint's redo LSN. Replay loads the snapshot the
// control file names and then reads the log from that LSN. A snapshot is
// all or nothing: it is synced before the control file points at it, so any
// damage is corruption, never a torn tail. wal/README.md describes the bytes.
namespace hypertide::wal {

/// "HTSN" as stored (little-endian u32).
constexpr uint32_t snapshot_magic = 0x4E535448u;

/// The format version in every snapshot header.
constexpr uint16_t snapshot_version = 1;

/// The bytes before the first entry.
constexpr size_t snapshot_header_size = 40;

/// An entry header: payload length (8), kind (1), zero (3), masked CRC-32C
/// of header bytes 0-11 and the payload (4).
constexpr size_t snapshot_entry_header_size = 16;

/// The kind of the last entry, whose payload is the entry count before it
/// (u64) and its own file offset (u64). Kind 0 is never written either.
constexpr uint8_t snapshot_end_kind = 255;

/// How many bytes the writer gathers per write; larger payloads go to the
/// file directly.
constexpr size_t snapshot_write_size = size_t{1} << 20;

/// "snapshot_" and the redo LSN as 16 upper-case hex digits.
std::string snapshot_file_name(lsn redo);

/// The redo LSN a snapshot file name stands for; nullopt for any other name
/// (a ".tmp" file, a segment, lower-case digits).
std::optional<lsn> parse_snapshot_file_name(std::string_view name) noexcept;

/// One entry as read back.
struct snapshot_entry {
  uint8_t kind = 0;
  /// 8-byte aligned (a FlatBuffer can be read in place); valid until the
  /// next call of `next`.
  std::span<const uint8_t> payload;
};

/// Writes one snapshot file: `create`, `add` for every entry, `finish`.
/// The file is "<name>.tmp" until `finish` renames it, so a crash at any
/// point before leaves no snapshot under the final name; a writer destroyed
/// unfinished leaves the .tmp behind (`remove_snapshots_except` removes it).
/// After a failed write or sync every call answers errc::closed, as
/// log_writer does: the written bytes cannot be trusted any more.
class snapshot_writer {
public:
  /// Creates "<snapshot_file_name(redo)>.tmp" in `fs` (replacing one a
  /// failed attempt left) for a snapshot consistent at `redo`;
  /// errc::invalid_argument for invalid_lsn.
  static result<snapshot_writer> create(file_system& fs, uint64_t system_identifier,
                                        lsn redo);

  snapshot_writer(snapshot_writer&&) noexcept;
  snapshot_writer& operator=(snapshot_writer&&) noexcept;
  ~snapshot_writer();

  /// Appends an entry of kind 1-254. Small entries are gathered into writes
  /// of `snapshot_write_size` bytes; a payload of at least that size is
  /// written directly from `payload`.
  result<void> add(uint8_t kind, std::span<const uint8_t> payload);

  /// Appends the end entry, writes, syncs the file, renames it to its final
  /// name and syncs the directory: from then on the snapshot is durable.
  result<void> finish();

  /// The size of the file so far, gathered bytes included (the offset of
  /// the next entry).
  uint64_t bytes_written() const noexcept { return buffer_offset_ + buffer_.size(); }

  /// Entries added so far (the end entry not counted).
  uint64_t entries() const noexcept { return entries_; }

private:
  snapshot_writer(file_system& fs, std::unique_ptr<file> f, lsn redo);

  result<void> check_open() const;
  result<void> fail(error e);
  result<void> put(std::span<const uint8_t> data);
  result<void> write_buffer();

  file_system* fs_;
  std::unique_ptr<file> file_;
  lsn redo_;
  /// Bytes for the file from `buffer_offset_` on, not yet written.
  std::vector<uint8_t> buffer_;
  uint64_t buffer_offset_ = 0;
  uint64_t entries_ = 0;
  bool finished_ = false;
  std::optional<error> failed_;
};

/// Reads a snapshot file entry by entry, in large reads.
class snapshot_reader {
public:
  /// Opens `snapshot_file_name(redo)` and checks its header:
  /// errc::not_found when there is no such file; errc::mismatch, naming the
  /// file, for another magic or format version, or a system identifier or
  /// redo LSN other than the expected ones; errc::corruption naming the file
  /// for a short header or one failing its checksum.
  static result<snapshot_reader> open(file_system& fs, lsn redo,
                                      uint64_t system_identifier);

  snapshot_reader(snapshot_reader&&) noexcept;
  snapshot_reader& operator=(snapshot_reader&&) noexcept;
  ~snapshot_reader();

  /// The next entry, or nullopt once the end entry was read and agrees with
  /// what came before. Any damage — the file ends early, a length past the
  /// end of the file, a bad checksum or kind, non-zero padding, a wrong
  /// entry count, bytes after the end entry — is errc::corruption naming
  /// the file and the offset.
  result<std::optional<snapshot_entry>> next();

  /// The LSN the snapshot is consistent at.
  lsn redo() const noexcept { return redo_; }

private:
  snapshot_reader(std::unique_ptr<file> f, std::string described, uint64_t size, lsn redo);

  result<const uint8_t*> fetch(uint64_t n);
  error corrupt(uint64_t offset, const std::string& what) const;

  std::unique_ptr<file> file_;
  std::string described_;
  uint64_t size_;
  lsn redo_;
  uint64_t pos_ = snapshot_header_size;
  /// Bytes of the file from `buffer_offset_` on (uint64_t for alignment).
  std::vector<uint64_t> buffer_;
  uint64_t buffer_offset_ = 0;
  size_t buffer_len_ = 0;
  uint64_t entries_ = 0;
  bool done_ = false;
};

/// The redo LSNs of the finished snapshot files in `fs`, ascending (.tmp
/// files and other names are skipped).
result<std::vector<lsn>> list_snapshots(file_system& fs);

/// Removes every snapshot file but the one of `keep`, and every snapshot
/// .tmp file, then syncs the directory; returns how many files it removed.
/// What a checkpoint does once the control file names `keep`.
result<size_t> remove_snapshots_except(file_system& fs, lsn keep);

} // namespace hypertide::wal
