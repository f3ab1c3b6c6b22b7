#pragma once
// The indexer's database: RocksDB with the column families of
// storage/schema.hpp. One writer (the indexer thread) calls apply() and
// rollback(); any number of readers take a View, a consistent snapshot.
//
// Failures of RocksDB itself (I/O errors, corruption, a lock held by another
// process) throw StoreError with a message fit for an operator. A failed write
// leaves the database as it was before that write. An I/O failure (no space
// left, a read-only or failing filesystem) is StoreError::Kind::kIo: once its
// cause is gone, Store::resume() makes the database writable again.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.hpp"
#include "storage/position.hpp"
#include "storage/types.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Snapshot;
}  // namespace rocksdb

namespace erc20::storage {

class StoreError : public std::runtime_error {
  public:
    /// kIo: the filesystem failed (ENOSPC, EROFS, EIO); nothing of the failed
    /// write is in the database and a retry after Store::resume() may succeed.
    /// kOther: corruption, a wrong database, a bug: an operator must look.
    enum class Kind { kIo, kOther };
    explicit StoreError(const std::string& what, Kind kind = Kind::kOther)
        : std::runtime_error(what), kind_(kind) {}
    [[nodiscard]] Kind kind() const noexcept { return kind_; }

  private:
    Kind kind_;
};

/// The points at which the store commits a write, for StoreOptions::fault.
enum class CommitPoint {
    kApplyBatch,    // apply() through one WriteBatch
    kApplyIngest,   // apply() through IngestExternalFiles, after its table files are written
    kRollback,      // rollback()
    kPutTokenMeta,  // put_token_meta()
};
[[nodiscard]] const char* to_string(CommitPoint p) noexcept;

/// Memory one apply() holds per transfer at its peak (the batch's transfers,
/// their index and history rows, the touched balances), an estimate from the
/// sizes of those rows and entries. Writers size their batches with it: a batch limit in bytes
/// divided by this is a limit in transfers. 640 before ranked_history, whose
/// two writes per history row (~1.9 a transfer) hold ~200 bytes each.
inline constexpr size_t kApplyBytesPerTransfer = 1024;
/// Default limit of one write batch during backfill (--write-batch-mb).
inline constexpr size_t kDefaultWriteBatchBytes = size_t{128} << 20;

struct StoreOptions {
    bool read_only{false};
    size_t block_cache_bytes{256u << 20};   // Default: 256 MiB
    size_t write_buffer_bytes{256u << 20};  // memtables of all column families. Default: 256 MiB
    /// A batch of at least this many transfers writes its append-only rows
    /// (transfers, their indexes, balance history, block times) as sorted
    /// table files ingested into the database, bypassing memtables and WAL;
    /// smaller batches go through the memtables. Both are atomic with the cursor.
    size_t ingest_min_transfers{20'000};
    /// The fewest entries an epoch of ranked_history (the holders at past
    /// blocks) holds before a token's next one starts; see
    /// storage/ranked_history.hpp. Default: 512. Smaller in tests only.
    uint64_t history_epoch_min_entries{512};
    /// Test seam (fault injection, as Boost.Beast's fail_count): when set, it
    /// is called just before each commit point; a message makes that commit
    /// fail as StoreError::Kind::kIo naming it, with nothing written. It may be
    /// called from the indexer's writer thread and the metadata thread at once.
    /// Default: unset, and then it costs nothing.
    std::function<std::optional<std::string>(CommitPoint)> fault;
};

class View;

class Store {
  public:
    /// Opens or creates the database at `path` and checks its schema version.
    /// Throws StoreError naming the path when it is locked by another process,
    /// has an unknown schema version, or cannot be opened.
    static std::unique_ptr<Store> open(const std::string& path, const StoreOptions& options);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    /// Records `chain_id` in a new database, or throws StoreError when the
    /// database was built from another chain. Records `scope` too, in the
    /// same write, when the database has none stored yet (a new database, or
    /// one built by a version that did not store it); returns true then.
    bool bind_chain(uint64_t chain_id, const std::optional<IndexScope>& scope = std::nullopt);
    [[nodiscard]] std::optional<uint64_t> chain_id() const;
    /// The stored scope; nullopt when none is stored.
    [[nodiscard]] std::optional<IndexScope> scope() const;

    /// Records the start of an add-tokens (the progress row).
    /// REQUIRES: no backfill in progress; none of job.tokens in the stored
    /// filter, which is not empty (checked by the caller).
    void begin_token_backfill(const TokenBackfill& job);
    /// The add-tokens in progress, if any.
    [[nodiscard]] std::optional<TokenBackfill> token_backfill() const;
    /// One step of the add-tokens in progress: applies the transfers of
    /// blocks [batch.first, batch.last.block_num] (all of the backfill's
    /// tokens, none of them with a transfer at or after batch.first yet) and
    /// moves the progress row to batch.last.block_num + 1, in one atomic write
    /// that leaves the cursor and the headers alone. With `finish`, the same
    /// write removes the progress row and adds the tokens to the stored
    /// filter. Throws StoreError when no backfill is in progress, when
    /// batch.first is not its next block, when batch.last is past the cursor,
    /// or when a transfer is of another token.
    ApplyResult apply_backfill(const BlockBatch& batch, bool finish);
    [[nodiscard]] std::optional<Cursor> cursor() const;
    /// The node's eth_getLogs log limit the indexer learned (BlockBatch::log_limit); 0: none.
    [[nodiscard]] uint64_t log_limit() const;
    [[nodiscard]] std::optional<BlockHeader> header(BlockNum n) const;
    /// The highest stored header at or below n.
    [[nodiscard]] std::optional<BlockHeader> header_at_or_below(BlockNum n) const;

    /// Applies blocks [batch.first, batch.last] and moves the cursor to
    /// batch.last, all in one atomic write.
    /// REQUIRES: batch.first == cursor + 1, or the database has no cursor yet.
    ApplyResult apply(const BlockBatch& batch);

    /// Undoes every derived effect of the blocks after `to->block_num` (balances,
    /// holders, stats, transfers, history, headers, tokens first seen there)
    /// and sets the cursor to `to`, in one atomic write. With no `to`, undoes
    /// every block and removes the cursor. A no-op when the cursor is at or
    /// below `to->block_num`. An add-tokens in progress past `to` is moved
    /// back to the block after it in the same write.
    /// The write holds every undone row in memory: a rollback of millions of
    /// transfers needs memory in proportion.
    RollbackResult rollback(const std::optional<Cursor>& to);

    /// The highest block B >= `floor` such that rolling back to B undoes at
    /// most `max_transfers` transfers (but at least the last block's), or
    /// `floor` when fewer remain after it. Lets a deep rollback proceed in
    /// steps of bounded memory, each one atomic.
    [[nodiscard]] BlockNum rollback_step(BlockNum floor, size_t max_transfers) const;

    /// Full compaction of every column family. Returns false when
    /// interrupt() stopped it (what was compacted so far stays). `progress`,
    /// when set, gets (families compacted, families) at the start and after
    /// each family, from either of the two compacting threads.
    bool compact(const std::function<void(size_t done, size_t total)>& progress = {});
    /// Stops a compaction in progress, from any thread (a daemon stopping).
    void interrupt();

    /// Bulk-load settings for a backfill: automatic compactions deferred (a
    /// family whose level 0 reaches kBulkMaxL0Files files gets them back, so
    /// reads stay bounded on a long backfill) and no write stalls on level-0
    /// file counts. Idempotent.
    void begin_bulk();
    /// Leaves bulk mode without compacting: automatic compactions back, and
    /// a family left above the default stall triggers (level-0 files,
    /// pending compaction bytes) gets triggers above what it holds, so the
    /// writes of following never stall while the background compactions pay
    /// the debt. A no-op outside bulk mode. Store::open does the same for a
    /// database opened with debt.
    void end_bulk();
    /// Lowers the stall triggers of the families whose debt is paid (under
    /// the default slowdown triggers) to the defaults, once per family.
    /// True when no family is left above them; a no-op then, and in bulk
    /// mode. Call it once per poll.
    bool settle_compactions();
    /// Some family still has raised stall triggers (any thread).
    [[nodiscard]] bool compaction_debt() const;
    struct CompactionStats {
        uint64_t level0_files{0};   // max over families
        uint64_t pending_bytes{0};  // sum over families
        uint64_t running{0};        // compactions running
    };
    [[nodiscard]] CompactionStats compaction_stats() const;
    [[nodiscard]] bool bulk() const;

    /// A consistent copy of the database in `dir` (which must not exist),
    /// hard-linked where it shares a filesystem with the database. Restoring
    /// it is copying the folder back as the --db folder. Returns the copy's cursor.
    std::optional<Cursor> checkpoint(const std::string& dir);

    /// Writes a token's metadata and advances the metadata version (see
    /// View::meta_version) in one write. Returns false, writing nothing, when
    /// the supply reading is not on the indexed chain any more: its block is
    /// at or below the cursor and the stored header there has another hash
    /// (a reorg or rollback came between the eth_call and this write), or it
    /// is above the cursor and not a fallback reading. Serialized with
    /// rollback(), so a reading written is never one a rollback removed.
    /// The same write ends the token's tasks in the metadata queue that it
    /// answers: the full one when `full`, the totalSupply one when the
    /// reading is at or above the token's last transfer (checked under the
    /// lock apply() commits with, so a task a later write queued is kept).
    bool put_token_meta(const Address& token, const TokenMeta& meta, bool full = false);

    // --- The metadata queue (token_queue; see storage/token_rows.hpp).
    /// Up to `limit` tasks due at `now_ms`, in key order (every full task,
    /// then the totalSupply ones) after `after`, looking at `max_scan` rows
    /// at most.
    [[nodiscard]] MetadataTasks metadata_tasks(const std::optional<MetadataTask>& after,
                                               size_t limit, uint64_t now_ms,
                                               size_t max_scan) const;
    /// A task that failed: stored with its new attempts and not_before.
    void retry_metadata_task(const MetadataTask& task);
    /// Ends a task without metadata (its token is gone, or it failed too
    /// often), unless a write since `task` was read queued it again.
    void drop_metadata_task(const MetadataTask& task);
    /// Queues tasks (a scan of the database found these tokens' metadata
    /// missing or stale); `filled` also records that the queue now holds
    /// every such token (metadata_queue_filled).
    void queue_metadata(const std::vector<Address>& tokens, bool full, bool filled = false);
    /// Whether the queue holds every token whose metadata is missing or
    /// stale: false for a database of a version before the queue, until
    /// queue_metadata(..., true).
    [[nodiscard]] bool metadata_queue_filled() const;
    /// The lowest target of the rollbacks (0: every block) whose supply
    /// readings above it were not yet queued again, written by rollback() in
    /// its write: a daemon that was not running at the rollback (an admin
    /// command on the database) finds it at its start.
    [[nodiscard]] std::optional<BlockNum> metadata_rollback() const;
    /// The rollbacks down to `to` were handled: the mark goes unless a
    /// deeper one came since.
    void clear_metadata_rollback(BlockNum to);
    /// RocksDB's estimate of the tasks queued.
    [[nodiscard]] uint64_t metadata_queue_estimate() const;

    /// A consistent snapshot for readers.
    [[nodiscard]] View view() const;

    /// Makes every write so far durable (WAL fsync).
    void sync();
    /// After an I/O failure RocksDB refuses every write until its cause is
    /// gone: clears that state (DB::Resume) and proves the database writable
    /// with one small synced write. Throws StoreError (kIo while the cause
    /// remains) when it is still not writable.
    void resume();
    /// Every row of every column family, from one snapshot, as lines
    /// `family key value` (key and value in hex), for tests that compare
    /// whole databases. token_meta and token_queue rows and the metadata and
    /// history versions are left out unless asked for: the metadata threads
    /// write them apart from the cursor, and a rebuilt copy has not had the
    /// original's rollbacks.
    /// ranked_history comes as its intervals, without epochs (key without the
    /// epoch, the value of its latest epoch), and history_epochs not at all:
    /// where epochs start depends on the batches a database was written in.
    [[nodiscard]] std::vector<std::string> debug_dump(bool with_token_meta = false) const;
    [[nodiscard]] const std::string& path() const;
    /// The database's size on disk in bytes: its table files (all column
    /// families) and its write-ahead logs. `du -sb` of the folder minus
    /// RocksDB's bookkeeping files (LOG*, OPTIONS-*, MANIFEST-*, CURRENT,
    /// IDENTITY, LOCK). The one figure that status, /v1/status, the
    /// erc20_db_size_bytes metric and the compaction log lines report.
    [[nodiscard]] uint64_t size_bytes() const;
    /// Each column family's table files in bytes, by name (what size_bytes
    /// adds up, without the write-ahead logs).
    [[nodiscard]] std::vector<std::pair<std::string, uint64_t>> family_bytes() const;
    /// What RocksDB holds in memory, in bytes (the erc20_rocksdb_memory_bytes
    /// metric): memtables (active, immutable and pinned, all families),
    /// table readers outside the block cache, the block cache's usage and of
    /// it the part pinned (index and filter blocks of level-0 files, blocks an
    /// open iterator holds).
    struct Memory {
        uint64_t memtables = 0;
        uint64_t table_readers = 0;
        uint64_t block_cache = 0;
        uint64_t block_cache_pinned = 0;
        uint64_t block_cache_capacity = 0;  // --cache-mb
        uint64_t block_cache_entries = 0;
        uint64_t block_cache_hits = 0;  // since open: blocks found in the cache
        uint64_t block_cache_misses = 0;
    };
    [[nodiscard]] Memory memory() const;

    /// The state behind the store, internal to storage/ (storage/store_impl.hpp).
    struct Impl;

  private:
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    friend class View;
    friend class StreamReader;
};

/// Reads from one RocksDB snapshot; every method answers as of the same instant.
class View {
  public:
    ~View();
    View(View&&) noexcept;
    View(const View&) = delete;
    View& operator=(const View&) = delete;
    View& operator=(View&&) = delete;

    [[nodiscard]] std::optional<Cursor> cursor() const;
    [[nodiscard]] Totals totals() const;
    [[nodiscard]] std::optional<uint64_t> chain_id() const;
    [[nodiscard]] std::optional<TokenStats> token_stats(const Address& token) const;
    /// A token's metadata. A supply reading that is not on the chain this
    /// snapshot shows (see Store::put_token_meta: a block whose stored header
    /// has another hash, or a non-fallback block above the cursor, left by a
    /// rollback) is dropped: total_supply and supply_hash are nullopt.
    [[nodiscard]] std::optional<TokenMeta> token_meta(const Address& token) const;
    /// Advanced by every metadata write and every rollback, in the same
    /// write: with the cursor it names everything this snapshot shows
    /// (0 in a database that never had one).
    [[nodiscard]] uint64_t meta_version() const;
    /// Advanced by every rollback and every add-tokens step, in the same
    /// write, and by nothing else: blocks applied on top of the cursor leave
    /// what a snapshot shows at or below it alone, so (block n <= cursor,
    /// history version) names the balances at the end of block n. 0 in a
    /// database that never had one.
    [[nodiscard]] uint64_t history_version() const;
    /// Every token with stats, in address order, with its metadata as
    /// token_meta() gives it. Reads every token_stats row.
    void for_each_token(const std::function<void(const Address&, const TokenStats&,
                                                 const std::optional<TokenMeta>&)>& f) const;
    [[nodiscard]] Balance balance(const Address& token, const Address& holder) const;
    /// Balance at the end of block n (n at or below the cursor).
    [[nodiscard]] Balance balance_at(const Address& token, const Address& holder, BlockNum n) const;
    [[nodiscard]] std::optional<uint64_t> block_time(BlockNum n) const;

    /// Up to `limit` holders by balance descending, address ascending,
    /// starting after position `after` (none: from the top). `next` is set to
    /// the position of the last item returned, or cleared when the list is
    /// exhausted.
    /// REQUIRES: `after`, when given, is of Position::Kind::kHolder.
    std::vector<HolderItem> holders(const Address& token, const std::optional<Position>& after,
                                    size_t limit, std::optional<Position>& next) const;
    /// Every holder of a token with a positive balance, now (no n) or at the
    /// end of block n (as holders_at), in holders() order, given to f until it
    /// returns false: one iterator over the snapshot and no list in memory,
    /// for walks over millions of holders (distributions).
    void for_each_holder(const Address& token, std::optional<BlockNum> n,
                         const std::function<bool(const HolderItem&)>& f) const;

    /// Transfers of a token in [from_block, to_block], ascending, after
    /// (block, log_index) `after` when given.
    std::vector<Transfer> token_transfers(const Address& token, BlockNum from_block,
                                          BlockNum to_block,
                                          std::optional<std::pair<BlockNum, uint32_t>> after,
                                          size_t limit) const;

    /// Tokens in address order after `after`.
    std::vector<Address> tokens(std::optional<Address> after, size_t limit) const;

    /// Tokens whose symbol starts with `prefix` (compared as fold_symbol
    /// folds both: ASCII case-insensitive), by folded symbol then address,
    /// after position `after` (none: from the first); `next` as in holders().
    /// REQUIRES: `after`, when given, is of Position::Kind::kSymbol.
    std::vector<Address> tokens_by_symbol(std::string_view prefix,
                                          const std::optional<Position>& after, size_t limit,
                                          std::optional<Position>& next) const;

    /// Tokens ranked by holders or transfers descending, ties by address
    /// ascending, after position `after` (none: from the top); `next` as in
    /// holders().
    /// REQUIRES: `after`, when given, is of Position::Kind::kRanking.
    std::vector<Address> tokens_ranked(Ranking ranking, const std::optional<Position>& after,
                                       size_t limit, std::optional<Position>& next) const;

    /// Tokens the account holds with a positive balance, in address order after `after`.
    std::vector<Address> account_tokens(const Address& account, std::optional<Address> after,
                                        size_t limit) const;

    struct AccountTransfer {
        Transfer transfer;
        Direction direction{Direction::kNone};
    };
    /// Transfers from or to `account` in [from_block, to_block], ascending,
    /// whose direction overlaps `directions` and, when given, of `token`.
    std::vector<AccountTransfer> account_transfers(
        const Address& account, std::optional<Address> token, Direction directions,
        BlockNum from_block, BlockNum to_block, std::optional<std::pair<BlockNum, uint32_t>> after,
        size_t limit) const;

    struct BalanceChange {
        BlockNum block{0};
        Balance balance{0};
        friend bool operator==(const BalanceChange&, const BalanceChange&) = default;
    };
    /// The account's balance of `token` at the end of each block of
    /// [from_block, to_block] (after block `after`, when given) at whose end
    /// it differs from its balance at the end of the block before, ascending,
    /// at most `limit`. Reads the account's balance_history rows in the range
    /// (one per block a transfer touched it: the changes and the blocks whose
    /// transfers cancelled out) and one row before it.
    std::vector<BalanceChange> balance_changes(const Address& token, const Address& account,
                                               BlockNum from_block, BlockNum to_block,
                                               std::optional<BlockNum> after, size_t limit) const;

    struct AccountFlow {
        Address account;
        Balance before{0};  // at the end of the block before the range
        Balance after{0};   // at the end of the range
    };
    /// Every account whose balance of `token` at the end of `to_block`
    /// differs from the one at the end of `from_block - 1`, in no order, the
    /// zero address never; nullopt when the range holds more than
    /// `max_transfers` transfers of the token (the read stops there). Reads
    /// the range's transfers and one balance row per account they touch (the
    /// balance before is the one after minus the range's net flow).
    /// REQUIRES: to_block at or below the cursor.
    [[nodiscard]] std::optional<std::vector<AccountFlow>> flows(const Address& token,
                                                                BlockNum from_block,
                                                                BlockNum to_block,
                                                                size_t max_transfers) const;

    struct Activity {
        uint64_t senders{0};       // distinct non-zero senders
        uint64_t receivers{0};     // distinct non-zero receivers
        uint64_t new_holders{0};   // balance <= 0 before the range, > 0 at its end
        uint64_t gone_holders{0};  // balance > 0 before the range, <= 0 at its end
    };
    /// Who took part in the token's transfers of [from_block, to_block] and
    /// how its holders changed over them; nullopt over `max_transfers` (as
    /// flows(), whose reads it makes).
    /// REQUIRES: to_block at or below the cursor.
    [[nodiscard]] std::optional<Activity> activity(const Address& token, BlockNum from_block,
                                                   BlockNum to_block, size_t max_transfers) const;

    /// The token's stats as at the end of each block of `blocks` (its
    /// token_blocks row at or before it; nullopt before its first transfer):
    /// one seek each, through one iterator.
    [[nodiscard]] std::vector<std::optional<TokenStats>> token_stats_at(
        const Address& token, const std::vector<BlockNum>& blocks) const;
    /// The timestamp of each block of `blocks`: its block_times row, or the
    /// last one before it (a database written before schema 3 has rows only
    /// for blocks with transfers); nullopt with none at or before it.
    [[nodiscard]] std::vector<std::optional<uint64_t>> times_at(
        const std::vector<BlockNum>& blocks) const;
    /// The first block with a block_times row (the first indexed block).
    [[nodiscard]] std::optional<BlockNum> first_timed_block() const;
    /// The last block of [lo, hi] whose time (as times_at gives it) is below
    /// `t`, by binary search (block times never decrease): ~log2(hi - lo) seeks.
    /// REQUIRES: the time of lo is below t.
    [[nodiscard]] BlockNum last_block_before(BlockNum lo, BlockNum hi, uint64_t t) const;

    struct ChainCounts {
        uint64_t tokens{0};         // tokens with a transfer at or before the span's last block
        uint64_t active_tokens{0};  // tokens with a transfer within the span
        uint64_t transfers{0};      // transfers within the span
    };
    /// The chain's counts over each span [first, last] of `spans` (ascending,
    /// not overlapping): from the chain_activity rows tiling each span and
    /// each gap before one (at most 30 a level, of 8 levels), however long
    /// the history.
    /// REQUIRES: the last span's last block at or below the cursor.
    [[nodiscard]] std::vector<ChainCounts> chain_counts(
        const std::vector<std::pair<BlockNum, BlockNum>>& spans) const;
    /// The block of the first transfer indexed.
    [[nodiscard]] std::optional<BlockNum> first_transfer_block() const;

    /// The holders of a token with a positive balance at the end of block n,
    /// balance descending, address ascending. Reads the epoch of
    /// ranked_history holding n: at most a few times the token's holders
    /// (storage/ranked_history.hpp), not its history.
    std::vector<HolderItem> holders_at(const Address& token, BlockNum n) const;
    /// A page of that list after `after` (none: from the top), as holders()
    /// pages the current one; the same kind of positions.
    /// REQUIRES: `after`, when given, is of Position::Kind::kHolder.
    std::vector<HolderItem> holders_at(const Address& token, BlockNum n,
                                       const std::optional<Position>& after, size_t limit,
                                       std::optional<Position>& next) const;

  private:
    friend class Store;
    View(const Store::Impl* store, const rocksdb::Snapshot* snapshot);
    const Store::Impl* store_;
    const rocksdb::Snapshot* snapshot_;
};

/// The RocksDB library's version, "7.8.3" (for erc20_build_info).
[[nodiscard]] std::string rocksdb_version();

}  // namespace erc20::storage
