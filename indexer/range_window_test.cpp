#include "indexer/range_window.hpp"

#include <catch2/catch.hpp>

#include "indexer/fetch.hpp"
#include "indexer/testing/fake_chain.hpp"

using namespace erc20;
using namespace erc20::indexer;

namespace {

rpc::RpcError too_large(std::optional<BlockNum> suggested_to = std::nullopt) {
    rpc::RpcError e;
    e.kind = rpc::RpcError::Kind::kRangeTooLarge;
    e.suggested_to = suggested_to;
    return e;
}

}  // namespace

TEST_CASE("the range window starts small and grows at most twofold up to --max-range",
          "[indexer][window]") {
    RangeWindow w(2000);
    CHECK(w.size() == kInitialRange);
    w.fit(10, 0);  // sparse: grow
    CHECK(w.size() == 20);
    w.fit(20, 10);
    CHECK(w.size() == 40);
    for (int i = 0; i < 20; ++i) w.fit(w.size(), 1);
    CHECK(w.size() == 2000);
    SECTION("a small --max-range caps the first range too") { CHECK(RangeWindow(4).size() == 4); }
    SECTION("unless the first range is asked for as it is (an add-tokens' first step)") {
        RangeWindow first(4, RangeWindow::First::kInitial);
        CHECK(first.size() == kInitialRange);
        first.fit(10, 0);
        CHECK(first.size() == 4);
        first.reset();
        CHECK(first.size() == kInitialRange);
    }
}

TEST_CASE("the range window follows the density to about 10,000 logs per answer",
          "[indexer][window]") {
    RangeWindow w(2000);
    for (int i = 0; i < 10; ++i) w.fit(w.size(), 0);
    REQUIRE(w.size() == 2000);
    w.fit(2000, size_t{2000} * 100);  // 100 logs per block: 100 blocks
    CHECK(w.size() == 100);
    w.fit(100, size_t{100} * 50'000);  // one block is already too dense: never below 1
    CHECK(w.size() == 1);
}

TEST_CASE("the range window shrinks when the node refuses a range or times out",
          "[indexer][window]") {
    RangeWindow w(2000);
    for (int i = 0; i < 10; ++i) w.fit(w.size(), 0);
    REQUIRE(w.size() == 2000);
    SECTION("halved when the node names no limit") {
        w.refused(too_large(), 1000);
        CHECK(w.size() == 1000);
    }
    SECTION("down to the node's suggested end when that is smaller") {
        w.refused(too_large(BlockNum{1099}), 1000);
        CHECK(w.size() == 100);
    }
    SECTION("halved when the suggestion is larger than half") {
        w.refused(too_large(BlockNum{2800}), 1000);
        CHECK(w.size() == 1000);
    }
    SECTION("a timeout halves, never below one block") {
        for (int i = 0; i < 20; ++i) w.halve();
        CHECK(w.size() == 1);
    }
    SECTION("reset: the initial size again") {
        w.halve();
        w.reset();
        CHECK(w.size() == kInitialRange);
    }
}

TEST_CASE(
    "on a node that refuses more than N logs the window shrinks until it answers, then grows back",
    "[indexer][window]") {
    indexer::testing::FakeChainOptions o;
    o.max_logs = 40;
    o.max_transfers_per_block = 6;
    indexer::testing::FakeChain chain(o);
    chain.extend(400);
    rpc::ClientOptions co;
    co.transport = chain.transport();
    RpcNode node(co);
    RangeWindow w(64);
    BlockNum next = 1;
    int refusals = 0;
    uint64_t largest = 0;
    while (next <= 400) {
        const BlockNum to = std::min<BlockNum>(400, next + w.size() - 1);
        auto r = fetch_range(node, next, to, {});
        if (!r) {
            REQUIRE(r.error().kind == rpc::RpcError::Kind::kRangeTooLarge);
            ++refusals;
            w.refused(r.error(), next);
            continue;
        }
        CHECK(r->log_count <= o.max_logs);
        largest = std::max<uint64_t>(largest, to - next + 1);
        w.fit(to - next + 1, r->log_count);
        next = to + 1;
    }
    CHECK(refusals > 0);
    CHECK(largest >= 4);  // it grew back after the refusals
    CHECK(w.size() <= 64);
}

TEST_CASE("a refusal's message may name the node's limit", "[indexer][window]") {
    rpc::RpcError e = too_large();
    e.message = "query returned more than 10000 results";
    CHECK(named_log_limit(e) == 10000u);
    e.message = "query returned more than 10,000 results. Try with this block range [0x1, 0x2].";
    CHECK(named_log_limit(e) == 10000u);
    e.message = "Log response size exceeded";
    CHECK_FALSE(named_log_limit(e));
}

TEST_CASE("after a refusal the window aims below the learned limit and grows additively",
          "[indexer][window]") {
    RangeWindow w(100'000);
    for (int i = 0; i < 20; ++i) w.fit(w.size(), w.size() * 5);  // 5 logs per block
    REQUIRE(w.size() == 2000);                                   // 10,000 logs
    CHECK(w.log_limit() == 0);
    rpc::RpcError e = too_large();
    e.message = "query returned more than 2000 results";
    w.refused(e, 1000, 2000, 10'000);
    CHECK(w.log_limit() == 2000);
    CHECK(w.aim() == Approx(kLimitAim * 2000));
    CHECK(w.size() == 1000);  // multiplicative back-off: halved
    SECTION("never above the learned limit's aim, however long it answers") {
        for (int i = 0; i < 200; ++i) w.fit(w.size(), w.size() * 5);
        CHECK(w.size() == static_cast<uint64_t>(kLimitAim * 2000 / 5));
    }
    SECTION("grows additively, not doubling back to the size refused") {
        for (int i = 0; i < 3; ++i) w.fit(w.size(), 0);  // a sparse stretch
        CHECK(w.size() == 1000 + 3 * (2000 / 16));
    }
    SECTION("a limit the node does not name is the logs the refused range held, at most") {
        RangeWindow u(100'000);
        u.refused(too_large(), 0, 400, 3001);
        CHECK(u.log_limit() == 3000);
        u.refused(too_large(), 400, 400, 5001);
        CHECK(u.log_limit() == 3000);  // the lowest bound stays
    }
    SECTION("a limit learned before is adopted as it is") {
        RangeWindow v(100'000);
        v.learn(2000);
        CHECK(v.aim() == Approx(kLimitAim * 2000));
        for (int i = 0; i < 30; ++i) v.fit(v.size(), v.size() * 5);
        CHECK(v.size() == static_cast<uint64_t>(kLimitAim * 2000 / 5));
    }
}
