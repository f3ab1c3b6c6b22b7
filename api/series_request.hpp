#pragma once
// Internal to api/: what the two series routes (series_route.cpp and
// chain_series_route.cpp) share: the request (blocks, step or period, the
// bound on items) and the steps of an answer, from the format to the rows.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/call.hpp"
#include "api/rows.hpp"
#include "api/series.hpp"

namespace erc20::api {

struct SeriesRequest {
    BlockNum from{0};
    BlockNum to{0};
    std::optional<uint64_t> step;
    std::optional<Period> period;
    bool activity{true};       // token series: senders, receivers, new and gone holders
    bool distribution{false};  // token series: a distribution per item
    [[nodiscard]] uint64_t max_items() const {
        return distribution ? kMaxSeriesDistributionItems : kMaxSeriesItems;
    }
};

/// from_block (default `default_from`), to_block (default the head), and
/// one of step and period, each checked.
[[nodiscard]] OrError<SeriesRequest> parse_series_request(const Call& c, BlockNum default_from);

/// The items' last blocks, for View::times_at.
[[nodiscard]] std::vector<BlockNum> span_lasts(const std::vector<Span>& spans);

/// What a series route adds to the steps series routes share.
struct SeriesRoute {
    std::function<OrError<SeriesRequest>()> parse;  // parse_series_request and its own parameters
    /// The items' rows, or a refusal (a bound). Called only with items.
    std::function<OrError<std::vector<Row>>(const SeriesRequest&, const std::vector<Span>&)> rows;
    std::function<Columns(const SeriesRequest&)> columns;  // of ndjson and csv
    std::function<void(JsonWriter&)> subject;  // fields before the range (a token series' token)
};

/// A series answer: `format` (json, ndjson, csv), the request, the validator
/// and a 304, the spans, the rows, the answer in the format.
[[nodiscard]] Response serve_series(Call& c, const SeriesRoute& route);

}  // namespace erc20::api
