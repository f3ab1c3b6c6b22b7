#include "api/distribution.hpp"

#include <vector>

#include <catch2/catch.hpp>

using namespace erc20;
using api::distribution_of;

TEST_CASE("distribution of no holders or no supply has no concentration", "[api][distribution]") {
    auto none = distribution_of({});
    CHECK(none.holders == 0);
    CHECK(none.supply == 0);
    CHECK_FALSE(none.concentration);
    std::vector<Balance> zeros{0, 0};
    auto zero = distribution_of(zeros);
    CHECK(zero.holders == 2);
    CHECK_FALSE(zero.concentration);
}

TEST_CASE("one holder has everything", "[api][distribution]") {
    std::vector<Balance> one{Balance(500)};
    auto d = distribution_of(one);
    REQUIRE(d.concentration);
    CHECK(d.supply == 500);
    CHECK(d.concentration->top10_share == 1.0);
    CHECK(d.concentration->gini == 0.0);  // (n-1)/n with n = 1
    CHECK(d.concentration->nakamoto == 1);
    CHECK(d.concentration->hhi == 1.0);
}

TEST_CASE("equal balances: Gini 0, HHI 1/n, Nakamoto just over half", "[api][distribution]") {
    std::vector<Balance> equal(4, Balance(25));
    auto d = distribution_of(equal);
    REQUIRE(d.concentration);
    CHECK(d.supply == 100);
    CHECK(d.concentration->gini == Approx(0.0));
    CHECK(d.concentration->hhi == Approx(0.25));
    CHECK(d.concentration->nakamoto == 3);  // 2 hold exactly half, not more
    CHECK(d.concentration->top10_share == 1.0);
}

TEST_CASE("skewed balances give the textbook figures", "[api][distribution]") {
    // 300, 200, 200, 100, 100 (the routes test's token): supply 900.
    std::vector<Balance> b{300, 200, 200, 100, 100};
    auto d = distribution_of(b);
    REQUIRE(d.concentration);
    CHECK(d.holders == 5);
    CHECK(d.supply == 900);
    // Gini = sum_i sum_j |x_i - x_j| / (2 n^2 mean) = 2000 / (2 * 25 * 180) = 0.222...
    CHECK(d.concentration->gini == Approx(2000.0 / 9000.0));
    CHECK(d.concentration->nakamoto == 2);  // 500 > 450
    CHECK(d.concentration->hhi == Approx((9.0 + 4 + 4 + 1 + 1) / 81.0));
}

TEST_CASE("top shares count only the largest 10 and 100", "[api][distribution]") {
    std::vector<Balance> b(200, Balance(1));
    b[0] = 1000;
    auto d = distribution_of(b);
    REQUIRE(d.concentration);
    CHECK(d.supply == 1199);
    CHECK(d.concentration->top10_share == Approx(1009.0 / 1199.0));
    CHECK(d.concentration->top100_share == Approx(1099.0 / 1199.0));
    CHECK(d.concentration->nakamoto == 1);
}

TEST_CASE("balances above 2^256 are summed and squared exactly", "[api][distribution]") {
    const Balance big = Balance(1) << 300;
    std::vector<Balance> b{big, big};
    auto d = distribution_of(b);
    REQUIRE(d.concentration);
    CHECK(d.supply == boost::multiprecision::cpp_int(1) << 301);
    CHECK(d.concentration->hhi == Approx(0.5));
    CHECK(d.concentration->top10_share == 1.0);
}
