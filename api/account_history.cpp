// GET /v1/accounts/{account}/tokens/{token}/history?from_block&to_block:
// the account's balance of the token at the end of every block in the range
// where it changed, ascending. Cost: the account's balance_history rows in
// the range (one per block a transfer touched it) and one row before it, so
// bounded by the account's transfers in the range, never by the token's.

#include "api/analytics_routes.hpp"
#include "api/columns.hpp"
#include "api/paging.hpp"

namespace erc20::api {

Response serve_account_history(Call& c) {
    auto range = c.block_range();
    if (failed(range)) return c.fail(std::get<ApiError>(range));
    const BlockNum from = std::get<0>(range).first, to = std::get<0>(range).second;
    const Address account = c.addrs[0];
    const Address token = c.addrs[1];
    Pager pager = [account, token, from, to](const storage::View& v,
                                             const std::optional<Position>& after, size_t limit) {
        Page page;
        std::optional<BlockNum> last;
        if (after) last = after->block();
        // One more than asked tells whether there are more.
        auto changes = v.balance_changes(token, account, from, to, last, limit + 1);
        const bool more = changes.size() > limit;
        if (more) changes.resize(limit);
        BlockTimes times(v);
        for (const auto& ch : changes) page.rows.push_back(balance_change_row(ch, times));
        if (more) page.next = Position::of_block(changes.back().block);
        return page;
    };
    ListSpec spec{kBalanceChangeColumns, PositionKind::kBlock, std::move(pager)};
    spec.extras = kBalanceChangeExtras;
    spec.subject = token;
    return list_answer(c, spec);
}

}  // namespace erc20::api
