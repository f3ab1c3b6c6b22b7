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

/// Which tokens moved in which blocks, for the chain series: one row per
/// bucket of 16^level blocks (level 0: one block) holding a transfer, the
/// buckets of level >= 1 written once the cursor passes their last block.
/// A token's transfers in a bucket give one entry, for its first block
/// there: the block of its transfer before that one + 1, or 0 when it had
/// none (its first transfer ever). The tokens moving in blocks [lo, hi] are
/// then the entries <= lo of the aligned buckets that tile [lo, hi], summed
/// (storage/chain_activity.hpp).
///   key   : level (1) | first block of the bucket (8), see chain_activity_key
///   value : transfers in the bucket (8) | entries (8 each, ascending)
inline constexpr std::string_view kChainActivity{"chain_activity"};
inline constexpr unsigned kChainLevels = 8;      // buckets of 16^0 .. 16^7 blocks
inline constexpr unsigned kChainFanoutBits = 4;  // 16 buckets make one of the next level
inline constexpr size_t kChainActivityKeySize = 1 + kBlockNumSize;
std::string chain_activity_key(unsigned level, BlockNum first);
struct ChainBucket {
    uint64_t transfers{0};
    std::vector<uint64_t> entries;  // ascending
};
void encode_chain_bucket(const ChainBucket& b, std::string& out);
std::optional<ChainBucket> decode_chain_bucket(std::string_view value);
/// The transfers of a bucket row and how many of its entries are <= each
/// threshold, by binary search over the encoded entries; nullopt when corrupt.
struct ChainBucketCount {
    uint64_t transfers{0};
    uint64_t at_most_lo{0};    // entries <= lo
    uint64_t at_most_zero{0};  // entries == 0: tokens first seen in the bucket
};
std::optional<ChainBucketCount> count_chain_bucket(std::string_view value, uint64_t lo);

}  // namespace erc20::storage
