// View::history_version: what names the balances at or below the cursor.

#include <filesystem>
#include <random>

#include <catch2/catch.hpp>

#include "storage/store.hpp"
#include "storage/testing/rows.hpp"

using namespace erc20;
using namespace erc20::storage;
using testing::cursor_of;
using testing::mint;

namespace {

Address token_of(uint8_t n) {
    Address a;
    a.bytes[0] = 0xa0;
    a.bytes[19] = n;
    return a;
}

}  // namespace

TEST_CASE("the history version moves with rollbacks and add-tokens steps only",
          "[storage][history_version]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("erc20-history-test-" + std::to_string(std::random_device{}()));
    {
        auto store = Store::open(dir.string(), {});
        store->bind_chain(31337, IndexScope{{token_of(1)}, 1});
        CHECK(store->view().history_version() == 0);
        for (BlockNum n = 1; n <= 5; ++n)
            store->apply(BlockBatch{n, cursor_of(n), {mint(token_of(1), n)}, {}, {}, 0});
        CHECK(store->view().history_version() == 0);  // blocks on top leave the past alone
        TokenMeta meta;
        meta.name = "T";
        REQUIRE(store->put_token_meta(token_of(1), meta));
        CHECK(store->view().history_version() == 0);  // metadata is not history
        const auto before = store->view();
        store->rollback(cursor_of(3));
        CHECK(store->view().history_version() == 1);
        CHECK(before.history_version() == 0);  // a snapshot keeps its own
        store->begin_token_backfill(TokenBackfill{{token_of(2)}, 1});
        CHECK(store->view().history_version() == 1);
        store->apply_backfill(BlockBatch{1, cursor_of(2), {mint(token_of(2), 2)}, {}, {}, 0},
                              false);
        CHECK(store->view().history_version() == 2);
        store->apply_backfill(BlockBatch{3, cursor_of(3), {}, {}, {}, 0}, true);
        CHECK(store->view().history_version() == 3);
    }
    std::filesystem::remove_all(dir);
}
