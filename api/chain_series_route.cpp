// GET /v1/series: the whole chain's tokens and transfers over time, one item
// per step of blocks or per UTC period (api/series.hpp), from the
// chain_activity rows tiling each item (View::chain_counts): a bounded
// number of point reads an item, however long the history.

#include "api/analytics_routes.hpp"
#include "api/series_request.hpp"

namespace erc20::api {

namespace {

Columns chain_series_columns(const SeriesRequest& r) {
    Columns c{"block", "timestamp", "start_block"};
    if (r.period) c.push_back("period_start");
    for (auto k : {"tokens", "active_tokens", "transfers"}) c.push_back(k);
    return c;
}

std::vector<Row> chain_series_rows(const Call& c, const SeriesRequest& r,
                                   const std::vector<Span>& items) {
    std::vector<std::pair<BlockNum, BlockNum>> spans;
    spans.reserve(items.size());
    for (const Span& s : items) spans.emplace_back(s.first, s.last);
    const auto counts = c.view->chain_counts(spans);
    const auto times = c.view->times_at(span_lasts(items));
    std::vector<Row> rows;
    rows.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
        Row row{{"block", items[i].last},
                {"timestamp", times[i] ? Field(*times[i]) : Field()},
                {"start_block", items[i].first}};
        if (r.period) row.emplace_back("period_start", *items[i].period_start);
        row.emplace_back("tokens", counts[i].tokens);
        row.emplace_back("active_tokens", counts[i].active_tokens);
        row.emplace_back("transfers", counts[i].transfers);
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace

Response serve_chain_series(Call& c) {
    auto format = c.q.choice("format", {"json", "ndjson", "csv"}, "json");
    if (failed(format)) return c.fail(std::get<ApiError>(format));
    const BlockNum first = c.view->first_transfer_block().value_or(c.head->block_num);
    auto parsed = parse_series_request(c, std::min(first, c.head->block_num));
    if (failed(parsed)) return c.fail(std::get<ApiError>(parsed));
    const SeriesRequest& r = std::get<SeriesRequest>(parsed);
    const std::string etag = c.validator(*c.view);
    if (auto r304 = c.not_modified(etag)) return *r304;
    auto spans = series_spans(*c.view, r);
    if (failed(spans)) return c.fail(std::get<ApiError>(spans));
    const auto& items = std::get<std::vector<Span>>(spans);
    const std::vector<Row> rows =
        items.empty() ? std::vector<Row>{} : chain_series_rows(c, r, items);
    return series_answer(c, r, std::get<std::string>(format), chain_series_columns(r), rows, etag,
                         {});
}

}  // namespace erc20::api
