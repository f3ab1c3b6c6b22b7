#include "indexer/batch_writer.hpp"

#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

#include "indexer/testing/fake_chain.hpp"
#include "indexer/testing/temp_dir.hpp"

using namespace erc20;
using namespace erc20::indexer;

namespace {

struct Fixture {
    indexer::testing::FakeChain chain{indexer::testing::FakeChainOptions{}};
    indexer::testing::TempDir dir;
    std::unique_ptr<storage::Store> store;
    std::unique_ptr<RpcNode> node;
    std::vector<storage::Cursor> written;

    Fixture() {
        spdlog::set_level(spdlog::level::warn);
        chain.extend(300);
        store = storage::Store::open(dir.path.string(), storage::StoreOptions{});
        store->bind_chain(31337);
        rpc::ClientOptions co;
        co.transport = chain.transport();
        node = std::make_unique<RpcNode>(co);
    }
    FetchedRange range(BlockNum from, BlockNum to) {
        auto r = fetch_range(*node, from, to, {});
        REQUIRE(r);
        return std::move(*r);
    }
    BatchWriter writer(size_t transfers_per_batch, uint64_t window = 64) {
        return BatchWriter(*store, transfers_per_batch * storage::kApplyBytesPerTransfer, window,
                           [this](const storage::Cursor& last, const storage::ApplyResult&) {
                               written.push_back(last);
                           });
    }
};

}  // namespace

TEST_CASE("ranges merge into one write while the next has arrived", "[indexer][writer]") {
    Fixture f;
    auto w = f.writer(1'000'000);
    CHECK_FALSE(w.should_hand_over(false));  // nothing pending
    w.add(f.range(1, 10), 300);
    CHECK(w.tip()->block_num == 10);
    CHECK_FALSE(w.should_hand_over(true));  // more has arrived: merge it first
    CHECK(w.should_hand_over(false));       // the writer would wait idle: hand over
    w.add(f.range(11, 20), 300);
    w.add(f.range(21, 30), 300);
    w.flush();
    CHECK(w.tip()->block_num == 30);  // being written
    w.finish();
    CHECK_FALSE(w.tip());
    REQUIRE(f.written.size() == 1);
    CHECK(f.written[0].block_num == 30);
    CHECK(f.written[0].hash == f.chain.hash(30));
    CHECK(f.store->cursor()->block_num == 30);
    CHECK(w.stats().batches == 1);
    size_t expected = 0;
    for (const auto& t : f.chain.transfers()) expected += t.block_num <= 30 ? 1 : 0;
    CHECK(w.stats().transfers == expected);
    CHECK(f.store->view().totals().transfers == expected);
}

TEST_CASE("a full batch is handed over whether or not more has arrived", "[indexer][writer]") {
    Fixture f;
    auto w = f.writer(5);
    auto r = f.range(1, 40);
    REQUIRE(r.transfers.size() >= 5);
    w.add(std::move(r), 300);
    CHECK(w.full());
    CHECK(w.should_hand_over(true));
}

TEST_CASE("a write keeps the headers within the window of the head, and the cursor's",
          "[indexer][writer]") {
    Fixture f;
    auto w = f.writer(1'000'000, 64);
    w.add(f.range(1, 100), 300);  // the window of head 300 starts at 236: only block 100's header
    w.flush();
    w.finish();
    CHECK(f.store->header(100));
    CHECK_FALSE(f.store->header(99));
    w.add(f.range(101, 300), 300);
    w.flush();
    w.finish();
    CHECK(f.store->header(236));
    CHECK(f.store->header(300));
    CHECK_FALSE(f.store->header(235));
}

TEST_CASE("dropped pending ranges are not written", "[indexer][writer]") {
    Fixture f;
    auto w = f.writer(1'000'000);
    w.add(f.range(1, 10), 300);
    w.drop_pending();
    w.flush();
    w.finish();
    CHECK(f.written.empty());
    CHECK_FALSE(f.store->cursor());
}
