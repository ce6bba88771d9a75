// Fragment execution over one chunk: filter, group, aggregate, project.
// Work goes a block (256 rows) at a time; whole series and whole blocks are
// decided without touching rows where the series dictionary or the block's
// time range already tells the answer. The kernels live in
// filter_kernel.*, group_table.hpp and aggregate_kernel.hpp.

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string_view>

#include "chunkstore/aggregate_kernel.hpp"
#include "chunkstore/chunk.hpp"
#include "chunkstore/filter_kernel.hpp"
#include "chunkstore/group_table.hpp"
#include "chunkstore/time_bucket.hpp"

namespace hypertide::chunkstore {

using namespace detail;

namespace {

/// Appends text by chunk dictionary code, renumbered once per distinct code.
void emit_text(column_batch& out, size_t oc, const text_dictionary& dict, uint32_t code,
               std::vector<int64_t>& remap) {
  if (remap.size() < dict.size())
    remap.resize(dict.size(), -1);
  int64_t& to = remap[code];
  if (to >= 0) {
    out.append_code(oc, static_cast<uint32_t>(to));
    return;
  }
  out.append_text(oc, dict.at(code));
  to = out.last_code(oc);
}

void emit_cell(column_batch& out, size_t oc, const chunk& ch, const series& sr,
               const block& b, size_t c, uint32_t i, std::vector<int64_t>& remap) {
  if (static_cast<int>(c) == ch.series_column()) {
    if (sr.is_null)
      out.append_null(oc);
    else
      emit_text(out, oc, ch.series_dictionary(), sr.code, remap);
    return;
  }
  const uint64_t* valid = chunk::validity(b, c);
  if (valid && ((valid[i / 64] >> (i % 64)) & 1) == 0) {
    out.append_null(oc);
    return;
  }
  size_t off = ch.column_offset(c);
  switch (ch.schema().columns[c].type) {
    case column_type::int4:
      out.append_int(oc, chunk::values<int32_t>(b, off)[i]);
      break;
    case column_type::float8:
      out.append_float(oc, chunk::values<double>(b, off)[i]);
      break;
    case column_type::boolean:
      out.append_int(oc, chunk::values<uint8_t>(b, off)[i]);
      break;
    case column_type::text:
      emit_text(out, oc, ch.dictionary(c), chunk::values<uint32_t>(b, off)[i], remap);
      break;
    default:
      out.append_int(oc, chunk::values<int64_t>(b, off)[i]);
  }
}

/// Appends column `c` of the first `take` selected rows of block `b` to
/// output column `oc`. Values without NULLs are copied in one pass (one
/// resize, a gather or a memcpy); NULLs, text and the series column go a
/// cell at a time.
void emit_column(column_batch& out, size_t oc, const chunk& ch, const series& sr, const block& b,
                 size_t c, const selection& sel, uint32_t take, std::vector<int64_t>& remap) {
  auto& col = out.col(oc);
  const column_type t = ch.schema().columns[c].type;
  if (static_cast<int>(c) == ch.series_column() || t == column_type::text || t != col.type
      || col.has_nulls || chunk::validity(b, c) != nullptr) {
    for (uint32_t j = 0; j < take; ++j)
      emit_cell(out, oc, ch, sr, b, c, sel.row(j), remap);
    return;
  }
  const size_t off = ch.column_offset(c);
  auto gather = [&](auto& to, const auto* from) {
    size_t at = to.size();
    to.resize(at + take);
    auto* dst = to.data() + at;
    if (sel.sel != nullptr)
      for (uint32_t j = 0; j < take; ++j)
        dst[j] = from[sel.sel[j]];
    else
      std::memcpy(dst, from + sel.begin, take * sizeof *from);
  };
  switch (t) {
    case column_type::int4: gather(col.i32, chunk::values<int32_t>(b, off)); break;
    case column_type::float8: gather(col.f64, chunk::values<double>(b, off)); break;
    case column_type::boolean: gather(col.u8, chunk::values<uint8_t>(b, off)); break;
    default: gather(col.i64, chunk::values<int64_t>(b, off));
  }
}

} // namespace

partial_result chunk::execute(const fragment& f, lsn snapshot) const {
  return execute(f, snapshot, piece_sink{});
}

partial_result chunk::execute(const fragment& f, lsn snapshot, const piece_sink& sink,
                              size_t piece_bytes) const {
  partial_result out = partial_result::make(f, schema_);
  out.stats.chunks = 1;
  std::optional<bound_pred> filter;
  if (f.filter)
    filter = bind(*f.filter, *this);

  // Bind keys and aggregates to this chunk's layout.
  std::vector<bound_key> keys;
  for (const auto& k : f.keys) {
    bound_key bk;
    bk.k = k.k;
    bk.column = k.column;
    bk.type = schema_.columns[static_cast<size_t>(k.column)].type;
    bk.off = offsets_[static_cast<size_t>(k.column)];
    bk.on_series = k.column == series_column_;
    bk.on_time = k.column == time_column_;
    bk.spec = k.bucket;
    bk.origin = k.bucket.origin.value_or(default_bucket_origin) + k.bucket.offset;
    keys.push_back(bk);
  }
  std::vector<bound_agg> aggs;
  for (const auto& a : f.aggregates) {
    bound_agg ba;
    ba.kind = a.kind;
    ba.column = a.column;
    if (a.column >= 0) {
      ba.type = schema_.columns[static_cast<size_t>(a.column)].type;
      ba.off = offsets_[static_cast<size_t>(a.column)];
      ba.on_series = a.column == series_column_;
    }
    ba.time_column = a.time_column;
    if (a.time_column >= 0) {
      ba.time_type = schema_.columns[static_cast<size_t>(a.time_column)].type;
      ba.time_off = offsets_[static_cast<size_t>(a.time_column)];
    }
    aggs.push_back(ba);
  }
  const size_t nk = keys.size();
  const size_t na = aggs.size();
  const bool aggregate = f.is_aggregate();
  group_table groups{nk};
  std::vector<agg_state> states;

  auto group_for = [&](const uint64_t* key, uint32_t nulls) {
    uint32_t g = groups.find_or_insert(key, nulls);
    if (g * na >= states.size())
      states.resize((g + 1) * na);
    return g;
  };

  // Fast path: first/last over the time dimension per series, no row
  // filter: the commit marks already know each series' first and last row.
  bool marks_answer
    = aggregate && na > 0 && time_column_ >= 0 && (!filter || only_series(*filter))
      && std::all_of(aggs.begin(), aggs.end(), [&](const bound_agg& a) {
           return (a.kind == agg_kind::first || a.kind == agg_kind::last)
                  && a.time_column == time_column_;
         })
      && std::all_of(keys.begin(), keys.end(), [](const bound_key& k) {
           return k.on_series && k.k == group_key::kind::column;
         });

  // The one key that varies inside a block when rows are cut into runs by
  // time bucket (-1 when the keys do not allow it).
  int run_key = -1;
  for (size_t k = 0; k < nk; ++k) {
    const bound_key& key = keys[k];
    if (key.on_series)
      continue;
    bool fixed_time_bucket = key.on_time && key.k == group_key::kind::time_bucket
                             && is_time_type(key.type)
                             && key.spec.months == 0;
    if (!fixed_time_bucket || run_key >= 0) {
      run_key = -1;
      break;
    }
    run_key = static_cast<int>(k);
  }

  std::array<uint16_t, block_rows> sel_buf;
  // Raw scans: per projected text column, chunk code -> output code.
  std::vector<std::vector<int64_t>> text_remap(f.projection.size());
  std::array<uint32_t, block_rows + 1> run_begin;
  std::array<uint32_t, block_rows> run_gid;
  std::array<uint32_t, block_rows> gid_buf;
  std::array<uint64_t, max_keys> key_buf{};
  const bool limit_only = !aggregate && f.order.empty() && f.limit >= 0;
  // Raw rows in any order, all of them: pieces may leave early.
  const size_t piece_rows = sink && !aggregate && f.order.empty() && f.limit < 0
                              ? std::max<size_t>(block_rows, piece_bytes / (8 * std::max<size_t>(1, f.projection.size())))
                              : SIZE_MAX;

  // A filter naming series values (`hostname = 'x'`, `IN (...)`) visits
  // only theirs, in the order the others would be visited.
  std::optional<std::vector<uint32_t>> picked;
  if (filter)
    picked = series_candidates(*filter);
  if (picked) {
    std::vector<uint32_t> indexes;
    for (uint32_t code : *picked)
      if (code < series_by_code_.size())
        indexes.push_back(series_by_code_[code]);
    std::sort(indexes.begin(), indexes.end());
    picked = std::move(indexes);
  }
  const size_t visits = picked ? picked->size() : series_.size();
  for (size_t visit = 0; visit < visits; ++visit) {
    const series& s = series_[picked ? (*picked)[visit] : visit];
    const mark* mk = visible(s, snapshot);
    if (mk == nullptr || mk->rows == 0)
      continue;
    tri st = filter ? eval_coarse(*filter, s, nullptr) : tri::t;
    if (never_true(st))
      continue;
    // Constant key parts of this series.
    uint32_t series_nulls = 0;
    for (size_t k = 0; k < nk; ++k)
      if (keys[k].on_series) {
        if (s.is_null)
          series_nulls |= 1u << k;
        else
          key_buf[k] = s.code;
      }

    if (marks_answer) {
      uint32_t g = group_for(key_buf.data(), series_nulls);
      uint32_t touched_rows = 0;
      for (size_t a = 0; a < na; ++a) {
        uint32_t row = aggs[a].kind == agg_kind::first ? mk->first_row : mk->last_row;
        const block& b = *s.blocks[row / block_rows];
        uint16_t pos = static_cast<uint16_t>(row % block_rows);
        selection one{block_rows, &pos, 1};
        grouping grp{nullptr, g};
        update_agg(aggs[a], *this, s, b, one, grp, states.data() + a, na);
        touched_rows |= aggs[a].kind == agg_kind::first ? 1u : 2u;
      }
      out.stats.rows_scanned += std::popcount(touched_rows);
      out.stats.rows_matched += 1;
      continue;
    }

    const uint32_t visible_rows = mk->rows;
    for (size_t bi = 0; bi * block_rows < visible_rows; ++bi) {
      const block& b = *s.blocks[bi];
      const uint32_t m = std::min<uint32_t>(b.rows, visible_rows - static_cast<uint32_t>(bi * block_rows));
      selection sel{m, nullptr, 0};
      if (filter && st == tri::v) {
        tri bt = eval_coarse(*filter, s, &b);
        if (never_true(bt))
          continue;
        if (bt == tri::v) {
          mask t, fm;
          eval_rows(*filter, *this, s, b, m, t, fm);
          uint32_t k = 0;
          for (uint32_t w = 0; w < W; ++w)
            for (uint64_t bits = t[w]; bits != 0; bits &= bits - 1)
              sel_buf[k++] = static_cast<uint16_t>(w * 64 + static_cast<uint32_t>(std::countr_zero(bits)));
          out.stats.rows_scanned += m;
          if (k == 0)
            continue;
          if (k < m) {
            if (sel_buf[k - 1] - sel_buf[0] + 1u == k) {
              // One run of rows (a time range over a sorted block): a
              // range, which the dense kernels and the bucket runs take.
              sel.begin = sel_buf[0];
              sel.m = sel_buf[k - 1] + 1u;
            } else {
              sel.sel = sel_buf.data();
              sel.k = k;
            }
          }
        } else {
          out.stats.rows_scanned += m;
        }
      } else {
        out.stats.rows_scanned += m;
      }
      const uint32_t n = sel.count();
      out.stats.rows_matched += n;

      if (!aggregate) {
        uint32_t take = n;
        if (limit_only) {
          size_t have = out.rows.rows();
          if (have >= static_cast<size_t>(f.limit))
            break;
          take = static_cast<uint32_t>(
            std::min<int64_t>(n, f.limit - static_cast<int64_t>(have)));
        }
        // Column by column: each column's values of the block in one pass.
        for (size_t oc = 0; oc < f.projection.size(); ++oc)
          emit_column(out.rows, oc, *this, s, b, static_cast<size_t>(f.projection[oc]), sel, take,
                      text_remap[oc]);
        out.rows.set_rows(out.rows.rows() + take);
        if (out.rows.rows() >= piece_rows) {
          sink(out.rows);
          out.rows.clear();
          for (auto& m : text_remap) // the dictionaries start over
            m.clear();
        }
        if (f.limit >= 0 && !f.order.empty() && f.limit < (INT64_MAX - 1024) / 2
            && out.rows.rows() > static_cast<size_t>(2 * f.limit + 1024)) {
          top_n(out.rows, f.order, f.limit);
          for (auto& m : text_remap) // top_n renumbers the dictionaries
            m.clear();
        }
        continue;
      }

      // Group ids: one for the whole block when every key part is constant
      // over it (series keys; buckets of the time column that the block's
      // time range does not cross), else per row with a one-entry cache.
      grouping grp;
      bool uniform = true;
      uint32_t nulls = series_nulls;
      for (size_t k = 0; k < nk && uniform; ++k) {
        const bound_key& key = keys[k];
        if (key.on_series)
          continue;
        if (key.on_time && key.k == group_key::kind::time_bucket
            && key.bucket(b.tmin) == key.bucket(b.tmax))
          key_buf[k] = static_cast<uint64_t>(key.bucket(b.tmin));
        else
          uniform = false;
      }
      if (uniform) {
        grp.uniform = group_for(key_buf.data(), nulls);
      } else if (run_key >= 0 && b.sorted && !sel.sel) {
        // Time-sorted block, one fixed-width bucket key on the time column
        // beside constant keys: cut the block into runs of one bucket each
        // (a compare per row, no division) and aggregate each run densely.
        const bound_key& key = keys[static_cast<size_t>(run_key)];
        const int64_t* times = chunk::values<int64_t>(b, key.off);
        uint32_t nruns = 0;
        for (uint32_t j = sel.begin; j < sel.m;) {
          int64_t start = key.bucket(times[j]);
          int64_t end = start > max_timestamp - key.spec.width ? max_timestamp
                                                               : start + key.spec.width;
          uint32_t k = j + 1;
          while (k < sel.m && times[k] < end)
            ++k;
          key_buf[static_cast<size_t>(run_key)] = static_cast<uint64_t>(start);
          run_begin[nruns] = j;
          run_gid[nruns] = group_for(key_buf.data(), nulls);
          ++nruns;
          j = k;
        }
        run_begin[nruns] = sel.m;
        // Column by column over all runs: each column of the block is read
        // as one sequential stream (interleaving columns run by run halves
        // the speed: the hardware prefetcher never sees a long stream).
        for (size_t a = 0; a < na; ++a)
          for (uint32_t r = 0; r < nruns; ++r)
            update_agg(aggs[a], *this, s, b, selection{run_begin[r + 1], nullptr, 0, run_begin[r]},
                       grouping{nullptr, run_gid[r]}, states.data() + a, na);
        continue;
      } else {
        std::array<uint64_t, max_keys> prev{};
        uint32_t prev_nulls = 0, prev_gid = 0;
        bool have_prev = false;
        for (uint32_t j = 0; j < n; ++j) {
          uint32_t i = sel.row(j);
          uint32_t row_nulls = series_nulls;
          for (size_t k = 0; k < nk; ++k) {
            if (keys[k].on_series)
              continue;
            if (!key_part(keys[k], b, i, key_buf[k])) {
              row_nulls |= 1u << k;
              key_buf[k] = 0;
            }
          }
          if (have_prev && row_nulls == prev_nulls
              && std::equal(key_buf.begin(), key_buf.begin() + static_cast<long>(nk), prev.begin())) {
            gid_buf[j] = prev_gid;
            continue;
          }
          prev_gid = gid_buf[j] = group_for(key_buf.data(), row_nulls);
          prev = key_buf;
          prev_nulls = row_nulls;
          have_prev = true;
        }
        grp.gids = gid_buf.data();
      }
      for (size_t a = 0; a < na; ++a)
        update_agg(aggs[a], *this, s, b, sel, grp, states.data() + a, na);
    }
    if (limit_only && out.rows.rows() >= static_cast<size_t>(f.limit))
      break;
  }

  if (!aggregate) {
    if (f.limit >= 0 && !f.order.empty())
      top_n(out.rows, f.order, f.limit);
    return out;
  }

  // Emit one row of keys and states per group, column by column. Text keys
  // keep this chunk's dictionary codes, renumbered densely.
  const size_t ng = groups.size();
  for (size_t k = 0; k < nk; ++k) {
    auto& col = out.keys.col(k);
    const bound_key& key = keys[k];
    const text_dictionary* dict = key.type != column_type::text ? nullptr
                                  : key.on_series
                                    ? &series_dict_
                                    : &dicts_[static_cast<size_t>(key.column)];
    std::vector<int64_t> remap(dict ? dict->size() : 0, -1);
    for (uint32_t g = 0; g < ng; ++g) {
      uint64_t x = groups.key(g)[k];
      bool null = ((groups.nulls(g) >> k) & 1) != 0;
      if (null && !col.has_nulls) {
        col.has_nulls = true;
        col.validity.assign((ng + 7) / 8, 0xff);
      }
      if (col.has_nulls)
        set_bit(col.validity, g, !null);
      switch (key.type) {
        case column_type::text: {
          if (null) {
            x = 0;
            if (col.dict.empty())
              col.dict.emplace_back();
            col.codes.push_back(0);
            break;
          }
          int64_t& code = remap[x];
          if (code < 0) {
            code = static_cast<int64_t>(col.dict.size());
            col.dict.emplace_back(dict->at(static_cast<uint32_t>(x)));
          }
          col.codes.push_back(static_cast<uint32_t>(code));
          break;
        }
        case column_type::float8:
          col.f64.push_back(null ? 0.0 : std::bit_cast<double>(x));
          break;
        case column_type::int4:
          col.i32.push_back(static_cast<int32_t>(x));
          break;
        case column_type::boolean:
          col.u8.push_back(static_cast<uint8_t>(x));
          break;
        default:
          col.i64.push_back(static_cast<int64_t>(x));
      }
    }
  }
  out.keys.set_rows(ng);
  for (size_t a = 0; a < na; ++a) {
    auto& st = out.states[a];
    st.resize(ng);
    for (uint32_t g = 0; g < ng; ++g)
      st[g] = states[g * na + a];
    if (out.input_types[a] != column_type::text)
      continue;
    out.texts[a].resize(ng);
    const text_dictionary& d = aggs[a].on_series
                                 ? series_dict_
                                 : dicts_[static_cast<size_t>(aggs[a].column)];
    for (uint32_t g = 0; g < ng; ++g)
      if (st[g].count > 0 && !st[g].null_value && aggs[a].kind != agg_kind::count
          && aggs[a].kind != agg_kind::count_star)
        out.texts[a][g] = std::string{d.at(static_cast<uint32_t>(st[g].i))};
  }
  return out;
}

} // namespace hypertide::chunkstore