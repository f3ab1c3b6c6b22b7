#pragma once
// The column families of the chain itself: recent headers, block times,
// transfers and their two indexes. Each family's layout, key and value
// codecs together; decoders return nullopt on a corrupt row (the store's
// policy for one is in storage/rocks.hpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/keys.hpp"
#include "storage/types.hpp"

namespace erc20::storage {

/// Headers of the recent blocks (the reorg window), pruned behind it.
///   key   : block_num (8), see block_key
///   value : hash (32) | parent_hash (32) | timestamp (8)
inline constexpr std::string_view kHeaders{"headers"};
inline constexpr size_t kHeaderValueSize = 2 * kHashSize + 8;
std::string encode_header(const BlockHeader& b);
std::optional<BlockHeader> decode_header(BlockNum n, std::string_view value);
/// A header row, its block_num from the key.
std::optional<BlockHeader> decode_header_row(std::string_view key, std::string_view value);

/// Timestamp of every indexed block (never pruned). Databases written before
/// schema 3 hold only the blocks with transfers; readers take the last row at
/// or before a block.
///   key   : block_num (8), see block_key
///   value : timestamp (8)
inline constexpr std::string_view kBlockTimes{"block_times"};
inline constexpr size_t kBlockTimeValueSize = 8;
std::string encode_block_time(uint64_t timestamp);
std::optional<uint64_t> decode_block_time(std::string_view value);

/// Every ERC20 transfer, in chain order. (block_num, log_index) is unique on a chain.
///   key   : block_num (8) | log_index (4), see transfer_key
///   value : token (20) | from (20) | to (20) | txn_hash (32) | value (minimal big-endian, 0..32)
inline constexpr std::string_view kTransfers{"transfers"};
inline constexpr size_t kTransferValueFixedSize = 3 * kAddressSize + kHashSize;
inline constexpr size_t kTransferValueMaxSize = kTransferValueFixedSize + 32;
/// The value of t's row into `out` (cleared first: the writer reuses it).
void encode_transfer_value(const Transfer& t, std::string& out);
std::optional<Transfer> decode_transfer(std::string_view key, std::string_view value);

/// Transfers of one token, in chain order.
///   key   : token (20) | block_num (8) | log_index (4), see prefixed_transfer_key
///   value : empty
inline constexpr std::string_view kTokenTransfers{"token_transfers"};

/// Transfers from or to one account (the zero address is not indexed).
///   key   : account (20) | block_num (8) | log_index (4), see prefixed_transfer_key
///   value : direction (1): 1 = out, 2 = in, 3 = both (self transfer), see Direction
inline constexpr std::string_view kAccountTransfers{"account_transfers"};
/// The account_transfers value of a direction.
inline std::string_view direction_value(Direction d) noexcept {
    static constexpr char kBytes[] = {0, 1, 2, 3};
    return {kBytes + (static_cast<uint8_t>(d) & 3), 1};
}
/// kOut, kIn or kBoth; nullopt for anything else.
std::optional<Direction> decode_direction(std::string_view value);

/// Which tokens moved in which blocks, for the chain series: one bucket per
/// 16^level blocks (level 0: one block) holding a transfer, the buckets of
/// level >= 1 written once the cursor passes their last block. A token's
/// transfers in a bucket give one entry, for its first block there: the
/// block of its transfer before that one + 1, or 0 when it had none (its
/// first transfer ever). The tokens moving in blocks [lo, hi] are then the
/// entries <= lo of the aligned buckets that tile [lo, hi], summed
/// (storage/chain_activity.hpp). A bucket is a head row and, past
/// kChainChunkEntries entries, chunk rows, so that a count reads the head
/// (1/128 of the entries) and one chunk, not every token of the bucket.
///   key   : level (1) | first block (8), see chain_activity_key: the head;
///           level (1) | first block (8) | chunk (4), see chain_chunk_key: a chunk
///   head  : transfers (8) | entries (8) | entries that are 0 (8) | the entries (8 each,
///           ascending) when at most kChainChunkEntries, else each chunk's first entry
///   chunk : kChainChunkEntries entries (the last chunk: the rest), 8 each, ascending
inline constexpr std::string_view kChainActivity{"chain_activity"};
inline constexpr unsigned kChainLevels = 8;      // buckets of 16^0 .. 16^7 blocks
inline constexpr unsigned kChainFanoutBits = 4;  // 16 buckets make one of the next level
inline constexpr size_t kChainActivityKeySize = 1 + kBlockNumSize;
inline constexpr size_t kChainChunkKeySize = kChainActivityKeySize + 4;
inline constexpr size_t kChainChunkEntries = 128;
inline constexpr size_t kChainHeadFixedSize = size_t{3} * 8;
std::string chain_activity_key(unsigned level, BlockNum first);
std::string chain_chunk_key(unsigned level, BlockNum first, uint32_t chunk);
struct ChainBucket {
    uint64_t transfers{0};
    std::vector<uint64_t> entries;  // ascending
};
struct EncodedChainBucket {
    std::string head;
    std::vector<std::string> chunks;  // none when the entries fit in the head
};
EncodedChainBucket encode_chain_bucket(const ChainBucket& b);
struct ChainHead {
    uint64_t transfers{0};
    uint64_t entries{0};
    uint64_t zeros{0};
    std::string_view tail;  // the entries, or each chunk's first entry
    [[nodiscard]] bool chunked() const { return entries > kChainChunkEntries; }
    [[nodiscard]] size_t chunks() const {
        return chunked() ? (entries + kChainChunkEntries - 1) / kChainChunkEntries : 0;
    }
};
/// nullopt when corrupt (sizes that disagree with the counts).
std::optional<ChainHead> decode_chain_head(std::string_view value);
/// The entries of a head's tail or a chunk; nullopt when not whole or not ascending.
std::optional<std::vector<uint64_t>> decode_chain_entries(std::string_view value);
/// How many of the encoded ascending entries (8 bytes each) are <= t, by binary search.
/// REQUIRES: entries.size() % 8 == 0.
uint64_t chain_entries_at_most(std::string_view entries, uint64_t t);

}  // namespace erc20::storage
