#pragma once
// The column families of tokens: counters, metadata and the rankings. Each
// family's layout, key and value codecs together; decoders return nullopt on
// a corrupt row.

#include <optional>
#include <string>
#include <string_view>

#include "storage/keys.hpp"
#include "storage/types.hpp"

namespace erc20::storage {

/// Per-token counters.
///   key   : token (20), see token_key
///   value : holders (8) | transfers (8) | negative_balances (8) | first_block (8) |
///           last_block (8) | minted (length-prefixed) | burned (length-prefixed),
///           see put_lp_balance (storage/codec.hpp)
inline constexpr std::string_view kTokenStats{"token_stats"};
inline constexpr size_t kTokenStatsCountersSize = size_t{5} * 8;
/// The counters and two empty amounts.
inline constexpr size_t kTokenStatsMinSize = kTokenStatsCountersSize + 2;
std::string encode_stats(const TokenStats& s);
/// The same into `out` (cleared first: the writer reuses it).
void encode_stats(const TokenStats& s, std::string& out);
std::optional<TokenStats> decode_stats(std::string_view value);

/// Each token's counters as they stood at the end of every block holding
/// one of its transfers (the series and `?block=` answers): the row at or
/// before block N is the token as of N.
///   key   : token (20) | block_num (8), see token_block_key
///   value : as token_stats (encode_stats), last_block = block_num
inline constexpr std::string_view kTokenBlocks{"token_blocks"};
std::string token_block_key(const Address& token, BlockNum n);

/// Token metadata from eth_call; not derived from logs.
///   key   : token (20), see token_key
///   value : flags (1) | supply_block (8) | decimals (1) | name (u16 len) | symbol (u16 len) |
///           total_supply (u8 len, minimal big-endian) [| supply_hash (32) when flag 16]
///   flags : 1 name, 2 symbol, 4 decimals, 8 total_supply, 16 supply_hash, 32 fallback
///           (read at the node's latest block). Rows without flag 16 (older versions) carry
///           no hash: their reading's block is unknown.
inline constexpr std::string_view kTokenMeta{"token_meta"};
/// flags, supply_block and decimals.
inline constexpr size_t kTokenMetaFixedSize = 1 + 8 + 1;
std::string encode_token_meta(const TokenMeta& m);
std::optional<TokenMeta> decode_token_meta(std::string_view value);

/// The metadata queue: tokens whose eth_calls are to be made. Written by
/// Store::apply and Store::rollback in the write that creates the need (a
/// new token; a transfer or an undone one that may move the supply), so a
/// restart resumes the queue without reading every token; a task ends in
/// the write of the metadata it asked for (Store::put_token_meta).
///   key   : kind (1: 'n' every call, the token is new; 's' totalSupply) | token (20)
///   value : empty (due now), or attempts (1) | not_before (8, ms since the Unix epoch)
///           after a failed round
inline constexpr std::string_view kTokenQueue{"token_queue"};
inline constexpr size_t kTokenQueueKeySize = 1 + kAddressSize;
inline constexpr size_t kTokenQueueRetrySize = 1 + 8;
std::string metadata_task_key(bool full, const Address& token);
std::string encode_metadata_task(const MetadataTask& t);
std::optional<MetadataTask> decode_metadata_task(std::string_view key, std::string_view value);

/// Tokens by symbol, for a search by symbol prefix: one row per token whose
/// metadata has a non-empty symbol, written with the metadata (put_token_meta)
/// and deleted with it (rollback). A database made before this family was
/// added gets its rows from token_meta once, when it is opened for writing
/// (meta row "token_symbols").
///   key   : folded symbol (1..64) | 0x00 | token (20), see symbol_key, fold_symbol
///   value : empty
inline constexpr std::string_view kTokenSymbols{"token_symbols"};
inline constexpr size_t kSymbolKeyMax = 64;
/// A symbol as the search compares it: ASCII letters lower-cased, cut at the
/// first NUL and at kSymbolKeyMax bytes (other bytes, UTF-8 included, as they are).
std::string fold_symbol(std::string_view symbol);
/// The row of a token's symbol; empty when the folded symbol is.
std::string symbol_key(std::string_view symbol, const Address& token);
/// Whether `key` is a well-formed token_symbols key.
bool valid_symbol_key(std::string_view key);
/// The token of a token_symbols key. REQUIRES: valid_symbol_key(key).
inline Address symbol_key_token(std::string_view key) {
    return get_fixed<Address>(key, key.size() - kAddressSize);
}

/// Tokens ranked by holders and by transfers, descending, ties by address.
///   key   : ranking (1: 'h' holders, 't' transfers, see Ranking) | ~count (8) | token (20)
///   value : empty
inline constexpr std::string_view kTokenRank{"token_rank"};
inline constexpr size_t kTokenRankKeySize = 1 + 8 + kAddressSize;
std::string token_rank_key(Ranking ranking, uint64_t count, const Address& token);
/// The token of a token_rank key. REQUIRES: key.size() == kTokenRankKeySize.
inline Address token_rank_key_token(std::string_view key) { return get_fixed<Address>(key, 1 + 8); }

}  // namespace erc20::storage
