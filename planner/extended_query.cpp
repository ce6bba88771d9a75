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
#include "planner/interval.hpp"
#include "planner/pg_nodes.hpp"
#include "planner/sql_session.hpp"

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

/// Writes the low `n` bytes of `x` big-endian (network order) at `p`;
/// returns the end of what it wrote.
char* put_be(char* p, uint64_t x, size_t n) {
  for (size_t i = n; i-- > 0;)
    *p++ = static_cast<char>((x >> (8 * i)) & 0xff);
  return p;
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

namespace {

/// numeric's binary form (numeric_send): digit count, weight, sign and
/// display scale as int16, then base-10000 digits, from numeric text
/// output (`-12.3400`, `NaN`, `Infinity`); nullopt for other text.
std::optional<std::string> numeric_binary(std::string_view text) {
  std::string out;
  char buf[8];
  auto header = [&](int16_t ndigits, int16_t weight, uint16_t sign, int16_t dscale) {
    char* p = put_be(buf, static_cast<uint16_t>(ndigits), 2);
    p = put_be(p, static_cast<uint16_t>(weight), 2);
    p = put_be(p, sign, 2);
    out.append(buf, put_be(p, static_cast<uint16_t>(dscale), 2));
  };
  if (text == "NaN" || text == "Infinity" || text == "-Infinity") {
    header(0, 0, text == "NaN" ? 0xC000 : text == "Infinity" ? 0xD000 : 0xF000, 0);
    return out;
  }
  bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+'))
    text.remove_prefix(1);
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() && frac.empty())
    return std::nullopt;
  for (char ch : whole)
    if (ch < '0' || ch > '9')
      return std::nullopt;
  for (char ch : frac)
    if (ch < '0' || ch > '9')
      return std::nullopt;
  if (frac.size() > 0x3fff)
    return std::nullopt;
  // Whole digits padded on the left, fraction digits on the right, to
  // groups of four.
  std::string digits(static_cast<size_t>((4 - whole.size() % 4) % 4), '0');
  digits.append(whole);
  size_t whole_groups = digits.size() / 4;
  digits.append(frac);
  digits.append(static_cast<size_t>((4 - frac.size() % 4) % 4), '0');
  std::vector<uint16_t> groups;
  for (size_t i = 0; i < digits.size(); i += 4)
    groups.push_back(static_cast<uint16_t>((digits[i] - '0') * 1000 + (digits[i + 1] - '0') * 100
                                           + (digits[i + 2] - '0') * 10 + (digits[i + 3] - '0')));
  auto weight = static_cast<int64_t>(whole_groups) - 1;
  size_t first = 0;
  while (first < groups.size() && groups[first] == 0) {
    ++first;
    --weight;
  }
  size_t last = groups.size();
  while (last > first && groups[last - 1] == 0)
    --last;
  if (first == last) { // zero: no digits, weight 0, positive
    header(0, 0, 0, static_cast<int16_t>(frac.size()));
    return out;
  }
  if (last - first > 0x7fff || weight > 0x7fff || weight < -0x8000)
    return std::nullopt;
  header(static_cast<int16_t>(last - first), static_cast<int16_t>(weight), negative ? 0x4000 : 0,
         static_cast<int16_t>(frac.size()));
  for (size_t i = first; i < last; ++i)
    out.append(buf, put_be(buf, groups[i], 2));
  return out;
}

} // namespace

bool has_binary_output(int32_t oid) noexcept {
  switch (oid) {
    case oid::bool_:
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case 26: // oid
    case oid::float4:
    case oid::float8:
    case oid::numeric:
    case oid::text:
    case oid::varchar:
    case 18:   // "char"
    case 19:   // name
    case 1042: // bpchar
    case oid::unknown:
    case oid::timestamptz:
    case oid::timestamp:
    case oid::interval:
      return true;
    default:
      return false;
  }
}

std::optional<std::string> text_to_binary_result(int32_t oid, const std::string& text) {
  std::string out;
  char buf[16];
  switch (oid) {
    case oid::bool_:
      out.push_back(text == "t" ? 1 : 0);
      return out;
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case 26: {
      int64_t x = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
      if (ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
      out.append(buf, put_be(buf, static_cast<uint64_t>(x),
                             oid == oid::int2 ? 2 : oid == oid::int8 ? 8 : 4));
      return out;
    }
    case oid::float4:
    case oid::float8: {
      double d = 0;
      if (text == "NaN")
        d = std::nan("");
      else if (text == "Infinity")
        d = HUGE_VAL;
      else if (text == "-Infinity")
        d = -HUGE_VAL;
      else if (std::from_chars(text.data(), text.data() + text.size(), d).ec != std::errc{})
        return std::nullopt;
      if (oid == oid::float4) {
        auto f = static_cast<float>(d);
        uint32_t u;
        std::memcpy(&u, &f, 4);
        out.append(buf, put_be(buf, u, 4));
        return out;
      }
      uint64_t u;
      std::memcpy(&u, &d, 8);
      out.append(buf, put_be(buf, u, 8));
      return out;
    }
    case oid::numeric:
      return numeric_binary(text);
    case oid::timestamptz:
    case oid::timestamp: {
      if (text == "infinity" || text == "-infinity") {
        uint64_t infinite = text[0] == '-' ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
        out.append(buf, put_be(buf, infinite, 8));
        return out;
      }
      auto t = oid == oid::timestamptz ? parse_timestamptz(text) : parse_timestamp(text);
      if (!t)
        return std::nullopt;
      out.append(buf, put_be(buf, static_cast<uint64_t>(to_pg_time(*t)), 8));
      return out;
    }
    case oid::interval: {
      auto iv = parse_interval(text);
      if (!iv)
        return std::nullopt;
      char* p = put_be(buf, static_cast<uint64_t>(iv->micros), 8);
      p = put_be(p, static_cast<uint32_t>(iv->days), 4);
      out.append(buf, put_be(p, static_cast<uint32_t>(iv->months), 4));
      return out;
    }
    case oid::text:
    case oid::varchar:
    case 18:
    case 19:
    case 1042:
    case oid::unknown:
      return text;
    default:
      return std::nullopt;
  }
}

std::string_view binary_cell(const cs::column_view& c, size_t row, int32_t type,
                             char* scratch, std::string& spill) {
  switch (c.type) {
    case cs::column_type::int4:
      if (type == oid::int4 || type == oid::int2)
        return {scratch, put_be(scratch, static_cast<uint64_t>(static_cast<int64_t>(c.i32[row])),
                                type == oid::int2 ? 2 : 4)};
      break;
    case cs::column_type::int8:
      if (type == oid::int8)
        return {scratch, put_be(scratch, static_cast<uint64_t>(c.i64[row]), 8)};
      break;
    case cs::column_type::float8:
      if (type == oid::float8) {
        uint64_t u;
        std::memcpy(&u, &c.f64[row], 8);
        return {scratch, put_be(scratch, u, 8)};
      }
      if (type == oid::float4) {
        auto f = static_cast<float>(c.f64[row]);
        uint32_t u;
        std::memcpy(&u, &f, 4);
        return {scratch, put_be(scratch, u, 4)};
      }
      break;
    case cs::column_type::boolean:
      if (type == oid::bool_) {
        scratch[0] = c.u8[row] ? 1 : 0;
        return {scratch, 1};
      }
      break;
    case cs::column_type::text:
      if (type != oid::numeric && type != oid::interval && type != 26 && has_binary_output(type))
        return c.dict[c.codes[row]];
      break;
    case cs::column_type::timestamptz:
    case cs::column_type::timestamp:
      if (type == oid::timestamptz || type == oid::timestamp)
        return {scratch, put_be(scratch, static_cast<uint64_t>(to_pg_time(c.i64[row])), 8)};
      break;
  }
  // Any other pairing goes through the value's text.
  auto bin = text_to_binary_result(type, std::string{text_cell(c, row, scratch, type)});
  spill = bin ? std::move(*bin) : std::string{};
  return spill;
}

} // namespace hypertide::planner
