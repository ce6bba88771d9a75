#include "planner/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "planner/chunk_exclusion.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;

pg_error undefined_table(std::string_view name) {
  return pg_error{"42P01", "relation \"" + std::string{name} + "\" does not exist", {}};
}

namespace {

pg_error undefined_column(std::string_view name) {
  return pg_error{"42703", "column \"" + std::string{name} + "\" does not exist", {}};
}

/// Turns `t` into hypertable `id` over time column `tc` (and space column
/// `sc`, or -1).
void make_hypertable(table_meta& t, int32_t id, int tc, int64_t interval, int sc,
                     int32_t partitions) {
  t.id = id;
  t.def.time_column = tc;
  t.def.chunk_interval = interval;
  t.def.schema.columns[static_cast<size_t>(tc)].not_null = true;
  t.def.space_column = sc;
  t.def.partitions = partitions;
  // Rows are grouped per series: the space column when it is text, else
  // the first text column (a tag such as `hostname`).
  if (sc >= 0 && t.def.schema.columns[static_cast<size_t>(sc)].type == cs::column_type::text) {
    t.def.series_column = sc;
  } else {
    t.def.series_column = -1;
    for (size_t c = 0; c < t.def.schema.columns.size(); ++c)
      if (t.def.schema.columns[c].type == cs::column_type::text) {
        t.def.series_column = static_cast<int>(c);
        break;
      }
  }
}

/// Values a column narrower than its storage cannot take (real, smallint,
/// varchar(n)); the chunk rounds real values and cuts varchar's trailing
/// spaces as it stores them (chunkstore::chunk::append).
std::optional<pg_error> check_narrow_column(const cs::column_def& def, const cs::column_view& col,
                                            uint32_t rows) {
  switch (def.sql_oid) {
    case 700:
      for (uint32_t r = 0; r < rows; ++r)
        if (col.valid(r) && std::isfinite(col.f64[r])
            && std::fabs(col.f64[r]) > std::numeric_limits<float>::max())
          return pg_error{"22003", "value out of range: overflow", {}};
      break;
    case 21:
      for (uint32_t r = 0; r < rows; ++r)
        if (col.valid(r) && (col.int_at(r) > INT16_MAX || col.int_at(r) < INT16_MIN))
          return pg_error{"22003", "smallint out of range", {}};
      break;
    case 1043: {
      if (def.typmod < 0)
        break;
      // Only values some row holds count (a COPY slice keeps the whole
      // dictionary).
      std::vector<bool> too_long(col.dict.size());
      bool any = false;
      for (size_t k = 0; k < col.dict.size(); ++k)
        any |= too_long[k] = cs::varchar_cut(col.dict[k], def.typmod) == std::string_view::npos;
      for (uint32_t r = 0; any && r < rows; ++r)
        if (col.valid(r) && too_long[col.codes[r]])
          return pg_error{"22001", "value too long for type character varying("
                                     + std::to_string(def.typmod) + ")", {}};
      break;
    }
    default: break;
  }
  return std::nullopt;
}

/// The name TimescaleDB gives chunk `id` of hypertable `t`.
std::string chunk_table_name(const table_meta& t, int32_t id) {
  return "_hyper_" + std::to_string(t.id) + "_" + std::to_string(id) + "_chunk";
}

} // namespace

table_meta* catalog::find_mut(std::string_view name) {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

const table_meta* catalog::find(std::string_view name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

result<std::monostate> catalog::create_table(const messages::create_table& x) {
  if (x.name.empty())
    return pg_error{"42602", "zero-length delimited identifier", {}};
  if (find(x.name) != nullptr) {
    if (x.if_not_exists)
      return std::monostate{};
    return pg_error{"42P07", "relation \"" + x.name + "\" already exists", {}};
  }
  if (x.schema.columns.empty())
    return pg_error{"0A000", "tables without columns are not supported", {}};
  if (x.schema.columns.size() > 1600)
    return pg_error{"54011", "tables can have at most 1600 columns", {}};
  for (size_t i = 0; i < x.schema.columns.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (x.schema.columns[i].name == x.schema.columns[j].name)
        return pg_error{"42701",
                        "column \"" + x.schema.columns[i].name
                          + "\" specified more than once",
                        {}};
  table_meta t;
  t.def.name = x.name;
  t.def.schema = x.schema;
  // A replayed record carries the OID the table had; a request has none.
  t.oid = x.oid != 0 ? x.oid : next_oid_;
  next_oid_ = std::max(next_oid_, t.oid + 1);
  tables_.emplace(x.name, std::move(t));
  return std::monostate{};
}

result<hypertable_created>
catalog::create_hypertable(const messages::create_hypertable& x) {
  table_meta* t = find_mut(x.table);
  if (t == nullptr)
    return undefined_table(x.table);
  hypertable_created out;
  out.table_name = x.table;
  if (t->def.is_hypertable()) {
    if (x.if_not_exists) {
      out.hypertable_id = t->id;
      out.notice = "table \"" + x.table + "\" is already a hypertable, skipping";
      return out;
    }
    return pg_error{"TS110", "table \"" + x.table + "\" is already a hypertable", {}};
  }
  int tc = t->def.schema.find(x.time_column);
  if (tc < 0)
    return undefined_column(x.time_column);
  auto ttype = t->def.schema.columns[static_cast<size_t>(tc)].type;
  if (!cs::is_time_type(ttype) && ttype != cs::column_type::int4
      && ttype != cs::column_type::int8)
    return pg_error{"22023",
                    "invalid type for dimension \"" + x.time_column + "\"",
                    "Use an integer, timestamp, or date type."};
  if (x.chunk_interval <= 0)
    return pg_error{"22023", "invalid interval: must be between 1 and "
                             "9223372036854775807", {}};
  int sc = -1;
  if (!x.partitioning_column.empty()) {
    sc = t->def.schema.find(x.partitioning_column);
    if (sc < 0)
      return undefined_column(x.partitioning_column);
    if (t->def.schema.columns[static_cast<size_t>(sc)].type == cs::column_type::float8)
      return pg_error{"0A000", "space partitioning on a double precision column is not "
                               "supported", {}};
    if (x.number_partitions < 1 || x.number_partitions > 32767)
      return pg_error{"22023", "invalid number of partitions: must be between 1 "
                               "and 32767", {}};
  } else if (x.number_partitions != 0) {
    return pg_error{"22023", "number_partitions needs a partitioning_column", {}};
  }
  if (!t->chunks.empty())
    return pg_error{"TS102", "table \"" + x.table + "\" is not empty",
                    "You can migrate data by specifying 'migrate_data => true' "
                    "when calling this function."};
  int32_t id = x.hypertable_id > 0 ? x.hypertable_id : next_table_id_++;
  next_table_id_ = std::max(next_table_id_, id + 1);
  make_hypertable(*t, id, tc, x.chunk_interval, sc, sc >= 0 ? x.number_partitions : 0);
  out.hypertable_id = t->id;
  out.created = true;
  return out;
}

result<std::vector<int32_t>> catalog::drop_table(const messages::drop_table& x) {
  auto it = tables_.find(x.name);
  if (it == tables_.end()) {
    if (x.if_exists)
      return std::vector<int32_t>{};
    return pg_error{"42P01", "table \"" + x.name + "\" does not exist", {}};
  }
  std::vector<int32_t> ids;
  for (const auto& [_, c] : it->second.chunks)
    ids.push_back(c.id);
  tables_.erase(it);
  return ids;
}

result<std::vector<chunk_rows>> catalog::route(std::string_view name,
                                               const cs::batch_view& batch) {
  table_meta* t = find_mut(name);
  if (t == nullptr)
    return undefined_table(name);
  const auto& cols = t->def.schema.columns;
  if (batch.columns.size() != cols.size())
    return pg_error{"42601", "INSERT has " + std::to_string(batch.columns.size())
                               + " columns but table \"" + t->def.name + "\" has "
                               + std::to_string(cols.size()),
                    {}};
  for (size_t c = 0; c < cols.size(); ++c) {
    const auto& col = batch.columns[c];
    bool same = col.type == cols[c].type
                || (cols[c].type == cs::column_type::int8 && col.type == cs::column_type::int4)
                || (cols[c].type == cs::column_type::int4 && col.type == cs::column_type::int8);
    if (!same)
      return pg_error{"42804", "column \"" + cols[c].name + "\" is of type "
                                 + cs::pg_type_name(cols[c])
                                 + " but expression is of type "
                                 + cs::pg_type_name(col.type),
                      {}};
    if (cols[c].not_null && col.validity)
      for (uint32_t r = 0; r < batch.rows; ++r)
        if (!col.valid(r))
          return pg_error{"23502", "null value in column \"" + cols[c].name
                                     + "\" of relation \"" + t->def.name
                                     + "\" violates not-null constraint",
                          {}};
    if (cols[c].type == cs::column_type::int4 && col.type == cs::column_type::int8)
      for (uint32_t r = 0; r < batch.rows; ++r)
        if (col.valid(r) && (col.i64[r] > INT32_MAX || col.i64[r] < INT32_MIN))
          return pg_error{"22003", "integer out of range", {}};
    if (auto e = check_narrow_column(cols[c], col, batch.rows))
      return *e;
  }
  std::vector<chunk_rows> out;
  if (batch.rows == 0)
    return out;

  auto chunk_for = [&](cs::timestamp start, int32_t partition,
                       const cs::chunk_range& range) -> size_t {
    auto key = std::make_pair(start, partition);
    auto it = t->chunks.find(key);
    bool created = false;
    if (it == t->chunks.end()) {
      chunk_meta m;
      m.id = next_chunk_id_++;
      m.oid = t->def.is_hypertable() ? next_oid_++ : t->oid;
      m.range = range;
      m.table_name = t->def.is_hypertable() ? chunk_table_name(*t, m.id) : t->def.name;
      it = t->chunks.emplace(key, std::move(m)).first;
      created = true;
    }
    for (size_t i = 0; i < out.size(); ++i)
      if (out[i].chunk_id == it->second.id)
        return i;
    out.push_back(chunk_rows{it->second.id, created, it->second.oid, it->second.range, {}});
    return out.size() - 1;
  };

  if (!t->def.is_hypertable()) {
    chunk_for(cs::min_timestamp, -1, cs::chunk_range{});
    return out;
  }
  const auto& tcol = batch.columns[static_cast<size_t>(t->def.time_column)];
  // Before any chunk is made for the batch: infinite times fit none.
  if (tcol.type == cs::column_type::timestamptz || tcol.type == cs::column_type::timestamp)
    for (uint32_t r = 0; r < batch.rows; ++r)
      if (tcol.i64[r] == cs::min_timestamp || tcol.i64[r] == cs::max_timestamp)
        return pg_error{"22008", "timestamp out of range",
                        "A hypertable's time column cannot hold -infinity or infinity: no "
                        "chunk covers them."};
  const cs::column_view* scol
    = t->def.space_column >= 0 ? &batch.columns[static_cast<size_t>(t->def.space_column)]
                               : nullptr;
  // Partition per dictionary code of a text space column, computed once.
  std::vector<int32_t> part_by_code;
  if (scol && scol->type == cs::column_type::text) {
    part_by_code.resize(scol->dict.size());
    for (size_t i = 0; i < scol->dict.size(); ++i)
      part_by_code[i] = cs::partition_of(t->def.partitions,
                                         cs::partition_hash_text(scol->dict[i]));
  }
  std::vector<uint32_t> slot_of_row(batch.rows);
  // Rows mostly arrive in time order: remember, for the current time slice,
  // the output slot of each partition, and look chunks up only on a miss.
  std::vector<int64_t> slot_cache(static_cast<size_t>(std::max(t->def.partitions, 0)) + 1, -1);
  cs::timestamp cached_start = 0, cached_end = 0;
  bool have_cached = false;
  for (uint32_t r = 0; r < batch.rows; ++r) {
    cs::timestamp ts = tcol.int_at(r);
    int32_t p = -1;
    if (scol) {
      if (!scol->valid(r))
        p = 0;
      else if (!part_by_code.empty())
        p = part_by_code[scol->codes[r]];
      else
        p = cs::partition_of(t->def.partitions, cs::partition_hash(scol->at(r)));
    }
    if (!have_cached || ts < cached_start || ts >= cached_end) {
      auto range = cs::time_slice(t->def.chunk_interval, ts);
      cached_start = range.start;
      cached_end = range.end;
      have_cached = true;
      std::fill(slot_cache.begin(), slot_cache.end(), -1);
    }
    int64_t& slot = slot_cache[static_cast<size_t>(p + 1)];
    if (slot < 0)
      slot = static_cast<int64_t>(
        chunk_for(cached_start, p, cs::chunk_range{cached_start, cached_end, p}));
    slot_of_row[r] = static_cast<uint32_t>(slot);
  }
  if (out.size() > 1) {
    for (uint32_t r = 0; r < batch.rows; ++r)
      out[slot_of_row[r]].rows.push_back(r);
  }
  return out;
}

std::vector<const chunk_meta*>
catalog::exclude(const table_meta& t,
                 const std::optional<cs::predicate>& filter) const {
  std::vector<const chunk_meta*> out;
  chunk_filter cf = derive_chunk_filter(t.def, filter);
  for (const auto& [_, c] : t.chunks)
    if (cf.keeps(c.range))
      out.push_back(&c);
  return out;
}

result<std::vector<chunk_meta>> catalog::drop_chunks(const messages::drop_chunks& x) {
  table_meta* t = find_mut(x.table);
  if (t == nullptr)
    return undefined_table(x.table);
  if (!t->def.is_hypertable())
    return pg_error{"TS001", "\"" + x.table + "\" is not a hypertable or a "
                                              "continuous aggregate", {}};
  if (!x.older_than && !x.newer_than)
    return pg_error{"22023", "invalid time range for dropping chunks",
                    "At least one of older_than and newer_than must be provided."};
  if (x.older_than && x.newer_than && *x.older_than < *x.newer_than)
    return pg_error{"22023", "invalid time range for dropping chunks",
                    "When both older_than and newer_than are specified, older_than "
                    "must refer to a time that is greater than newer_than so that a "
                    "valid overlapping range is specified."};
  std::vector<chunk_meta> dropped;
  for (auto it = t->chunks.begin(); it != t->chunks.end();) {
    const auto& r = it->second.range;
    bool old = !x.older_than || r.end <= *x.older_than;
    bool young = !x.newer_than || r.start >= *x.newer_than;
    if (old && young) {
      dropped.push_back(it->second);
      it = t->chunks.erase(it);
    } else {
      ++it;
    }
  }
  return dropped;
}

result<std::vector<chunk_meta>>
catalog::show_chunks(std::string_view name, std::optional<cs::timestamp> older_than,
                     std::optional<cs::timestamp> newer_than) const {
  const table_meta* t = find(name);
  if (t == nullptr)
    return undefined_table(name);
  if (!t->def.is_hypertable())
    return pg_error{"TS001", "\"" + std::string{name}
                               + "\" is not a hypertable or a continuous aggregate",
                    {}};
  std::vector<chunk_meta> out;
  for (const auto& [_, c] : t->chunks) {
    if (older_than && c.range.end > *older_than)
      continue;
    if (newer_than && c.range.start < *newer_than)
      continue;
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(),
            [](const chunk_meta& a, const chunk_meta& b) { return a.id < b.id; });
  return out;
}

void catalog::discard_created(std::string_view name, const std::vector<chunk_rows>& parts) {
  table_meta* t = find_mut(name);
  if (t == nullptr)
    return;
  for (const auto& p : parts) {
    if (!p.created)
      continue;
    std::erase_if(t->chunks, [&](const auto& kv) { return kv.second.id == p.chunk_id; });
  }
}

messages::catalog_snapshot catalog::checkpoint() const {
  messages::catalog_snapshot out;
  for (const auto& [name, t] : tables_) {
    out.tables.push_back(messages::create_table{name, t.def.schema, false, t.oid});
    const auto& d = t.def;
    if (d.is_hypertable()) {
      const auto& tcol = d.schema.columns[static_cast<size_t>(d.time_column)];
      out.hypertables.push_back(messages::hypertable_info{
        t.id, name, tcol.name, tcol.type, d.chunk_interval,
        d.space_column >= 0 ? d.schema.columns[static_cast<size_t>(d.space_column)].name : "",
        d.partitions, static_cast<int32_t>(t.chunks.size()),
        d.space_column >= 0 ? d.schema.columns[static_cast<size_t>(d.space_column)].type
                            : cs::column_type::text});
    }
    for (const auto& [_, c] : t.chunks)
      out.chunks.push_back(messages::chunk_info{c.id, std::string{internal_schema},
                                                c.table_name, c.range.start, c.range.end,
                                                c.range.partition, 0, 0, name, c.oid});
  }
  out.next_table_id = next_table_id_;
  out.next_oid = next_oid_;
  out.next_chunk_id = next_chunk_id_;
  return out;
}

result<std::vector<const chunk_meta*>>
catalog::restore(const messages::catalog_snapshot& snap) {
  auto damaged = [](const std::string& what) {
    return pg_error{"XX001", "invalid checkpoint snapshot: " + what, {}};
  };
  std::map<std::string, table_meta, std::less<>> tables;
  for (const auto& ct : snap.tables) {
    table_meta t;
    t.def.name = ct.name;
    t.def.schema = ct.schema;
    t.oid = ct.oid;
    if (ct.schema.columns.empty() || !tables.emplace(ct.name, std::move(t)).second)
      return damaged("table \"" + ct.name + "\" repeated or without columns");
  }
  for (const auto& h : snap.hypertables) {
    auto it = tables.find(h.name);
    if (it == tables.end())
      return damaged("hypertable \"" + h.name + "\" without its table");
    int tc = it->second.def.schema.find(h.time_column);
    int sc = h.space_column.empty() ? -1 : it->second.def.schema.find(h.space_column);
    if (tc < 0 || (!h.space_column.empty() && sc < 0) || h.chunk_interval <= 0)
      return damaged("hypertable \"" + h.name + "\" has no such dimension");
    make_hypertable(it->second, h.id, tc, h.chunk_interval, sc, h.partitions);
  }
  for (const auto& c : snap.chunks) {
    auto it = tables.find(c.hypertable);
    if (it == tables.end())
      return damaged("chunk " + std::to_string(c.id) + " of unknown table \"" + c.hypertable
                     + "\"");
    table_meta& t = it->second;
    chunk_meta m{c.id, c.oid, cs::chunk_range{c.range_start, c.range_end, c.partition},
                 c.table_name};
    auto key = t.def.is_hypertable() ? std::make_pair(c.range_start, c.partition)
                                     : std::make_pair(cs::min_timestamp, int32_t{-1});
    if (!t.chunks.emplace(key, std::move(m)).second)
      return damaged("two chunks of \"" + c.hypertable + "\" at one place");
  }
  tables_ = std::move(tables);
  next_table_id_ = std::max(next_table_id_, snap.next_table_id);
  next_oid_ = std::max(next_oid_, snap.next_oid);
  next_chunk_id_ = std::max(next_chunk_id_, snap.next_chunk_id);
  std::vector<const chunk_meta*> out;
  for (const auto& [name, t] : tables_)
    for (const auto& [_, c] : t.chunks)
      out.push_back(&c);
  return out;
}

result<const chunk_meta*> catalog::restore_chunk(const messages::create_chunk& x) {
  table_meta* t = find_mut(x.hypertable);
  if (t == nullptr)
    return undefined_table(x.hypertable);
  auto key = t->def.is_hypertable() ? std::make_pair(x.range.start, x.range.partition)
                                    : std::make_pair(cs::min_timestamp, int32_t{-1});
  if (auto it = t->chunks.find(key); it != t->chunks.end()) {
    if (it->second.id != x.id)
      return pg_error{"XX001", "the log creates chunk " + std::to_string(x.id) + " of \""
                                 + x.hypertable + "\" where chunk "
                                 + std::to_string(it->second.id) + " is",
                      {}};
    return &it->second;
  }
  chunk_meta m;
  m.id = x.id;
  m.oid = t->def.is_hypertable() ? (x.oid != 0 ? x.oid : next_oid_) : t->oid;
  m.range = x.range;
  m.table_name = t->def.is_hypertable() ? chunk_table_name(*t, m.id) : t->def.name;
  next_chunk_id_ = std::max(next_chunk_id_, x.id + 1);
  next_oid_ = std::max(next_oid_, m.oid + 1);
  return &t->chunks.emplace(key, std::move(m)).first->second;
}

} // namespace hypertide::planner
