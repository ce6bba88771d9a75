#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "wal/error.hpp"

// The log's only way to the disk. One directory of flat files; names are
// relative to it. posix_file_system is the real one; memory_file_system and
// fault_injecting_file_system let tests and simulations crash, tear writes
// and flip bits. Not thread-safe: one owner (the WAL writer actor) at a time.
namespace hypertide::wal {

/// An open file.
class file {
public:
  virtual ~file();

  /// Reads up to `out.size()` bytes at `offset`; fewer only at the end of
  /// the file.
  virtual result<size_t> read_at(uint64_t offset, std::span<uint8_t> out) = 0;

  /// Writes all of `data` at `offset` (extending the file if needed).
  virtual result<void> write_at(uint64_t offset, std::span<const uint8_t> data) = 0;

  /// Makes every write so far durable (fdatasync).
  virtual result<void> sync() = 0;

  /// The file's size in bytes.
  virtual result<uint64_t> size() = 0;

  /// Cuts the file to `size` bytes (or extends it with zeros).
  virtual result<void> truncate(uint64_t size) = 0;
};

/// A directory of files.
class file_system {
public:
  virtual ~file_system();

  /// Opens an existing file for reading and writing (errc::not_found if
  /// there is none).
  virtual result<std::unique_ptr<file>> open(const std::string& name) = 0;

  /// Creates a file, empty (an existing one is truncated). The new directory
  /// entry is durable only after `sync_dir()`.
  virtual result<std::unique_ptr<file>> create(const std::string& name) = 0;

  /// The names of the files in the directory, in no particular order.
  virtual result<std::vector<std::string>> list() = 0;

  /// Removes a file (durable after `sync_dir()`).
  virtual result<void> remove(const std::string& name) = 0;

  /// Renames `from` to `to` atomically, replacing `to` (durable after
  /// `sync_dir()`).
  virtual result<void> rename(const std::string& from, const std::string& to) = 0;

  /// Makes creations, removals and renames so far durable (fsync of the
  /// directory).
  virtual result<void> sync_dir() = 0;

  /// A name for messages: the directory and `name` ("data/wal/0000...").
  virtual std::string describe(const std::string& name) const = 0;
};

/// Removes the files `names`, in order, then syncs the directory if any
/// was removed; returns how many were. Stops at the first failure.
result<size_t> remove_files(file_system& fs, const std::vector<std::string>& names);

} // namespace hypertide::wal
