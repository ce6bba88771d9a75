#include "wal/error.hpp"

namespace hypertide::wal {

const char* to_string(errc x) noexcept {
  switch (x) {
    case errc::io:
      return "io";
    case errc::corruption:
      return "corruption";
    case errc::mismatch:
      return "mismatch";
    case errc::not_found:
      return "not_found";
    case errc::too_large:
      return "too_large";
    case errc::closed:
      return "closed";
    case errc::invalid_argument:
      return "invalid_argument";
  }
  return "unknown";
}

} // namespace hypertide::wal
