// The query caches through the router, on a real store: an answer about a
// past block survives new head blocks and never survives a rollback below it.

#include "api/query_caches.hpp"

#include <filesystem>
#include <random>
#include <regex>

#include <catch2/catch.hpp>

#include "api/routes.hpp"
#include "common/hex.hpp"

using namespace erc20;

namespace {

constexpr const char* kToken = "0x00000000000000000000000000000000000000aa";

storage::Cursor cursor_of(BlockNum n, uint8_t branch) {
    storage::Cursor c{n, {}};
    c.hash.bytes[0] = static_cast<uint8_t>(n);
    c.hash.bytes[1] = branch;
    return c;
}

struct Fixture {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("erc20-caches-test-" + std::to_string(std::random_device{}()));
    std::unique_ptr<storage::Store> store = storage::Store::open(dir.string(), {});
    std::unique_ptr<api::Router> router = make_router(size_t{1} << 20);
    Address token = *parse_address(kToken);

    Fixture() { store->bind_chain(31337); }
    ~Fixture() {
        router.reset();  // releases pinned snapshots before the store closes
        store.reset();
        std::filesystem::remove_all(dir);
    }
    std::unique_ptr<api::Router> make_router(size_t cache_bytes) const {
        api::RouterOptions options;
        options.query_cache_bytes = cache_bytes;
        return std::make_unique<api::Router>(
            *store, [] { return api::NodeStatus{12, "following", true, 0, 0, 0}; }, options);
    }
    // Block n on `branch`: holder (n + branch) % 7 + 1 gets `value` minted.
    void apply_block(BlockNum n, uint8_t branch, uint64_t value) {
        storage::Transfer t;
        t.block_num = n;
        t.token = token;
        t.to.bytes[19] = static_cast<uint8_t>((n + branch) % 7 + 1);
        t.value = U256(value);
        store->apply(
            storage::BlockBatch{n, cursor_of(n, branch), {t}, {}, {{n, 1700000000 + n}}, 0});
    }
    [[nodiscard]] std::string body(const std::string& target) const {
        auto r = router->handle("GET", target);
        REQUIRE(r.status == 200);
        return r.body;
    }
    [[nodiscard]] uint64_t counter(const std::string& family, const std::string& cache) const {
        const std::string text = body("/metrics");
        const std::regex line(family + "\\{cache=\"" + cache + "\"\\} ([0-9]+)\n");
        std::smatch m;
        REQUIRE(std::regex_search(text, m, line));
        return std::stoull(m[1]);
    }
};

// The same request answered by a router with no cache.
std::string fresh(const Fixture& f, const std::string& target) {
    auto r = f.make_router(0)->handle("GET", target);
    REQUIRE(r.status == 200);
    return r.body;
}

}  // namespace

TEST_CASE("a distribution at a past block is a cache hit after a new head block", "[api][cache]") {
    Fixture f;
    for (BlockNum n = 1; n <= 10; ++n) f.apply_block(n, 0, 100 * n);
    // Distributions walk the holder list page by page; only answers are kept.
    const std::string base = std::string("/v1/tokens/") + kToken + "/distribution?block=5";
    const std::string other = base + "&exclude=0x0000000000000000000000000000000000000001";
    const std::string first = f.body(base);
    CHECK(f.counter("erc20_cache_misses_total", "distribution") == 1);
    CHECK(f.counter("erc20_cache_hits_total", "distribution") == 0);
    f.apply_block(11, 0, 5000);
    f.apply_block(12, 0, 7000);
    CHECK(f.body(base) == first);
    CHECK(f.counter("erc20_cache_hits_total", "distribution") == 1);
    CHECK(f.body(other) == fresh(f, other));  // another answer: computed
    CHECK(f.counter("erc20_cache_misses_total", "distribution") == 2);
    CHECK(f.counter("erc20_cache_bytes", "distribution") > 0);
    CHECK(first == fresh(f, base));
}

TEST_CASE("a rollback below the block and another branch give fresh answers, not cached ones",
          "[api][cache]") {
    Fixture f;
    for (BlockNum n = 1; n <= 10; ++n) f.apply_block(n, 0, 100 * n);
    const std::string holders = std::string("/v1/tokens/") + kToken + "/holders?block=6";
    const std::string dist = std::string("/v1/tokens/") + kToken + "/distribution?block=6";
    const std::string dist_head = std::string("/v1/tokens/") + kToken + "/distribution";
    const std::string before = f.body(holders);
    const std::string dist_before = f.body(dist);
    const std::string head_before = f.body(dist_head);
    CHECK(f.body(dist_head) == head_before);  // a repeat at the same head
    CHECK(f.counter("erc20_cache_hits_total", "distribution") == 1);

    f.store->rollback(cursor_of(3, 0));
    for (BlockNum n = 4; n <= 11; ++n) f.apply_block(n, 1, 3 * n + 1);
    const std::string after = f.body(holders);
    CHECK(after != before);
    CHECK(after == fresh(f, holders));
    CHECK(f.body(dist) == fresh(f, dist));
    CHECK(f.body(dist) != dist_before);
    CHECK(f.body(dist_head) == fresh(f, dist_head));
    CHECK(f.body(dist_head) != head_before);

    // A rollback that leaves block 6 alone leaves its answer cached; the
    // history version moves, so it is computed once more and equal.
    f.store->rollback(cursor_of(9, 1));
    f.apply_block(10, 2, 123);
    CHECK(f.body(holders) == after);
    CHECK(f.body(holders) == fresh(f, holders));
}

TEST_CASE("with a query cache of 0 bytes nothing is kept", "[api][cache]") {
    Fixture f;
    f.router = f.make_router(0);
    for (BlockNum n = 1; n <= 3; ++n) f.apply_block(n, 0, 10 * n);
    const std::string target = std::string("/v1/tokens/") + kToken + "/distribution?block=2";
    CHECK(f.body(target) == f.body(target));
    CHECK(f.counter("erc20_cache_hits_total", "distribution") == 0);
    CHECK(f.counter("erc20_cache_bytes", "distribution") == 0);
    CHECK(f.counter("erc20_cache_budget_bytes", "distribution") == 0);
}

TEST_CASE("an export at a past block streams from storage, never computing the whole list",
          "[api][cache]") {
    // Each chunk of kExportPage rows continues the last one's scan of the
    // ranked history: no list of every holder, so none above the cache's
    // budget to compute again for every chunk (quadratic on a large token).
    Fixture f;
    f.router = f.make_router(0);
    std::vector<storage::Transfer> mints;
    for (uint32_t i = 0; i < 2500; ++i) {
        storage::Transfer t;
        t.block_num = 1;
        t.log_index = i;
        t.token = f.token;
        t.to.bytes[16] = static_cast<uint8_t>(1 + (i >> 8));
        t.to.bytes[19] = static_cast<uint8_t>(i);
        t.value = U256(i + 1);
        mints.push_back(t);
    }
    f.store->apply(storage::BlockBatch{1, cursor_of(1, 0), mints, {}, {{1, 1700000001}}, 0});
    f.apply_block(2, 0, 5);
    auto r = f.router->handle(
        "GET", std::string("/v1/tokens/") + kToken + "/holders?format=ndjson&block=1");
    REQUIRE(r.status == 200);
    std::string rows = r.body, chunk;
    while (r.stream) {
        chunk.clear();
        const bool more = r.stream(chunk);
        rows += chunk;
        if (!more) break;
    }
    CHECK(std::count(rows.begin(), rows.end(), '\n') == 2500);
    CHECK(rows.find("\"balance\":\"2500\"") < rows.find("\"balance\":\"2499\""));
}

TEST_CASE("a distribution over more holders than a walk's page equals the whole list's",
          "[api][cache]") {
    // 25,000 holders (3 pages of the walk), balances with ties, one excluded:
    // the answer at a past block and at the head against distribution_of of
    // the list, sorted, in memory.
    Fixture f;
    f.router = f.make_router(0);
    std::vector<storage::Transfer> mints;
    std::vector<Balance> balances;
    const std::string excluded = "0x0000000000000000000000000000000000000100";
    for (uint32_t i = 0; i < 25'000; ++i) {
        storage::Transfer t;
        t.block_num = 1;
        t.log_index = i;
        t.token = f.token;
        t.to.bytes[17] = static_cast<uint8_t>(i >> 16);
        t.to.bytes[18] = static_cast<uint8_t>(1 + (i >> 8));
        t.to.bytes[19] = static_cast<uint8_t>(i);
        t.value = U256((uint64_t{i} * 7919) % 5003 + 1) << (i % 3 == 0 ? 80 : 0);
        if (to_hex(t.to) != excluded) balances.push_back(static_cast<Balance>(t.value));
        mints.push_back(t);
    }
    REQUIRE(balances.size() == 24'999);
    f.store->apply(storage::BlockBatch{1, cursor_of(1, 0), mints, {}, {{1, 1700000001}}, 0});
    std::sort(balances.begin(), balances.end(), std::greater<>());
    const api::Distribution want = api::distribution_of(balances);
    REQUIRE(want.concentration);
    auto field = [](const std::string& body, const std::string& name) {
        const std::regex re("\"" + name + "\":\"?([^,\"}]+)");
        std::smatch m;
        REQUIRE(std::regex_search(body, m, re));
        return m[1].str();
    };
    const std::string route = std::string("/v1/tokens/") + kToken + "/distribution";
    for (const std::string query : {"?block=1&exclude=", "?exclude="}) {
        std::string target = route;
        target.append(query).append(excluded);
        const std::string body = f.body(target);
        CHECK(field(body, "holders") == "24999");
        CHECK(field(body, "supply") == want.supply.str());
        CHECK(field(body, "nakamoto") == std::to_string(want.concentration->nakamoto));
        CHECK(std::stod(field(body, "gini")) == Approx(want.concentration->gini).epsilon(1e-12));
        CHECK(std::stod(field(body, "hhi")) == Approx(want.concentration->hhi).epsilon(1e-12));
        CHECK(std::stod(field(body, "top10_share")) ==
              Approx(want.concentration->top10_share).epsilon(1e-12));
    }
}
