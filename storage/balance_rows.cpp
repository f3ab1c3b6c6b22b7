#include "storage/balance_rows.hpp"

namespace erc20::storage {

size_t encode_balance_row(const Balance& balance, BlockNum block, char* out) noexcept {
    const size_t n = encode_balance(balance, out);
    store_be64(out + n, block);
    return n + kBlockNumSize;
}

std::optional<BalanceRow> decode_balance_row(std::string_view value) {
    if (value.size() <= kBlockNumSize) return std::nullopt;
    auto balance = decode_balance(value.substr(0, value.size() - kBlockNumSize));
    if (!balance) return std::nullopt;
    return BalanceRow{*balance, load_be64(value, value.size() - kBlockNumSize)};
}

void append_rank(std::string& out, const Balance& balance, const Address& holder) {
    const std::string mag = balance_magnitude(balance);
    out.push_back(static_cast<char>(0xff - mag.size()));
    for (char c : mag) out.push_back(static_cast<char>(~static_cast<uint8_t>(c)));
    put_bytes(out, holder.bytes);
}

std::optional<HolderItem> decode_rank(std::string_view rank) {
    if (rank.size() < 1 + kAddressSize) return std::nullopt;
    const size_t len = 0xff - static_cast<uint8_t>(rank[0]);
    if (rank.size() != 1 + len + kAddressSize) return std::nullopt;
    auto balance = decode_complemented_magnitude(rank.substr(1, len));
    if (!balance) return std::nullopt;
    return HolderItem{get_fixed<Address>(rank, 1 + len), *balance};
}

std::string holder_rank_key(const Address& token, const Balance& balance, const Address& holder) {
    std::string k;
    k.reserve(kHolderKeyMinSize + 32);
    put_bytes(k, token.bytes);
    append_rank(k, balance, holder);
    return k;
}

std::optional<HolderItem> decode_holder_rank_key(std::string_view key) {
    if (key.size() < kHolderKeyMinSize) return std::nullopt;
    return decode_rank(key.substr(kTokenKeySize));
}

}  // namespace erc20::storage
