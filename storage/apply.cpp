// Store::apply and Store::apply_backfill: checks, the plan of apply_plan.hpp,
// the change stream's rows (stream_log.cpp), the meta rows of the write, one commit.

#include <algorithm>

#include <rocksdb/perf_level.h>

#include "storage/apply_plan.hpp"
#include "storage/store_impl.hpp"

namespace erc20::storage {

namespace {

void check_continues(const std::optional<Cursor>& cur, const BlockBatch& batch) {
    if (cur && batch.first != cur->block_num + 1) {
        throw StoreError("apply: batch starts at block " + std::to_string(batch.first) +
                         " but the cursor is at " + std::to_string(cur->block_num));
    }
    if (batch.last.block_num + 1 < batch.first) throw StoreError("apply: empty or inverted batch");
}

// An add-tokens step continues its progress row, ends at or below the
// cursor and holds only the tokens being added.
void check_backfill_step(const TokenBackfill& job, const std::optional<Cursor>& cur,
                         const BlockBatch& batch) {
    if (batch.first != job.next_block) {
        throw StoreError("apply_backfill: batch starts at block " + std::to_string(batch.first) +
                         " but the add-tokens is at block " + std::to_string(job.next_block));
    }
    if (batch.last.block_num + 1 < batch.first) throw StoreError("apply_backfill: inverted batch");
    const bool empty = batch.last.block_num + 1 == batch.first;  // (wraps for first == 0)
    if (!empty && (!cur || batch.last.block_num > cur->block_num)) {
        throw StoreError("apply_backfill: batch ends past the cursor");
    }
    for (const Transfer& t : batch.transfers) {
        if (!std::binary_search(job.tokens.begin(), job.tokens.end(), t.token)) {
            throw StoreError("apply_backfill: a transfer of a token that is not being added");
        }
    }
}

void write_headers(Writes& wb, const BlockBatch& batch) {
    for (const auto& h : batch.headers)
        wb.Put(kCfHeaders, slice(block_key(h.block_num)), slice(encode_header(h)));
    if (batch.log_limit > 0)
        wb.Put(kCfMeta, slice(kKeyLogLimit), slice(encode_u64(batch.log_limit)));
    if (batch.prune_headers_below > 0) {
        wb.DeleteRange(kCfHeaders, slice(block_key(0)),
                       slice(block_key(batch.prune_headers_below)));
    }
}

}  // namespace

ApplyResult Store::apply(const BlockBatch& batch) {
    Impl& d = *impl_;
    rocksdb::ReadOptions ro;
    check_continues(d.cursor(ro), batch);
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);  // no per-key counters on the writer
    Writes wb;
    Totals totals = d.totals(ro);
    ApplyResult result = ApplyPlan(d, ro, batch, false).run(wb, totals);
    d.queue_applied(wb, result);
    d.stream_applied(wb, ro, batch, false);
    write_headers(wb, batch);
    wb.Put(kCfMeta, slice(kKeyTotals), slice(encode_totals(totals)));
    wb.Put(kCfMeta, slice(kKeyCursor), slice(encode_cursor(batch.last)));
    d.write(wb, batch.transfers.size(), "apply blocks");
    return result;
}

ApplyResult Store::apply_backfill(const BlockBatch& batch, bool finish) {
    Impl& d = *impl_;
    rocksdb::ReadOptions ro;
    auto job = d.backfill(ro);
    if (!job) throw StoreError("apply_backfill: no add-tokens in progress");
    check_backfill_step(*job, d.cursor(ro), batch);
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    Writes wb;
    Totals totals = d.totals(ro);
    ApplyResult result = ApplyPlan(d, ro, batch, true).run(wb, totals);
    d.queue_applied(wb, result);
    d.stream_applied(wb, ro, batch, true);
    wb.Put(kCfMeta, slice(kKeyTotals), slice(encode_totals(totals)));
    // The head does not move, but answers do: validators and list pins
    // follow the metadata version (see View::meta_version).
    wb.Put(kCfMeta, slice(kKeyMetaVersion), slice(d.next_meta_version(ro)));
    if (batch.log_limit > 0)
        wb.Put(kCfMeta, slice(kKeyLogLimit), slice(encode_u64(batch.log_limit)));
    // Balances at past blocks change too (see View::history_version).
    wb.Put(kCfMeta, slice(kKeyHistoryVersion), slice(d.next_history_version(ro)));
    if (finish) {
        std::vector<Address> filter = d.scope(ro).value_or(IndexScope{}).tokens;
        filter.insert(filter.end(), job->tokens.begin(), job->tokens.end());
        std::sort(filter.begin(), filter.end());
        filter.erase(std::unique(filter.begin(), filter.end()), filter.end());
        wb.Put(kCfMeta, slice(kKeyTokenFilter), slice(encode_addresses(filter)));
        wb.Delete(kCfMeta, slice(kKeyTokenBackfill));
    } else {
        job->next_block = batch.last.block_num + 1;
        wb.Put(kCfMeta, slice(kKeyTokenBackfill), slice(encode_backfill(*job)));
    }
    d.write(wb, batch.transfers.size(), "apply add-tokens step");
    return result;
}

}  // namespace erc20::storage
