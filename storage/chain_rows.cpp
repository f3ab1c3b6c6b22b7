#include "storage/chain_rows.hpp"

#include <algorithm>

namespace erc20::storage {

std::string encode_header(const BlockHeader& b) {
    std::string v;
    v.reserve(kHeaderValueSize);
    put_bytes(v, b.hash.bytes);
    put_bytes(v, b.parent_hash.bytes);
    append_be64(v, b.timestamp);
    return v;
}

std::optional<BlockHeader> decode_header(BlockNum n, std::string_view value) {
    if (value.size() != kHeaderValueSize) return std::nullopt;
    BlockHeader b;
    b.block_num = n;
    b.hash = get_fixed<Hash>(value, 0);
    b.parent_hash = get_fixed<Hash>(value, kHashSize);
    b.timestamp = load_be64(value, 2 * kHashSize);
    return b;
}

std::optional<BlockHeader> decode_header_row(std::string_view key, std::string_view value) {
    if (key.size() != kBlockKeySize) return std::nullopt;
    return decode_header(load_be64(key), value);
}

std::string encode_block_time(uint64_t timestamp) {
    std::string v;
    append_be64(v, timestamp);
    return v;
}

std::optional<uint64_t> decode_block_time(std::string_view value) {
    if (value.size() != kBlockTimeValueSize) return std::nullopt;
    return load_be64(value);
}

void encode_transfer_value(const Transfer& t, std::string& out) {
    out.clear();
    put_bytes(out, t.token.bytes);
    put_bytes(out, t.from.bytes);
    put_bytes(out, t.to.bytes);
    put_bytes(out, t.txn_hash.bytes);
    out += u256_to_min_be(t.value);
}

std::optional<Transfer> decode_transfer(std::string_view key, std::string_view value) {
    if (key.size() != kTransferKeySize || value.size() < kTransferValueFixedSize ||
        value.size() > kTransferValueMaxSize) {
        return std::nullopt;
    }
    Transfer t;
    const ChainPosition at = transfer_key_position(key);
    t.block_num = at.block_num;
    t.log_index = at.log_index;
    t.token = get_fixed<Address>(value, 0);
    t.from = get_fixed<Address>(value, kAddressSize);
    t.to = get_fixed<Address>(value, 2 * kAddressSize);
    t.txn_hash = get_fixed<Hash>(value, 3 * kAddressSize);
    t.value = u256_from_min_be(value.substr(kTransferValueFixedSize));
    return t;
}

std::optional<Direction> decode_direction(std::string_view value) {
    if (value.size() != 1) return std::nullopt;
    const auto bits = static_cast<uint8_t>(value[0]);
    if (bits < 1 || bits > 3) return std::nullopt;
    return static_cast<Direction>(bits);
}

std::string chain_activity_key(unsigned level, BlockNum first) {
    std::string k(1, static_cast<char>(level));
    append_be64(k, first);
    return k;
}

std::string chain_chunk_key(unsigned level, BlockNum first, uint32_t chunk) {
    std::string k = chain_activity_key(level, first);
    append_be32(k, chunk);
    return k;
}

EncodedChainBucket encode_chain_bucket(const ChainBucket& b) {
    EncodedChainBucket out;
    const size_t n = b.entries.size();
    append_be64(out.head, b.transfers);
    append_be64(out.head, n);
    append_be64(out.head,
                static_cast<uint64_t>(std::upper_bound(b.entries.begin(), b.entries.end(), 0) -
                                      b.entries.begin()));
    if (n <= kChainChunkEntries) {
        for (uint64_t e : b.entries) append_be64(out.head, e);
        return out;
    }
    for (size_t at = 0; at < n; at += kChainChunkEntries) {
        append_be64(out.head, b.entries[at]);
        std::string& chunk = out.chunks.emplace_back();
        chunk.reserve(8 * kChainChunkEntries);
        for (size_t i = at; i < std::min(n, at + kChainChunkEntries); ++i)
            append_be64(chunk, b.entries[i]);
    }
    return out;
}

std::optional<ChainHead> decode_chain_head(std::string_view value) {
    if (value.size() < kChainHeadFixedSize || value.size() % 8 != 0) return std::nullopt;
    ChainHead h{load_be64(value), load_be64(value, 8), load_be64(value, 16),
                value.substr(kChainHeadFixedSize)};
    const size_t tail_entries = h.chunked() ? h.chunks() : h.entries;
    if (h.tail.size() / 8 != tail_entries || h.zeros > h.entries) return std::nullopt;
    return h;
}

std::optional<std::vector<uint64_t>> decode_chain_entries(std::string_view value) {
    if (value.size() % 8 != 0) return std::nullopt;
    std::vector<uint64_t> out;
    out.reserve(value.size() / 8);
    for (size_t at = 0; at < value.size(); at += 8) out.push_back(load_be64(value, at));
    if (!std::is_sorted(out.begin(), out.end())) return std::nullopt;
    return out;
}

uint64_t chain_entries_at_most(std::string_view entries, uint64_t t) {
    size_t lo = 0, hi = entries.size() / 8;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (load_be64(entries, 8 * mid) <= t) lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

}  // namespace erc20::storage
