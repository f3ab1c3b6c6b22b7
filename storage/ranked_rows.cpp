#include "storage/ranked_rows.hpp"

#include "storage/balance_rows.hpp"

namespace erc20::storage {

std::string ranked_key(const Address& token, BlockNum epoch, const Balance& balance,
                       const Address& holder, BlockNum from) {
    std::string k = epoch_key(token, epoch);
    append_rank(k, balance, holder);
    const size_t at = k.size();
    k.resize(at + kBlockNumSize);
    store_be64(k.data() + at, from);
    return k;
}

std::optional<RankedEntry> decode_ranked_key(std::string_view key) {
    if (key.size() < kEpochKeySize + kBlockNumSize) return std::nullopt;
    const std::string_view rank =
        key.substr(kEpochKeySize, key.size() - kEpochKeySize - kBlockNumSize);
    auto item = decode_rank(rank);
    if (!item) return std::nullopt;
    return RankedEntry{*item, load_be64(key, key.size() - kBlockNumSize), rank};
}

std::optional<BlockNum> decode_ranked_end(std::string_view value) {
    if (value.empty()) return kOpenEnd;
    if (value.size() != kBlockNumSize) return std::nullopt;
    return load_be64(value);
}

}  // namespace erc20::storage
