#pragma once
// The column families of holders at past blocks. Each token's balances are
// cut by rank class (the first two bytes of a holders key's ranking part:
// the magnitude's length and its top byte, so classes follow the ranking's
// order), and each class's history into epochs. Within an epoch, every
// positive balance a holder of the class had is an entry, in the holders
// ranking's order, with the blocks it held [from, to). A holders list at
// block N walks the classes in order and scans, in each, the epoch holding
// N, keeping the entries live at N. An epoch holds at most a few times its
// class's holders (storage/ranked_history.hpp), so the scan's cost follows
// the holders, not the token's history; the whales' busy top classes are
// small and start new epochs often. Each family's layout, key and value
// codecs together; decoders return nullopt on a corrupt row.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/codec.hpp"
#include "storage/keys.hpp"
#include "storage/types.hpp"

namespace erc20::storage {

/// The rank class of a positive balance: 0xff - len (1) | ~top byte (1).
using RankClass = uint16_t;
inline constexpr size_t kRankClassSize = 2;
RankClass rank_class(const Balance& positive);
/// The class of a holders key's ranking part (see append_rank).
inline RankClass rank_class_of(std::string_view rank) {
    return static_cast<RankClass>(static_cast<uint8_t>(rank[0]) << 8 |
                                  static_cast<uint8_t>(rank[1]));
}

/// Each (token, class)'s epochs: the first block of each and its counts, and
/// the current one apart, for the writer's point read (a bloom filter skips
/// the many level-0 files of a backfill; a seek would read them all).
///   key   : token (20) | class (2) | epoch (8, its first block), see epoch_key
///   value : entries (8) | live entries (8) | fewest live (8), the epoch's rows
///           in ranked_history, those of them still open, and the fewest open at
///           any block of the epoch so far (a 16-byte value, from before that
///           was kept, reads as fewest = live)
///   key   : token (20) | class (2), see class_key: the current epoch
///   value : epoch (8) | the counts as above
inline constexpr std::string_view kHistoryEpochs{"history_epochs"};
inline constexpr size_t kClassKeySize = kTokenKeySize + kRankClassSize;
inline constexpr size_t kEpochKeySize = kClassKeySize + kBlockNumSize;
std::string class_key(const Address& token, RankClass c);
std::string epoch_key(const Address& token, RankClass c, BlockNum epoch);
inline RankClass epoch_key_class(std::string_view key) {
    return rank_class_of(key.substr(kTokenKeySize));
}
inline BlockNum epoch_key_epoch(std::string_view key) { return load_be64(key, kClassKeySize); }
struct EpochCounts {
    uint64_t entries{0};
    uint64_t live{0};
    uint64_t min_live{0};  // the fewest live entries at any block of the epoch
};
inline constexpr size_t kEpochCountsSize = 24;
std::string encode_epoch_counts(const EpochCounts& c);
std::optional<EpochCounts> decode_epoch_counts(std::string_view value);
struct CurrentEpoch {
    BlockNum start{0};
    EpochCounts counts;
};
std::string encode_current_epoch(const CurrentEpoch& e);
std::optional<CurrentEpoch> decode_current_epoch(std::string_view value);

/// A holder's positive balance over [from, to) within an epoch. An epoch
/// starts with an entry for every holder of its class at its start (`from`
/// being the block of that holder's last change), then gains one per change
/// into the class.
///   key   : token (20) | class (2) | epoch (8) | ~magnitude after its top byte (len - 1) |
///           holder (20) | from (8)
///           (class and the rest make up a holders key's ranking part, see holder_rank_key)
///   value : empty while the balance lasts, else to (8): the block that changed it
inline constexpr std::string_view kRankedHistory{"ranked_history"};
inline constexpr BlockNum kOpenEnd = ~BlockNum{0};
std::string ranked_key(const Address& token, BlockNum epoch, const Balance& balance,
                       const Address& holder, BlockNum from);
/// The same from the ranking part of a positive balance (see append_rank).
std::string ranked_key(const Address& token, BlockNum epoch, std::string_view rank, BlockNum from);
struct RankedEntry {
    HolderItem item;
    BlockNum from{0};
    std::string rank;  // the holders key's ranking part (0xff - len ... holder), for positions
};
/// The entry of a ranked_history key; nullopt when it is corrupt.
std::optional<RankedEntry> decode_ranked_key(std::string_view key);
/// kOpenEnd for an empty value; nullopt when it is corrupt.
std::optional<BlockNum> decode_ranked_end(std::string_view value);
/// Whether an entry of [from, to) holds at the end of block n.
inline bool live_at(BlockNum from, BlockNum to, BlockNum n) { return from <= n && n < to; }

}  // namespace erc20::storage
