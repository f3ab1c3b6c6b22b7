#include "api/paging.hpp"

#include "api/answer_headers.hpp"
#include "api/columns.hpp"
#include "api/export_format.hpp"

#include "common/endian.hpp"
#include "common/hex.hpp"

namespace erc20::api {
namespace {

struct ExportState {
    std::shared_ptr<const storage::View> view;
    std::optional<Position> position;
    ExportWriter writer;
    bool started = false;
    bool done = false;
};

// ?format=ndjson, csv or table: the whole list, read kExportPage items at a time.
Response export_answer(const Call& call, const ListSpec& spec, const ColumnPlan& plan,
                       ExportFormat fmt, std::string_view name) {
    if (call.q.get("limit") || call.q.get("cursor")) {
        return call.fail(bad_request(
            "bad_parameter", "limit and cursor do not apply to format=" + std::string(name) +
                                 ", which streams the whole list"));
    }
    const std::string etag = call.validator(*call.view);
    if (auto r304 = call.not_modified(etag)) return *r304;
    auto st = std::make_shared<ExportState>(
        ExportState{call.view, std::nullopt, ExportWriter(fmt, plan.shown)});
    Response r{200, "", std::string(content_type(fmt))};
    r.etag = etag;
    r.headers.emplace_back("Content-Disposition", call.attachment(spec.block, file_extension(fmt)));
    r.stream = [st, spec, plan](std::string& out) {
        if (st->done) return false;
        Page page = spec.pager(*st->view, st->position, kExportPage);
        if (!st->started) st->writer.head(out);
        st->started = true;
        RowShaper shaper(plan, *st->view, spec.subject);
        for (auto& row : page.rows) row = shaper.shape(std::move(row));
        st->writer.rows(out, page.rows);
        st->done = !page.next;
        st->position = std::move(page.next);
        if (st->done) st->writer.tail(out);
        return !st->done;
    };
    return call.with_route(std::move(r));
}

// ?format=json: one page, from the walk's pinned snapshot.
Response page_answer(const Call& call, const ListSpec& spec, const ColumnPlan& plan, size_t limit) {
    std::shared_ptr<const storage::View> view;
    std::optional<uint64_t> pin_id;
    std::optional<Position> position;
    if (const std::string* c = call.q.get("cursor")) {
        auto decoded = decode_cursor(*c, spec.positions);
        if (!decoded) return call.fail(bad_cursor());
        position = std::move(decoded->second);
        view = call.pins.find(decoded->first);
        if (view) pin_id = decoded->first;
        else
            view = call.view;  // an expired pin continues on the current snapshot from the same
                               // position
    } else {
        std::tie(pin_id, view) = call.pins.for_state(call.view);
    }
    const std::string etag = call.validator(*view);
    if (auto r304 = call.not_modified(etag)) return *r304;
    Page page = spec.pager(*view, position, limit);
    JsonWriter w;
    w.begin_object();
    if (spec.block) w.field("block", *spec.block);
    else
        write_block(w, *view);
    if (spec.extra) spec.extra(w, *view);
    w.key("items").begin_array();
    RowShaper shaper(plan, *view, spec.subject);
    for (auto& row : page.rows) write_row(w, shaper.shape(std::move(row)));
    w.end_array();
    if (!page.next) {
        w.field_null("next_cursor");
    } else {
        // A walk whose pin expired carries on from a pin of the current snapshot.
        if (!pin_id) pin_id = call.pins.for_state(view).first;
        w.field("next_cursor", encode_cursor(*pin_id, *page.next));
    }
    w.end_object();
    Response r = call.finish(w, etag);
    if (auto head = view->cursor()) stamp_indexed(r, *head);  // a walk's pinned snapshot
    return r;
}

}  // namespace

std::string encode_cursor(uint64_t pin_id, const Position& position) {
    std::string raw;
    append_be64(raw, pin_id);
    raw += position.encode();
    return to_hex(
               std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()))
        .substr(2);
}

std::optional<std::pair<uint64_t, Position>> decode_cursor(const std::string& cursor,
                                                           PositionKind kind) {
    auto raw = parse_hex_digits(cursor);
    if (!raw || raw->size() < 9) return std::nullopt;
    const std::string bytes(raw->begin() + 8, raw->end());
    auto position = Position::decode(kind, bytes);
    if (!position) return std::nullopt;
    return std::make_pair(load_be64(raw->data()), std::move(*position));
}

Response list_answer(const Call& call, const ListSpec& spec) {
    auto format = call.q.choice("format", {"json", "ndjson", "csv", "table"}, "json");
    if (failed(format)) return call.fail(std::get<ApiError>(format));
    const std::string& fmt = std::get<std::string>(format);
    auto plan = plan_columns(call.q, spec.columns, spec.extras);
    if (failed(plan)) return call.fail(std::get<ApiError>(plan));
    if (auto exported = export_format(fmt))
        return export_answer(call, spec, std::get<ColumnPlan>(plan), *exported, fmt);
    auto limit = call.q.limit();
    if (failed(limit)) return call.fail(std::get<ApiError>(limit));
    return page_answer(call, spec, std::get<ColumnPlan>(plan), std::get<size_t>(limit));
}

}  // namespace erc20::api
