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
    SeriesRoute route;
    route.parse = [&c] {
        const BlockNum head = c.head->block_num;
        return parse_series_request(c,
                                    std::min(c.view->first_transfer_block().value_or(head), head));
    };
    route.rows = [&c](const SeriesRequest& r,
                      const std::vector<Span>& items) -> OrError<std::vector<Row>> {
        return chain_series_rows(c, r, items);
    };
    route.columns = chain_series_columns;
    return serve_series(c, route);
}

}  // namespace erc20::api
