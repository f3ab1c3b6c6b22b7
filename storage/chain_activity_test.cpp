// View::chain_counts against counts recomputed from the transfers, through
// long sparse chains (every level of chain_activity's buckets), rollbacks,
// reopens, ingested batches and tokens added later.

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "storage/chain_activity.hpp"
#include "storage/store.hpp"

using namespace erc20;
using namespace erc20::storage;

namespace {

struct TempDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("erc20-chain-test-" + std::to_string(std::random_device{}()));
    TempDir() { std::filesystem::remove_all(path); }
    ~TempDir() { std::filesystem::remove_all(path); }
};

Address token_of(uint64_t n) {
    Address a;
    a.bytes[0] = 0xa0;
    a.bytes[18] = static_cast<uint8_t>(n >> 8);
    a.bytes[19] = static_cast<uint8_t>(n);
    return a;
}

// Transfers in a few blocks of [first, last]: runs of busy blocks, long
// empty stretches, tokens from a skewed pool (some move often, most rarely).
std::vector<Transfer> sparse_blocks(std::mt19937_64& rng, BlockNum first, BlockNum last,
                                    uint64_t tokens) {
    std::vector<Transfer> out;
    for (BlockNum b = first; b <= last; ++b) {
        if (rng() % 9 != 0) continue;
        const uint32_t n = static_cast<uint32_t>(rng() % 4 + 1);
        for (uint32_t i = 0; i < n; ++i) {
            Transfer t;
            t.block_num = b;
            t.log_index = i;
            const uint64_t r = rng() % 100;
            t.token = token_of(r < 60 ? rng() % 3 : rng() % tokens);
            t.from.bytes[19] = static_cast<uint8_t>(rng() % 3);
            t.to.bytes[19] = static_cast<uint8_t>(rng() % 5 + 1);
            t.value = U256(rng() % 100);
            out.push_back(t);
        }
    }
    return out;
}

View::ChainCounts truth(const std::vector<Transfer>& chain, BlockNum lo, BlockNum hi) {
    std::set<Address> seen, active;
    uint64_t transfers = 0;
    for (const Transfer& t : chain) {
        if (t.block_num > hi) break;
        seen.insert(t.token);
        if (t.block_num < lo) continue;
        active.insert(t.token);
        ++transfers;
    }
    return {seen.size(), active.size(), transfers};
}

// Random series over [0, head]: contiguous steps from a random start, and a
// few single spans of every length class.
void check_counts(const Store& store, const std::vector<Transfer>& chain, BlockNum head,
                  std::mt19937_64& rng) {
    const View view = store.view();
    for (int round = 0; round < 12; ++round) {
        std::vector<std::pair<BlockNum, BlockNum>> spans;
        BlockNum lo = rng() % (head + 1);
        const BlockNum step = BlockNum{1} << (rng() % 14);
        for (BlockNum at = lo; at <= head && spans.size() < 40; at += step + rng() % 3)
            spans.emplace_back(at, std::min(head, at + step - 1));
        const auto got = view.chain_counts(spans);
        REQUIRE(got.size() == spans.size());
        for (size_t i = 0; i < spans.size(); ++i) {
            const auto want = truth(chain, spans[i].first, spans[i].second);
            INFO("blocks " << spans[i].first << " to " << spans[i].second << " of head " << head);
            CHECK(got[i].tokens == want.tokens);
            CHECK(got[i].active_tokens == want.active_tokens);
            CHECK(got[i].transfers == want.transfers);
        }
    }
    const auto all = view.chain_counts({{0, head}});
    const auto want = truth(chain, 0, head);
    CHECK(all[0].active_tokens == want.active_tokens);
    CHECK(all[0].transfers == want.transfers);
}

Cursor cursor_at(BlockNum n, uint64_t fork) {
    Cursor c{n, {}};
    for (size_t i = 0; i < 8; ++i) c.hash.bytes[i] = static_cast<uint8_t>(n >> (8 * i));
    c.hash.bytes[8] = static_cast<uint8_t>(fork);
    return c;
}

}  // namespace

TEST_CASE("the tiling covers a range exactly with aligned buckets, at most 30 a level",
          "[storage]") {
    std::mt19937_64 rng(31);
    for (int i = 0; i < 20'000; ++i) {
        const BlockNum lo = i < 3 ? BlockNum{0} : rng() % (BlockNum{1} << (rng() % 40));
        const BlockNum hi = i == 1 ? lo : lo + rng() % (BlockNum{1} << (rng() % 36));
        BlockNum next = lo;
        size_t tiles = 0;
        std::map<unsigned, size_t> per_level;
        for_each_chain_bucket(lo, hi, [&](unsigned level, BlockNum first) {
            REQUIRE(level < kChainLevels);
            REQUIRE(first == next);
            REQUIRE(first % chain_bucket_size(level) == 0);
            next = first + chain_bucket_size(level);
            ++tiles;
            ++per_level[level];
        });
        INFO("blocks " << lo << " to " << hi);
        CHECK(next == hi + 1);
        for (const auto& [level, n] : per_level) {
            // The top level repeats as often as the range needs; the others
            // at most 15 on each side of it.
            if (level + 1 < kChainLevels) CHECK(n <= 30);
        }
        CHECK(tiles >= 1);
    }
}

TEST_CASE("chain counts equal the transfers' through long sparse chains, rollbacks and reopens",
          "[storage][model]") {
    StoreOptions options;
    options.ingest_min_transfers = GENERATE(size_t{1'000'000}, size_t{1});
    TempDir dir;
    std::mt19937_64 rng(23);
    auto store = Store::open(dir.path.string(), options);
    store->bind_chain(31337);
    std::vector<Transfer> chain;
    BlockNum head = 0;
    store->apply(BlockBatch{0, cursor_at(0, 0), {}, {}, {}, 0});
    uint64_t fork = 0;
    // Batches of up to 9,000 blocks reach 70,000 blocks: buckets of 16^4
    // close; 16^5 is covered by the tiling's upper levels being absent.
    for (int step = 0; step < 40; ++step) {
        if (step % 6 == 5) {
            const BlockNum to = head - std::min<BlockNum>(head, rng() % 5000 + 1);
            store->rollback(cursor_at(to, ++fork));
            std::erase_if(chain, [to](const Transfer& t) { return t.block_num > to; });
            head = to;
        } else {
            const BlockNum first = head + 1;
            const BlockNum last = first + rng() % (step % 3 == 0 ? 9000 : 40);
            auto transfers = sparse_blocks(rng, first, last, 300);
            store->apply(BlockBatch{first, cursor_at(last, fork), transfers, {}, {}, 0});
            chain.insert(chain.end(), transfers.begin(), transfers.end());
            head = last;
        }
        if (step % 8 == 7) {
            store.reset();
            store = Store::open(dir.path.string(), options);
        }
        check_counts(*store, chain, head, rng);
    }
    CHECK(head > 40'000);
}

TEST_CASE("chain counts of tokens added later equal a store that indexed them from the start",
          "[storage][model]") {
    TempDir dir;
    std::mt19937_64 rng(29);
    const BlockNum head = 9'000;
    const auto chain = sparse_blocks(rng, 1, head, 400);
    auto in = [&](bool added, BlockNum from, BlockNum to) {
        std::vector<Transfer> out;
        for (const Transfer& t : chain) {
            const bool is_added = t.token.bytes[19] % 2 == 1;
            if (t.block_num >= from && t.block_num <= to && is_added == added) out.push_back(t);
        }
        return out;
    };
    std::vector<Address> first_tokens, added_tokens;
    for (uint64_t n = 0; n < 400; ++n)
        (n % 2 == 1 ? added_tokens : first_tokens).push_back(token_of(n));
    auto store = Store::open(dir.path.string(), StoreOptions{});
    store->bind_chain(31337, IndexScope{first_tokens, 1});
    for (BlockNum b = 1; b <= head; b += 1000)
        store->apply(BlockBatch{b, cursor_at(b + 999, 0), in(false, b, b + 999), {}, {}, 0});
    store->begin_token_backfill(TokenBackfill{added_tokens, 1});
    BlockNum next = 1;
    for (BlockNum size : {BlockNum{700}, BlockNum{1}, BlockNum{4100}, BlockNum{4199}}) {
        const BlockNum last = next + size - 1;
        store->apply_backfill(
            BlockBatch{next, Cursor{last, Hash{}}, in(true, next, last), {}, {}, 0}, last == head);
        next = last + 1;
    }
    REQUIRE_FALSE(store->token_backfill());
    check_counts(*store, chain, head, rng);
    store->rollback(cursor_at(4'500, 1));
    std::vector<Transfer> kept(chain);
    std::erase_if(kept, [](const Transfer& t) { return t.block_num > 4'500; });
    check_counts(*store, kept, 4'500, rng);
}
