#include "api/series_request.hpp"

#include "api/export_format.hpp"

namespace erc20::api {

namespace {

OrError<SeriesRequest> parse_blocks(const Call& c, BlockNum default_from) {
    SeriesRequest r;
    auto range = c.block_range();
    if (failed(range)) return std::get<ApiError>(range);
    r.from = c.q.get("from_block") ? std::get<0>(range).first : default_from;
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

Response series_answer(Call& c, const SeriesRequest& r, const std::string& format,
                       const Columns& columns, const std::vector<Row>& rows,
                       const std::string& etag, const std::function<void(JsonWriter&)>& subject) {
    if (auto exported = export_format(format)) {
        ExportWriter writer(*exported, columns);
        std::string body;
        writer.head(body);
        writer.rows(body, rows);
        writer.tail(body);
        Response out{200, std::move(body), std::string(content_type(*exported))};
        out.etag = etag;
        out.headers.emplace_back("Content-Disposition",
                                 c.attachment(std::nullopt, file_extension(*exported)));
        return c.with_route(std::move(out));
    }
    JsonWriter w;
    w.begin_object();
    w.field("block", c.head->block_num);
    if (subject) subject(w);
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

// The spans of the request's items, or too_many_items over its bound
// (counted before any span is read).
OrError<std::vector<Span>> series_spans(const storage::View& v, const SeriesRequest& r) {
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

}  // namespace

OrError<SeriesRequest> parse_series_request(const Call& c, BlockNum default_from) {
    auto parsed = parse_blocks(c, default_from);
    if (failed(parsed)) return parsed;
    SeriesRequest& r = std::get<SeriesRequest>(parsed);
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
    return parsed;
}

std::vector<BlockNum> span_lasts(const std::vector<Span>& spans) {
    std::vector<BlockNum> lasts;
    lasts.reserve(spans.size());
    for (const Span& s : spans) lasts.push_back(s.last);
    return lasts;
}

Response serve_series(Call& c, const SeriesRoute& route) {
    auto format = c.q.choice("format", {"json", "ndjson", "csv", "table"}, "json");
    if (failed(format)) return c.fail(std::get<ApiError>(format));
    auto parsed = route.parse();
    if (failed(parsed)) return c.fail(std::get<ApiError>(parsed));
    const SeriesRequest& r = std::get<SeriesRequest>(parsed);
    const std::string etag = c.validator(*c.view);
    if (auto r304 = c.not_modified(etag)) return *r304;
    auto spans = series_spans(*c.view, r);
    if (failed(spans)) return c.fail(std::get<ApiError>(spans));
    const auto& items = std::get<std::vector<Span>>(spans);
    std::vector<Row> rows;
    if (!items.empty()) {
        auto made = route.rows(r, items);
        if (failed(made)) return c.fail(std::get<ApiError>(made));
        rows = std::move(std::get<std::vector<Row>>(made));
    }
    return series_answer(c, r, std::get<std::string>(format), route.columns(r), rows, etag,
                         route.subject);
}

}  // namespace erc20::api
