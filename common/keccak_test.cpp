#include "common/keccak.hpp"

#include <string_view>

#include <catch2/catch.hpp>

#include "common/hex.hpp"

using namespace erc20;

namespace {
Hash keccak_of(std::string_view s) {
    return keccak256(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}
}  // namespace

TEST_CASE("keccak256 matches Ethereum's known digests", "[common][keccak]") {
    CHECK(to_hex(keccak_of("")) ==
          "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    CHECK(to_hex(keccak_of("Transfer(address,address,uint256)")) ==
          "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    CHECK(to_hex(keccak_of("transfer(address,uint256)")).substr(0, 10) == "0xa9059cbb");
    // Longer than one 136-byte block.
    std::string long_input(300, 'a');
    CHECK(keccak_of(long_input) != keccak_of(std::string(299, 'a')));
}

TEST_CASE("a bloom holds what was added and rejects most of what was not", "[common][keccak]") {
    std::array<uint8_t, 256> bloom{};
    auto add = [&](std::span<const uint8_t> v) {
        Hash h = keccak256(v);
        for (size_t i = 0; i < 6; i += 2) {
            unsigned bit = ((unsigned{h.bytes[i]} << 8) | h.bytes[i + 1]) & 2047u;
            bloom[255 - bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
        }
    };
    auto topic = *parse_hash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    CHECK_FALSE(bloom_may_contain(bloom, topic.bytes));
    add(topic.bytes);
    CHECK(bloom_may_contain(bloom, topic.bytes));
    auto other = *parse_address("0x00000000000000000000000000000000000000aa");
    CHECK_FALSE(bloom_may_contain(bloom, other.bytes));
}
