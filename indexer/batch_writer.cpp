#include "indexer/batch_writer.hpp"

#include <algorithm>
#include <ctime>
#include <iterator>

#include <spdlog/spdlog.h>

namespace erc20::indexer {
namespace {

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

size_t batch_limit(size_t write_batch_bytes) {
    return std::max<size_t>(1, write_batch_bytes / storage::kApplyBytesPerTransfer);
}

void append_range(storage::BlockBatch& batch, FetchedRange&& r, BlockNum node_head,
                  uint64_t reorg_window) {
    batch.last = storage::Cursor{r.to, r.headers.back().hash};
    const BlockNum keep_from = node_head > reorg_window ? node_head - reorg_window : 0;
    for (const auto& h : r.headers) {
        if (h.block_num >= keep_from || h.block_num == r.to) {
            batch.headers.push_back(h);  // the common header: storage keeps no bloom
        }
    }
    // Every block's time, with or without transfers: the series group blocks by it.
    for (const auto& h : r.headers) batch.block_times.emplace_back(h.block_num, h.timestamp);
    // The header of each block with transfers, for the change stream (both lists ascend).
    auto t = r.transfers.begin();
    for (const auto& h : r.headers) {
        while (t != r.transfers.end() && t->block_num < h.block_num) ++t;
        if (t != r.transfers.end() && t->block_num == h.block_num)
            batch.stream_headers.push_back(h);
    }
    if (batch.transfers.empty()) {
        batch.transfers = std::move(r.transfers);
    } else {
        batch.transfers.insert(batch.transfers.end(), std::make_move_iterator(r.transfers.begin()),
                               std::make_move_iterator(r.transfers.end()));
    }
    batch.prune_headers_below = r.to > reorg_window ? r.to - reorg_window : 0;
}

BatchWriter::BatchWriter(storage::Store& store, size_t write_batch_bytes, uint64_t reorg_window,
                         OnWritten on_written)
    : store_(store),
      limit_(batch_limit(write_batch_bytes)),
      reorg_window_(reorg_window),
      on_written_(std::move(on_written)) {}

BatchWriter::~BatchWriter() {
    if (!writing_.valid()) return;
    try {
        writing_.get();
    } catch (
        ...) {  // NOLINT(bugprone-empty-catch): the loop is unwinding from another error already
    }
}

void BatchWriter::add(FetchedRange&& r, BlockNum node_head, uint64_t log_limit) {
    if (!pending_) {
        pending_.emplace();
        pending_->first = r.from;
        pending_since_ = Clock::now();
    }
    if (log_limit > 0) pending_->log_limit = log_limit;
    append_range(*pending_, std::move(r), node_head, reorg_window_);
}

bool BatchWriter::should_hand_over(bool next_ready) const {
    if (!pending_) return false;
    return (!next_ready && !busy()) || full() || Clock::now() - pending_since_ > kMaxBatchAge;
}

bool BatchWriter::full() const { return pending_transfers() >= limit_; }

std::optional<storage::Cursor> BatchWriter::tip() const {
    if (pending_) return pending_->last;
    return writing_last_;
}

bool BatchWriter::busy() const {
    return writing_.valid() &&
           writing_.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
}

void BatchWriter::flush() {
    finish();
    if (!pending_) return;
    auto batch = std::make_shared<storage::BlockBatch>(std::move(*pending_));
    pending_.reset();
    // Headers a later range of the batch pushed out of the window would
    // survive the batch's own pruning: leave them out.
    std::erase_if(batch->headers, [&](const BlockHeader& h) {
        return h.block_num < batch->prune_headers_below && h.block_num != batch->last.block_num;
    });
    writing_last_ = batch->last;
    writing_ = std::async(std::launch::async, [this, batch] {
        const auto t0 = Clock::now();
        const double c0 = thread_cpu_seconds();
        auto result = store_.apply(*batch);
        const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
        stats_.apply_wall += wall;  // read by the loop's thread only after finish()
        stats_.apply_cpu += thread_cpu_seconds() - c0;
        spdlog::debug("wrote blocks {}-{}: {} transfers in {:.1f} ms", batch->first,
                      batch->last.block_num, result.transfers, wall * 1e3);
        return result;
    });
}

void BatchWriter::finish() {
    if (!writing_.valid()) return;
    const storage::Cursor last = *writing_last_;
    writing_last_.reset();
    auto result = writing_.get();
    stats_.batches += 1;
    stats_.transfers += result.transfers;
    stats_.min_transfers = std::min<uint64_t>(stats_.min_transfers, result.transfers);
    stats_.max_transfers = std::max<uint64_t>(stats_.max_transfers, result.transfers);
    if (on_written_) on_written_(last, result);
}

}  // namespace erc20::indexer
