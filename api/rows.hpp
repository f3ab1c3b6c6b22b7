#pragma once
// Row rendering: the items of every list (and the single-token answer) are
// flat rows that render as a JSON object, an NDJSON line or a CSV row, with
// the columns in one order for all three.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api/json.hpp"
#include "api/labels.hpp"
#include "storage/store.hpp"

namespace erc20::api {

/// A cell: null, a string, an integer or a double.
using Field = std::variant<std::monostate, std::string, uint64_t, double>;
using Row = std::vector<std::pair<std::string_view, Field>>;
using Columns = std::vector<std::string_view>;

/// The columns (item keys, in order: the CSV header) of each list.
extern const Columns kTokenColumns;
extern const Columns kHolderColumns;
extern const Columns kTransferColumns;
extern const Columns kBalanceColumns;
extern const Columns kBalanceChangeColumns;

/// The row as one JSON object.
void write_row(JsonWriter& w, const Row& row);
/// The row as one NDJSON line (a JSON object and '\n').
void append_ndjson_row(std::string& out, const Row& row);
/// The row as one CSV line (RFC 4180: quoted when needed, CRLF; null is empty).
void append_csv_row(std::string& out, const Row& row);
/// The CSV header line of `columns`.
void append_csv_header(std::string& out, const Columns& columns);

/// A token's summary; `circulating` is circulating_supply's figure.
Row token_row(const Address& token, const storage::TokenStats& s,
              const std::optional<storage::TokenMeta>& meta, const Balance& circulating);
/// A holder with its label and category (null when it has none).
Row holder_row(const Address& holder, const Balance& balance, const Label* label);

/// indexed_supply (from `s`) minus the positive balances, at the end of
/// `block` (none: now), of the token's addresses whose label is in a
/// non-circulating category: one balance read per such address.
Balance circulating_supply(const storage::View& v, const Labels::Snapshot& labels,
                           const Address& token, const storage::TokenStats& s,
                           std::optional<BlockNum> block);

/// Block timestamps of one page: transfers of a page mostly share blocks.
class BlockTimes {
  public:
    explicit BlockTimes(const storage::View& view) : view_(view) {}
    std::optional<uint64_t> at(BlockNum block_num);

  private:
    const storage::View& view_;
    std::optional<std::pair<BlockNum, std::optional<uint64_t>>> last_;
};

Row transfer_row(const storage::Transfer& t, BlockTimes& times);
/// An account's balance at the end of a block where it changed.
Row balance_change_row(const storage::View::BalanceChange& c, BlockTimes& times);

}  // namespace erc20::api
