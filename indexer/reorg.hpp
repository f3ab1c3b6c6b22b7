#pragma once
// Reorg detection and undo. At the head (and before an add-tokens step) the
// block the cursor stands on is compared with the node's; a new range's first
// header is compared with the block it must follow (the loop does that). On a
// mismatch the stored headers are walked back, 32 at a time, to the newest
// block whose hash the node still has, and everything after it is undone in
// one write. A reorg below the node's finalized block or outside the stored
// window needs an operator: std::runtime_error, with the recovery command.

#include <cstdint>
#include <optional>
#include <stop_token>

#include "common/types.hpp"
#include "indexer/node.hpp"
#include "indexer/retry.hpp"
#include "storage/store.hpp"

namespace erc20::indexer {

/// A reorg undone: the new cursor (the common ancestor) and what the rollback did.
struct ReorgUndone {
    storage::Cursor ancestor;
    uint64_t depth{0};
    storage::RollbackResult rollback;
};

/// What check_tip found.
enum class TipCheck {
    kOurs,     // the node still has the cursor's block (or is only lagging)
    kReorged,  // it did not: undone, the cursor moved back
    kHalted,   // stopping, or an admin request waits: nothing changed
};

class Reorgs {
  public:
    /// `on_undone` is called after each rollback a reorg needed (the
    /// metadata worker forgets the readings above the ancestor).
    using OnUndone = std::function<void(const ReorgUndone&)>;

    Reorgs(storage::Store& store, Node& node, Retrier& retrier, LiveStatus& status,
           uint64_t reorg_window, OnUndone on_undone);

    /// Is the block `cursor` stands on still the node's (whose head is
    /// `node_head`)? Undoes a reorg (moving `cursor`) when not. When the node
    /// is below the cursor, its block at that height is compared with the
    /// stored header there: a match is a lagging node, not a reorg.
    TipCheck check_tip(std::stop_token& stop, std::optional<storage::Cursor>& cursor,
                       BlockNum node_head);

    /// Walks back from `cursor` to the last block whose stored hash the node
    /// still has and undoes everything after it in one write; `cursor` moves
    /// to that ancestor. Halt when stopping or an admin request waits
    /// (nothing written). Throws std::runtime_error (state kError) when no
    /// common block is within the window or the ancestor is below the node's
    /// finalized block. REQUIRES: cursor.
    Retried<ReorgUndone> undo(std::stop_token& stop, std::optional<storage::Cursor>& cursor,
                              BlockNum node_head);

  private:
    Retried<BlockHeader> find_ancestor(std::stop_token& stop, const storage::Cursor& old);
    std::optional<Halt> check_finalized(std::stop_token& stop, const storage::Cursor& old,
                                        const BlockHeader& ancestor);

    storage::Store& store_;
    Node& node_;
    Retrier& retrier_;
    LiveStatus& status_;
    uint64_t window_;
    OnUndone on_undone_;
};

}  // namespace erc20::indexer
