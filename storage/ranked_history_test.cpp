// Holders at past blocks (View::holders_at, ranked_history) against a
// brute-force model: every block's balances kept in memory, on random
// chains with mints, burns, whole-balance moves, zero-value and self
// transfers, rollbacks to random depths and epochs small enough to roll
// many times, through the memtable and the table-file paths.

#include <filesystem>
#include <map>
#include <random>

#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include "common/endian.hpp"
#include "storage/schema.hpp"
#include "storage/store.hpp"

using namespace erc20;
using namespace erc20::storage;

namespace {

constexpr int kTokens = 2;
constexpr int kHolders = 12;

Address token_of(int n) {
    Address a;
    a.bytes[0] = 0xa0;
    a.bytes[19] = static_cast<uint8_t>(n);
    return a;
}

Address holder_of(int n) {
    Address a;
    if (n == 0) return a;  // the zero address: mints and burns
    a.bytes[0] = 0x10;
    a.bytes[19] = static_cast<uint8_t>(n);
    return a;
}

Cursor cursor_of(BlockNum n, uint32_t branch) {
    Cursor c{n, {}};
    store_be64(c.hash.bytes.data(), n);
    store_be32(c.hash.bytes.data() + 8, branch);
    return c;
}

using Balances = std::map<std::pair<int, int>, uint64_t>;  // (token, holder) -> balance

struct Model {
    std::vector<Balances> at{Balances{}};  // at[n]: balances at the end of block n

    [[nodiscard]] std::vector<HolderItem> holders(int token, BlockNum n) const {
        std::vector<HolderItem> out;
        for (const auto& [key, balance] : at[n]) {
            if (key.first == token && balance > 0)
                out.push_back(HolderItem{holder_of(key.second), Balance(balance)});
        }
        std::sort(out.begin(), out.end(), [](const HolderItem& a, const HolderItem& b) {
            return a.balance != b.balance ? a.balance > b.balance : a.holder < b.holder;
        });
        return out;
    }
};

// A random transfer of block n, applied to `b`.
Transfer random_transfer(std::mt19937_64& rng, BlockNum n, uint32_t log_index, Balances& b) {
    Transfer t;
    t.block_num = n;
    t.log_index = log_index;
    const int token = static_cast<int>(rng() % kTokens) + 1;
    t.token = token_of(token);
    int from = static_cast<int>(rng() % (kHolders + 1));
    const int to = rng() % 8 == 0 ? 0 : static_cast<int>(rng() % kHolders) + 1;
    uint64_t& have = b[{token, from}];
    if (from != 0 && have == 0) from = 0;  // nothing to send: a mint instead
    uint64_t value = 0;
    if (from == 0) {
        value = rng() % 4 == 0 ? 0 : rng() % 1000 + 1;
    } else {
        switch (rng() % 4) {
            case 0:
                value = b[{token, from}];
                break;  // the whole balance
            case 1:
                value = 0;
                break;
            default:
                value = rng() % (b[{token, from}] + 1);
        }
    }
    if (from == 0 && to == 0) value = 0;
    t.from = holder_of(from);
    t.to = holder_of(to);
    t.value = U256(value);
    if (from != 0) b[{token, from}] -= value;
    if (to != 0) b[{token, to}] += value;
    return t;
}

void check_block(const View& v, const Model& m, BlockNum n) {
    for (int token = 1; token <= kTokens; ++token) {
        const auto want = m.holders(token, n);
        INFO("token " << token << " block " << n);
        CHECK(v.holders_at(token_of(token), n) == want);
        std::vector<HolderItem> paged;  // pages of 3, each continuing the last
        std::optional<Position> after, next;
        do {
            auto page = v.holders_at(token_of(token), n, after, 3, next);
            paged.insert(paged.end(), page.begin(), page.end());
            REQUIRE(paged.size() <= want.size());
            after = next;
        } while (next);
        CHECK(paged == want);
    }
}

void run_model(uint64_t seed, const StoreOptions& options) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("erc20-ranked-test-" + std::to_string(std::random_device{}()));
    std::mt19937_64 rng(seed);
    Model m;
    {
        auto store = Store::open(dir.string(), options);
        store->bind_chain(31337);
        uint32_t branch = 0;
        for (int round = 0; round < 120; ++round) {
            const BlockNum first = m.at.size();
            const BlockNum blocks = rng() % 3 + 1;
            BlockBatch batch{first, cursor_of(first + blocks - 1, branch), {}, {}, {}, 0};
            for (BlockNum n = first; n < first + blocks; ++n) {
                Balances b = m.at.back();
                const size_t count = rng() % 6;
                for (size_t i = 0; i < count; ++i)
                    batch.transfers.push_back(random_transfer(rng, n, static_cast<uint32_t>(i), b));
                m.at.push_back(std::move(b));
            }
            store->apply(batch);
            if (rng() % 10 == 0 && m.at.size() > 2) {  // a reorg of 1-12 blocks
                const BlockNum to =
                    m.at.size() - 1 - std::min<BlockNum>(rng() % 12 + 1, m.at.size() - 2);
                store->rollback(cursor_of(to, branch));
                m.at.resize(to + 1);
                ++branch;
            }
            const auto v = store->view();
            for (int k = 0; k < 3; ++k) check_block(v, m, rng() % (m.at.size() - 1) + 1);
        }
        const auto v = store->view();
        for (BlockNum n = 1; n < m.at.size(); ++n) check_block(v, m, n);
    }
    std::filesystem::remove_all(dir);
}

}  // namespace

TEST_CASE("holders at any past block equal the model's, through reorgs and new epochs",
          "[storage][ranked]") {
    StoreOptions options;
    options.history_epoch_min_entries = 4;  // a new epoch every few blocks
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        INFO("seed " << seed);
        run_model(seed, options);
    }
}

TEST_CASE("holders at past blocks through batches written as table files", "[storage][ranked]") {
    StoreOptions options;
    options.history_epoch_min_entries = 4;
    options.ingest_min_transfers = 1;
    for (uint64_t seed = 11; seed <= 13; ++seed) {
        INFO("seed " << seed);
        run_model(seed, options);
    }
}

TEST_CASE("one large epoch: no copies, the same answers", "[storage][ranked]") {
    run_model(21, StoreOptions{});
}

namespace {

// (epoch start, entries) of every epoch of `token`'s rank classes, read
// from history_epochs with RocksDB itself once the store is closed.
std::vector<std::pair<BlockNum, uint64_t>> epochs_of(const std::string& path,
                                                     const Address& token) {
    std::vector<std::string> names;
    REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    families.reserve(names.size());
    for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    REQUIRE(
        rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    const auto at = std::find(names.begin(), names.end(), "history_epochs");
    REQUIRE(at != names.end());
    std::vector<std::pair<BlockNum, uint64_t>> out;
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), handles[static_cast<size_t>(at - names.begin())]));
    const std::string prefix = token_key(token);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        const std::string_view k(it->key().data(), it->key().size());
        if (k.size() != kEpochKeySize) continue;  // the current epoch's row
        const auto counts = decode_epoch_counts({it->value().data(), it->value().size()});
        REQUIRE(counts);
        out.emplace_back(epoch_key_epoch(k), counts->entries);
    }
    for (auto* h : handles) REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
    return out;
}

}  // namespace

TEST_CASE("a scan at a block of few holders reads few entries, though the class grew since",
          "[storage][ranked]") {
    // One holder more every block, all with the same balance (one rank
    // class): the live entries never fall, so an epoch measured against its
    // live entries now would never end, and a scan at block 10 would read
    // every entry written since.
    const auto dir = std::filesystem::temp_directory_path() /
                     ("erc20-ranked-growth-" + std::to_string(std::random_device{}()));
    StoreOptions options;
    options.history_epoch_min_entries = 8;
    const Address token = token_of(1);
    constexpr BlockNum kBlocks = 2000;
    {
        auto store = Store::open(dir.string(), options);
        store->bind_chain(31337);
        for (BlockNum n = 1; n <= kBlocks; ++n) {
            Transfer t;
            t.block_num = n;
            t.token = token;
            store_be64(t.to.bytes.data() + 12, n);
            t.value = U256(1);
            store->apply(BlockBatch{n, cursor_of(n, 0), {t}, {}, {}, 0});
        }
        const auto v = store->view();
        for (BlockNum n : {BlockNum{1}, BlockNum{10}, BlockNum{500}, kBlocks})
            CHECK(v.holders_at(token, n).size() == n);
    }
    const auto epochs = epochs_of(dir.string(), token);
    REQUIRE(epochs.size() > 1);
    for (size_t i = 0; i < epochs.size(); ++i) {
        const auto [start, entries] = epochs[i];
        INFO("epoch " << i << " from block " << start << ": " << entries << " entries");
        // holders at any block of the epoch >= holders at its start (start - 1);
        // one batch is one block, one entry
        CHECK(entries <= 3 * (start - 1) + options.history_epoch_min_entries + 1);
    }
    std::filesystem::remove_all(dir);
}

// A class epoch starts at its batch's first block, which may be below the
// token's first change in it. A rollback between the two used to keep the
// epoch, and a deeper rollback that did not touch the token left it ahead
// of the next batch: "corrupt history_epochs row ... epoch ahead".
TEST_CASE("a class epoch begun in a batch that a rollback cut short is not left ahead",
          "[storage][ranked]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("erc20-ranked-ahead-" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(dir);
    {
        auto store = Store::open(dir.string(), StoreOptions{});
        auto mint = [](BlockNum b, int holder, U256 value) {
            Transfer t;
            t.block_num = b;
            t.token = token_of(1);
            t.to = holder_of(holder);
            t.value = value;
            return t;
        };
        auto apply = [&](BlockNum first, BlockNum last, std::vector<Transfer> ts) {
            BlockBatch batch;
            batch.first = first;
            batch.last = cursor_of(last, 0);
            batch.transfers = std::move(ts);
            store->apply(batch);
        };
        const U256 whale = U256(1) << 100;  // a class of its own
        apply(0, 3, {mint(3, 1, U256(100))});
        apply(4, 5, {});
        apply(6, 20, {mint(15, 2, whale)});  // the whale's class: an epoch from block 6
        store->rollback(cursor_of(12, 0));   // undoes block 15: the token keeps block 3
        store->rollback(cursor_of(4, 0));    // touches no transfer of the token
        REQUIRE_NOTHROW(apply(5, 9, {mint(8, 3, whale)}));
        auto view = store->view();
        const auto at8 = view.holders_at(token_of(1), 8);
        REQUIRE(at8.size() == 2);
        REQUIRE(at8[0].holder == holder_of(3));
        REQUIRE(at8[0].balance == Balance(whale));
        REQUIRE(view.holders_at(token_of(1), 7).size() == 1);
    }
    std::filesystem::remove_all(dir);
}
