#include "wal/file_system.hpp"

namespace hypertide::wal {

file::~file() = default;

file_system::~file_system() = default;

result<size_t> remove_files(file_system& fs, const std::vector<std::string>& names) {
  for (const auto& name : names)
    if (auto r = fs.remove(name); !r)
      return std::move(r).err();
  if (!names.empty())
    if (auto r = fs.sync_dir(); !r)
      return std::move(r).err();
  return names.size();
}

} // namespace hypertide::wal
