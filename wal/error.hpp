#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace hypertide::wal {

/// What went wrong, as far as a caller reacts to it.
enum class errc : uint8_t {
  /// A system call failed (the message names the file and the errno text).
  /// After a failed write or sync the writer refuses all further work.
  io,
  /// Damaged bytes before the end of the log: the message names the segment
  /// file and the offset.
  corruption,
  /// A file that is not this log's: wrong magic, format version, segment
  /// number, segment size or system identifier.
  mismatch,
  /// A file or segment that does not exist (e.g. one removed by a checkpoint).
  not_found,
  /// A record larger than a segment can hold.
  too_large,
  /// The writer failed earlier and takes no more records.
  closed,
  /// A bad argument from the caller (an LSN that no record starts at, ...).
  invalid_argument,
};

/// Returns the name of `x`, e.g. "corruption".
const char* to_string(errc x) noexcept;

/// An error code and a message for a person, in PostgreSQL's words where
/// PostgreSQL has them.
struct error {
  errc code = errc::io;
  std::string message;
};

/// A `T` or an error: what every fallible call in wal/ returns.
template <class T>
class [[nodiscard]] result {
public:
  result(T value) : v_(std::move(value)) {
  }
  result(error e) : v_(std::move(e)) {
  }

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const error& err() const& { return std::get<1>(v_); }
  error&& err() && { return std::get<1>(std::move(v_)); }

private:
  std::variant<T, error> v_;
};

/// Success or an error.
template <>
class [[nodiscard]] result<void> {
public:
  result() = default;
  result(error e) : e_(std::move(e)) {
  }

  bool has_value() const noexcept { return !e_; }
  explicit operator bool() const noexcept { return has_value(); }

  const error& err() const& { return *e_; }
  error&& err() && { return std::move(*e_); }

private:
  std::optional<error> e_;
};

} // namespace hypertide::wal
