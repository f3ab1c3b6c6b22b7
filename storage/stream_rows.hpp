#pragma once
// The column families of the change stream (GET /v1/stream, the ClickHouse
// sink; the reader is storage/stream.hpp): the header of every block with
// transfers, and a log of the writes that changed blocks a consumer may
// already hold. Layouts and codecs together; decoders return nullopt on a
// corrupt row.
//
// A block event is never logged: a consumer is sent blocks from the
// `transfers` family itself, in block order. What the log keeps is what
// a consumer cannot see there: that a block it may hold was undone (a
// rollback or a reorg: kind 'r', one row per undone block with transfers,
// newest first within the write) or that transfers were added to a block
// below the cursor (an add-tokens step: kind 'c', the consumer discards
// the block and is sent it again whole). Each such write takes the next
// sequence number (meta row stream_seq); a consumer's position in the
// log is a row key.

#include <optional>
#include <string>
#include <string_view>

#include "storage/keys.hpp"
#include "storage/types.hpp"

namespace erc20::storage {

/// The header of every block holding a transfer, as applied (databases
/// from before the stream have none below meta row stream_floor).
///   key   : block_num (8), see block_key
///   value : flags (1): 1 = the hashes are known | hash (32) | parent_hash (32) | timestamp (8)
inline constexpr std::string_view kStreamBlocks{"stream_blocks"};
inline constexpr size_t kStreamBlockValueSize = 1 + 2 * kHashSize + 8;
/// `h` with no known hashes (a batch that brought none) keeps the timestamp alone.
std::string encode_stream_block(const BlockHeader& h, bool hashes_known);
struct StreamBlock {
    BlockHeader header;
    bool hashes_known{false};
};
std::optional<StreamBlock> decode_stream_block(BlockNum n, std::string_view value);

/// The changes to blocks a consumer may hold.
///   key   : seq (8) | sub (4), sub counting the rows of one write from 0, see stream_log_key
///   value : kind (1): 'r' undone, 'c' changed, 'u' rolled back from | block_num (8) |
///           hash (32) of the block as it was ('u': zero)
inline constexpr std::string_view kStreamLog{"stream_log"};
inline constexpr size_t kStreamLogKeySize = 8 + 4;
inline constexpr size_t kStreamLogValueSize = 1 + kBlockNumSize + kHashSize;
std::string stream_log_key(uint64_t seq, uint32_t sub);
/// nullopt when the key is not kStreamLogKeySize bytes.
std::optional<StreamLogPosition> decode_stream_log_key(std::string_view key);
std::string encode_stream_change(const StreamChange& c);
std::optional<StreamChange> decode_stream_change(std::string_view value);

}  // namespace erc20::storage
