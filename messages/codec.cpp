#include "messages/codec.hpp"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "catalog_generated.h"
#include "column_generated.h"
#include "ingest_generated.h"
#include "query_generated.h"

namespace hypertide::messages {

namespace cs = chunkstore;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

namespace {

pg_error invalid(std::string what) {
  return pg_error{"08P01", "invalid message: " + std::move(what), {}};
}

buffer finish(FlatBufferBuilder& fbb) {
  // The builder's memory becomes the buffer's: no copy.
  auto bytes = std::make_shared<flatbuffers::DetachedBuffer>(fbb.Release());
  const uint8_t* data = bytes->data();
  size_t size = bytes->size();
  return buffer::adopt(std::move(bytes), data, size);
}

template <class T>
const T* root(const buffer& buf, bool verify) {
  if (buf.empty())
    return nullptr;
  if (verify) {
    flatbuffers::Verifier v{buf.data(), buf.size()};
    if (!v.VerifyBuffer<T>(nullptr))
      return nullptr;
  }
  return flatbuffers::GetRoot<T>(buf.data());
}

// -- columns --------------------------------------------------------------------

/// The vectors of one Column, built before the table.
struct column_offsets {
  Offset<flatbuffers::Vector<int32_t>> i32;
  Offset<flatbuffers::Vector<int64_t>> i64;
  Offset<flatbuffers::Vector<double>> f64;
  Offset<flatbuffers::Vector<uint8_t>> u8;
  Offset<flatbuffers::Vector<uint32_t>> codes;
  Offset<flatbuffers::Vector<Offset<flatbuffers::String>>> dict;
  Offset<flatbuffers::Vector<uint8_t>> validity;
};

Offset<fb::Column> encode_column(FlatBufferBuilder& fbb,
                                 const cs::column_batch::column& c) {
  column_offsets o;
  auto& [i32, i64, f64, u8, codes, dict, validity] = o;
  switch (c.type) {
    case cs::column_type::int4:
      i32 = fbb.CreateVector(c.i32);
      break;
    case cs::column_type::float8:
      f64 = fbb.CreateVector(c.f64);
      break;
    case cs::column_type::boolean:
      u8 = fbb.CreateVector(c.u8);
      break;
    case cs::column_type::text:
      codes = fbb.CreateVector(c.codes);
      dict = fbb.CreateVectorOfStrings(c.dict);
      break;
    default:
      i64 = fbb.CreateVector(c.i64);
  }
  if (c.has_nulls)
    validity = fbb.CreateVector(c.validity);
  return fb::CreateColumn(fbb, static_cast<fb::ColumnType>(c.type), i32, i64,
                          f64, u8, codes, dict, validity);
}

Offset<flatbuffers::Vector<Offset<fb::Column>>>
encode_columns(FlatBufferBuilder& fbb, const cs::column_batch& b) {
  std::vector<Offset<fb::Column>> cols;
  for (size_t i = 0; i < b.num_columns(); ++i)
    cols.push_back(encode_column(fbb, b.col(i)));
  return fbb.CreateVector(cols);
}

template <class V>
bool long_enough(const V* v, size_t n) {
  return v != nullptr && v->size() >= n;
}

/// A zero-copy view of a Column holding `rows` values, or an error.
std::optional<std::string> view_column(const fb::Column* c, size_t rows,
                                       cs::column_view& out) {
  if (c == nullptr)
    return "missing column";
  auto t = static_cast<uint8_t>(c->type());
  if (t > static_cast<uint8_t>(cs::last_column_type))
    return "unknown column type " + std::to_string(t);
  out.type = static_cast<cs::column_type>(t);
  switch (out.type) {
    case cs::column_type::int4:
      if (!long_enough(c->i32(), rows))
        return "short int4 column";
      out.i32 = c->i32()->data();
      break;
    case cs::column_type::float8:
      if (!long_enough(c->f64(), rows))
        return "short float8 column";
      out.f64 = c->f64()->data();
      break;
    case cs::column_type::boolean:
      if (!long_enough(c->u8(), rows))
        return "short boolean column";
      out.u8 = c->u8()->data();
      break;
    case cs::column_type::text: {
      if (!long_enough(c->codes(), rows))
        return "short text column";
      out.codes = c->codes()->data();
      size_t nd = c->dict() ? c->dict()->size() : 0;
      out.dict.clear();
      out.dict.reserve(nd);
      for (size_t i = 0; i < nd; ++i)
        out.dict.push_back(c->dict()->Get(static_cast<flatbuffers::uoffset_t>(i))->string_view());
      for (size_t i = 0; i < rows; ++i)
        if (out.codes[i] >= nd)
          return "text code out of range";
      break;
    }
    default:
      if (!long_enough(c->i64(), rows))
        return "short int8 column";
      out.i64 = c->i64()->data();
  }
  if (c->validity()) {
    if (c->validity()->size() < (rows + 7) / 8)
      return "short validity bitmap";
    out.validity = c->validity()->data();
  }
  return std::nullopt;
}

/// An owning copy of serialized columns: typed arrays copied in bulk.
std::optional<std::string> copy_columns(
  const flatbuffers::Vector<Offset<fb::Column>>* cols, size_t rows,
  cs::column_batch& out) {
  if (cols == nullptr) {
    out = cs::column_batch{};
    out.set_rows(rows);
    return std::nullopt;
  }
  std::vector<cs::column_type> types;
  std::vector<cs::column_view> views(cols->size());
  for (size_t i = 0; i < cols->size(); ++i) {
    if (auto e = view_column(cols->Get(static_cast<flatbuffers::uoffset_t>(i)), rows, views[i]))
      return e;
    types.push_back(views[i].type);
  }
  out = cs::column_batch{types};
  for (size_t i = 0; i < views.size(); ++i) {
    const auto& v = views[i];
    auto& c = out.col(i);
    switch (v.type) {
      case cs::column_type::int4:
        c.i32.assign(v.i32, v.i32 + rows);
        break;
      case cs::column_type::float8:
        c.f64.assign(v.f64, v.f64 + rows);
        break;
      case cs::column_type::boolean:
        c.u8.assign(v.u8, v.u8 + rows);
        break;
      case cs::column_type::text:
        c.codes.assign(v.codes, v.codes + rows);
        c.dict.assign(v.dict.begin(), v.dict.end());
        break;
      default:
        c.i64.assign(v.i64, v.i64 + rows);
    }
    if (v.validity) {
      c.has_nulls = true;
      c.validity.assign(v.validity, v.validity + (rows + 7) / 8);
    }
  }
  out.set_rows(rows);
  return std::nullopt;
}

/// Zero-copy views of serialized columns holding `rows` values each.
std::optional<std::string> view_columns(const flatbuffers::Vector<Offset<fb::Column>>* cols,
                                        uint32_t rows, cs::batch_view& out) {
  out.rows = rows;
  if (cols == nullptr)
    return std::nullopt;
  out.columns.resize(cols->size());
  for (size_t i = 0; i < cols->size(); ++i)
    if (auto e = view_column(cols->Get(static_cast<flatbuffers::uoffset_t>(i)), rows,
                             out.columns[i]))
      return e;
  return std::nullopt;
}

/// A PartialResult's scan counters (zero when absent).
cs::scan_stats stats_of(const fb::PartialResult* p) {
  cs::scan_stats st;
  if (p->stats()) {
    st.rows_scanned = p->stats()->rows_scanned();
    st.rows_matched = p->stats()->rows_matched();
    st.chunks = p->stats()->chunks();
  }
  return st;
}

// -- values and predicates ----------------------------------------------------------

Offset<fb::Value> encode_value(FlatBufferBuilder& fbb, const cs::value& v) {
  auto s = v.type == cs::column_type::text && !v.is_null ? fbb.CreateString(v.s)
                                                         : Offset<flatbuffers::String>{};
  return fb::CreateValue(fbb, static_cast<fb::ColumnType>(v.type), v.is_null, v.i,
                         v.f, s);
}

cs::value decode_value(const fb::Value* v) {
  cs::value out;
  if (v == nullptr)
    return out;
  out.type = static_cast<cs::column_type>(
    std::min<uint8_t>(static_cast<uint8_t>(v->type()),
                      static_cast<uint8_t>(cs::last_column_type)));
  out.is_null = v->is_null();
  out.i = v->i();
  out.f = v->f();
  if (v->s())
    out.s = v->s()->str();
  return out;
}

Offset<fb::Predicate> encode_predicate(FlatBufferBuilder& fbb,
                                       const cs::predicate& p) {
  std::vector<Offset<fb::Predicate>> children;
  for (const auto& c : p.children)
    children.push_back(encode_predicate(fbb, c));
  std::vector<Offset<fb::Value>> list;
  for (const auto& v : p.list)
    list.push_back(encode_value(fbb, v));
  auto constant = encode_value(fbb, p.constant);
  return fb::CreatePredicate(fbb, static_cast<fb::PredicateKind>(p.k), p.column,
                             static_cast<fb::CmpOp>(p.op), constant,
                             list.empty() ? 0 : fbb.CreateVector(list),
                             children.empty() ? 0 : fbb.CreateVector(children));
}

std::optional<std::string> decode_predicate(const fb::Predicate* p,
                                            cs::predicate& out, int depth) {
  if (p == nullptr)
    return "missing predicate";
  if (depth > 1000)
    return "predicate nested too deeply";
  if (static_cast<uint8_t>(p->kind()) > static_cast<uint8_t>(cs::predicate::kind::constant)
      || static_cast<uint8_t>(p->op()) > static_cast<uint8_t>(cs::cmp_op::ge))
    return "unknown predicate kind";
  out.k = static_cast<cs::predicate::kind>(p->kind());
  out.column = p->column();
  out.op = static_cast<cs::cmp_op>(p->op());
  out.constant = decode_value(p->constant());
  if (p->list())
    for (const auto* v : *p->list())
      out.list.push_back(decode_value(v));
  if (p->children())
    for (const auto* c : *p->children()) {
      out.children.emplace_back();
      if (auto e = decode_predicate(c, out.children.back(), depth + 1))
        return e;
    }
  return std::nullopt;
}

} // namespace

// -- ingest -----------------------------------------------------------------------

size_t insert_size(const cs::column_batch& batch) {
  size_t bytes = 1024 + batch.rows() * batch.num_columns() * 8;
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const auto& col = batch.col(c);
    bytes += col.validity.size();
    for (const auto& s : col.dict)
      bytes += s.size() + 12; // length, NUL, padding and its offset
  }
  return bytes;
}

buffer encode_insert(std::string_view table, const cs::column_batch& batch) {
  // Sized to hold the batch at once: a builder that grows copies what it
  // has built every time it doubles.
  FlatBufferBuilder fbb{insert_size(batch) + table.size()};
  auto name = fbb.CreateString(table.data(), table.size());
  auto cols = encode_columns(fbb, batch);
  fbb.Finish(fb::CreateInsertBatch(fbb, 1, name, static_cast<uint32_t>(batch.rows()),
                                   cols),
             fb::InsertBatchIdentifier());
  return finish(fbb);
}

result<insert_view> decode_insert(const buffer& buf, bool verify) {
  if (verify) {
    flatbuffers::Verifier v{buf.data(), buf.size()};
    if (buf.empty() || !fb::VerifyInsertBatchBuffer(v))
      return invalid("InsertBatch fails verification");
  }
  const auto* b = fb::GetInsertBatch(buf.data());
  insert_view out;
  out.table = b->table() ? b->table()->string_view() : std::string_view{};
  if (auto e = view_columns(b->columns(), b->rows(), out.batch))
    return invalid(*e);
  return out;
}

namespace {

/// Values [begin, begin + n) of a vector (absent: absent).
template <class T>
Offset<flatbuffers::Vector<T>> rows_of(FlatBufferBuilder& fbb, const flatbuffers::Vector<T>* v,
                                       uint32_t begin, uint32_t n) {
  if (v == nullptr || v->size() < begin + n)
    return {};
  return fbb.CreateVector(v->data() + begin, n);
}

} // namespace

std::vector<buffer> split_insert(const buffer& buf, size_t max_bytes) {
  const auto* b = fb::GetInsertBatch(buf.data());
  const uint32_t rows = b->rows();
  if (buf.size() <= max_bytes || rows < 2 || b->columns() == nullptr)
    return {buf};
  // Pieces of equal row counts; each piece's text dictionaries hold only
  // the strings its rows use, so the average row (strings included) is
  // the measure.
  size_t row_bytes = std::max<size_t>(1, buf.size() / rows);
  uint32_t per = static_cast<uint32_t>(std::max<size_t>(1, max_bytes / row_bytes));
  std::vector<buffer> out;
  for (uint32_t begin = 0; begin < rows; begin += per) {
    uint32_t n = std::min(per, rows - begin);
    FlatBufferBuilder fbb{1024 + n * row_bytes};
    auto name = fbb.CreateString(b->table() ? b->table()->string_view() : std::string_view{});
    std::vector<Offset<fb::Column>> cols;
    for (const auto* c : *b->columns()) {
      column_offsets o;
      auto part = [&](const auto* v) { return rows_of(fbb, v, begin, n); };
      o.i32 = part(c->i32());
      o.i64 = part(c->i64());
      o.f64 = part(c->f64());
      o.u8 = part(c->u8());
      if (c->codes() && c->dict() && c->codes()->size() >= begin + n) {
        // The strings this piece's rows use, renumbered.
        std::unordered_map<uint32_t, uint32_t> index;
        std::vector<uint32_t> codes(n);
        std::vector<Offset<flatbuffers::String>> strs;
        for (uint32_t i = 0; i < n; ++i) {
          uint32_t code = c->codes()->Get(begin + i);
          auto [it, fresh] = index.emplace(code, static_cast<uint32_t>(strs.size()));
          if (fresh)
            strs.push_back(fbb.CreateString(code < c->dict()->size()
                                              ? c->dict()->Get(code)->string_view()
                                              : std::string_view{}));
          codes[i] = it->second;
        }
        o.codes = fbb.CreateVector(codes);
        o.dict = fbb.CreateVector(strs);
      }
      if (c->validity() && c->validity()->size() > 0) {
        std::vector<uint8_t> bits((n + 7) / 8, 0);
        const auto* v = c->validity();
        for (uint32_t i = 0; i < n; ++i) {
          uint32_t r = begin + i;
          if (r / 8 < v->size() && ((v->Get(r / 8) >> (r % 8)) & 1) != 0)
            bits[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
        }
        o.validity = fbb.CreateVector(bits);
      }
      cols.push_back(fb::CreateColumn(fbb, c->type(), o.i32, o.i64, o.f64, o.u8, o.codes, o.dict,
                                      o.validity));
    }
    fbb.Finish(fb::CreateInsertBatch(fbb, 1, name, n, fbb.CreateVector(cols)),
               fb::InsertBatchIdentifier());
    out.push_back(finish(fbb));
  }
  return out;
}

buffer encode_insert_part(const insert_part& part) {
  FlatBufferBuilder fbb{64 + part.rows.size() * 4};
  auto rows = part.rows.empty() ? 0 : fbb.CreateVector(part.rows);
  fbb.Finish(fb::CreateInsertPart(fbb, 1, part.at, part.horizon, rows));
  return finish(fbb);
}

result<insert_part> decode_insert_part(const buffer& buf, bool verify) {
  const auto* p = root<fb::InsertPart>(buf, verify);
  if (p == nullptr)
    return invalid("InsertPart fails verification");
  insert_part out;
  out.at = p->lsn();
  out.horizon = p->horizon();
  if (p->rows())
    out.rows.assign(p->rows()->begin(), p->rows()->end());
  return out;
}

// -- query ------------------------------------------------------------------------

buffer encode_fragment(const cs::fragment& f) {
  FlatBufferBuilder fbb{512};
  auto table = fbb.CreateString(f.table);
  Offset<fb::Predicate> filter;
  if (f.filter)
    filter = encode_predicate(fbb, *f.filter);
  std::vector<Offset<fb::GroupKey>> keys;
  for (const auto& k : f.keys)
    keys.push_back(fb::CreateGroupKey(fbb, static_cast<fb::KeyKind>(k.k), k.column,
                                      k.bucket.width, k.bucket.months, k.bucket.offset,
                                      k.bucket.origin.has_value(),
                                      k.bucket.origin.value_or(0)));
  std::vector<Offset<fb::Aggregate>> aggs;
  for (const auto& a : f.aggregates)
    aggs.push_back(fb::CreateAggregate(fbb, static_cast<fb::AggKind>(a.kind), a.column,
                                       a.time_column));
  std::vector<Offset<fb::OrderKey>> order;
  for (const auto& o : f.order)
    order.push_back(fb::CreateOrderKey(fbb, o.index, o.descending, o.nulls_first));
  fbb.Finish(fb::CreateFragment(fbb, 1, table, filter, fbb.CreateVector(keys),
                                fbb.CreateVector(aggs), fbb.CreateVector(f.projection),
                                fbb.CreateVector(order), f.limit),
             fb::FragmentIdentifier());
  return finish(fbb);
}

result<cs::fragment> decode_fragment(const buffer& buf, bool verify) {
  if (verify) {
    flatbuffers::Verifier v{buf.data(), buf.size()};
    if (buf.empty() || !fb::VerifyFragmentBuffer(v))
      return invalid("Fragment fails verification");
  }
  const auto* f = fb::GetFragment(buf.data());
  cs::fragment out;
  if (f->table())
    out.table = f->table()->str();
  if (f->filter()) {
    out.filter.emplace();
    if (auto e = decode_predicate(f->filter(), *out.filter, 0))
      return invalid(*e);
  }
  if (f->keys())
    for (const auto* k : *f->keys()) {
      cs::group_key gk;
      gk.k = k->kind() == fb::KeyKind::time_bucket ? cs::group_key::kind::time_bucket
                                                   : cs::group_key::kind::column;
      gk.column = k->column();
      gk.bucket.width = k->width();
      gk.bucket.months = k->months();
      gk.bucket.offset = k->offset();
      if (k->has_origin())
        gk.bucket.origin = k->origin();
      out.keys.push_back(gk);
    }
  if (f->aggregates())
    for (const auto* a : *f->aggregates()) {
      if (static_cast<uint8_t>(a->kind()) > static_cast<uint8_t>(cs::agg_kind::last))
        return invalid("unknown aggregate");
      out.aggregates.push_back(cs::aggregate{static_cast<cs::agg_kind>(a->kind()),
                                             a->column(), a->time_column()});
    }
  if (f->projection())
    out.projection.assign(f->projection()->begin(), f->projection()->end());
  if (f->order())
    for (const auto* o : *f->order())
      out.order.push_back(cs::order_key{o->index(), o->descending(), o->nulls_first()});
  out.limit = f->limit();
  return out;
}

buffer concat_raw_results(const std::vector<buffer>& parts) {
  std::vector<const fb::PartialResult*> rs;
  size_t bytes = 1024;
  uint64_t total = 0, scanned = 0, matched = 0, chunks = 0;
  for (const auto& b : parts) {
    const auto* r = root<fb::PartialResult>(b, false);
    if (r == nullptr)
      continue;
    rs.push_back(r);
    bytes += b.size();
    total += r->rows();
    if (const auto* st = r->stats()) {
      scanned += st->rows_scanned();
      matched += st->rows_matched();
      chunks += st->chunks();
    }
  }
  size_t ncols = 0;
  for (const auto* r : rs)
    if (r->row_columns())
      ncols = std::max<size_t>(ncols, r->row_columns()->size());
  FlatBufferBuilder fbb{bytes};
  // Copies the values of every part into one new vector of T.
  auto concat = [&](auto member, size_t c, auto tag) -> Offset<flatbuffers::Vector<decltype(tag)>> {
    using T = decltype(tag);
    T* out = nullptr;
    auto v = fbb.CreateUninitializedVector<T>(total, &out);
    for (const auto* r : rs) {
      const auto* vec = ((*r->row_columns())[static_cast<flatbuffers::uoffset_t>(c)]->*member)();
      if (vec != nullptr && vec->size() > 0) {
        std::memcpy(out, vec->data(), vec->size() * sizeof(T));
        out += vec->size();
      }
    }
    return v;
  };
  std::vector<Offset<fb::Column>> cols;
  for (size_t c = 0; c < ncols; ++c) {
    const auto* first = (*rs.front()->row_columns())[static_cast<flatbuffers::uoffset_t>(c)];
    auto type = first->type();
    column_offsets o;
    switch (type) {
      case fb::ColumnType::int4: o.i32 = concat(&fb::Column::i32, c, int32_t{}); break;
      case fb::ColumnType::float8: o.f64 = concat(&fb::Column::f64, c, double{}); break;
      case fb::ColumnType::boolean: o.u8 = concat(&fb::Column::u8, c, uint8_t{}); break;
      case fb::ColumnType::text: {
        // One dictionary; each part's codes renumbered into it.
        std::vector<std::string_view> strings;
        std::unordered_map<std::string_view, uint32_t> index;
        uint32_t* out = nullptr;
        o.codes = fbb.CreateUninitializedVector<uint32_t>(total, &out);
        for (const auto* r : rs) {
          const auto* col = (*r->row_columns())[static_cast<flatbuffers::uoffset_t>(c)];
          std::vector<uint32_t> remap;
          if (col->dict())
            for (const auto* str : *col->dict()) {
              std::string_view sv{str->data(), str->size()};
              auto [it, fresh] = index.emplace(sv, static_cast<uint32_t>(strings.size()));
              if (fresh)
                strings.push_back(sv);
              remap.push_back(it->second);
            }
          if (col->codes())
            for (uint32_t code : *col->codes())
              *out++ = code < remap.size() ? remap[code] : 0;
        }
        std::vector<Offset<flatbuffers::String>> offs;
        offs.reserve(strings.size());
        for (auto sv : strings)
          offs.push_back(fbb.CreateString(sv.data(), sv.size()));
        o.dict = fbb.CreateVector(offs);
        break;
      }
      default: o.i64 = concat(&fb::Column::i64, c, int64_t{}); break;
    }
    // Validity: a bitmap only when some part has NULLs.
    bool nulls = false;
    for (const auto* r : rs) {
      const auto* col = (*r->row_columns())[static_cast<flatbuffers::uoffset_t>(c)];
      nulls |= col->validity() != nullptr && col->validity()->size() > 0;
    }
    if (nulls) {
      uint8_t* bits = nullptr;
      o.validity = fbb.CreateUninitializedVector<uint8_t>((total + 7) / 8, &bits);
      std::memset(bits, 0, (total + 7) / 8);
      uint64_t at = 0;
      for (const auto* r : rs) {
        const auto* v = (*r->row_columns())[static_cast<flatbuffers::uoffset_t>(c)]->validity();
        for (uint32_t i = 0; i < r->rows(); ++i, ++at) {
          bool valid = v == nullptr || v->size() == 0
                       || (i / 8 < v->size() && ((v->Get(i / 8) >> (i % 8)) & 1) != 0);
          if (valid)
            bits[at / 8] |= static_cast<uint8_t>(1u << (at % 8));
        }
      }
    }
    cols.push_back(fb::CreateColumn(fbb, type, o.i32, o.i64, o.f64, o.u8, o.codes, o.dict,
                                    o.validity));
  }
  auto row_columns = fbb.CreateVector(cols);
  auto keys = fbb.CreateVector(std::vector<Offset<fb::Column>>{});
  auto states = fbb.CreateVector(std::vector<Offset<fb::AggStates>>{});
  auto stats = fb::CreateScanStats(fbb, scanned, matched, chunks);
  fbb.Finish(fb::CreatePartialResult(fbb, 1, 0, keys, states, static_cast<uint32_t>(total),
                                     row_columns, stats));
  return finish(fbb);
}

buffer encode_result(const cs::partial_result& r) {
  // Sized for the columns up front: growing by doubling copies raw rows
  // (high-cpu-all) over and over.
  FlatBufferBuilder fbb{1024 + (r.keys.rows() * r.keys.num_columns()
                                + r.rows.rows() * r.rows.num_columns()) * 9
                        + r.groups() * r.states.size() * 24};
  auto keys = encode_columns(fbb, r.keys);
  std::vector<Offset<fb::AggStates>> states;
  for (size_t a = 0; a < r.states.size(); ++a) {
    // Only the fields the aggregate uses travel; absent vectors read as 0.
    const auto& st = r.states[a];
    const cs::agg_kind kind = r.kinds[a];
    const cs::column_type type = r.input_types[a];
    const bool text = type == cs::column_type::text;
    const bool counting = kind == cs::agg_kind::count || kind == cs::agg_kind::count_star;
    const bool timed = kind == cs::agg_kind::first || kind == cs::agg_kind::last;
    const bool uses_f = !counting && !text && type == cs::column_type::float8;
    const bool uses_i = !counting && !text && type != cs::column_type::float8;
    std::vector<int64_t> count, t, i_hi;
    std::vector<double> f;
    std::vector<uint64_t> i_lo;
    std::vector<uint8_t> nv;
    count.reserve(st.size());
    for (const auto& x : st) {
      count.push_back(x.count);
      if (timed) {
        t.push_back(x.t);
        nv.push_back(x.null_value ? 1 : 0);
      }
      if (uses_f)
        f.push_back(x.f);
      if (uses_i) {
        auto u = static_cast<unsigned __int128>(x.i);
        i_lo.push_back(static_cast<uint64_t>(u));
        i_hi.push_back(static_cast<int64_t>(static_cast<uint64_t>(u >> 64)));
      }
    }
    auto cv = fbb.CreateVector(count);
    auto tv = timed ? fbb.CreateVector(t) : 0;
    auto fv = uses_f ? fbb.CreateVector(f) : 0;
    auto lov = uses_i ? fbb.CreateVector(i_lo) : 0;
    auto hiv = uses_i ? fbb.CreateVector(i_hi) : 0;
    auto nvv = timed ? fbb.CreateVector(nv) : 0;
    auto txt = text && !counting ? fbb.CreateVectorOfStrings(r.texts[a]) : 0;
    states.push_back(fb::CreateAggStates(fbb, static_cast<fb::AggKind>(kind),
                                         static_cast<fb::ColumnType>(type), cv, tv, fv,
                                         lov, hiv, nvv, txt));
  }
  auto rows = encode_columns(fbb, r.rows);
  auto stats = fb::CreateScanStats(fbb, r.stats.rows_scanned, r.stats.rows_matched,
                                   r.stats.chunks);
  fbb.Finish(fb::CreatePartialResult(fbb, 1, static_cast<uint32_t>(r.groups()), keys,
                                     fbb.CreateVector(states),
                                     static_cast<uint32_t>(r.rows.rows()), rows, stats));
  return finish(fbb);
}

buffer encode_rows(const cs::column_batch& rows) {
  FlatBufferBuilder fbb{1024 + rows.rows() * rows.num_columns() * 9};
  auto keys = fbb.CreateVector(std::vector<Offset<fb::Column>>{});
  auto states = fbb.CreateVector(std::vector<Offset<fb::AggStates>>{});
  auto cols = encode_columns(fbb, rows);
  auto stats = fb::CreateScanStats(fbb, 0, 0, 0);
  fbb.Finish(fb::CreatePartialResult(fbb, 1, 0, keys, states,
                                     static_cast<uint32_t>(rows.rows()), cols, stats));
  return finish(fbb);
}

result<cs::partial_result> decode_result(const buffer& buf, bool verify) {
  const auto* p = root<fb::PartialResult>(buf, verify);
  if (p == nullptr)
    return invalid("PartialResult fails verification");
  cs::partial_result out;
  const size_t groups = p->groups();
  if (auto e = copy_columns(p->keys(), groups, out.keys))
    return invalid(*e);
  if (p->states())
    for (const auto* s : *p->states()) {
      // A vector is either absent (all zero) or holds one entry per group.
      auto fits = [groups](const auto* v) { return v == nullptr || v->size() >= groups; };
      if (!long_enough(s->count(), groups) || !fits(s->t()) || !fits(s->f())
          || !fits(s->i_lo()) || !fits(s->i_hi()) || !fits(s->null_value()))
        return invalid("short aggregate states");
      if (static_cast<uint8_t>(s->kind()) > static_cast<uint8_t>(cs::agg_kind::last)
          || static_cast<uint8_t>(s->input_type()) > static_cast<uint8_t>(cs::last_column_type))
        return invalid("unknown aggregate");
      out.kinds.push_back(static_cast<cs::agg_kind>(s->kind()));
      out.input_types.push_back(static_cast<cs::column_type>(s->input_type()));
      std::vector<cs::agg_state> st(groups);
      for (size_t g = 0; g < groups; ++g) {
        auto gi = static_cast<flatbuffers::uoffset_t>(g);
        st[g].count = s->count()->Get(gi);
        if (s->t())
          st[g].t = s->t()->Get(gi);
        if (s->f())
          st[g].f = s->f()->Get(gi);
        if (s->i_lo() && s->i_hi()) {
          auto u = (static_cast<unsigned __int128>(static_cast<uint64_t>(s->i_hi()->Get(gi))) << 64)
                   | s->i_lo()->Get(gi);
          st[g].i = static_cast<__int128>(u);
        }
        if (s->null_value())
          st[g].null_value = s->null_value()->Get(gi) != 0;
      }
      std::vector<std::string> texts;
      if (out.input_types.back() == cs::column_type::text) {
        texts.resize(groups);
        if (s->texts()) {
          if (s->texts()->size() < groups)
            return invalid("short aggregate texts");
          for (size_t g = 0; g < groups; ++g)
            texts[g] = s->texts()->Get(static_cast<flatbuffers::uoffset_t>(g))->str();
        }
      }
      out.states.push_back(std::move(st));
      out.texts.push_back(std::move(texts));
    }
  if (auto e = copy_columns(p->row_columns(), p->rows(), out.rows))
    return invalid(*e);
  out.stats = stats_of(p);
  return out;
}

result<raw_rows_view> view_raw_result(const buffer& buf, bool verify) {
  const auto* p = root<fb::PartialResult>(buf, verify);
  if (p == nullptr)
    return invalid("PartialResult fails verification");
  if (p->groups() != 0 || (p->states() != nullptr && p->states()->size() != 0))
    return invalid("PartialResult holds groups, not raw rows");
  raw_rows_view out;
  if (auto e = view_columns(p->row_columns(), p->rows(), out.rows))
    return invalid(*e);
  out.stats = stats_of(p);
  return out;
}

result<raw_pieces_view> view_raw_pieces(const std::vector<buffer>& pieces, bool verify) {
  raw_pieces_view out;
  out.pieces.reserve(pieces.size());
  for (const auto& piece : pieces) {
    auto v = view_raw_result(piece, verify);
    if (auto* e = std::get_if<pg_error>(&v))
      return *e;
    auto& rv = std::get<raw_rows_view>(v);
    out.stats += rv.stats;
    out.pieces.push_back(std::move(rv.rows));
  }
  return out;
}

buffer join_pieces(const std::vector<buffer>& pieces) {
  if (pieces.size() == 1)
    return pieces.front();
  return concat_raw_results(pieces);
}

// -- catalog ------------------------------------------------------------------------

buffer encode(const create_table& x) {
  FlatBufferBuilder fbb{256};
  std::vector<Offset<fb::ColumnDef>> cols;
  for (const auto& c : x.schema.columns)
    cols.push_back(fb::CreateColumnDef(fbb, fbb.CreateString(c.name),
                                       static_cast<fb::ColumnType>(c.type), c.not_null,
                                       c.sql_oid, c.typmod));
  fbb.Finish(fb::CreateCreateTable(fbb, 1, fbb.CreateString(x.name),
                                   fbb.CreateVector(cols), x.if_not_exists, x.oid),
             fb::CreateTableIdentifier());
  return finish(fbb);
}

result<create_table> decode_create_table(const buffer& buf, bool verify) {
  if (verify) {
    flatbuffers::Verifier v{buf.data(), buf.size()};
    if (buf.empty() || !fb::VerifyCreateTableBuffer(v))
      return invalid("CreateTable fails verification");
  }
  const auto* t = fb::GetCreateTable(buf.data());
  create_table out;
  out.name = t->name() ? t->name()->str() : std::string{};
  out.if_not_exists = t->if_not_exists();
  out.oid = t->oid();
  if (t->columns())
    for (const auto* c : *t->columns()) {
      if (static_cast<uint8_t>(c->type()) > static_cast<uint8_t>(cs::last_column_type))
        return invalid("unknown column type");
      out.schema.columns.push_back(cs::column_def{c->name() ? c->name()->str() : "",
                                                  static_cast<cs::column_type>(c->type()),
                                                  c->not_null(), c->sql_oid(), c->typmod()});
    }
  return out;
}

buffer encode(const create_hypertable& x) {
  FlatBufferBuilder fbb{256};
  fbb.Finish(fb::CreateCreateHypertable(fbb, 1, fbb.CreateString(x.table),
                                        fbb.CreateString(x.time_column), x.chunk_interval,
                                        fbb.CreateString(x.partitioning_column),
                                        x.number_partitions, x.if_not_exists, x.hypertable_id));
  return finish(fbb);
}

result<create_hypertable> decode_create_hypertable(const buffer& buf, bool verify) {
  const auto* h = root<fb::CreateHypertable>(buf, verify);
  if (h == nullptr)
    return invalid("CreateHypertable fails verification");
  create_hypertable out;
  out.table = h->table() ? h->table()->str() : "";
  out.time_column = h->time_column() ? h->time_column()->str() : "";
  out.chunk_interval = h->chunk_interval();
  out.partitioning_column = h->partitioning_column() ? h->partitioning_column()->str() : "";
  out.number_partitions = h->number_partitions();
  out.if_not_exists = h->if_not_exists();
  out.hypertable_id = h->hypertable_id();
  return out;
}

buffer encode(const drop_chunks& x) {
  FlatBufferBuilder fbb{128};
  fbb.Finish(fb::CreateDropChunks(fbb, 1, fbb.CreateString(x.table),
                                  x.older_than.has_value(), x.older_than.value_or(0),
                                  x.newer_than.has_value(), x.newer_than.value_or(0)));
  return finish(fbb);
}

result<drop_chunks> decode_drop_chunks(const buffer& buf, bool verify) {
  const auto* d = root<fb::DropChunks>(buf, verify);
  if (d == nullptr)
    return invalid("DropChunks fails verification");
  drop_chunks out;
  out.table = d->table() ? d->table()->str() : "";
  if (d->has_older_than())
    out.older_than = d->older_than();
  if (d->has_newer_than())
    out.newer_than = d->newer_than();
  return out;
}

buffer encode(const drop_table& x) {
  FlatBufferBuilder fbb{128};
  fbb.Finish(fb::CreateDropTable(fbb, 1, fbb.CreateString(x.name), x.if_exists));
  return finish(fbb);
}

result<drop_table> decode_drop_table(const buffer& buf, bool verify) {
  const auto* d = root<fb::DropTable>(buf, verify);
  if (d == nullptr)
    return invalid("DropTable fails verification");
  return drop_table{d->name() ? d->name()->str() : "", d->if_exists()};
}

buffer encode(const std::vector<chunk_info>& xs) {
  FlatBufferBuilder fbb{256};
  std::vector<Offset<fb::ChunkInfo>> cs_;
  for (const auto& x : xs)
    cs_.push_back(fb::CreateChunkInfo(fbb, x.id, fbb.CreateString(x.schema_name),
                                      fbb.CreateString(x.table_name), x.range_start,
                                      x.range_end, x.partition, x.rows, x.memory_bytes,
                                      fbb.CreateString(x.hypertable), x.oid));
  fbb.Finish(fb::CreateChunkList(fbb, 1, fbb.CreateVector(cs_)));
  return finish(fbb);
}

result<std::vector<chunk_info>> decode_chunk_list(const buffer& buf, bool verify) {
  const auto* l = root<fb::ChunkList>(buf, verify);
  if (l == nullptr)
    return invalid("ChunkList fails verification");
  std::vector<chunk_info> out;
  if (l->chunks())
    for (const auto* c : *l->chunks())
      out.push_back(chunk_info{c->id(), c->schema_name() ? c->schema_name()->str() : "",
                               c->table_name() ? c->table_name()->str() : "",
                               c->range_start(), c->range_end(), c->partition(),
                               c->rows(), c->memory_bytes(),
                               c->hypertable() ? c->hypertable()->str() : "", c->oid()});
  return out;
}

buffer encode(const catalog_snapshot& x) {
  FlatBufferBuilder fbb{1024};
  std::vector<Offset<fb::HypertableInfo>> hs;
  for (const auto& h : x.hypertables)
    hs.push_back(fb::CreateHypertableInfo(fbb, h.id, fbb.CreateString(h.name),
                                          fbb.CreateString(h.time_column),
                                          static_cast<fb::ColumnType>(h.time_type),
                                          h.chunk_interval, fbb.CreateString(h.space_column),
                                          h.partitions, h.num_chunks,
                                          static_cast<fb::ColumnType>(h.space_type)));
  std::vector<Offset<fb::ChunkInfo>> cs_;
  for (const auto& c : x.chunks)
    cs_.push_back(fb::CreateChunkInfo(fbb, c.id, fbb.CreateString(c.schema_name),
                                      fbb.CreateString(c.table_name), c.range_start, c.range_end,
                                      c.partition, c.rows, c.memory_bytes,
                                      fbb.CreateString(c.hypertable), c.oid));
  std::vector<Offset<fb::CreateTable>> ts;
  for (const auto& t : x.tables) {
    std::vector<Offset<fb::ColumnDef>> cols;
    for (const auto& c : t.schema.columns)
      cols.push_back(fb::CreateColumnDef(fbb, fbb.CreateString(c.name),
                                         static_cast<fb::ColumnType>(c.type), c.not_null,
                                       c.sql_oid, c.typmod));
    ts.push_back(fb::CreateCreateTable(fbb, 1, fbb.CreateString(t.name), fbb.CreateVector(cols),
                                       false, t.oid));
  }
  fbb.Finish(fb::CreateCatalogSnapshot(fbb, 1, fbb.CreateVector(hs), fbb.CreateVector(cs_),
                                       fbb.CreateVector(ts), x.next_table_id, x.next_oid,
                                       x.next_chunk_id));
  return finish(fbb);
}

result<catalog_snapshot> decode_catalog_snapshot(const buffer& buf, bool verify) {
  const auto* s = root<fb::CatalogSnapshot>(buf, verify);
  if (s == nullptr)
    return invalid("CatalogSnapshot fails verification");
  catalog_snapshot out;
  auto str = [](const flatbuffers::String* x) { return x ? x->str() : std::string{}; };
  if (s->hypertables())
    for (const auto* h : *s->hypertables())
      out.hypertables.push_back(hypertable_info{
        h->id(), str(h->name()), str(h->time_column()),
        static_cast<cs::column_type>(std::min(static_cast<uint8_t>(h->time_type()), static_cast<uint8_t>(cs::last_column_type))),
        h->chunk_interval(), str(h->space_column()), h->partitions(), h->num_chunks(),
        static_cast<cs::column_type>(std::min(static_cast<uint8_t>(h->space_type()), static_cast<uint8_t>(cs::last_column_type)))});
  if (s->chunks())
    for (const auto* c : *s->chunks())
      out.chunks.push_back(chunk_info{c->id(), str(c->schema_name()), str(c->table_name()),
                                      c->range_start(), c->range_end(), c->partition(), c->rows(),
                                      c->memory_bytes(), str(c->hypertable()), c->oid()});
  if (s->tables())
    for (const auto* t : *s->tables()) {
      create_table ct;
      ct.name = str(t->name());
      ct.oid = t->oid();
      if (t->columns())
        for (const auto* c : *t->columns()) {
          if (static_cast<uint8_t>(c->type()) > static_cast<uint8_t>(cs::last_column_type))
            return invalid("unknown column type");
          ct.schema.columns.push_back(cs::column_def{str(c->name()),
                                                     static_cast<cs::column_type>(c->type()),
                                                     c->not_null(), c->sql_oid(), c->typmod()});
        }
      out.tables.push_back(std::move(ct));
    }
  out.next_table_id = s->next_table_id();
  out.next_oid = s->next_oid();
  out.next_chunk_id = s->next_chunk_id();
  return out;
}

} // namespace hypertide::messages
