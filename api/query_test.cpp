#include "api/query.hpp"

#include <catch2/catch.hpp>

using namespace erc20;
using api::Query;

namespace {
Query parsed(std::string_view qs) {
    auto q = Query::parse(qs);
    REQUIRE_FALSE(api::failed(q));
    return std::get<Query>(std::move(q));
}
std::string error_code(std::string_view qs) {
    auto q = Query::parse(qs);
    REQUIRE(api::failed(q));
    return std::get<api::ApiError>(q).code;
}
}  // namespace

TEST_CASE("query strings are percent-decoded strictly", "[api][query]") {
    CHECK(api::percent_decode("a%2Cb+c") == "a,b c");
    CHECK(api::percent_decode("%e2%82%ac") == "\xe2\x82\xac");
    CHECK_FALSE(api::percent_decode("%4"));
    CHECK_FALSE(api::percent_decode("%zz"));
    CHECK(*parsed("limit=5&&cursor=ab").get("cursor") == "ab");
    CHECK(error_code("limit=%g0") == "bad_query");
    CHECK(error_code("limit=1&limit=2") == "bad_parameter");
}

TEST_CASE("a route accepts only its parameters", "[api][query]") {
    auto q = parsed("limit=5&colour=red");
    auto e = q.only({"limit", "cursor"});
    REQUIRE(e);
    CHECK(e->code == "unknown_parameter");
    CHECK(e->message == "unknown parameter 'colour' (accepted: limit, cursor)");
    CHECK(parsed("").only({}) == std::nullopt);
}

TEST_CASE("limits, block numbers, choices and exclude lists are checked", "[api][query]") {
    CHECK(std::get<size_t>(parsed("").limit()) == api::kDefaultLimit);
    CHECK(api::failed(parsed("limit=0").limit()));
    CHECK(api::failed(parsed("limit=1001").limit()));
    CHECK(std::get<0>(parsed("block=7").block_num("block")) == BlockNum{7});
    CHECK(api::failed(parsed("block=-1").block_num("block")));
    CHECK(api::failed(parsed("block=9223372036854775808").block_num("block")));
    CHECK(std::get<api::TokenOrder>(parsed("order=transfers").token_order()) ==
          api::TokenOrder::kTransfers);
    CHECK(std::get<api::TokenOrder>(parsed("").token_order()) == api::TokenOrder::kHolders);
    CHECK(std::get<api::ApiError>(parsed("order=size").token_order()).code == "bad_order");
    auto ex = parsed(
                  "exclude=0x00000000000000000000000000000000000000bb,,"
                  "0x00000000000000000000000000000000000000aa")
                  .exclude();
    REQUIRE_FALSE(api::failed(ex));
    REQUIRE(std::get<0>(ex).size() == 2);
    CHECK(std::get<0>(ex)[0].bytes[19] == 0xaa);  // sorted
    CHECK(std::get<api::ApiError>(parsed("exclude=0x12").exclude()).code == "bad_address");
}
