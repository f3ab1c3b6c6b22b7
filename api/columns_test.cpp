// ?columns=: picking, ordering and the extras computed per row.
#include "api/columns.hpp"

#include <catch2/catch.hpp>

#include "api/testing/router_fixture.hpp"

using namespace erc20;
using Fixture = api::testing::RouterFixture;

TEST_CASE("amounts scale exactly by the token's decimals", "[api][columns]") {
    CHECK(api::scaled_decimal("1500", 3) == "1.5");
    CHECK(api::scaled_decimal("1500", 0) == "1500");
    CHECK(api::scaled_decimal("7", 2) == "0.07");
    CHECK(api::scaled_decimal("-7", 2) == "-0.07");
    CHECK(api::scaled_decimal("0", 18) == "0");
    CHECK(api::scaled_decimal("1000000000000000000", 18) == "1");
    // 2^256 - 1 with 18 decimals: every digit kept.
    const std::string max =
        "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    CHECK(api::scaled_decimal(max, 18) ==
          "115792089237316195423570985008687907853269984665640564039457.584007913129639935");
    CHECK(api::scaled_decimal("5", 255) == "0." + std::string(254, '0') + "5");
    CHECK(api::iso8601_utc(1700000000) == "2023-11-14T22:13:20Z");
    CHECK(api::iso8601_utc(0) == "1970-01-01T00:00:00Z");
}

TEST_CASE("columns= picks the list's columns and extras, in the order given", "[api][columns]") {
    Fixture f;
    storage::TokenMeta meta;
    meta.symbol = "AA,\"x\"";
    meta.decimals = 2;
    REQUIRE(f.store->put_token_meta(f.token, meta, true));
    const std::string base = "/v1/tokens/0x00000000000000000000000000000000000000aa";

    auto csv = f.get(base +
                     "/holders?format=csv&columns=token,address,amount,balance,symbol,"
                     "decimals");
    REQUIRE(csv.status == 200);
    std::string body;
    while (csv.stream(body)) {}
    CHECK(body.rfind("token,address,amount,balance,symbol,decimals\r\n"
                     "0x00000000000000000000000000000000000000aa,"
                     "0x0000000000000000000000000000000000000003,3,300,\"AA,\"\"x\"\"\",2\r\n",
                     0) == 0);

    auto page = f.get(base + "/transfers?limit=1&columns=time,value,amount");
    CHECK(page.body.find("\"items\":[{\"time\":\"2023-11-14T22:13:20Z\",\"value\":\"100\","
                         "\"amount\":\"1\"}]") != std::string::npos);
    auto balances = f.get(
        "/v1/accounts/0x0000000000000000000000000000000000000002/"
        "balances?columns=symbol,amount,decimals");
    CHECK(balances.body.find("{\"symbol\":\"AA,\\\"x\\\"\",\"amount\":\"2\",\"decimals\":2}") !=
          std::string::npos);
    auto history = f.get(
        "/v1/accounts/0x0000000000000000000000000000000000000002/tokens/"
        "0x00000000000000000000000000000000000000aa/history?columns=block,time,"
        "token,amount");
    CHECK(history.body.find("{\"block\":10,\"time\":\"2023-11-14T22:13:20Z\",\"token\":"
                            "\"0x00000000000000000000000000000000000000aa\",\"amount\":\"2\"}") !=
          std::string::npos);
    // Without ?columns= nothing changes.
    CHECK(f.get(base + "/holders?limit=1")
              .body.find(
                  "{\"address\":\"0x0000000000000000000000000000000000000003\",\"balance\":\"300\","
                  "\"label\":null,\"category\":null}") != std::string::npos);
}

TEST_CASE("columns= names what is wrong", "[api][columns]") {
    Fixture f;
    const std::string base = "/v1/tokens/0x00000000000000000000000000000000000000aa";
    for (const std::string q : {"/holders?columns=address,nope", "/holders?columns=",
                                "/holders?columns=address,address", "/transfers?columns=token,x"}) {
        INFO(q);
        auto r = f.get(base + q);
        CHECK(r.status == 400);
        CHECK(r.body.find("\"bad_columns\"") != std::string::npos);
    }
    CHECK(f.get(base + "/holders?columns=nope")
              .body.find("its columns: address, balance, label, category, token, symbol, decimals, "
                         "amount") != std::string::npos);
    // Unknown decimals: amount and symbol are null.
    CHECK(f.get(base + "/holders?limit=1&columns=amount,symbol")
              .body.find("{\"amount\":null,\"symbol\":null}") != std::string::npos);
    CHECK(f.get("/v1/tokens?columns=address,holders")
              .body.find(
                  "{\"address\":\"0x00000000000000000000000000000000000000aa\",\"holders\":5}") !=
          std::string::npos);
}
