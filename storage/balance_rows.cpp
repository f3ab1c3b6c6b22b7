#include "storage/balance_rows.hpp"

namespace erc20::storage {

std::string holder_rank_key(const Address& token, const Balance& balance, const Address& holder) {
    std::string mag = balance_magnitude(balance);
    std::string k;
    k.reserve(kHolderKeyMinSize + mag.size());
    put_bytes(k, token.bytes);
    k.push_back(static_cast<char>(0xff - mag.size()));
    for (char c : mag) k.push_back(static_cast<char>(~static_cast<uint8_t>(c)));
    put_bytes(k, holder.bytes);
    return k;
}

std::optional<HolderItem> decode_holder_rank_key(std::string_view key) {
    if (key.size() < kHolderKeyMinSize) return std::nullopt;
    const size_t len = 0xff - static_cast<uint8_t>(key[kTokenKeySize]);
    if (key.size() != kHolderKeyMinSize + len) return std::nullopt;
    std::string value(1 + len, '\0');  // as a balances value: sign byte, then the magnitude
    for (size_t i = 0; i < len; ++i) {
        value[1 + i] = static_cast<char>(~static_cast<uint8_t>(key[kTokenKeySize + 1 + i]));
    }
    auto balance = decode_balance(value);
    if (!balance) return std::nullopt;
    return HolderItem{get_fixed<Address>(key, kTokenKeySize + 1 + len), *balance};
}

}  // namespace erc20::storage
