// GET /v1/tokens/{token}/series: a token's holders, supply and activity
// over time, one item per step of blocks or per UTC period (api/series.hpp),
// from its token_blocks rows (two seeks an item), its transfers in the range
// (senders, receivers, new and gone holders) and, on request, a distribution
// per item.

#include <algorithm>

#include "api/analytics_routes.hpp"
#include "api/rows.hpp"
#include "api/series.hpp"
#include "common/hex.hpp"

namespace erc20::api {

namespace {

/// The most transfers the activity figures of one series read, and the most
/// holder rows its distributions walk.
constexpr uint64_t kMaxSeriesTransfers = 250'000;
constexpr uint64_t kMaxSeriesHolders = 10'000'000;

struct SeriesRequest {
    BlockNum from{0};
    BlockNum to{0};
    std::optional<uint64_t> step;
    std::optional<Period> period;
    bool activity{true};
    bool distribution{false};
    uint64_t max_items() const {
        return distribution ? kMaxSeriesDistributionItems : kMaxSeriesItems;
    }
};

OrError<SeriesRequest> parse_request(const Call& c) {
    SeriesRequest r;
    auto range = c.block_range();
    if (failed(range)) return std::get<ApiError>(range);
    r.from = c.q.get("from_block") ? std::get<0>(range).first : c.stats->first_block;
    r.to = c.q.get("to_block") ? std::get<0>(range).second : c.head->block_num;
    if (r.to > c.head->block_num) {
        return bad_request("block_out_of_range", "to_block " + std::to_string(r.to) +
                                                     " is above the indexed head " +
                                                     std::to_string(c.head->block_num));
    }
    if (r.from > r.to) {
        return bad_request("bad_range", "from_block " + std::to_string(r.from) +
                                            " is above to_block " + std::to_string(r.to));
    }
    auto step = c.q.integer("step", 1, ~uint64_t{0});
    if (failed(step)) return std::get<ApiError>(step);
    r.step = std::get<0>(step);
    if (c.q.get("period")) {
        auto period = c.q.choice("period", {"hour", "day", "week"}, "day");
        if (failed(period)) return std::get<ApiError>(period);
        const std::string& p = std::get<std::string>(period);
        r.period = p == "hour" ? Period::kHour : p == "day" ? Period::kDay : Period::kWeek;
    }
    if (r.step.has_value() == r.period.has_value()) {
        return bad_request("bad_parameter",
                           "give one of step=N (blocks per item) and period=hour|day|week");
    }
    auto distribution = c.q.flag("distribution");
    if (failed(distribution)) return std::get<ApiError>(distribution);
    r.distribution = std::get<bool>(distribution);
    if (c.q.get("activity")) {
        auto activity = c.q.flag("activity");
        if (failed(activity)) return std::get<ApiError>(activity);
        r.activity = std::get<bool>(activity);
    }
    return r;
}

ApiError too_many_items(const SeriesRequest& r, std::optional<uint64_t> count) {
    std::string what = r.step ? "step=" + std::to_string(*r.step)
                              : "period=" + std::string(period_name(*r.period));
    return bad_request(
        "too_many_items",
        what + " over blocks " + std::to_string(r.from) + " to " + std::to_string(r.to) +
            " makes " +
            (count ? std::to_string(*count) : "more than " + std::to_string(r.max_items())) +
            " items; a series has at most " + std::to_string(r.max_items()) +
            (r.distribution ? " with distribution=true" : "") +
            ": ask for a longer step or period, or fewer blocks");
}

OrError<std::vector<Span>> spans_of(const storage::View& v, const SeriesRequest& r) {
    if (r.step) {
        const uint64_t n = step_count(r.from, r.to, *r.step);
        if (n > r.max_items()) return too_many_items(r, n);
        return step_spans(r.from, r.to, *r.step);
    }
    // Blocks before the first indexed one have no time and hold no transfer.
    const auto first_timed = v.first_timed_block();
    if (!first_timed || *first_timed > r.to) return std::vector<Span>{};
    const BlockClock clock{
        [&v](BlockNum b) { return v.times_at({b}).front().value_or(0); },
        [&v](BlockNum lo, BlockNum hi, uint64_t t) { return v.last_block_before(lo, hi, t); }};
    auto spans =
        period_spans(std::max(r.from, *first_timed), r.to, *r.period, r.max_items(), clock);
    if (!spans) return too_many_items(r, std::nullopt);
    return std::move(*spans);
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

Response series_answer(Call& c, const SeriesRequest& r, const std::string& format,
                       const std::vector<Row>& rows, const std::string& etag) {
    if (format != "json") {
        const bool csv = format == "csv";
        std::string body;
        if (csv) append_csv_header(body, series_columns(r));
        append_rows(body, rows, csv);
        Response out{200, std::move(body),
                     csv ? "text/csv; charset=utf-8" : "application/x-ndjson"};
        out.etag = etag;
        return c.with_route(std::move(out));
    }
    JsonWriter w;
    w.begin_object();
    w.field("block", c.head->block_num).field("token", to_hex(c.addrs[0]));
    w.field("from_block", r.from).field("to_block", r.to);
    if (r.step) w.field("step", *r.step);
    else
        w.field("period", std::string(period_name(*r.period)));
    w.key("items").begin_array();
    for (const auto& row : rows) write_row(w, row);
    w.end_array();
    w.end_object();
    return c.finish(w, etag);
}

}  // namespace

Response serve_token_series(Call& c) {
    auto format = c.q.choice("format", {"json", "ndjson", "csv"}, "json");
    if (failed(format)) return c.fail(std::get<ApiError>(format));
    auto parsed = parse_request(c);
    if (failed(parsed)) return c.fail(std::get<ApiError>(parsed));
    const SeriesRequest& r = std::get<SeriesRequest>(parsed);
    const std::string etag = c.validator(*c.view);
    if (auto r304 = c.not_modified(etag)) return *r304;
    auto spans = spans_of(*c.view, r);
    if (failed(spans)) return c.fail(std::get<ApiError>(spans));
    const auto& items = std::get<std::vector<Span>>(spans);
    std::vector<Row> rows;
    rows.reserve(items.size());
    if (!items.empty()) {
        const auto stats = item_stats(*c.view, c.addrs[0], items);
        if (auto e = over_bounds(r, stats)) return c.fail(*e);
        std::vector<BlockNum> lasts;
        lasts.reserve(items.size());
        for (const Span& s : items) lasts.push_back(s.last);
        const auto times = c.view->times_at(lasts);
        for (size_t i = 0; i < items.size(); ++i)
            rows.push_back(item_row(c, r, items[i], stats[i], times[i]));
    }
    return series_answer(c, r, std::get<std::string>(format), rows, etag);
}

}  // namespace erc20::api
