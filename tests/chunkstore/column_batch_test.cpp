// column_batch: the owning batch clients fill before an insert and raw scans
// return; views over it; and top_n, the ORDER BY ... LIMIT of raw scans.

#include <boost/test/unit_test.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "chunkstore/column_batch.hpp"
#include "chunkstore/partial_result.hpp"
#include "value_printer.hpp"

using namespace hypertide::chunkstore;

namespace {

const std::array<column_type, 7> all_types = {
  column_type::timestamptz, column_type::int4,    column_type::int8,
  column_type::float8,      column_type::boolean, column_type::text,
  column_type::timestamp,
};

/// The value row `r` of a 7-column test batch holds in column `c`; every
/// third row of a column is NULL, shifted per column so rows mix NULLs.
value expected(size_t r, size_t c) {
  if ((r + c) % 3 == 0)
    return value::null(all_types[c]);
  auto x = static_cast<int64_t>(r);
  switch (all_types[c]) {
    case column_type::timestamptz:
      return value::of_int(column_type::timestamptz, x * usecs_per_second - 5);
    case column_type::int4:
      return value::of_int(column_type::int4, -x);
    case column_type::int8:
      return value::of_int(column_type::int8, x << 40);
    case column_type::float8:
      return value::of_float(static_cast<double>(x) / 4);
    case column_type::boolean:
      return value::of_int(column_type::boolean, x & 1);
    case column_type::text:
      return value::of_text("s" + std::to_string(x % 5));
    case column_type::timestamp:
      return value::of_int(column_type::timestamp, x * usecs_per_minute + 7);
  }
  return value::null(column_type::int8);
}

column_batch int_text_batch(const std::vector<std::optional<int64_t>>& ints,
                            const std::vector<std::optional<std::string>>& texts) {
  const column_type types[] = {column_type::int8, column_type::text};
  column_batch b{types};
  for (size_t r = 0; r < ints.size(); ++r) {
    if (ints[r])
      b.append_int(0, *ints[r]);
    else
      b.append_null(0);
    if (texts[r])
      b.append_text(1, *texts[r]);
    else
      b.append_null(1);
    b.finish_row();
  }
  return b;
}

/// Column 0 of `b` as optionals, NULL = nullopt.
std::vector<std::optional<int64_t>> ints_of(const column_batch& b) {
  std::vector<std::optional<int64_t>> out;
  for (size_t r = 0; r < b.rows(); ++r) {
    value v = b.at(r, 0);
    out.push_back(v.is_null ? std::nullopt : std::optional<int64_t>{v.i});
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(column_batch_test)

BOOST_AUTO_TEST_CASE(append_at_view_round_trip_with_nulls) {
  column_batch b{all_types};
  const size_t rows = 1000; // several validity bytes, first NULL at row 0
  b.reserve(rows);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < all_types.size(); ++c)
      b.append_value(c, expected(r, c));
    b.finish_row();
  }
  BOOST_TEST(b.rows() == rows);
  BOOST_TEST(b.num_columns() == all_types.size());
  batch_view v = b.view();
  BOOST_TEST(v.rows == rows);
  BOOST_TEST_REQUIRE(v.columns.size() == all_types.size());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < all_types.size(); ++c) {
      value want = expected(r, c);
      BOOST_TEST_REQUIRE(b.at(r, c) == want);
      BOOST_TEST_REQUIRE(v.columns[c].at(r) == want);
      BOOST_TEST_REQUIRE(v.columns[c].valid(r) == !want.is_null);
      if (!want.is_null && is_integral(all_types[c]))
        BOOST_TEST_REQUIRE(v.columns[c].int_at(r) == want.i);
    }
  }
}

/// A batch of all types holding expected(r, c) for `rows` rows.
column_batch expected_batch(size_t rows) {
  column_batch b{all_types};
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < all_types.size(); ++c)
      b.append_value(c, expected(r, c));
    b.finish_row();
  }
  return b;
}

BOOST_AUTO_TEST_CASE(slices_hold_their_rows_with_nulls_and_text) {
  // What a large COPY is cut into: every row of every slice as it was.
  const size_t rows = 1003;
  column_batch b = expected_batch(rows);
  for (auto [begin, end] : {std::pair<size_t, size_t>{0, 1}, {5, 13}, {333, 1003}, {1000, 2000}}) {
    column_batch s = b.slice(begin, end);
    size_t want_rows = std::min(end, rows) - begin;
    BOOST_TEST_REQUIRE(s.rows() == want_rows);
    for (size_t r = 0; r < want_rows; ++r)
      for (size_t c = 0; c < all_types.size(); ++c)
        BOOST_TEST_REQUIRE(s.at(r, c) == expected(begin + r, c));
  }
  BOOST_TEST(b.slice(7, 7).rows() == 0u);
}

BOOST_AUTO_TEST_CASE(slices_append_back_into_a_cleared_batch) {
  // How raw rows travel: cut into pieces, each appended (from a batch or a
  // view of one) to a batch that was cleared and keeps its columns.
  const size_t rows = 700;
  column_batch b = expected_batch(rows);
  column_batch joined{all_types};
  joined.append_value(0, expected(0, 0)); // a row and a dictionary to clear
  for (size_t c = 1; c < all_types.size(); ++c)
    joined.append_null(c);
  joined.finish_row();
  joined.clear();
  BOOST_TEST(joined.rows() == 0u);
  BOOST_TEST(joined.num_columns() == all_types.size());
  column_batch piece = b.slice(0, 250);
  joined.append_batch(piece);
  joined.append_view(b.slice(250, 251).view());
  joined.append_view(b.slice(251, rows).view());
  BOOST_TEST_REQUIRE(joined.rows() == rows);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < all_types.size(); ++c)
      BOOST_TEST_REQUIRE(joined.at(r, c) == expected(r, c));
}

BOOST_AUTO_TEST_CASE(first_null_after_many_valid_rows) {
  // The validity bitmap is created lazily at the first NULL; every earlier
  // row must stay valid.
  const column_type types[] = {column_type::float8};
  column_batch b{types};
  for (int r = 0; r < 77; ++r) {
    b.append_float(0, r + 0.5);
    b.finish_row();
  }
  b.append_null(0);
  b.finish_row();
  b.append_float(0, -1);
  b.finish_row();
  batch_view v = b.view();
  BOOST_TEST(v.columns[0].validity != nullptr);
  for (int r = 0; r < 77; ++r)
    BOOST_TEST_REQUIRE(b.at(static_cast<size_t>(r), 0) == value::of_float(r + 0.5));
  BOOST_TEST(b.at(77, 0).is_null);
  BOOST_TEST(b.at(78, 0) == value::of_float(-1));
  // No NULL: no bitmap at all.
  column_batch dense{types};
  dense.append_float(0, 1);
  dense.finish_row();
  BOOST_TEST(dense.view().columns[0].validity == nullptr);
}

BOOST_AUTO_TEST_CASE(text_is_dictionary_encoded) {
  const column_type types[] = {column_type::text};
  column_batch b{types};
  const char* words[] = {"b", "a", "b", "", "a", "c", "b"};
  for (const char* w : words) {
    b.append_text(0, w);
    b.finish_row();
  }
  const auto& col = b.col(0);
  BOOST_TEST(col.dict.size() == 4u); // b, a, "", c
  BOOST_TEST(col.codes[0] == col.codes[2]);
  BOOST_TEST(col.codes[0] == col.codes[6]);
  BOOST_TEST(col.codes[1] == col.codes[4]);
  BOOST_TEST(col.codes[0] != col.codes[1]);
  batch_view v = b.view();
  for (size_t r = 0; r < std::size(words); ++r) {
    BOOST_TEST(v.columns[0].dict[v.columns[0].codes[r]] == words[r]);
    BOOST_TEST(b.at(r, 0) == value::of_text(words[r]));
  }
  // The empty string is a value, not NULL; a NULL stays NULL even though
  // its slot holds a valid code.
  b.append_null(0);
  b.finish_row();
  BOOST_TEST(!b.at(3, 0).is_null);
  BOOST_TEST(b.at(7, 0).is_null);
  BOOST_TEST(b.view().columns[0].codes[7] < b.col(0).dict.size());
}

BOOST_AUTO_TEST_CASE(top_n_ascending_nulls_last) {
  auto b = int_text_batch({5, std::nullopt, 1, 3, std::nullopt, 2, 4},
                          {"e", "n1", "a", "c", "n2", "b", "d"});
  top_n(b, {order_key{0, false, false}}, 4);
  BOOST_TEST(b.rows() == 4u);
  BOOST_TEST((ints_of(b) == std::vector<std::optional<int64_t>>{1, 2, 3, 4}));
  // The other columns travel with their rows.
  BOOST_TEST(b.at(0, 1) == value::of_text("a"));
  BOOST_TEST(b.at(3, 1) == value::of_text("d"));
}

BOOST_AUTO_TEST_CASE(top_n_nulls_first_and_descending) {
  std::vector<std::optional<int64_t>> xs = {5, std::nullopt, 1, 3, std::nullopt, 2, 4};
  std::vector<std::optional<std::string>> ts(xs.size(), std::string{"t"});
  using opt = std::vector<std::optional<int64_t>>;

  auto asc_nf = int_text_batch(xs, ts);
  top_n(asc_nf, {order_key{0, false, true}}, 3);
  BOOST_TEST((ints_of(asc_nf) == opt{std::nullopt, std::nullopt, 1}));

  // The nulls_first flag is absolute: DESC does not flip it (the planner
  // sets it to PostgreSQL's default of NULLS FIRST for DESC).
  auto desc_nf = int_text_batch(xs, ts);
  top_n(desc_nf, {order_key{0, true, true}}, 4);
  BOOST_TEST((ints_of(desc_nf) == opt{std::nullopt, std::nullopt, 5, 4}));

  auto desc_nl = int_text_batch(xs, ts);
  top_n(desc_nl, {order_key{0, true, false}}, -1);
  BOOST_TEST((ints_of(desc_nl) == opt{5, 4, 3, 2, 1, std::nullopt, std::nullopt}));

  // A limit beyond the row count keeps every row, sorted.
  auto all = int_text_batch(xs, ts);
  top_n(all, {order_key{0, false, false}}, 100);
  BOOST_TEST((ints_of(all) == opt{1, 2, 3, 4, 5, std::nullopt, std::nullopt}));

  auto none = int_text_batch(xs, ts);
  top_n(none, {order_key{0, false, false}}, 0);
  BOOST_TEST(none.rows() == 0u);
}

BOOST_AUTO_TEST_CASE(top_n_several_keys_and_text) {
  // ORDER BY text DESC NULLS LAST, int ASC.
  auto b = int_text_batch({1, 2, 3, 4, 5, 6},
                          {"x", "y", std::nullopt, "x", "y", "a"});
  top_n(b, {order_key{1, true, false}, order_key{0, false, false}}, -1);
  using opt = std::vector<std::optional<int64_t>>;
  BOOST_TEST((ints_of(b) == opt{2, 5, 1, 4, 6, 3}));
  BOOST_TEST(b.at(5, 1).is_null);
  // No order and a limit: the first rows.
  auto c = int_text_batch({1, 2, 3}, {"a", "b", "c"});
  top_n(c, {}, 2);
  BOOST_TEST((ints_of(c) == opt{1, 2}));
}

BOOST_AUTO_TEST_CASE(compare_values_orders_mixed_numbers) {
  BOOST_TEST(compare_values(value::of_int(column_type::int8, 1), value::of_float(1.5)) < 0);
  BOOST_TEST(compare_values(value::of_float(2), value::of_int(column_type::int4, 2)) == 0);
  BOOST_TEST(compare_values(value::of_int(column_type::int8, -3),
                            value::of_int(column_type::int8, -4)) > 0);
  BOOST_TEST(compare_values(value::of_text("ab"), value::of_text("b")) < 0);
  BOOST_TEST(compare_values(value::of_text("b"), value::of_text("b")) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(text_index_finds_every_string_and_only_those) {
  // Lengths around the hash's 8-byte words, the empty string, strings
  // that differ in one byte only, and enough of them to grow many times.
  std::vector<std::string> dict;
  for (int i = 0; i < 5000; ++i) {
    std::string s = "h" + std::to_string(i);
    s.resize(static_cast<size_t>(i % 19), 'x');
    s += std::to_string(i);
    dict.push_back(s);
  }
  dict.push_back("");
  text_index index;
  for (uint32_t c = 0; c < dict.size(); ++c)
    index.add(c, dict);
  BOOST_TEST(index.size() == dict.size());
  for (uint32_t c = 0; c < dict.size(); ++c)
    BOOST_TEST_REQUIRE(index.find(dict[c], dict) == static_cast<int64_t>(c));
  BOOST_TEST(index.find("h5000", dict) == -1);
  BOOST_TEST(index.find(std::string(40, 'x'), dict) == -1);
  index.clear();
  BOOST_TEST(index.find(dict[0], dict) == -1);
}

BOOST_AUTO_TEST_CASE(text_appends_in_runs_and_cycles_keep_one_code_per_value) {
  // Series arrive grouped (a host's rows together) or once per tick in the
  // same order; the dictionary must hold each value once either way, and
  // every row must read back its own value.
  std::vector<std::string> want;
  for (int tick = 0; tick < 5; ++tick)
    for (int h = 0; h < 40; ++h)
      want.push_back("host_" + std::to_string(h));
  for (int h = 0; h < 40; ++h)
    for (int run = 0; run < 3; ++run)
      want.push_back("host_" + std::to_string(h));
  want.push_back("host_4");  // out of order
  want.push_back("host_41"); // new, after the last code
  want.push_back("host_5");
  column_batch b{std::vector<column_type>{column_type::text}};
  for (const auto& s : want) {
    b.append_text(0, s);
    b.finish_row();
  }
  BOOST_TEST(b.col(0).dict.size() == 41u);
  for (size_t r = 0; r < want.size(); ++r)
    BOOST_TEST_REQUIRE(b.at(r, 0).s == want[r]);
}
