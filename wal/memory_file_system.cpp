#include "wal/memory_file_system.hpp"

#include <algorithm>

namespace hypertide::wal {

namespace {

class memory_file final : public file {
public:
  explicit memory_file(std::shared_ptr<memory_file_system::node> n) : n_(std::move(n)) {
  }

  result<size_t> read_at(uint64_t offset, std::span<uint8_t> out) override {
    const auto& d = n_->data;
    if (offset >= d.size())
      return size_t{0};
    size_t n = std::min<uint64_t>(out.size(), d.size() - offset);
    std::copy_n(d.begin() + static_cast<ptrdiff_t>(offset), n, out.begin());
    return n;
  }

  result<void> write_at(uint64_t offset, std::span<const uint8_t> data) override {
    auto& d = n_->data;
    if (d.size() < offset + data.size())
      d.resize(offset + data.size());
    std::copy(data.begin(), data.end(), d.begin() + static_cast<ptrdiff_t>(offset));
    return {};
  }

  result<void> sync() override {
    n_->durable = n_->data;
    return {};
  }

  result<uint64_t> size() override {
    return uint64_t{n_->data.size()};
  }

  result<void> truncate(uint64_t size) override {
    n_->data.resize(size);
    return {};
  }

private:
  std::shared_ptr<memory_file_system::node> n_;
};

} // namespace

memory_file_system::memory_file_system(std::string name) : name_(std::move(name)) {
}

std::string memory_file_system::describe(const std::string& name) const {
  return name_ + "/" + name;
}

result<std::unique_ptr<file>> memory_file_system::open(const std::string& name) {
  auto i = dir_.find(name);
  if (i == dir_.end())
    return error{errc::not_found,
                 "could not open file \"" + describe(name) + "\": No such file or directory"};
  return std::unique_ptr<file>{std::make_unique<memory_file>(i->second)};
}

result<std::unique_ptr<file>> memory_file_system::create(const std::string& name) {
  auto& n = dir_[name];
  if (n)
    n->data.clear(); // O_TRUNC keeps the inode
  else
    n = std::make_shared<node>();
  return std::unique_ptr<file>{std::make_unique<memory_file>(n)};
}

result<std::vector<std::string>> memory_file_system::list() {
  std::vector<std::string> out;
  for (const auto& [name, n] : dir_)
    out.push_back(name);
  return out;
}

result<void> memory_file_system::remove(const std::string& name) {
  if (dir_.erase(name) == 0)
    return error{errc::not_found,
                 "could not remove file \"" + describe(name) + "\": No such file or directory"};
  return {};
}

result<void> memory_file_system::rename(const std::string& from, const std::string& to) {
  auto i = dir_.find(from);
  if (i == dir_.end())
    return error{errc::not_found, "could not rename file \"" + describe(from) + "\" to \""
                                    + describe(to) + "\": No such file or directory"};
  auto n = i->second;
  dir_.erase(i);
  dir_[to] = std::move(n);
  return {};
}

result<void> memory_file_system::sync_dir() {
  durable_dir_ = dir_;
  return {};
}

void memory_file_system::crash() {
  dir_ = durable_dir_;
  for (auto& [name, n] : dir_)
    n->data = n->durable;
}

std::vector<uint8_t>* memory_file_system::contents(const std::string& name) {
  auto i = dir_.find(name);
  return i == dir_.end() ? nullptr : &i->second->data;
}

} // namespace hypertide::wal
