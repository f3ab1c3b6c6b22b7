#include "indexer/reorg.hpp"

#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

#include "indexer/batch_writer.hpp"
#include "indexer/fetch.hpp"
#include "indexer/testing/fake_chain.hpp"
#include "indexer/testing/temp_dir.hpp"

using namespace erc20;
using namespace erc20::indexer;
using erc20::indexer::testing::FakeChain;

namespace {

constexpr uint64_t kWindow = 64;
constexpr BlockNum kRange = 10;  // blocks per fetched range

// A store indexed from a fake chain through the real fetch and batch writer,
// with the reorg handling under test on the same node.
struct Fixture {
    FakeChain chain{[] {
        indexer::testing::FakeChainOptions o;
        o.seed = 3;
        return o;
    }()};
    indexer::testing::TempDir dir;
    std::unique_ptr<storage::Store> store;
    std::unique_ptr<RpcNode> node;
    LiveStatus status;
    Control control;
    Retrier retrier{std::chrono::milliseconds(1), status, control, {}};
    std::optional<storage::Cursor> cursor;
    std::stop_source stop;
    std::stop_token token = stop.get_token();
    std::vector<ReorgUndone> undone;

    explicit Fixture(BlockNum head) {
        spdlog::set_level(spdlog::level::warn);
        chain.extend(head);
        storage::StoreOptions so;
        so.block_cache_bytes = 4u << 20;
        so.write_buffer_bytes = 8u << 20;
        store = storage::Store::open(dir.path.string(), so);
        store->bind_chain(31337);
        rpc::ClientOptions co;
        co.transport = chain.transport();
        node = std::make_unique<RpcNode>(co);
    }

    Reorgs reorgs(uint64_t window = kWindow) {
        return Reorgs(*store, *node, retrier, status, window,
                      [this](const ReorgUndone& u) { undone.push_back(u); });
    }

    // Indexes from the cursor to the chain's head in ranges of kRange blocks.
    void index_to_head() {
        BatchWriter writer(
            *store, 1u << 30, kWindow,
            [this](const storage::Cursor& last, const storage::ApplyResult&) { cursor = last; });
        const BlockNum head = chain.head();
        for (BlockNum b = cursor ? cursor->block_num + 1 : 1; b <= head; b += kRange) {
            auto r = fetch_range(*node, b, std::min(head, b + kRange - 1), {});
            REQUIRE(r);
            if (cursor) REQUIRE(r->headers.front().parent_hash == cursor->hash);
            writer.add(std::move(*r), head);
            writer.flush();
            writer.finish();
        }
    }

    // Every balance and the transfer count equal the chain's.
    void check_matches_chain() {
        auto view = store->view();
        CHECK(view.totals().transfers == chain.transfers().size());
        for (const auto& token_address : chain.tokens()) {
            for (const auto& holder : chain.holders()) {
                CHECK(view.balance(token_address, holder) ==
                      static_cast<Balance>(chain.balance(token_address, holder)));
            }
        }
    }
};

}  // namespace

TEST_CASE("a same-height replacement of the cursor's block is undone", "[indexer][reorg]") {
    Fixture f(100);
    f.index_to_head();
    REQUIRE(f.cursor->block_num == 100);
    auto reorgs = f.reorgs();
    CHECK(reorgs.check_tip(f.token, f.cursor, 100) == TipCheck::kOurs);
    f.chain.reorg(1, 100);  // block 100 replaced, the head stays at 100
    CHECK(reorgs.check_tip(f.token, f.cursor, 100) == TipCheck::kReorged);
    REQUIRE(f.cursor);
    CHECK(f.cursor->block_num == 99);
    CHECK(f.cursor->hash == f.chain.hash(99));
    CHECK(f.store->cursor()->block_num == 99);
    REQUIRE(f.undone.size() == 1);
    CHECK(f.undone[0].depth == 1);
    CHECK(f.status.reorgs_total.load() == 1);
    f.index_to_head();
    f.check_matches_chain();
}

TEST_CASE("a reorg deeper than one range walks back to the common ancestor", "[indexer][reorg]") {
    Fixture f(100);
    f.index_to_head();
    auto reorgs = f.reorgs();
    f.chain.reorg(45,
                  110);  // blocks 56.. replaced: several fetched ranges, more than one walk step
    CHECK(reorgs.check_tip(f.token, f.cursor, 110) == TipCheck::kReorged);
    REQUIRE(f.cursor);
    CHECK(f.cursor->block_num == 55);
    CHECK(f.cursor->hash == f.chain.hash(55));
    REQUIRE(f.undone.size() == 1);
    CHECK(f.undone[0].depth == 45);
    CHECK(f.status.deepest_reorg.load() == 45);
    f.index_to_head();
    CHECK(f.cursor->block_num == 110);
    f.check_matches_chain();
}

TEST_CASE("a node below the cursor with the same blocks is lagging, with other blocks a reorg",
          "[indexer][reorg]") {
    Fixture f(100);
    f.index_to_head();
    auto reorgs = f.reorgs();
    CHECK(reorgs.check_tip(f.token, f.cursor, 90) == TipCheck::kOurs);
    f.chain.reorg(20, 90);  // shorter, and blocks 81.. replaced
    CHECK(reorgs.check_tip(f.token, f.cursor, 90) == TipCheck::kReorged);
    CHECK(f.cursor->block_num == 80);
}

TEST_CASE("a reorg beyond the window is an error that changes nothing", "[indexer][reorg]") {
    Fixture f(100);
    f.index_to_head();
    auto reorgs = f.reorgs(16);
    f.chain.reorg(40, 100);
    const auto before = f.store->debug_dump();
    CHECK_THROWS_WITH(reorgs.check_tip(f.token, f.cursor, 100),
                      Catch::Contains("reorg deeper than the stored window"));
    CHECK(f.status.state.load() == static_cast<int>(State::kError));
    CHECK(f.cursor->block_num == 100);
    CHECK(f.store->debug_dump() == before);
    CHECK(f.undone.empty());
}

TEST_CASE("a reorg check that is stopped is a result and writes nothing", "[indexer][reorg]") {
    Fixture f(100);
    f.index_to_head();
    auto reorgs = f.reorgs();
    f.chain.reorg(5, 100);
    f.stop.request_stop();
    CHECK(reorgs.check_tip(f.token, f.cursor, 100) == TipCheck::kHalted);
    CHECK(f.cursor->block_num == 100);
    CHECK(f.store->cursor()->block_num == 100);
}
