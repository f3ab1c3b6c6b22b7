#include "storage/ranked_rows.hpp"

#include "storage/balance_rows.hpp"

namespace erc20::storage {

RankClass rank_class(const Balance& positive) {
    std::string rank;
    append_rank(rank, positive, Address{});
    return rank_class_of(rank);
}

std::string class_key(const Address& token, RankClass c) {
    std::string k = token_key(token);
    k.push_back(static_cast<char>(c >> 8));
    k.push_back(static_cast<char>(c & 0xff));
    return k;
}

std::string epoch_key(const Address& token, RankClass c, BlockNum epoch) {
    std::string k = class_key(token, c);
    k.resize(kEpochKeySize);
    store_be64(k.data() + kClassKeySize, epoch);
    return k;
}

std::string encode_epoch_counts(const EpochCounts& c) {
    std::string v(kEpochCountsSize, '\0');
    store_be64(v.data(), c.entries);
    store_be64(v.data() + 8, c.live);
    store_be64(v.data() + 16, c.min_live);
    return v;
}

std::optional<EpochCounts> decode_epoch_counts(std::string_view value) {
    // 16 bytes: written before min_live was kept; the live count stands in.
    if (value.size() == 16)
        return EpochCounts{load_be64(value), load_be64(value, 8), load_be64(value, 8)};
    if (value.size() != kEpochCountsSize) return std::nullopt;
    return EpochCounts{load_be64(value), load_be64(value, 8), load_be64(value, 16)};
}

std::string encode_current_epoch(const CurrentEpoch& e) {
    std::string v(8, '\0');
    store_be64(v.data(), e.start);
    return v + encode_epoch_counts(e.counts);
}

std::optional<CurrentEpoch> decode_current_epoch(std::string_view value) {
    if (value.size() < 8) return std::nullopt;
    auto counts = decode_epoch_counts(value.substr(8));
    if (!counts) return std::nullopt;
    return CurrentEpoch{load_be64(value), *counts};
}

std::string ranked_key(const Address& token, BlockNum epoch, const Balance& balance,
                       const Address& holder, BlockNum from) {
    std::string rank;
    append_rank(rank, balance, holder);  // a positive balance: at least one magnitude byte
    return ranked_key(token, epoch, rank, from);
}

std::string ranked_key(const Address& token, BlockNum epoch, std::string_view rank, BlockNum from) {
    std::string k = epoch_key(token, rank_class_of(rank), epoch);
    k.append(rank.substr(kRankClassSize));
    const size_t end = k.size();
    k.resize(end + kBlockNumSize);
    store_be64(k.data() + end, from);
    return k;
}

std::optional<RankedEntry> decode_ranked_key(std::string_view key) {
    if (key.size() < kEpochKeySize + kAddressSize + kBlockNumSize) return std::nullopt;
    std::string rank(key.substr(kTokenKeySize, kRankClassSize));
    rank.append(key.substr(kEpochKeySize, key.size() - kEpochKeySize - kBlockNumSize));
    auto item = decode_rank(rank);
    if (!item || item->balance <= 0) return std::nullopt;
    return RankedEntry{*item, load_be64(key, key.size() - kBlockNumSize), std::move(rank)};
}

std::optional<BlockNum> decode_ranked_end(std::string_view value) {
    if (value.empty()) return kOpenEnd;
    if (value.size() != kBlockNumSize) return std::nullopt;
    return load_be64(value);
}

}  // namespace erc20::storage
