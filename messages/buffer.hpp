#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace hypertide::messages {

/// Immutable bytes shared by reference count -- usually a finished
/// FlatBuffer. Actors pass it by copying the handle, never the bytes; CAF
/// serializes the bytes when a message leaves the process (see
/// actors/type_ids.hpp).
class buffer {
public:
  buffer() = default;
  explicit buffer(std::vector<char> bytes) {
    auto v = std::make_shared<const std::vector<char>>(std::move(bytes));
    data_ = v->data();
    size_ = v->size();
    owner_ = std::move(v);
  }

  /// Bytes at `data` that `owner` keeps alive (a FlatBufferBuilder's
  /// released memory: no copy).
  static buffer adopt(std::shared_ptr<const void> owner, const uint8_t* data, size_t size) {
    buffer b;
    b.owner_ = std::move(owner);
    b.data_ = reinterpret_cast<const char*>(data);
    b.size_ = size;
    return b;
  }

  /// Copies `size` bytes at `data`.
  static buffer copy_of(const uint8_t* data, size_t size) {
    auto p = reinterpret_cast<const char*>(data);
    return buffer{std::vector<char>(p, p + size)};
  }

  const uint8_t* data() const noexcept { return reinterpret_cast<const uint8_t*>(data_); }
  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// The bytes (empty for a null buffer).
  std::span<const char> chars() const noexcept { return {data_, size_}; }

  /// A copy of the bytes.
  std::vector<char> to_vector() const { return {data_, data_ + size_}; }

private:
  std::shared_ptr<const void> owner_;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

} // namespace hypertide::messages
