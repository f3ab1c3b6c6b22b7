#include "storage/store.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <ctime>
#include <chrono>
#include <set>
#include <unordered_map>

#include <cerrno>
#include <cstdarg>
#include <cstdio>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "common/hex.hpp"
#include "storage/codec.hpp"
#include "storage/memory_trim.hpp"
#include "storage/schema.hpp"

#include <spdlog/spdlog.h>

namespace erc20::storage {

const char* to_string(CommitPoint p) noexcept {
    switch (p) {
        case CommitPoint::kApplyBatch: return "apply (write batch)";
        case CommitPoint::kApplyIngest: return "apply (ingestion)";
        case CommitPoint::kRollback: return "rollback";
        case CommitPoint::kTokenMeta: return "token metadata";
    }
    return "unknown";
}

namespace {

enum Cf : size_t {
    kCfDefault,
    kCfMeta,
    kCfHeaders,
    kCfBlockTimes,
    kCfTransfers,
    kCfTokenTransfers,
    kCfAccountTransfers,
    kCfBalances,
    kCfHolders,
    kCfBalanceHistory,
    kCfTokenStats,
    kCfTokenMeta,
    kCfAccountTokens,
    kCfTokenRank,
    kCfCount
};

const std::array<std::string_view, kCfCount> kCfNames{
    "default",      kMeta,       kHeaders,       kBlockTimes,
    kTransfers,     kTokenTransfers, kAccountTransfers, kBalances,
    kHolders,       kBalanceHistory, kTokenStats,    kTokenMeta,
    kAccountTokens, kTokenRank,
};

constexpr std::string_view kKeySchema{"schema_version"};
constexpr std::string_view kKeyChain{"chain_id"};
constexpr std::string_view kKeyCursor{"cursor"};
constexpr std::string_view kKeyTotals{"totals"};
constexpr std::string_view kKeyMetaVersion{"meta_version"};
constexpr std::string_view kKeyTokenFilter{"token_filter"};
constexpr std::string_view kKeyStartBlock{"start_block"};
constexpr std::string_view kKeyTokenBackfill{"token_backfill"};

rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }
std::string_view view_of(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

void check(const rocksdb::Status& s, std::string_view what) {
    if (!s.ok()) {
        throw StoreError(std::string(what) + ": " + s.ToString(),
                         s.IsIOError() ? StoreError::Kind::kIo : StoreError::Kind::kOther);
    }
}

std::string encode_stats(const TokenStats& s) {
    std::string v;
    put_be64(v, s.holders);
    put_be64(v, s.transfers);
    put_be64(v, s.negative_balances);
    put_be64(v, s.first_block);
    put_be64(v, s.last_block);
    put_lp_balance(v, s.minted);
    put_lp_balance(v, s.burned);
    return v;
}

std::optional<TokenStats> decode_stats(std::string_view v) {
    if (v.size() < 42) return std::nullopt;
    TokenStats s;
    s.holders = get_be64(v, 0);
    s.transfers = get_be64(v, 8);
    s.negative_balances = get_be64(v, 16);
    s.first_block = get_be64(v, 24);
    s.last_block = get_be64(v, 32);
    size_t at = 40;
    auto minted = get_lp_balance(v, at);
    auto burned = get_lp_balance(v, at);
    if (!minted || !burned) return std::nullopt;
    s.minted = *minted;
    s.burned = *burned;
    return s;
}

void put_lp_string(std::string& out, const std::string& s) {
    size_t n = std::min<size_t>(s.size(), 0xffff);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
    out.append(s.data(), n);
}

std::optional<std::string> get_lp_string(std::string_view v, size_t& at) {
    if (at + 2 > v.size()) return std::nullopt;
    size_t n = static_cast<size_t>(static_cast<uint8_t>(v[at]) << 8 | static_cast<uint8_t>(v[at + 1]));
    if (at + 2 + n > v.size()) return std::nullopt;
    std::string s(v.substr(at + 2, n));
    at += 2 + n;
    return s;
}

// The token_meta value, see schema.hpp. The supply hash is appended, so rows
// of older versions decode (without a hash) and older versions read new rows.
std::string encode_token_meta(const TokenMeta& m) {
    std::string v;
    uint8_t flags = (m.name ? 1 : 0) | (m.symbol ? 2 : 0) | (m.decimals ? 4 : 0) |
                    (m.total_supply ? 8 : 0) | (m.supply_hash ? 16 : 0) | (m.supply_fallback ? 32 : 0);
    v.push_back(static_cast<char>(flags));
    put_be64(v, m.supply_block);
    v.push_back(static_cast<char>(m.decimals.value_or(0)));
    put_lp_string(v, m.name.value_or(""));
    put_lp_string(v, m.symbol.value_or(""));
    std::string supply = m.total_supply ? u256_to_min_be(*m.total_supply) : std::string();
    v.push_back(static_cast<char>(supply.size()));
    v += supply;
    if (m.supply_hash) put_bytes(v, m.supply_hash->bytes);
    return v;
}

std::optional<TokenMeta> decode_token_meta(std::string_view v) {
    if (v.size() < 10) return std::nullopt;
    TokenMeta m;
    auto flags = static_cast<uint8_t>(v[0]);
    m.supply_block = get_be64(v, 1);
    if (flags & 4) m.decimals = static_cast<uint8_t>(v[9]);
    size_t at = 10;
    auto name = get_lp_string(v, at);
    auto symbol = get_lp_string(v, at);
    if (!name || !symbol || at >= v.size()) return std::nullopt;
    if (flags & 1) m.name = std::move(name);
    if (flags & 2) m.symbol = std::move(symbol);
    size_t n = static_cast<uint8_t>(v[at]);
    if (at + 1 + n > v.size() || n > 32) return std::nullopt;
    if (flags & 8) m.total_supply = u256_from_min_be(v.substr(at + 1, n));
    at += 1 + n;
    if (flags & 16) {
        if (at + 32 > v.size()) return std::nullopt;
        m.supply_hash = get_fixed<Hash>(v, at);
    }
    m.supply_fallback = (flags & 32) != 0;
    return m;
}

void encode_transfer_value(const Transfer& t, std::string& v) {
    v.clear();
    put_bytes(v, t.token.bytes);
    put_bytes(v, t.from.bytes);
    put_bytes(v, t.to.bytes);
    put_bytes(v, t.txn_hash.bytes);
    v += u256_to_min_be(t.value);
}

std::optional<Transfer> decode_transfer(std::string_view key, std::string_view v) {
    if (key.size() != 12 || v.size() < 92 || v.size() > 124) return std::nullopt;
    Transfer t;
    t.block_num = get_be64(key, 0);
    t.log_index = get_be32(key, 8);
    t.token = get_fixed<Address>(v, 0);
    t.from = get_fixed<Address>(v, 20);
    t.to = get_fixed<Address>(v, 40);
    t.txn_hash = get_fixed<Hash>(v, 60);
    t.value = u256_from_min_be(v.substr(92));
    return t;
}

std::string encode_header(const BlockRecord& b) {
    std::string v;
    put_bytes(v, b.hash.bytes);
    put_bytes(v, b.parent_hash.bytes);
    put_be64(v, b.timestamp);
    return v;
}

std::optional<BlockRecord> decode_header(BlockNum n, std::string_view v) {
    if (v.size() != 72) return std::nullopt;
    BlockRecord b;
    b.number = n;
    b.hash = get_fixed<Hash>(v, 0);
    b.parent_hash = get_fixed<Hash>(v, 32);
    b.timestamp = get_be64(v, 64);
    return b;
}

std::string encode_cursor(const Cursor& c) {
    std::string v;
    put_be64(v, c.block_num);
    put_bytes(v, c.hash.bytes);
    return v;
}

std::string encode_totals(const Totals& t) {
    std::string v;
    put_be64(v, t.tokens);
    put_be64(v, t.transfers);
    return v;
}

std::string encode_addresses(const std::vector<Address>& tokens) {
    std::string v;
    for (const auto& t : tokens) put_bytes(v, t.bytes);
    return v;
}

std::optional<std::vector<Address>> decode_addresses(std::string_view v) {
    if (v.size() % 20 != 0) return std::nullopt;
    std::vector<Address> out;
    for (size_t at = 0; at < v.size(); at += 20) out.push_back(get_fixed<Address>(v, at));
    return out;
}

std::string encode_backfill(const TokenBackfill& job) {
    std::string v;
    put_be64(v, job.next_block);
    return v + encode_addresses(job.tokens);
}

std::optional<TokenBackfill> decode_backfill(std::string_view v) {
    if (v.size() < 8) return std::nullopt;
    auto tokens = decode_addresses(v.substr(8));
    if (!tokens || tokens->empty()) return std::nullopt;
    return TokenBackfill{std::move(*tokens), get_be64(v, 0)};
}

bool starts_with(const rocksdb::Slice& s, std::string_view prefix) {
    return s.size() >= prefix.size() && std::string_view(s.data(), prefix.size()) == prefix;
}


constexpr BlockNum kNoBlock = ~BlockNum{0};
/// Level-0 files a family may gather in bulk mode before its automatic
/// compactions come back (reads search every level-0 file).
constexpr uint64_t kBulkMaxL0Files = 96;

size_t pair_hash(const Address& token, const Address& holder) noexcept {
    uint64_t a = 0, b = 0;
    std::memcpy(&a, holder.bytes.data() + 12, 8);
    std::memcpy(&b, token.bytes.data() + 12, 8);
    return static_cast<size_t>((a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL >> 7);
}

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
    void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
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
        std::fprintf(file_, "%s %s\n", stamp, line.c_str());  // a full disk loses lines, nothing else
        if (level >= rocksdb::InfoLogLevel::WARN_LEVEL) std::fflush(file_);
    }

  private:
    std::mutex mutex_;
    std::FILE* file_{nullptr};
};

// The writes of one apply or rollback, per column family in one arena,
// handed to RocksDB sorted by key: as one WriteBatch (memtable inserts in
// key order are markedly cheaper than in transfer order), or, for a large
// batch, as one table file per family ingested in one atomic step, which
// bypasses the memtables and the WAL. Of several writes to one key the last
// wins. Range deletions never cover a point write of the same batch.
class Writes {
  public:
    void Put(Cf c, const rocksdb::Slice& key, const rocksdb::Slice& value) { add(c, kPut, key, value, kKeyed); }
    void Delete(Cf c, const rocksdb::Slice& key) { add(c, kDelete, key, {}, kKeyed); }
    void DeleteRange(Cf c, const rocksdb::Slice& from, const rocksdb::Slice& to) {
        add(c, kDeleteRange, from, to, kKeyed);
    }
    /// A put whose key order the caller knows: `order`, then the order of
    /// the calls, must be the keys' order, and keys unique. Sorting integers
    /// instead of keys is most of what makes a large batch cheap. A family
    /// written with both kinds of calls is sorted by key.
    void Put(Cf c, const rocksdb::Slice& key, const rocksdb::Slice& value, uint64_t order) {
        add(c, kPut, key, value, order);
    }
    void Delete(Cf c, const rocksdb::Slice& key, uint64_t order) { add(c, kDelete, key, {}, order); }
    /// The order of a write sorted by key.
    static constexpr uint64_t kKeyed = ~uint64_t{0};
    void reserve(Cf c, size_t rows, size_t bytes_per_row) {
        families_[c].entries.reserve(rows);
        families_[c].arena.reserve(rows * bytes_per_row);
    }

    /// Writes everything atomically through the memtables. The WAL is on;
    /// it is synced by Store::sync. `before` runs just before the write.
    template <class Before>
    void commit(rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs, std::string_view what,
                Before&& before) {
        rocksdb::WriteBatch batch;
        for (size_t c = 0; c < kCfCount; ++c) {
            families_[c].sort();
            families_[c].emit([&](Type type, const rocksdb::Slice& key, const rocksdb::Slice& value) {
                if (type == kPut) check(batch.Put(cfs[c], key, value), "batch put");
                else if (type == kDelete) check(batch.Delete(cfs[c], key), "batch delete");
                else check(batch.DeleteRange(cfs[c], key, value), "batch delete range");
            });
        }
        rocksdb::WriteOptions wo;
        wo.memtable_insert_hint_per_batch = false;
        before();
        check(db.Write(wo, &batch), what);
    }

    /// Writes everything atomically as table files, one per family, moved
    /// into the database by one IngestExternalFiles: all or nothing, durable
    /// when it returns, seen all at once by readers. `before` runs once the
    /// files are written, just before the ingestion.
    template <class Before>
    void ingest(rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                const std::vector<rocksdb::Options>& options, const std::string& dir, uint64_t& seq,
                std::string_view what, Before&& before) {
        std::vector<rocksdb::IngestExternalFileArg> args;
        std::vector<std::string> files;
        auto cleanup = [&] {
            std::error_code ec;
            for (const auto& file : files) {
                if (!file.empty()) std::filesystem::remove(file, ec);
            }
        };
        try {
            // Each family's file is sorted and written on its own: two
            // threads take the families, largest first.
            std::vector<size_t> order;
            for (size_t c = 0; c < kCfCount; ++c) {
                if (!families_[c].entries.empty()) order.push_back(c);
            }
            std::sort(order.begin(), order.end(),
                      [&](size_t a, size_t b) { return families_[a].arena.size() > families_[b].arena.size(); });
            files.resize(kCfCount);
            for (size_t c : order) files[c] = dir + "/" + std::to_string(++seq) + "-" + std::string(kCfNames[c]) + ".sst";
            std::atomic<size_t> next{0};
            auto work = [&] {
                for (size_t i = next++; i < order.size(); i = next++) {
                    const size_t c = order[i];
                    write_file(families_[c], files[c], options[c], cfs[c]);
                }
            };
            auto helper = std::async(std::launch::async, work);
            std::exception_ptr failed;
            try {
                work();
            } catch (...) {
                failed = std::current_exception();
            }
            helper.get();  // rethrows the helper's failure
            if (failed) std::rethrow_exception(failed);
            for (size_t c : order) {
                rocksdb::IngestExternalFileArg arg;
                arg.column_family = cfs[c];
                arg.external_files = {files[c]};
                arg.options.move_files = true;
                arg.options.write_global_seqno = false;
                arg.options.allow_blocking_flush = true;
                arg.options.snapshot_consistency = true;
                args.push_back(std::move(arg));
            }
            before();
            if (!args.empty()) check(db.IngestExternalFiles(args), what);
        } catch (...) {
            cleanup();
            throw;
        }
        cleanup();
    }

  private:
    struct Family;
    static void write_file(Family& f, const std::string& file, const rocksdb::Options& options,
                           rocksdb::ColumnFamilyHandle* cf) {
        f.sort();
        rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, cf, false);
        check(writer.Open(file), "write table file " + file);
        f.emit([&](Type type, const rocksdb::Slice& key, const rocksdb::Slice& value) {
            if (type == kPut) check(writer.Put(key, value), "write table file " + file);
            else if (type == kDelete) check(writer.Delete(key), "write table file " + file);
            else check(writer.DeleteRange(key, value), "write table file " + file);
        });
        check(writer.Finish(), "finish table file " + file);
    }

    enum Type : uint8_t { kPut, kDelete, kDeleteRange };
    struct Entry {
        size_t offset;
        uint64_t order;
        uint32_t key_size;
        uint32_t value_size;
        uint32_t seq;
        Type type;
    };
    struct Family {
        std::vector<Entry> entries;
        std::string arena;
        bool keyed{false};  // some write gave no order: sort by key
        [[nodiscard]] rocksdb::Slice key(const Entry& e) const { return {arena.data() + e.offset, e.key_size}; }
        [[nodiscard]] rocksdb::Slice value(const Entry& e) const {
            return {arena.data() + e.offset + e.key_size, e.value_size};
        }
        // By key, then in the order written.
        void sort() {
            if (!keyed) {
                auto by_order = [](const Entry& a, const Entry& b) {
                    return a.order != b.order ? a.order < b.order : a.seq < b.seq;
                };
                if (std::is_sorted(entries.begin(), entries.end(), by_order)) return;
                // Orders are mostly rank << 32 | position: a stable counting
                // sort by rank, then the rare unsorted bucket sorted in place.
                uint64_t max_rank = 0;
                for (const Entry& e : entries) max_rank = std::max(max_rank, e.order >> 32);
                if (max_rank > 4 * entries.size() + 1024) {
                    std::sort(entries.begin(), entries.end(), by_order);
                    return;
                }
                std::vector<uint32_t> start(max_rank + 2, 0);
                for (const Entry& e : entries) ++start[(e.order >> 32) + 1];
                for (size_t r = 1; r < start.size(); ++r) start[r] += start[r - 1];
                std::vector<Entry> out(entries.size());
                for (const Entry& e : entries) out[start[e.order >> 32]++] = e;
                entries.swap(out);
                for (size_t b = 0; b < entries.size();) {
                    size_t e = b + 1;
                    while (e < entries.size() && entries[e].order >> 32 == entries[b].order >> 32) ++e;
                    if (!std::is_sorted(entries.begin() + static_cast<ptrdiff_t>(b), entries.begin() + static_cast<ptrdiff_t>(e), by_order)) {
                        std::sort(entries.begin() + static_cast<ptrdiff_t>(b), entries.begin() + static_cast<ptrdiff_t>(e), by_order);
                    }
                    b = e;
                }
                return;
            }
            auto less = [this](const Entry& a, const Entry& b) {
                int c = key(a).compare(key(b));
                return c != 0 ? c < 0 : a.seq < b.seq;
            };
            if (!std::is_sorted(entries.begin(), entries.end(), less)) std::sort(entries.begin(), entries.end(), less);
        }
        // Every range deletion, then the last point write of each key in key
        // order: f(type, key, value), value being a range's end.
        template <class F>
        void emit(F&& f) const {
            for (const Entry& e : entries) {
                if (e.type == kDeleteRange) f(e.type, key(e), value(e));
            }
            each_last([&](const Entry& e) { f(e.type, key(e), value(e)); });
        }
        // The last point write of each key, in key order.
        template <class F>
        void each_last(F&& f) const {
            if (!keyed) {  // unique keys
                // Sorted entries point all over the arena: fetch rows ahead
                // (a row is at most two cache lines here).
                constexpr size_t kAhead = 16;
                for (size_t i = 0; i < entries.size(); ++i) {
                    if (i + kAhead < entries.size()) {
                        const char* row = arena.data() + entries[i + kAhead].offset;
                        __builtin_prefetch(row);
                        __builtin_prefetch(row + 64);
                    }
                    f(entries[i]);
                }
                return;
            }
            for (size_t i = 0; i < entries.size(); ++i) {
                const Entry& e = entries[i];
                if (e.type == kDeleteRange) continue;
                size_t j = i + 1;
                while (j < entries.size() && entries[j].type == kDeleteRange) ++j;
                if (j < entries.size() && key(entries[j]) == key(e)) continue;
                f(e);
            }
        }
    };
    void add(Cf c, Type type, const rocksdb::Slice& key, const rocksdb::Slice& value, uint64_t order) {
        Family& f = families_[c];
        if (order == kKeyed) f.keyed = true;
        f.entries.push_back(Entry{f.arena.size(), order, static_cast<uint32_t>(key.size()),
                                  static_cast<uint32_t>(value.size()), static_cast<uint32_t>(f.entries.size()), type});
        f.arena.append(key.data(), key.size());
        f.arena.append(value.data(), value.size());
    }
    std::array<Family, kCfCount> families_;
};

}  // namespace

struct Store::Impl {
    std::string path;
    std::unique_ptr<rocksdb::DB> db;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs;
    std::vector<rocksdb::Options> cf_options;       // per family, for writing table files
    std::vector<rocksdb::Options> cf_options_bulk;  // the same, uncompressed
    std::string ingest_dir;                    // table files before their ingestion
    size_t ingest_min_transfers{0};
    uint64_t ingest_seq{0};
    bool bulk{false};  // Store::begin_bulk
    std::atomic<bool> interrupted{false};  // Store::interrupt
    /// Held by put_token_meta and rollback: the metadata version advances
    /// one write at a time, and a supply reading is checked against the
    /// headers no rollback is changing.
    std::mutex meta_mutex;
    std::function<std::optional<std::string>(CommitPoint)> fault;  // StoreOptions::fault

    // The test seam before a commit point: throws the injected failure.
    void inject(CommitPoint p, std::string_view what) const {
        if (!fault) return;
        if (auto message = fault(p)) {
            throw StoreError(std::string(what) + ": injected fault at " + to_string(p) + ": " + *message,
                             StoreError::Kind::kIo);
        }
    }

    // In bulk mode, a family whose level 0 grew to `limit` files gets its
    // automatic compactions back.
    void bound_level0(uint64_t limit) {
        for (auto* h : cfs) {
            uint64_t files = 0;
            if (db->GetIntProperty(h, "rocksdb.num-files-at-level0", &files) && files >= limit) {
                (void)db->SetOptions(h, {{"disable_auto_compactions", "false"}});
            }
        }
    }

    ~Impl() {
        if (db) {
            for (auto* h : cfs) {
                if (h) (void)db->DestroyColumnFamilyHandle(h);
            }
            (void)db->Close();
        }
    }

    rocksdb::ColumnFamilyHandle* cf(Cf c) const { return cfs[c]; }

    ApplyResult write_transfers(Writes& wb, const rocksdb::ReadOptions& ro, const BlockBatch& batch, Totals& totals,
                                bool backfill) const;

    // Commits `wb` atomically: as ingested table files for a batch of at
    // least ingest_min_transfers transfers, else through the memtables.
    void write(Writes& wb, size_t transfers, std::string_view what) {
        if (transfers >= ingest_min_transfers) {
            wb.ingest(*db, cfs, bulk ? cf_options_bulk : cf_options, ingest_dir, ingest_seq, what,
                      [&] { inject(CommitPoint::kApplyIngest, what); });
            if (bulk) bound_level0(kBulkMaxL0Files);
        } else {
            wb.commit(*db, cfs, what, [&] { inject(CommitPoint::kApplyBatch, what); });
        }
    }

    std::optional<std::string> get(const rocksdb::ReadOptions& ro, Cf c, std::string_view key) const {
        std::string value;
        auto s = db->Get(ro, cf(c), slice(key), &value);
        if (s.IsNotFound()) return std::nullopt;
        check(s, "read " + std::string(kCfNames[c]));
        return value;
    }

    std::optional<Cursor> cursor(const rocksdb::ReadOptions& ro) const {
        auto v = get(ro, kCfMeta, kKeyCursor);
        if (!v) return std::nullopt;
        if (v->size() != 40) throw StoreError("corrupt cursor row in " + path);
        return Cursor{get_be64(*v, 0), get_fixed<Hash>(*v, 8)};
    }

    std::optional<TokenBackfill> backfill(const rocksdb::ReadOptions& ro) const {
        auto v = get(ro, kCfMeta, kKeyTokenBackfill);
        if (!v) return std::nullopt;
        auto job = decode_backfill(*v);
        if (!job) throw StoreError("corrupt token_backfill row in " + path);
        return job;
    }

    Totals totals(const rocksdb::ReadOptions& ro) const {
        auto v = get(ro, kCfMeta, kKeyTotals);
        if (!v || v->size() != 16) return {};
        return Totals{get_be64(*v, 0), get_be64(*v, 8)};
    }

    uint64_t meta_version(const rocksdb::ReadOptions& ro) const {
        auto v = get(ro, kCfMeta, kKeyMetaVersion);
        return v && v->size() == 8 ? get_be64(*v, 0) : 0;
    }
    std::string next_meta_version(const rocksdb::ReadOptions& ro) const {
        std::string v;
        put_be64(v, meta_version(ro) + 1);
        return v;
    }

    std::optional<BlockRecord> header(const rocksdb::ReadOptions& ro, BlockNum n) const {
        auto v = get(ro, kCfHeaders, block_key(n));
        if (!v) return std::nullopt;
        return decode_header(n, *v);
    }

    // Whether a supply reading is on the chain `ro` shows: see Store::put_token_meta.
    // A block below the stored headers (pruned, deeper than any reorg the
    // indexer undoes) counts as on it.
    bool on_chain(const rocksdb::ReadOptions& ro, const TokenMeta& m) const {
        if (!m.supply_hash) return true;  // unknown: an older version's row
        auto head = cursor(ro);
        if (!head) return false;
        if (m.supply_block > head->block_num) return m.supply_fallback;
        if (m.supply_block == head->block_num && head->hash != Hash{}) return head->hash == *m.supply_hash;
        auto h = header(ro, m.supply_block);
        return !h || h->hash == *m.supply_hash;
    }

    std::optional<TokenMeta> token_meta(const rocksdb::ReadOptions& ro, const Address& token) const {
        auto v = get(ro, kCfTokenMeta, token_key(token));
        if (!v) return std::nullopt;
        auto m = decode_token_meta(*v);
        if (!m) throw StoreError("corrupt token_meta row in " + path);
        if (!on_chain(ro, *m)) {
            m->total_supply.reset();
            m->supply_hash.reset();
            m->supply_block = 0;
            m->supply_fallback = false;
        }
        return m;
    }

    std::optional<TokenStats> stats(const rocksdb::ReadOptions& ro, const Address& token) const {
        auto v = get(ro, kCfTokenStats, token_key(token));
        if (!v) return std::nullopt;
        auto s = decode_stats(*v);
        if (!s) throw StoreError("corrupt token_stats row in " + path);
        return s;
    }

    Balance balance(const rocksdb::ReadOptions& ro, const Address& token, const Address& holder) const {
        auto v = get(ro, kCfBalances, pair_key(token, holder));
        if (!v) return 0;
        auto b = decode_balance(*v);
        if (!b) throw StoreError("corrupt balances row in " + path);
        return *b;
    }

    // Fills `before` and `now` of every entry with the stored balance, in one
    // MultiGet over the sorted keys.
    template <class Entry>
    void read_balances(const rocksdb::ReadOptions& ro, std::vector<Entry>& entries) const {
        if (entries.empty()) return;
        std::vector<std::pair<std::array<uint8_t, 40>, uint32_t>> keys(entries.size());  // unsigned: bytewise order
        for (uint32_t i = 0; i < entries.size(); ++i) {
            std::memcpy(keys[i].first.data(), entries[i].token.bytes.data(), 20);
            std::memcpy(keys[i].first.data() + 20, entries[i].holder.bytes.data(), 20);
            keys[i].second = i;
        }
        std::sort(keys.begin(), keys.end());
        constexpr size_t kChunk = 4096;
        std::vector<rocksdb::Slice> slices(std::min(kChunk, keys.size()));
        std::vector<rocksdb::PinnableSlice> values(slices.size());
        std::vector<rocksdb::Status> statuses(slices.size());
        for (size_t at = 0; at < keys.size(); at += kChunk) {
            const size_t n = std::min(kChunk, keys.size() - at);
            for (size_t i = 0; i < n; ++i) slices[i] = rocksdb::Slice(reinterpret_cast<const char*>(keys[at + i].first.data()), 40);
            db->MultiGet(ro, cf(kCfBalances), n, slices.data(), values.data(), statuses.data(), true);
            for (size_t i = 0; i < n; ++i) {
                Entry& e = entries[keys[at + i].second];
                if (statuses[i].IsNotFound()) {
                    e.before = e.now = 0;
                } else {
                    check(statuses[i], "read balances");
                    auto b = decode_balance(view_of(values[i]));
                    if (!b) throw StoreError("corrupt balances row in " + path);
                    e.before = e.now = *b;
                }
                values[i].Reset();
            }
        }
    }

    // Moves a holder's balance from `before` to `after` in every row and
    // counter that depends on it: balances, the holders ranking, the
    // account's token list, holders and negative_balances.
    // `balance_order` and `account_token_order`, when given, order the
    // balances and account_tokens rows (see Writes::Put).
    void write_balance_change(Writes& wb, const Address& token, const Address& holder,
                              const Balance& before, const Balance& after, TokenStats& s,
                              uint64_t balance_order = Writes::kKeyed, uint64_t account_token_order = Writes::kKeyed) const {
        if (before == after) return;
        KeyBuf key;
        if (after == 0) {
            wb.Delete(kCfBalances, key.pair(token, holder), balance_order);
        } else {
            char value_buf[kMaxBalanceBytes];
            wb.Put(kCfBalances, key.pair(token, holder), rocksdb::Slice(value_buf, encode_balance(after, value_buf)),
                   balance_order);
        }
        if (before > 0) {
            wb.Delete(kCfHolders, slice(holder_rank_key(token, before, holder)));
            s.holders -= 1;
        }
        if (after > 0) {
            wb.Put(kCfHolders, slice(holder_rank_key(token, after, holder)), rocksdb::Slice());
            s.holders += 1;
        }
        if ((before > 0) != (after > 0)) {
            if (after > 0) wb.Put(kCfAccountTokens, key.pair(holder, token), rocksdb::Slice(), account_token_order);
            else wb.Delete(kCfAccountTokens, key.pair(holder, token), account_token_order);
        }
        if (before < 0) s.negative_balances -= 1;
        if (after < 0) s.negative_balances += 1;
    }

    // Writes a token's stats (or deletes them) and keeps the token rankings
    // by holders and by transfers in step.
    void write_stats(Writes& wb, const Address& token, const std::optional<TokenStats>& before,
                     const std::optional<TokenStats>& after) const {
        if (before) {
            wb.Delete(kCfTokenRank, slice(token_rank_key(kRankByHolders, before->holders, token)));
            wb.Delete(kCfTokenRank, slice(token_rank_key(kRankByTransfers, before->transfers, token)));
        }
        if (after) {
            wb.Put(kCfTokenStats, slice(token_key(token)), slice(encode_stats(*after)));
            wb.Put(kCfTokenRank, slice(token_rank_key(kRankByHolders, after->holders, token)), rocksdb::Slice());
            wb.Put(kCfTokenRank, slice(token_rank_key(kRankByTransfers, after->transfers, token)), rocksdb::Slice());
        } else {
            wb.Delete(kCfTokenStats, slice(token_key(token)));
        }
    }

    // Walks an index keyed `prefix (20) | block_num (8) | log_index (4)` over
    // [from_block, to_block] after `after`, resolving each row to its
    // transfer; `keep(direction byte, transfer)` filters; at most `limit` kept.
    template <class Keep>
    std::vector<View::AccountTransfer> scan_transfer_index(const rocksdb::ReadOptions& ro, Cf cf,
                                                           const Address& prefix_address, BlockNum from_block,
                                                           BlockNum to_block,
                                                           std::optional<std::pair<BlockNum, uint32_t>> after,
                                                           size_t limit, Keep keep) const {
        const Impl& d = *this;
        std::vector<View::AccountTransfer> out;
        const std::string prefix = token_key(prefix_address);
        std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(cf)));
        const std::string start = after ? prefixed_transfer_key(prefix_address, after->first, after->second)
                                        : prefixed_transfer_key(prefix_address, from_block, 0);
        it->Seek(slice(start));
        if (after && it->Valid() && view_of(it->key()) == start) it->Next();
        for (; it->Valid() && out.size() < limit; it->Next()) {
            if (!starts_with(it->key(), prefix) || it->key().size() != 32) break;
            std::string_view key = view_of(it->key());
            BlockNum b = get_be64(key, 20);
            if (b < from_block) continue;
            if (b > to_block) break;
            uint8_t dir = it->value().size() == 1 ? static_cast<uint8_t>(it->value()[0]) : 0;
            std::string tkey(key.substr(20));
            auto v = d.get(ro, kCfTransfers, tkey);
            if (!v) throw StoreError("transfer index row without its transfer in " + d.path);
            auto t = decode_transfer(tkey, *v);
            if (!t) throw StoreError("corrupt transfers row in " + d.path);
            if (keep(dir, *t)) out.push_back(View::AccountTransfer{*t, dir});
        }
        check(it->status(), "scan transfer index");
        return out;
    }

    // Balance at the end of block n, from the history rows.
    Balance balance_at(const rocksdb::ReadOptions& ro, const Address& token, const Address& holder,
                       BlockNum n) const {
        std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(kCfBalanceHistory)));
        std::string prefix = pair_key(token, holder);
        it->SeekForPrev(slice(history_key(token, holder, n)));
        if (!it->Valid() || !starts_with(it->key(), prefix)) return 0;
        auto b = decode_balance(view_of(it->value()));
        if (!b) throw StoreError("corrupt balance_history row in " + path);
        return *b;
    }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

std::unique_ptr<Store> Store::open(const std::string& path, const StoreOptions& options) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;

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

    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
    table.block_size = 16 * 1024;
    table.cache_index_and_filter_blocks = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.format_version = 5;

    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    // Families read only by scans (Seek) or by keys that exist gain nothing
    // from a bloom filter: it would cost a hash per row written and ~1.2
    // bytes per row stored. Point reads of keys that may be missing
    // (balances, stats, metadata, headers) keep theirs.
    rocksdb::BlockBasedTableOptions unfiltered = table;
    unfiltered.filter_policy.reset();
    auto scanned = [](size_t c) {
        return c == kCfTransfers || c == kCfTokenTransfers || c == kCfAccountTransfers || c == kCfBalanceHistory ||
               c == kCfHolders || c == kCfAccountTokens || c == kCfTokenRank || c == kCfBlockTimes;
    };
    for (size_t c = 0; c < kCfCount; ++c) {
        const auto name = kCfNames[c];
        rocksdb::ColumnFamilyOptions cf_options;
        cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(scanned(c) ? unfiltered : table));
        cf_options.compression = rocksdb::kLZ4Compression;
        cf_options.bottommost_compression = rocksdb::kZSTD;
        cf_options.level_compaction_dynamic_level_bytes = true;
        // Ingested table files are written with the fast codec even where
        // they land in the bottom level; compactions rewrite them with ZSTD.
        impl->cf_options.emplace_back(db_options, cf_options);
        impl->cf_options.back().bottommost_compression = rocksdb::kLZ4Compression;
        // In bulk mode every file is rewritten by the compaction at the end
        // (or by the automatic ones a long backfill gets back): compressing
        // it when it is written would be work thrown away.
        impl->cf_options_bulk.push_back(impl->cf_options.back());
        impl->cf_options_bulk.back().compression = rocksdb::kNoCompression;
        impl->cf_options_bulk.back().bottommost_compression = rocksdb::kNoCompression;
        descriptors.emplace_back(std::string(name), cf_options);
    }
    impl->ingest_min_transfers = std::max<size_t>(1, options.ingest_min_transfers);
    impl->ingest_dir = path + "/ingest";
    impl->fault = options.fault;

    rocksdb::DB* raw = nullptr;
    rocksdb::Status s;
    if (options.read_only) {
        s = rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &impl->cfs, &raw);
    } else {
        s = rocksdb::DB::Open(db_options, path, descriptors, &impl->cfs, &raw);
    }
    if (!s.ok()) {
        std::string msg = s.ToString();
        if (msg.find("lock") != std::string::npos || msg.find("Lock") != std::string::npos) {
            throw StoreError("database " + path +
                             " is locked by another process (is the daemon already running?): " + msg);
        }
        throw StoreError("cannot open database " + path + ": " + msg);
    }
    impl->db.reset(raw);

    rocksdb::ReadOptions ro;
    if (auto v = impl->get(ro, kCfMeta, kKeySchema)) {
        uint32_t version = v->size() == 4 ? get_be32(*v, 0) : 0;
        if (version != kSchemaVersion) {
            throw StoreError("database " + path + " has schema version " + std::to_string(version) +
                             ", this build reads version " + std::to_string(kSchemaVersion) +
                             ": reindex into a new --db folder");
        }
    } else if (!options.read_only) {
        std::string version_value;
        put_be32(version_value, kSchemaVersion);
        check(impl->db->Put(rocksdb::WriteOptions(), impl->cf(kCfMeta), slice(kKeySchema), version_value),
              "write schema version");
    }
    if (!options.read_only) {
        std::error_code ec;
        std::filesystem::remove_all(impl->ingest_dir, ec);
        if (!std::filesystem::create_directories(impl->ingest_dir, ec) && ec) {
            throw StoreError("cannot create " + impl->ingest_dir + ": " + ec.message());
        }
    }
    return std::unique_ptr<Store>(new Store(std::move(impl)));
}

bool Store::bind_chain(uint64_t chain_id, const std::optional<IndexScope>& scope) {
    rocksdb::ReadOptions ro;
    rocksdb::WriteBatch batch;
    if (auto v = impl_->get(ro, kCfMeta, kKeyChain)) {
        uint64_t stored = v->size() == 8 ? get_be64(*v, 0) : 0;
        if (stored != chain_id) {
            throw StoreError("database " + impl_->path + " holds chain id " + std::to_string(stored) +
                             " but the node serves chain id " + std::to_string(chain_id) +
                             ": point --rpc-url at the right node or use another --db folder");
        }
    } else {
        std::string id;
        put_be64(id, chain_id);
        check(batch.Put(impl_->cf(kCfMeta), slice(kKeyChain), id), "batch put");
    }
    const bool store_scope = scope && !this->scope();
    if (store_scope) {
        std::string start;
        put_be64(start, scope->start_block);
        check(batch.Put(impl_->cf(kCfMeta), slice(kKeyTokenFilter), encode_addresses(scope->tokens)), "batch put");
        check(batch.Put(impl_->cf(kCfMeta), slice(kKeyStartBlock), start), "batch put");
    }
    if (batch.Count() == 0) return false;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    check(impl_->db->Write(wo, &batch), "write chain id");
    return store_scope;
}

std::optional<IndexScope> Store::scope() const {
    rocksdb::ReadOptions ro;
    auto filter = impl_->get(ro, kCfMeta, kKeyTokenFilter);
    auto start = impl_->get(ro, kCfMeta, kKeyStartBlock);
    if (!filter && !start) return std::nullopt;
    auto tokens = filter ? decode_addresses(*filter) : std::nullopt;
    if (!tokens || !start || start->size() != 8) throw StoreError("corrupt token_filter or start_block row in " + impl_->path);
    return IndexScope{std::move(*tokens), get_be64(*start, 0)};
}

void Store::begin_token_backfill(const TokenBackfill& job) {
    if (job.tokens.empty()) throw StoreError("begin_token_backfill: no tokens");
    if (impl_->backfill(rocksdb::ReadOptions())) throw StoreError("begin_token_backfill: one is in progress");
    rocksdb::WriteOptions wo;
    wo.sync = true;
    check(impl_->db->Put(wo, impl_->cf(kCfMeta), slice(kKeyTokenBackfill), encode_backfill(job)),
          "write token backfill");
}

std::optional<TokenBackfill> Store::token_backfill() const { return impl_->backfill(rocksdb::ReadOptions()); }

ApplyResult Store::apply_backfill(const BlockBatch& batch, bool finish) {
    Impl& d = *impl_;
    rocksdb::ReadOptions ro;
    auto job = d.backfill(ro);
    if (!job) throw StoreError("apply_backfill: no add-tokens in progress");
    if (batch.first != job->next_block) {
        throw StoreError("apply_backfill: batch starts at block " + std::to_string(batch.first) +
                         " but the add-tokens is at block " + std::to_string(job->next_block));
    }
    if (batch.last.block_num + 1 < batch.first) throw StoreError("apply_backfill: inverted batch");
    const bool empty = batch.last.block_num + 1 == batch.first;  // (wraps for first == 0)
    const auto cur = d.cursor(ro);
    if (!empty && (!cur || batch.last.block_num > cur->block_num)) {
        throw StoreError("apply_backfill: batch ends past the cursor");
    }
    for (const Transfer& t : batch.transfers) {
        if (!std::binary_search(job->tokens.begin(), job->tokens.end(), t.token)) {
            throw StoreError("apply_backfill: a transfer of a token that is not being added");
        }
    }
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    Writes wb;
    Totals totals = d.totals(ro);
    ApplyResult result = d.write_transfers(wb, ro, batch, totals, true);
    wb.Put(kCfMeta, slice(kKeyTotals), slice(encode_totals(totals)));
    // The head does not move, but answers do: validators and list pins
    // follow the metadata version (see View::meta_version).
    wb.Put(kCfMeta, slice(kKeyMetaVersion), slice(d.next_meta_version(ro)));
    if (finish) {
        std::vector<Address> filter = this->scope().value_or(IndexScope{}).tokens;
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

std::optional<uint64_t> Store::chain_id() const {
    auto v = impl_->get(rocksdb::ReadOptions(), kCfMeta, kKeyChain);
    if (!v || v->size() != 8) return std::nullopt;
    return get_be64(*v, 0);
}

std::optional<Cursor> Store::cursor() const { return impl_->cursor(rocksdb::ReadOptions()); }

std::optional<BlockRecord> Store::header(BlockNum n) const {
    auto v = impl_->get(rocksdb::ReadOptions(), kCfHeaders, block_key(n));
    if (!v) return std::nullopt;
    return decode_header(n, *v);
}

std::optional<BlockRecord> Store::header_at_or_below(BlockNum n) const {
    std::unique_ptr<rocksdb::Iterator> it(
        impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kCfHeaders)));
    it->SeekForPrev(slice(block_key(n)));
    if (!it->Valid() || it->key().size() != 8) return std::nullopt;
    return decode_header(get_be64(view_of(it->key()), 0), view_of(it->value()));
}

// Every row a batch's transfers and block times derive (transfers and their
// indexes, balances, holders, account tokens, balance history, token stats
// and rankings) into `wb`, and their counts into `totals`. With `backfill`,
// a token that already has stats must have no transfer at or after
// batch.first (its rows are appended after its last block).
ApplyResult Store::Impl::write_transfers(Writes& wb, const rocksdb::ReadOptions& ro, const BlockBatch& batch,
                                         Totals& totals, bool backfill) const {
    const Impl& d = *this;
    ApplyResult result;

    // Tokens of the batch: their stats before (nullopt for a new token) and after.
    struct TokenEntry {
        Address token;
        std::optional<TokenStats> before;
        TokenStats now;
    };
    std::vector<TokenEntry> tokens;
    std::unordered_map<Address, uint32_t, AddressHasher> token_index;
    // Holders whose balance a non-zero transfer moves: read once, in one
    // sorted MultiGet, then updated in memory.
    struct PairEntry {
        Address token;
        Address holder;
        uint32_t token_entry;
        uint32_t rank{0};          // position in (token, holder) order
        uint32_t account_rank{0};  // position of the holder among the batch's accounts
        BlockNum dirty_block;      // last block whose history row is pending
        Balance before;
        Balance now;
    };
    std::vector<PairEntry> pairs;
    pairs.reserve(batch.transfers.size());
    // Open addressing over entry indexes: at most two pairs per transfer,
    // so the table never fills past a quarter.
    constexpr uint32_t kEmptySlot = ~uint32_t{0};
    size_t slots = 16;
    while (slots < batch.transfers.size() * 8) slots <<= 1;
    std::vector<uint32_t> pair_slots(slots, kEmptySlot);
    const size_t slot_mask = slots - 1;
    std::vector<uint32_t> transfer_pairs;  // per transfer: from's and to's entry, or kNone (zero address)
    std::vector<uint32_t> transfer_tokens;  // per transfer: its token's entry
    transfer_tokens.reserve(batch.transfers.size());
    constexpr uint32_t kNone = ~uint32_t{0};
    transfer_pairs.reserve(batch.transfers.size() * 2);

    auto pair_of = [&](const Address& token, uint32_t te, const Address& holder) -> uint32_t {
        for (size_t slot = pair_hash(token, holder) & slot_mask;; slot = (slot + 1) & slot_mask) {
            const uint32_t i = pair_slots[slot];
            if (i == kEmptySlot) {
                pair_slots[slot] = static_cast<uint32_t>(pairs.size());
                pairs.push_back(PairEntry{token, holder, te, 0, 0, kNoBlock, 0, 0});
                return pair_slots[slot];
            }
            if (pairs[i].holder == holder && pairs[i].token == token) return i;
        }
    };
    for (const Transfer& t : batch.transfers) {
        if (t.block_num < batch.first || t.block_num > batch.last.block_num) {
            throw StoreError("apply: transfer outside the batch's blocks");
        }
        auto [tit, new_token] = token_index.try_emplace(t.token, static_cast<uint32_t>(tokens.size()));
        if (new_token) {
            auto loaded = d.stats(ro, t.token);
            if (backfill && loaded && loaded->last_block >= batch.first) {
                throw StoreError("apply_backfill: a token of the batch already has transfers at or after block " +
                                 std::to_string(batch.first) + " in " + d.path);
            }
            TokenStats now = loaded.value_or(TokenStats{});
            if (!loaded) now.first_block = t.block_num;
            tokens.push_back(TokenEntry{t.token, loaded, now});
        }
        const uint32_t te = tit->second;
        transfer_tokens.push_back(te);
        transfer_pairs.push_back(!t.from.is_zero() ? pair_of(t.token, te, t.from) : kNone);
        transfer_pairs.push_back(!t.to.is_zero() ? pair_of(t.token, te, t.to) : kNone);
    }
    d.read_balances(ro, pairs);

    // Ranks that order the rows by key: a family keyed `token | chain
    // position` is in (token rank, transfer index) order, one keyed
    // `account | chain position` in (account rank, transfer index) order,
    // and balance history in (pair rank, block) order.
    std::vector<uint32_t> token_rank(tokens.size());
    {
        std::vector<uint32_t> order(tokens.size());
        for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return tokens[a].token < tokens[b].token; });
        for (uint32_t r = 0; r < order.size(); ++r) token_rank[order[r]] = r;
    }
    {
        // Integer sort keys: the token's rank, the holder as big-endian words.
        struct PairOrder {
            uint64_t h0, h1;
            uint32_t h2, token, index;
        };
        auto be = [](const uint8_t* p, size_t n) {
            uint64_t v = 0;
            for (size_t i = 0; i < n; ++i) v = v << 8 | p[i];
            return v;
        };
        std::vector<PairOrder> order(pairs.size());
        for (uint32_t i = 0; i < order.size(); ++i) {
            const uint8_t* h = pairs[i].holder.bytes.data();
            order[i] = PairOrder{be(h, 8), be(h + 8, 8), static_cast<uint32_t>(be(h + 16, 4)),
                                 token_rank[pairs[i].token_entry], i};
        }
        auto same_holder = [](const PairOrder& a, const PairOrder& b) {
            return a.h0 == b.h0 && a.h1 == b.h1 && a.h2 == b.h2;
        };
        std::sort(order.begin(), order.end(), [](const PairOrder& a, const PairOrder& b) {
            return std::tie(a.token, a.h0, a.h1, a.h2) < std::tie(b.token, b.h0, b.h1, b.h2);
        });
        for (uint32_t r = 0; r < order.size(); ++r) pairs[order[r].index].rank = r;
        std::sort(order.begin(), order.end(), [](const PairOrder& a, const PairOrder& b) {
            return std::tie(a.h0, a.h1, a.h2) < std::tie(b.h0, b.h1, b.h2);
        });
        uint32_t account = 0;
        for (size_t i = 0; i < order.size(); ++i) {
            if (i > 0 && !same_holder(order[i - 1], order[i])) ++account;
            pairs[order[i].index].account_rank = account;
        }
    }
    auto ordered = [](uint32_t rank, size_t k) { return uint64_t{rank} << 32 | static_cast<uint32_t>(k); };

    wb.reserve(kCfTransfers, batch.transfers.size(), 124);
    wb.reserve(kCfTokenTransfers, batch.transfers.size(), 32);
    wb.reserve(kCfAccountTransfers, batch.transfers.size() * 2, 33);
    wb.reserve(kCfBalanceHistory, batch.transfers.size() * 2, 60);

    // History rows are written once per (token, holder) per block, with the
    // balance at the end of the block.
    std::vector<uint32_t> dirty;
    BlockNum block = batch.first;
    KeyBuf key;
    auto flush_block = [&] {
        for (uint32_t i : dirty) {
            const PairEntry& p = pairs[i];
            char value_buf[kMaxBalanceBytes];
            wb.Put(kCfBalanceHistory, key.history(p.token, p.holder, block),
                   rocksdb::Slice(value_buf, encode_balance(p.now, value_buf)), ordered(p.rank, 0));
        }
        dirty.clear();
    };
    auto touch = [&](uint32_t i) {
        if (pairs[i].dirty_block != block) {
            pairs[i].dirty_block = block;
            dirty.push_back(i);
        }
    };

    std::string value;
    for (size_t k = 0; k < batch.transfers.size(); ++k) {
        const Transfer& t = batch.transfers[k];
        if (t.block_num != block) {
            flush_block();
            block = t.block_num;
        }
        const uint32_t from_pair = transfer_pairs[2 * k];
        const uint32_t to_pair = transfer_pairs[2 * k + 1];
        encode_transfer_value(t, value);
        wb.Put(kCfTransfers, key.transfer(t.block_num, t.log_index), value, k);
        const uint32_t te = transfer_tokens[k];
        wb.Put(kCfTokenTransfers, key.prefixed(t.token, t.block_num, t.log_index), {}, ordered(token_rank[te], k));
        if (t.from == t.to) {
            if (from_pair != kNone) {
                wb.Put(kCfAccountTransfers, key.prefixed(t.from, t.block_num, t.log_index), "\x03",
                       ordered(pairs[from_pair].account_rank, k));
            }
        } else {
            if (from_pair != kNone) {
                wb.Put(kCfAccountTransfers, key.prefixed(t.from, t.block_num, t.log_index), "\x01",
                       ordered(pairs[from_pair].account_rank, k));
            }
            if (to_pair != kNone) {
                wb.Put(kCfAccountTransfers, key.prefixed(t.to, t.block_num, t.log_index), "\x02",
                       ordered(pairs[to_pair].account_rank, k));
            }
        }

        TokenStats& s = tokens[te].now;
        s.transfers += 1;
        s.last_block = t.block_num;
        if (t.from.is_zero() || t.to.is_zero() || t.value != 0) {
            const Balance v = static_cast<Balance>(t.value);
            if (t.from.is_zero()) s.minted += v;
            if (t.to.is_zero()) s.burned += v;
            if (t.value != 0 && from_pair != kNone) {
                pairs[from_pair].now -= v;
                touch(from_pair);
            }
            if (t.value != 0 && to_pair != kNone) {
                pairs[to_pair].now += v;
                touch(to_pair);
            }
        }
        result.transfers += 1;
    }
    flush_block();
    for (const auto& [n, ts] : batch.block_times) {
        std::string v;
        put_be64(v, ts);
        wb.Put(kCfBlockTimes, key.block(n), v, n);
    }

    totals.transfers += result.transfers;
    for (const PairEntry& p : pairs) {
        d.write_balance_change(wb, p.token, p.holder, p.before, p.now, tokens[p.token_entry].now, ordered(p.rank, 0),
                               ordered(p.account_rank, token_rank[p.token_entry]));
    }
    std::sort(tokens.begin(), tokens.end(), [](const TokenEntry& a, const TokenEntry& b) { return a.token < b.token; });
    for (const TokenEntry& e : tokens) {
        d.write_stats(wb, e.token, e.before, e.now);
        result.touched_tokens.push_back(e.token);
        if (!e.before) {
            result.new_tokens.push_back(e.token);
            totals.tokens += 1;
        }
    }
    return result;
}

ApplyResult Store::apply(const BlockBatch& batch) {
    Impl& d = *impl_;
    rocksdb::ReadOptions ro;
    auto cur = d.cursor(ro);
    if (cur && batch.first != cur->block_num + 1) {
        throw StoreError("apply: batch starts at block " + std::to_string(batch.first) +
                         " but the cursor is at " + std::to_string(cur->block_num));
    }
    if (batch.last.block_num + 1 < batch.first) throw StoreError("apply: empty or inverted batch");

    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);  // no per-key counters on the writer
    Writes wb;
    Totals totals = d.totals(ro);
    ApplyResult result = d.write_transfers(wb, ro, batch, totals, false);
    for (const auto& h : batch.headers) {
        wb.Put(kCfHeaders, slice(block_key(h.number)), slice(encode_header(h)));
    }
    if (batch.prune_headers_below > 0) {
        wb.DeleteRange(kCfHeaders, slice(block_key(0)), slice(block_key(batch.prune_headers_below)));
    }
    wb.Put(kCfMeta, slice(kKeyTotals), slice(encode_totals(totals)));
    wb.Put(kCfMeta, slice(kKeyCursor), slice(encode_cursor(batch.last)));

    d.write(wb, batch.transfers.size(), "apply blocks");
    return result;
}

RollbackResult Store::rollback(const std::optional<Cursor>& to) {
    Impl& d = *impl_;
    std::lock_guard meta_lock(d.meta_mutex);
    rocksdb::ReadOptions ro;
    RollbackResult result;
    auto cur = d.cursor(ro);
    if (!cur || (to && cur->block_num <= to->block_num)) {
        if (cur) result.from_block = cur->block_num;
        return result;
    }
    result.from_block = cur->block_num;
    // Blocks from `first` on are undone; with no target, every block.
    const BlockNum first = to ? to->block_num + 1 : 0;
    const BlockNum n = to ? to->block_num : 0;

    Writes wb;
    std::map<Address, std::pair<TokenStats, TokenStats>> stats;  // before, after
    std::set<std::pair<Address, Address>> touched;
    Totals totals = d.totals(ro);

    std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(kCfTransfers)));
    for (it->Seek(slice(transfer_key(first, 0))); it->Valid(); it->Next()) {
        auto t = decode_transfer(view_of(it->key()), view_of(it->value()));
        if (!t) throw StoreError("corrupt transfers row in " + d.path);
        wb.Delete(kCfTransfers, it->key());
        wb.Delete(kCfTokenTransfers, slice(prefixed_transfer_key(t->token, t->block_num, t->log_index)));
        if (!t->from.is_zero()) {
            wb.Delete(kCfAccountTransfers,
                      slice(prefixed_transfer_key(t->from, t->block_num, t->log_index)));
        }
        if (!t->to.is_zero()) {
            wb.Delete(kCfAccountTransfers,
                      slice(prefixed_transfer_key(t->to, t->block_num, t->log_index)));
        }
        auto sit = stats.find(t->token);
        if (sit == stats.end()) {
            auto loaded = d.stats(ro, t->token);
            if (!loaded) throw StoreError("rollback: transfer of a token without stats in " + d.path);
            sit = stats.emplace(t->token, std::make_pair(*loaded, *loaded)).first;
        }
        TokenStats& s = sit->second.second;
        s.transfers -= 1;
        Balance value = static_cast<Balance>(t->value);
        if (t->from.is_zero()) s.minted -= value;
        if (t->to.is_zero()) s.burned -= value;
        if (t->value != 0) {
            if (!t->from.is_zero()) touched.emplace(t->token, t->from);
            if (!t->to.is_zero()) touched.emplace(t->token, t->to);
        }
        totals.transfers -= 1;
        result.transfers_undone += 1;
    }
    check(it->status(), "scan transfers");

    for (const auto& [token, holder] : touched) {
        Balance now = d.balance(ro, token, holder);
        Balance restored = to ? d.balance_at(ro, token, holder, n) : Balance(0);
        wb.DeleteRange(kCfBalanceHistory, slice(history_key(token, holder, first)),
                       slice(history_key(token, holder, std::numeric_limits<BlockNum>::max())));
        d.write_balance_change(wb, token, holder, now, restored, stats.at(token).second);
    }

    std::unique_ptr<rocksdb::Iterator> tt(d.db->NewIterator(ro, d.cf(kCfTokenTransfers)));
    for (auto& [token, before_after] : stats) {
        auto& [before, s] = before_after;
        if (s.transfers == 0) {
            d.write_stats(wb, token, before, std::nullopt);
            wb.Delete(kCfTokenMeta, slice(token_key(token)));
            totals.tokens -= 1;
            result.tokens_removed += 1;
            continue;
        }
        tt->SeekForPrev(slice(prefixed_transfer_key(token, n, std::numeric_limits<uint32_t>::max())));
        if (!tt->Valid() || !starts_with(tt->key(), token_key(token))) {
            throw StoreError("rollback: token transfers index disagrees with stats in " + d.path);
        }
        s.last_block = get_be64(view_of(tt->key()), 20);
        d.write_stats(wb, token, before, s);
        result.touched_tokens.push_back(token);
    }

    const std::string from_key = block_key(first);
    const std::string end_key = block_key(std::numeric_limits<BlockNum>::max());
    wb.DeleteRange(kCfHeaders, slice(from_key), slice(end_key));
    wb.DeleteRange(kCfBlockTimes, slice(from_key), slice(end_key));
    wb.Put(kCfMeta, slice(kKeyTotals), slice(encode_totals(totals)));
    wb.Put(kCfMeta, slice(kKeyMetaVersion), slice(d.next_meta_version(ro)));
    if (to) wb.Put(kCfMeta, slice(kKeyCursor), slice(encode_cursor(*to)));
    else wb.Delete(kCfMeta, slice(kKeyCursor));
    if (auto job = d.backfill(ro); job && job->next_block > first) {
        job->next_block = first;  // its rows after `to` went with the others
        wb.Put(kCfMeta, slice(kKeyTokenBackfill), slice(encode_backfill(*job)));
    }
    wb.commit(*d.db, d.cfs, "rollback", [&] { d.inject(CommitPoint::kRollback, "rollback"); });
    return result;
}

bool Store::put_token_meta(const Address& token, const TokenMeta& meta) {
    Impl& d = *impl_;
    std::lock_guard lock(d.meta_mutex);
    d.inject(CommitPoint::kTokenMeta, "write token metadata");
    rocksdb::ReadOptions ro;
    if (!d.on_chain(ro, meta)) return false;
    rocksdb::WriteBatch batch;
    check(batch.Put(d.cf(kCfTokenMeta), slice(token_key(token)), slice(encode_token_meta(meta))), "batch put");
    check(batch.Put(d.cf(kCfMeta), slice(kKeyMetaVersion), slice(d.next_meta_version(ro))), "batch put");
    check(d.db->Write(rocksdb::WriteOptions(), &batch), "write token metadata");
    return true;
}

View Store::view() const { return View(impl_.get(), impl_->db->GetSnapshot()); }

void Store::sync() { check(impl_->db->SyncWAL(), "sync WAL"); }

void Store::resume() {
    // Busy: RocksDB's own recovery from a full disk is under way (it waits
    // for free space); it clears the error by itself.
    const rocksdb::Status resumed = impl_->db->Resume();
    if (resumed.IsBusy()) {
        throw StoreError("resume writes to " + impl_->path + ": RocksDB's recovery is still under way",
                         StoreError::Kind::kIo);
    }
    check(resumed, "resume writes to " + impl_->path);
    // Resume() succeeds when RocksDB holds no error yet (the failure was a
    // table file of ours): the proof is a synced write. The schema version
    // written again is the row already there.
    std::string version_value;
    put_be32(version_value, kSchemaVersion);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    check(impl_->db->Put(wo, impl_->cf(kCfMeta), slice(kKeySchema), version_value), "write to " + impl_->path);
    // Large batches write table files in the ingestion folder first.
    std::error_code ec;
    std::filesystem::create_directories(impl_->ingest_dir, ec);
    const std::string probe = impl_->ingest_dir + "/probe";
    std::FILE* f = std::fopen(probe.c_str(), "w");
    if (f == nullptr) {
        throw StoreError("cannot write in " + impl_->ingest_dir + ": " + std::strerror(errno), StoreError::Kind::kIo);
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
        return to_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    };
    for (size_t c = 0; c < kCfCount; ++c) {
        if (c == kCfTokenMeta && !with_token_meta) continue;
        std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(static_cast<Cf>(c))));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            // The metadata version moves with token_meta writes, on the metadata thread's schedule.
            if (c == kCfMeta && !with_token_meta && view_of(it->key()) == kKeyMetaVersion) continue;
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

BlockNum Store::rollback_step(BlockNum floor, size_t max_transfers) const {
    std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kCfTransfers)));
    size_t seen = 0;
    std::optional<BlockNum> last_block;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
        if (it->key().size() != 12) continue;
        const BlockNum b = get_be64(view_of(it->key()), 0);
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
        set_options(*d.db, h, {{"disable_auto_compactions", "true"},
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
        set_options(*d.db, h, {{"disable_auto_compactions", "false"},
                               {"level0_slowdown_writes_trigger", std::to_string(defaults.level0_slowdown_writes_trigger)},
                               {"level0_stop_writes_trigger", std::to_string(defaults.level0_stop_writes_trigger)},
                               {"soft_pending_compaction_bytes_limit", std::to_string(defaults.soft_pending_compaction_bytes_limit)},
                               {"hard_pending_compaction_bytes_limit", std::to_string(defaults.hard_pending_compaction_bytes_limit)}});
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
    std::sort(order.begin(), order.end(), [&](auto* a, auto* b) { return size_of(a) > size_of(b); });
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
    db.GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &m.table_readers);
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
        if (impl_->db->GetIntProperty(h, rocksdb::DB::Properties::kTotalSstFilesSize, &v)) total += v;
    }
    // The write-ahead logs: what is in the memtables is on disk there.
    rocksdb::VectorLogPtr wals;
    if (impl_->db->GetSortedWalFiles(wals).ok()) {
        for (const auto& w : wals) total += w->SizeFileBytes();
    }
    return total;
}

// ---------------------------------------------------------------------------
// View

View::View(const Store::Impl* store, const rocksdb::Snapshot* snapshot)
    : store_(store), snapshot_(snapshot) {}

View::View(View&& other) noexcept : store_(other.store_), snapshot_(other.snapshot_) {
    other.snapshot_ = nullptr;
}

View::~View() {
    if (snapshot_) store_->db->ReleaseSnapshot(snapshot_);
}

namespace {
rocksdb::ReadOptions snapshot_options(const rocksdb::Snapshot* s) {
    rocksdb::ReadOptions ro;
    ro.snapshot = s;
    return ro;
}
}  // namespace

std::optional<Cursor> View::cursor() const { return store_->cursor(snapshot_options(snapshot_)); }
Totals View::totals() const { return store_->totals(snapshot_options(snapshot_)); }

std::optional<uint64_t> View::chain_id() const {
    auto v = store_->get(snapshot_options(snapshot_), kCfMeta, kKeyChain);
    if (!v || v->size() != 8) return std::nullopt;
    return get_be64(*v, 0);
}

std::optional<TokenStats> View::token_stats(const Address& token) const {
    return store_->stats(snapshot_options(snapshot_), token);
}

std::optional<TokenMeta> View::token_meta(const Address& token) const {
    return store_->token_meta(snapshot_options(snapshot_), token);
}

uint64_t View::meta_version() const { return store_->meta_version(snapshot_options(snapshot_)); }

void View::for_each_token(const std::function<void(const Address&, const TokenStats&,
                                                   const std::optional<TokenMeta>&)>& f) const {
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfTokenStats)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (it->key().size() != 20) continue;
        const auto token = get_fixed<Address>(view_of(it->key()), 0);
        auto stats = decode_stats(view_of(it->value()));
        if (!stats) throw StoreError("corrupt token_stats row in " + store_->path);
        f(token, *stats, store_->token_meta(ro, token));
    }
    check(it->status(), "scan token stats");
}

Balance View::balance(const Address& token, const Address& holder) const {
    return store_->balance(snapshot_options(snapshot_), token, holder);
}

Balance View::balance_at(const Address& token, const Address& holder, BlockNum n) const {
    return store_->balance_at(snapshot_options(snapshot_), token, holder, n);
}

std::optional<uint64_t> View::block_time(BlockNum n) const {
    auto v = store_->get(snapshot_options(snapshot_), kCfBlockTimes, block_key(n));
    if (!v || v->size() != 8) return std::nullopt;
    return get_be64(*v, 0);
}

std::vector<HolderItem> View::holders(const Address& token, std::string_view after, size_t limit,
                                      std::string& next) const {
    std::vector<HolderItem> out;
    next.clear();
    auto ro = snapshot_options(snapshot_);
    std::string prefix = token_key(token);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfHolders)));
    std::string start = prefix + std::string(after);
    it->Seek(slice(start));
    if (!after.empty() && it->Valid() && view_of(it->key()) == start) it->Next();
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), prefix)) break;
        std::string_view key = view_of(it->key());
        if (key.size() < 41) throw StoreError("corrupt holders row");
        size_t len = 0xff - static_cast<uint8_t>(key[20]);
        if (key.size() != 41 + len) throw StoreError("corrupt holders row");
        uint8_t mag[64];
        for (size_t i = 0; i < len; ++i) mag[i] = static_cast<uint8_t>(~static_cast<uint8_t>(key[21 + i]));
        HolderItem item;
        item.holder = get_fixed<Address>(key, 21 + len);
        boost::multiprecision::uint512_t magnitude = 0;
        if (len != 0) boost::multiprecision::import_bits(magnitude, mag, mag + len, 8);
        item.balance = static_cast<Balance>(magnitude);
        out.push_back(item);
        next.assign(key.substr(20));
    }
    check(it->status(), "scan holders");
    if (out.size() < limit) next.clear();
    else {
        // Exhausted exactly at a page boundary: say so, so no empty page follows.
        if (!it->Valid() || !starts_with(it->key(), prefix)) next.clear();
    }
    return out;
}

std::vector<Transfer> View::token_transfers(const Address& token, BlockNum from_block, BlockNum to_block,
                                            std::optional<std::pair<BlockNum, uint32_t>> after,
                                            size_t limit) const {
    auto rows = store_->scan_transfer_index(snapshot_options(snapshot_), kCfTokenTransfers, token, from_block,
                                    to_block, after, limit, [](uint8_t, const Transfer&) { return true; });
    std::vector<Transfer> out;
    out.reserve(rows.size());
    for (auto& r : rows) out.push_back(r.transfer);
    return out;
}

std::vector<Address> View::tokens(std::optional<Address> after, size_t limit) const {
    std::vector<Address> out;
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfTokenStats)));
    if (after) {
        it->Seek(slice(token_key(*after)));
        if (it->Valid() && view_of(it->key()) == token_key(*after)) it->Next();
    } else {
        it->SeekToFirst();
    }
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (it->key().size() == 20) out.push_back(get_fixed<Address>(view_of(it->key()), 0));
    }
    check(it->status(), "scan tokens");
    return out;
}

std::vector<Address> View::tokens_ranked(char ranking, std::string_view after, size_t limit,
                                        std::string& next) const {
    std::vector<Address> out;
    next.clear();
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfTokenRank)));
    const std::string prefix(1, ranking);
    const std::string start = prefix + std::string(after);
    it->Seek(slice(start));
    if (!after.empty() && it->Valid() && view_of(it->key()) == start) it->Next();
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), prefix) || it->key().size() != 29) break;
        out.push_back(get_fixed<Address>(view_of(it->key()), 9));
        next.assign(view_of(it->key()).substr(1));
    }
    check(it->status(), "scan token ranking");
    if (out.size() < limit || !it->Valid() || !starts_with(it->key(), prefix)) next.clear();
    return out;
}

std::vector<Address> View::account_tokens(const Address& account, std::optional<Address> after, size_t limit) const {
    std::vector<Address> out;
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfAccountTokens)));
    const std::string prefix = token_key(account);
    const std::string start = after ? pair_key(account, *after) : prefix;
    it->Seek(slice(start));
    if (after && it->Valid() && view_of(it->key()) == start) it->Next();
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), prefix) || it->key().size() != 40) break;
        out.push_back(get_fixed<Address>(view_of(it->key()), 20));
    }
    check(it->status(), "scan account tokens");
    return out;
}

std::vector<View::AccountTransfer> View::account_transfers(const Address& account, std::optional<Address> token,
                                                           uint8_t directions, BlockNum from_block,
                                                           BlockNum to_block,
                                                           std::optional<std::pair<BlockNum, uint32_t>> after,
                                                           size_t limit) const {
    return store_->scan_transfer_index(snapshot_options(snapshot_), kCfAccountTransfers, account, from_block,
                               to_block, after, limit, [&](uint8_t dir, const Transfer& t) {
                                   return (dir & directions) != 0 && (!token || t.token == *token);
                               });
}

std::vector<HolderItem> View::holders_at(const Address& token, BlockNum n) const {
    std::vector<HolderItem> out;
    auto ro = snapshot_options(snapshot_);
    const std::string prefix = token_key(token);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfBalanceHistory)));
    // Rows are ordered by holder, then block: keep each holder's last row at or below n.
    std::optional<HolderItem> current;
    auto flush = [&] {
        if (current && current->balance > 0) out.push_back(*current);
        current.reset();
    };
    for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
        if (!starts_with(it->key(), prefix) || it->key().size() != 48) break;
        std::string_view key = view_of(it->key());
        Address holder = get_fixed<Address>(key, 20);
        if (current && current->holder != holder) flush();
        if (get_be64(key, 40) > n) continue;
        auto b = decode_balance(view_of(it->value()));
        if (!b) throw StoreError("corrupt balance_history row");
        current = HolderItem{holder, *b};
    }
    flush();
    check(it->status(), "scan balance history");
    std::sort(out.begin(), out.end(), [](const HolderItem& a, const HolderItem& b) {
        if (a.balance != b.balance) return a.balance > b.balance;
        return a.holder < b.holder;
    });
    return out;
}


}  // namespace erc20::storage
