#pragma once
// The change stream's reader (GET /v1/stream, the ClickHouse sink): the
// events that bring a consumer from its cursor to the store's cursor, then
// those of each later write. Rows: storage/stream_rows.hpp.
//
// A consumer at cursor (log, next, from_block) holds the blocks of
// [from_block, next) as they were when the log was written up to `log`.
// Each step takes a snapshot and sends, in order:
//   1. for each row of the log after `log`: a block it holds that was
//      undone: a revert; the end of a rollback: nothing, but the cursor's
//      `next` comes down to its first undone block; a block it holds that
//      gained transfers (an add-tokens step): a revert, then the block as
//      it is now;
//   2. the blocks with transfers of [next, the store's cursor], from the
//      stored transfers, in order;
//   3. a head event when the store's cursor moved.
// Every event carries the cursor after it, so a consumer that stores the
// cursor of the last event it processed and resumes from it gets exactly
// what follows: what it kept, less the reverted blocks, is the chain's
// transfers. A revert for a block it did not hold (undone twice) can come
// and discards nothing. A long replay takes a new snapshot every few
// thousand blocks, so no snapshot is held for long.

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "storage/store.hpp"

namespace erc20::storage {

/// A cursor this database cannot resume from: another database's, one
/// ahead of it (a restored backup), or a block below the stream's floor.
class StreamGone : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class StreamReader {
  public:
    /// From a consumer's cursor. Throws StreamGone.
    StreamReader(const Store& store, const StreamCursor& from);
    ~StreamReader();
    StreamReader(const StreamReader&) = delete;
    StreamReader& operator=(const StreamReader&) = delete;

    /// The cursor of a consumer holding nothing that wants the blocks from
    /// `n` on. Throws StreamGone below the stream's floor.
    [[nodiscard]] static StreamCursor starting_at(const Store& store, BlockNum n);

    /// The next event; nullopt once caught up with the snapshot taken
    /// (the next call takes a new one and goes on).
    std::optional<StreamEvent> next();
    /// A head event repeating the last head sent, at the current cursor:
    /// a heartbeat for an idle consumer. nullopt before any head.
    [[nodiscard]] std::optional<StreamEvent> heartbeat() const;
    [[nodiscard]] const StreamCursor& cursor() const { return cursor_; }

  private:
    struct Step;
    void begin();
    std::optional<StreamEvent> from_log();
    std::optional<StreamEvent> from_blocks();
    std::optional<StreamEvent> head();
    StreamEvent block_event(BlockNum n, std::vector<Transfer> transfers) const;

    const Store& store_;
    StreamCursor cursor_;
    std::unique_ptr<Step> step_;
    std::optional<StreamEvent> pending_;
    std::optional<Cursor> last_head_;
};

}  // namespace erc20::storage
