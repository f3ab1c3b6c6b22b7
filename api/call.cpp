#include "api/call.hpp"

#include <cstdio>

#include "api/answer_headers.hpp"
#include "api/rows.hpp"
#include "common/hex.hpp"

namespace erc20::api {
namespace {

std::string quoted_hex64(uint64_t h) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
    return buf;
}

std::string etag_of(std::string_view body) {
    // libstdc++'s string hash (MurmurHash2, 8 bytes a step): a body's
    // fingerprint, not a security boundary.
    return quoted_hex64(std::hash<std::string_view>{}(body) ^ (uint64_t{body.size()} << 48));
}

bool etag_matches(std::string_view if_none_match, const std::string& etag) {
    if (if_none_match.empty()) return false;
    if (if_none_match == "*") return true;
    return if_none_match.find(etag) != std::string_view::npos;
}

}  // namespace

Response Call::with_route(Response r) const {
    r.route = std::string(route);
    return r;
}

std::string Call::validator(const storage::View& v) const {
    std::string request_key(route);
    for (const auto& a : addrs) request_key += '\0' + to_hex(a);
    for (const auto& [k, value] : q.all()) {
        request_key += '\0';
        request_key += k;
        request_key += '=';
        request_key += value;
    }
    // Labels name holders and move circulating_supply: a reload makes new validators.
    request_key += '\0';
    request_key += "labels=" + std::to_string(labels.generation);
    return quoted_hex64(pins.hash_of(Pins::state_key(v) + '\0' + request_key));
}

Balance Call::circulating_supply(const storage::TokenStats& s,
                                 std::optional<BlockNum> block) const {
    return api::circulating_supply(*view, labels, addrs[0], s, block);
}

std::optional<Response> Call::not_modified(const std::string& etag) const {
    if (!etag_matches(request.if_none_match, etag)) return std::nullopt;
    Response r{304, ""};
    r.etag = etag;
    return with_route(std::move(r));
}

Response Call::finish(JsonWriter& w, std::string etag) const {
    Response r{200, w.take()};
    r.etag = etag.empty() ? etag_of(r.body) : std::move(etag);
    if (etag_matches(request.if_none_match, r.etag)) {
        r.status = 304;
        r.body.clear();
    }
    return with_route(std::move(r));
}

std::string Call::attachment(std::optional<BlockNum> block, std::string_view format) const {
    return export_disposition(route, addrs, block.value_or(head ? head->block_num : 0), format);
}

OrError<std::optional<BlockNum>> Call::past_block() const {
    auto b = q.block_num("block");
    if (failed(b)) return b;
    const auto block = std::get<0>(b);
    if (block && *block > head->block_num) {
        return bad_request("block_out_of_range", "block " + std::to_string(*block) +
                                                     " is above the indexed head " +
                                                     std::to_string(head->block_num));
    }
    return block;
}

OrError<std::pair<BlockNum, BlockNum>> Call::block_range() const {
    auto f = q.block_num("from_block");
    if (failed(f)) return std::get<ApiError>(std::move(f));
    auto t = q.block_num("to_block");
    if (failed(t)) return std::get<ApiError>(std::move(t));
    const BlockNum from = std::get<0>(f).value_or(0);
    const BlockNum to = std::get<0>(t).value_or(~BlockNum{0});
    if (from > to) return bad_request("bad_range", "from_block is above to_block");
    return std::make_pair(from, to);
}

void write_block(JsonWriter& w, const storage::View& v) {
    auto c = v.cursor();
    if (c) w.field("block", c->block_num);
    else
        w.field_null("block");
}

}  // namespace erc20::api
