#include "wal/fault_injecting_file_system.hpp"

#include <algorithm>

namespace hypertide::wal {

/// A file of a fault_injecting_file_system.
class fault_file final : public file {
public:
  fault_file(fault_injecting_file_system& fs, std::string name, std::unique_ptr<file> base)
    : fs_(fs), name_(std::move(name)), base_(std::move(base)) {
  }

  result<size_t> read_at(uint64_t offset, std::span<uint8_t> out) override {
    if (auto alive = fs_.check_alive(); !alive)
      return std::move(alive).err();
    auto n = base_->read_at(offset, out);
    if (!n)
      return n;
    if (auto f = fs_.flips_.find(name_); f != fs_.flips_.end())
      for (auto i = f->second.lower_bound(offset);
           i != f->second.end() && i->first < offset + *n; ++i)
        out[i->first - offset] ^= i->second;
    return n;
  }

  result<void> write_at(uint64_t offset, std::span<const uint8_t> data) override {
    if (auto alive = fs_.check_alive(); !alive)
      return alive;
    auto nr = ++fs_.writes_;
    if (fs_.failing_write_ == nr)
      return error{errc::io, "could not write to file \"" + fs_.describe(name_)
                               + "\": No space left on device"};
    if (fs_.crash_write_ && fs_.crash_write_->first == nr) {
      auto keep = std::min(fs_.crash_write_->second, data.size());
      if (auto r = base_->write_at(offset, data.first(keep)); !r)
        return r;
      fs_.crashed_ = true;
      return fs_.check_alive();
    }
    return base_->write_at(offset, data);
  }

  result<void> sync() override {
    if (auto alive = fs_.check_alive(); !alive)
      return alive;
    if (fs_.failing_sync_ == ++fs_.syncs_)
      return error{errc::io, "could not fdatasync file \"" + fs_.describe(name_)
                               + "\": Input/output error"};
    return base_->sync();
  }

  result<uint64_t> size() override {
    if (auto alive = fs_.check_alive(); !alive)
      return std::move(alive).err();
    return base_->size();
  }

  result<void> truncate(uint64_t size) override {
    if (auto alive = fs_.check_alive(); !alive)
      return alive;
    return base_->truncate(size);
  }

private:
  fault_injecting_file_system& fs_;
  std::string name_;
  std::unique_ptr<file> base_;
};

result<void> fault_injecting_file_system::check_alive() const {
  if (crashed_)
    return error{errc::io, "simulated crash"};
  return {};
}

result<std::unique_ptr<file>> fault_injecting_file_system::open(const std::string& name) {
  if (auto alive = check_alive(); !alive)
    return std::move(alive).err();
  auto f = base_.open(name);
  if (!f)
    return f;
  return std::unique_ptr<file>{std::make_unique<fault_file>(*this, name, std::move(*f))};
}

result<std::unique_ptr<file>> fault_injecting_file_system::create(const std::string& name) {
  if (auto alive = check_alive(); !alive)
    return std::move(alive).err();
  auto f = base_.create(name);
  if (!f)
    return f;
  return std::unique_ptr<file>{std::make_unique<fault_file>(*this, name, std::move(*f))};
}

result<std::vector<std::string>> fault_injecting_file_system::list() {
  if (auto alive = check_alive(); !alive)
    return std::move(alive).err();
  return base_.list();
}

result<void> fault_injecting_file_system::remove(const std::string& name) {
  if (auto alive = check_alive(); !alive)
    return alive;
  return base_.remove(name);
}

result<void> fault_injecting_file_system::rename(const std::string& from,
                                                 const std::string& to) {
  if (auto alive = check_alive(); !alive)
    return alive;
  return base_.rename(from, to);
}

result<void> fault_injecting_file_system::sync_dir() {
  if (auto alive = check_alive(); !alive)
    return alive;
  return base_.sync_dir();
}

std::string fault_injecting_file_system::describe(const std::string& name) const {
  return base_.describe(name);
}

void fault_injecting_file_system::crash_during_write(uint64_t nth, size_t keep) {
  crash_write_ = std::pair{writes_ + nth, keep};
}

void fault_injecting_file_system::flip_bit(const std::string& name, uint64_t offset,
                                           int bit) {
  flips_[name][offset] ^= static_cast<uint8_t>(1u << bit);
}

void fault_injecting_file_system::fail_sync(uint64_t nth) {
  failing_sync_ = syncs_ + nth;
}

void fault_injecting_file_system::fail_write(uint64_t nth) {
  failing_write_ = writes_ + nth;
}

} // namespace hypertide::wal
