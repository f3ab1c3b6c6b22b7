#include "storage/stream.hpp"

#include <filesystem>
#include <map>
#include <random>

#include <catch2/catch.hpp>

using namespace erc20;
using namespace erc20::storage;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        path = std::filesystem::temp_directory_path() /
               ("erc20-stream-test-" + std::to_string(std::random_device{}()));
        std::filesystem::remove_all(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

Address token(uint8_t n) {
    Address a;
    a.bytes[0] = 0xa0;
    a.bytes[19] = n;
    return a;
}

Hash hash_of(BlockNum n, uint64_t fork) {
    Hash h;
    for (size_t i = 0; i < 8; ++i) h.bytes[i] = static_cast<uint8_t>(n >> (8 * i));
    for (size_t i = 0; i < 8; ++i) h.bytes[8 + i] = static_cast<uint8_t>(fork >> (8 * i));
    h.bytes[31] = 1;
    return h;
}

using Blocks = std::map<BlockNum, std::vector<Transfer>>;

// The chain as the test wrote it: each block's transfers and hash.
struct Chain {
    Blocks blocks;
    std::map<BlockNum, Hash> hashes;
    BlockNum head{0};
    bool empty{true};
    uint64_t fork{0};
};

std::vector<Transfer> random_block(std::mt19937_64& rng, BlockNum b, uint8_t first_token,
                                   uint8_t tokens, uint32_t first_index) {
    std::vector<Transfer> out;
    const size_t n = rng() % 3 == 0 ? 0 : rng() % 4 + 1;
    for (uint32_t i = 0; i < n; ++i) {
        Transfer t;
        t.block_num = b;
        t.log_index = first_index + i;
        t.token = token(static_cast<uint8_t>(first_token + rng() % tokens));
        t.to.bytes[19] = static_cast<uint8_t>(rng() % 10 + 1);
        t.value = U256(rng() % 1000 + 1);
        t.txn_hash = hash_of(b, 1000 + i);
        out.push_back(t);
    }
    return out;
}

void apply_blocks(Store& store, Chain& chain, std::mt19937_64& rng, size_t count, uint8_t tokens) {
    BlockBatch batch;
    batch.first = chain.empty ? 0 : chain.head + 1;
    const BlockNum last = batch.first + count - 1;
    for (BlockNum b = batch.first; b <= last; ++b) {
        auto ts = random_block(rng, b, 1, tokens, 0);
        const Hash h = hash_of(b, chain.fork);
        chain.hashes[b] = h;
        batch.block_times.emplace_back(b, 1'000'000 + b);
        if (ts.empty()) continue;
        BlockHeader header{b, h, hash_of(b - 1, chain.fork), 1'000'000 + b};
        batch.stream_headers.push_back(header);
        batch.transfers.insert(batch.transfers.end(), ts.begin(), ts.end());
        chain.blocks[b] = ts;
    }
    batch.last = Cursor{last, chain.hashes[last]};
    store.apply(batch);
    chain.head = last;
    chain.empty = false;
}

void rollback_to(Store& store, Chain& chain, BlockNum to) {
    store.rollback(Cursor{to, chain.hashes[to]});
    chain.blocks.erase(chain.blocks.upper_bound(to), chain.blocks.end());
    chain.head = to;
    chain.fork += 1;
}

// An add-tokens of token 9 over [0, head]: transfers with log indexes above
// the others', in steps of a few blocks.
void add_token(Store& store, Chain& chain, std::mt19937_64& rng) {
    store.begin_token_backfill(TokenBackfill{{token(9)}, 0});
    for (BlockNum from = 0; from <= chain.head;) {
        const BlockNum to = std::min(chain.head, from + rng() % 20);
        BlockBatch batch;
        batch.first = from;
        batch.last = Cursor{to, {}};
        for (BlockNum b = from; b <= to; ++b) {
            auto ts = random_block(rng, b, 9, 1, 100);
            if (ts.empty()) continue;
            auto& held = chain.blocks[b];
            held.insert(held.end(), ts.begin(), ts.end());
            batch.stream_headers.push_back(
                BlockHeader{b, chain.hashes[b], hash_of(b - 1, chain.fork), 1'000'000 + b});
            batch.transfers.insert(batch.transfers.end(), ts.begin(), ts.end());
        }
        store.apply_backfill(batch, to == chain.head);
        from = to + 1;
    }
}

// A consumer: what it holds, and its cursor.
struct Consumer {
    StreamCursor cursor;
    Blocks held;
    std::map<BlockNum, Hash> hashes;
    size_t events{0};

    // Reads up to `limit` events from a new connection; all there are when 0.
    void read(const Store& store, size_t limit) {
        StreamReader reader(store, cursor);
        for (size_t n = 0; limit == 0 || n < limit; ++n) {
            auto e = reader.next();
            if (!e) {
                if (limit == 0) break;
                continue;  // a later step may have more; this one is caught up
            }
            take(*e);
        }
    }

    void take(const StreamEvent& e) {
        ++events;
        const BlockNum b = e.header.block_num;
        switch (e.kind) {
            case StreamEvent::Kind::kBlock: {
                INFO("block " << b << " sent twice");
                REQUIRE(held.count(b) == 0);
                REQUIRE(!e.transfers.empty());
                REQUIRE(e.hashes_known);
                held[b] = e.transfers;
                hashes[b] = e.header.hash;
                break;
            }
            case StreamEvent::Kind::kRevert:
                held.erase(b);
                hashes.erase(b);
                break;
            case StreamEvent::Kind::kHead:
                break;
        }
        cursor = e.cursor;
    }
};

void check_holds(const Consumer& c, const Chain& chain) {
    Blocks want(chain.blocks.lower_bound(c.cursor.from_block), chain.blocks.end());
    REQUIRE(c.held.size() == want.size());
    for (const auto& [b, ts] : want) {
        INFO("block " << b);
        REQUIRE(c.held.count(b) == 1);
        REQUIRE(c.held.at(b) == ts);
        REQUIRE(c.hashes.at(b) == chain.hashes.at(b));
    }
}

}  // namespace

TEST_CASE(
    "consumers that stop and resume anywhere hold the chain through reorgs, rollbacks "
    "and an add-tokens",
    "[stream]") {
    TempDir dir;
    const uint64_t seed = GENERATE(range(uint64_t{1}, uint64_t{9}));
    std::mt19937_64 rng(seed);
    StoreOptions options;
    options.ingest_min_transfers = seed % 2 == 0 ? 1 : 1'000'000;  // ingested or committed
    auto store = Store::open(dir.path.string(), options);
    store->bind_chain(1, IndexScope{{token(1), token(2), token(3)}, 0});
    Chain chain;
    apply_blocks(*store, chain, rng, 20, 3);

    std::vector<Consumer> consumers(4);
    consumers[0].cursor = StreamReader::starting_at(*store, 0);
    consumers[1].cursor = StreamReader::starting_at(*store, 0);
    consumers[2].cursor = StreamReader::starting_at(*store, 7);
    consumers[3].cursor = StreamReader::starting_at(*store, 500);  // above the head for a while
    bool added = false;
    for (int step = 0; step < 150; ++step) {
        const auto op = rng() % 10;
        if (op < 6) {
            apply_blocks(*store, chain, rng, rng() % 6 + 1, added ? 9 : 3);
        } else if (op < 9 && chain.head > 15) {
            const BlockNum depth = rng() % 4 == 0 ? rng() % 60 + 1 : rng() % 12 + 1;
            rollback_to(*store, chain, chain.head > depth ? chain.head - depth : 0);
        } else if (!added && step > 40) {
            add_token(*store, chain, rng);
            added = true;
        }
        for (auto& c : consumers) {
            c.read(*store, rng() % 3 == 0 ? 0 : rng() % 8);
            if (rng() % 4 == 0) {
                c.read(*store, 0);
                check_holds(c, chain);
            }
        }
    }
    for (auto& c : consumers) {
        c.read(*store, 0);
        check_holds(c, chain);
        REQUIRE(c.events > 0);
    }
    REQUIRE(added);
}

TEST_CASE("a cursor of another database, or ahead of this one, is gone", "[stream]") {
    TempDir a;
    TempDir b;
    std::mt19937_64 rng(5);
    auto store_a = Store::open(a.path.string(), StoreOptions{});
    auto store_b = Store::open(b.path.string(), StoreOptions{});
    Chain chain;
    apply_blocks(*store_a, chain, rng, 10, 3);
    const StreamCursor from_a = StreamReader::starting_at(*store_a, 0);
    REQUIRE_THROWS_AS(StreamReader(*store_b, from_a), StreamGone);
    StreamCursor ahead = from_a;
    ahead.log.seq += 1;
    REQUIRE_THROWS_AS(StreamReader(*store_a, ahead), StreamGone);
    REQUIRE_NOTHROW(StreamReader(*store_a, from_a));
}

TEST_CASE("a consumer is sent a head once per move and blocks without transfers fold into it",
          "[stream]") {
    TempDir dir;
    std::mt19937_64 rng(9);
    auto store = Store::open(dir.path.string(), StoreOptions{});
    Chain chain;
    BlockBatch empty;
    empty.first = 0;
    empty.last = Cursor{4, hash_of(4, 0)};
    store->apply(empty);
    StreamReader reader(*store, StreamReader::starting_at(*store, 0));
    auto e = reader.next();
    REQUIRE(e);
    REQUIRE(e->kind == StreamEvent::Kind::kHead);
    REQUIRE(e->header.block_num == 4);
    REQUIRE(e->header.hash == hash_of(4, 0));
    REQUIRE(e->cursor.next == 5);
    REQUIRE_FALSE(reader.next());
    REQUIRE_FALSE(reader.next());  // nothing new: no second head
    REQUIRE(reader.heartbeat()->cursor == e->cursor);
}
