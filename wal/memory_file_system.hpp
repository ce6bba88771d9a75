#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wal/file_system.hpp"

namespace hypertide::wal {

/// Files in memory that remember what was made durable: `crash()` is a
/// power loss, leaving each file as its last `sync()` left it and the
/// directory as its last `sync_dir()` left it. A process crash (SIGKILL),
/// where the page cache survives, is simply dropping the writer. For tests
/// and simulation; a sync copies the file, so keep segments small.
class memory_file_system final : public file_system {
public:
  explicit memory_file_system(std::string name = "mem");

  result<std::unique_ptr<file>> open(const std::string& name) override;
  result<std::unique_ptr<file>> create(const std::string& name) override;
  result<std::vector<std::string>> list() override;
  result<void> remove(const std::string& name) override;
  result<void> rename(const std::string& from, const std::string& to) override;
  result<void> sync_dir() override;
  std::string describe(const std::string& name) const override;

  /// Power loss: unsynced writes and unsynced directory changes are lost.
  void crash();

  /// The current bytes of file `name`, nullptr when there is none; tests
  /// read and damage them directly.
  std::vector<uint8_t>* contents(const std::string& name);

  /// One file's bytes and its bytes as of its last sync.
  struct node {
    std::vector<uint8_t> data;
    std::vector<uint8_t> durable;
  };

private:
  using directory = std::map<std::string, std::shared_ptr<node>>;

  std::string name_;
  directory dir_;
  directory durable_dir_;
};

} // namespace hypertide::wal
