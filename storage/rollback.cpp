// Store::rollback, as a plan of steps over one write buffer:
//   1. transfers  delete every transfer after the target and its index
//                 rows; count them out of their tokens' stats; collect the
//                 (token, holder) pairs they moved
//   2. balances   restore each pair's balance to its last history row at or
//                 below the target, delete the history rows after it and
//                 their ranked_history entries (see ranked_history.hpp)
//   3. tokens     each token's stats, rankings and last block (or the
//                 token's removal when no transfer is left), its
//                 token_blocks rows after the target
//   4. meta       headers, block times, chain_activity buckets and the change
//                 stream's blocks after the target (logged), totals, the
//                 metadata version, the cursor, an add-tokens in progress
// and Store::rollback_step.

#include <limits>
#include <map>
#include <set>

#include "storage/chain_activity.hpp"
#include "storage/ranked_history.hpp"
#include "storage/store_impl.hpp"

namespace erc20::storage {

namespace {

class RollbackPlan {
  public:
    RollbackPlan(const Store::Impl& d, const std::optional<Cursor>& to)
        : d_(d), to_(to), first_(to ? to->block_num + 1 : 0), last_kept_(to ? to->block_num : 0) {}

    void run(Writes& wb, RollbackResult& result) {
        Totals totals = d_.totals(ro_);
        undo_transfers(wb, totals, result);
        restore_balances(wb);
        write_tokens(wb, totals, result);
        write_meta(wb, totals);
    }

  private:
    void undo_transfers(Writes& wb, Totals& totals, RollbackResult& result);
    void undo_one(Writes& wb, const Transfer& t);
    void restore_balances(Writes& wb);
    void undo_ranked(rocksdb::Iterator& history, Writes& wb, RankedUndo& ranked,
                     const Address& token, const Address& holder) const;
    void write_tokens(Writes& wb, Totals& totals, RollbackResult& result);
    void undo_token_blocks(rocksdb::Iterator& blocks, Writes& wb, const Address& token) const;
    BlockNum last_block_of(rocksdb::Iterator& token_transfers, const Address& token) const;
    void write_meta(Writes& wb, const Totals& totals) const;

    const Store::Impl& d_;
    const rocksdb::ReadOptions ro_;
    const std::optional<Cursor>& to_;
    const BlockNum first_;      // blocks from here on are undone; with no target, every block
    const BlockNum last_kept_;  // the target's block (0 without one)
    std::map<Address, std::pair<TokenStats, TokenStats>> stats_;  // before, after
    std::set<std::pair<Address, Address>> touched_;
    /// Per token of stats_: the block of its last transfer left; nullopt when none is.
    std::map<Address, std::optional<BlockNum>> kept_;
};

// Step 1.
void RollbackPlan::undo_transfers(Writes& wb, Totals& totals, RollbackResult& result) {
    std::unique_ptr<rocksdb::Iterator> it(d_.db->NewIterator(ro_, d_.cf(kCfTransfers)));
    for (it->Seek(slice(transfer_key(first_, 0))); it->Valid(); it->Next()) {
        const auto key = view_of(it->key());
        const Transfer t =
            decoded(decode_transfer(key, view_of(it->value())), kCfTransfers, key, d_.path);
        wb.Delete(kCfTransfers, it->key());
        undo_one(wb, t);
        totals.transfers -= 1;
        result.transfers_undone += 1;
    }
    check(it->status(), "scan transfers");
}

void RollbackPlan::undo_one(Writes& wb, const Transfer& t) {
    wb.Delete(kCfTokenTransfers, slice(prefixed_transfer_key(t.token, t.block_num, t.log_index)));
    if (!t.from.is_zero())
        wb.Delete(kCfAccountTransfers,
                  slice(prefixed_transfer_key(t.from, t.block_num, t.log_index)));
    if (!t.to.is_zero())
        wb.Delete(kCfAccountTransfers,
                  slice(prefixed_transfer_key(t.to, t.block_num, t.log_index)));
    auto sit = stats_.find(t.token);
    if (sit == stats_.end()) {
        auto loaded = d_.stats(ro_, t.token);
        if (!loaded) throw StoreError("rollback: transfer of a token without stats in " + d_.path);
        sit = stats_.emplace(t.token, std::make_pair(*loaded, *loaded)).first;
    }
    TokenStats& s = sit->second.second;
    s.transfers -= 1;
    const Balance value = static_cast<Balance>(t.value);
    if (t.from.is_zero()) s.minted -= value;
    if (t.to.is_zero()) s.burned -= value;
    if (t.value != 0) {
        if (!t.from.is_zero()) touched_.emplace(t.token, t.from);
        if (!t.to.is_zero()) touched_.emplace(t.token, t.to);
    }
}

// Step 2.
void RollbackPlan::restore_balances(Writes& wb) {
    std::unique_ptr<rocksdb::Iterator> tt(d_.db->NewIterator(ro_, d_.cf(kCfTokenTransfers)));
    for (const auto& [token, before_after] : stats_) {
        kept_[token] = before_after.second.transfers == 0
                           ? std::nullopt
                           : std::optional<BlockNum>(last_block_of(*tt, token));
    }
    std::unique_ptr<rocksdb::Iterator> history(d_.db->NewIterator(ro_, d_.cf(kCfBalanceHistory)));
    RankedUndo ranked(d_, ro_, kept_);
    for (const auto& [token, holder] : touched_) {
        const BalanceRow now = d_.balance_row(ro_, token, holder);
        const BalanceRow restored =
            to_ ? d_.balance_row_at(ro_, token, holder, last_kept_) : BalanceRow{};
        undo_ranked(*history, wb, ranked, token, holder);
        d_.write_balance_change(wb, token, holder, now, restored, stats_.at(token).second);
        ranked.reopen(wb, token, holder, restored);
    }
    for (const auto& entry : stats_) ranked.drop_epochs(wb, entry.first);
}

// The pair's history rows after the target and their ranked_history entries.
// Point deletes, not a range: a range tombstone per pair made every later
// iterator re-fragment them all (a rollback of 1M transfers held 1 GiB).
void RollbackPlan::undo_ranked(rocksdb::Iterator& history, Writes& wb, RankedUndo& ranked,
                               const Address& token, const Address& holder) const {
    const std::string prefix = pair_key(token, holder);
    for (history.Seek(slice(history_key(token, holder, first_)));
         history.Valid() && starts_with(history.key(), prefix); history.Next()) {
        const std::string_view key = view_of(history.key());
        if (key.size() != kHistoryKeySize) corrupt_row(kCfBalanceHistory, key, d_.path);
        wb.Delete(kCfBalanceHistory, history.key());
        ranked.undo_row(
            wb, token, holder,
            decoded(decode_balance(view_of(history.value())), kCfBalanceHistory, key, d_.path),
            history_key_block(key));
    }
    check(history.status(), "scan balance history");
}

// Step 3.
void RollbackPlan::write_tokens(Writes& wb, Totals& totals, RollbackResult& result) {
    std::unique_ptr<rocksdb::Iterator> blocks(d_.db->NewIterator(ro_, d_.cf(kCfTokenBlocks)));
    for (auto& [token, before_after] : stats_) {
        auto& [before, s] = before_after;
        undo_token_blocks(*blocks, wb, token);
        if (s.transfers == 0) {
            d_.write_stats(wb, token, before, std::nullopt);
            if (auto m = d_.get_row(ro_, kCfTokenMeta, token_key(token), decode_token_meta)) {
                const std::string symbol = symbol_key(m->symbol.value_or(""), token);
                if (!symbol.empty()) wb.Delete(kCfTokenSymbols, slice(symbol));
            }
            wb.Delete(kCfTokenMeta, slice(token_key(token)));
            totals.tokens -= 1;
            result.tokens_removed += 1;
            continue;
        }
        s.last_block = *kept_.at(token);
        d_.write_stats(wb, token, before, s);
        result.touched_tokens.push_back(token);
    }
}

// The token's token_blocks rows after the target (point deletes, as in undo_ranked).
void RollbackPlan::undo_token_blocks(rocksdb::Iterator& blocks, Writes& wb,
                                     const Address& token) const {
    const std::string prefix = token_key(token);
    for (blocks.Seek(slice(token_block_key(token, first_)));
         blocks.Valid() && starts_with(blocks.key(), prefix); blocks.Next()) {
        wb.Delete(kCfTokenBlocks, blocks.key());
    }
    check(blocks.status(), "scan token blocks");
}

// The block of the token's last transfer at or below the target.
BlockNum RollbackPlan::last_block_of(rocksdb::Iterator& token_transfers,
                                     const Address& token) const {
    token_transfers.SeekForPrev(
        slice(prefixed_transfer_key(token, last_kept_, std::numeric_limits<uint32_t>::max())));
    check(token_transfers.status(), "read token transfers");
    if (!token_transfers.Valid() || !starts_with(token_transfers.key(), token_key(token))) {
        throw StoreError("rollback: token transfers index disagrees with stats in " + d_.path);
    }
    if (token_transfers.key().size() != kIndexKeySize)
        corrupt_row(kCfTokenTransfers, view_of(token_transfers.key()), d_.path);
    return index_key_position(view_of(token_transfers.key())).block_num;
}

// Step 4.
void RollbackPlan::write_meta(Writes& wb, const Totals& totals) const {
    const std::string from_key = block_key(first_);
    const std::string end_key = block_key(std::numeric_limits<BlockNum>::max());
    wb.DeleteRange(kCfHeaders, slice(from_key), slice(end_key));
    wb.DeleteRange(kCfBlockTimes, slice(from_key), slice(end_key));
    undo_chain_activity(d_, ro_, wb, first_);
    d_.stream_undone(wb, ro_, first_);
    wb.Put(kCfMeta, slice(kKeyTotals), slice(encode_totals(totals)));
    wb.Put(kCfMeta, slice(kKeyMetaVersion), slice(d_.next_meta_version(ro_)));
    wb.Put(kCfMeta, slice(kKeyHistoryVersion), slice(d_.next_history_version(ro_)));
    if (to_) wb.Put(kCfMeta, slice(kKeyCursor), slice(encode_cursor(*to_)));
    else
        wb.Delete(kCfMeta, slice(kKeyCursor));
    if (auto job = d_.backfill(ro_); job && job->next_block > first_) {
        job->next_block = first_;  // its rows after the target went with the others
        wb.Put(kCfMeta, slice(kKeyTokenBackfill), slice(encode_backfill(*job)));
    }
}

}  // namespace

RollbackResult Store::rollback(const std::optional<Cursor>& to) {
    Impl& d = *impl_;
    std::lock_guard meta_lock(d.meta_mutex);
    RollbackResult result;
    auto cur = d.cursor(rocksdb::ReadOptions());
    if (cur) result.from_block = cur->block_num;
    if (!cur || (to && cur->block_num <= to->block_num)) return result;
    Writes wb;
    RollbackPlan(d, to).run(wb, result);
    d.queue_tasks(wb, result.touched_tokens, false);  // their supply moved back
    d.mark_rollback(wb, to);
    wb.commit(*d.db, d.cfs, "rollback", [&] { d.inject(CommitPoint::kRollback, "rollback"); });
    return result;
}

BlockNum Store::rollback_step(BlockNum floor, size_t max_transfers) const {
    const Impl& d = *impl_;
    std::unique_ptr<rocksdb::Iterator> it(
        d.db->NewIterator(rocksdb::ReadOptions(), d.cf(kCfTransfers)));
    size_t seen = 0;
    std::optional<BlockNum> last_block;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
        if (it->key().size() != kTransferKeySize)
            corrupt_row(kCfTransfers, view_of(it->key()), d.path);
        const BlockNum b = transfer_key_position(view_of(it->key())).block_num;
        if (b <= floor) return floor;
        if (!last_block) last_block = b;
        if (++seen > max_transfers) {
            // Keep block b: undoing the blocks after it stays within the bound,
            // unless b is the last block itself, which must go in any case.
            return b == *last_block ? (b - 1 > floor ? b - 1 : floor) : b;
        }
    }
    check(it->status(), "scan transfers");
    return floor;
}

}  // namespace erc20::storage
