#pragma once
// Internal to storage/: the state behind Store and View, and the reads and
// row writes that apply, rollback and the View share. Defined in:
//   open.cpp        opening: options, column families, RocksDB's log, the schema check
//   reads.cpp       point reads and decoders of every row the writers and View read
//   row_writes.cpp  the rows one balance or one token's counters drag along; commits
//   apply.cpp       Store::apply and apply_backfill (their plan of steps: apply_plan.hpp)
//   rollback.cpp    Store::rollback and rollback_step
//   view.cpp        View, the read side
//   view_series.cpp View's reads by block: token_blocks and block_times
//   token_queue.cpp the metadata writes and the metadata queue
//   stream_log.cpp  the change stream's rows in those writes; stream.cpp its reader
//   store.cpp       everything else of Store (scope, bulk mode, maintenance)

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "storage/rocks.hpp"
#include "storage/schema.hpp"
#include "storage/store.hpp"
#include "storage/writes.hpp"

namespace erc20::storage {

/// Level-0 files a family may gather in bulk mode before its automatic
/// compactions come back (reads search every level-0 file).
inline constexpr uint64_t kBulkMaxL0Files = 96;
/// The same for the families every batch reads by key (balances, token
/// stats, the current epochs of ranked_history): each of their point reads
/// probes every level-0 file, so they get compactions back early.
inline constexpr uint64_t kBulkMaxL0FilesRead = 8;

struct Store::Impl {
    std::string path;
    std::unique_ptr<rocksdb::DB> db;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs;
    std::vector<rocksdb::Options> cf_options;       // per family, for writing table files
    std::vector<rocksdb::Options> cf_options_bulk;  // the same, uncompressed
    std::string ingest_dir;                         // table files before their ingestion
    size_t ingest_min_transfers{0};
    uint64_t ingest_seq{0};
    uint64_t epoch_min_entries{0};  // StoreOptions::history_epoch_min_entries
    bool bulk{false};               // Store::begin_bulk
    /// Per family, in bulk mode: bound_level0 gave it its automatic
    /// compactions back.
    std::vector<bool> bulk_compacting;
    /// Per family: its stall triggers are above the defaults, over the
    /// compaction debt a backfill left (raise_triggers_over_debt); cleared by
    /// Store::settle_compactions once the family is under the defaults.
    std::vector<bool> unsettled;
    std::atomic<bool> debt{false};         // some family is unsettled
    std::atomic<bool> interrupted{false};  // Store::interrupt
    /// Held by put_token_meta and rollback: the metadata version advances
    /// one write at a time, and a supply reading is checked against the
    /// headers no rollback is changing.
    std::mutex meta_mutex;
    /// Held by the commit of every apply (write()) and by the metadata
    /// writes' check of the token's last transfer: a totalSupply task that
    /// a write queues after the reading is never removed with it. Taken
    /// after meta_mutex.
    std::mutex commit_mutex;
    std::function<std::optional<std::string>(CommitPoint)> fault;  // StoreOptions::fault
    std::shared_ptr<rocksdb::Cache> block_cache;                   // every family's
    std::shared_ptr<rocksdb::Statistics> statistics;               // the DB's tickers

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl();

    rocksdb::ColumnFamilyHandle* cf(Cf c) const { return cfs[c]; }

    // --- reads.cpp: every decoder failure goes to corrupt_row.
    std::optional<std::string> get(const rocksdb::ReadOptions& ro, Cf c,
                                   std::string_view key) const;
    /// get() decoded with `decode`, or corrupt_row.
    template <class Decode>
    auto get_row(const rocksdb::ReadOptions& ro, Cf c, std::string_view key, Decode&& decode) const
        -> std::optional<typename decltype(decode(std::string_view()))::value_type> {
        auto v = get(ro, c, key);
        if (!v) return std::nullopt;
        return decoded(decode(std::string_view(*v)), c, key, path);
    }
    std::optional<uint64_t> chain_id(const rocksdb::ReadOptions& ro) const;
    std::optional<Cursor> cursor(const rocksdb::ReadOptions& ro) const;
    std::optional<TokenBackfill> backfill(const rocksdb::ReadOptions& ro) const;
    std::optional<IndexScope> scope(const rocksdb::ReadOptions& ro) const;
    Totals totals(const rocksdb::ReadOptions& ro) const;
    uint64_t meta_version(const rocksdb::ReadOptions& ro) const;
    std::string next_meta_version(const rocksdb::ReadOptions& ro) const;
    uint64_t history_version(const rocksdb::ReadOptions& ro) const;
    std::string next_history_version(const rocksdb::ReadOptions& ro) const;
    std::optional<BlockHeader> header(const rocksdb::ReadOptions& ro, BlockNum n) const;
    std::optional<uint64_t> block_time(const rocksdb::ReadOptions& ro, BlockNum n) const;
    /// Whether a supply reading is on the chain `ro` shows: see Store::put_token_meta.
    bool on_chain(const rocksdb::ReadOptions& ro, const TokenMeta& m) const;
    std::optional<TokenMeta> token_meta(const rocksdb::ReadOptions& ro, const Address& token) const;
    std::optional<TokenStats> stats(const rocksdb::ReadOptions& ro, const Address& token) const;
    Balance balance(const rocksdb::ReadOptions& ro, const Address& token,
                    const Address& holder) const;
    /// The balances row; zero at block 0 when there is none.
    BalanceRow balance_row(const rocksdb::ReadOptions& ro, const Address& token,
                           const Address& holder) const;
    /// Balance at the end of block n and the block of its history row, from
    /// the history rows; zero at block 0 when there is none.
    BalanceRow balance_row_at(const rocksdb::ReadOptions& ro, const Address& token,
                              const Address& holder, BlockNum n) const;
    /// The same, reading with `it` (a balance_history iterator): callers
    /// with many holders reuse one, in address order for locality.
    BalanceRow balance_row_at(rocksdb::Iterator& it, const Address& token, const Address& holder,
                              BlockNum n) const;
    /// Balance at the end of block n, from the history rows.
    Balance balance_at(const rocksdb::ReadOptions& ro, const Address& token, const Address& holder,
                       BlockNum n) const;
    /// The transfer an index row (token_transfers, account_transfers) points at.
    Transfer indexed_transfer(const rocksdb::ReadOptions& ro, Cf index,
                              std::string_view index_key) const;

    // --- row_writes.cpp
    /// Moves a holder's balance from `before` to `after` (with the block of
    /// its last history row) in every row and counter that depends on it:
    /// balances, the holders ranking, the account's token list, holders and
    /// negative_balances.
    /// `balance_order` and `account_token_order`, when given, order the
    /// balances and account_tokens rows (see Writes::Put).
    void write_balance_change(Writes& wb, const Address& token, const Address& holder,
                              const BalanceRow& before, const BalanceRow& after, TokenStats& s,
                              uint64_t balance_order = Writes::kKeyed,
                              uint64_t account_token_order = Writes::kKeyed) const;
    /// Writes a token's stats (or deletes them) and keeps the token rankings
    /// by holders and by transfers in step.
    void write_stats(Writes& wb, const Address& token, const std::optional<TokenStats>& before,
                     const std::optional<TokenStats>& after) const;
    /// Commits `wb` atomically: as ingested table files for a batch of at
    /// least ingest_min_transfers transfers, else through the memtables;
    /// holds commit_mutex while RocksDB commits.
    void write(Writes& wb, size_t transfers, std::string_view what);

    // --- token_queue.cpp
    /// Queues a task per token in `wb`: all calls (`full`) or totalSupply.
    void queue_tasks(Writes& wb, const std::vector<Address>& tokens, bool full) const;
    /// The tasks an apply creates: every call for its new tokens, totalSupply
    /// for the others it touched.
    void queue_applied(Writes& wb, const ApplyResult& result) const;
    /// Records in `wb` that the readings above `to` (all when nullopt) may
    /// be off the chain (meta row token_queue_rollback, the lowest target).
    /// REQUIRES: meta_mutex held.
    void mark_rollback(Writes& wb, const std::optional<Cursor>& to) const;
    /// Moves the token's token_symbols row from its stored metadata's symbol
    /// to `symbol`, in `batch`.
    void put_symbol(rocksdb::WriteBatch& batch, const rocksdb::ReadOptions& ro,
                    const Address& token, const std::optional<std::string>& symbol) const;
    /// Fills token_symbols from token_meta once (meta row token_symbols).
    /// REQUIRES: the store opened for writing, no other thread using it.
    void build_symbols();
    /// The test seam before a commit point: throws the injected failure.
    void inject(CommitPoint p, std::string_view what) const;
    /// In bulk mode, a family whose level 0 grew to kBulkMaxL0Files
    /// (kBulkMaxL0FilesRead for the point-read ones) gets its automatic
    /// compactions back (once).
    void bound_level0();

    // --- stream_log.cpp (layouts: stream_rows.hpp)
    /// Meta row stream_seq (0 when absent).
    uint64_t stream_seq(const rocksdb::ReadOptions& ro) const;
    /// The stream_blocks row of each block with transfers in `batch`; with
    /// `add_tokens`, a stream_log change for each, under the next stream_seq.
    void stream_applied(Writes& wb, const rocksdb::ReadOptions& ro, const BlockBatch& batch,
                        bool add_tokens) const;
    /// For a rollback undoing the blocks from `first` on: a stream_log row
    /// per block of stream_blocks there, newest first, and the rows' removal.
    void stream_undone(Writes& wb, const rocksdb::ReadOptions& ro, BlockNum first) const;
    /// Draws the stream's id and sets its floor, once per database.
    /// REQUIRES: the store opened for writing, no other thread using it.
    void init_stream();

    // --- store.cpp
    /// Automatic compactions on; a family above the default stall triggers
    /// gets triggers above what it holds and is marked unsettled. With
    /// `from_bulk` the others get the default triggers back (after bulk
    /// mode); without (at open) they already have them.
    void raise_triggers_over_debt(bool from_bulk);
};

/// Read options of a View's snapshot.
inline rocksdb::ReadOptions snapshot_options(const rocksdb::Snapshot* s) {
    rocksdb::ReadOptions ro;
    ro.snapshot = s;
    return ro;
}

/// The level-0 table files of a family now (row_writes.cpp).
uint64_t level0_files(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h);

}  // namespace erc20::storage
