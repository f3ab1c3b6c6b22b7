#pragma once
// The key shapes the column families share (storage/schema.hpp says which
// family uses which), their named sizes and their builders. Integers in keys
// are big-endian, so RocksDB's bytewise order is numeric order; addresses are
// 20 raw bytes.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/endian.hpp"
#include "common/types.hpp"
#include "storage/codec.hpp"

namespace erc20::storage {

inline constexpr size_t kAddressSize = 20;
inline constexpr size_t kHashSize = 32;
inline constexpr size_t kBlockNumSize = 8;
inline constexpr size_t kLogIndexSize = 4;

/// block_num (8): headers, block_times.
inline constexpr size_t kBlockKeySize = kBlockNumSize;
/// block_num (8) | log_index (4): transfers.
inline constexpr size_t kTransferKeySize = kBlockNumSize + kLogIndexSize;
/// address (20) | block_num (8) | log_index (4): token_transfers, account_transfers.
inline constexpr size_t kIndexKeySize = kAddressSize + kTransferKeySize;
/// address (20) | address (20): balances (token | holder), account_tokens (account | token).
inline constexpr size_t kPairKeySize = 2 * kAddressSize;
/// token (20) | holder (20) | block_num (8): balance_history.
inline constexpr size_t kHistoryKeySize = kPairKeySize + kBlockNumSize;
/// token (20) | block_num (8): token_blocks.
inline constexpr size_t kTokenBlockKeySize = kAddressSize + kBlockNumSize;
/// token (20): token_stats, token_meta; also the prefix of every per-token key.
inline constexpr size_t kTokenKeySize = kAddressSize;

/// Builds the fixed-size keys above into one reused buffer, without
/// allocating (the writer's path); the std::string builders below use it.
class KeyBuf {
  public:
    std::string_view block(BlockNum n) {
        store_be64(buf_, n);
        return {buf_, kBlockKeySize};
    }
    std::string_view transfer(BlockNum n, uint32_t log_index) {
        store_be64(buf_, n);
        store_be32(buf_ + kBlockNumSize, log_index);
        return {buf_, kTransferKeySize};
    }
    /// token_transfers and account_transfers: prefix | block_num | log_index.
    std::string_view prefixed(const Address& prefix, BlockNum n, uint32_t log_index) {
        std::memcpy(buf_, prefix.bytes.data(), kAddressSize);
        store_be64(buf_ + kAddressSize, n);
        store_be32(buf_ + kAddressSize + kBlockNumSize, log_index);
        return {buf_, kIndexKeySize};
    }
    /// balances: token | holder; account_tokens: account | token.
    std::string_view pair(const Address& first, const Address& second) {
        std::memcpy(buf_, first.bytes.data(), kAddressSize);
        std::memcpy(buf_ + kAddressSize, second.bytes.data(), kAddressSize);
        return {buf_, kPairKeySize};
    }
    /// token_blocks: token | block_num.
    std::string_view token_block(const Address& token, BlockNum n) {
        std::memcpy(buf_, token.bytes.data(), kAddressSize);
        store_be64(buf_ + kAddressSize, n);
        return {buf_, kTokenBlockKeySize};
    }
    std::string_view history(const Address& token, const Address& holder, BlockNum n) {
        pair(token, holder);
        store_be64(buf_ + kPairKeySize, n);
        return {buf_, kHistoryKeySize};
    }

  private:
    char buf_[kHistoryKeySize]{};
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

/// A transfer's position in the chain, as in its keys.
struct ChainPosition {
    BlockNum block_num{0};
    uint32_t log_index{0};
};
/// The position in a transfers key. REQUIRES: key.size() == kTransferKeySize.
inline ChainPosition transfer_key_position(std::string_view key) {
    return {load_be64(key), load_be32(key, kBlockNumSize)};
}
/// The position in an index key. REQUIRES: key.size() == kIndexKeySize.
inline ChainPosition index_key_position(std::string_view key) {
    return transfer_key_position(key.substr(kAddressSize));
}

}  // namespace erc20::storage
