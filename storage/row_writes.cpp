// The rows that one balance change or one token's counters drag along, and
// the commit of a write buffer; shared by apply and rollback.

#include "storage/store_impl.hpp"

#include <cstdlib>
#include <string>

namespace erc20::storage {

void Store::Impl::write_balance_change(Writes& wb, const Address& token, const Address& holder,
                                       const BalanceRow& before_row, const BalanceRow& after_row,
                                       TokenStats& s, uint64_t balance_order,
                                       uint64_t account_token_order) const {
    const Balance& before = before_row.balance;
    const Balance& after = after_row.balance;
    if (before == after && (after == 0 || before_row.block == after_row.block)) return;
    KeyBuf key;
    if (after == 0) {
        wb.Delete(kCfBalances, key.pair(token, holder), balance_order);
    } else {
        char value_buf[kMaxBalanceRowBytes];
        wb.Put(kCfBalances, key.pair(token, holder),
               rocksdb::Slice(value_buf, encode_balance_row(after, after_row.block, value_buf)),
               balance_order);
    }
    if (before == after) return;  // a new block, the same balance
    if (before > 0) {
        wb.Delete(kCfHolders, slice(holder_rank_key(token, before, holder)));
        s.holders -= 1;
    }
    if (after > 0) {
        wb.Put(kCfHolders, slice(holder_rank_key(token, after, holder)), rocksdb::Slice());
        s.holders += 1;
    }
    if ((before > 0) != (after > 0)) {
        if (after > 0)
            wb.Put(kCfAccountTokens, key.pair(holder, token), rocksdb::Slice(),
                   account_token_order);
        else
            wb.Delete(kCfAccountTokens, key.pair(holder, token), account_token_order);
    }
    if (before < 0) s.negative_balances -= 1;
    if (after < 0) s.negative_balances += 1;
}

void Store::Impl::write_stats(Writes& wb, const Address& token,
                              const std::optional<TokenStats>& before,
                              const std::optional<TokenStats>& after) const {
    if (before) {
        wb.Delete(kCfTokenRank, slice(token_rank_key(Ranking::kHolders, before->holders, token)));
        wb.Delete(kCfTokenRank,
                  slice(token_rank_key(Ranking::kTransfers, before->transfers, token)));
    }
    if (after) {
        wb.Put(kCfTokenStats, slice(token_key(token)), slice(encode_stats(*after)));
        wb.Put(kCfTokenRank, slice(token_rank_key(Ranking::kHolders, after->holders, token)),
               rocksdb::Slice());
        wb.Put(kCfTokenRank, slice(token_rank_key(Ranking::kTransfers, after->transfers, token)),
               rocksdb::Slice());
    } else {
        wb.Delete(kCfTokenStats, slice(token_key(token)));
    }
}

void Store::Impl::write(Writes& wb, size_t transfers, std::string_view what) {
    // Only the commit itself: the table files are written before, without it.
    std::unique_lock commit(commit_mutex, std::defer_lock);
    if (transfers >= ingest_min_transfers) {
        wb.ingest(*db, cfs, bulk ? cf_options_bulk : cf_options, ingest_dir, ingest_seq, what, [&] {
            inject(CommitPoint::kApplyIngest, what);
            commit.lock();
        });
        if (commit.owns_lock()) commit.unlock();
        if (bulk) bound_level0();
    } else {
        wb.commit(*db, cfs, what, [&] {
            inject(CommitPoint::kApplyBatch, what);
            commit.lock();
        });
    }
}

void Store::Impl::inject(CommitPoint p, std::string_view what) const {
    if (!fault) return;
    if (auto message = fault(p)) {
        throw StoreError(
            std::string(what) + ": injected fault at " + to_string(p) + ": " + *message,
            StoreError::Kind::kIo);
    }
}

uint64_t level0_files(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    // A string property: GetIntProperty does not know it (and so answered
    // nothing to bound_level0 before).
    std::string v;
    if (!db.GetProperty(h, rocksdb::DB::Properties::kNumFilesAtLevelPrefix + "0", &v)) return 0;
    return std::strtoull(v.c_str(), nullptr, 10);
}

void Store::Impl::bound_level0() {
    for (size_t c = 0; c < cfs.size(); ++c) {
        const bool read = c == kCfBalances || c == kCfTokenStats || c == kCfHistoryEpochs;
        const uint64_t limit = read ? kBulkMaxL0FilesRead : kBulkMaxL0Files;
        if (bulk_compacting[c] || level0_files(*db, cfs[c]) < limit) continue;
        (void)db->SetOptions(cfs[c], {{"disable_auto_compactions", "false"}});
        bulk_compacting[c] = true;
    }
}

}  // namespace erc20::storage
