#include "api/paging.hpp"

#include <catch2/catch.hpp>

using namespace erc20;
using api::Position;
using api::PositionKind;

TEST_CASE("cursors carry the pin id and the position, and malformed ones are refused",
          "[api][paging]") {
    const Position p = Position::of_transfer(0x0102030405060708, 0x0a0b0c0d);
    const std::string cursor = api::encode_cursor(0x1122, p);
    // The wire format users hold: hex of pin id (8) | position bytes.
    CHECK(cursor ==
          "0000000000001122"
          "01020304050607080a0b0c0d");
    auto back = api::decode_cursor(cursor, PositionKind::kTransfer);
    REQUIRE(back);
    CHECK(back->first == 0x1122u);
    CHECK(back->second == p);

    CHECK_FALSE(api::decode_cursor(cursor, PositionKind::kToken));                 // another list's
    CHECK_FALSE(api::decode_cursor(cursor.substr(2), PositionKind::kTransfer));    // too short
    CHECK_FALSE(api::decode_cursor("0000000000001122", PositionKind::kTransfer));  // no position
    CHECK_FALSE(api::decode_cursor(cursor + "0", PositionKind::kTransfer));        // odd length
    CHECK_FALSE(api::decode_cursor("zz" + cursor.substr(2), PositionKind::kTransfer));
}
