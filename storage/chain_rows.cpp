#include "storage/chain_rows.hpp"

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

}  // namespace erc20::storage
