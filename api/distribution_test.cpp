#include "api/distribution.hpp"

#include <algorithm>
#include <functional>
#include <random>
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

namespace {

using boost::multiprecision::cpp_int;

// The definitions, computed the slow way from a sorted copy.
struct Reference {
    std::vector<Balance> asc;
    cpp_int supply{0};
    explicit Reference(std::vector<Balance> b) : asc(std::move(b)) {
        std::sort(asc.begin(), asc.end());
        for (const auto& x : asc) supply += static_cast<cpp_int>(x);
    }
    [[nodiscard]] Balance percentile(unsigned p) const {
        const size_t n = asc.size();
        const size_t rank = (p * n + 99) / 100;  // nearest rank, from 1
        return asc[rank - 1];
    }
    // The share of the supply the poorest floor(i n / k) hold, as an exact fraction.
    [[nodiscard]] cpp_int poorest(uint32_t i, uint32_t k) const {
        cpp_int s = 0;
        for (size_t j = 0; j < asc.size() * i / k; ++j) s += static_cast<cpp_int>(asc[j]);
        return s;
    }
    // Holders and balance with share in [1/lo, 1/hi) (hi 0: no upper bound; lo 0: share >= 0).
    [[nodiscard]] std::pair<uint64_t, cpp_int> bucket(uint32_t lo, uint32_t hi) const {
        std::pair<uint64_t, cpp_int> out{0, 0};
        for (const auto& x : asc) {
            const cpp_int v = static_cast<cpp_int>(x);
            const bool at_least = lo == 0 || v * lo >= supply;
            const bool below = hi == 0 || v * hi < supply;
            if (at_least && below) {
                ++out.first;
                out.second += v;
            }
        }
        return out;
    }
};

std::vector<Balance> descending(std::vector<Balance> b) {
    std::sort(b.begin(), b.end(), std::greater<>());
    return b;
}

}  // namespace

TEST_CASE("share buckets split the holders at 1%, 0.1% and 0.01% exactly", "[api][distribution]") {
    // Supply 10,000: 100 is exactly 1%, 10 exactly 0.1%, 1 exactly 0.01%.
    std::vector<Balance> b{9000, 100, 99, 10, 9, 1, 1};
    const auto total = 9000 + 100 + 99 + 10 + 9 + 1 + 1;
    b.emplace_back(10000 - total);  // 780: makes the supply 10,000
    b = descending(b);
    auto d = distribution_of(b);
    REQUIRE(d.supply == 10000);
    CHECK(d.share_buckets[0].holders == 3);  // 9000, 780, 100
    CHECK(d.share_buckets[0].balance == 9880);
    CHECK(d.share_buckets[1].holders == 2);  // 99, 10
    CHECK(d.share_buckets[1].balance == 109);
    CHECK(d.share_buckets[2].holders == 3);  // 9, 1, 1
    CHECK(d.share_buckets[2].balance == 11);
    CHECK(d.share_buckets[3].holders == 0);
    CHECK(d.share_buckets[3].balance == 0);
    CHECK_FALSE(d.percentiles);  // not asked
    CHECK(d.lorenz.empty());
}

TEST_CASE("percentiles are nearest-rank values of the ascending balances", "[api][distribution]") {
    std::vector<Balance> b;
    for (int i = 1; i <= 10; ++i) b.emplace_back(i * 10);
    auto d = distribution_of(descending(b), {0, true});
    REQUIRE(d.percentiles);
    CHECK((*d.percentiles)[0] == 50);   // rank ceil(5) = 5
    CHECK((*d.percentiles)[1] == 90);   // rank 9
    CHECK((*d.percentiles)[2] == 100);  // rank ceil(9.9) = 10
    std::vector<Balance> one{Balance(7)};
    auto d1 = distribution_of(one, {0, true});
    REQUIRE(d1.percentiles);
    CHECK((*d1.percentiles)[0] == 7);
    CHECK((*d1.percentiles)[2] == 7);
    CHECK_FALSE(distribution_of({}, {0, true}).percentiles);
}

TEST_CASE("Lorenz points: the poorest floor(i n / K) holders' share", "[api][distribution]") {
    std::vector<Balance> b{300, 200, 200, 100, 100};  // supply 900
    auto d = distribution_of(b, {4, false});
    REQUIRE(d.lorenz.size() == 5);
    CHECK(d.lorenz[0] == 0.0);
    CHECK(d.lorenz[1] == Approx(100.0 / 900));  // floor(5/4) = 1 holder
    CHECK(d.lorenz[2] == Approx(200.0 / 900));  // 2
    CHECK(d.lorenz[3] == Approx(400.0 / 900));  // 3
    CHECK(d.lorenz[4] == 1.0);
    // More points than holders: repeated ranks.
    auto many = distribution_of(b, {1000, false});
    REQUIRE(many.lorenz.size() == 1001);
    CHECK(many.lorenz[199] == 0.0);                  // floor(199 * 5 / 1000) = 0
    CHECK(many.lorenz[200] == Approx(100.0 / 900));  // 1
    CHECK(many.lorenz[999] == Approx(600.0 / 900));  // 4
    auto k1 = distribution_of(b, {1, false});
    CHECK(k1.lorenz == std::vector<double>{0.0, 1.0});
    CHECK(distribution_of({}, {10, false}).lorenz.empty());
}

TEST_CASE("detail equals the definitions on random lists", "[api][distribution]") {
    std::mt19937_64 rng(42);
    for (int round = 0; round < 200; ++round) {
        const size_t n = rng() % 300;
        std::vector<Balance> b;
        for (size_t i = 0; i < n; ++i) {
            // Heavy tails: a few huge, many tiny, some equal.
            const int kind = static_cast<int>(rng() % 4);
            Balance x = kind == 0   ? (Balance(rng()) << 180)
                        : kind == 1 ? Balance(rng() % 5 + 1)
                                    : Balance(rng() % 100000 + 1);
            b.push_back(x);
        }
        const uint32_t k = static_cast<uint32_t>(rng() % 20 + 1);
        const Reference ref(b);
        auto d = distribution_of(descending(b), {k, true});
        REQUIRE(d.holders == n);
        REQUIRE(d.supply == ref.supply);
        if (n == 0) {
            CHECK_FALSE(d.percentiles);
            CHECK(d.lorenz.empty());
            continue;
        }
        REQUIRE(d.percentiles);
        CHECK((*d.percentiles)[0] == ref.percentile(50));
        CHECK((*d.percentiles)[1] == ref.percentile(90));
        CHECK((*d.percentiles)[2] == ref.percentile(99));
        REQUIRE(d.lorenz.size() == k + 1);
        for (uint32_t i = 0; i <= k; ++i) {
            const double want = static_cast<double>(ref.poorest(i, k).convert_to<long double>() /
                                                    ref.supply.convert_to<long double>());
            CHECK(d.lorenz[i] == Approx(want).margin(1e-15));
        }
        const std::array<std::pair<uint32_t, uint32_t>, 4> bounds{
            {{100, 0}, {1000, 100}, {10000, 1000}, {0, 10000}}};
        for (size_t j = 0; j < 4; ++j) {
            const auto [holders, balance] = ref.bucket(bounds[j].first, bounds[j].second);
            CHECK(d.share_buckets[j].holders == holders);
            CHECK(d.share_buckets[j].balance == balance);
        }
        // The detail changes nothing of the figures.
        auto plain = distribution_of(descending(b));
        REQUIRE(plain.concentration);
        CHECK(plain.concentration->nakamoto == d.concentration->nakamoto);
        CHECK(plain.concentration->gini == d.concentration->gini);
    }
}
