// The compaction debt a bulk backfill leaves: Store::end_bulk returns at once
// (no compaction), reads and writes go on while the background compactions
// pay it, Store::settle_compactions puts the default stall triggers back once
// per family, a reopened database with debt gets the raised triggers again,
// and Store::compact (the admin's full compaction) still works.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <rocksdb/convenience.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/options_util.h>

#include "storage/store.hpp"

using namespace erc20;
using namespace erc20::storage;

namespace {

using Clock = std::chrono::steady_clock;

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        path = std::filesystem::temp_directory_path() /
               ("erc20-compaction-test-" + std::to_string(std::random_device{}()));
        std::filesystem::remove_all(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

Address addr(uint8_t tag, uint16_t n) {
    Address a;
    a.bytes[0] = tag;
    a.bytes[18] = static_cast<uint8_t>(n >> 8);
    a.bytes[19] = static_cast<uint8_t>(n);
    return a;
}

Hash block_hash(BlockNum n) {
    Hash h;
    for (size_t i = 0; i < 8; ++i) h.bytes[i] = static_cast<uint8_t>(n >> (8 * i));
    return h;
}

// Balances as applied, by (token, holder).
struct Model {
    std::map<std::pair<Address, Address>, Balance> balances;
    BlockNum head{0};

    void add(const Transfer& t) {
        if (!t.from.is_zero()) balances[{t.token, t.from}] -= static_cast<Balance>(t.value);
        if (!t.to.is_zero()) balances[{t.token, t.to}] += static_cast<Balance>(t.value);
    }
};

// One block of `n` transfers over 4 tokens and 512 holders, a third of them
// mints: every batch touches the whole key range of the balance families, so
// each ingested file overlaps the last and stays in level 0 in bulk mode.
BlockBatch block(std::mt19937_64& rng, BlockNum b, size_t n, Model& m) {
    BlockBatch batch{b, Cursor{b, block_hash(b)}, {}, {}, {{b, 1'700'000'000 + b}}, 0};
    for (uint32_t i = 0; i < n; ++i) {
        Transfer t;
        t.block_num = b;
        t.log_index = i;
        t.txn_hash = block_hash(b * 1000 + i);
        t.token = addr(0xa0, static_cast<uint16_t>(rng() % 4 + 1));
        if (rng() % 3 != 0) t.from = addr(0xb0, static_cast<uint16_t>(rng() % 512));
        t.to = addr(0xb0, static_cast<uint16_t>(rng() % 512));
        t.value = U256(rng() % 1000 + 1);
        m.add(t);
        batch.transfers.push_back(t);
    }
    batch.headers.push_back({b, block_hash(b), block_hash(b - 1), 1'700'000'000 + b});
    m.head = b;
    return batch;
}

void check_reads(Store& store, const Model& m) {
    auto view = store.view();
    REQUIRE(view.cursor());
    CHECK(view.cursor()->block_num == m.head);
    std::map<Address, uint64_t> holders;
    for (const auto& [key, b] : m.balances) {
        CHECK(view.balance(key.first, key.second) == b);
        if (b > 0) ++holders[key.first];
    }
    for (const auto& [token, n] : holders) {
        const auto stats = view.token_stats(token);
        REQUIRE(stats);
        CHECK(stats->holders == n);
    }
}

// Each family's stall triggers as the database's latest OPTIONS file has
// them (RocksDB writes one on every SetOptions).
struct Triggers {
    int slowdown{0};
    int stop{0};
    uint64_t soft{0};
    uint64_t hard{0};
    bool auto_compactions{false};
};

std::map<std::string, Triggers> triggers(const std::string& path) {
    rocksdb::ConfigOptions config;
    config.ignore_unknown_options = true;
    rocksdb::DBOptions db_options;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    REQUIRE(rocksdb::LoadLatestOptions(config, path, &db_options, &families).ok());
    std::map<std::string, Triggers> out;
    for (const auto& f : families) {
        out[f.name] = {
            f.options.level0_slowdown_writes_trigger, f.options.level0_stop_writes_trigger,
            f.options.soft_pending_compaction_bytes_limit,
            f.options.hard_pending_compaction_bytes_limit, !f.options.disable_auto_compactions};
    }
    return out;
}

bool at_defaults(const Triggers& t) {
    const rocksdb::ColumnFamilyOptions d;
    return t.slowdown == d.level0_slowdown_writes_trigger &&
           t.stop == d.level0_stop_writes_trigger &&
           t.soft == d.soft_pending_compaction_bytes_limit &&
           t.hard == d.hard_pending_compaction_bytes_limit && t.auto_compactions;
}

std::string latest_options_file(const std::filesystem::path& dir) {
    std::string latest;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("OPTIONS-", 0) != 0) continue;
        if (name.size() > latest.size() || (name.size() == latest.size() && name > latest))
            latest = name;
    }
    return latest;
}

// Polls settle_compactions as the indexer does at the head, until the debt
// is paid; false at the deadline.
bool settle(Store& store, std::chrono::seconds deadline) {
    const auto t0 = Clock::now();
    while (!store.settle_compactions()) {
        if (Clock::now() - t0 > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

constexpr BlockNum kBulkBatches = 60;  // under kBulkMaxL0Files: no compaction in bulk mode

}  // namespace

TEST_CASE("end_bulk leaves the compaction debt to the background, reads stay exact",
          "[storage][compaction]") {
    TempDir dir;
    StoreOptions options;
    options.ingest_min_transfers = 1;  // every batch ingested, as a backfill's
    auto store = Store::open(dir.path.string(), options);
    store->bind_chain(31337);
    store->begin_bulk();
    std::mt19937_64 rng(17);
    Model model;
    for (BlockNum b = 1; b <= kBulkBatches; ++b) store->apply(block(rng, b, 200, model));
    const auto before = store->compaction_stats();
    CHECK(before.level0_files >= kBulkBatches - 1);  // deferred: every file still in level 0
    CHECK_FALSE(store->compaction_debt());

    const auto t0 = Clock::now();
    store->end_bulk();
    const auto took = Clock::now() - t0;
    CHECK_FALSE(store->bulk());
    // No full compaction: the families left over the default slowdown
    // trigger (20 level-0 files) are marked, their triggers raised.
    CHECK(store->compaction_debt());
    CHECK(took < std::chrono::seconds(5));
    for (const auto& [name, t] : triggers(dir.path.string())) {
        INFO(name);
        CHECK(t.auto_compactions);
        CHECK(t.stop > t.slowdown);
    }
    const auto raised = triggers(dir.path.string());
    CHECK(std::any_of(raised.begin(), raised.end(), [](const auto& e) {
        return e.second.slowdown >= static_cast<int>(kBulkBatches);
    }));

    // Reads and writes go on while the compactions run.
    check_reads(*store, model);
    for (BlockNum b = kBulkBatches + 1; b <= kBulkBatches + 5; ++b) {
        store->apply(block(rng, b, 50, model));
        check_reads(*store, model);
    }

    REQUIRE(settle(*store, std::chrono::seconds(120)));
    CHECK_FALSE(store->compaction_debt());
    CHECK(store->compaction_stats().level0_files < 20);
    for (const auto& [name, t] : triggers(dir.path.string())) {
        INFO(name);
        CHECK(at_defaults(t));
    }
    // Settled: further polls set nothing (no new OPTIONS file).
    const std::string options_file = latest_options_file(dir.path);
    for (int i = 0; i < 5; ++i) CHECK(store->settle_compactions());
    CHECK(latest_options_file(dir.path) == options_file);
    check_reads(*store, model);

    // The explicit full compaction (admin compact) still runs to the end.
    CHECK(store->compact());
    CHECK(store->compaction_stats().level0_files == 0);
    check_reads(*store, model);
    store.reset();
    store = Store::open(dir.path.string(), options);
    CHECK_FALSE(store->compaction_debt());
    check_reads(*store, model);
}

TEST_CASE("a database reopened with compaction debt gets the raised triggers back",
          "[storage][compaction]") {
    TempDir dir;
    StoreOptions options;
    options.ingest_min_transfers = 1;
    std::mt19937_64 rng(19);
    Model model;
    {
        auto store = Store::open(dir.path.string(), options);
        store->bind_chain(31337);
        store->begin_bulk();
        for (BlockNum b = 1; b <= kBulkBatches; ++b) store->apply(block(rng, b, 100, model));
        // Stopped before end_bulk: the debt stays on disk.
    }
    auto store = Store::open(dir.path.string(), options);
    CHECK(store->compaction_debt());
    const auto t = triggers(dir.path.string());
    CHECK(std::any_of(t.begin(), t.end(), [](const auto& e) {
        return e.second.slowdown >= static_cast<int>(kBulkBatches);
    }));
    check_reads(*store, model);
    store->apply(block(rng, kBulkBatches + 1, 50, model));  // not stalled
    check_reads(*store, model);
    REQUIRE(settle(*store, std::chrono::seconds(120)));
    for (const auto& [name, tr] : triggers(dir.path.string())) {
        INFO(name);
        CHECK(at_defaults(tr));
    }
    check_reads(*store, model);
}
