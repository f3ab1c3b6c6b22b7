// Opening the store: RocksDB's options per column family, its info log, the
// schema version check and the ingestion folder.

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include "storage/memory_trim.hpp"
#include "storage/store_impl.hpp"

namespace erc20::storage {

namespace {

// RocksDB's own log, the LOG file of the database folder (the previous one
// kept as LOG.old), written with plain stdio whose failures are ignored:
// RocksDB 7.8's own log writer asserts, aborting the process, on a write
// after a failed one, which a full or read-only disk brings about. Its error
// lines also go to the daemon's log, as warnings: the store's caller reports
// the failure that matters, once.
class InfoLog : public rocksdb::Logger {
  public:
    /// No file when `dir` is empty (a read-only open must not touch the LOG
    /// of a daemon that may be running).
    explicit InfoLog(const std::string& dir) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {
        if (dir.empty()) return;
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        std::filesystem::rename(dir + "/LOG", dir + "/LOG.old", ec);
        file_ = std::fopen((dir + "/LOG").c_str(), "w");
    }
    ~InfoLog() override {
        if (file_ != nullptr) std::fclose(file_);
    }
    InfoLog(const InfoLog&) = delete;
    InfoLog& operator=(const InfoLog&) = delete;

    void Flush() override {
        std::lock_guard lock(mutex_);
        if (file_ != nullptr) std::fflush(file_);
    }

    using rocksdb::Logger::Logv;
    void Logv(const char* format, va_list ap) override {
        Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
    }
    void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
        if (level < GetInfoLogLevel()) return;
        va_list again;
        va_copy(again, ap);
        const int size = std::vsnprintf(nullptr, 0, format, ap);
        std::string line(static_cast<size_t>(std::max(size, 0)), '\0');
        std::vsnprintf(line.data(), line.size() + 1, format, again);
        va_end(again);
        if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) spdlog::warn("rocksdb: {}", line);
        if (file_ == nullptr) return;
        const auto now = std::chrono::system_clock::now();
        const std::time_t t = std::chrono::system_clock::to_time_t(now);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y/%m/%d-%H:%M:%S", &tm);
        std::lock_guard lock(mutex_);
        std::fprintf(file_, "%s %s\n", stamp,
                     line.c_str());  // a full disk loses lines, nothing else
        if (level >= rocksdb::InfoLogLevel::WARN_LEVEL) std::fflush(file_);
    }

  private:
    std::mutex mutex_;
    std::FILE* file_{nullptr};
};

rocksdb::DBOptions make_db_options(const std::string& path, const StoreOptions& options) {
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.max_background_jobs = 2;
    db_options.keep_log_file_num = 5;
    // Memtables of all column families together stay under 256 MiB (a flush
    // of the largest starts above it), and a crash replays at most 64 MiB of WAL.
    db_options.db_write_buffer_size = options.write_buffer_bytes;
    db_options.max_total_wal_size = 64u << 20;
    db_options.info_log = std::make_shared<InfoLog>(options.read_only ? std::string() : path);
    db_options.listeners.push_back(make_memory_trim_listener());
    // Tickers only (block cache hits and misses for /metrics): per-core
    // counters, no timers or histograms on the read path.
    db_options.statistics = rocksdb::CreateDBStatistics();
    db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
    return db_options;
}

// Families read only by scans (Seek) or by keys that exist gain nothing from
// a bloom filter: it would cost a hash per row written and ~1.2 bytes per row
// stored. Point reads of keys that may be missing (balances, stats,
// metadata, headers) keep theirs.
bool scanned(size_t c) {
    return c == kCfTransfers || c == kCfTokenTransfers || c == kCfAccountTransfers ||
           c == kCfBalanceHistory || c == kCfHolders || c == kCfAccountTokens ||
           c == kCfTokenRank || c == kCfBlockTimes || c == kCfRankedHistory ||
           c == kCfTokenBlocks || c == kCfTokenSymbols || c == kCfStreamLog;
}

// Families whose keys start with the block number, so a backfill's batches
// only ever append to them.
bool appended(size_t c) { return c == kCfTransfers || c == kCfBlockTimes || c == kCfHeaders; }

// Every family's descriptor, and into `impl` the options its table files
// are written with (normal and bulk).
std::vector<rocksdb::ColumnFamilyDescriptor> make_families(const rocksdb::DBOptions& db_options,
                                                           const StoreOptions& options,
                                                           Store::Impl& impl) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    impl.block_cache = table.block_cache;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
    table.block_size = size_t{16} * 1024;
    table.cache_index_and_filter_blocks = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.format_version = 5;
    rocksdb::BlockBasedTableOptions unfiltered = table;
    unfiltered.filter_policy.reset();
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (size_t c = 0; c < kCfCount; ++c) {
        rocksdb::ColumnFamilyOptions cf_options;
        cf_options.table_factory.reset(
            rocksdb::NewBlockBasedTableFactory(scanned(c) ? unfiltered : table));
        cf_options.compression = rocksdb::kLZ4Compression;
        cf_options.bottommost_compression = rocksdb::kZSTD;
        cf_options.level_compaction_dynamic_level_bytes = true;
        // Ingested table files are written with the fast codec even where
        // they land in the bottom level; compactions rewrite them with ZSTD.
        impl.cf_options.emplace_back(db_options, cf_options);
        impl.cf_options.back().bottommost_compression = rocksdb::kLZ4Compression;
        // In bulk mode a file whose keys overlap the files before it lands
        // above the bottom level and is rewritten by the background
        // compactions: compressing it when it is written would be work
        // thrown away. The families keyed by block number take each batch
        // above every key before it: their files go straight to the bottom
        // level, where no compaction rewrites them, so they get the bottom's
        // codec at once (ZSTD: 180 -> 142 bytes/transfer once the debt is
        // paid, for ~20% more CPU in the backfill; docs/performance.md).
        impl.cf_options_bulk.push_back(impl.cf_options.back());
        impl.cf_options_bulk.back().compression = rocksdb::kNoCompression;
        impl.cf_options_bulk.back().bottommost_compression =
            appended(c) ? rocksdb::kZSTD : rocksdb::kNoCompression;
        descriptors.emplace_back(std::string(kCfNames[c]), cf_options);
    }
    return descriptors;
}

void open_db(Store::Impl& impl, const rocksdb::DBOptions& db_options,
             const std::vector<rocksdb::ColumnFamilyDescriptor>& descriptors, bool read_only) {
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s =
        read_only
            ? rocksdb::DB::OpenForReadOnly(db_options, impl.path, descriptors, &impl.cfs, &raw)
            : rocksdb::DB::Open(db_options, impl.path, descriptors, &impl.cfs, &raw);
    if (!s.ok()) {
        const std::string msg = s.ToString();
        if (msg.find("lock") != std::string::npos || msg.find("Lock") != std::string::npos) {
            throw StoreError(
                "database " + impl.path +
                " is locked by another process (is the daemon already running?): " + msg);
        }
        throw StoreError("cannot open database " + impl.path + ": " + msg);
    }
    impl.db.reset(raw);
}

// Refuses another schema version; records this one in a new database.
void check_schema(Store::Impl& impl, bool read_only) {
    if (auto v = impl.get(rocksdb::ReadOptions(), kCfMeta, kKeySchema)) {
        const uint32_t version = decoded(decode_u32(*v), kCfMeta, kKeySchema, impl.path);
        if (version != kSchemaVersion) {
            throw StoreError("database " + impl.path + " has schema version " +
                             std::to_string(version) + ", this build reads version " +
                             std::to_string(kSchemaVersion) + ": reindex into a new --db folder");
        }
    } else if (!read_only) {
        check(impl.db->Put(rocksdb::WriteOptions(), impl.cf(kCfMeta), slice(kKeySchema),
                           encode_u32(kSchemaVersion)),
              "write schema version");
    }
}

// Table files left by a write that did not finish are removed.
void reset_ingest_dir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (!std::filesystem::create_directories(dir, ec) && ec) {
        throw StoreError("cannot create " + dir + ": " + ec.message());
    }
}

}  // namespace

Store::Impl::~Impl() {
    if (db) {
        for (auto* h : cfs) {
            if (h) (void)db->DestroyColumnFamilyHandle(h);
        }
        (void)db->Close();
    }
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

std::unique_ptr<Store> Store::open(const std::string& path, const StoreOptions& options) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    const rocksdb::DBOptions db_options = make_db_options(path, options);
    const auto descriptors = make_families(db_options, options, *impl);
    impl->ingest_min_transfers = std::max<size_t>(1, options.ingest_min_transfers);
    impl->ingest_dir = path + "/ingest";
    impl->epoch_min_entries = std::max<uint64_t>(1, options.history_epoch_min_entries);
    impl->fault = options.fault;
    impl->statistics = db_options.statistics;
    open_db(*impl, db_options, descriptors, options.read_only);
    check_schema(*impl, options.read_only);
    if (!options.read_only) {
        reset_ingest_dir(impl->ingest_dir);
        impl->build_symbols();
        impl->init_stream();
        impl->raise_triggers_over_debt(false);  // debt of a backfill stopped before it was paid
    }
    return std::unique_ptr<Store>(new Store(std::move(impl)));
}

}  // namespace erc20::storage
