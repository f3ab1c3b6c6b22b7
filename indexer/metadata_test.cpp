// A million tokens (#13 point 6): a chain of very many tokens with a few
// transfers each, on a node whose eth_call is slow, where some contracts
// revert, some answer junk and some fail transiently. Ingestion must reach
// the head without waiting for metadata; metadata must then complete and be
// right; a restart with a backlog must resume it. The figures each run
// measures are printed (WARN) so that they can be reported; the hidden
// "[.tokens-bench]" case takes its sizes from the environment
// (ERC20_BENCH_TOKENS, ERC20_BENCH_CALL_US).
#include <chrono>
#include <cstdlib>

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
using erc20::indexer::testing::TempDir;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

size_t env_or(const char* name, size_t fallback) {
    const char* v = std::getenv(name);
    return v ? static_cast<size_t>(std::strtoull(v, nullptr, 10)) : fallback;
}

// A counter or gauge without labels from /metrics's registry (0: absent).
uint64_t metric(const std::string& name) {
    const std::string text = metrics::registry().render();
    const size_t at = text.find("\n" + name + " ");
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + name.size() + 2));
}

storage::StoreOptions store_options() {
    storage::StoreOptions o;
    o.block_cache_bytes = 8u << 20;
    o.write_buffer_bytes = 16u << 20;
    return o;
}

// `tokens` tokens, about 2 transfers each; every 7th reverts, every 11th
// answers junk, every 13th fails transiently (when `failing`).
FakeChainOptions many_tokens(size_t tokens, std::chrono::microseconds call_delay, bool failing) {
    FakeChainOptions o;
    o.seed = 5;
    o.tokens = tokens;
    o.holders = 10;
    o.max_transfers_per_block = 40;
    o.call_delay = call_delay;
    o.revert_every = 7;
    o.junk_every = 11;
    o.fail_every = failing ? 13 : 0;
    return o;
}

BlockNum blocks_for(size_t tokens) { return std::max<BlockNum>(tokens / 10, 20); }

enum class Kind { kGood, kReverts, kJunk, kFails };
Kind kind_of(const FakeChainOptions& o, size_t i) {
    if (i % o.revert_every == 0) return Kind::kReverts;
    if (o.fail_every != 0 && i % o.fail_every == 2) return Kind::kFails;
    if (i % o.junk_every == 1) return Kind::kJunk;
    return Kind::kGood;
}

// Tokens whose metadata is not yet final: no row, or a supply reading older
// than the last transfer (a failing token's final row has no reading).
size_t unfinished(storage::Store& store, const FakeChain& chain, const FakeChainOptions& o) {
    size_t n = 0;
    store.view().for_each_token([&](const Address& t, const storage::TokenStats& s,
                                    const std::optional<storage::TokenMeta>& m) {
        const bool fails = kind_of(o, *chain.token_index(t)) == Kind::kFails;
        if (!m || (!fails && (!m->supply_hash || m->supply_block < s.last_block))) ++n;
    });
    return n;
}

// Every token's row against its contract.
void check_metadata(storage::Store& store, const FakeChain& chain, const FakeChainOptions& o) {
    auto view = store.view();
    size_t checked = 0;
    view.for_each_token([&](const Address& t, const storage::TokenStats&,
                            const std::optional<storage::TokenMeta>& m) {
        const size_t i = *chain.token_index(t);
        REQUIRE(m);
        ++checked;
        switch (kind_of(o, i)) {
            case Kind::kGood: {
                CHECK(m->name == FakeChain::token_name(i));
                CHECK(m->symbol == FakeChain::token_symbol(i));
                CHECK(m->decimals == 18);
                U256 supply = 0;
                for (const auto& h : chain.holders()) supply += chain.balance(t, h);
                CHECK(m->total_supply == supply);
                break;
            }
            case Kind::kReverts:
            case Kind::kFails:
                CHECK_FALSE(m->name);
                CHECK_FALSE(m->total_supply);
                break;
            case Kind::kJunk:
                CHECK_FALSE(m->name);
                CHECK_FALSE(m->symbol);
                CHECK_FALSE(m->decimals);
                CHECK(m->total_supply);
                break;
        }
    });
    CHECK(checked == store.view().totals().tokens);
}

struct Run {
    double to_head_s{0};
    double to_metadata_s{-1};  // -1: not finished when the run stopped
    size_t unfinished_at_head{0};
};

// Runs an indexer on `chain` until the metadata is final, or only to the
// head when `stop_at_head`; times both.
Run run(storage::Store& store, FakeChain& chain, const FakeChainOptions& co, bool stop_at_head,
        std::chrono::seconds limit, unsigned connections = MetadataOptions{}.connections) {
    Run r;
    const auto t0 = Clock::now();
    auto last_check = t0;
    bool at_head = false;
    IndexerOptions o = indexer::testing::fake_options(chain);
    o.max_range = 500;
    o.metadata.first_retry = std::chrono::milliseconds(20);  // 20 ms .. 2.6 s
    o.metadata.max_attempts = 8;
    o.metadata.connections = connections;
    const bool done = indexer::testing::run_until(
        store, o,
        [&] {
            auto c = store.cursor();
            if (!at_head && c && c->block_num == chain.head()) {
                at_head = true;
                r.to_head_s = seconds_since(t0);
                r.unfinished_at_head = unfinished(store, chain, co);
                if (stop_at_head) return true;
            }
            if (!at_head || Clock::now() - last_check < std::chrono::milliseconds(100))
                return false;
            last_check = Clock::now();
            if (unfinished(store, chain, co) != 0) return false;
            r.to_metadata_s = seconds_since(t0);
            return true;
        },
        limit);
    REQUIRE(done);
    return r;
}

void report(const char* what, const FakeChainOptions& co, const FakeChain& chain, const Run& r) {
    const auto s = chain.stats();
    const size_t transfers = chain.transfers().size();
    spdlog::warn(
        "{}: {} tokens, {} transfers, {} blocks, eth_call {} us: head after {:.2f} s ({:.0f} "
        "transfers/s), {} tokens unfinished then; metadata final after {:.2f} s; {} eth_calls "
        "({:.2f} a token), {} failed ({:.1f} a failing token), at most {} call requests at once",
        what, co.tokens, transfers, chain.head(), co.call_delay.count(), r.to_head_s,
        static_cast<double>(transfers) / std::max(r.to_head_s, 1e-9), r.unfinished_at_head,
        r.to_metadata_s, s.calls, static_cast<double>(s.calls) / static_cast<double>(co.tokens),
        s.failed_calls,
        co.fail_every
            ? static_cast<double>(s.failed_calls * co.fail_every) / static_cast<double>(co.tokens)
            : 0.0,
        s.max_call_requests_in_flight);
}

void no_stall(size_t tokens, std::chrono::microseconds delay, bool failing,
              std::chrono::seconds limit) {
    TempDir dir;
    const auto co = many_tokens(tokens, delay, failing);
    FakeChain chain(co);
    chain.extend(blocks_for(tokens));
    auto store = storage::Store::open(dir.path.string(), store_options());
    const Run r = run(*store, chain, co, false, limit);
    report("no stall", co, chain, r);
    // The head came first, with most metadata still to fetch; then all of it, right.
    CHECK(r.unfinished_at_head > tokens / 2);
    CHECK(r.to_metadata_s > r.to_head_s);
    // Calls in flight: one batch request per metadata connection at most.
    CHECK(chain.stats().max_call_requests_in_flight <= MetadataOptions{}.connections);
    // Failing tokens: max_attempts rounds of 4 calls, then null.
    if (co.fail_every != 0)
        CHECK(chain.stats().failed_calls <= (tokens / co.fail_every + 1) * 4 * 8);
    check_metadata(*store, chain, co);
}

}  // namespace

TEST_CASE("ingestion reaches the head while metadata calls are slow, then metadata completes",
          "[indexer][metadata]") {
    spdlog::set_level(spdlog::level::warn);
    no_stall(2000, std::chrono::microseconds(1000), true, std::chrono::seconds(120));
}

TEST_CASE("a restart with a metadata backlog resumes it", "[indexer][metadata]") {
    spdlog::set_level(spdlog::level::warn);
    TempDir dir;
    const auto co = many_tokens(1500, std::chrono::microseconds(1000), false);
    FakeChain chain(co);
    chain.extend(blocks_for(co.tokens));
    Run first;
    {
        auto store = storage::Store::open(dir.path.string(), store_options());
        first = run(*store, chain, co, true, std::chrono::seconds(60));
    }
    size_t backlog = 0;
    Run second;
    {
        auto store = storage::Store::open(dir.path.string(), store_options());
        backlog = unfinished(*store, chain, co);
        chain.reset_stats();
        const uint64_t scans = metric("erc20_metadata_scans_total");
        second = run(*store, chain, co, false, std::chrono::seconds(120));
        check_metadata(*store, chain, co);
        CHECK(metric("erc20_metadata_scans_total") == scans);  // the queue was read, no token
        CHECK(store->metadata_tasks(std::nullopt, 1, ~uint64_t{0}, 1'000'000).due.empty());
    }
    report("restart", co, chain, second);
    spdlog::warn("restart: {} tokens unfinished at the stop", backlog);
    CHECK(backlog > co.tokens / 2);
}

TEST_CASE("readings a rollback undid while no daemon ran are read again at the start",
          "[indexer][metadata]") {
    spdlog::set_level(spdlog::level::warn);
    TempDir dir;
    const auto co = many_tokens(300, std::chrono::microseconds(0), false);
    FakeChain chain(co);
    chain.extend(blocks_for(co.tokens));
    {
        auto store = storage::Store::open(dir.path.string(), store_options());
        run(*store, chain, co, false, std::chrono::seconds(60));
        // An admin rollback on the database: the readings at the head are off the chain.
        const BlockNum to = chain.head() - 10;
        store->rollback(storage::Cursor{to, chain.hash(to)});
        REQUIRE(unfinished(*store, chain, co) > 0);
    }
    chain.reorg(10, chain.head());  // and the chain replaced those blocks: they stay off it
    auto store = storage::Store::open(dir.path.string(), store_options());
    const Run r = run(*store, chain, co, false, std::chrono::seconds(60));
    CHECK(r.to_metadata_s > 0);
    check_metadata(*store, chain, co);
    CHECK_FALSE(store->metadata_rollback());
}

// A provider's rate limit: HTTP 429 with Retry-After on metadata batches.
// Nothing may ask the node before the wait ends (the idle wait is 1 s, so a
// Retry-After of 1.5 s tells a honoured wait from a lucky one).
TEST_CASE("after a 429 with Retry-After the metadata connection waits it out",
          "[indexer][metadata]") {
    spdlog::set_level(spdlog::level::warn);
    TempDir dir;
    auto co = many_tokens(300, std::chrono::microseconds(0), false);
    co.rate_limit_every = 2;
    co.retry_after_ms = 1500;
    FakeChain chain(co);
    chain.extend(blocks_for(co.tokens));
    auto store = storage::Store::open(dir.path.string(), store_options());
    const Run r = run(*store, chain, co, false, std::chrono::seconds(60), 1);
    CHECK(r.to_metadata_s > 0);
    const auto s = chain.stats();
    CHECK(s.rate_limited >= 2);
    CHECK(s.min_ms_after_429 >= 1490);
    check_metadata(*store, chain, co);
}

TEST_CASE("many tokens, slow eth_call: figures", "[.tokens-bench]") {
    spdlog::set_level(spdlog::level::warn);
    const size_t tokens = env_or("ERC20_BENCH_TOKENS", 20'000);
    const auto delay = std::chrono::microseconds(env_or("ERC20_BENCH_CALL_US", 2000));
    no_stall(tokens, delay, true, std::chrono::seconds(3600));
}

// The token list of a database of ERC20_BENCH_TOKENS tokens (1,000,000 by
// default), one mint each, written straight through Store::apply: the
// start-up scan of every token, and pages of /v1/tokens's orderings.
TEST_CASE("a million tokens: scan and pages", "[.tokens-bench]") {
    spdlog::set_level(spdlog::level::warn);
    const size_t tokens = env_or("ERC20_BENCH_TOKENS", 1'000'000);
    TempDir dir;
    auto store = storage::Store::open(dir.path.string(), storage::StoreOptions{});  // the daemon's
    constexpr size_t kPerBlock = 1000;
    constexpr size_t kPerBatch = 100'000;
    auto t0 = Clock::now();
    BlockNum block = 0;
    for (size_t done = 0; done < tokens;) {
        storage::BlockBatch b;
        b.first = block + 1;
        for (size_t i = 0; i < kPerBatch && done < tokens; ++i, ++done) {
            if (done % kPerBlock == 0) ++block;
            storage::Transfer t;
            t.block_num = block;
            t.log_index = static_cast<uint32_t>(done % kPerBlock);
            // Spread over every byte, as keccak-derived addresses are.
            const uint64_t x = (done + 1) * 0x9e3779b97f4a7c15ULL;
            for (size_t k = 0; k < 20; ++k)
                t.token.bytes[k] = static_cast<uint8_t>((x >> (8 * (k % 8))) ^ (k * 37));
            t.to.bytes[0] = static_cast<uint8_t>(done % 251 + 1);
            t.value = U256(done % 1000 + 1);
            b.transfers.push_back(t);
        }
        b.last = storage::Cursor{block, Hash{}};
        b.last.hash.bytes[0] = 1;
        store->apply(b);
    }
    const double apply_s = seconds_since(t0);
    t0 = Clock::now();
    size_t seen = 0;
    store->view().for_each_token([&](const Address&, const storage::TokenStats&,
                                     const std::optional<storage::TokenMeta>&) { ++seen; });
    const double scan_s = seconds_since(t0);
    CHECK(seen == tokens);
    // Walks each ordering 100 a page, as serve_tokens reads them (stats and
    // metadata of each row), timing each page.
    for (auto ranking : {storage::Ranking::kHolders, storage::Ranking::kTransfers}) {
        auto view = store->view();
        std::optional<storage::Position> after;
        std::vector<double> ms;
        size_t rows = 0;
        do {
            const auto p0 = Clock::now();
            std::optional<storage::Position> next;
            for (const auto& t : view.tokens_ranked(ranking, after, 100, next)) {
                auto st = view.token_stats(t);
                auto m = view.token_meta(t);
                if (st) ++rows;
                (void)m;
            }
            ms.push_back(seconds_since(p0) * 1000);
            after = next;
        } while (after);
        CHECK(rows == tokens);
        const auto n = static_cast<std::ptrdiff_t>(std::min<size_t>(ms.size(), 100));
        const std::vector<double> first_pages(ms.begin(), ms.begin() + n);
        const std::vector<double> last_pages(ms.end() - n, ms.end());
        auto mean = [](const std::vector<double>& v) {
            double sum = 0;
            for (double x : v) sum += x;
            return v.empty() ? 0.0 : sum / static_cast<double>(v.size());
        };
        spdlog::warn(
            "pages of {}: {} pages, first 100 pages {:.3f} ms each, last 100 {:.3f} ms each",
            ranking == storage::Ranking::kHolders ? "holders" : "transfers", ms.size(),
            mean(first_pages), mean(last_pages));
    }
    spdlog::warn(
        "{} tokens: applied in {:.1f} s; a scan of every token (the metadata worker's "
        "start) {:.2f} s",
        tokens, apply_s, scan_s);
}
