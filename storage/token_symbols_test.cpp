// The symbol search (token_symbols): rows follow the metadata writes and the
// rollbacks that remove a token, pages walk them in order, and a database
// made before the family existed gets them once when it is opened.

#include <filesystem>
#include <random>

#include <catch2/catch.hpp>
#include <rocksdb/db.h>

#include "storage/schema.hpp"
#include "storage/store.hpp"
#include "storage/testing/rows.hpp"

using namespace erc20;
using namespace erc20::storage;
using testing::cursor_of;
using testing::mint;

namespace {

Address token_of(uint8_t n) {
    Address a;
    a.bytes[0] = 0xc0;
    a.bytes[19] = n;
    return a;
}

TokenMeta named(std::string symbol) {
    TokenMeta m;
    m.name = "Token " + symbol;
    m.symbol = std::move(symbol);
    return m;
}

struct Dir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("erc20-symbols-test-" + std::to_string(std::random_device{}()));
    ~Dir() { std::filesystem::remove_all(path); }
};

// Every match of `prefix`, read `page` at a time, as the tokens' last bytes.
std::vector<uint8_t> search(const Store& store, std::string_view prefix, size_t page = 100) {
    std::vector<uint8_t> out;
    const View v = store.view();
    std::optional<Position> after;
    do {
        std::optional<Position> next;
        for (const Address& t : v.tokens_by_symbol(prefix, after, page, next))
            out.push_back(t.bytes[19]);
        after = next;
    } while (after);
    return out;
}

// Five tokens in block 1 and one in block 2, with symbols.
void fill(Store& s) {
    std::vector<Transfer> first;
    for (uint8_t n = 1; n <= 5; ++n) first.push_back(mint(token_of(n), 1, n));
    s.apply(BlockBatch{1, cursor_of(1), first, {}, {}, 0});
    s.apply(BlockBatch{2, cursor_of(2), {mint(token_of(6), 2)}, {}, {}, 0});
    REQUIRE(s.put_token_meta(token_of(1), named("USDT")));
    REQUIRE(s.put_token_meta(token_of(2), named("usdc")));
    REQUIRE(s.put_token_meta(token_of(3), named("USDT")));
    REQUIRE(s.put_token_meta(token_of(4), named("WETH")));
    REQUIRE(s.put_token_meta(token_of(5), named("")));
    REQUIRE(s.put_token_meta(token_of(6), named("USD\xe2\x82\xae")));  // USD₮
}

}  // namespace

TEST_CASE("fold_symbol lower-cases ASCII, cuts at NUL and at 64 bytes", "[storage][symbols]") {
    CHECK(fold_symbol("UsDt") == "usdt");
    CHECK(fold_symbol("USD\xe2\x82\xae") == "usd\xe2\x82\xae");
    CHECK(fold_symbol(std::string("AB\0CD", 5)) == "ab");
    CHECK(fold_symbol(std::string(100, 'X')) == std::string(kSymbolKeyMax, 'x'));
    CHECK(symbol_key("", token_of(1)).empty());
    CHECK(valid_symbol_key(symbol_key("A", token_of(1))));
    CHECK_FALSE(valid_symbol_key(std::string(21, '\0')));
    CHECK_FALSE(valid_symbol_key(symbol_key("A", token_of(1)).substr(1)));
}

TEST_CASE("a symbol search finds prefixes case-insensitively, by symbol then address",
          "[storage][symbols]") {
    Dir dir;
    auto store = Store::open(dir.path.string(), {});
    fill(*store);
    CHECK(search(*store, "usd") == std::vector<uint8_t>{2, 1, 3, 6});
    CHECK(search(*store, "USDT") == std::vector<uint8_t>{1, 3});
    CHECK(search(*store, "usdt", 1) == std::vector<uint8_t>{1, 3});
    CHECK(search(*store, "usd", 3) == std::vector<uint8_t>{2, 1, 3, 6});
    CHECK(search(*store, "w") == std::vector<uint8_t>{4});
    CHECK(search(*store, "x").empty());
    CHECK(search(*store, "usdtx").empty());

    SECTION("a new symbol moves the token's row") {
        REQUIRE(store->put_token_meta(token_of(1), named("WBTC")));
        CHECK(search(*store, "usdt") == std::vector<uint8_t>{3});
        CHECK(search(*store, "w") == std::vector<uint8_t>{1, 4});
        TokenMeta none = named("");
        none.symbol.reset();
        REQUIRE(store->put_token_meta(token_of(4), none));
        CHECK(search(*store, "w") == std::vector<uint8_t>{1});
    }
    SECTION("a rollback that removes a token removes its symbol") {
        store->rollback(cursor_of(1));
        CHECK(search(*store, "usd") == std::vector<uint8_t>{2, 1, 3});
        store->rollback(std::nullopt);
        CHECK(search(*store, "").empty());
    }
    SECTION("a snapshot's pages do not see later writes") {
        const View v = store->view();
        REQUIRE(store->put_token_meta(token_of(4), named("USDE")));
        std::optional<Position> next;
        CHECK(v.tokens_by_symbol("usd", std::nullopt, 10, next).size() == 4);
        CHECK(search(*store, "usd") == std::vector<uint8_t>{2, 4, 1, 3, 6});
    }
}

TEST_CASE("a database made before token_symbols gets its rows when opened", "[storage][symbols]") {
    Dir dir;
    {
        auto store = Store::open(dir.path.string(), {});
        fill(*store);
    }
    {  // as an older version left it: no token_symbols family, no meta row
        std::vector<rocksdb::ColumnFamilyDescriptor> families;
        for (std::string_view name : kCfNames)
            families.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
        std::vector<rocksdb::ColumnFamilyHandle*> handles;
        rocksdb::DB* raw = nullptr;
        REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.path.string(), families, &handles, &raw)
                    .ok());
        std::unique_ptr<rocksdb::DB> db(raw);
        REQUIRE(db->Delete(rocksdb::WriteOptions(), handles[kCfMeta],
                           rocksdb::Slice(kKeyTokenSymbols.data(), kKeyTokenSymbols.size()))
                    .ok());
        REQUIRE(db->DropColumnFamily(handles[kCfTokenSymbols]).ok());
        for (auto* h : handles) REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
        REQUIRE(db->Close().ok());
    }
    auto store = Store::open(dir.path.string(), {});
    CHECK(search(*store, "usd") == std::vector<uint8_t>{2, 1, 3, 6});
    CHECK(search(*store, "weth") == std::vector<uint8_t>{4});
}
