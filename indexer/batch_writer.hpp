#pragma once
// The hand-over of fetched ranges to the store. Ranges fetched but not yet
// written are merged into one pending BlockBatch; a writer thread applies one
// batch at a time while the loop keeps fetching and merging. While the next
// ranges have already arrived (a backfill or a catch-up where writing is the
// bottleneck) consecutive ranges merge into one write of up to
// --write-batch-mb: large writes take the store's bulk path and coalesce the
// balance updates of the busiest holders. At the head every range is written
// at once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>

#include "common/types.hpp"
#include "indexer/fetch.hpp"
#include "indexer/indexer.hpp"
#include "storage/store.hpp"

namespace erc20::indexer {

/// A backfill writes merged ranges at least this often, so the cursor (and
/// what the API serves) moves on a slow node too.
inline constexpr auto kMaxBatchAge = std::chrono::seconds(2);

/// Transfers in one batch of `write_batch_bytes` (at least 1).
[[nodiscard]] size_t batch_limit(size_t write_batch_bytes);

/// Appends a range that follows `batch`'s last block: its transfers, the
/// times of their blocks, the headers to keep (those within `reorg_window`
/// of `node_head`, and the range's last: the cursor's).
void append_range(storage::BlockBatch& batch, FetchedRange&& r, BlockNum node_head,
                  uint64_t reorg_window);

/// Wall and thread-CPU time of the writes, for bench/replay.
struct WriteStats {
    uint64_t batches{0};
    uint64_t transfers{0};
    uint64_t min_transfers{~uint64_t{0}};
    uint64_t max_transfers{0};
    double apply_wall{0};  // seconds in Store::apply
    double apply_cpu{0};   // CPU seconds of the writer thread in Store::apply
};

class BatchWriter {
  public:
    /// Called on the loop's thread once a write is done (from finish(),
    /// flush() or the destructor's wait): the batch's last block and the result.
    using OnWritten =
        std::function<void(const storage::Cursor& last, const storage::ApplyResult& result)>;

    BatchWriter(storage::Store& store, size_t write_batch_bytes, uint64_t reorg_window,
                OnWritten on_written);
    ~BatchWriter();  // waits for the write in flight (without calling on_written)
    BatchWriter(const BatchWriter&) = delete;
    BatchWriter& operator=(const BatchWriter&) = delete;

    /// Merges a range that follows tip() into the pending batch; a
    /// `log_limit` (learned from the node, 0: none) is stored with it.
    void add(FetchedRange&& r, BlockNum node_head, uint64_t log_limit = 0);
    /// The hand-over rule: hand the pending batch over when the writer would
    /// otherwise wait idle (`next_ready`: another range has arrived to merge),
    /// when it is full, or when it has waited kMaxBatchAge.
    [[nodiscard]] bool should_hand_over(bool next_ready) const;
    /// Hands the pending batch (if any) to the writer thread as one atomic
    /// apply, after the previous write is done.
    void flush();
    /// Waits for the write in flight, if any. A store failure of the write is
    /// rethrown here (storage::StoreError).
    void finish();
    /// Drops the pending ranges (fetched again later).
    void drop_pending() { pending_.reset(); }

    /// The block the next range must follow: the last pending one, else the
    /// last one being written; nullopt when neither (then: the cursor).
    [[nodiscard]] std::optional<storage::Cursor> tip() const;
    [[nodiscard]] bool busy() const;
    [[nodiscard]] bool full() const;
    [[nodiscard]] size_t limit() const { return limit_; }
    [[nodiscard]] size_t pending_transfers() const {
        return pending_ ? pending_->transfers.size() : 0;
    }
    /// Every write so far (read after finish()).
    [[nodiscard]] const WriteStats& stats() const { return stats_; }

  private:
    storage::Store& store_;
    size_t limit_;
    uint64_t reorg_window_;
    OnWritten on_written_;
    std::optional<storage::BlockBatch> pending_;
    Clock::time_point pending_since_;
    // The batch being written on the writer thread. One write at a time.
    std::future<storage::ApplyResult> writing_;
    std::optional<storage::Cursor> writing_last_;
    WriteStats stats_;
};

}  // namespace erc20::indexer
