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
#include <map>
#include <unordered_map>

#include <rocksdb/cache.h>
#include <rocksdb/statistics.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/version.h>
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

std::string rocksdb_version() {
    return std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
           std::to_string(ROCKSDB_PATCH);
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
    // Epochs depend on the batches and rollbacks a database had; the
    // intervals they hold do not: each as its latest epoch has it (an entry
    // is copied into every later epoch while it lasts and ended in the one
    // current when its balance changed).
    std::map<std::string, std::string> intervals;
    for (size_t c = 0; c < kCfCount; ++c) {
        if (((c == kCfTokenMeta || c == kCfTokenSymbols || c == kCfTokenQueue) &&
             !with_token_meta) ||
            c == kCfHistoryEpochs || c == kCfStreamLog)
            continue;
        std::unique_ptr<rocksdb::Iterator> it(
            impl_->db->NewIterator(ro, impl_->cf(static_cast<Cf>(c))));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            if (c == kCfRankedHistory && it->key().size() > kEpochKeySize) {
                const std::string_view k = view_of(it->key());
                intervals[std::string(k.substr(0, kClassKeySize)).append(k.substr(kEpochKeySize))] =
                    std::string(view_of(it->value()));
                continue;
            }
            // The metadata version and the queue's rows move with token_meta writes, on the
            // metadata threads' schedule; the history version with rollbacks, which a
            // rebuilt copy has not had.
            if (c == kCfMeta && !with_token_meta &&
                (view_of(it->key()) == kKeyMetaVersion ||
                 view_of(it->key()) == kKeyHistoryVersion || view_of(it->key()) == kKeyTokenQueue ||
                 view_of(it->key()) == kKeyTokenQueueRollback))
                continue;
            // The stream's log and its ids record the writes a database had, not what it holds.
            if (c == kCfMeta &&
                (view_of(it->key()) == kKeyStreamId || view_of(it->key()) == kKeyStreamSeq ||
                 view_of(it->key()) == kKeyStreamFloor))
                continue;
            out.push_back(std::string(kCfNames[c]) + " " + hex(it->key()) + " " + hex(it->value()));
        }
        if (!it->status().ok()) {
            impl_->db->ReleaseSnapshot(snapshot);
            check(it->status(), "dump " + std::string(kCfNames[c]));
        }
    }
    impl_->db->ReleaseSnapshot(snapshot);
    for (const auto& [key, value] : intervals)
        out.push_back(std::string(kRankedHistory) + " " + hex(key) + " " + hex(value));
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
    d.bulk_compacting.assign(d.cfs.size(), false);
    d.bulk = true;
}

// Compaction: end_bulk does not compact. A backfill leaves up to about
// kBulkMaxL0Files level-0 files in a family (bound_level0 gives a family its
// automatic compactions back when it reaches that many), more than the
// default stop trigger (36): restoring the defaults at once would stall the
// first writes of following until the debt is paid. So a family left above
// the defaults gets stall triggers above what it holds (its level-0 files +
// kL0Headroom, its pending bytes + the default limits) and is marked
// unsettled; settle_compactions() lowers them to the defaults once the
// background compactions brought it under the default slowdown trigger, and
// then never looks at it again. Read amplification is bounded by the stop
// trigger: at most max(36, level-0 files at end_bulk + 2 * kL0Headroom)
// level-0 files plus one file per other level, and the count only falls.
// Store::open does the same for a database reopened with debt (a daemon
// stopped before it was paid).
namespace {
constexpr uint64_t kL0Headroom = 64;

uint64_t int_property(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h, const std::string& name) {
    uint64_t v = 0;
    db.GetIntProperty(h, name, &v);
    return v;
}

uint64_t pending_bytes(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    return int_property(db, h, rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
}

// Whether a family is within the default stall triggers (with the defaults
// back, its writes would neither slow down nor stop).
bool within_defaults(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    const rocksdb::ColumnFamilyOptions defaults;
    return level0_files(db, h) < static_cast<uint64_t>(defaults.level0_slowdown_writes_trigger) &&
           pending_bytes(db, h) < defaults.soft_pending_compaction_bytes_limit;
}

void set_default_triggers(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    const rocksdb::ColumnFamilyOptions defaults;
    set_options(
        db, h,
        {{"disable_auto_compactions", "false"},
         {"level0_slowdown_writes_trigger",
          std::to_string(defaults.level0_slowdown_writes_trigger)},
         {"level0_stop_writes_trigger", std::to_string(defaults.level0_stop_writes_trigger)},
         {"soft_pending_compaction_bytes_limit",
          std::to_string(defaults.soft_pending_compaction_bytes_limit)},
         {"hard_pending_compaction_bytes_limit",
          std::to_string(defaults.hard_pending_compaction_bytes_limit)}});
}

// Automatic compactions on, stall triggers above what the family holds now.
void set_raised_triggers(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    const rocksdb::ColumnFamilyOptions defaults;
    const uint64_t l0 = level0_files(db, h);
    const uint64_t pending = pending_bytes(db, h);
    const auto slowdown =
        std::max(static_cast<uint64_t>(defaults.level0_slowdown_writes_trigger), l0 + kL0Headroom);
    const auto stop = std::max(static_cast<uint64_t>(defaults.level0_stop_writes_trigger),
                               slowdown + kL0Headroom);
    const auto soft = pending + defaults.soft_pending_compaction_bytes_limit;
    const auto hard = pending + defaults.hard_pending_compaction_bytes_limit;
    set_options(db, h,
                {{"disable_auto_compactions", "false"},
                 {"level0_slowdown_writes_trigger", std::to_string(slowdown)},
                 {"level0_stop_writes_trigger", std::to_string(stop)},
                 {"soft_pending_compaction_bytes_limit", std::to_string(soft)},
                 {"hard_pending_compaction_bytes_limit", std::to_string(hard)}});
}
}  // namespace

void Store::Impl::raise_triggers_over_debt(bool from_bulk) {
    unsettled.assign(cfs.size(), false);
    for (size_t c = 0; c < cfs.size(); ++c) {
        if (within_defaults(*db, cfs[c])) {
            if (from_bulk) set_default_triggers(*db, cfs[c]);
        } else {
            set_raised_triggers(*db, cfs[c]);
            unsettled[c] = true;
        }
    }
    debt = std::find(unsettled.begin(), unsettled.end(), true) != unsettled.end();
}

void Store::end_bulk() {
    Impl& d = *impl_;
    if (!d.bulk) return;
    d.bulk = false;
    d.raise_triggers_over_debt(true);
}

bool Store::settle_compactions() {
    Impl& d = *impl_;
    if (!d.debt || d.bulk) return !d.debt;
    bool all = true;
    for (size_t c = 0; c < d.cfs.size(); ++c) {
        if (!d.unsettled[c]) continue;
        if (!within_defaults(*d.db, d.cfs[c])) {
            all = false;
            continue;
        }
        set_default_triggers(*d.db, d.cfs[c]);
        d.unsettled[c] = false;
    }
    d.debt = !all;
    return all;
}

bool Store::compaction_debt() const { return impl_->debt; }

Store::CompactionStats Store::compaction_stats() const {
    CompactionStats s;
    for (auto* h : impl_->cfs) {
        s.level0_files = std::max(s.level0_files, level0_files(*impl_->db, h));
        s.pending_bytes += pending_bytes(*impl_->db, h);
    }
    uint64_t running = 0;
    impl_->db->GetIntProperty(rocksdb::DB::Properties::kNumRunningCompactions, &running);
    s.running = running;
    return s;
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
    if (const auto& cache = impl_->block_cache) {
        m.block_cache_capacity = cache->GetCapacity();
        m.block_cache_entries = cache->GetOccupancyCount();
    }
    if (const auto& stats = impl_->statistics) {
        m.block_cache_hits = stats->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
        m.block_cache_misses = stats->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
    }
    return m;
}

std::vector<std::pair<std::string, uint64_t>> Store::family_bytes() const {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (size_t c = 0; c < kCfCount; ++c) {
        uint64_t v = 0;
        // Every table file on disk, those of older versions an open iterator
        // still reads included (rocksdb.live-sst-files-size leaves those out,
        // while du counts them).
        (void)impl_->db->GetIntProperty(impl_->cfs[c], rocksdb::DB::Properties::kTotalSstFilesSize,
                                        &v);
        out.emplace_back(kCfNames[c], v);
    }
    return out;
}

uint64_t Store::size_bytes() const {
    uint64_t total = 0;
    for (const auto& [name, bytes] : family_bytes()) total += bytes;
    // The write-ahead logs: what is in the memtables is on disk there.
    rocksdb::VectorLogPtr wals;
    if (impl_->db->GetSortedWalFiles(wals).ok()) {
        for (const auto& w : wals) total += w->SizeFileBytes();
    }
    return total;
}

}  // namespace erc20::storage
