#pragma once
// ?columns= of list answers: which columns a page's items, an NDJSON line or
// a CSV row carry, in which order. A list has its own columns (the default)
// and may offer extras computed per row:
//   token     the route's token (holders, an account's history of one token)
//   symbol    the token's symbol, null when unknown
//   decimals  the token's decimals, null when unknown
//   amount    balance or value in whole tokens, an exact decimal string
//             ("1234.5" for 1234500 raw units of a 3-decimals token), null
//             when decimals are unknown
//   time      timestamp as ISO 8601 UTC ("2023-11-14T22:13:20Z")

#include <map>
#include <optional>
#include <string>

#include "api/query.hpp"
#include "api/rows.hpp"

namespace erc20::api {

/// The extras a list offers, by kind of row.
extern const Columns kHolderExtras;         // token symbol decimals amount
extern const Columns kTransferExtras;       // symbol decimals amount time
extern const Columns kBalanceExtras;        // symbol decimals amount
extern const Columns kBalanceChangeExtras;  // token symbol decimals amount time

struct ColumnPlan {
    Columns shown;        // in order: the CSV header
    bool as_built{true};  // shown is the list's own columns: rows go out unchanged
};

/// ?columns=a,b,...: names from `own` and `extras`, each once; none given:
/// `own`. A 400 bad_columns names an unknown or repeated column and lists the
/// ones the list has.
[[nodiscard]] OrError<ColumnPlan> plan_columns(const Query& q, const Columns& own,
                                               const Columns& extras);

/// `raw` (an integer in decimal, maybe negative) divided by 10^decimals, exactly:
/// trailing fractional zeros dropped ("1500", 3 -> "1.5"; "-7", 2 -> "-0.07").
[[nodiscard]] std::string scaled_decimal(std::string_view raw, unsigned decimals);

/// Unix seconds as "YYYY-MM-DDTHH:MM:SSZ".
[[nodiscard]] std::string iso8601_utc(uint64_t unix_seconds);

/// Rows of one page or export chunk, in the plan's columns. Token metadata is
/// read once per token and page.
class RowShaper {
  public:
    RowShaper(const ColumnPlan& plan, const storage::View& view, std::optional<Address> subject)
        : plan_(plan), view_(view), subject_(subject) {}

    [[nodiscard]] Row shape(Row row);

  private:
    const std::optional<storage::TokenMeta>& meta_of(const std::string& token_hex);
    Field extra(std::string_view column, const Row& row);

    const ColumnPlan& plan_;
    const storage::View& view_;
    std::optional<Address> subject_;
    std::map<std::string, std::optional<storage::TokenMeta>> metas_;
};

}  // namespace erc20::api
