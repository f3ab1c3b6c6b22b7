#include "storage/rocks.hpp"

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <rocksdb/db.h>

#include "common/hex.hpp"
#include "common/metrics.hpp"

using namespace erc20;
using namespace erc20::storage;

namespace {

struct TempDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("erc20-rocks-test-" + std::to_string(std::random_device{}()));
    TempDir() { std::filesystem::remove_all(path); }
    ~TempDir() { std::filesystem::remove_all(path); }
};

Address address(uint8_t n) {
    Address a;
    a.bytes[0] = 0xaa;
    a.bytes[19] = n;
    return a;
}

// A database with one block of one transfer (token 1, from 2 to 3).
void build(const std::string& path) {
    auto store = Store::open(path, {});
    store->bind_chain(1);
    BlockBatch batch;
    batch.first = 1;
    batch.last.block_num = 1;
    batch.last.hash.bytes[0] = 1;
    batch.transfers.push_back(Transfer{1, 0, Hash{}, address(1), address(2), address(3), U256(5)});
    batch.headers.push_back(BlockHeader{1, batch.last.hash, Hash{}, 100});
    batch.block_times.emplace_back(1, 100);
    store->apply(batch);
}

// Writes one raw row behind the store's back.
void put_raw(const std::string& path, Cf c, const std::string& key, const std::string& value) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    families.reserve(kCfNames.size());
    for (auto name : kCfNames)
        families.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> cfs;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), path, families, &cfs, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    REQUIRE(db->Put(rocksdb::WriteOptions(), cfs[c], key, value).ok());
    for (auto* h : cfs) (void)db->DestroyColumnFamilyHandle(h);
}

std::string hex(const std::string& key) {
    return to_hex(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
}

}  // namespace

TEST_CASE("corrupt_row logs, counts and throws a StoreError naming the family and the key",
          "[storage][corrupt]") {
    const std::string before = metrics::registry().render();
    try {
        corrupt_row(kCfBalances, std::string("\x01\xff", 2), "/db", "why");
        FAIL("no throw");
    } catch (const StoreError& e) {
        CHECK(e.kind() == StoreError::Kind::kOther);
        CHECK(std::string(e.what()) == "corrupt balances row, key 0x01ff, in /db: why");
    }
    CHECK(metrics::registry().render().find(
              "erc20_store_corrupt_rows_total{family=\"balances\"}") != std::string::npos);
    CHECK(decoded(std::optional<int>(3), kCfMeta, "k", "/db") == 3);
    CHECK_THROWS_AS(decoded(std::optional<int>(), kCfMeta, "k", "/db"), StoreError);
}

TEST_CASE("a corrupt row is an error wherever it is read, never zero or absent",
          "[storage][corrupt]") {
    TempDir dir;
    const std::string path = dir.path.string();
    build(path);
    auto corrupt = Catch::Contains("corrupt");
    SECTION("totals, once read as zero") {
        put_raw(path, kCfMeta, std::string(kKeyTotals), "abc");
        auto store = Store::open(path, {});
        CHECK_THROWS_WITH(store->view().totals(),
                          Catch::Contains("corrupt meta row, key " + hex("totals")));
    }
    SECTION("the metadata version, once read as zero") {
        put_raw(path, kCfMeta, std::string(kKeyMetaVersion), "1");
        auto store = Store::open(path, {});
        CHECK_THROWS_WITH(store->view().meta_version(), corrupt);
    }
    SECTION("the chain id, once read as absent") {
        put_raw(path, kCfMeta, std::string(kKeyChain), "x");
        auto store = Store::open(path, {});
        CHECK_THROWS_WITH(store->chain_id(), corrupt);
        CHECK_THROWS_WITH(store->view().chain_id(), corrupt);
        CHECK_THROWS_WITH(store->bind_chain(1), corrupt);
    }
    SECTION("a header, once read as absent") {
        put_raw(path, kCfHeaders, block_key(1), "short");
        auto store = Store::open(path, {});
        CHECK_THROWS_WITH(store->header(1),
                          Catch::Contains("corrupt headers row, key " + hex(block_key(1))));
        CHECK_THROWS_WITH(store->header_at_or_below(5), corrupt);
    }
    SECTION("a block time, once read as absent") {
        put_raw(path, kCfBlockTimes, block_key(1), "1");
        auto store = Store::open(path, {});
        CHECK_THROWS_WITH(store->view().block_time(1), corrupt);
    }
    SECTION("a balance") {
        put_raw(path, kCfBalances, pair_key(address(1), address(3)), "\x07");
        auto store = Store::open(path, {});
        CHECK_THROWS_WITH(store->view().balance(address(1), address(3)),
                          Catch::Contains("corrupt balances row"));
    }
    SECTION("an index row of the wrong size, once skipped") {
        put_raw(path, kCfAccountTokens, token_key(address(3)) + "short", "");
        auto store = Store::open(path, {});
        CHECK_THROWS_WITH(store->view().account_tokens(address(3), std::nullopt, 10), corrupt);
    }
    SECTION("an account transfer's direction, once read as none") {
        put_raw(path, kCfAccountTransfers, prefixed_transfer_key(address(2), 1, 0), "\x09");
        auto store = Store::open(path, {});
        CHECK_THROWS_WITH(store->view().account_transfers(address(2), std::nullopt,
                                                          Direction::kBoth, 0, 1, std::nullopt, 10),
                          Catch::Contains("corrupt account_transfers row"));
    }
    SECTION("a transfer met by a rollback; nothing is undone") {
        put_raw(path, kCfTransfers, transfer_key(1, 0), "short");
        auto store = Store::open(path, {});
        CHECK_THROWS_WITH(store->rollback(Cursor{0, Hash{}}),
                          Catch::Contains("corrupt transfers row"));
        CHECK(store->cursor()->block_num == 1);
    }
}
