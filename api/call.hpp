#pragma once
// One request on its way through a route's handler: its parsed parts, the
// snapshot it is answered from, and the steps every data answer shares
// (validators, 304s, the "block" field, block parameters).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/json.hpp"
#include "api/labels.hpp"
#include "api/pins.hpp"
#include "api/query.hpp"
#include "api/query_caches.hpp"
#include "api/routes.hpp"
#include "storage/store.hpp"

namespace erc20::api {

struct Call {
    const Request& request;
    std::string_view route;  // the matched template
    const Query& q;
    std::vector<std::string_view> args;  // path arguments, in order
    const RouterOptions& options;
    Pins& pins;
    QueryCaches& caches;
    storage::Store& store;
    NodeStatus node;
    std::shared_ptr<const storage::View> view;  // a fresh snapshot
    std::optional<storage::Cursor> head;        // its cursor
    uint64_t lag{0};                            // node block minus head, 0 when unknown
    std::vector<Address> addrs;                 // args parsed (data routes)
    std::optional<storage::TokenStats> stats;   // of addrs[0] (token routes)
    Labels::Snapshot labels;                    // the labels of the whole request

    /// circulating_supply of addrs[0] (stats `s`) now or at the end of `block`.
    [[nodiscard]] Balance circulating_supply(const storage::TokenStats& s,
                                             std::optional<BlockNum> block) const;

    [[nodiscard]] Response with_route(Response r) const;
    [[nodiscard]] Response fail(const ApiError& e) const { return with_route(error_response(e)); }
    /// A data answer's validator: a hash of the state `v` shows (cursor and
    /// metadata version) and the normalized request (route, path addresses,
    /// query parameters in key order), so If-None-Match is answered from a
    /// few keys, before any list is read.
    [[nodiscard]] std::string validator(const storage::View& v) const;
    /// A 304 when If-None-Match names `etag`.
    [[nodiscard]] std::optional<Response> not_modified(const std::string& etag) const;
    /// 200 with the body `w` holds and `etag` (a hash of the body when
    /// empty), or 304 when If-None-Match names it.
    [[nodiscard]] Response finish(JsonWriter& w, std::string etag) const;
    /// An export's Content-Disposition: a file name from the route, its
    /// addresses and `block` (none: the head), e.g. 0x…-holders-123.csv.
    [[nodiscard]] std::string attachment(std::optional<BlockNum> block,
                                         std::string_view format) const;
    /// ?block=, at or below the indexed head.
    [[nodiscard]] OrError<std::optional<BlockNum>> past_block() const;
    /// ?from_block= and ?to_block= of transfer lists (defaults 0 and the last block).
    [[nodiscard]] OrError<std::pair<BlockNum, BlockNum>> block_range() const;
};

/// "block": the cursor's block number, or null.
void write_block(JsonWriter& w, const storage::View& v);

}  // namespace erc20::api
