#include "storage/stream_rows.hpp"

#include "common/endian.hpp"

namespace erc20::storage {

std::string encode_stream_block(const BlockHeader& h, bool hashes_known) {
    std::string v;
    v.reserve(kStreamBlockValueSize);
    v.push_back(hashes_known ? '\x01' : '\x00');
    put_bytes(v, hashes_known ? h.hash.bytes : Hash{}.bytes);
    put_bytes(v, hashes_known ? h.parent_hash.bytes : Hash{}.bytes);
    append_be64(v, h.timestamp);
    return v;
}

std::optional<StreamBlock> decode_stream_block(BlockNum n, std::string_view value) {
    if (value.size() != kStreamBlockValueSize) return std::nullopt;
    const auto flags = static_cast<uint8_t>(value[0]);
    if (flags > 1) return std::nullopt;
    StreamBlock b;
    b.hashes_known = flags == 1;
    b.header.block_num = n;
    b.header.hash = get_fixed<Hash>(value, 1);
    b.header.parent_hash = get_fixed<Hash>(value, 1 + kHashSize);
    b.header.timestamp = load_be64(value.substr(1 + 2 * kHashSize));
    return b;
}

std::string stream_log_key(uint64_t seq, uint32_t sub) {
    std::string k;
    k.reserve(kStreamLogKeySize);
    append_be64(k, seq);
    append_be32(k, sub);
    return k;
}

std::optional<StreamLogPosition> decode_stream_log_key(std::string_view key) {
    if (key.size() != kStreamLogKeySize) return std::nullopt;
    return StreamLogPosition{load_be64(key), load_be32(key.substr(8))};
}

std::string encode_stream_change(const StreamChange& c) {
    std::string v;
    v.reserve(kStreamLogValueSize);
    v.push_back(static_cast<char>(c.kind));
    append_be64(v, c.block_num);
    put_bytes(v, c.hash.bytes);
    return v;
}

std::optional<StreamChange> decode_stream_change(std::string_view value) {
    using Kind = StreamChange::Kind;
    if (value.size() != kStreamLogValueSize) return std::nullopt;
    const auto kind = static_cast<Kind>(value[0]);
    if (kind != Kind::kUndone && kind != Kind::kChanged && kind != Kind::kRolledBack)
        return std::nullopt;
    return StreamChange{kind, load_be64(value, 1), get_fixed<Hash>(value, 1 + kBlockNumSize)};
}

}  // namespace erc20::storage
