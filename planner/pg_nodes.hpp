#pragma once

// Small readers of libpg_query's protobuf parse tree, shared by the
// statement planners. Internal to planner/.

#include <pg_query/pg_query.pb-c.h>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace hypertide::planner::pg_nodes {

using node = PgQuery__Node;

/// protobuf-c gives "" for an absent string field.
inline bool has(const char* s) {
  return s != nullptr && *s != '\0';
}

inline const char* string_of(const node* n) {
  return n != nullptr && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : nullptr;
}

/// `s` in lower case (ASCII), as PostgreSQL folds unquoted identifiers.
inline std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The last name of a qualified name list ("pg_catalog"."int4" -> "int4").
inline std::string last_name(size_t n, node** names) {
  if (n == 0)
    return {};
  const char* s = string_of(names[n - 1]);
  return s ? s : "";
}

/// Schemas whose relations a SELECT may name: user tables (public) and the
/// views the session builds.
inline bool readable_schema(std::string_view schema) {
  return schema.empty() || schema == "public" || schema == "timescaledb_information"
         || schema == "information_schema";
}

/// The column names of `AS alias(a, b)`: a, b (none without an alias).
inline std::vector<std::string> alias_columns(const PgQuery__Alias* a) {
  std::vector<std::string> out;
  for (size_t i = 0; a != nullptr && i < a->n_colnames; ++i)
    out.emplace_back(string_of(a->colnames[i]) ? string_of(a->colnames[i]) : "");
  return out;
}

/// Calls `f` with each message-valued field of parse-tree message `m` that
/// is set (the set member of a oneof, every element of a repeated field),
/// through protobuf-c's descriptors: a walk over any node kind.
template <class F>
void each_child(ProtobufCMessage* m, const F& f) {
  const auto* d = m->descriptor;
  char* base = reinterpret_cast<char*>(m);
  if (d == &pg_query__node__descriptor) {
    // A Node is a oneof of ~250 kinds: its set member found by number, not
    // by a look at every field.
    auto c = reinterpret_cast<const PgQuery__Node*>(m)->node_case;
    if (c == PG_QUERY__NODE__NODE__NOT_SET)
      return;
    const auto* fd = protobuf_c_message_descriptor_get_field(d, static_cast<unsigned>(c));
    if (fd != nullptr)
      if (auto* child = *reinterpret_cast<ProtobufCMessage**>(base + fd->offset))
        f(child);
    return;
  }
  for (unsigned i = 0; i < d->n_fields; ++i) {
    const auto& fd = d->fields[i];
    if (fd.type != PROTOBUF_C_TYPE_MESSAGE)
      continue;
    if ((fd.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0
        && *reinterpret_cast<const uint32_t*>(base + fd.quantifier_offset) != fd.id)
      continue; // another member of the oneof is set
    if (fd.label == PROTOBUF_C_LABEL_REPEATED) {
      size_t count = *reinterpret_cast<const size_t*>(base + fd.quantifier_offset);
      auto** items = *reinterpret_cast<ProtobufCMessage***>(base + fd.offset);
      for (size_t k = 0; k < count; ++k)
        if (items[k] != nullptr)
          f(items[k]);
    } else if (auto* child = *reinterpret_cast<ProtobufCMessage**>(base + fd.offset)) {
      f(child);
    }
  }
}

} // namespace hypertide::planner::pg_nodes
