#pragma once
// The on-disk schema: every column family, its key and value layout, and the
// key builders. Integers in keys are big-endian (bytewise order = numeric
// order). Addresses are 20 raw bytes, hashes 32.
//
// Everything below except `meta`'s metadata rows and `token_meta` is derived
// from the chain and written only by Store::apply / Store::rollback, each in
// one atomic WriteBatch together with the cursor.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/types.hpp"
#include "storage/codec.hpp"

namespace erc20::storage {

inline constexpr uint32_t kSchemaVersion = 1;

/// Database-wide rows, keyed by name:
///   "schema_version" : u32
///   "chain_id"       : u64
///   "cursor"         : last applied block_num (8) | its hash (32)
///   "totals"         : tokens (8) | transfers (8)
///   "meta_version"   : u64, advanced by every token_meta write and rollback (absent = 0)
///   "token_filter"   : the --tokens the database indexes, ascending, 20 bytes
///                      each; empty = every token. Written with the chain id.
///   "start_block"    : u64, the --start-block the database was built from
///   "token_backfill" : an add-tokens in progress: next block (8) | the tokens
///                      being added, ascending, 20 bytes each. Absent otherwise.
inline constexpr std::string_view kMeta{"meta"};

/// Headers of the recent blocks (the reorg window), pruned behind it.
///   key   : block_num (8)
///   value : hash (32) | parent_hash (32) | timestamp (8)
inline constexpr std::string_view kHeaders{"headers"};

/// Timestamp of every block that holds at least one transfer (never pruned).
///   key   : block_num (8)
///   value : timestamp (8)
inline constexpr std::string_view kBlockTimes{"block_times"};

/// Every ERC20 transfer, in chain order. (block_num, log_index) is unique on a chain.
///   key   : block_num (8) | log_index (4)
///   value : token (20) | from (20) | to (20) | txn_hash (32) | value (minimal big-endian, 0..32)
inline constexpr std::string_view kTransfers{"transfers"};

/// Transfers of one token, in chain order.
///   key   : token (20) | block_num (8) | log_index (4)
///   value : empty
inline constexpr std::string_view kTokenTransfers{"token_transfers"};

/// Transfers from or to one account (the zero address is not indexed).
///   key   : account (20) | block_num (8) | log_index (4)
///   value : direction (1): 1 = out, 2 = in, 3 = both (self transfer)
inline constexpr std::string_view kAccountTransfers{"account_transfers"};

/// Current balance of a holder; absent when zero.
///   key   : token (20) | holder (20)
///   value : signed balance, see encode_balance
inline constexpr std::string_view kBalances{"balances"};

/// A token's holders with a positive balance, by balance descending then
/// holder ascending, so a holders page is one forward scan.
///   key   : token (20) | 0xff - len (1) | ~magnitude (len) | holder (20)
///   value : empty
inline constexpr std::string_view kHolders{"holders"};

/// Balance of a holder at the end of each block in which a non-zero transfer
/// touched it. Answers balances at past blocks and drives undo.
///   key   : token (20) | holder (20) | block_num (8)
///   value : signed balance after that block, see encode_balance
inline constexpr std::string_view kBalanceHistory{"balance_history"};

/// Per-token counters.
///   key   : token (20)
///   value : holders (8) | transfers (8) | negative_balances (8) | first_block (8) |
///           last_block (8) | minted (length-prefixed) | burned (length-prefixed)
inline constexpr std::string_view kTokenStats{"token_stats"};

/// Token metadata from eth_call; not derived from logs.
///   key   : token (20)
///   value : flags (1) | supply_block (8) | decimals (1) | name (u16 len) | symbol (u16 len) |
///           total_supply (u8 len, minimal big-endian) [| supply_hash (32) when flag 16]
///   flags : 1 name, 2 symbol, 4 decimals, 8 total_supply, 16 supply_hash, 32 fallback
///           (read at the node's latest block). Rows without flag 16 (older versions) carry
///           no hash: their reading's block is unknown.
inline constexpr std::string_view kTokenMeta{"token_meta"};

/// The tokens an account holds with a positive balance.
///   key   : account (20) | token (20)
///   value : empty
inline constexpr std::string_view kAccountTokens{"account_tokens"};

/// Tokens ranked by holders and by transfers, descending, ties by address.
///   key   : ranking (1: 'h' holders, 't' transfers) | ~count (8) | token (20)
///   value : empty
inline constexpr std::string_view kTokenRank{"token_rank"};
inline constexpr char kRankByHolders = 'h';
inline constexpr char kRankByTransfers = 't';

/// Builds the fixed-size keys above into one reused buffer, without
/// allocating (the writer's path); the std::string builders below use it.
class KeyBuf {
  public:
    std::string_view block(BlockNum n) {
        be64(0, n);
        return {buf_, 8};
    }
    std::string_view transfer(BlockNum n, uint32_t log_index) {
        be64(0, n);
        be32(8, log_index);
        return {buf_, 12};
    }
    /// token_transfers and account_transfers: prefix | block_num | log_index.
    std::string_view prefixed(const Address& prefix, BlockNum n, uint32_t log_index) {
        std::memcpy(buf_, prefix.bytes.data(), 20);
        be64(20, n);
        be32(28, log_index);
        return {buf_, 32};
    }
    /// balances: token | holder; account_tokens: account | token.
    std::string_view pair(const Address& first, const Address& second) {
        std::memcpy(buf_, first.bytes.data(), 20);
        std::memcpy(buf_ + 20, second.bytes.data(), 20);
        return {buf_, 40};
    }
    std::string_view history(const Address& token, const Address& holder, BlockNum n) {
        pair(token, holder);
        be64(40, n);
        return {buf_, 48};
    }

  private:
    void be64(size_t at, uint64_t v) {
        for (size_t i = 8; i-- > 0; v >>= 8) buf_[at + i] = static_cast<char>(v & 0xff);
    }
    void be32(size_t at, uint32_t v) {
        for (size_t i = 4; i-- > 0; v >>= 8) buf_[at + i] = static_cast<char>(v & 0xff);
    }
    char buf_[48]{};
};

inline std::string block_key(BlockNum n) { return std::string(KeyBuf().block(n)); }
inline std::string transfer_key(BlockNum n, uint32_t log_index) {
    return std::string(KeyBuf().transfer(n, log_index));
}
inline std::string prefixed_transfer_key(const Address& prefix, BlockNum n, uint32_t log_index) {
    return std::string(KeyBuf().prefixed(prefix, n, log_index));
}
inline std::string pair_key(const Address& token, const Address& holder) {
    return std::string(KeyBuf().pair(token, holder));
}
inline std::string history_key(const Address& token, const Address& holder, BlockNum n) {
    return std::string(KeyBuf().history(token, holder, n));
}
inline std::string token_key(const Address& token) {
    std::string k;
    put_bytes(k, token.bytes);
    return k;
}
inline std::string token_rank_key(char ranking, uint64_t count, const Address& token) {
    std::string k(1, ranking);
    put_be64(k, ~count);
    put_bytes(k, token.bytes);
    return k;
}
/// REQUIRES: balance > 0.
inline std::string holder_rank_key(const Address& token, const Balance& balance,
                                   const Address& holder) {
    std::string mag = balance_magnitude(balance);
    std::string k;
    k.reserve(41 + mag.size());
    put_bytes(k, token.bytes);
    k.push_back(static_cast<char>(0xff - mag.size()));
    for (char c : mag) k.push_back(static_cast<char>(~static_cast<uint8_t>(c)));
    put_bytes(k, holder.bytes);
    return k;
}

}  // namespace erc20::storage
