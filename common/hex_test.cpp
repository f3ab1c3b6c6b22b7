#include "common/hex.hpp"

#include <catch2/catch.hpp>

using namespace erc20;

TEST_CASE("parse_quantity rejects non-canonical hex", "[common][hex]") {
    SECTION("leading zero") { CHECK_FALSE(parse_quantity_u64("0x01")); }
    SECTION("empty") { CHECK_FALSE(parse_quantity_u64("0x")); }
    SECTION("no prefix") { CHECK_FALSE(parse_quantity_u64("12")); }
    SECTION("junk inside") { CHECK_FALSE(parse_quantity_u64("0x5x5")); }
    SECTION("sign") { CHECK_FALSE(parse_quantity_u64("0x-1")); }
    SECTION("too wide for 64 bits") { CHECK_FALSE(parse_quantity_u64("0x10000000000000000")); }
    SECTION("zero is 0x0") { CHECK(parse_quantity_u64("0x0") == 0u); }
    SECTION("max") { CHECK(parse_quantity_u64("0xffffffffffffffff") == ~uint64_t{0}); }
    SECTION("upper case digits") { CHECK(parse_quantity_u64("0x1A") == 26u); }
}

TEST_CASE("256-bit quantities decode exactly", "[common][hex]") {
    auto max = parse_quantity_u256("0x" + std::string(64, 'f'));
    REQUIRE(max);
    CHECK(*max == ~U256(0));
    CHECK_FALSE(parse_quantity_u256("0x1" + std::string(64, '0')));
    CHECK(parse_quantity_u256("0xde0b6b3a7640000") == U256(1000000000000000000ull));
    CHECK(to_dec_string(*max) ==
          "115792089237316195423570985008687907853269984665640564039457584007913129639935");
}

TEST_CASE("addresses and hashes need exactly their length", "[common][hex]") {
    auto a = parse_address("0x00000000000000000000000000000000000000Ff");
    REQUIRE(a);
    CHECK(a->bytes[19] == 0xff);
    CHECK(to_hex(*a) == "0x00000000000000000000000000000000000000ff");
    CHECK_FALSE(parse_address("0x00000000000000000000000000000000000000f"));
    CHECK_FALSE(parse_address("0x00000000000000000000000000000000000000fff"));
    CHECK_FALSE(parse_address("0x00000000000000000000000000000000000000fg"));
    CHECK_FALSE(parse_address("00000000000000000000000000000000000000ffff"));
    CHECK(Address{}.is_zero());
    CHECK_FALSE(a->is_zero());
    auto h = parse_hash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    REQUIRE(h);
    CHECK(to_hex(*h) == "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    CHECK_FALSE(parse_hash("0xddf252ad"));
}

TEST_CASE("data needs an even number of hex digits", "[common][hex]") {
    CHECK(parse_data("0x")->empty());
    CHECK(parse_data("0x0aff")->size() == 2);
    CHECK_FALSE(parse_data("0xabc"));
    CHECK_FALSE(parse_data("0xzz"));
    CHECK_FALSE(parse_data("0aff"));
}

TEST_CASE("hex digits decode in either case, and nothing else does", "[common][hex]") {
    CHECK(hex_digit('0') == 0);
    CHECK(hex_digit('9') == 9);
    CHECK(hex_digit('a') == 10);
    CHECK(hex_digit('F') == 15);
    for (char c : std::string_view("gGxX/:@`- ")) CHECK(hex_digit(c) == -1);
    CHECK(hex_digit('\0') == -1);
    CHECK(hex_digit(static_cast<char>(0xb0)) == -1);
}

TEST_CASE("bare hex digits decode to bytes", "[common][hex]") {
    CHECK(parse_hex_digits("")->empty());
    CHECK(parse_hex_digits("00ffA0") == std::vector<uint8_t>{0x00, 0xff, 0xa0});
    SECTION("odd length") { CHECK_FALSE(parse_hex_digits("abc")); }
    SECTION("a prefix is not a digit") { CHECK_FALSE(parse_hex_digits("0x00")); }
    SECTION("junk") { CHECK_FALSE(parse_hex_digits("0g")); }
}

TEST_CASE("decimal numbers are strict", "[common][hex]") {
    CHECK(parse_decimal_u64("0") == 0u);
    CHECK(parse_decimal_u64("18446744073709551615") == ~uint64_t{0});
    CHECK_FALSE(parse_decimal_u64("18446744073709551616"));
    CHECK_FALSE(parse_decimal_u64("-1"));
    CHECK_FALSE(parse_decimal_u64("+1"));
    CHECK_FALSE(parse_decimal_u64(" 1"));
    CHECK_FALSE(parse_decimal_u64("1e3"));
    CHECK_FALSE(parse_decimal_u64(""));
}

TEST_CASE("words convert between U256 and big-endian bytes", "[common][u256]") {
    U256 v = (U256(1) << 255) + 5;
    auto be = u256_to_be(v);
    CHECK(be[0] == 0x80);
    CHECK(be[31] == 5);
    CHECK(u256_from_be(be) == v);
    CHECK(to_quantity(0) == "0x0");
    CHECK(to_quantity(255) == "0xff");
}

TEST_CASE("decimal strings are exact on both sides of 2^128", "[common][u256]") {
    CHECK(to_dec_string(U256(0)) == "0");
    CHECK(to_dec_string(Balance(0)) == "0");
    CHECK(to_dec_string(Balance(-1)) == "-1");
    U256 two128 = U256(1) << 128;
    CHECK(to_dec_string(two128 - 1) == "340282366920938463463374607431768211455");
    CHECK(to_dec_string(two128) == "340282366920938463463374607431768211456");
    CHECK(to_dec_string(Balance(two128 - 1)) == "340282366920938463463374607431768211455");
    CHECK(to_dec_string(-Balance(two128)) == "-340282366920938463463374607431768211456");
    CHECK(to_dec_string(U256(1000000000000000000ull) * 123456789) == "123456789000000000000000000");
}
