#pragma once
// The storage vocabulary: the rows the store takes and hands out (transfers,
// headers, cursors, counters, token metadata) and the batches and results of
// its writes. Plain data: nothing here knows about RocksDB.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/block.hpp"
#include "common/types.hpp"

namespace erc20::storage {

/// The side of a transfer an account is on, as bits (the value byte of an
/// account_transfers row): kOut 1, kIn 2, kBoth 3 for a self transfer. As
/// a filter, the set of sides to keep.
enum class Direction : uint8_t { kNone = 0, kOut = 1, kIn = 2, kBoth = 3 };
/// Whether two sets of sides share one.
[[nodiscard]] constexpr bool overlaps(Direction a, Direction b) noexcept {
    return (static_cast<uint8_t>(a) & static_cast<uint8_t>(b)) != 0;
}

/// A ranking of tokens (token_rank); the value is its keys' first byte.
enum class Ranking : char { kHolders = 'h', kTransfers = 't' };

/// One ERC20 Transfer event, as indexed.
struct Transfer {
    BlockNum block_num{0};
    uint32_t log_index{0};
    Hash txn_hash;
    Address token;
    Address from;
    Address to;
    U256 value;
    friend bool operator==(const Transfer&, const Transfer&) = default;
};

struct Cursor {
    BlockNum block_num{0};
    Hash hash;
};

struct Totals {
    uint64_t tokens{0};
    uint64_t transfers{0};
};

struct TokenStats {
    uint64_t holders{0};
    uint64_t transfers{0};
    uint64_t negative_balances{0};
    BlockNum first_block{0};
    BlockNum last_block{0};
    Balance minted{0};
    Balance burned{0};
};

/// Token metadata by eth_call. total_supply is one reading of totalSupply()
/// at one block, named by number and hash (nullopt when the call reverted).
struct TokenMeta {
    std::optional<std::string> name;
    std::optional<std::string> symbol;
    std::optional<uint8_t> decimals;
    std::optional<U256> total_supply;
    BlockNum supply_block{0};         // the block total_supply was read at
    std::optional<Hash> supply_hash;  // its hash; nullopt: unknown (rows of older versions)
    /// Read at the node's latest block, because the node no longer had the
    /// state of the indexed block (a pruned node during a backfill), so
    /// supply_block may be above the indexed head.
    bool supply_fallback{false};
};

/// One token of the metadata queue (the token_queue family): its calls are
/// to be made, all of them (`full`: the token is new) or totalSupply only.
/// A task that failed waits until not_before_ms (ms since the Unix epoch).
struct MetadataTask {
    Address token;
    bool full{false};
    uint8_t attempts{0};  // failed rounds so far
    uint64_t not_before_ms{0};
    friend bool operator==(const MetadataTask&, const MetadataTask&) = default;
};

/// A page of the metadata queue: the tasks due, and where the next page
/// starts (nullopt: the end of the queue was reached).
struct MetadataTasks {
    std::vector<MetadataTask> due;
    std::optional<MetadataTask> next;
};

/// Blocks [first, last.block_num] to apply in one atomic write.
struct BlockBatch {
    BlockNum first{0};
    Cursor last;
    /// REQUIRES: sorted by (block_num, log_index), every block_num in [first, last].
    std::vector<Transfer> transfers;
    /// Headers to keep for reorg detection (any subset of [first, last]).
    std::vector<BlockHeader> headers;
    /// Timestamps of the blocks of [first, last] (every one, from the indexer).
    std::vector<std::pair<BlockNum, uint64_t>> block_times;
    /// Headers below this block are dropped in the same write (0 = keep all).
    BlockNum prune_headers_below{0};
    /// The node's eth_getLogs limit as learned, stored with the write (0 = unchanged).
    uint64_t log_limit{0};
    /// The header of each block with transfers, ascending, for the change
    /// stream (storage/stream_rows.hpp); a block missing here is streamed
    /// with the hashes of `headers`, else without.
    std::vector<BlockHeader> stream_headers;
};

/// A row of the change stream's log (storage/stream_rows.hpp, kStreamLog).
struct StreamLogPosition {
    uint64_t seq{0};
    uint32_t sub{0};
    friend auto operator<=>(const StreamLogPosition&, const StreamLogPosition&) = default;
};
/// A row of the change stream's log: a block with transfers a rollback
/// undid, a block an add-tokens step added transfers to, or the end of a
/// rollback (every block from `block_num` on is undone).
struct StreamChange {
    enum class Kind : char { kUndone = 'r', kChanged = 'c', kRolledBack = 'u' };
    Kind kind{Kind::kUndone};
    BlockNum block_num{0};
    Hash hash;  // kUndone, kChanged: the block's, as it was (zero when unknown)
};

/// Where a consumer of the change stream is (storage/stream.hpp): it holds
/// the transfers of blocks [from_block, next) as they were once the log was
/// written up to `log`, and nothing of the blocks from `next` on.
struct StreamCursor {
    uint64_t stream_id{0};
    StreamLogPosition log;
    BlockNum next{0};
    BlockNum from_block{0};
    friend bool operator==(const StreamCursor&, const StreamCursor&) = default;
};

/// One event of the change stream.
struct StreamEvent {
    enum class Kind : uint8_t { kBlock, kRevert, kHead };
    Kind kind{Kind::kBlock};
    BlockHeader header;               // block_num always; hashes when `hashes_known`
    bool hashes_known{false};         // kHead: the hash only
    std::vector<Transfer> transfers;  // kBlock
    StreamCursor cursor;              // the position after this event
};

struct ApplyResult {
    size_t transfers{0};
    std::vector<Address> new_tokens;
    std::vector<Address> touched_tokens;
};

struct RollbackResult {
    BlockNum from_block{0};  // the cursor before
    size_t transfers_undone{0};
    size_t tokens_removed{0};
    std::vector<Address> touched_tokens;  // tokens that remain but lost transfers
};

/// What a database indexes: the --tokens filter (ascending; empty = every
/// token) and the --start-block it was built from.
struct IndexScope {
    std::vector<Address> tokens;
    BlockNum start_block{0};
    friend bool operator==(const IndexScope&, const IndexScope&) = default;
};

/// An add-tokens in progress: `tokens` (ascending) are indexed up to
/// next_block - 1; the rest, up to the cursor, is still to do.
struct TokenBackfill {
    std::vector<Address> tokens;
    BlockNum next_block{0};
    friend bool operator==(const TokenBackfill&, const TokenBackfill&) = default;
};

struct HolderItem {
    Address holder;
    Balance balance;
    friend bool operator==(const HolderItem&, const HolderItem&) = default;
};

}  // namespace erc20::storage
