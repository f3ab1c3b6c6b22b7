// GET /v1/tokens/{token}/flows?from_block=A&to_block=B&order=gain|loss: who
// gained and who lost the token between the end of block A - 1 and the end
// of block B. Cost: the range's transfers of the token (at most
// kMaxFlowTransfers, else a 400 before anything is listed) and one balance
// row per account they touch, then a sort; the pages of a walk come from
// the list kept in QueryCaches.

#include "api/flows.hpp"

#include <algorithm>
#include <memory>
#include <mutex>

#include "api/analytics_routes.hpp"
#include "api/paging.hpp"
#include "common/hex.hpp"

namespace erc20::api {

FlowList flow_list(const storage::View& v, const Address& token, BlockNum from_block,
                   BlockNum to_block, FlowOrder order) {
    FlowList out;
    auto flows = v.flows(token, from_block, to_block, kMaxFlowTransfers);
    if (!flows) {
        out.too_many = true;
        return out;
    }
    out.items = std::move(*flows);
    for (const auto& f : out.items) {
        if (f.before <= 0 && f.after > 0) ++out.gained_holders;
        if (f.before > 0 && f.after <= 0) ++out.lost_holders;
    }
    const bool gain = order == FlowOrder::kGain;
    std::sort(out.items.begin(), out.items.end(), [gain](const auto& a, const auto& b) {
        const Balance da = a.after - a.before, db = b.after - b.before;
        if (da != db) return gain ? da > db : da < db;
        return a.account < b.account;
    });
    return out;
}

namespace {

const Columns kFlowColumns{"account", "before", "after", "change"};

Row flow_row(const storage::View::AccountFlow& f) {
    return Row{{"account", to_hex(f.account)},
               {"before", to_dec_string(f.before)},
               {"after", to_dec_string(f.after)},
               {"change", to_dec_string(Balance(f.after - f.before))}};
}

ApiError too_many_transfers(BlockNum from, BlockNum to) {
    return bad_request("range_too_large",
                       "blocks " + std::to_string(from) + " to " + std::to_string(to) +
                           " hold more than " + std::to_string(kMaxFlowTransfers) +
                           " transfers of this token, the most a flows answer reads; ask for a "
                           "shorter range");
}

}  // namespace

Response serve_flows(Call& c) {
    auto range = c.block_range();
    if (failed(range)) return c.fail(std::get<ApiError>(range));
    auto order_name = c.q.choice("order", {"gain", "loss"}, "gain");
    if (failed(order_name)) return c.fail(std::get<ApiError>(order_name));
    const BlockNum from = std::get<0>(range).first;
    const bool to_given = c.q.get("to_block") != nullptr;
    const BlockNum to = to_given ? std::get<0>(range).second : c.head->block_num;
    if (to > c.head->block_num) {
        return c.fail(bad_request("block_out_of_range", "to_block " + std::to_string(to) +
                                                            " is above the indexed head " +
                                                            std::to_string(c.head->block_num)));
    }
    const FlowOrder order =
        std::get<std::string>(order_name) == "gain" ? FlowOrder::kGain : FlowOrder::kLoss;
    const Address token = c.addrs[0];
    // One list per request: the check below, the page and its header (or
    // every chunk of an export) read it, computed once even when the query
    // cache cannot keep it. (to_block, history version) names it, so views of
    // one history version share it.
    struct Memo {
        std::mutex mutex;
        uint64_t version{0};
        std::shared_ptr<const FlowList> list;
    };
    auto memo = std::make_shared<Memo>();
    QueryCaches* caches = &c.caches;
    auto list = [caches, token, from, to, order, memo](const storage::View& v) {
        const uint64_t version = v.history_version();
        std::lock_guard lock(memo->mutex);
        if (!memo->list || memo->version != version) {
            memo->list = caches->flows(v, token, from, to, order);
            memo->version = version;
        }
        return memo->list;
    };
    if (list(*c.view)->too_many) return c.fail(too_many_transfers(from, to));
    Pager pager = [list](const storage::View& v, const std::optional<Position>& after,
                         size_t limit) {
        Page page;
        const auto flows = list(v);
        const size_t start = after ? after->index() : 0;
        const size_t end = std::min(flows->items.size(), start + limit);
        for (size_t i = start; i < end; ++i) page.rows.push_back(flow_row(flows->items[i]));
        if (end < flows->items.size()) page.next = Position::of_index(end);
        return page;
    };
    ListSpec spec{kFlowColumns, PositionKind::kIndex, std::move(pager)};
    spec.extra = [list, from, to](JsonWriter& w, const storage::View& v) {
        const auto flows = list(v);
        w.field("from_block", from)
            .field("to_block", to)
            .field("gained_holders", flows->gained_holders)
            .field("lost_holders", flows->lost_holders);
    };
    return list_answer(c, spec);
}

}  // namespace erc20::api
