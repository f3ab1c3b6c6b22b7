#include "storage/meta_rows.hpp"

namespace erc20::storage {

std::string encode_u32(uint32_t v) {
    std::string out;
    append_be32(out, v);
    return out;
}

std::optional<uint32_t> decode_u32(std::string_view value) {
    if (value.size() != 4) return std::nullopt;
    return load_be32(value);
}

std::string encode_u64(uint64_t v) {
    std::string out;
    append_be64(out, v);
    return out;
}

std::optional<uint64_t> decode_u64(std::string_view value) {
    if (value.size() != 8) return std::nullopt;
    return load_be64(value);
}

std::string encode_cursor(const Cursor& c) {
    std::string v;
    append_be64(v, c.block_num);
    put_bytes(v, c.hash.bytes);
    return v;
}

std::optional<Cursor> decode_cursor(std::string_view value) {
    if (value.size() != kCursorValueSize) return std::nullopt;
    return Cursor{load_be64(value), get_fixed<Hash>(value, kBlockNumSize)};
}

std::string encode_totals(const Totals& t) {
    std::string v;
    append_be64(v, t.tokens);
    append_be64(v, t.transfers);
    return v;
}

std::optional<Totals> decode_totals(std::string_view value) {
    if (value.size() != kTotalsValueSize) return std::nullopt;
    return Totals{load_be64(value, 0), load_be64(value, 8)};
}

std::string encode_addresses(const std::vector<Address>& tokens) {
    std::string v;
    for (const auto& t : tokens) put_bytes(v, t.bytes);
    return v;
}

std::optional<std::vector<Address>> decode_addresses(std::string_view value) {
    if (value.size() % kAddressSize != 0) return std::nullopt;
    std::vector<Address> out;
    for (size_t at = 0; at < value.size(); at += kAddressSize)
        out.push_back(get_fixed<Address>(value, at));
    return out;
}

std::string encode_backfill(const TokenBackfill& job) {
    return encode_u64(job.next_block) + encode_addresses(job.tokens);
}

std::optional<TokenBackfill> decode_backfill(std::string_view value) {
    if (value.size() < kBlockNumSize) return std::nullopt;
    auto tokens = decode_addresses(value.substr(kBlockNumSize));
    if (!tokens || tokens->empty()) return std::nullopt;
    return TokenBackfill{std::move(*tokens), load_be64(value)};
}

}  // namespace erc20::storage
