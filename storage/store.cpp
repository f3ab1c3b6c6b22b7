// Store: binding to a chain, the stored scope and add-tokens progress,
// token metadata, bulk mode and maintenance (compaction, checkpoints, sizes,
// resuming after an I/O failure). Opening is in open.cpp, the writes of
// derived state in apply.cpp and rollback.cpp, the read side in view.cpp.

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <unordered_map>

#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "common/hex.hpp"
#include "storage/store_impl.hpp"

namespace erc20::storage {

const char* to_string(CommitPoint p) noexcept {
    switch (p) {
        case CommitPoint::kApplyBatch:
            return "apply (write batch)";
        case CommitPoint::kApplyIngest:
            return "apply (ingestion)";
        case CommitPoint::kRollback:
            return "rollback";
        case CommitPoint::kPutTokenMeta:
            return "token metadata";
    }
    return "unknown";
}

bool Store::bind_chain(uint64_t chain_id, const std::optional<IndexScope>& scope) {
    Impl& d = *impl_;
    rocksdb::ReadOptions ro;
    rocksdb::WriteBatch batch;
    if (auto stored = d.chain_id(ro)) {
        if (*stored != chain_id) {
            throw StoreError("database " + d.path + " holds chain id " + std::to_string(*stored) +
                             " but the node serves chain id " + std::to_string(chain_id) +
                             ": point --rpc-url at the right node or use another --db folder");
        }
    } else {
        check(batch.Put(d.cf(kCfMeta), slice(kKeyChain), encode_u64(chain_id)), "batch put");
    }
    const bool store_scope = scope && !d.scope(ro);
    if (store_scope) {
        check(batch.Put(d.cf(kCfMeta), slice(kKeyTokenFilter), encode_addresses(scope->tokens)),
              "batch put");
        check(batch.Put(d.cf(kCfMeta), slice(kKeyStartBlock), encode_u64(scope->start_block)),
              "batch put");
    }
    if (batch.Count() == 0) return false;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    check(d.db->Write(wo, &batch), "write chain id");
    return store_scope;
}

std::optional<IndexScope> Store::scope() const { return impl_->scope(rocksdb::ReadOptions()); }

void Store::begin_token_backfill(const TokenBackfill& job) {
    if (job.tokens.empty()) throw StoreError("begin_token_backfill: no tokens");
    if (impl_->backfill(rocksdb::ReadOptions()))
        throw StoreError("begin_token_backfill: one is in progress");
    rocksdb::WriteOptions wo;
    wo.sync = true;
    check(impl_->db->Put(wo, impl_->cf(kCfMeta), slice(kKeyTokenBackfill), encode_backfill(job)),
          "write token backfill");
}

std::optional<TokenBackfill> Store::token_backfill() const {
    return impl_->backfill(rocksdb::ReadOptions());
}

std::optional<uint64_t> Store::chain_id() const { return impl_->chain_id(rocksdb::ReadOptions()); }

std::optional<Cursor> Store::cursor() const { return impl_->cursor(rocksdb::ReadOptions()); }

uint64_t Store::log_limit() const {
    return impl_->get_row(rocksdb::ReadOptions(), kCfMeta, kKeyLogLimit, decode_u64).value_or(0);
}

std::optional<BlockHeader> Store::header(BlockNum n) const {
    return impl_->header(rocksdb::ReadOptions(), n);
}

std::optional<BlockHeader> Store::header_at_or_below(BlockNum n) const {
    std::unique_ptr<rocksdb::Iterator> it(
        impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kCfHeaders)));
    it->SeekForPrev(slice(block_key(n)));
    check(it->status(), "read headers");
    if (!it->Valid()) return std::nullopt;
    const auto key = view_of(it->key());
    return decoded(decode_header_row(key, view_of(it->value())), kCfHeaders, key, impl_->path);
}

View Store::view() const { return View(impl_.get(), impl_->db->GetSnapshot()); }

void Store::sync() { check(impl_->db->SyncWAL(), "sync WAL"); }

void Store::resume() {
    // Busy: RocksDB's own recovery from a full disk is under way (it waits
    // for free space); it clears the error by itself.
    const rocksdb::Status resumed = impl_->db->Resume();
    if (resumed.IsBusy()) {
        throw StoreError(
            "resume writes to " + impl_->path + ": RocksDB's recovery is still under way",
            StoreError::Kind::kIo);
    }
    check(resumed, "resume writes to " + impl_->path);
    // Resume() succeeds when RocksDB holds no error yet (the failure was a
    // table file of ours): the proof is a synced write. The schema version
    // written again is the row already there.
    rocksdb::WriteOptions wo;
    wo.sync = true;
    check(impl_->db->Put(wo, impl_->cf(kCfMeta), slice(kKeySchema), encode_u32(kSchemaVersion)),
          "write to " + impl_->path);
    // Large batches write table files in the ingestion folder first.
    std::error_code ec;
    std::filesystem::create_directories(impl_->ingest_dir, ec);
    const std::string probe = impl_->ingest_dir + "/probe";
    std::FILE* f = std::fopen(probe.c_str(), "w");
    if (f == nullptr) {
        throw StoreError("cannot write in " + impl_->ingest_dir + ": " + std::strerror(errno),
                         StoreError::Kind::kIo);
    }
    std::fclose(f);
    std::filesystem::remove(probe, ec);
}

const std::string& Store::path() const { return impl_->path; }

std::vector<std::string> Store::debug_dump(bool with_token_meta) const {
    std::vector<std::string> out;
    const rocksdb::Snapshot* snapshot = impl_->db->GetSnapshot();
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    auto hex = [](const rocksdb::Slice& s) {
        return to_hex(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    };
    for (size_t c = 0; c < kCfCount; ++c) {
        if ((c == kCfTokenMeta || c == kCfTokenQueue) && !with_token_meta) continue;
        std::unique_ptr<rocksdb::Iterator> it(
            impl_->db->NewIterator(ro, impl_->cf(static_cast<Cf>(c))));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            // The metadata version and the queue's rows move with token_meta writes, on the
            // metadata threads' schedule; the history version with rollbacks, which a
            // rebuilt copy has not had.
            if (c == kCfMeta && !with_token_meta &&
                (view_of(it->key()) == kKeyMetaVersion ||
                 view_of(it->key()) == kKeyHistoryVersion || view_of(it->key()) == kKeyTokenQueue ||
                 view_of(it->key()) == kKeyTokenQueueRollback))
                continue;
            out.push_back(std::string(kCfNames[c]) + " " + hex(it->key()) + " " + hex(it->value()));
        }
        if (!it->status().ok()) {
            impl_->db->ReleaseSnapshot(snapshot);
            check(it->status(), "dump " + std::string(kCfNames[c]));
        }
    }
    impl_->db->ReleaseSnapshot(snapshot);
    return out;
}

namespace {
void set_options(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                 const std::unordered_map<std::string, std::string>& options) {
    check(db.SetOptions(cf, options), "set options of " + cf->GetName());
}
}  // namespace

void Store::begin_bulk() {
    Impl& d = *impl_;
    if (d.bulk) return;
    for (auto* h : d.cfs) {
        set_options(*d.db, h,
                    {{"disable_auto_compactions", "true"},
                     {"level0_slowdown_writes_trigger", "1000000"},
                     {"level0_stop_writes_trigger", "1000000"},
                     {"soft_pending_compaction_bytes_limit", "0"},
                     {"hard_pending_compaction_bytes_limit", "0"}});
    }
    d.bulk = true;
}

bool Store::end_bulk() {
    Impl& d = *impl_;
    if (!d.bulk) return true;
    d.bulk = false;
    const rocksdb::ColumnFamilyOptions defaults;
    for (auto* h : d.cfs) {
        set_options(
            *d.db, h,
            {{"disable_auto_compactions", "false"},
             {"level0_slowdown_writes_trigger",
              std::to_string(defaults.level0_slowdown_writes_trigger)},
             {"level0_stop_writes_trigger", std::to_string(defaults.level0_stop_writes_trigger)},
             {"soft_pending_compaction_bytes_limit",
              std::to_string(defaults.soft_pending_compaction_bytes_limit)},
             {"hard_pending_compaction_bytes_limit",
              std::to_string(defaults.hard_pending_compaction_bytes_limit)}});
    }
    return compact();
}

bool Store::bulk() const { return impl_->bulk; }

bool Store::compact(const std::function<void(size_t done, size_t total)>& progress) {
    rocksdb::CompactRangeOptions options;
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    options.canceled = &impl_->interrupted;
    options.exclusive_manual_compaction = false;  // families are compacted side by side
    // Two threads take the families, largest first (transfers is half the data).
    std::vector<rocksdb::ColumnFamilyHandle*> order(impl_->cfs.begin(), impl_->cfs.end());
    auto size_of = [&](rocksdb::ColumnFamilyHandle* h) {
        uint64_t v = 0;
        impl_->db->GetIntProperty(h, rocksdb::DB::Properties::kTotalSstFilesSize, &v);
        return v;
    };
    std::sort(order.begin(), order.end(),
              [&](auto* a, auto* b) { return size_of(a) > size_of(b); });
    std::atomic<size_t> next{0};
    std::atomic<size_t> done{0};
    if (progress) progress(0, order.size());
    auto work = [&]() -> rocksdb::Status {
        for (size_t i = next++; i < order.size(); i = next++) {
            auto s = impl_->db->CompactRange(options, order[i], nullptr, nullptr);
            if (!s.ok()) return s;
            if (progress) progress(++done, order.size());
        }
        return rocksdb::Status::OK();
    };
    auto helper = std::async(std::launch::async, work);
    const auto mine = work();
    const auto theirs = helper.get();
    if (impl_->interrupted.load()) return false;
    check(mine, "compact");
    check(theirs, "compact");
    return true;
}

void Store::interrupt() { impl_->interrupted.store(true); }

std::optional<Cursor> Store::checkpoint(const std::string& dir) {
    rocksdb::Checkpoint* raw = nullptr;
    check(rocksdb::Checkpoint::Create(impl_->db.get(), &raw), "backup");
    std::unique_ptr<rocksdb::Checkpoint> cp(raw);
    // The WAL is flushed into the checkpoint, so it is consistent at one instant.
    check(cp->CreateCheckpoint(dir, 0), "backup to " + dir);
    // Blocks may be applied while the checkpoint is taken: read its own cursor.
    StoreOptions ro;
    ro.read_only = true;
    ro.block_cache_bytes = 8u << 20;
    return Store::open(dir, ro)->cursor();
}

Store::Memory Store::memory() const {
    Memory m;
    auto& db = *impl_->db;
    db.GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &m.memtables);
    db.GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem,
                                &m.table_readers);
    // One cache serves every family: read it once.
    db.GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage, &m.block_cache);
    db.GetIntProperty(rocksdb::DB::Properties::kBlockCachePinnedUsage, &m.block_cache_pinned);
    return m;
}

uint64_t Store::size_bytes() const {
    uint64_t total = 0;
    for (auto* h : impl_->cfs) {
        uint64_t v = 0;
        // Every table file on disk, those of older versions an open iterator
        // still reads included (rocksdb.live-sst-files-size leaves those out,
        // while du counts them).
        if (impl_->db->GetIntProperty(h, rocksdb::DB::Properties::kTotalSstFilesSize, &v))
            total += v;
    }
    // The write-ahead logs: what is in the memtables is on disk there.
    rocksdb::VectorLogPtr wals;
    if (impl_->db->GetSortedWalFiles(wals).ok()) {
        for (const auto& w : wals) total += w->SizeFileBytes();
    }
    return total;
}

}  // namespace erc20::storage
