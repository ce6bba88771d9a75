#include "planner/extended_query.hpp"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <unordered_map>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include "chunkstore/types.hpp"
#include "planner/datetime.hpp"
#include "planner/pg_format.hpp"
#include "planner/pg_nodes.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;
using namespace pg_nodes;

namespace {

/// Every ParamRef of a parse tree: (number, location).
void find_params(const ProtobufCMessage* m, std::vector<std::pair<int32_t, int32_t>>& out) {
  if (m == nullptr)
    return;
  const auto* d = m->descriptor;
  if (d == &pg_query__param_ref__descriptor) {
    const auto* p = reinterpret_cast<const PgQuery__ParamRef*>(m);
    out.emplace_back(p->number, p->location);
    return;
  }
  const char* base = reinterpret_cast<const char*>(m);
  for (unsigned i = 0; i < d->n_fields; ++i) {
    const ProtobufCFieldDescriptor& f = d->fields[i];
    if (f.type != PROTOBUF_C_TYPE_MESSAGE)
      continue;
    if (f.label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n;
      std::memcpy(&n, base + f.quantifier_offset, sizeof n);
      ProtobufCMessage* const* items;
      std::memcpy(&items, base + f.offset, sizeof items);
      for (size_t k = 0; k < n; ++k)
        find_params(items[k], out);
      continue;
    }
    if ((f.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0) {
      uint32_t which;
      std::memcpy(&which, base + f.quantifier_offset, sizeof which);
      if (which != f.id)
        continue;
    }
    const ProtobufCMessage* child;
    std::memcpy(&child, base + f.offset, sizeof child);
    find_params(child, out);
  }
}

struct parsed {
  PgQueryProtobufParseResult raw{};
  PgQuery__ParseResult* tree = nullptr;
  ~parsed() {
    if (tree)
      pg_query__parse_result__free_unpacked(tree, nullptr);
    pg_query_free_protobuf_parse_result(raw);
  }
};

std::variant<std::unique_ptr<parsed>, positioned_error> parse(std::string_view sql) {
  if (auto deep = too_deep_for_parser(sql))
    return positioned_error{*deep, 0};
  auto p = std::make_unique<parsed>();
  std::string text{sql};
  p->raw = pg_query_parse_protobuf(text.c_str());
  if (p->raw.error)
    return positioned_error{{"42601", p->raw.error->message, {}}, p->raw.error->cursorpos};
  p->tree = pg_query__parse_result__unpack(
    nullptr, p->raw.parse_tree.len, reinterpret_cast<const uint8_t*>(p->raw.parse_tree.data));
  if (p->tree == nullptr)
    return positioned_error{{"XX000", "could not read the parse tree", {}}, 0};
  if (p->tree->n_stmts > 1)
    return positioned_error{{"42601", "cannot insert multiple commands into a prepared statement", {}}, 0};
  return p;
}

const char* cast_name(int32_t oid) {
  switch (oid) {
    case 16: return "bool";
    case 20: return "int8";
    case 21: return "int2";
    case 23: return "int4";
    case 25: return "text";
    case 700: return "float4";
    case 701: return "float8";
    case 1043: return "varchar";
    case 1114: return "timestamp";
    case 1184: return "timestamptz";
    case 1186: return "interval";
    case 1700: return "numeric";
    default: return nullptr;
  }
}

uint64_t be(const char* p, size_t n) {
  uint64_t x = 0;
  for (size_t i = 0; i < n; ++i)
    x = (x << 8) | static_cast<unsigned char>(p[i]);
  return x;
}

void put_be(std::string& out, uint64_t x, size_t n) {
  for (size_t i = n; i-- > 0;)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}


} // namespace

namespace {

/// What a statement's text says, found once per text: its shape (or its
/// parse error) and where its parameters are.
struct text_facts {
  std::variant<prepared_shape, positioned_error> shape;
  std::vector<std::pair<int32_t, int32_t>> params; ///< ($n, location)
};

text_facts learn_facts(std::string_view sql) {
  text_facts facts;
  auto p = parse(sql);
  if (auto* e = std::get_if<positioned_error>(&p)) {
    facts.shape = *e;
    return facts;
  }
  const auto& tree = std::get<std::unique_ptr<parsed>>(p)->tree;
  prepared_shape shape;
  if (tree->n_stmts == 0) {
    shape.empty = true;
    facts.shape = shape;
    return facts;
  }
  const node* st = tree->stmts[0]->stmt;
  find_params(&st->base, facts.params);
  for (const auto& [n, _] : facts.params)
    shape.params = std::max(shape.params, n);
  if (st->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
    shape.returns_rows = true;
    const auto* s = st->select_stmt;
    if (s->n_from_clause == 0 && s->n_target_list == 1
        && s->target_list[0]->res_target->val->node_case == PG_QUERY__NODE__NODE_FUNC_CALL) {
      const auto* f = s->target_list[0]->res_target->val->func_call;
      std::string name = last_name(f->n_funcname, f->funcname);
      if (name == "create_hypertable")
        shape.fixed_columns = {{{"create_hypertable", 2249}}};
      else if (name == "show_chunks")
        shape.fixed_columns = {{{"show_chunks", 2205}}};
      else if (name == "drop_chunks")
        shape.fixed_columns = {{{"drop_chunks", 25}}};
      shape.side_effects = name == "create_hypertable" || name == "drop_chunks";
    }
  } else if (st->node_case == PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT) {
    shape.fixed_columns = {{{st->variable_show_stmt->name, 25}}};
  }
  facts.shape = shape;
  return facts;
}

/// The facts of `sql`: parsed the first time this thread sees the text (a
/// driver sends the same statements again and again: Parse and Bind of
/// each execution would otherwise parse it twice more).
const text_facts& facts_of(std::string_view sql) {
  constexpr size_t max_texts = 512;
  constexpr size_t max_text = 16 * 1024;
  thread_local std::unordered_map<std::string, text_facts> known;
  thread_local text_facts scratch;
  if (auto it = known.find(std::string{sql}); it != known.end())
    return it->second;
  if (sql.size() > max_text) {
    scratch = learn_facts(sql);
    return scratch;
  }
  if (known.size() >= max_texts)
    known.clear();
  return known.emplace(std::string{sql}, learn_facts(sql)).first->second;
}

} // namespace

std::variant<prepared_shape, positioned_error> inspect_statement(std::string_view sql) {
  return facts_of(sql).shape;
}

std::variant<std::string, positioned_error>
bind_parameters(std::string_view sql, const std::vector<std::optional<std::string>>& values,
                const std::vector<int32_t>& types) {
  const text_facts& facts = facts_of(sql);
  if (auto* e = std::get_if<positioned_error>(&facts.shape))
    return *e;
  auto params = facts.params;
  // Replace from the end so earlier locations stay valid.
  std::sort(params.begin(), params.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out{sql};
  for (const auto& [n, loc] : params) {
    if (n < 1 || static_cast<size_t>(n) > values.size())
      return positioned_error{{"08P01", "bind message supplies " + std::to_string(values.size())
                                          + " parameters, but prepared statement requires "
                                          + std::to_string(n), {}}, 0};
    size_t len = 1;
    while (static_cast<size_t>(loc) + len < out.size()
           && std::isdigit(static_cast<unsigned char>(out[static_cast<size_t>(loc) + len])))
      ++len;
    std::string lit;
    const auto& v = values[static_cast<size_t>(n - 1)];
    int32_t type = static_cast<size_t>(n - 1) < types.size() ? types[static_cast<size_t>(n - 1)] : 0;
    if (!v) {
      lit = "NULL";
    } else {
      lit = "'";
      for (char c : *v) {
        if (c == '\'')
          lit += "''";
        else
          lit.push_back(c);
      }
      lit += "'";
    }
    if (const char* cast = cast_name(type))
      lit = "(" + lit + "::" + cast + ")";
    out.replace(static_cast<size_t>(loc), len, lit);
  }
  return out;
}

std::optional<std::string> binary_param_to_text(int32_t oid, std::string_view b) {
  switch (oid) {
    case 16:
      return b.size() == 1 ? std::optional<std::string>{b[0] ? "t" : "f"} : std::nullopt;
    case 21:
      if (b.size() != 2)
        return std::nullopt;
      return std::to_string(static_cast<int16_t>(be(b.data(), 2)));
    case 23:
      if (b.size() != 4)
        return std::nullopt;
      return std::to_string(static_cast<int32_t>(be(b.data(), 4)));
    case 20:
      if (b.size() != 8)
        return std::nullopt;
      return std::to_string(static_cast<int64_t>(be(b.data(), 8)));
    case 700: {
      if (b.size() != 4)
        return std::nullopt;
      auto u = static_cast<uint32_t>(be(b.data(), 4));
      float f;
      std::memcpy(&f, &u, 4);
      return format_float4(static_cast<double>(f));
    }
    case 701: {
      if (b.size() != 8)
        return std::nullopt;
      uint64_t u = be(b.data(), 8);
      double d;
      std::memcpy(&d, &u, 8);
      return format_float8(d);
    }
    case 1184:
    case 1114: {
      if (b.size() != 8)
        return std::nullopt;
      auto t = from_pg_time(static_cast<int64_t>(be(b.data(), 8)));
      return oid == 1184 ? format_timestamptz(t) : format_timestamp(t);
    }
    case 0:
    case 25:
    case 1043:
      return std::string{b};
    default:
      return std::nullopt;
  }
}

std::optional<std::string> text_to_binary_result(int32_t oid, const std::string& text) {
  std::string out;
  switch (oid) {
    case 16:
      out.push_back(text == "t" ? 1 : 0);
      return out;
    case 21:
    case 23:
    case 20: {
      int64_t x = 0;
      std::from_chars(text.data(), text.data() + text.size(), x);
      put_be(out, static_cast<uint64_t>(x), oid == 21 ? 2 : oid == 23 ? 4 : 8);
      return out;
    }
    case 700:
    case 701: {
      double d = 0;
      if (text == "NaN")
        d = std::nan("");
      else if (text == "Infinity")
        d = HUGE_VAL;
      else if (text == "-Infinity")
        d = -HUGE_VAL;
      else
        std::from_chars(text.data(), text.data() + text.size(), d);
      if (oid == 700) {
        auto f = static_cast<float>(d);
        uint32_t u;
        std::memcpy(&u, &f, 4);
        put_be(out, u, 4);
        return out;
      }
      uint64_t u;
      std::memcpy(&u, &d, 8);
      put_be(out, u, 8);
      return out;
    }
    case 1184:
    case 1114: {
      auto t = oid == 1184 ? parse_timestamptz(text) : parse_timestamp(text);
      if (!t)
        return std::nullopt;
      put_be(out, static_cast<uint64_t>(to_pg_time(*t)), 8);
      return out;
    }
    case 25:
    case 1043:
    case 2205:
      return text;
    default:
      return std::nullopt;
  }
}

} // namespace hypertide::planner
