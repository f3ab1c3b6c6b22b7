#include "indexer/progress_log.hpp"

#include <catch2/catch.hpp>
#include <thread>

using namespace erc20;

TEST_CASE("a progress meter: the run's range at once, the pace once measured",
          "[indexer][progress]") {
    indexer::ProgressMeter m;
    m.restart(100, 1000);  // the run applies blocks 101 on
    auto first = m.update("backfilling", 120, 300, 1100, false);
    CHECK(first.from_block == 101);
    CHECK(first.target_block == 300);
    CHECK_FALSE(first.blocks_per_s);  // not measured yet: null, not a made-up 0
    CHECK_FALSE(first.eta_seconds);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto measured = m.update("backfilling", 200, 300, 1500, true);
    REQUIRE(measured.blocks_per_s);
    REQUIRE(measured.transfers_per_s);
    REQUIRE(measured.eta_seconds);
    CHECK(*measured.blocks_per_s > 0);
    // 500 transfers over the blocks 101..200: 5 a block, as the two paces say.
    CHECK(*measured.transfers_per_s == Approx(5 * *measured.blocks_per_s));
    CHECK(*measured.eta_seconds == Approx(100 / *measured.blocks_per_s));
    // Between measures the pace stays and the ETA follows the cursor.
    auto later = m.update("backfilling", 250, 300, 1700, false);
    CHECK(*later.blocks_per_s == *measured.blocks_per_s);
    CHECK(*later.eta_seconds == Approx(50 / *measured.blocks_per_s));
    // A new run forgets the pace.
    m.restart(300, 1700);
    auto again = m.update("reindexing", 300, 400, 1700, false);
    CHECK(again.from_block == 301);
    CHECK_FALSE(again.blocks_per_s);
}
