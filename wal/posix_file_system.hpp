#pragma once

#include <string>

#include "wal/file_system.hpp"

namespace hypertide::wal {

/// Files in a directory of the real file system: pread/pwrite at explicit
/// offsets, fdatasync for `file::sync`, fsync of the directory for
/// `sync_dir`. Errors carry the path and strerror text, as PostgreSQL's
/// `could not fsync file "...": ...`.
class posix_file_system final : public file_system {
public:
  /// A file system on directory `dir`, which is created (with its parents)
  /// when missing.
  static result<posix_file_system> open_dir(const std::string& dir);

  result<std::unique_ptr<file>> open(const std::string& name) override;
  result<std::unique_ptr<file>> create(const std::string& name) override;
  result<std::vector<std::string>> list() override;
  result<void> remove(const std::string& name) override;
  result<void> rename(const std::string& from, const std::string& to) override;
  result<void> sync_dir() override;
  std::string describe(const std::string& name) const override;

  /// The directory.
  const std::string& dir() const noexcept { return dir_; }

private:
  explicit posix_file_system(std::string dir) : dir_(std::move(dir)) {
  }

  std::string path(const std::string& name) const;

  std::string dir_;
};

} // namespace hypertide::wal
