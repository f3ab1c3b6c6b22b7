#pragma once
// The column families of holders at past blocks: each token's history cut
// into epochs, and within an epoch every positive balance a holder had, in
// the holders ranking's order, with the blocks it held from and until. A
// holders list at block N is one forward scan of N's epoch that keeps the
// entries live at N: its cost is the epoch's size (at most the holders at
// its start plus twice the holders, see storage/ranked_history.hpp), not
// the token's history. Each family's layout, key and value codecs together;
// decoders return nullopt on a corrupt row.

#include <optional>
#include <string>
#include <string_view>

#include "storage/codec.hpp"
#include "storage/keys.hpp"
#include "storage/types.hpp"

namespace erc20::storage {

/// A token's epochs: the first block of each and the entries it holds.
///   key   : token (20) | epoch (8, its first block), see epoch_key
///   value : entries (8), the epoch's rows in ranked_history
inline constexpr std::string_view kHistoryEpochs{"history_epochs"};
inline constexpr size_t kEpochKeySize = kTokenKeySize + kBlockNumSize;
inline std::string epoch_key(const Address& token, BlockNum epoch) {
    std::string k = token_key(token);
    k.resize(kEpochKeySize);
    store_be64(k.data() + kTokenKeySize, epoch);
    return k;
}
inline BlockNum epoch_key_epoch(std::string_view key) { return load_be64(key, kTokenKeySize); }

/// A holder's positive balance over [from, to) within an epoch. An epoch
/// starts with an entry for every holder at its start (`from` being the
/// block of that holder's last change), then gains one per change.
///   key   : token (20) | epoch (8) | 0xff - len (1) | ~magnitude (len) | holder (20) | from (8)
///           (the middle part is a holders key's, see holder_rank_key)
///   value : empty while the balance lasts, else to (8): the block that changed it
inline constexpr std::string_view kRankedHistory{"ranked_history"};
inline constexpr BlockNum kOpenEnd = ~BlockNum{0};
std::string ranked_key(const Address& token, BlockNum epoch, const Balance& balance,
                       const Address& holder, BlockNum from);
struct RankedEntry {
    HolderItem item;
    BlockNum from{0};
    std::string_view rank;  // the key's holders part (0xff - len ... holder), for positions
};
/// The entry of a ranked_history key; nullopt when it is corrupt.
std::optional<RankedEntry> decode_ranked_key(std::string_view key);
/// kOpenEnd for an empty value; nullopt when it is corrupt.
std::optional<BlockNum> decode_ranked_end(std::string_view value);
/// Whether an entry of [from, to) holds at the end of block n.
inline bool live_at(BlockNum from, BlockNum to, BlockNum n) { return from <= n && n < to; }

}  // namespace erc20::storage
