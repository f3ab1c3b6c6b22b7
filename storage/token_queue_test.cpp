// The metadata queue (token_queue): queued by apply and rollback in their
// own writes, ended by the metadata write that answers it, and never lost
// to a race with a later apply.

#include <filesystem>
#include <random>

#include <catch2/catch.hpp>

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
    a.bytes[0] = 0xb0;
    a.bytes[19] = n;
    return a;
}

// Every task, due or not, as (full, last byte of the token).
std::vector<std::pair<bool, uint8_t>> queued(const Store& store) {
    std::vector<std::pair<bool, uint8_t>> out;
    for (const auto& t : store.metadata_tasks(std::nullopt, 1000, ~uint64_t{0}, 1000).due)
        out.emplace_back(t.full, t.token.bytes[19]);
    return out;
}

// A reading at the cursor's block.
TokenMeta reading_at(const Cursor& c) {
    TokenMeta m;
    m.name = "T";
    m.total_supply = U256(1);
    m.supply_block = c.block_num;
    m.supply_hash = c.hash;
    return m;
}

struct Db {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("erc20-queue-test-" + std::to_string(std::random_device{}()));
    std::unique_ptr<Store> store = Store::open(dir.string(), {});
    ~Db() {
        store.reset();
        std::filesystem::remove_all(dir);
    }
};

}  // namespace

TEST_CASE("an apply queues its new tokens and the others it touched", "[storage][token_queue]") {
    Db db;
    Store& s = *db.store;
    CHECK_FALSE(s.metadata_queue_filled());
    s.queue_metadata({}, false, true);
    CHECK(s.metadata_queue_filled());
    s.apply(BlockBatch{1, cursor_of(1), {mint(token_of(1), 1)}, {}, {}, 0});
    CHECK(queued(s) == std::vector<std::pair<bool, uint8_t>>{{true, 1}});
    s.apply(
        BlockBatch{2, cursor_of(2), {mint(token_of(1), 2), mint(token_of(2), 2, 1)}, {}, {}, 0});
    CHECK(queued(s) == std::vector<std::pair<bool, uint8_t>>{{true, 1}, {true, 2}, {false, 1}});

    SECTION("a full reading at the head ends both of a token's tasks") {
        REQUIRE(s.put_token_meta(token_of(1), reading_at(cursor_of(2)), true));
        CHECK(queued(s) == std::vector<std::pair<bool, uint8_t>>{{true, 2}});
    }
    SECTION("a reading older than the last transfer keeps the totalSupply task") {
        REQUIRE(s.put_token_meta(token_of(1), reading_at(cursor_of(1)), true));
        CHECK(queued(s) == std::vector<std::pair<bool, uint8_t>>{{true, 2}, {false, 1}});
        // An apply after the reading queues it again, whatever came before.
        REQUIRE(s.put_token_meta(token_of(1), reading_at(cursor_of(2)), false));
        s.apply(BlockBatch{3, cursor_of(3), {mint(token_of(1), 3)}, {}, {}, 0});
        CHECK(queued(s) == std::vector<std::pair<bool, uint8_t>>{{true, 2}, {false, 1}});
    }
    SECTION("a rollback queues the supply of the tokens that lost transfers") {
        REQUIRE(s.put_token_meta(token_of(1), reading_at(cursor_of(2)), true));
        REQUIRE(s.put_token_meta(token_of(2), reading_at(cursor_of(2)), true));
        CHECK(queued(s).empty());
        s.rollback(cursor_of(1));
        CHECK(queued(s) == std::vector<std::pair<bool, uint8_t>>{{false, 1}});
        // Marked for the metadata worker, until the rollbacks down to it are handled.
        CHECK(s.metadata_rollback() == BlockNum{1});
        s.clear_metadata_rollback(2);
        CHECK(s.metadata_rollback() == BlockNum{1});
        s.clear_metadata_rollback(1);
        CHECK_FALSE(s.metadata_rollback());
    }
}

TEST_CASE("failed tasks wait; a drop keeps a task queued again since", "[storage][token_queue]") {
    Db db;
    Store& s = *db.store;
    s.apply(
        BlockBatch{1, cursor_of(1), {mint(token_of(1), 1), mint(token_of(2), 1, 1)}, {}, {}, 0});
    auto page = s.metadata_tasks(std::nullopt, 10, 1000, 10);
    REQUIRE(page.due.size() == 2);
    CHECK_FALSE(page.next);
    MetadataTask failed = page.due[0];
    failed.attempts = 1;
    failed.not_before_ms = 5000;
    s.retry_metadata_task(failed);
    page = s.metadata_tasks(std::nullopt, 10, 1000, 10);
    REQUIRE(page.due.size() == 1);  // the other one
    CHECK(page.due[0].token == token_of(2));
    CHECK(s.metadata_tasks(std::nullopt, 10, 5000, 10).due.size() == 2);  // due again
    // Pages continue after the last row looked at.
    page = s.metadata_tasks(std::nullopt, 1, 5000, 10);
    REQUIRE(page.next);
    CHECK(s.metadata_tasks(page.next, 1, 5000, 10).due.at(0).token == token_of(2));

    // Queued again by an apply since it was read: a drop leaves it.
    s.apply(BlockBatch{2, cursor_of(2), {mint(token_of(1), 2)}, {}, {}, 0});
    MetadataTask supply{token_of(1), false, 3, 9000};
    s.retry_metadata_task(supply);
    s.apply(BlockBatch{3, cursor_of(3), {mint(token_of(1), 3)}, {}, {}, 0});
    s.drop_metadata_task(supply);
    CHECK(queued(s) == std::vector<std::pair<bool, uint8_t>>{{true, 1}, {true, 2}, {false, 1}});
    // Unchanged since: dropped.
    s.retry_metadata_task(supply);
    s.drop_metadata_task(supply);
    CHECK(queued(s) == std::vector<std::pair<bool, uint8_t>>{{true, 1}, {true, 2}});
}

TEST_CASE("the queue survives a reopen", "[storage][token_queue]") {
    Db db;
    db.store->apply(BlockBatch{1, cursor_of(1), {mint(token_of(7), 1)}, {}, {}, 0});
    db.store.reset();
    db.store = Store::open(db.dir.string(), {});
    CHECK(queued(*db.store) == std::vector<std::pair<bool, uint8_t>>{{true, 7}});
    CHECK(db.store->metadata_queue_estimate() >= 1);
}
