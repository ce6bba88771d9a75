// Sub-queries in expressions (scalar `(SELECT ...)`, `EXISTS (...)`,
// `x IN (SELECT ...)`): the session runs each one on its own first, then
// a private copy of the statement has them replaced by their results --
// a typed constant, true or false, a list of constants -- and runs as any
// other statement. Correlated sub-queries cannot run on their own.

#include "planner/sublinks.hpp"

#include <cstdlib>
#include <cstring>
#include <functional>

#include "planner/pg_nodes.hpp"
#include "planner/select_binder.hpp"

namespace hypertide::planner {

using namespace detail;

namespace {

template <class T>
T* make(const T& init) {
  auto* p = static_cast<T*>(std::malloc(sizeof(T)));
  std::memcpy(static_cast<void*>(p), &init, sizeof(T));
  return p;
}

node* make_node() {
  node init = PG_QUERY__NODE__INIT;
  return make(init);
}

node* string_node(const std::string& s) {
  PgQuery__String str = PG_QUERY__STRING__INIT;
  str.sval = strdup(s.c_str());
  node* n = make_node();
  n->node_case = PG_QUERY__NODE__NODE_STRING;
  n->string = make(str);
  return n;
}

/// A text constant (or NULL) cast to the type `oid`, as a parse tree.
node* typed_constant(const std::optional<std::string>& text, int32_t oid) {
  PgQuery__AConst c = PG_QUERY__A__CONST__INIT;
  c.location = -1;
  if (text) {
    PgQuery__String str = PG_QUERY__STRING__INIT;
    str.sval = strdup(text->c_str());
    c.val_case = PG_QUERY__A__CONST__VAL_SVAL;
    c.sval = make(str);
  } else {
    c.isnull = 1;
  }
  node* arg = make_node();
  arg->node_case = PG_QUERY__NODE__NODE_A_CONST;
  arg->a_const = make(c);
  const char* name = oid == oid::int2          ? "int2"
                     : oid == oid::int4        ? "int4"
                     : oid == oid::int8        ? "int8"
                     : oid == oid::float4      ? "float4"
                     : oid == oid::float8      ? "float8"
                     : oid == oid::numeric     ? "numeric"
                     : oid == oid::bool_       ? "bool"
                     : oid == oid::timestamptz ? "timestamptz"
                     : oid == oid::timestamp   ? "timestamp"
                     : oid == oid::interval    ? "interval"
                                               : "text";
  PgQuery__TypeName tn = PG_QUERY__TYPE_NAME__INIT;
  tn.n_names = 2;
  tn.names = static_cast<node**>(std::malloc(2 * sizeof(node*)));
  tn.names[0] = string_node("pg_catalog");
  tn.names[1] = string_node(name);
  tn.location = -1;
  tn.typemod = -1;
  PgQuery__TypeCast tc = PG_QUERY__TYPE_CAST__INIT;
  tc.arg = arg;
  tc.type_name = make(tn);
  tc.location = -1;
  node* n = make_node();
  n->node_case = PG_QUERY__NODE__NODE_TYPE_CAST;
  n->type_cast = make(tc);
  return n;
}

node* bool_constant(bool b) {
  PgQuery__Boolean v = PG_QUERY__BOOLEAN__INIT;
  v.boolval = b ? 1 : 0;
  PgQuery__AConst c = PG_QUERY__A__CONST__INIT;
  c.location = -1;
  c.val_case = PG_QUERY__A__CONST__VAL_BOOLVAL;
  c.boolval = make(v);
  node* n = make_node();
  n->node_case = PG_QUERY__NODE__NODE_A_CONST;
  n->a_const = make(c);
  return n;
}

/// Replaces the contents of `n` by those of `with` (freed shell).
void replace(node* n, node* with) {
  std::memcpy(static_cast<void*>(n), with, sizeof(node));
  std::free(with);
}

/// The SubLink nodes under `n`, not looking into sub-selects (they run as
/// statements of their own, with their own sub-queries).
void collect(node* n, std::vector<node*>& out) {
  if (n == nullptr)
    return;
  if (n->node_case == PG_QUERY__NODE__NODE_SUB_LINK) {
    out.push_back(n);
    return;
  }
  if (n->node_case == PG_QUERY__NODE__NODE_SELECT_STMT
      || n->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT)
    return;
  // The nodes every statement is made of, by their fields (a walk through
  // the descriptors was 6% of a light query's CPU).
  auto all = [&](PgQuery__Node** items, size_t count) {
    for (size_t i = 0; i < count; ++i)
      collect(items[i], out);
  };
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_A_CONST:
    case PG_QUERY__NODE__NODE_COLUMN_REF:
    case PG_QUERY__NODE__NODE_PARAM_REF:
    case PG_QUERY__NODE__NODE_STRING:
      return; // leaves
    case PG_QUERY__NODE__NODE_A_EXPR:
      collect(n->a_expr->lexpr, out);
      collect(n->a_expr->rexpr, out);
      return;
    case PG_QUERY__NODE__NODE_BOOL_EXPR:
      all(n->bool_expr->args, n->bool_expr->n_args);
      return;
    case PG_QUERY__NODE__NODE_NULL_TEST:
      collect(n->null_test->arg, out);
      return;
    case PG_QUERY__NODE__NODE_TYPE_CAST:
      collect(n->type_cast->arg, out); // a type name holds no sub-query
      return;
    case PG_QUERY__NODE__NODE_SORT_BY:
      collect(n->sort_by->node, out);
      return;
    case PG_QUERY__NODE__NODE_LIST:
      all(n->list->items, n->list->n_items);
      return;
    case PG_QUERY__NODE__NODE_RES_TARGET:
      if (n->res_target->n_indirection == 0) {
        collect(n->res_target->val, out);
        return;
      }
      break;
    case PG_QUERY__NODE__NODE_FUNC_CALL: {
      const auto* f = n->func_call;
      if (f->n_agg_order == 0 && f->agg_filter == nullptr && f->over == nullptr) {
        all(f->args, f->n_args);
        return;
      }
      break;
    }
    default:
      break;
  }
  // Any other node: its Node children, through any messages between.
  std::function<void(ProtobufCMessage*)> visit = [&](ProtobufCMessage* child) {
    if (child->descriptor == &pg_query__node__descriptor)
      collect(reinterpret_cast<node*>(child), out);
    else if (child->descriptor != &pg_query__select_stmt__descriptor)
      each_child(child, visit);
  };
  each_child(reinterpret_cast<ProtobufCMessage*>(n), visit);
}

} // namespace

namespace {

/// The SubLinks of a SELECT's own clauses.
void clauses(PgQuery__SelectStmt* x, std::vector<node*>& out) {
  for (size_t i = 0; i < x->n_target_list; ++i)
    collect(x->target_list[i], out);
  collect(x->where_clause, out);
  for (size_t i = 0; i < x->n_group_clause; ++i)
    collect(x->group_clause[i], out);
  collect(x->having_clause, out);
  for (size_t i = 0; i < x->n_sort_clause; ++i)
    collect(x->sort_clause[i], out);
}

} // namespace

bool sublink_rewrite::any(const void* select_stmt) {
  std::vector<node*> found;
  clauses(const_cast<PgQuery__SelectStmt*>(static_cast<const PgQuery__SelectStmt*>(select_stmt)),
          found);
  return !found.empty();
}

std::shared_ptr<sublink_rewrite> sublink_rewrite::of(const void* select_stmt) {
  const auto* s = static_cast<const PgQuery__SelectStmt*>(select_stmt);
  if (!any(select_stmt)) // most statements have none: no copy
    return nullptr;
  // A private copy: the original may be a prepared statement run again.
  std::vector<uint8_t> packed(pg_query__select_stmt__get_packed_size(s));
  pg_query__select_stmt__pack(s, packed.data());
  auto* copy = pg_query__select_stmt__unpack(nullptr, packed.size(), packed.data());
  if (copy == nullptr)
    return nullptr;
  // A sub-query that is a select-list item names its column as PostgreSQL
  // does (max, exists): named here, before it becomes a constant.
  for (size_t i = 0; i < copy->n_target_list; ++i) {
    auto* rt = copy->target_list[i]->res_target;
    if (!has(rt->name) && rt->val && rt->val->node_case == PG_QUERY__NODE__NODE_SUB_LINK) {
      std::free(rt->name == protobuf_c_empty_string ? nullptr : rt->name);
      rt->name = strdup(output_name(rt->val).c_str());
    }
  }
  auto r = std::shared_ptr<sublink_rewrite>(new sublink_rewrite);
  r->copy_ = copy;
  std::vector<node*> nodes;
  clauses(copy, nodes);
  r->links_.assign(nodes.begin(), nodes.end());
  return r;
}

sublink_rewrite::~sublink_rewrite() {
  if (copy_ != nullptr)
    pg_query__select_stmt__free_unpacked(static_cast<PgQuery__SelectStmt*>(copy_), nullptr);
}

const void* sublink_rewrite::subquery(size_t i) const {
  const auto* n = static_cast<const node*>(links_[i]);
  const node* sub = n->sub_link->subselect;
  return sub && sub->node_case == PG_QUERY__NODE__NODE_SELECT_STMT ? sub->select_stmt : nullptr;
}

std::optional<positioned_error> sublink_rewrite::set_result(size_t i, statement_result r) {
  auto* n = static_cast<node*>(links_[i]);
  PgQuery__SubLink* sl = n->sub_link;
  materialize(r);
  auto error = [&](std::string code, std::string message) {
    return positioned_error{{std::move(code), std::move(message), {}}, sl->location + 1};
  };
  node* with = nullptr;
  switch (sl->sub_link_type) {
    case PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK: {
      if (r.columns.size() != 1)
        return error("42601", "subquery must return only one column");
      if (r.rows.size() > 1) // found running it: no position, as in PostgreSQL
        return positioned_error{{"21000", "more than one row returned by a subquery used as an "
                                          "expression", {}}, 0};
      int32_t t = r.untyped.size() == 1 && r.untyped[0] ? oid::unknown : r.columns[0].type_oid;
      with = r.rows.empty() ? typed_constant(std::nullopt, t) : typed_constant(r.rows[0][0], t);
      break;
    }
    case PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK:
      with = bool_constant(!r.rows.empty());
      break;
    case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK: {
      std::string op = sl->n_oper_name > 0 ? last_name(sl->n_oper_name, sl->oper_name) : "=";
      if (op != "=")
        return error("0A000", "only IN and = ANY are supported with a sub-query yet");
      if (sl->testexpr == nullptr || sl->testexpr->node_case == PG_QUERY__NODE__NODE_ROW_EXPR)
        return error("0A000", "row comparisons with a sub-query are not supported yet");
      if (r.columns.size() != 1)
        return error("42601", "subquery has too many columns");
      if (r.rows.empty()) {
        with = bool_constant(false); // x IN (no rows) is false, even for NULL x
        break;
      }
      // x IN (v1, v2, ...) over the sub-query's rows.
      PgQuery__List list = PG_QUERY__LIST__INIT;
      list.n_items = r.rows.size();
      list.items = static_cast<node**>(std::malloc(r.rows.size() * sizeof(node*)));
      for (size_t k = 0; k < r.rows.size(); ++k)
        list.items[k] = typed_constant(r.rows[k][0], r.columns[0].type_oid);
      node* items = make_node();
      items->node_case = PG_QUERY__NODE__NODE_LIST;
      items->list = make(list);
      PgQuery__AExpr in = PG_QUERY__A__EXPR__INIT;
      in.kind = PG_QUERY__A__EXPR__KIND__AEXPR_IN;
      in.n_name = 1;
      in.name = static_cast<node**>(std::malloc(sizeof(node*)));
      in.name[0] = string_node("=");
      in.lexpr = sl->testexpr;
      sl->testexpr = nullptr; // moved
      in.rexpr = items;
      in.location = sl->location;
      with = make_node();
      with->node_case = PG_QUERY__NODE__NODE_A_EXPR;
      with->a_expr = make(in);
      break;
    }
    default:
      return error("0A000", "ALL, ARRAY and row sub-queries are not supported yet");
  }
  pg_query__sub_link__free_unpacked(sl, nullptr);
  replace(n, with);
  return std::nullopt;
}

} // namespace hypertide::planner
