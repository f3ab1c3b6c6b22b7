#pragma once
// The column families of holders: current balances, the holders ranking,
// the balance history and each account's tokens. Each family's layout, key
// and value codecs together; decoders return nullopt on a corrupt row.

#include <optional>
#include <string>
#include <string_view>

#include "storage/codec.hpp"
#include "storage/keys.hpp"
#include "storage/types.hpp"

namespace erc20::storage {

/// Current balance of a holder; absent when zero.
///   key   : token (20) | holder (20), see pair_key
///   value : signed balance, see encode_balance (storage/codec.hpp) | block (8) of its last
///           change (its last balance_history row)
inline constexpr std::string_view kBalances{"balances"};
struct BalanceRow {
    Balance balance{0};
    BlockNum block{0};
};
inline constexpr size_t kMaxBalanceRowBytes = kMaxBalanceBytes + kBlockNumSize;
/// The value into `out` (room for kMaxBalanceRowBytes); returns its size.
size_t encode_balance_row(const Balance& balance, BlockNum block, char* out) noexcept;
std::optional<BalanceRow> decode_balance_row(std::string_view value);

/// A token's holders with a positive balance, by balance descending then
/// holder ascending, so a holders page is one forward scan.
///   key   : token (20) | 0xff - len (1) | ~magnitude (len) | holder (20)
///   value : empty
inline constexpr std::string_view kHolders{"holders"};
/// A holders key without magnitude bytes (a zero balance, never stored).
inline constexpr size_t kHolderKeyMinSize = kTokenKeySize + 1 + kAddressSize;
/// REQUIRES: balance > 0.
std::string holder_rank_key(const Address& token, const Balance& balance, const Address& holder);
/// The holder and balance of a holders key; nullopt when it is corrupt.
std::optional<HolderItem> decode_holder_rank_key(std::string_view key);
/// The part of a holders key after its token (0xff - len | ~magnitude | holder),
/// which ranked_history keys share, onto `out`. REQUIRES: balance > 0.
void append_rank(std::string& out, const Balance& balance, const Address& holder);
/// The holder and balance of that part; nullopt when it is corrupt.
std::optional<HolderItem> decode_rank(std::string_view rank);

/// Balance of a holder at the end of each block in which a non-zero transfer
/// touched it. Answers balances at past blocks and drives undo.
///   key   : token (20) | holder (20) | block_num (8), see history_key
///   value : signed balance after that block, see encode_balance
inline constexpr std::string_view kBalanceHistory{"balance_history"};
/// The holder and block of a balance_history key.
/// REQUIRES: key.size() == kHistoryKeySize.
inline Address history_key_holder(std::string_view key) {
    return get_fixed<Address>(key, kAddressSize);
}
inline BlockNum history_key_block(std::string_view key) { return load_be64(key, kPairKeySize); }

/// The tokens an account holds with a positive balance.
///   key   : account (20) | token (20), see pair_key
///   value : empty
inline constexpr std::string_view kAccountTokens{"account_tokens"};
/// The token of an account_tokens key. REQUIRES: key.size() == kPairKeySize.
inline Address account_tokens_key_token(std::string_view key) {
    return get_fixed<Address>(key, kAddressSize);
}

}  // namespace erc20::storage
