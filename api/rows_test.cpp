#include "api/rows.hpp"

#include <catch2/catch.hpp>

using namespace erc20;

TEST_CASE("a row renders the same cells as JSON, NDJSON and CSV", "[api][rows]") {
    const api::Row row{
        {"name", std::string("a,\"b\"")}, {"n", uint64_t{7}}, {"x", 0.5}, {"none", api::Field{}}};
    api::JsonWriter w;
    api::write_row(w, row);
    CHECK(w.str() == R"({"name":"a,\"b\"","n":7,"x":0.5,"none":null})");
    std::string nd;
    api::append_ndjson_row(nd, row);
    CHECK(nd == w.str() + "\n");
    std::string csv;
    api::append_csv_header(csv, {"name", "n", "x", "none"});
    api::append_csv_row(csv, row);
    CHECK(csv == "name,n,x,none\r\n\"a,\"\"b\"\"\",7,0.5,\r\n");
}

TEST_CASE("list columns match the rows they head", "[api][rows]") {
    storage::TokenStats s;
    auto token = api::token_row(Address{}, s, std::nullopt, Balance(0));
    REQUIRE(token.size() == api::kTokenColumns.size());
    for (size_t i = 0; i < token.size(); ++i) CHECK(token[i].first == api::kTokenColumns[i]);
    auto holder = api::holder_row(Address{}, Balance(5), nullptr);
    REQUIRE(holder.size() == api::kHolderColumns.size());
    CHECK(holder[1].first == "balance");
}
