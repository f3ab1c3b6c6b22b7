#pragma once
// Internal to api/: what the two series routes (series_route.cpp and
// chain_series_route.cpp) share: the request's blocks, its step or period,
// the bound on items, and the spans of its items (series.hpp).

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

/// The spans of the request's items, or too_many_items over its bound
/// (counted before any span is read).
[[nodiscard]] OrError<std::vector<Span>> series_spans(const storage::View& v,
                                                      const SeriesRequest& r);

/// The items' last blocks, for View::times_at.
[[nodiscard]] std::vector<BlockNum> span_lasts(const std::vector<Span>& spans);

/// A series answer in `format` (json, ndjson, csv) of `rows`, whose columns
/// are `columns`; `subject` adds its fields to the JSON object before the
/// range (the token of a token series).
[[nodiscard]] Response series_answer(Call& c, const SeriesRequest& r, const std::string& format,
                                     const Columns& columns, const std::vector<Row>& rows,
                                     const std::string& etag,
                                     const std::function<void(JsonWriter&)>& subject);

}  // namespace erc20::api
