#include "storage/position.hpp"

#include <catch2/catch.hpp>

using namespace erc20;
using storage::Position;
using Kind = storage::Position::Kind;

TEST_CASE("positions round-trip through their bytes", "[storage][position]") {
    SECTION("transfer") {
        const Position p = Position::of_transfer(0x0102030405060708, 0x0a0b0c0d);
        CHECK(p.kind() == Kind::kTransfer);
        CHECK(p.encode() == std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x0a\x0b\x0c\x0d", 12));
        auto back = Position::decode(Kind::kTransfer, p.encode());
        REQUIRE(back);
        CHECK(*back == p);
        CHECK(back->transfer() ==
              std::make_pair(BlockNum{0x0102030405060708}, uint32_t{0x0a0b0c0d}));
    }
    SECTION("token") {
        Address a;
        a.bytes[0] = 0xaa;
        a.bytes[19] = 0x01;
        auto back = Position::decode(Kind::kToken, Position::of_token(a).encode());
        REQUIRE(back);
        CHECK(back->token() == a);
    }
    SECTION("index") {
        auto back = Position::decode(Kind::kIndex, Position::of_index(123456789).encode());
        REQUIRE(back);
        CHECK(back->index() == 123456789u);
        CHECK(Position::of_index(0).encode() == std::string(8, '\0'));
    }
    SECTION("holder and ranking positions keep their bytes") {
        std::string holder(1, static_cast<char>(0xff - 2));
        holder += std::string(2, '\x10') + std::string(20, '\0');
        auto h = Position::decode(Kind::kHolder, holder);
        REQUIRE(h);
        CHECK(h->encode() == holder);
        auto r = Position::decode(Kind::kRanking, std::string(28, '\x01'));
        REQUIRE(r);
        CHECK(r->encode() == std::string(28, '\x01'));
    }
}

TEST_CASE("positions of the wrong length or kind are refused", "[storage][position]") {
    const std::string transfer = Position::of_transfer(7, 3).encode();
    SECTION("wrong length") {
        CHECK_FALSE(Position::decode(Kind::kTransfer, transfer.substr(1)));
        CHECK_FALSE(Position::decode(Kind::kTransfer, transfer + "x"));
        CHECK_FALSE(Position::decode(Kind::kToken, std::string(19, '\0')));
        CHECK_FALSE(Position::decode(Kind::kIndex, std::string(9, '\0')));
        CHECK_FALSE(Position::decode(Kind::kRanking, std::string(27, '\0')));
        for (Kind k :
             {Kind::kRanking, Kind::kHolder, Kind::kTransfer, Kind::kToken, Kind::kIndex}) {
            CHECK_FALSE(Position::decode(k, ""));
        }
    }
    SECTION("a holder position's magnitude length must match its size") {
        std::string holder(1, static_cast<char>(0xff - 2));
        holder += std::string(2, '\x10') + std::string(20, '\0');
        CHECK_FALSE(Position::decode(Kind::kHolder, holder + "x"));
        CHECK_FALSE(Position::decode(Kind::kHolder, std::string(20, '\0')));
        CHECK_FALSE(Position::decode(Kind::kHolder, std::string(21, '\0')));  // claims 255 bytes
    }
    SECTION("wrong kind") {
        CHECK_FALSE(Position::decode(Kind::kToken, transfer));
        CHECK_FALSE(Position::decode(Kind::kIndex, transfer));
        CHECK_FALSE(Position::decode(Kind::kRanking, transfer));
        CHECK_FALSE(Position::decode(Kind::kHolder, transfer));
        // Read as another kind than the one it was decoded as: a bug, refused.
        const auto p = Position::decode(Kind::kTransfer, transfer);
        REQUIRE(p);
        CHECK_THROWS_AS(p->token(), std::logic_error);
        CHECK_THROWS_AS(p->index(), std::logic_error);
    }
}
