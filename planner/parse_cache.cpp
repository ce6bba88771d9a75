#include "planner/parse_cache.hpp"

#include <cctype>
#include <climits>
#include <functional>

#include "planner/parsed_query_internal.hpp"
#include "planner/pg_nodes.hpp"

namespace hypertide::planner {

/// A literal's place in the cached tree.
struct parse_cache::constant {
  PgQuery__AConst* node = nullptr;
  bool negated = false; ///< `-5`: the grammar folded the minus into the constant
  int string = -1;      ///< its cached_tree::strings entry (text and 'F' numbers)
};

struct parse_cache::entry {
  std::shared_ptr<cached_tree> tree;
  std::vector<literal> literals;   ///< in the text the tree was parsed from
  std::vector<constant> constants; ///< per literal
};

parse_cache::parse_cache(size_t capacity) : capacity_{capacity} {}
parse_cache::~parse_cache() = default;

namespace {

bool ident_start(unsigned char c) {
  return std::isalpha(c) != 0 || c == '_' || c >= 0x80;
}

bool ident_char(unsigned char c) {
  return ident_start(c) || std::isdigit(c) != 0 || c == '$';
}

/// The value of a quoted literal: 'it''s' is it's.
std::string unquote(std::string_view lit) {
  std::string out;
  for (size_t i = 1; i + 1 < lit.size(); ++i) {
    out += lit[i];
    if (lit[i] == '\'')
      ++i;
  }
  return out;
}

/// An integer literal's value (digits that fit in int4: 'I' literals).
int32_t integer_of(std::string_view digits) {
  int64_t v = 0;
  for (char c : digits)
    v = v * 10 + (c - '0');
  return static_cast<int32_t>(v);
}

} // namespace

bool parse_cache::scan(std::string_view sql, std::string& key, std::vector<literal>& literals) {
  key.clear();
  literals.clear();
  key.reserve(sql.size());
  const size_t n = sql.size();
  auto at = [&](size_t i) { return static_cast<unsigned char>(sql[i]); };
  size_t i = 0;
  while (i < n) {
    const unsigned char c = at(i);
    if (c == '\'' || c == '"') {
      // A string, or a quoted identifier (kept in the key).
      if (c == '\'' && i > 0 && ident_char(at(i - 1)))
        return false; // E'..', B'..', X'..', U&'..': other lexer rules
      size_t j = i + 1;
      for (;; ++j) {
        if (j >= n)
          return false;
        if (at(j) == c) {
          if (j + 1 < n && at(j + 1) == c) {
            ++j;
            continue;
          }
          break;
        }
      }
      if (c == '"') {
        for (size_t k = i; k <= j; ++k)
          if (at(k) < 0x20)
            return false; // a quoted name with control bytes: kept out of the key
        key.append(sql.substr(i, j + 1 - i));
      } else {
        literals.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(j + 1 - i), 'S'});
        key += "\x01S";
        size_t k = j + 1;
        while (k < n && std::isspace(at(k)) != 0)
          ++k;
        if (k < n && at(k) == '\'')
          return false; // 'a' 'b' across a newline is one literal
      }
      i = j + 1;
      continue;
    }
    if (c == '$' || c == '\\')
      return false; // dollar quotes, parameters, psql's backslash commands
    if (c < 0x20 && std::isspace(c) == 0)
      return false; // control bytes: the lexer's error, and the key's markers
    if ((c == '-' && i + 1 < n && at(i + 1) == '-') || (c == '/' && i + 1 < n && at(i + 1) == '*'))
      return false; // comments
    if (ident_start(c)) {
      size_t j = i;
      while (j < n && ident_char(at(j)))
        ++j;
      key.append(sql.substr(i, j - i));
      i = j;
      continue;
    }
    if (std::isdigit(c) != 0 || (c == '.' && i + 1 < n && std::isdigit(at(i + 1)) != 0)) {
      size_t j = i;
      bool real = false;
      while (j < n && std::isdigit(at(j)) != 0)
        ++j;
      if (j < n && at(j) == '.') {
        if (j + 1 < n && at(j + 1) == '.')
          return false;
        real = true;
        ++j;
        while (j < n && std::isdigit(at(j)) != 0)
          ++j;
      }
      if (j < n && (at(j) == 'e' || at(j) == 'E')) {
        size_t k = j + 1;
        if (k < n && (at(k) == '+' || at(k) == '-'))
          ++k;
        if (k >= n || std::isdigit(at(k)) == 0)
          return false;
        real = true;
        j = k;
        while (j < n && std::isdigit(at(j)) != 0)
          ++j;
      }
      if (j < n && (ident_char(at(j)) || at(j) == '.'))
        return false; // 1abc, 1.2.3: the lexer's business
      bool fits = false;
      if (!real) {
        std::string_view d = sql.substr(i, j - i);
        while (d.size() > 1 && d.front() == '0')
          d.remove_prefix(1);
        fits = d.size() < 10 || (d.size() == 10 && d <= "2147483647");
      }
      const char kind = fits ? 'I' : 'F';
      literals.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(j - i), kind});
      key += '\x01';
      key += kind;
      i = j;
      continue;
    }
    key += static_cast<char>(c);
    ++i;
  }
  return true;
}

std::unique_ptr<parse_cache::entry>
parse_cache::learn(parsed_query& q, std::string_view sql, const std::vector<literal>& literals) {
  auto* tree = q.impl_->tree;
  if (tree == nullptr || tree->n_stmts != 1 || tree->stmts[0]->stmt == nullptr)
    return nullptr;
  const auto kind = tree->stmts[0]->stmt->node_case;
  if (kind != PG_QUERY__NODE__NODE_SELECT_STMT && kind != PG_QUERY__NODE__NODE_INSERT_STMT)
    return nullptr;
  std::vector<PgQuery__AConst*> consts;
  std::function<void(ProtobufCMessage*)> walk = [&](ProtobufCMessage* m) {
    if (m->descriptor == &pg_query__a__const__descriptor)
      consts.push_back(reinterpret_cast<PgQuery__AConst*>(m));
    pg_nodes::each_child(m, walk);
  };
  walk(&tree->base);
  auto e = std::make_unique<entry>();
  e->literals = literals;
  e->constants.resize(literals.size());
  e->tree = std::make_shared<cached_tree>();
  std::vector<bool> taken(literals.size(), false);
  for (auto* k : consts) {
    if (k->location < 0)
      continue;
    const auto loc = static_cast<size_t>(k->location);
    // The literal at the constant's place, or (a folded minus) the first
    // one after it with only blanks and parentheses between.
    size_t li = 0;
    while (li < literals.size() && literals[li].start < loc)
      ++li;
    bool negated = false;
    if (li == literals.size() || literals[li].start != loc) {
      if (loc >= sql.size() || sql[loc] != '-' || li == literals.size())
        continue; // TRUE, NULL, ...: a keyword, fixed by the shape
      for (size_t p = loc + 1; p < literals[li].start; ++p)
        if (std::isspace(static_cast<unsigned char>(sql[p])) == 0 && sql[p] != '(')
          return nullptr;
      negated = true;
    }
    if (taken[li])
      return nullptr;
    taken[li] = true;
    const literal& l = literals[li];
    std::string_view text = sql.substr(l.start, l.length);
    constant& c = e->constants[li];
    c.node = k;
    c.negated = negated;
    bool same = false;
    char** slot = nullptr;
    if (l.kind == 'S' && k->val_case == PG_QUERY__A__CONST__VAL_SVAL && !negated) {
      slot = &k->sval->sval;
      same = *slot != nullptr && unquote(text) == *slot;
    } else if (l.kind == 'I' && k->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
      int64_t v = integer_of(text);
      same = k->ival->ival == (negated ? -v : v);
    } else if (l.kind == 'F' && k->val_case == PG_QUERY__A__CONST__VAL_FVAL) {
      slot = &k->fval->fval;
      same = *slot != nullptr && (negated ? "-" + std::string{text} : std::string{text}) == *slot;
    }
    if (!same)
      return nullptr;
    if (slot != nullptr) {
      c.string = static_cast<int>(e->tree->strings.size());
      e->tree->strings.push_back(cached_tree::rewritten{slot, *slot, {}});
    }
  }
  for (bool t : taken)
    if (!t)
      return nullptr; // a literal the tree holds some other way
  // The tree is the cache's from now on.
  e->tree->tree = tree;
  q.impl_->shared = e->tree;
  return e;
}

std::unique_ptr<parsed_query> parse_cache::parse(std::string_view sql) {
  constexpr size_t max_cached_text = 16 * 1024;
  std::string key;
  std::vector<literal> literals;
  if (sql.size() > max_cached_text || !scan(sql, key, literals))
    return std::make_unique<parsed_query>(sql);
  if (auto it = entries_.find(key); it != entries_.end()) {
    entry& e = *it->second;
    bool fits = e.literals.size() == literals.size();
    for (size_t i = 0; fits && i < literals.size(); ++i)
      fits = e.literals[i].kind == literals[i].kind;
    if (fits && e.tree.use_count() == 1) { // not in use by a running query
      std::unique_ptr<parsed_query> q{new parsed_query()};
      q->impl_->text = std::string{sql};
      auto& shifts = q->impl_->shifts;
      for (size_t i = 0; i < literals.size(); ++i) {
        const literal& l = literals[i];
        const constant& c = e.constants[i];
        std::string_view text = sql.substr(l.start, l.length);
        if (l.kind == 'I') {
          int32_t v = integer_of(text);
          c.node->ival->ival = c.negated ? -v : v;
        } else {
          auto& r = e.tree->strings[static_cast<size_t>(c.string)];
          r.text = l.kind == 'S' ? unquote(text)
                                 : (c.negated ? "-" + std::string{text} : std::string{text});
          *r.slot = r.text.data();
        }
        shifts.push_back(literal_shift{l.start, l.length, e.literals[i].start,
                                       e.literals[i].length});
      }
      q->impl_->tree = e.tree->tree;
      q->impl_->shared = e.tree;
      ++hits_;
      return q;
    }
    return std::make_unique<parsed_query>(sql);
  }
  auto q = std::make_unique<parsed_query>(sql);
  if (q->error())
    return q;
  if (entries_.size() >= capacity_) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second->tree.use_count() == 1) {
        entries_.erase(it);
        break;
      }
    if (entries_.size() >= capacity_)
      return q;
  }
  if (auto e = learn(*q, sql, literals))
    entries_.emplace(std::move(key), std::move(e));
  return q;
}

} // namespace hypertide::planner
