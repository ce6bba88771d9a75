#include "chunkstore/types.hpp"

namespace hypertide::chunkstore {

const char* pg_type_name(column_type t) noexcept {
  switch (t) {
    case column_type::timestamptz:
      return "timestamp with time zone";
    case column_type::int4:
      return "integer";
    case column_type::int8:
      return "bigint";
    case column_type::float8:
      return "double precision";
    case column_type::boolean:
      return "boolean";
    case column_type::text:
      return "text";
    case column_type::timestamp:
      return "timestamp without time zone";
  }
  return "unknown";
}

size_t value_width(column_type t) noexcept {
  switch (t) {
    case column_type::timestamptz:
    case column_type::timestamp:
    case column_type::int8:
    case column_type::float8:
      return 8;
    case column_type::int4:
    case column_type::text:
      return 4;
    case column_type::boolean:
      return 1;
  }
  return 8;
}

int table_schema::find(std::string_view name) const noexcept {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name)
      return static_cast<int>(i);
  return -1;
}

const char* pg_type_name(const column_def& c) noexcept {
  switch (c.sql_oid) {
    case 700: return "real";
    case 21: return "smallint";
    case 1043: return "character varying";
    default: return pg_type_name(c.type);
  }
}

} // namespace hypertide::chunkstore
