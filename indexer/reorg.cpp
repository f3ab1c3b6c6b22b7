#include "indexer/reorg.hpp"

#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "common/log.hpp"

namespace erc20::indexer {
namespace {

std::string short_hash(const Hash& h) { return to_hex(h).substr(0, 10); }

bool known(const Hash& h) { return h != Hash{}; }

// Stored headers walked back per request.
constexpr BlockNum kWalkStep = 32;

}  // namespace

Reorgs::Reorgs(storage::Store& store, Node& node, Retrier& retrier, LiveStatus& status,
               uint64_t reorg_window, OnUndone on_undone)
    : store_(store),
      node_(node),
      retrier_(retrier),
      status_(status),
      window_(reorg_window),
      on_undone_(std::move(on_undone)) {}

TipCheck Reorgs::check_tip(std::stop_token& stop, std::optional<storage::Cursor>& cursor,
                           BlockNum node_head) {
    if (!cursor) return TipCheck::kOurs;
    BlockNum at = cursor->block_num;
    Hash ours = cursor->hash;
    if (cursor->block_num > node_head) {
        // The node is below us: lagging, or its chain got shorter.
        auto stored = store_.header_at_or_below(node_head);
        if (!stored) return TipCheck::kOurs;
        at = stored->block_num;
        ours = stored->hash;
    }
    auto h = retrier_.call(stop, "eth_getBlockByNumber", [&] { return node_.header(at); });
    if (!h) return TipCheck::kHalted;
    if (!*h || !known(ours) || (**h).hash == ours) return TipCheck::kOurs;
    return undo(stop, cursor, node_head) ? TipCheck::kReorged : TipCheck::kHalted;
}

Retried<BlockHeader> Reorgs::find_ancestor(std::stop_token& stop, const storage::Cursor& old) {
    const BlockNum window_floor = old.block_num > window_ ? old.block_num - window_ : 0;
    for (BlockNum hi = old.block_num;;) {
        const BlockNum lo =
            hi >= window_floor + kWalkStep - 1 ? hi - (kWalkStep - 1) : window_floor;
        auto node =
            retrier_.call(stop, "eth_getBlockByNumber", [&] { return node_.headers(lo, hi); });
        if (!node) return node.halt();
        for (BlockNum b = hi + 1; b-- > lo;) {
            auto stored = store_.header(b);
            if (!stored) break;
            const auto& theirs = (*node)[b - lo];
            if (theirs && theirs->hash == stored->hash) return *stored;
        }
        if (lo == window_floor || !store_.header(lo)) {
            status_.state.store(static_cast<int>(State::kError));
            throw std::runtime_error(
                "reorg deeper than the stored window: the node no longer has indexed block " +
                std::to_string(old.block_num) + " (" + to_hex(old.hash) +
                ") and no common block was found down to " + std::to_string(lo) +
                " (--reorg-window " + std::to_string(window_) +
                "). Recover with `erc20-indexer rollback --to-block N` to a block below the fork, "
                "or "
                "`erc20-indexer reindex --from-block N`.");
        }
        hi = lo - 1;
    }
}

// Never undo finalized blocks: a node that says a finalized block changed
// is broken or on another network, and an operator must decide.
std::optional<Halt> Reorgs::check_finalized(std::stop_token& stop, const storage::Cursor& old,
                                            const BlockHeader& ancestor) {
    auto finalized = retrier_.call(stop, "eth_getBlockByNumber(finalized)",
                                   [&] { return node_.header("finalized"); });
    if (!finalized) return finalized.halt();
    if (*finalized && ancestor.block_num < (**finalized).block_num) {
        status_.state.store(static_cast<int>(State::kError));
        throw std::runtime_error(
            "reorg below the finalized block: indexed block " + std::to_string(old.block_num) +
            " (" + to_hex(old.hash) + ") is gone, the common ancestor " +
            std::to_string(ancestor.block_num) + " is below the node's finalized block " +
            std::to_string((**finalized).block_num) +
            ". Recover with `erc20-indexer rollback --to-block " +
            std::to_string(ancestor.block_num) + "` or `erc20-indexer reindex --from-block " +
            std::to_string(ancestor.block_num + 1) + "`.");
    }
    return std::nullopt;
}

Retried<ReorgUndone> Reorgs::undo(std::stop_token& stop, std::optional<storage::Cursor>& cursor,
                                  BlockNum node_head) {
    const storage::Cursor old = *cursor;
    auto ancestor = find_ancestor(stop, old);
    if (!ancestor) return ancestor.halt();
    if (auto halt = check_finalized(stop, old, *ancestor)) return *halt;
    ReorgUndone out;
    out.ancestor = storage::Cursor{ancestor->block_num, ancestor->hash};
    out.rollback = store_.rollback(out.ancestor);
    out.depth = old.block_num - ancestor->block_num;
    status_.reorgs_total.fetch_add(1);
    if (out.depth > status_.deepest_reorg.load()) status_.deepest_reorg.store(out.depth);
    log::event(spdlog::level::info,
               fmt::format("reorg: old head {} ({}), node head {}, common ancestor {} ({}), depth "
                           "{}, {} transfers undone, {} tokens removed",
                           old.block_num, short_hash(old.hash), node_head, ancestor->block_num,
                           short_hash(ancestor->hash), out.depth, out.rollback.transfers_undone,
                           out.rollback.tokens_removed),
               {{"from_block", old.block_num},
                {"to_block", ancestor->block_num},
                {"node_block", node_head},
                {"depth", out.depth},
                {"transfers_undone", out.rollback.transfers_undone},
                {"tokens_removed", out.rollback.tokens_removed}});
    cursor = out.ancestor;
    if (on_undone_) on_undone_(out);
    return out;
}

}  // namespace erc20::indexer
