// FlatBuffers round trips, and verification of bytes that cross a trust
// boundary: garbage, truncation and bit flips give an error, never a crash.

#include <boost/test/unit_test.hpp>

#include <random>

#include "messages/codec.hpp"

using namespace hypertide;
namespace cs = hypertide::chunkstore;

namespace {

cs::column_batch sample_batch() {
  std::vector<cs::column_type> types{cs::column_type::timestamptz, cs::column_type::text,
                                     cs::column_type::float8,      cs::column_type::int4,
                                     cs::column_type::boolean,     cs::column_type::int8};
  cs::column_batch b{types};
  for (int i = 0; i < 100; ++i) {
    b.append_int(0, int64_t{i} * 1'000'000);
    if (i % 7 == 0)
      b.append_null(1);
    else
      b.append_text(1, "host_" + std::to_string(i % 5));
    if (i % 3 == 0)
      b.append_null(2);
    else
      b.append_float(2, i * 0.5);
    b.append_int(3, -i);
    b.append_int(4, i % 2);
    b.append_int(5, int64_t{1} << 40);
    b.finish_row();
  }
  return b;
}

template <class T>
const T& ok(const messages::result<T>& r) {
  if (auto* e = std::get_if<cs::pg_error>(&r))
    BOOST_FAIL(e->sqlstate << " " << e->message);
  return std::get<T>(r);
}

} // namespace

BOOST_AUTO_TEST_CASE(insert_batch_round_trips_with_nulls) {
  auto b = sample_batch();
  auto buf = messages::encode_insert("cpu", b);
  for (bool verify : {false, true}) {
    auto decoded = messages::decode_insert(buf, verify);
    const auto& v = ok(decoded);
    BOOST_CHECK_EQUAL(v.table, "cpu");
    BOOST_REQUIRE_EQUAL(v.batch.rows, 100u);
    for (uint32_t r = 0; r < 100; ++r)
      for (size_t c = 0; c < b.num_columns(); ++c)
        BOOST_CHECK(v.batch.columns[c].at(r) == b.at(r, c));
  }
}

BOOST_AUTO_TEST_CASE(fragment_round_trips) {
  cs::fragment f;
  f.table = "cpu";
  f.filter = cs::predicate::all_of(
    {cs::predicate::compare(0, cs::cmp_op::ge, cs::value::of_int(cs::column_type::timestamptz, -5)),
     cs::predicate::negate(cs::predicate::in(1, {cs::value::of_text("a"), cs::value::null(cs::column_type::text)})),
     cs::predicate::any_of({cs::predicate::null_test(2, true),
                            cs::predicate::compare(2, cs::cmp_op::lt, cs::value::of_float(-2.5))})});
  cs::group_key k;
  k.k = cs::group_key::kind::time_bucket;
  k.column = 0;
  k.bucket.width = 3600'000'000;
  k.bucket.offset = -120'000'000;
  k.bucket.origin = 42;
  f.keys = {k, cs::group_key{cs::group_key::kind::column, 1, {}}};
  f.aggregates = {{cs::agg_kind::avg, 2, -1}, {cs::agg_kind::last, 3, 0}};
  f.projection = {0, 2};
  f.order = {{1, true, true}};
  f.limit = 7;
  auto back = ok(messages::decode_fragment(messages::encode_fragment(f), true));
  BOOST_CHECK_EQUAL(back.table, "cpu");
  BOOST_REQUIRE(back.filter.has_value());
  BOOST_CHECK_EQUAL(back.filter->children.size(), 3u);
  BOOST_CHECK(back.filter->children[0].constant == f.filter->children[0].constant);
  BOOST_CHECK_EQUAL(back.filter->children[1].children[0].list.size(), 2u);
  BOOST_CHECK(back.filter->children[1].children[0].list[1].is_null);
  BOOST_CHECK_EQUAL(back.filter->children[2].children[1].constant.f, -2.5);
  BOOST_REQUIRE_EQUAL(back.keys.size(), 2u);
  BOOST_CHECK(back.keys[0].bucket == k.bucket);
  BOOST_CHECK(back.aggregates[1].kind == cs::agg_kind::last);
  BOOST_CHECK_EQUAL(back.aggregates[1].time_column, 0);
  BOOST_CHECK(back.projection == f.projection);
  BOOST_CHECK(back.order[0].descending && back.order[0].nulls_first);
  BOOST_CHECK_EQUAL(back.limit, 7);
}

BOOST_AUTO_TEST_CASE(partial_result_round_trips_128_bit_sums) {
  cs::partial_result r;
  r.keys = cs::column_batch{std::vector<cs::column_type>{cs::column_type::text}};
  r.keys.append_text(0, "a");
  r.keys.finish_row();
  r.kinds = {cs::agg_kind::sum, cs::agg_kind::max};
  r.input_types = {cs::column_type::int8, cs::column_type::text};
  cs::agg_state s;
  s.count = 3;
  s.i = static_cast<__int128>(INT64_MAX) * 5 - 7;
  cs::agg_state t;
  t.count = 1;
  r.states = {{s}, {t}};
  r.texts = {{}, {"zeta"}};
  r.stats.rows_scanned = 11;
  auto back = ok(messages::decode_result(messages::encode_result(r), true));
  BOOST_REQUIRE_EQUAL(back.groups(), 1u);
  BOOST_CHECK(back.states[0][0].i == s.i);
  BOOST_CHECK_EQUAL(back.states[0][0].count, 3);
  BOOST_CHECK_EQUAL(back.texts[1][0], "zeta");
  BOOST_CHECK_EQUAL(back.keys.at(0, 0).s, "a");
  BOOST_CHECK_EQUAL(back.stats.rows_scanned, 11u);
}

BOOST_AUTO_TEST_CASE(damaged_bytes_are_refused_when_verified) {
  auto good = messages::encode_insert("cpu", sample_batch());
  std::mt19937 rng{1};
  int refused = 0;
  // Truncations.
  for (size_t n = 0; n < good.size(); n += 13) {
    messages::buffer cut = messages::buffer::copy_of(good.data(), n);
    if (std::holds_alternative<cs::pg_error>(messages::decode_insert(cut, true)))
      ++refused;
  }
  BOOST_CHECK_GT(refused, 0);
  // Random bit flips: decoding either fails cleanly or yields a batch whose
  // every cell can be read (lengths and codes are checked).
  for (int i = 0; i < 2000; ++i) {
    std::vector<char> bytes = good.to_vector();
    bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
    messages::buffer b{std::move(bytes)};
    auto r = messages::decode_insert(b, true);
    if (auto* v = std::get_if<messages::insert_view>(&r))
      for (const auto& c : v->batch.columns)
        for (uint32_t row = 0; row < v->batch.rows; ++row)
          (void) c.at(row);
  }
  // Not a FlatBuffer at all.
  messages::buffer junk{std::vector<char>(64, '\x7f')};
  BOOST_CHECK(std::holds_alternative<cs::pg_error>(messages::decode_insert(junk, true)));
  BOOST_CHECK(std::holds_alternative<cs::pg_error>(messages::decode_fragment(junk, true)));
  BOOST_CHECK(std::holds_alternative<cs::pg_error>(messages::decode_result(junk, true)));
  BOOST_CHECK(std::holds_alternative<cs::pg_error>(messages::decode_insert(messages::buffer{}, true)));
  auto e = std::get<cs::pg_error>(messages::decode_insert(junk, true));
  BOOST_CHECK_EQUAL(e.sqlstate, "08P01");
}

BOOST_AUTO_TEST_CASE(catalog_messages_round_trip) {
  messages::create_table ct{"t", cs::table_schema{{{"time", cs::column_type::timestamptz, true},
                                                   {"v", cs::column_type::float8, false}}},
                            true};
  auto back = ok(messages::decode_create_table(messages::encode(ct), true));
  BOOST_CHECK_EQUAL(back.name, "t");
  BOOST_CHECK(back.if_not_exists);
  BOOST_REQUIRE_EQUAL(back.schema.columns.size(), 2u);
  BOOST_CHECK(back.schema.columns[0].not_null);
  BOOST_CHECK(back.schema.columns[1].type == cs::column_type::float8);
  messages::drop_chunks d{"t", 5, {}};
  auto db = ok(messages::decode_drop_chunks(messages::encode(d), true));
  BOOST_CHECK(db.older_than == std::optional<int64_t>{5});
  BOOST_CHECK(!db.newer_than);
}

BOOST_AUTO_TEST_CASE(raw_results_concatenate_as_one) {
  // Parts as chunks send them: each its own text dictionary (in another
  // order), NULLs in some parts only, one part empty; the concatenation
  // must hold every row in order with its value, and pass verification.
  auto whole = sample_batch();
  std::vector<std::pair<size_t, size_t>> cuts = {{0, 37}, {37, 37}, {37, 38}, {38, 100}};
  std::vector<messages::buffer> parts;
  uint64_t scanned = 0;
  for (auto [from, to] : cuts) {
    cs::partial_result r;
    r.rows = whole.slice(from, to);
    if (from == 38) {
      // This part's dictionary lists the hosts in another order.
      cs::column_batch other{std::vector<cs::column_type>{
        cs::column_type::timestamptz, cs::column_type::text, cs::column_type::float8,
        cs::column_type::int4, cs::column_type::boolean, cs::column_type::int8}};
      other.col(1).dict = {"host_4", "unused", "host_3", "host_2", "host_1", "host_0"};
      for (size_t row = from; row < to; ++row) {
        for (size_t c = 0; c < whole.num_columns(); ++c)
          other.append_value(c, whole.at(row, c));
        other.finish_row();
      }
      r.rows = std::move(other);
    }
    r.stats.rows_scanned = to - from + 5;
    r.stats.chunks = 1;
    scanned += to - from + 5;
    parts.push_back(messages::encode_result(r));
  }
  auto joined = messages::concat_raw_results(parts);
  auto back = ok(messages::decode_result(joined, true));
  BOOST_REQUIRE_EQUAL(back.rows.rows(), 100u);
  for (size_t r = 0; r < 100; ++r)
    for (size_t c = 0; c < whole.num_columns(); ++c)
      BOOST_CHECK_MESSAGE(back.rows.at(r, c) == whole.at(r, c), "row " << r << " column " << c);
  BOOST_CHECK_EQUAL(back.stats.rows_scanned, scanned);
  BOOST_CHECK_EQUAL(back.stats.chunks, 4u);
  // A part without any NULLs next to one with them.
  cs::partial_result a, b;
  a.rows = whole.slice(1, 3);  // rows 1, 2: no NULLs
  b.rows = whole.slice(0, 1);  // row 0: NULLs in columns 1 and 2
  auto ab = ok(messages::decode_result(
    messages::concat_raw_results({messages::encode_result(a), messages::encode_result(b)}), true));
  BOOST_REQUIRE_EQUAL(ab.rows.rows(), 3u);
  BOOST_CHECK(!ab.rows.at(0, 1).is_null);
  BOOST_CHECK(ab.rows.at(2, 1).is_null);
  BOOST_CHECK(ab.rows.at(2, 2).is_null);
  BOOST_CHECK(ab.rows.at(1, 2) == whole.at(2, 2));
}

BOOST_AUTO_TEST_CASE(raw_rows_are_read_in_place) {
  // A piece of a raw scan as the chunk actor sends it, read as views into
  // its bytes: every value and NULL, the dictionary, nothing copied.
  auto whole = sample_batch();
  auto piece = messages::encode_rows(whole.slice(10, 60));
  auto v = ok(messages::view_raw_result(piece, true));
  BOOST_REQUIRE_EQUAL(v.rows.rows, 50u);
  BOOST_REQUIRE_EQUAL(v.rows.columns.size(), whole.num_columns());
  for (size_t r = 0; r < 50; ++r)
    for (size_t c = 0; c < whole.num_columns(); ++c)
      BOOST_CHECK_MESSAGE(v.rows.columns[c].at(r) == whole.at(10 + r, c),
                          "row " << r << " column " << c);
  const auto* base = piece.data();
  const auto* f64 = reinterpret_cast<const uint8_t*>(v.rows.columns[2].f64);
  BOOST_CHECK(f64 > base && f64 < base + piece.size());
  BOOST_CHECK_EQUAL(v.stats.rows_scanned, 0u);
  // One piece joins as itself, several as their concatenation.
  BOOST_CHECK(messages::join_pieces({piece}).data() == piece.data());
  auto two = ok(messages::decode_result(
    messages::join_pieces({messages::encode_rows(whole.slice(0, 10)), piece}), true));
  BOOST_REQUIRE_EQUAL(two.rows.rows(), 60u);
  BOOST_CHECK(two.rows.at(59, 2) == whole.at(59, 2));
  BOOST_CHECK(two.rows.at(0, 1) == whole.at(0, 1));
  // An aggregate's result is not raw rows.
  cs::partial_result agg;
  agg.keys = cs::column_batch{std::vector<cs::column_type>{cs::column_type::int4}};
  agg.keys.append_int(0, 1);
  agg.keys.finish_row();
  agg.kinds = {cs::agg_kind::count_star};
  agg.input_types = {cs::column_type::int8};
  agg.states = {{cs::agg_state{}}};
  agg.texts = {{}};
  auto refused = messages::view_raw_result(messages::encode_result(agg), true);
  BOOST_REQUIRE(std::holds_alternative<cs::pg_error>(refused));
  BOOST_CHECK_EQUAL(std::get<cs::pg_error>(refused).sqlstate, "08P01");
  // Damaged bytes are refused when verified.
  auto bytes = piece.to_vector();
  bytes.resize(bytes.size() / 2);
  BOOST_CHECK(std::holds_alternative<cs::pg_error>(
    messages::view_raw_result(messages::buffer{bytes}, true)));
}

BOOST_AUTO_TEST_CASE(an_insert_splits_into_pieces_of_its_rows) {
  // What the catalog logs when a batch is larger than a WAL record: pieces
  // that hold the rows in order, NULLs included, each with only the
  // strings its rows use.
  auto whole = sample_batch();
  auto buf = messages::encode_insert("cpu", whole);
  BOOST_CHECK_EQUAL(messages::split_insert(buf, buf.size()).size(), 1u);
  auto pieces = messages::split_insert(buf, buf.size() / 4);
  BOOST_REQUIRE_GE(pieces.size(), 4u);
  size_t row = 0;
  for (const auto& p : pieces) {
    auto v = ok(messages::decode_insert(p, true));
    BOOST_CHECK_EQUAL(v.table, "cpu");
    for (uint32_t r = 0; r < v.batch.rows; ++r, ++row)
      for (size_t c = 0; c < whole.num_columns(); ++c)
        BOOST_CHECK_MESSAGE(v.batch.columns[c].at(r) == whole.at(row, c),
                            "row " << row << " column " << c);
  }
  BOOST_CHECK_EQUAL(row, whole.rows());
  // Distinct strings: each piece carries its own quarter of them.
  cs::column_batch names{std::vector<cs::column_type>{cs::column_type::text}};
  for (int i = 0; i < 100; ++i) {
    names.append_text(0, "name_" + std::to_string(i) + std::string(50, 'x'));
    names.finish_row();
  }
  auto nbuf = messages::encode_insert("t", names);
  size_t strings = 0;
  for (const auto& p : messages::split_insert(nbuf, nbuf.size() / 4)) {
    auto v = ok(messages::decode_insert(p, true));
    BOOST_CHECK_EQUAL(v.batch.columns[0].dict.size(), v.batch.rows);
    strings += v.batch.columns[0].dict.size();
  }
  BOOST_CHECK_EQUAL(strings, 100u);
}
