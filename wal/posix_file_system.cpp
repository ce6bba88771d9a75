#include "wal/posix_file_system.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace hypertide::wal {

namespace {

error io_error(const char* what, const std::string& path, int err) {
  return error{errc::io, std::string{"could not "} + what + " \"" + path
                           + "\": " + std::strerror(err)};
}

class posix_file final : public file {
public:
  posix_file(int fd, std::string path) : fd_(fd), path_(std::move(path)) {
  }

  ~posix_file() override {
    ::close(fd_);
  }

  result<size_t> read_at(uint64_t offset, std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      auto n = ::pread(fd_, out.data() + done, out.size() - done,
                       static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return io_error("read from file", path_, errno);
      }
      if (n == 0)
        break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  result<void> write_at(uint64_t offset, std::span<const uint8_t> data) override {
    size_t done = 0;
    while (done < data.size()) {
      auto n = ::pwrite(fd_, data.data() + done, data.size() - done,
                        static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return io_error("write to file", path_, errno);
      }
      // pwrite returns 0 only for a 0-byte request; a short write is
      // retried for the rest, which then reports the errno (ENOSPC, ...).
      done += static_cast<size_t>(n);
    }
    return {};
  }

  result<void> sync() override {
    if (::fdatasync(fd_) != 0)
      return io_error("fdatasync file", path_, errno);
    return {};
  }

  result<uint64_t> size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0)
      return io_error("stat file", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  result<void> truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
      return io_error("truncate file", path_, errno);
    return {};
  }

private:
  int fd_;
  std::string path_;
};

result<std::unique_ptr<file>> open_path(const std::string& path, int flags) {
  int fd;
  do
    fd = ::open(path.c_str(), flags | O_RDWR | O_CLOEXEC, 0600);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    auto e = io_error("open file", path, errno);
    if (errno == ENOENT)
      e.code = errc::not_found;
    return e;
  }
  return std::unique_ptr<file>{std::make_unique<posix_file>(fd, path)};
}

} // namespace

result<posix_file_system> posix_file_system::open_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return error{errc::io, "could not create directory \"" + dir + "\": " + ec.message()};
  return posix_file_system{dir};
}

std::string posix_file_system::path(const std::string& name) const {
  return dir_ + "/" + name;
}

std::string posix_file_system::describe(const std::string& name) const {
  return path(name);
}

result<std::unique_ptr<file>> posix_file_system::open(const std::string& name) {
  return open_path(path(name), 0);
}

result<std::unique_ptr<file>> posix_file_system::create(const std::string& name) {
  return open_path(path(name), O_CREAT | O_TRUNC);
}

result<std::vector<std::string>> posix_file_system::list() {
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr)
    return io_error("open directory", dir_, errno);
  std::vector<std::string> out;
  errno = 0;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..")
      continue;
    bool regular = e->d_type == DT_REG;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      regular = ::stat(path(name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
    }
    if (regular)
      out.push_back(std::move(name));
    errno = 0;
  }
  int err = errno;
  ::closedir(d);
  if (err != 0)
    return io_error("read directory", dir_, err);
  return out;
}

result<void> posix_file_system::remove(const std::string& name) {
  if (::unlink(path(name).c_str()) != 0)
    return io_error("remove file", path(name), errno);
  return {};
}

result<void> posix_file_system::rename(const std::string& from, const std::string& to) {
  if (::rename(path(from).c_str(), path(to).c_str()) != 0)
    return error{errc::io, "could not rename file \"" + path(from) + "\" to \"" + path(to)
                             + "\": " + std::strerror(errno)};
  return {};
}

result<void> posix_file_system::sync_dir() {
  int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return io_error("open directory", dir_, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0)
    return io_error("fsync directory", dir_, err);
  return {};
}

} // namespace hypertide::wal
