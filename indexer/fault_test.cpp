// Fault injection inside the process, as Boost.Beast's fail_count: the n-th
// store commit fails, or the n-th JSON-RPC call, for n = 0, 1, 2, ... over a
// backfill with a reorg in it (indexer/testing/fake_chain.hpp). After a store
// failure the database is exactly what it was before the failed commit and a
// restart ends where an uninterrupted run ends; an RPC failure is retried and
// changes nothing in the end.
#include "indexer/indexer.hpp"

#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

#include "indexer/testing/deadlines.hpp"
#include "indexer/testing/fake_chain.hpp"
#include "indexer/testing/temp_dir.hpp"

using namespace erc20;
using namespace erc20::indexer;
using erc20::indexer::testing::FakeChain;
using erc20::indexer::testing::kSlowdown;
using erc20::indexer::testing::TempDir;

namespace {

constexpr BlockNum kFirstHead = 150;  // the chain when the indexer starts
constexpr BlockNum kReorgDepth = 6;   // replaced once the indexer reached kFirstHead
constexpr BlockNum kReorgHead = 180;  // the head right after the reorg
constexpr BlockNum kFinalHead =
    190;  // reached one block at a time: small writes, whatever the timing

std::unique_ptr<FakeChain> make_chain() {
    indexer::testing::FakeChainOptions o;
    o.seed = 7;
    o.max_logs = 120;  // a few -32005 refusals on the way
    auto chain = std::make_unique<FakeChain>(o);
    chain->extend(kFirstHead);
    return chain;
}

storage::StoreOptions store_options() {
    storage::StoreOptions o;
    o.block_cache_bytes = 4u << 20;
    o.write_buffer_bytes = 8u << 20;
    o.ingest_min_transfers = 40;  // larger batches take the ingestion path
    return o;
}

using Transport = std::function<rpc::Result<std::string>(std::string_view)>;

// Runs an indexer until its cursor is the chain's final head. The chain
// reorgs its last blocks and grows to kReorgHead once the indexer follows at
// kFirstHead (after the backfill and its compaction), then by one block each
// time the indexer reached its head.
// Returns the StoreError that stopped the indexer, if one did.
std::optional<std::string> run_indexer(storage::Store& store, FakeChain& chain,
                                       Transport transport) {
    IndexerOptions o;
    o.rpc.transport = std::move(transport);
    o.poll_interval = std::chrono::milliseconds(5);
    o.reorg_window = 64;
    o.max_range = 40;
    o.fetch_workers = 2;
    o.write_batch_bytes = 80 * storage::kApplyBytesPerTransfer;
    o.max_backoff = std::chrono::milliseconds(1);
    std::stop_source stop;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20 * kSlowdown);
    bool timed_out = false;
    LiveStatus status;
    o.heartbeat = [&] {
        auto c = store.cursor();
        if (c && chain.head() == kFirstHead && c->block_num == kFirstHead &&
            status.state.load() == static_cast<int>(State::kFollowing)) {
            chain.reorg(kReorgDepth, kReorgHead);
        } else if (c && chain.head() >= kReorgHead && chain.head() < kFinalHead &&
                   c->block_num == chain.head()) {
            chain.extend(chain.head() + 1);
        }
        if (c && c->block_num == kFinalHead && c->hash == chain.hash(kFinalHead))
            stop.request_stop();
        if (std::chrono::steady_clock::now() > deadline) {
            timed_out = true;
            stop.request_stop();
        }
    };
    Control control;
    std::optional<std::string> failure;
    {
        Indexer ix(o, store, status, control);
        try {
            ix.run(stop.get_token());
        } catch (const storage::StoreError& e) {
            failure = e.what();
        }
    }
    REQUIRE_FALSE(timed_out);
    return failure;
}

// The first line where two dumps differ, for a readable failure.
std::string first_difference(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        const std::string x = i < a.size() ? a[i] : "(end)";
        const std::string y = i < b.size() ? b[i] : "(end)";
        if (x == y) continue;
        std::string out = "line " + std::to_string(i);
        out.append(": ").append(x).append("\n   vs ").append(y);
        return out;
    }
    return "";
}

// The reference: an uninterrupted run; its dump, checked against the chain.
struct Reference {
    std::vector<std::string> dump;
    std::map<storage::CommitPoint, int> commits;
};

const Reference& reference() {
    static const Reference ref = [] {
        Reference r;
        auto chain_ptr = make_chain();
        FakeChain& chain = *chain_ptr;
        TempDir dir;
        auto options = store_options();
        options.fault = [&r](storage::CommitPoint p) -> std::optional<std::string> {
            if (p != storage::CommitPoint::kPutTokenMeta)
                r.commits[p] += 1;  // the metadata thread's come when they come
            return std::nullopt;
        };
        auto store = storage::Store::open(dir.path.string(), options);
        REQUIRE_FALSE(run_indexer(*store, chain, chain.transport()));
        r.dump = store->debug_dump();
        // The real outcome: every balance and every transfer of the chain.
        auto view = store->view();
        const auto transfers = chain.transfers();
        CHECK(view.totals().transfers == transfers.size());
        for (const auto& token : chain.tokens()) {
            for (const auto& holder : chain.holders()) {
                CHECK(view.balance(token, holder) ==
                      static_cast<Balance>(chain.balance(token, holder)));
            }
            size_t count = 0;
            for (const auto& t : transfers) count += t.token == token ? 1U : 0U;
            CHECK(view.token_transfers(token, 0, kFinalHead, std::nullopt, 100'000).size() ==
                  count);
        }
        return r;
    }();
    return ref;
}

}  // namespace

TEST_CASE("the fake chain's run reaches the chain's state through every commit path",
          "[indexer][faults]") {
    spdlog::set_level(spdlog::level::warn);
    const Reference& ref = reference();
    CHECK(ref.commits.count(storage::CommitPoint::kApplyBatch) == 1);
    CHECK(ref.commits.count(storage::CommitPoint::kApplyIngest) == 1);
    CHECK(ref.commits.count(storage::CommitPoint::kRollback) == 1);
}

TEST_CASE(
    "the n-th store commit fails: the state before it stays, a restart "
    "ends as the reference",
    "[indexer][faults]") {
    spdlog::set_level(spdlog::level::off);
    const Reference& ref = reference();
    // The n-th commit of each kind in turn: how ranges merge into batches
    // depends on timing, so a count over all kinds could step over the one
    // rollback.
    std::set<storage::CommitPoint> failed_at;
    for (auto kind : {storage::CommitPoint::kApplyBatch, storage::CommitPoint::kApplyIngest,
                      storage::CommitPoint::kRollback}) {
        for (int n = 0;; ++n) {
            INFO("store commit " << n << " of kind " << storage::to_string(kind) << " fails");
            auto chain_ptr = make_chain();
            FakeChain& chain = *chain_ptr;
            TempDir dir;
            std::atomic<int> count{0};
            std::optional<std::vector<std::string>> before;
            std::optional<storage::CommitPoint> where;
            storage::Store* opened = nullptr;
            auto options = store_options();
            options.fault = [&](storage::CommitPoint p) -> std::optional<std::string> {
                if (p != kind) return std::nullopt;  // token metadata: another thread, its own test
                if (count++ != n) return std::nullopt;
                before = opened->debug_dump();
                where = p;
                return "no space left on device (injected)";
            };
            auto store = storage::Store::open(dir.path.string(), options);
            opened = store.get();
            auto failure = run_indexer(*store, chain, chain.transport());
            if (!before) {  // the run made fewer than n commits: every one was tried
                REQUIRE_FALSE(failure);
                CHECK(store->debug_dump() == ref.dump);
                break;
            }
            failed_at.insert(*where);
            INFO("failed at " << storage::to_string(*where) << ": "
                              << failure.value_or("(no error)"));
            REQUIRE(failure);
            const auto after = store->debug_dump();
            CHECK(after == *before);
            if (after != *before) FAIL_CHECK(first_difference(*before, after));
            store.reset();
            store = storage::Store::open(dir.path.string(), store_options());
            REQUIRE_FALSE(run_indexer(*store, chain, chain.transport()));
            const auto final_dump = store->debug_dump();
            CHECK(final_dump == ref.dump);
            if (final_dump != ref.dump) FAIL_CHECK(first_difference(ref.dump, final_dump));
        }
    }
    // Every kind of commit the indexer makes failed at least once.
    CHECK(failed_at.count(storage::CommitPoint::kApplyBatch) == 1);
    CHECK(failed_at.count(storage::CommitPoint::kApplyIngest) == 1);
    CHECK(failed_at.count(storage::CommitPoint::kRollback) == 1);
}

TEST_CASE(
    "the n-th JSON-RPC call fails: it is retried and the run ends as the "
    "reference",
    "[indexer][faults]") {
    spdlog::set_level(spdlog::level::off);
    const Reference& ref = reference();
    // Every call up to the first 40 (the backfill's start, the reorg's walk
    // back is reached through the stride), then every 3rd.
    int failed_runs = 0;
    for (int n = 0;; n += n < 40 ? 1 : 3) {
        INFO("JSON-RPC call " << n << " fails");
        auto chain_ptr = make_chain();
        FakeChain& chain = *chain_ptr;
        TempDir dir;
        std::atomic<int> count{0};
        std::atomic<bool> hit{false};
        auto transport = [&](std::string_view request) -> rpc::Result<std::string> {
            if (count++ == n) {
                hit = true;
                rpc::RpcError e;
                e.kind = rpc::RpcError::Kind::kTransport;
                e.message = "connection reset by peer (injected)";
                return e;
            }
            return chain.answer(request);
        };
        auto store = storage::Store::open(dir.path.string(), store_options());
        REQUIRE_FALSE(run_indexer(*store, chain, transport));
        const auto dump = store->debug_dump();
        CHECK(dump == ref.dump);
        if (dump != ref.dump) FAIL_CHECK(first_difference(ref.dump, dump));
        if (!hit) break;
        ++failed_runs;
    }
    CHECK(failed_runs >= 20);
}

TEST_CASE("a failing token metadata write is retried, not fatal", "[indexer][faults]") {
    spdlog::set_level(spdlog::level::off);
    auto chain_ptr = make_chain();
    FakeChain& chain = *chain_ptr;
    TempDir dir;
    std::atomic<int> meta_writes{0};
    auto options = store_options();
    // The first three metadata writes fail (one per token): before the fix an
    // exception on the metadata thread ended the process.
    options.fault = [&](storage::CommitPoint p) -> std::optional<std::string> {
        if (p != storage::CommitPoint::kPutTokenMeta || meta_writes++ >= 3) return std::nullopt;
        return "read-only file system (injected)";
    };
    auto store = storage::Store::open(dir.path.string(), options);
    REQUIRE_FALSE(run_indexer(*store, chain, chain.transport()));
    // The metadata thread retries every 3 s: wait for every token's row.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15 * kSlowdown);
    auto all_named = [&] {
        auto view = store->view();
        for (const auto& token : chain.tokens()) {
            auto meta = view.token_meta(token);
            if (!meta || !meta->symbol) return false;
        }
        return true;
    };
    // The indexer (and its metadata thread) stopped with run_indexer: run a
    // following indexer until the rows are there.
    IndexerOptions o;
    o.rpc.transport = chain.transport();
    o.poll_interval = std::chrono::milliseconds(20);
    std::stop_source stop;
    o.heartbeat = [&] {
        if (all_named() || std::chrono::steady_clock::now() > deadline) stop.request_stop();
    };
    LiveStatus status;
    Control control;
    Indexer(o, *store, status, control).run(stop.get_token());
    CHECK(meta_writes >= 3);
    CHECK(all_named());
    CHECK(store->view().token_meta(chain.tokens()[0])->symbol == "TK0");
}
