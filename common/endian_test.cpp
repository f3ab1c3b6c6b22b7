#include "common/endian.hpp"

#include <catch2/catch.hpp>

#include <array>

using namespace erc20;

TEST_CASE("big-endian helpers put the most significant byte first", "[common][endian]") {
    SECTION("64 bits") {
        std::string s;
        append_be64(s, 0x0102030405060708ULL);
        CHECK(s == std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
        CHECK(load_be64(s) == 0x0102030405060708ULL);
    }
    SECTION("32 bits") {
        std::string s;
        append_be32(s, 0xa1b2c3d4U);
        CHECK(s == "\xa1\xb2\xc3\xd4");
        CHECK(load_be32(s) == 0xa1b2c3d4U);
    }
    SECTION("16 bits") {
        std::string s;
        append_be16(s, 0xbeef);
        CHECK(s == "\xbe\xef");
        CHECK(load_be16(s) == 0xbeef);
    }
    SECTION("at an offset, into unsigned bytes") {
        std::array<uint8_t, 12> b{};
        store_be32(b.data() + 8, 7);
        store_be64(b.data(), ~uint64_t{0} - 1);
        CHECK(b[7] == 0xfe);
        CHECK(b[11] == 7);
        CHECK(load_be64(b.data()) == ~uint64_t{0} - 1);
        CHECK(load_be32(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), 8) ==
              7);
    }
}

TEST_CASE("big-endian order is numeric order", "[common][endian]") {
    std::string a, b;
    append_be64(a, 255);
    append_be64(b, 256);
    CHECK(a < b);
}
