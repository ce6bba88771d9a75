#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace hypertide::messages {

/// An immutable, finished FlatBuffer shared by reference count. Actors pass
/// it by copying the handle, never the bytes; CAF serializes the bytes when a
/// message leaves the process (see actors/type_ids.hpp).
class buffer {
public:
  buffer() = default;
  explicit buffer(std::vector<char> bytes)
    : bytes_(std::make_shared<const std::vector<char>>(std::move(bytes))) {
  }

  /// Copies `size` bytes at `data` (a finished FlatBufferBuilder's output).
  static buffer copy_of(const uint8_t* data, size_t size) {
    auto p = reinterpret_cast<const char*>(data);
    return buffer{std::vector<char>(p, p + size)};
  }

  const uint8_t* data() const noexcept {
    return bytes_ ? reinterpret_cast<const uint8_t*>(bytes_->data()) : nullptr;
  }
  size_t size() const noexcept { return bytes_ ? bytes_->size() : 0; }
  bool empty() const noexcept { return size() == 0; }

  /// The bytes (an empty vector for a null buffer).
  const std::vector<char>& bytes() const noexcept {
    static const std::vector<char> none;
    return bytes_ ? *bytes_ : none;
  }

private:
  std::shared_ptr<const std::vector<char>> bytes_;
};

} // namespace hypertide::messages
