// GET /v1/tokens/{token}/series: a token's holders, supply and activity
// over time, one item per step of blocks or per UTC period (api/series.hpp),
// from its token_blocks rows (two seeks an item), its transfers in the range
// (senders, receivers, new and gone holders) and, on request, a distribution
// per item.

#include <algorithm>

#include "api/analytics_routes.hpp"
#include "api/rows.hpp"
#include "api/series_request.hpp"
#include "common/hex.hpp"

namespace erc20::api {

namespace {

/// The most transfers the activity figures of one series read, and the most
/// holder rows its distributions walk.
constexpr uint64_t kMaxSeriesTransfers = 250'000;
constexpr uint64_t kMaxSeriesHolders = 10'000'000;

OrError<SeriesRequest> parse_request(const Call& c) {
    auto parsed = parse_series_request(c, c.stats->first_block);
    if (failed(parsed)) return parsed;
    SeriesRequest& r = std::get<SeriesRequest>(parsed);
    auto distribution = c.q.flag("distribution");
    if (failed(distribution)) return std::get<ApiError>(distribution);
    r.distribution = std::get<bool>(distribution);
    if (c.q.get("activity")) {
        auto activity = c.q.flag("activity");
        if (failed(activity)) return std::get<ApiError>(activity);
        r.activity = std::get<bool>(activity);
    }
    return parsed;
}

// Each item's stats at its start (the end of the block before) and its end.
struct ItemStats {
    storage::TokenStats before;
    storage::TokenStats end;
};

std::vector<ItemStats> item_stats(const storage::View& v, const Address& token,
                                  const std::vector<Span>& spans) {
    std::vector<BlockNum> blocks;
    blocks.reserve(spans.size() + 1);
    const bool from_genesis = spans.front().first == 0;
    if (!from_genesis) blocks.push_back(spans.front().first - 1);
    for (const Span& s : spans) blocks.push_back(s.last);
    const auto stats = v.token_stats_at(token, blocks);
    std::vector<ItemStats> out;
    storage::TokenStats before =
        from_genesis ? storage::TokenStats{} : stats[0].value_or(storage::TokenStats{});
    for (size_t i = 0; i < spans.size(); ++i) {
        const auto end = stats[i + (from_genesis ? 0 : 1)].value_or(storage::TokenStats{});
        out.push_back(ItemStats{before, end});
        before = end;
    }
    return out;
}

Columns series_columns(const SeriesRequest& r) {
    Columns c{"block", "timestamp", "start_block"};
    if (r.period) c.push_back("period_start");
    for (auto k : {"holders", "indexed_supply", "minted", "burned", "transfers"}) c.push_back(k);
    if (r.activity)
        for (auto k : {"senders", "receivers", "new_holders", "gone_holders"}) c.push_back(k);
    if (r.distribution)
        for (auto k : {"top10_share", "gini", "nakamoto", "hhi"}) c.push_back(k);
    return c;
}

// The bounds a request's reads must keep: refused before reading.
std::optional<ApiError> over_bounds(const SeriesRequest& r, const std::vector<ItemStats>& stats) {
    uint64_t transfers = 0, holders = 0;
    for (const auto& s : stats) {
        transfers += s.end.transfers - s.before.transfers;
        holders += s.end.holders;
    }
    if (r.activity && transfers > kMaxSeriesTransfers) {
        return bad_request("range_too_large",
                           "the items hold " + std::to_string(transfers) +
                               " transfers of this token, more than the " +
                               std::to_string(kMaxSeriesTransfers) +
                               " a series reads for senders, receivers, new_holders and "
                               "gone_holders: ask for fewer blocks, or activity=false");
    }
    if (r.distribution && holders > kMaxSeriesHolders) {
        return bad_request("range_too_large",
                           "distribution=true would walk " + std::to_string(holders) +
                               " holders (the items' holders summed), more than the " +
                               std::to_string(kMaxSeriesHolders) +
                               " a series walks: ask for fewer items");
    }
    return std::nullopt;
}

Row item_row(Call& c, const SeriesRequest& r, const Span& span, const ItemStats& s,
             std::optional<uint64_t> timestamp) {
    const Address& token = c.addrs[0];
    Row row{{"block", span.last},
            {"timestamp", timestamp ? Field(*timestamp) : Field()},
            {"start_block", span.first}};
    if (r.period) row.emplace_back("period_start", *span.period_start);
    row.emplace_back("holders", s.end.holders);
    row.emplace_back("indexed_supply", to_dec_string(Balance(s.end.minted - s.end.burned)));
    row.emplace_back("minted", to_dec_string(Balance(s.end.minted - s.before.minted)));
    row.emplace_back("burned", to_dec_string(Balance(s.end.burned - s.before.burned)));
    const uint64_t transfers = s.end.transfers - s.before.transfers;
    row.emplace_back("transfers", transfers);
    if (r.activity) {
        storage::View::Activity a;
        if (transfers > 0)
            a = c.view->activity(token, span.first, span.last, transfers).value_or(a);
        row.emplace_back("senders", a.senders);
        row.emplace_back("receivers", a.receivers);
        row.emplace_back("new_holders", a.new_holders);
        row.emplace_back("gone_holders", a.gone_holders);
    }
    if (r.distribution) {
        const auto at = span.last == c.head->block_num ? std::nullopt : std::optional(span.last);
        const auto d = c.caches.distribution(*c.view, token, at, {}, {});
        const auto& k = d->concentration;
        row.emplace_back("top10_share", k ? Field(k->top10_share) : Field());
        row.emplace_back("gini", k ? Field(k->gini) : Field());
        row.emplace_back("nakamoto", k ? Field(k->nakamoto) : Field());
        row.emplace_back("hhi", k ? Field(k->hhi) : Field());
    }
    return row;
}

}  // namespace

Response serve_token_series(Call& c) {
    SeriesRoute route;
    route.parse = [&c] { return parse_request(c); };
    route.rows = [&c](const SeriesRequest& r,
                      const std::vector<Span>& items) -> OrError<std::vector<Row>> {
        std::vector<Row> rows;
        rows.reserve(items.size());
        const auto stats = item_stats(*c.view, c.addrs[0], items);
        if (auto e = over_bounds(r, stats)) return *e;
        const auto times = c.view->times_at(span_lasts(items));
        for (size_t i = 0; i < items.size(); ++i)
            rows.push_back(item_row(c, r, items[i], stats[i], times[i]));
        return rows;
    };
    route.columns = series_columns;
    route.subject = [&c](JsonWriter& w) { w.field("token", to_hex(c.addrs[0])); };
    return serve_series(c, route);
}

}  // namespace erc20::api
