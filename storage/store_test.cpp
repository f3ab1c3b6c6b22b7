#include "storage/store.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include <catch2/catch.hpp>

using namespace erc20;
using namespace erc20::storage;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        path = std::filesystem::temp_directory_path() /
               ("erc20-store-test-" + std::to_string(std::random_device{}()));
        std::filesystem::remove_all(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

Address addr(uint8_t tag, uint8_t n) {
    Address a;
    if (tag == 0 && n == 0) return a;  // the zero address
    a.bytes[0] = tag;
    a.bytes[19] = n;
    return a;
}

Hash block_hash(BlockNum n, uint64_t fork) {
    Hash h;
    for (size_t i = 0; i < 8; ++i) h.bytes[i] = static_cast<uint8_t>(n >> (8 * i));
    for (size_t i = 0; i < 8; ++i) h.bytes[8 + i] = static_cast<uint8_t>(fork >> (8 * i));
    return h;
}

// The model: the chain as a list of transfers; everything else is recomputed.
struct Model {
    std::vector<Transfer> chain;
    BlockNum head = 0;

    std::map<std::pair<Address, Address>, Balance> balances() const {
        std::map<std::pair<Address, Address>, Balance> out;
        for (const auto& t : chain) {
            if (!t.from.is_zero()) out[{t.token, t.from}] -= static_cast<Balance>(t.value);
            if (!t.to.is_zero()) out[{t.token, t.to}] += static_cast<Balance>(t.value);
        }
        return out;
    }
    Balance balance_at(const Address& token, const Address& holder, BlockNum n) const {
        Balance b = 0;
        for (const auto& t : chain) {
            if (t.block_num > n || t.token != token) continue;
            if (t.from == holder && !holder.is_zero()) b -= static_cast<Balance>(t.value);
            if (t.to == holder && !holder.is_zero()) b += static_cast<Balance>(t.value);
        }
        return b;
    }
};

std::vector<Transfer> random_blocks(std::mt19937_64& rng, BlockNum first, BlockNum last) {
    std::vector<Transfer> out;
    for (BlockNum b = first; b <= last; ++b) {
        size_t n = rng() % 4;
        for (uint32_t i = 0; i < n; ++i) {
            Transfer t;
            t.block_num = b;
            t.log_index = i;
            t.token = addr(0xa0, static_cast<uint8_t>(rng() % 4 + 1));
            t.from = addr(rng() % 3 == 0 ? 0 : 0xb0,
                          static_cast<uint8_t>(rng() % 4 == 0 ? 0 : rng() % 12));
            t.to = addr(rng() % 5 == 0 ? 0 : 0xb0,
                        static_cast<uint8_t>(rng() % 4 == 0 ? 0 : rng() % 12));
            t.value = (rng() % 5 == 0) ? U256(0) : U256(rng() % 1000);
            t.txn_hash = block_hash(b, i);
            out.push_back(t);
        }
    }
    return out;
}

// The token's stats as at the end of every block (token_blocks) equal the
// model's counts over the chain up to it.
void check_stats_at(const View& view, const Model& m, const Address& token) {
    std::vector<BlockNum> blocks;
    for (BlockNum n = 0; n <= m.head; ++n) blocks.push_back(n);
    const auto got = view.token_stats_at(token, blocks);
    REQUIRE(got.size() == blocks.size());
    TokenStats want;
    std::map<Address, Balance> balances;
    size_t k = 0;
    for (BlockNum n = 0; n <= m.head; ++n) {
        bool moved = false;
        for (; k < m.chain.size() && m.chain[k].block_num <= n; ++k) {
            const Transfer& t = m.chain[k];
            if (t.token != token) continue;
            if (!moved && want.transfers == 0) want.first_block = n;
            moved = true;
            want.transfers += 1;
            want.last_block = n;
            const Balance v(t.value);
            if (t.from.is_zero()) want.minted += v;
            else
                balances[t.from] -= v;
            if (t.to.is_zero()) want.burned += v;
            else
                balances[t.to] += v;
        }
        want.holders = want.negative_balances = 0;
        for (const auto& [a, b] : balances) {
            want.holders += b > 0 ? 1U : 0U;
            want.negative_balances += b < 0 ? 1U : 0U;
        }
        if (want.transfers == 0) {
            CHECK_FALSE(got[n]);
            continue;
        }
        REQUIRE(got[n]);
        CHECK(got[n]->transfers == want.transfers);
        CHECK(got[n]->holders == want.holders);
        CHECK(got[n]->negative_balances == want.negative_balances);
        CHECK(got[n]->minted == want.minted);
        CHECK(got[n]->burned == want.burned);
        CHECK(got[n]->first_block == want.first_block);
        CHECK(got[n]->last_block == want.last_block);
    }
}

void check_against_model(Store& store, const Model& m) {
    auto view = store.view();
    auto cursor = view.cursor();
    REQUIRE(cursor);
    CHECK(cursor->block_num == m.head);
    auto balances = m.balances();
    std::map<Address, std::pair<uint64_t, uint64_t>> holders_neg;
    for (const auto& [key, b] : balances) {
        CHECK(view.balance(key.first, key.second) == b);
        if (b > 0) holders_neg[key.first].first++;
        if (b < 0) holders_neg[key.first].second++;
    }
    std::set<Address> tokens;
    std::map<Address, uint64_t> transfers;
    std::map<Address, BlockNum> first, last;
    for (const auto& t : m.chain) {
        tokens.insert(t.token);
        transfers[t.token]++;
        first.try_emplace(t.token, t.block_num);
        last[t.token] = t.block_num;
    }
    CHECK(view.totals().tokens == tokens.size());
    // Rankings list every token once, by count descending then address.
    for (Ranking ranking : {Ranking::kHolders, Ranking::kTransfers}) {
        std::optional<Position> next;
        auto ranked = view.tokens_ranked(ranking, std::nullopt, 1000, next);
        CHECK(ranked.size() == tokens.size());
        for (size_t i = 1; i < ranked.size(); ++i) {
            auto a = *view.token_stats(ranked[i - 1]);
            auto b = *view.token_stats(ranked[i]);
            uint64_t ca = ranking == Ranking::kHolders ? a.holders : a.transfers;
            uint64_t cb = ranking == Ranking::kHolders ? b.holders : b.transfers;
            CHECK((ca > cb || (ca == cb && ranked[i - 1] < ranked[i])));
        }
    }
    // Each account's token list is exactly its positive balances; its
    // transfers are exactly the chain's transfers from or to it.
    for (uint8_t h = 1; h < 12; ++h) {
        Address account = addr(0xb0, h);
        std::set<Address> held;
        for (const auto& [key, b] : balances) {
            if (key.second == account && b > 0) held.insert(key.first);
        }
        auto listed_held = view.account_tokens(account, std::nullopt, 1000);
        CHECK(std::set<Address>(listed_held.begin(), listed_held.end()) == held);
        size_t expected = 0;
        for (const auto& t : m.chain) expected += (t.from == account || t.to == account) ? 1U : 0U;
        CHECK(view.account_transfers(account, std::nullopt, Direction::kBoth, 0, m.head,
                                     std::nullopt, 100000)
                  .size() == expected);
    }
    CHECK(view.totals().transfers == m.chain.size());
    auto listed = view.tokens(std::nullopt, 1000);
    CHECK(std::set<Address>(listed.begin(), listed.end()) == tokens);
    for (const auto& token : tokens) {
        auto s = view.token_stats(token);
        REQUIRE(s);
        CHECK(s->holders == holders_neg[token].first);
        CHECK(s->negative_balances == holders_neg[token].second);
        CHECK(s->transfers == transfers[token]);
        CHECK(s->first_block == first[token]);
        CHECK(s->last_block == last[token]);
        CHECK(s->minted - s->burned == [&] {
            Balance supply = 0;
            for (const auto& [key, b] : balances) supply += key.first == token ? b : 0;
            return supply;
        }());
        // Holders list: every positive balance exactly once, in rank order.
        std::optional<Position> after, next;
        std::vector<HolderItem> all;
        for (;;) {
            auto page = view.holders(token, after, 3, next);
            all.insert(all.end(), page.begin(), page.end());
            if (!next) break;
            after = next;
        }
        CHECK(all.size() == s->holders);
        // The walk without pages gives the same list, and stops when asked.
        std::vector<HolderItem> walked;
        view.for_each_holder(token, std::nullopt, [&](const HolderItem& h) {
            walked.push_back(h);
            return true;
        });
        CHECK(walked == all);
        size_t seen = 0;
        view.for_each_holder(token, std::nullopt, [&](const HolderItem&) { return ++seen < 2; });
        CHECK(seen == std::min<size_t>(2, all.size()));
        for (size_t i = 0; i < all.size(); ++i) {
            CHECK(all[i].balance == balances.at({token, all[i].holder}));
            if (i > 0) {
                bool ordered =
                    all[i - 1].balance > all[i].balance ||
                    (all[i - 1].balance == all[i].balance && all[i - 1].holder < all[i].holder);
                CHECK(ordered);
            }
        }
        auto listed_transfers = view.token_transfers(token, 0, m.head, std::nullopt, 100000);
        std::vector<Transfer> expected;
        for (const auto& t : m.chain) {
            if (t.token == token) expected.push_back(t);
        }
        CHECK(listed_transfers == expected);
        // The holder list at a past block equals the model's positive balances then.
        for (BlockNum n : {m.head / 2, m.head}) {
            auto past = view.holders_at(token, n);
            std::set<Address> ever;
            for (const auto& t : m.chain) {
                if (t.token != token) continue;
                if (!t.from.is_zero()) ever.insert(t.from);
                if (!t.to.is_zero()) ever.insert(t.to);
            }
            size_t expected_count = 0;
            for (const auto& h : ever) expected_count += m.balance_at(token, h, n) > 0 ? 1U : 0U;
            CHECK(past.size() == expected_count);
            for (const auto& item : past)
                CHECK(item.balance == m.balance_at(token, item.holder, n));
        }
        // Historical balances at a few blocks.
        for (BlockNum n : {m.head / 3, m.head / 2, m.head}) {
            for (uint8_t h = 1; h < 12; h += 5) {
                CHECK(view.balance_at(token, addr(0xb0, h), n) ==
                      m.balance_at(token, addr(0xb0, h), n));
            }
        }
        // Balance changes: the blocks at whose end the balance differs from
        // the block before, whole and in pages of 2 over a middle range.
        for (uint8_t h = 1; h < 12; h += 3) {
            const Address who = addr(0xb0, h);
            const BlockNum from = m.head / 4, to = m.head - m.head / 4;
            std::vector<View::BalanceChange> want;
            for (BlockNum n = from; n <= to && to > 0; ++n) {
                const Balance b = m.balance_at(token, who, n);
                if (b != (n > 0 ? m.balance_at(token, who, n - 1) : Balance(0)))
                    want.push_back({n, b});
            }
            CHECK(view.balance_changes(token, who, from, to, std::nullopt, 1'000'000) == want);
            std::vector<View::BalanceChange> paged;
            std::optional<BlockNum> page_end;
            for (;;) {
                auto page = view.balance_changes(token, who, from, to, page_end, 2);
                paged.insert(paged.end(), page.begin(), page.end());
                if (page.size() < 2) break;
                page_end = page.back().block;
            }
            CHECK(paged == want);
        }
        // Flows over a middle range: every account whose balance differs
        // between the ends, with both balances; a bound below the range's
        // transfers refuses.
        const BlockNum lo = m.head / 3, hi = m.head - m.head / 5;
        std::map<Address, std::pair<Balance, Balance>> want_flows;
        size_t in_range = 0;
        for (const auto& t : m.chain) {
            if (t.token != token || t.block_num < lo || t.block_num > hi) continue;
            ++in_range;
            for (const Address& a : {t.from, t.to}) {
                if (a.is_zero()) continue;
                const Balance b0 = lo > 0 ? m.balance_at(token, a, lo - 1) : Balance(0);
                const Balance b1 = m.balance_at(token, a, hi);
                if (b0 != b1) want_flows[a] = {b0, b1};
            }
        }
        auto flows = view.flows(token, lo, hi, in_range);
        REQUIRE(flows);
        std::map<Address, std::pair<Balance, Balance>> got_flows;
        for (const auto& f : *flows) got_flows[f.account] = {f.before, f.after};
        CHECK(got_flows == want_flows);
        if (in_range > 0) CHECK_FALSE(view.flows(token, lo, hi, in_range - 1));
        // Activity over the same range: distinct senders and receivers, and
        // the accounts that became or stopped being holders.
        std::set<Address> senders, receivers;
        for (const auto& t : m.chain) {
            if (t.token != token || t.block_num < lo || t.block_num > hi) continue;
            if (!t.from.is_zero()) senders.insert(t.from);
            if (!t.to.is_zero()) receivers.insert(t.to);
        }
        uint64_t new_holders = 0, gone_holders = 0;
        for (const auto& [a, ends] : want_flows) {
            new_holders += ends.first <= 0 && ends.second > 0 ? 1U : 0U;
            gone_holders += ends.first > 0 && ends.second <= 0 ? 1U : 0U;
        }
        auto activity = view.activity(token, lo, hi, in_range);
        REQUIRE(activity);
        CHECK(activity->senders == senders.size());
        CHECK(activity->receivers == receivers.size());
        CHECK(activity->new_holders == new_holders);
        CHECK(activity->gone_holders == gone_holders);
        if (in_range > 0) CHECK_FALSE(view.activity(token, lo, hi, in_range - 1));
        check_stats_at(view, m, token);
    }
}

}  // namespace

TEST_CASE("apply and rollback agree with a model through random forks and reopens",
          "[storage][model]") {
    // Every batch through the memtables, every batch ingested as table files, or a mix.
    StoreOptions options;
    options.ingest_min_transfers = GENERATE(size_t{1'000'000}, size_t{1}, size_t{30});
    TempDir dir;
    std::mt19937_64 rng(7);
    Model model;
    uint64_t fork = 0;
    auto store = Store::open(dir.path.string(), options);
    store->bind_chain(31337);
    // Genesis-like start: an empty first batch at block 0.
    store->apply(BlockBatch{0, Cursor{0, block_hash(0, 0)}, {}, {}, {}, 0});

    for (int step = 0; step < 60; ++step) {
        if (step % 7 == 6 && model.head > 2) {
            BlockNum depth = rng() % std::min<BlockNum>(model.head, 12) + 1;
            BlockNum to = model.head - depth;
            auto result = store->rollback(Cursor{to, block_hash(to, fork)});
            size_t expected_undone = 0;
            while (!model.chain.empty() && model.chain.back().block_num > to) {
                model.chain.pop_back();
                ++expected_undone;
            }
            CHECK(result.transfers_undone == expected_undone);
            model.head = to;
            ++fork;
        } else {
            BlockNum first = model.head + 1;
            BlockNum last = first + rng() % 5;
            auto transfers = random_blocks(rng, first, last);
            BlockBatch batch;
            batch.first = first;
            batch.last = Cursor{last, block_hash(last, fork)};
            batch.transfers = transfers;
            store->apply(batch);
            model.chain.insert(model.chain.end(), transfers.begin(), transfers.end());
            model.head = last;
        }
        if (step % 10 == 9) {
            store.reset();
            store = Store::open(dir.path.string(), options);
        }
        check_against_model(*store, model);
    }
}

TEST_CASE("tokens added later in steps end as if indexed from the start, and roll back",
          "[storage][model]") {
    StoreOptions options;
    options.ingest_min_transfers = GENERATE(size_t{1'000'000}, size_t{1});
    TempDir dir;
    std::mt19937_64 rng(11);
    auto chain = random_blocks(rng, 1, 80);
    const std::vector<Address> first_tokens{addr(0xa0, 1), addr(0xa0, 2)};
    const std::vector<Address> added{addr(0xa0, 3), addr(0xa0, 4)};
    auto of = [&](const std::vector<Address>& tokens, BlockNum from, BlockNum to) {
        std::vector<Transfer> out;
        for (const auto& t : chain) {
            if (t.block_num >= from && t.block_num <= to &&
                std::find(tokens.begin(), tokens.end(), t.token) != tokens.end()) {
                out.push_back(t);
            }
        }
        return out;
    };
    auto store = Store::open(dir.path.string(), options);
    CHECK(store->bind_chain(31337, IndexScope{first_tokens, 1}));
    CHECK_FALSE(store->bind_chain(31337, IndexScope{{}, 0}));  // stored once, kept
    CHECK(store->scope() == IndexScope{first_tokens, 1});
    for (BlockNum b = 1; b <= 80; b += 10) {
        BlockBatch batch{b, Cursor{b + 9, block_hash(b + 9, 0)}, of(first_tokens, b, b + 9), {}, {},
                         0};
        store->apply(batch);
    }
    store->begin_token_backfill(TokenBackfill{added, 1});
    CHECK_THROWS_AS(store->begin_token_backfill(TokenBackfill{added, 1}), StoreError);
    // Steps of uneven size, a reopen (a restart) between two of them.
    BlockNum next = 1;
    for (BlockNum size : {BlockNum{7}, BlockNum{1}, BlockNum{30}, BlockNum{13}, BlockNum{29}}) {
        const BlockNum last = next + size - 1;
        BlockBatch batch{next, Cursor{last, Hash{}}, of(added, next, last), {}, {}, 0};
        store->apply_backfill(batch, last == 80);
        next = last + 1;
        if (size == 30) {
            CHECK(store->token_backfill() == TokenBackfill{added, next});
            store.reset();
            store = Store::open(dir.path.string(), options);
        }
    }
    CHECK_FALSE(store->token_backfill());
    CHECK(store->scope() ==
          IndexScope{{addr(0xa0, 1), addr(0xa0, 2), addr(0xa0, 3), addr(0xa0, 4)}, 1});
    CHECK(store->cursor()->block_num == 80);
    Model model{chain, 80};
    check_against_model(*store, model);
    store->rollback(Cursor{45, Hash{}});
    std::erase_if(model.chain, [](const Transfer& t) { return t.block_num > 45; });
    model.head = 45;
    check_against_model(*store, model);
}

TEST_CASE("an add-tokens step refuses what would corrupt the state", "[storage]") {
    TempDir dir;
    std::mt19937_64 rng(3);
    auto chain = random_blocks(rng, 1, 20);
    auto store = Store::open(dir.path.string(), {});
    store->bind_chain(1, IndexScope{{addr(0xa0, 1)}, 1});
    std::vector<Transfer> mine;
    for (const auto& t : chain) {
        if (t.token == addr(0xa0, 1)) mine.push_back(t);
    }
    store->apply(BlockBatch{1, Cursor{20, block_hash(20, 0)}, mine, {}, {}, 0});
    auto of_token = [&](const Address& token, BlockNum from, BlockNum to) {
        std::vector<Transfer> out;
        for (const auto& t : chain) {
            if (t.token == token && t.block_num >= from && t.block_num <= to) out.push_back(t);
        }
        return out;
    };
    CHECK_THROWS_AS(store->apply_backfill(BlockBatch{1, Cursor{5, Hash{}}, {}, {}, {}, 0}, false),
                    StoreError);
    store->begin_token_backfill(TokenBackfill{{addr(0xa0, 2)}, 1});
    SECTION("another start block") {
        CHECK_THROWS_AS(
            store->apply_backfill(BlockBatch{2, Cursor{5, Hash{}}, {}, {}, {}, 0}, false),
            StoreError);
    }
    SECTION("past the cursor") {
        CHECK_THROWS_AS(
            store->apply_backfill(BlockBatch{1, Cursor{21, Hash{}}, {}, {}, {}, 0}, false),
            StoreError);
    }
    SECTION("a token not being added") {
        CHECK_THROWS_AS(
            store->apply_backfill(
                BlockBatch{1, Cursor{20, Hash{}}, of_token(addr(0xa0, 1), 1, 20), {}, {}, 0},
                false),
            StoreError);
    }
    SECTION("a rollback moves the progress back") {
        store->apply_backfill(
            BlockBatch{1, Cursor{15, Hash{}}, of_token(addr(0xa0, 2), 1, 15), {}, {}, 0}, false);
        store->rollback(Cursor{9, block_hash(9, 0)});
        CHECK(store->token_backfill()->next_block == 10);
        store->apply_backfill(BlockBatch{10, Cursor{9, Hash{}}, {}, {}, {}, 0},
                              true);  // nothing left: finish
        CHECK(store->scope()->tokens.size() == 2);
    }
}

TEST_CASE("a database refuses another chain and a foreign schema", "[storage]") {
    TempDir dir;
    {
        auto store = Store::open(dir.path.string(), {});
        store->bind_chain(1);
        CHECK_NOTHROW(store->bind_chain(1));
        CHECK_THROWS_AS(store->bind_chain(5), StoreError);
    }
    auto store = Store::open(dir.path.string(), {});
    CHECK(store->chain_id() == 1u);
    CHECK_THROWS_WITH(Store::open(dir.path.string(), {}), Catch::Contains("locked"));
}

TEST_CASE("apply refuses a batch that does not continue the cursor", "[storage]") {
    TempDir dir;
    auto store = Store::open(dir.path.string(), {});
    store->apply(BlockBatch{5, Cursor{9, {}}, {}, {}, {}, 0});
    CHECK_THROWS_AS(store->apply(BlockBatch{11, Cursor{12, {}}, {}, {}, {}, 0}), StoreError);
    CHECK_NOTHROW(store->apply(BlockBatch{10, Cursor{12, {}}, {}, {}, {}, 0}));
    CHECK(store->cursor()->block_num == 12);
}

TEST_CASE("a token pushed below zero counts negative balances and is not a holder", "[storage]") {
    TempDir dir;
    auto store = Store::open(dir.path.string(), {});
    Transfer t;
    t.block_num = 1;
    t.token = addr(0xa0, 1);
    t.from = addr(0xb0, 1);
    t.to = addr(0xb0, 2);
    t.value = U256(100);
    store->apply(BlockBatch{1, Cursor{1, {}}, {t}, {}, {}, 0});
    auto view = store->view();
    CHECK(view.balance(t.token, t.from) == -100);
    CHECK(view.token_stats(t.token)->holders == 1);
    CHECK(view.token_stats(t.token)->negative_balances == 1);
}

TEST_CASE("rolling back every block empties the database and clears the cursor", "[storage]") {
    TempDir dir;
    auto store = Store::open(dir.path.string(), {});
    std::mt19937_64 rng(3);
    auto transfers = random_blocks(rng, 0, 20);
    store->apply(BlockBatch{0, Cursor{20, block_hash(20, 0)}, transfers, {}, {}, 0});
    REQUIRE(store->view().totals().transfers == transfers.size());
    auto result = store->rollback(std::nullopt);
    CHECK(result.transfers_undone == transfers.size());
    auto view = store->view();
    CHECK_FALSE(view.cursor());
    CHECK(view.totals().transfers == 0);
    CHECK(view.totals().tokens == 0);
    CHECK(view.tokens(std::nullopt, 10).empty());
    std::optional<Position> next;
    CHECK(view.tokens_ranked(Ranking::kHolders, std::nullopt, 10, next).empty());
    CHECK(view.account_tokens(addr(0xb0, 1), std::nullopt, 10).empty());
    // And it applies again from block 0.
    store->apply(BlockBatch{0, Cursor{20, block_hash(20, 1)}, transfers, {}, {}, 0});
    CHECK(store->view().totals().transfers == transfers.size());
}

TEST_CASE("a checkpoint opens as an equal database", "[storage]") {
    TempDir dir;
    TempDir copy;
    auto store = Store::open(dir.path.string(), {});
    std::mt19937_64 rng(5);
    auto transfers = random_blocks(rng, 1, 30);
    store->apply(BlockBatch{1, Cursor{30, block_hash(30, 0)}, transfers, {}, {}, 0});
    store->checkpoint(copy.path.string());
    store->compact();
    auto restored = Store::open(copy.path.string(), {});
    CHECK(restored->cursor()->block_num == 30);
    CHECK(restored->view().totals().transfers == transfers.size());
    auto a = store->view().token_transfers(transfers[0].token, 0, 100, std::nullopt, 1000);
    auto b = restored->view().token_transfers(transfers[0].token, 0, 100, std::nullopt, 1000);
    CHECK(a == b);
}

TEST_CASE("a deep rollback in bounded steps ends where one rollback would", "[storage]") {
    TempDir dir;
    auto store = Store::open(dir.path.string(), {});
    std::mt19937_64 rng(11);
    auto transfers = random_blocks(rng, 1, 80);
    store->apply(BlockBatch{1, Cursor{80, block_hash(80, 0)}, transfers, {}, {}, 0});
    const BlockNum floor = 20;
    const size_t max_step = 7;
    for (int guard = 0; guard < 1000; ++guard) {
        auto cur = store->cursor();
        REQUIRE(cur);
        if (cur->block_num <= floor) break;
        BlockNum step = store->rollback_step(floor, max_step);
        if (step <= floor) break;
        size_t after = 0;
        BlockNum last = 0;
        for (const auto& t : transfers) {
            if (t.block_num <= cur->block_num) last = std::max(last, t.block_num);
        }
        for (const auto& t : transfers)
            after += (t.block_num > step && t.block_num <= cur->block_num) ? 1U : 0U;
        // Within the bound, unless one block alone exceeds it.
        CHECK((after <= max_step || step + 1 == last));
        CHECK(step < cur->block_num);
        store->rollback(Cursor{step, Hash{}});
    }
    store->rollback(Cursor{floor, block_hash(floor, 0)});
    Model m;
    for (const auto& t : transfers) {
        if (t.block_num <= floor) m.chain.push_back(t);
    }
    m.head = floor;
    check_against_model(*store, m);
}

TEST_CASE("bulk mode: many ingested batches, a rollback, the compaction at the end",
          "[storage][bulk]") {
    TempDir dir;
    StoreOptions options;
    options.ingest_min_transfers = 1;
    auto store = Store::open(dir.path.string(), options);
    store->bind_chain(31337);
    store->begin_bulk();
    CHECK(store->bulk());
    std::mt19937_64 rng(13);
    Model model;
    // More batches than the level-0 files bulk mode allows before a family
    // gets its automatic compactions back.
    for (BlockNum b = 1; b <= 120; ++b) {
        auto transfers = random_blocks(rng, b, b);
        store->apply(BlockBatch{b, Cursor{b, block_hash(b, 0)}, transfers, {}, {}, 0});
        model.chain.insert(model.chain.end(), transfers.begin(), transfers.end());
        model.head = b;
    }
    check_against_model(*store, model);
    store->rollback(Cursor{100, block_hash(100, 0)});
    while (!model.chain.empty() && model.chain.back().block_num > 100) model.chain.pop_back();
    model.head = 100;
    check_against_model(*store, model);
    store->end_bulk();
    CHECK_FALSE(store->bulk());
    check_against_model(*store, model);
    // A store told to stop gives up a compaction instead of running it.
    store->interrupt();
    CHECK_FALSE(store->compact());
    store.reset();
    store = Store::open(dir.path.string(), options);
    check_against_model(*store, model);
}

TEST_CASE("supply readings are kept on the indexed chain, refused and hidden off it",
          "[storage][meta]") {
    TempDir dir;
    auto store = Store::open(dir.path.string(), {});
    Transfer t;
    t.block_num = 1;
    t.token = addr(0xa0, 1);
    t.to = addr(0xb0, 1);
    t.value = U256(100);
    BlockBatch batch{1, Cursor{5, block_hash(5, 0)}, {t}, {}, {}, 0};
    for (BlockNum n = 1; n <= 5; ++n)
        batch.headers.push_back({n, block_hash(n, 0), block_hash(n - 1, 0), n});
    store->apply(batch);
    auto reading = [&](BlockNum n, uint64_t fork, bool fallback = false) {
        TokenMeta m;
        m.name = "T";
        m.total_supply = U256(100 + n);
        m.supply_block = n;
        m.supply_hash = block_hash(n, fork);
        m.supply_fallback = fallback;
        return m;
    };
    const uint64_t v0 = store->view().meta_version();

    SECTION("a reading of a stored block is written and shown; each write advances the version") {
        REQUIRE(store->put_token_meta(t.token, reading(5, 0)));
        auto m = store->view().token_meta(t.token);
        REQUIRE(m);
        CHECK(m->total_supply == U256(105));
        CHECK(m->supply_block == 5);
        CHECK(m->supply_hash == block_hash(5, 0));
        CHECK(store->view().meta_version() == v0 + 1);
        REQUIRE(store->put_token_meta(t.token, reading(4, 0)));
        CHECK(store->view().meta_version() == v0 + 2);
    }
    SECTION(
        "a reading of another branch, or above the cursor, is refused; a fallback above it is "
        "not") {
        CHECK_FALSE(store->put_token_meta(t.token, reading(4, 1)));
        CHECK_FALSE(store->put_token_meta(t.token, reading(5, 1)));
        CHECK_FALSE(store->put_token_meta(t.token, reading(7, 0)));
        CHECK_FALSE(store->view().token_meta(t.token));
        CHECK(store->view().meta_version() == v0);
        REQUIRE(store->put_token_meta(t.token, reading(7, 0, true)));
        CHECK(store->view().token_meta(t.token)->supply_block == 7);
    }
    SECTION("a rollback hides the readings of the blocks it undid, also after they are replaced") {
        REQUIRE(store->put_token_meta(t.token, reading(5, 0)));
        auto before = store->view();
        store->rollback(Cursor{3, block_hash(3, 0)});
        CHECK(store->view().meta_version() == v0 + 2);
        auto m = store->view().token_meta(t.token);
        REQUIRE(m);
        CHECK(m->name == "T");  // the metadata stays, the supply reading is gone
        CHECK_FALSE(m->total_supply);
        CHECK_FALSE(m->supply_hash);
        CHECK(before.token_meta(t.token)->total_supply ==
              U256(105));  // an older snapshot still shows it
        BlockBatch other{4, Cursor{5, block_hash(5, 1)}, {}, {}, {}, 0};
        for (BlockNum n = 4; n <= 5; ++n)
            other.headers.push_back({n, block_hash(n, 1), block_hash(n - 1, n == 4 ? 0 : 1), n});
        store->apply(other);
        CHECK_FALSE(store->view().token_meta(t.token)->total_supply);
        REQUIRE(store->put_token_meta(t.token, reading(5, 1)));
        CHECK(store->view().token_meta(t.token)->total_supply == U256(105));
    }
    SECTION("a reading without a hash (the layout of older versions) is shown, its block unknown") {
        TokenMeta m = reading(5, 0);
        m.supply_hash.reset();
        REQUIRE(store->put_token_meta(t.token, m));
        auto shown = store->view().token_meta(t.token);
        REQUIRE(shown);
        CHECK(shown->total_supply == U256(105));
        CHECK_FALSE(shown->supply_hash);
    }
}

namespace {
// What `du -sb` counts of the data: every table file and WAL in the folder.
uint64_t table_and_wal_bytes(const std::filesystem::path& dir) {
    uint64_t total = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const auto ext = e.path().extension();
        if (e.is_regular_file() && (ext == ".sst" || ext == ".log")) total += e.file_size();
    }
    return total;
}
}  // namespace

TEST_CASE("size_bytes is the table files and WALs on disk, through writes and a compaction",
          "[storage]") {
    TempDir dir;
    auto store = Store::open(dir.path.string(), {});
    store->bind_chain(31337);
    std::mt19937_64 rng(21);
    SECTION("unflushed writes count by their WAL") {
        for (BlockNum b = 1; b <= 20; ++b) {
            store->apply(
                BlockBatch{b, Cursor{b, block_hash(b, 0)}, random_blocks(rng, b, b), {}, {}, 0});
        }
        store->sync();
        CHECK(store->size_bytes() > 0);
        CHECK(store->size_bytes() == table_and_wal_bytes(dir.path));
    }
    SECTION("after a compaction, with its progress per column family") {
        for (BlockNum b = 1; b <= 20; ++b) {
            store->apply(
                BlockBatch{b, Cursor{b, block_hash(b, 0)}, random_blocks(rng, b, b), {}, {}, 0});
        }
        std::vector<std::pair<size_t, size_t>> steps;
        std::mutex mutex;
        CHECK(store->compact([&](size_t done, size_t total) {
            std::lock_guard lock(mutex);
            steps.emplace_back(done, total);
        }));
        REQUIRE_FALSE(steps.empty());
        CHECK(steps.front().first == 0);
        CHECK(steps.back().first == steps.back().second);
        CHECK(steps.size() == steps.back().second + 1);
        store->sync();
        CHECK(store->size_bytes() == table_and_wal_bytes(dir.path));
    }
}

TEST_CASE("block times by block: the last row at or before, and the last block before a time",
          "[storage]") {
    TempDir dir;
    auto store = Store::open(dir.path.string(), {});
    // Blocks 10..29, one second apart from t = 1000, blocks 20..24 sharing one
    // time; block 30..39 with no rows (a database written before schema 3).
    BlockBatch batch{10, Cursor{39, {}}, {}, {}, {}, 0};
    for (BlockNum b = 10; b < 30; ++b)
        batch.block_times.emplace_back(b, b >= 20 && b < 25 ? 1010 : 1000 + (b - 10));
    store->apply(batch);
    auto view = store->view();
    CHECK(view.first_timed_block() == 10u);
    const auto times = view.times_at({9, 10, 19, 22, 29, 35});
    CHECK_FALSE(times[0]);
    CHECK(times[1] == 1000u);
    CHECK(times[2] == 1009u);
    CHECK(times[3] == 1010u);
    CHECK(times[4] == 1019u);
    CHECK(times[5] == 1019u);
    // Against a linear scan of every (lo, t).
    for (BlockNum lo = 10; lo < 39; ++lo) {
        for (uint64_t t = *view.times_at({lo}).front() + 1; t < 1025; ++t) {
            BlockNum want = lo;
            for (BlockNum b = lo; b <= 39; ++b)
                if (*view.times_at({b}).front() < t) want = b;
            CHECK(view.last_block_before(lo, 39, t) == want);
        }
    }
    store->rollback(Cursor{21, {}});
    CHECK(store->view().times_at({29}).front() == 1010u);
}
