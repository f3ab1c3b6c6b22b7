// The metadata writes and the metadata queue (token_queue, see
// storage/token_rows.hpp): tasks are queued by apply and rollback in their
// own writes, read a page at a time by the metadata worker, and ended by
// the write of the metadata they asked for.

#include <algorithm>

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "storage/store_impl.hpp"

namespace erc20::storage {

void Store::Impl::queue_tasks(Writes& wb, const std::vector<Address>& tokens, bool full) const {
    for (const Address& t : tokens) wb.Put(kCfTokenQueue, slice(metadata_task_key(full, t)), {});
}

void Store::Impl::queue_applied(Writes& wb, const ApplyResult& result) const {
    // Both lists are sorted by token; new tokens are among the touched ones.
    queue_tasks(wb, result.new_tokens, true);
    for (const Address& t : result.touched_tokens) {
        if (!std::binary_search(result.new_tokens.begin(), result.new_tokens.end(), t))
            wb.Put(kCfTokenQueue, slice(metadata_task_key(false, t)), {});
    }
}

void Store::Impl::mark_rollback(Writes& wb, const std::optional<Cursor>& to) const {
    BlockNum target = to ? to->block_num : 0;
    if (auto v = get_row(rocksdb::ReadOptions(), kCfMeta, kKeyTokenQueueRollback, decode_u64))
        target = std::min(target, *v);
    wb.Put(kCfMeta, slice(kKeyTokenQueueRollback), slice(encode_u64(target)));
}

std::optional<BlockNum> Store::metadata_rollback() const {
    return impl_->get_row(rocksdb::ReadOptions(), kCfMeta, kKeyTokenQueueRollback, decode_u64);
}

void Store::clear_metadata_rollback(BlockNum to) {
    Impl& d = *impl_;
    std::lock_guard lock(d.meta_mutex);  // no rollback between the read and the delete
    auto v = metadata_rollback();
    if (v && *v >= to)
        check(d.db->Delete(rocksdb::WriteOptions(), d.cf(kCfMeta), slice(kKeyTokenQueueRollback)),
              "write token queue");
}

bool Store::put_token_meta(const Address& token, const TokenMeta& meta, bool full) {
    Impl& d = *impl_;
    std::lock_guard lock(d.meta_mutex);
    d.inject(CommitPoint::kPutTokenMeta, "write token metadata");
    rocksdb::ReadOptions ro;
    if (!d.on_chain(ro, meta)) return false;
    rocksdb::WriteBatch batch;
    std::lock_guard commit(d.commit_mutex);  // no apply commits until this write is done
    const auto stats = d.stats(ro, token);
    if (full || !stats)
        check(batch.Delete(d.cf(kCfTokenQueue), slice(metadata_task_key(true, token))),
              "batch delete");
    if (!stats || (meta.supply_hash && stats->last_block <= meta.supply_block))
        check(batch.Delete(d.cf(kCfTokenQueue), slice(metadata_task_key(false, token))),
              "batch delete");
    if (stats) {  // else removed by a rollback meanwhile: its tasks end, no row
        check(
            batch.Put(d.cf(kCfTokenMeta), slice(token_key(token)), slice(encode_token_meta(meta))),
            "batch put");
        d.put_symbol(batch, ro, token, meta.symbol);
        check(batch.Put(d.cf(kCfMeta), slice(kKeyMetaVersion), slice(d.next_meta_version(ro))),
              "batch put");
    }
    check(d.db->Write(rocksdb::WriteOptions(), &batch), "write token metadata");
    return true;
}

// The token's token_symbols row follows its metadata: the old symbol's row
// goes, the new one's comes.
void Store::Impl::put_symbol(rocksdb::WriteBatch& batch, const rocksdb::ReadOptions& ro,
                             const Address& token, const std::optional<std::string>& symbol) const {
    const auto old = get_row(ro, kCfTokenMeta, token_key(token), decode_token_meta);
    const std::string old_key = old ? symbol_key(old->symbol.value_or(""), token) : std::string();
    const std::string new_key = symbol_key(symbol.value_or(""), token);
    if (old_key == new_key) return;
    if (!old_key.empty()) check(batch.Delete(cf(kCfTokenSymbols), slice(old_key)), "batch delete");
    if (!new_key.empty()) check(batch.Put(cf(kCfTokenSymbols), slice(new_key), {}), "batch put");
}

// Once per database: the symbol rows of the metadata written before
// token_symbols existed, a chunk of token_meta per write.
void Store::Impl::build_symbols() {
    if (get(rocksdb::ReadOptions(), kCfMeta, kKeyTokenSymbols)) return;
    constexpr size_t kChunk = 10000;
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), cf(kCfTokenMeta)));
    size_t rows = 0;
    it->SeekToFirst();
    for (bool done = false; !done;) {
        rocksdb::WriteBatch batch;
        for (size_t n = 0; it->Valid() && n < kChunk; it->Next(), ++n, ++rows) {
            const std::string_view key = view_of(it->key());
            if (key.size() != kTokenKeySize) corrupt_row(kCfTokenMeta, key, path);
            const auto m =
                decoded(decode_token_meta(view_of(it->value())), kCfTokenMeta, key, path);
            const std::string k = symbol_key(m.symbol.value_or(""), get_fixed<Address>(key, 0));
            if (!k.empty()) check(batch.Put(cf(kCfTokenSymbols), slice(k), {}), "batch put");
        }
        check(it->status(), "scan token metadata");
        done = !it->Valid();
        if (done) check(batch.Put(cf(kCfMeta), slice(kKeyTokenSymbols), {}), "batch put");
        check(db->Write(rocksdb::WriteOptions(), &batch), "write token symbols");
    }
    if (rows > 0) spdlog::info("token symbols indexed for search: {} tokens", rows);
}

MetadataTasks Store::metadata_tasks(const std::optional<MetadataTask>& after, size_t limit,
                                    uint64_t now_ms, size_t max_scan) const {
    const Impl& d = *impl_;
    MetadataTasks out;
    std::unique_ptr<rocksdb::Iterator> it(
        d.db->NewIterator(rocksdb::ReadOptions(), d.cf(kCfTokenQueue)));
    if (after) {
        const std::string start = metadata_task_key(after->full, after->token);
        it->Seek(slice(start));
        if (it->Valid() && view_of(it->key()) == start) it->Next();
    } else {
        it->SeekToFirst();
    }
    std::optional<MetadataTask> last;
    for (size_t seen = 0; it->Valid() && out.due.size() < limit && seen < max_scan;
         it->Next(), ++seen) {
        const std::string_view key = view_of(it->key());
        last = decoded(decode_metadata_task(key, view_of(it->value())), kCfTokenQueue, key, d.path);
        if (last->not_before_ms <= now_ms) out.due.push_back(*last);
    }
    check(it->status(), "scan token queue");
    if (it->Valid()) out.next = last ? last : after;
    return out;
}

void Store::retry_metadata_task(const MetadataTask& task) {
    Impl& d = *impl_;
    check(d.db->Put(rocksdb::WriteOptions(), d.cf(kCfTokenQueue),
                    slice(metadata_task_key(task.full, task.token)),
                    slice(encode_metadata_task(task))),
          "write token queue");
}

void Store::drop_metadata_task(const MetadataTask& task) {
    Impl& d = *impl_;
    std::lock_guard commit(d.commit_mutex);
    rocksdb::ReadOptions ro;
    const std::string key = metadata_task_key(task.full, task.token);
    auto now = d.get_row(ro, kCfTokenQueue, key,
                         [&](std::string_view v) { return decode_metadata_task(key, v); });
    if (!now) return;
    // Queued again by a write since it was read: it stays.
    if (*now != task && d.stats(ro, task.token)) return;
    check(d.db->Delete(rocksdb::WriteOptions(), d.cf(kCfTokenQueue), slice(key)),
          "write token queue");
}

void Store::queue_metadata(const std::vector<Address>& tokens, bool full, bool filled) {
    Impl& d = *impl_;
    Writes wb;
    d.queue_tasks(wb, tokens, full);
    if (filled) wb.Put(kCfMeta, slice(kKeyTokenQueue), {});
    wb.commit(*d.db, d.cfs, "queue token metadata", [] {});
}

bool Store::metadata_queue_filled() const {
    return impl_->get(rocksdb::ReadOptions(), kCfMeta, kKeyTokenQueue).has_value();
}

uint64_t Store::metadata_queue_estimate() const {
    uint64_t n = 0;
    impl_->db->GetIntProperty(impl_->cf(kCfTokenQueue), "rocksdb.estimate-num-keys", &n);
    return n;
}

}  // namespace erc20::storage
