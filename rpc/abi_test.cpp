#include "rpc/abi.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string_view>

#include "common/endian.hpp"
#include "common/hex.hpp"

namespace erc20::rpc {
namespace {

std::vector<uint8_t> word(uint64_t v) {
    std::vector<uint8_t> w(32, 0);
    store_be64(w.data() + 24, v);
    return w;
}

std::vector<uint8_t> padded(std::string_view text) {
    std::vector<uint8_t> out(text.begin(), text.end());
    out.resize((out.size() + 31) / 32 * 32, 0);
    return out;
}

// ABI encoding of a single `string` return value.
std::vector<uint8_t> abi_string(std::string_view text, uint64_t offset = 32) {
    const auto head = word(offset);
    const auto len = word(text.size());
    const auto body = padded(text);
    std::vector<uint8_t> out(offset + 32 + body.size(), 0);
    std::copy(head.begin(), head.end(), out.begin());
    std::copy(len.begin(), len.end(), out.begin() + static_cast<ptrdiff_t>(offset));
    std::copy(body.begin(), body.end(), out.begin() + static_cast<ptrdiff_t>(offset) + 32);
    return out;
}

std::vector<uint8_t> bytes32(std::string_view text) {
    std::vector<uint8_t> out(text.begin(), text.end());
    out.resize(32, 0);
    return out;
}

}  // namespace

TEST_CASE("selectors are the ERC20 function selectors", "[rpc][abi]") {
    CHECK(to_hex(selector_name()) == "0x06fdde03");
    CHECK(to_hex(selector_symbol()) == "0x95d89b41");
    CHECK(to_hex(selector_decimals()) == "0x313ce567");
    CHECK(to_hex(selector_total_supply()) == "0x18160ddd");
}

TEST_CASE("encode_balance_of appends the holder as a 32-byte word", "[rpc][abi]") {
    auto holder = parse_address("0x00000000219ab540356cbb839cbe05303d7705fa");
    REQUIRE(holder);
    CHECK(to_hex(encode_balance_of(*holder)) ==
          "0x70a08231"
          "00000000000000000000000000000000219ab540356cbb839cbe05303d7705fa");
}

TEST_CASE("decode_string reads ABI strings", "[rpc][abi]") {
    SECTION("short") { CHECK(decode_string(abi_string("USDC")) == "USDC"); }
    SECTION("longer than one word") {
        const std::string name = "A token name that is longer than thirty-two bytes";
        CHECK(decode_string(abi_string(name)) == name);
    }
    SECTION("utf-8") { CHECK(decode_string(abi_string("Ether \xce\x9e")) == "Ether \xce\x9e"); }
    SECTION("empty string is a valid result") { CHECK(decode_string(abi_string("")) == ""); }
    SECTION("offset other than 32 that points inside") {
        CHECK(decode_string(abi_string("DAI", 64)) == "DAI");
    }
    SECTION("trailing zero bytes inside the length are dropped") {
        std::string text("WETH\0\0\0", 7);
        CHECK(decode_string(abi_string(text)) == "WETH");
    }
    SECTION("unpadded tail is accepted") {
        auto ret = abi_string("UNI");
        ret.resize(64 + 3);
        CHECK(decode_string(ret) == "UNI");
    }
}

TEST_CASE("decode_string reads bytes32 names like MKR's", "[rpc][abi]") {
    CHECK(decode_string(bytes32("MKR")) == "MKR");
    CHECK(decode_string(bytes32("Maker")) == "Maker");
    CHECK(decode_string(bytes32(std::string(32, 'x'))) == std::string(32, 'x'));
    CHECK(decode_string(bytes32("")) == "");
}

TEST_CASE("decode_string rejects garbage", "[rpc][abi]") {
    SECTION("empty return data (no such function)") { CHECK_FALSE(decode_string({})); }
    SECTION("shorter than a word") { CHECK_FALSE(decode_string(std::vector<uint8_t>(31, 0x41))); }
    SECTION("between one and two words") {
        CHECK_FALSE(decode_string(std::vector<uint8_t>(48, 0x41)));
    }
    SECTION("offset past the end") {
        auto ret = abi_string("MKR");
        ret[31] = 0xff;
        CHECK_FALSE(decode_string(ret));
    }
    SECTION("offset of zero") {
        auto ret = abi_string("MKR");
        ret[31] = 0;
        CHECK_FALSE(decode_string(ret));
    }
    SECTION("huge offset") {
        auto ret = abi_string("MKR");
        ret[0] = 0x80;
        CHECK_FALSE(decode_string(ret));
    }
    SECTION("length past the end") {
        auto ret = abi_string("MKR");
        ret[63] = 33;
        CHECK_FALSE(decode_string(ret));
    }
    SECTION("huge length") {
        auto ret = abi_string("MKR");
        ret[32] = 0x01;
        CHECK_FALSE(decode_string(ret));
    }
    SECTION("invalid utf-8") {
        CHECK_FALSE(decode_string(abi_string("bad \xff byte")));
        CHECK_FALSE(decode_string(abi_string("overlong \xc0\xaf")));
        CHECK_FALSE(decode_string(abi_string("cut \xe2\x82")));
        CHECK_FALSE(decode_string(bytes32("\xc3")));
    }
    SECTION("control characters") {
        CHECK_FALSE(decode_string(abi_string("line\nbreak")));
        CHECK_FALSE(decode_string(abi_string(std::string("nul\0inside", 10))));
        CHECK_FALSE(decode_string(bytes32("tab\there")));
    }
    SECTION("bytes32 left-padded like a number") {
        auto ret = word(0x4d4b52);
        CHECK_FALSE(decode_string(ret));
    }
}

TEST_CASE("decode_uint256 reads the first word", "[rpc][abi]") {
    CHECK(decode_uint256(word(1'000'000)) == U256{1'000'000});
    std::vector<uint8_t> max(32, 0xff);
    CHECK(decode_uint256(max) == ~U256{0});
    auto longer = word(7);
    longer.resize(64, 0xee);
    CHECK(decode_uint256(longer) == U256{7});
    CHECK_FALSE(decode_uint256(std::vector<uint8_t>(31, 0)));
    CHECK_FALSE(decode_uint256({}));
}

TEST_CASE("decode_decimals accepts 0 to 255 only", "[rpc][abi]") {
    CHECK(decode_decimals(word(18)) == uint8_t{18});
    CHECK(decode_decimals(word(0)) == uint8_t{0});
    CHECK(decode_decimals(word(255)) == uint8_t{255});
    CHECK_FALSE(decode_decimals(word(256)));
    auto high = word(6);
    high[0] = 1;
    CHECK_FALSE(decode_decimals(high));
    CHECK_FALSE(decode_decimals(std::vector<uint8_t>(1, 18)));
}

}  // namespace erc20::rpc
