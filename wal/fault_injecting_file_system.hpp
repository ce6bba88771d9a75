#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "wal/file_system.hpp"

namespace hypertide::wal {

/// Wraps another file system and injects faults:
/// - a crash in the middle of a write: only a prefix of that write reaches
///   the file, and from then on every call fails ("simulated crash"), as if
///   the process had died; a test then opens the log again on the wrapped
///   file system;
/// - bit flips: reads of a file return given bits flipped (the media went
///   bad), the stored bytes stay as they are;
/// - a failed sync (EIO), after which syncs succeed again, which is how
///   Linux behaves after it dropped the dirty pages — the writer must not
///   trust them;
/// - a failed write (ENOSPC) that stores nothing.
/// Counts are of calls from the moment of arming; 1 means the next call.
/// It must outlive the files it opened.
class fault_injecting_file_system final : public file_system {
public:
  explicit fault_injecting_file_system(file_system& base) : base_(base) {
  }

  result<std::unique_ptr<file>> open(const std::string& name) override;
  result<std::unique_ptr<file>> create(const std::string& name) override;
  result<std::vector<std::string>> list() override;
  result<void> remove(const std::string& name) override;
  result<void> rename(const std::string& from, const std::string& to) override;
  result<void> sync_dir() override;
  std::string describe(const std::string& name) const override;

  /// The `nth` write_at from now stores only its first `keep` bytes and the
  /// process "dies" there.
  void crash_during_write(uint64_t nth, size_t keep);

  /// Reads of file `name` see bit `bit` (0-7) of byte `offset` flipped.
  void flip_bit(const std::string& name, uint64_t offset, int bit);

  /// The `nth` file sync from now fails with EIO.
  void fail_sync(uint64_t nth);

  /// The `nth` write_at from now fails with ENOSPC and writes nothing.
  void fail_write(uint64_t nth);

  /// Whether a simulated crash happened.
  bool crashed() const noexcept { return crashed_; }

  /// Calls seen so far.
  uint64_t writes() const noexcept { return writes_; }
  uint64_t syncs() const noexcept { return syncs_; }

private:
  friend class fault_file;

  result<void> check_alive() const;

  file_system& base_;
  bool crashed_ = false;
  uint64_t writes_ = 0;
  uint64_t syncs_ = 0;
  std::optional<std::pair<uint64_t, size_t>> crash_write_; ///< (write number, keep)
  std::optional<uint64_t> failing_write_;
  std::optional<uint64_t> failing_sync_;
  std::map<std::string, std::map<uint64_t, uint8_t>> flips_; ///< name -> offset -> xor
};

} // namespace hypertide::wal
