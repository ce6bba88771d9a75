#pragma once

// Lets Boost.Test print chunkstore values when a comparison fails.

#include <ostream>

#include "chunkstore/types.hpp"

namespace hypertide::chunkstore {

inline std::ostream& operator<<(std::ostream& os, const value& v) {
  os << pg_type_name(v.type) << ':';
  if (v.is_null)
    return os << "NULL";
  switch (v.type) {
    case column_type::text:
      return os << '\'' << v.s << '\'';
    case column_type::float8:
      return os << v.f;
    default:
      return os << v.i;
  }
}

} // namespace hypertide::chunkstore
