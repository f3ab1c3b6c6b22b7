// A provider's node, not an ideal one (#13 point 7): eth_getLogs refused
// above N logs (as Infura's and Alchemy's) on a chain whose block sizes vary,
// and blooms that say "maybe" for every block (as mainnet's nearly do). The
// figures each test measures are printed (WARN) so that they can be reported.
#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

#include "common/metrics.hpp"
#include "indexer/indexer.hpp"
#include "indexer/testing/fake_chain.hpp"
#include "indexer/testing/run.hpp"
#include "indexer/testing/temp_dir.hpp"

using namespace erc20;
using namespace erc20::indexer;
using erc20::indexer::testing::FakeChain;
using erc20::indexer::testing::FakeChainOptions;
using erc20::indexer::testing::FakeChainStats;
using erc20::indexer::testing::TempDir;

namespace {

storage::StoreOptions store_options() {
    storage::StoreOptions o;
    o.block_cache_bytes = 4u << 20;
    o.write_buffer_bytes = 8u << 20;
    return o;
}

// Runs an indexer on `chain` until its cursor is the chain's head.
void run_to_head(storage::Store& store, FakeChain& chain, const std::vector<Address>& tokens,
                 uint64_t max_range) {
    IndexerOptions o = indexer::testing::fake_options(chain);
    o.max_range = max_range;
    o.tokens = tokens;
    const bool done = indexer::testing::run_until(
        store, o,
        [&] {
            auto c = store.cursor();
            return c && c->block_num == chain.head();
        },
        std::chrono::seconds(60));
    REQUIRE(done);
}

void check_balances(storage::Store& store, FakeChain& chain) {
    auto view = store.view();
    for (const auto& token : chain.tokens()) {
        for (const auto& holder : chain.holders()) {
            CHECK(view.balance(token, holder) ==
                  static_cast<Balance>(chain.balance(token, holder)));
        }
    }
}

double percent(uint64_t part, uint64_t whole) {
    return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

FakeChainOptions limited_chain(bool varying) {
    FakeChainOptions o;
    o.seed = 11;
    o.max_logs = 600;
    o.varying_sizes = varying;
    return o;
}

}  // namespace

TEST_CASE("on a node that refuses more than N logs, few requests are refused and none twice",
          "[indexer][provider]") {
    spdlog::set_level(spdlog::level::warn);
    for (bool unnamed : {false, true}) {
        auto co = limited_chain(true);
        co.unnamed_limit = unnamed;
        FakeChain chain(co);
        chain.extend(8000);
        TempDir dir;
        auto store = storage::Store::open(dir.path.string(), store_options());
        run_to_head(*store, chain, {}, 5000);
        const FakeChainStats s = chain.stats();
        WARN((unnamed ? "limit not named" : "limit named")
             << ": eth_getLogs " << s.get_logs << ", refused " << s.refused << " ("
             << percent(s.refused, s.get_logs) << "%), logs served " << s.logs_served << ", twice "
             << s.logs_again << " (" << percent(s.logs_again, s.logs_served) << "%), learned limit "
             << store->log_limit());
        CHECK(percent(s.refused, s.get_logs) <= 5.0);
        CHECK(percent(s.logs_again, s.logs_served) <= 2.0);
        CHECK(store->log_limit() > 0);
        CHECK(store->log_limit() <= co.max_logs * 3);
        if (!unnamed) CHECK(store->log_limit() == co.max_logs);
        check_balances(*store, chain);
    }
}

TEST_CASE("the learned log limit survives a restart: the next run is not refused to relearn it",
          "[indexer][provider]") {
    spdlog::set_level(spdlog::level::warn);
    FakeChain chain(limited_chain(false));
    chain.extend(2000);
    TempDir dir;
    {
        auto store = storage::Store::open(dir.path.string(), store_options());
        CHECK(store->log_limit() == 0);
        run_to_head(*store, chain, {}, 5000);
    }
    const uint64_t first_refused = chain.stats().refused;
    CHECK(first_refused > 0);
    chain.reset_stats();
    chain.extend(4000);
    auto store = storage::Store::open(dir.path.string(), store_options());
    CHECK(store->log_limit() == 600);
    run_to_head(*store, chain, {}, 5000);
    WARN("restart: refused " << first_refused << " before learning, " << chain.stats().refused
                             << " after reopening, of " << chain.stats().get_logs);
    CHECK(chain.stats().refused == 0);
    const std::string metrics = metrics::registry().render();
    CHECK_THAT(metrics,
               Catch::Contains("# TYPE erc20_rpc_log_limit gauge\nerc20_rpc_log_limit 600\n"));
    CHECK_THAT(metrics, Catch::Contains("# TYPE erc20_rpc_logs_refused_total counter"));
    check_balances(*store, chain);
}

TEST_CASE("with --tokens on a chain of saturated blooms, the backfill asks at most twice as much",
          "[indexer][provider]") {
    spdlog::set_level(spdlog::level::warn);
    FakeChainOptions co;
    co.seed = 5;
    co.saturated_bloom = true;
    constexpr BlockNum kHead = 3000;
    auto per_block = [&](const std::vector<Address>& tokens, FakeChain& chain) {
        TempDir dir;
        auto store = storage::Store::open(dir.path.string(), store_options());
        const auto t0 = std::chrono::steady_clock::now();
        run_to_head(*store, chain, tokens, 100);
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const auto s = chain.stats();
        WARN((tokens.empty() ? "unfiltered" : "--tokens")
             << ": " << s.requests << " requests (" << s.get_logs << " eth_getLogs) for " << kHead
             << " blocks, " << static_cast<double>(s.requests) / kHead << " per block, "
             << static_cast<double>(kHead) / secs << " blocks/s");
        return static_cast<double>(s.requests) / kHead;
    };
    FakeChain all(co);
    all.extend(kHead);
    const double unfiltered = per_block({}, all);
    FakeChain some(co);
    some.extend(kHead);
    const double filtered = per_block({some.tokens().front()}, some);
    CHECK(filtered <= 2.0 * unfiltered);
}
