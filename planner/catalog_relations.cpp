#include "planner/catalog_query_internal.hpp"

#include <algorithm>

namespace hypertide::planner::catalog_detail {

const std::vector<type_row>& types() {
  static const std::vector<type_row> t = {
    {16, "bool", 1, 'B', 0, "boolean"},
    {17, "bytea", -1, 'U', 0, "bytea"},
    {18, "char", 1, 'Z', 0, "\"char\""},
    {19, "name", 64, 'S', 950, "name"},
    {20, "int8", 8, 'N', 0, "bigint"},
    {21, "int2", 2, 'N', 0, "smallint"},
    {23, "int4", 4, 'N', 0, "integer"},
    {25, "text", -1, 'S', 100, "text"},
    {26, "oid", 4, 'N', 0, "oid"},
    {700, "float4", 4, 'N', 0, "real"},
    {701, "float8", 8, 'N', 0, "double precision"},
    {705, "unknown", -2, 'X', 0, "unknown"},
    {1043, "varchar", -1, 'S', 100, "character varying"},
    {1082, "date", 4, 'D', 0, "date"},
    {1114, "timestamp", 8, 'D', 0, "timestamp without time zone"},
    {1184, "timestamptz", 8, 'D', 0, "timestamp with time zone"},
    {1186, "interval", 16, 'T', 0, "interval"},
    {1700, "numeric", -1, 'N', 0, "numeric"},
  };
  return t;
}

const type_row* type_by_oid(int64_t o) {
  for (const auto& t : types())
    if (t.oid == o)
      return &t;
  return nullptr;
}

/// The catalog of one query: every pg_catalog relation, built on first use.
std::optional<relation> catalog_relations::build(const std::string& name) const {
  using C = cval;
  const auto oid_ = [](int64_t x) { return C::of_int(x, oid_type); };
  const auto name_ = [](std::string x) { return C::of_text(std::move(x), name_type); };
  const auto char_ = [](char x) { return C::of_text(std::string(1, x), char_type); };
  const auto i2 = [](int64_t x) { return C::of_int(x, int2_type); };
  if (name == "pg_namespace") {
    auto r = shape({{"oid", oid_type}, {"nspname", name_type}, {"nspowner", oid_type}});
    const std::pair<int64_t, std::string> spaces[] = {
      {pg_catalog_ns, "pg_catalog"}, {public_ns, "public"},
      {information_schema_ns, "information_schema"}, {internal_ns, std::string{internal_schema}},
      {information_ns, "timescaledb_information"}};
    for (const auto& [o, n] : spaces)
      r.rows.push_back(std::vector<C>{oid_(o), name_(n), oid_(superuser)});
    return r;
  }
  if (name == "pg_class") {
    auto r = shape({{"oid", oid_type}, {"relname", name_type}, {"relnamespace", oid_type},
                    {"reltype", oid_type}, {"reloftype", oid_type}, {"relowner", oid_type},
                    {"relam", oid_type}, {"reltablespace", oid_type}, {"reltuples", 700},
                    {"reltoastrelid", oid_type}, {"relhasindex", oid::bool_},
                    {"relisshared", oid::bool_}, {"relpersistence", char_type},
                    {"relkind", char_type}, {"relnatts", int2_type}, {"relchecks", int2_type},
                    {"relhasrules", oid::bool_}, {"relhastriggers", oid::bool_},
                    {"relhassubclass", oid::bool_}, {"relrowsecurity", oid::bool_},
                    {"relforcerowsecurity", oid::bool_}, {"relispopulated", oid::bool_},
                    {"relreplident", char_type}, {"relispartition", oid::bool_},
                    {"relpartbound", oid::text}, {"reloptions", oid::text}, {"relacl", oid::text}});
    for (const auto& c : classes_) {
      bool parent = c.chunk == nullptr && std::any_of(classes_.begin(), classes_.end(), [&](auto& x) {
                      return x.chunk != nullptr && x.table == c.table;
                    });
      r.rows.push_back({oid_(c.oid), name_(c.name), oid_(c.ns), oid_(0), oid_(0),
                        oid_(superuser), oid_(heap_am), oid_(0), C::of_real(-1), oid_(0),
                        C::of_bool(false), C::of_bool(false), char_('p'), char_('r'),
                        i2(static_cast<int64_t>(c.table->schema.columns.size())), i2(0),
                        C::of_bool(false), C::of_bool(false), C::of_bool(parent),
                        C::of_bool(false), C::of_bool(false), C::of_bool(true), char_('d'),
                        C::of_bool(false), C{}, C{}, C{}});
    }
    return r;
  }
  if (name == "pg_attribute") {
    auto r = shape({{"attrelid", oid_type}, {"attname", name_type}, {"atttypid", oid_type},
                    {"attlen", int2_type}, {"attnum", int2_type}, {"atttypmod", oid::int4},
                    {"attndims", oid::int4}, {"attnotnull", oid::bool_},
                    {"atthasdef", oid::bool_}, {"atthasmissing", oid::bool_},
                    {"attidentity", char_type}, {"attgenerated", char_type},
                    {"attisdropped", oid::bool_}, {"attislocal", oid::bool_},
                    {"attinhcount", oid::int4}, {"attcollation", oid_type},
                    {"attstattarget", oid::int4}, {"attstorage", char_type},
                    {"attcompression", char_type}});
    for (const auto& c : classes_)
      for (size_t i = 0; i < c.table->schema.columns.size(); ++i) {
        const auto& col = c.table->schema.columns[i];
        int32_t t = oid_of(col);
        const type_row* tr = type_by_oid(t);
        r.rows.push_back({oid_(c.oid), name_(col.name), oid_(t), i2(tr ? tr->len : -1),
                          i2(static_cast<int64_t>(i) + 1),
                          C::of_int(col.typmod >= 0 ? col.typmod + 4 : -1), C::of_int(0),
                          C::of_bool(col.not_null), C::of_bool(false), C::of_bool(false),
                          C::of_text("", char_type), C::of_text("", char_type),
                          C::of_bool(false), C::of_bool(c.chunk == nullptr),
                          C::of_int(c.chunk == nullptr ? 0 : 1),
                          oid_(tr ? tr->collation : 0), C::of_int(-1),
                          char_(tr && tr->len < 0 ? 'x' : 'p'), C::of_text("", char_type)});
      }
    return r;
  }
  if (name == "pg_type") {
    auto r = shape({{"oid", oid_type}, {"typname", name_type}, {"typnamespace", oid_type},
                    {"typowner", oid_type}, {"typlen", int2_type}, {"typbyval", oid::bool_},
                    {"typtype", char_type}, {"typcategory", char_type},
                    {"typdelim", char_type}, {"typrelid", oid_type}, {"typelem", oid_type},
                    {"typarray", oid_type}, {"typbasetype", oid_type},
                    {"typtypmod", oid::int4}, {"typndims", oid::int4},
                    {"typcollation", oid_type}, {"typnotnull", oid::bool_}});
    for (const auto& t : types())
      r.rows.push_back({oid_(t.oid), name_(t.name), oid_(pg_catalog_ns), oid_(superuser),
                        i2(t.len), C::of_bool(t.len > 0 && t.len <= 8), char_('b'),
                        char_(t.category), char_(','), oid_(0), oid_(0), oid_(0), oid_(0),
                        C::of_int(-1), C::of_int(0), oid_(t.collation), C::of_bool(false)});
    return r;
  }
  if (name == "pg_inherits") {
    auto r = shape({{"inhrelid", oid_type}, {"inhparent", oid_type}, {"inhseqno", oid::int4},
                    {"inhdetachpending", oid::bool_}});
    for (const auto& c : classes_)
      if (c.chunk != nullptr)
        r.rows.push_back({oid_(c.oid), oid_(c.table->oid), C::of_int(1), C::of_bool(false)});
    return r;
  }
  if (name == "pg_roles" || name == "pg_user" || name == "pg_authid") {
    auto r = shape({{"oid", oid_type}, {"rolname", name_type}, {"rolsuper", oid::bool_},
                    {"rolinherit", oid::bool_}, {"rolcreaterole", oid::bool_},
                    {"rolcreatedb", oid::bool_}, {"rolcanlogin", oid::bool_},
                    {"rolreplication", oid::bool_}, {"rolconnlimit", oid::int4},
                    {"rolbypassrls", oid::bool_}});
    r.rows.push_back({oid_(superuser), name_("postgres"), C::of_bool(true), C::of_bool(true),
                      C::of_bool(true), C::of_bool(true), C::of_bool(true), C::of_bool(true),
                      C::of_int(-1), C::of_bool(true)});
    return r;
  }
  if (name == "pg_database") {
    auto r = shape({{"oid", oid_type}, {"datname", name_type}, {"datdba", oid_type},
                    {"encoding", oid::int4}, {"datcollate", oid::text},
                    {"datctype", oid::text}, {"datallowconn", oid::bool_}});
    r.rows.push_back({oid_(5), name_("postgres"), oid_(superuser), C::of_int(6),
                      C::of_text("C"), C::of_text("C"), C::of_bool(true)});
    return r;
  }
  if (name == "pg_am") {
    auto r = shape({{"oid", oid_type}, {"amname", name_type}, {"amtype", char_type}});
    r.rows.push_back({oid_(heap_am), name_("heap"), char_('t')});
    r.rows.push_back({oid_(403), name_("btree"), char_('i')});
    return r;
  }
  if (name == "pg_collation") {
    auto r = shape({{"oid", oid_type}, {"collname", name_type}, {"collnamespace", oid_type},
                    {"collprovider", char_type}});
    r.rows.push_back({oid_(default_collation), name_("default"), oid_(pg_catalog_ns), char_('d')});
    r.rows.push_back({oid_(950), name_("C"), oid_(pg_catalog_ns), char_('c')});
    return r;
  }
  // Relations hypertide has nothing in yet: no defaults, indexes,
  // constraints, triggers, policies, statistics objects, publications or
  // comments. Their columns are the ones clients read.
  static const std::map<std::string, std::vector<std::pair<const char*, int32_t>>> empty = {
    {"pg_attrdef", {{"oid", oid_type}, {"adrelid", oid_type}, {"adnum", int2_type}, {"adbin", oid::text}}},
    {"pg_index", {{"indexrelid", oid_type}, {"indrelid", oid_type}, {"indnatts", int2_type},
                  {"indisunique", oid::bool_}, {"indisprimary", oid::bool_},
                  {"indisclustered", oid::bool_}, {"indisvalid", oid::bool_},
                  {"indisreplident", oid::bool_}, {"indkey", oid::text}}},
    {"pg_constraint", {{"oid", oid_type}, {"conname", name_type}, {"connamespace", oid_type},
                       {"contype", char_type}, {"conrelid", oid_type}, {"confrelid", oid_type},
                       {"conindid", oid_type}, {"conparentid", oid_type}, {"conkey", oid::text},
                       {"convalidated", oid::bool_}}},
    {"pg_trigger", {{"oid", oid_type}, {"tgrelid", oid_type}, {"tgname", name_type},
                    {"tgenabled", char_type}, {"tgisinternal", oid::bool_},
                    {"tgparentid", oid_type}}},
    {"pg_policy", {{"oid", oid_type}, {"polname", name_type}, {"polrelid", oid_type},
                   {"polcmd", char_type}, {"polpermissive", oid::bool_},
                   {"polroles", oid::text}, {"polqual", oid::text}, {"polwithcheck", oid::text}}},
    {"pg_statistic_ext", {{"oid", oid_type}, {"stxrelid", oid_type}, {"stxname", name_type},
                          {"stxnamespace", oid_type}, {"stxkind", oid::text},
                          {"stxstattarget", oid::int4}}},
    {"pg_publication", {{"oid", oid_type}, {"pubname", name_type}, {"puballtables", oid::bool_}}},
    {"pg_publication_namespace", {{"oid", oid_type}, {"pnpubid", oid_type}, {"pnnspid", oid_type}}},
    {"pg_publication_rel", {{"oid", oid_type}, {"prpubid", oid_type}, {"prrelid", oid_type},
                            {"prqual", oid::text}, {"prattrs", oid::text}}},
    {"pg_description", {{"objoid", oid_type}, {"classoid", oid_type}, {"objsubid", oid::int4},
                        {"description", oid::text}}},
    {"pg_rewrite", {{"oid", oid_type}, {"rulename", name_type}, {"ev_class", oid_type}}},
    {"pg_sequence", {{"seqrelid", oid_type}}},
    {"pg_foreign_table", {{"ftrelid", oid_type}, {"ftserver", oid_type}}},
    {"pg_partitioned_table", {{"partrelid", oid_type}, {"partstrat", char_type}}},
  };
  if (auto it = empty.find(name); it != empty.end()) {
    relation r;
    for (const auto& [n, t] : it->second) {
      r.columns.emplace_back(n);
      r.types.push_back(t);
    }
    return r;
  }
  return std::nullopt;
}

} // namespace hypertide::planner::catalog_detail
