#include "api/answer_cache.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace erc20;

namespace {
using Ints = std::vector<int>;
size_t ints_size(const Ints& v) { return v.capacity() * sizeof(int); }
std::shared_ptr<const Ints> ints(size_t n) { return std::make_shared<const Ints>(n, 7); }
}  // namespace

TEST_CASE("the answer cache counts hits and misses", "[api][cache]") {
    api::AnswerCache<Ints> c("t", 1 << 20, ints_size);
    CHECK(c.find("a") == nullptr);
    c.put("a", ints(10));
    auto hit = c.find("a");
    REQUIRE(hit);
    CHECK(hit->size() == 10);
    int computed = 0;
    auto again = c.get_or_compute("a", [&] {
        ++computed;
        return Ints{};
    });
    CHECK(again == hit);
    CHECK(computed == 0);
    c.get_or_compute("b", [&] {
        ++computed;
        return Ints(3, 1);
    });
    CHECK(computed == 1);
    CHECK(c.counters().hits == 2);
    CHECK(c.counters().misses == 2);
    CHECK(c.counters().entries == 2);
    CHECK(c.counters().bytes > 13 * sizeof(int));
}

TEST_CASE("the answer cache drops the least recently used beyond its budget in bytes",
          "[api][cache]") {
    // Each entry of 1000 ints is a little over 4000 bytes: three fit in 13000, four do not.
    api::AnswerCache<Ints> c("t", 13000, ints_size);
    c.put("a", ints(1000));
    c.put("b", ints(1000));
    c.put("c", ints(1000));
    CHECK(c.counters().entries == 3);
    CHECK(c.find("a"));  // a is now the most recently used; b the least
    c.put("d", ints(1000));
    CHECK(c.counters().evictions == 1);
    CHECK(c.find("b") == nullptr);
    CHECK(c.find("a"));
    CHECK(c.find("c"));
    CHECK(c.find("d"));
    CHECK(c.counters().bytes <= 13000);
    // Replacing a key does not count it twice.
    const uint64_t before = c.counters().bytes;
    c.put("d", ints(1000));
    CHECK(c.counters().bytes == before);
    CHECK(c.counters().entries == 3);
    for (size_t i = 0; i < 50; ++i) {
        c.put("k" + std::to_string(i), ints(100 + i * 17));
        CHECK(c.counters().bytes <= 13000);
    }
}

TEST_CASE("an answer larger than the budget is not kept, and a budget of 0 keeps none",
          "[api][cache]") {
    api::AnswerCache<Ints> c("t", 4000, ints_size);
    c.put("small", ints(10));
    c.put("big", ints(2000));
    CHECK(c.find("big") == nullptr);
    CHECK(c.find("small"));  // not evicted for an entry that could never fit
    CHECK(c.counters().evictions == 0);
    api::AnswerCache<Ints> off("off", 0, ints_size);
    auto v = off.get_or_compute("a", [] { return Ints(1, 1); });
    CHECK(v->size() == 1);
    CHECK(off.find("a") == nullptr);
    CHECK(off.counters().bytes == 0);
}

TEST_CASE("cache metrics name the cache", "[api][cache]") {
    api::AnswerCache<Ints> c("past_holders", 1000, ints_size);
    c.find("x");
    const std::string text = api::render_cache_metrics({api::report_of(c)});
    CHECK(text.find("# TYPE erc20_cache_hits_total counter\n") != std::string::npos);
    CHECK(text.find("erc20_cache_misses_total{cache=\"past_holders\"} 1\n") != std::string::npos);
    CHECK(text.find("erc20_cache_budget_bytes{cache=\"past_holders\"} 1000\n") !=
          std::string::npos);
    CHECK(text.find("# TYPE erc20_cache_bytes gauge\n") != std::string::npos);
}

TEST_CASE("a cache that counts no evictions has no eviction line", "[api][cache]") {
    api::CacheCounters block;
    block.hits = 7;
    block.misses = 3;
    const std::string text =
        api::render_cache_metrics({api::CacheReport{"rocksdb_block", 1 << 20, &block, false}});
    CHECK(text.find("erc20_cache_hits_total{cache=\"rocksdb_block\"} 7\n") != std::string::npos);
    CHECK(text.find("erc20_cache_misses_total{cache=\"rocksdb_block\"} 3\n") != std::string::npos);
    CHECK(text.find("erc20_cache_budget_bytes{cache=\"rocksdb_block\"} 1048576\n") !=
          std::string::npos);
    CHECK(text.find("erc20_cache_evictions_total{cache=\"rocksdb_block\"}") == std::string::npos);
}
