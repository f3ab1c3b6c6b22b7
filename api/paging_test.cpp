#include "api/paging.hpp"

#include <catch2/catch.hpp>

using namespace erc20;
using api::PositionKind;

TEST_CASE("positions round-trip and malformed ones are refused", "[api][paging]") {
    storage::Transfer t;
    t.block_num = 0x0102030405060708;
    t.log_index = 0x0a0b0c0d;
    const std::string p = api::transfer_position(t);
    CHECK(api::valid_position(PositionKind::kTransfer, p));
    CHECK(api::decode_transfer_position(p) ==
          std::make_pair(BlockNum{0x0102030405060708}, uint32_t{0x0a0b0c0d}));
    CHECK_FALSE(api::decode_transfer_position(""));
    CHECK_FALSE(api::valid_position(PositionKind::kTransfer, p.substr(1)));

    Address a;
    a.bytes[0] = 0xaa;
    a.bytes[19] = 0x01;
    CHECK(api::decode_token_position(api::token_position(a)) == a);
    CHECK(api::valid_position(PositionKind::kToken, api::token_position(a)));
    CHECK(api::decode_index_position(api::index_position(123456789)) == 123456789u);
    CHECK(api::valid_position(PositionKind::kIndex, api::index_position(0)));

    SECTION("holder positions carry their magnitude length") {
        std::string holder(1, static_cast<char>(0xff - 2));
        holder += std::string(2, '\x10') + std::string(20, '\0');
        CHECK(api::valid_position(PositionKind::kHolder, holder));
        CHECK_FALSE(api::valid_position(PositionKind::kHolder, holder + "x"));
        CHECK_FALSE(api::valid_position(PositionKind::kHolder, std::string(20, '\0')));
    }
    CHECK(api::valid_position(PositionKind::kTokenRank, std::string(28, '\0')));
    CHECK_FALSE(api::valid_position(PositionKind::kTokenRank, std::string(27, '\0')));
}
