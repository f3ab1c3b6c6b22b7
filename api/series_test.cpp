#include "api/series.hpp"

#include <catch2/catch.hpp>

#include <map>

namespace erc20::api {
namespace {

// 2026-12-03 (a Thursday) 12:00:00 UTC.
constexpr uint64_t kNoonThursday = 1796299200;
constexpr uint64_t kHour = 3600;
constexpr uint64_t kDay = 24 * kHour;

TEST_CASE("period starts: UTC hours, days and ISO weeks from Monday") {
    CHECK(period_start(kNoonThursday + 59, Period::kHour) == kNoonThursday);
    CHECK(period_start(kNoonThursday - 1, Period::kHour) == kNoonThursday - kHour);
    CHECK(period_end(kNoonThursday, Period::kHour) == kNoonThursday + kHour);
    CHECK(period_start(kNoonThursday, Period::kDay) == kNoonThursday - 12 * kHour);
    CHECK(period_end(kNoonThursday - 1, Period::kDay) == kNoonThursday + 12 * kHour);
    // Monday 2026-11-30 00:00 UTC.
    const uint64_t monday = kNoonThursday - 3 * kDay - 12 * kHour;
    CHECK(period_start(kNoonThursday, Period::kWeek) == monday);
    CHECK(period_start(monday, Period::kWeek) == monday);
    CHECK(period_start(monday - 1, Period::kWeek) == monday - 7 * kDay);
    CHECK(period_end(monday - 1, Period::kWeek) == monday);
    // The epoch's week began on Monday 1969-12-29: its start clamps to 0.
    CHECK(period_start(0, Period::kWeek) == 0);
    CHECK(period_end(0, Period::kWeek) == 4 * kDay);
    CHECK(period_start(4 * kDay, Period::kWeek) == 4 * kDay);
}

TEST_CASE("step spans: (from - 1 + (k - 1) N, from - 1 + k N], the last cut at to") {
    CHECK(step_spans(10, 19, 5) == std::vector<Span>{{10, 14, {}}, {15, 19, {}}});
    CHECK(step_spans(10, 20, 5) == std::vector<Span>{{10, 14, {}}, {15, 19, {}}, {20, 20, {}}});
    CHECK(step_spans(0, 0, 1) == std::vector<Span>{{0, 0, {}}});
    CHECK(step_spans(7, 9, 100) == std::vector<Span>{{7, 9, {}}});
    CHECK(step_count(10, 20, 5) == 3);
    CHECK(step_count(0, ~BlockNum{0}, ~uint64_t{0}) == 2);
    const BlockNum top = ~BlockNum{0};
    CHECK(step_spans(top - 2, top, 2) == std::vector<Span>{{top - 2, top - 1, {}}, {top, top, {}}});
    for (uint64_t step = 1; step < 9; ++step) {
        auto spans = step_spans(3, 40, step);
        REQUIRE(spans.size() == step_count(3, 40, step));
        for (size_t k = 0; k < spans.size(); ++k) {
            CHECK(spans[k].first == 3 + k * step);
            CHECK(spans[k].last == std::min<BlockNum>(40, 2 + (k + 1) * step));
        }
    }
}

// Blocks 100..199, 12 minutes apart from 23:00 on a Sunday (block 100),
// times looked up as a map, last_before by a linear scan (the reference).
struct Chain {
    std::map<BlockNum, uint64_t> times;
    BlockClock clock() const {
        return BlockClock{[this](BlockNum b) { return times.at(b); },
                          [this](BlockNum lo, BlockNum hi, uint64_t t) {
                              BlockNum last = lo;
                              for (BlockNum b = lo; b <= hi; ++b)
                                  if (times.at(b) < t) last = b;
                              return last;
                          }};
    }
};

TEST_CASE("period spans: one item per period holding a block, the edges cut at the range") {
    Chain chain;
    const uint64_t sunday_23h = kNoonThursday - 4 * kDay + 11 * kHour;
    for (BlockNum b = 100; b < 200; ++b) chain.times[b] = sunday_23h + (b - 100) * 720;
    // Hours: 5 blocks each; the first hour is cut at block 103.
    auto hours = period_spans(103, 199, Period::kHour, 1000, chain.clock());
    REQUIRE(hours);
    REQUIRE(hours->size() == 20);
    CHECK(hours->front() == Span{103, 104, sunday_23h});
    CHECK((*hours)[1] == Span{105, 109, sunday_23h + kHour});
    CHECK(hours->back() == Span{195, 199, sunday_23h + 19 * kHour});
    // Days and weeks: Sunday's last hour, then Monday (a new ISO week too).
    auto days = period_spans(100, 199, Period::kDay, 1000, chain.clock());
    REQUIRE(days);
    CHECK(*days ==
          std::vector<Span>{{100, 104, sunday_23h - 23 * kHour}, {105, 199, sunday_23h + kHour}});
    auto weeks = period_spans(100, 199, Period::kWeek, 1000, chain.clock());
    REQUIRE(weeks);
    CHECK(*weeks == std::vector<Span>{{100, 104, sunday_23h - 6 * kDay - 23 * kHour},
                                      {105, 199, sunday_23h + kHour}});
    // The bound: 20 hours do not fit in 19 items.
    CHECK_FALSE(period_spans(103, 199, Period::kHour, 19, chain.clock()));
    CHECK(period_spans(103, 199, Period::kHour, 20, chain.clock()));
}

TEST_CASE("period spans: blocks sharing a time, and gaps of whole periods") {
    Chain chain;
    const uint64_t t0 = kNoonThursday;
    chain.times = {{1, t0},
                   {2, t0},
                   {3, t0 + 3599},
                   {4, t0 + kHour},
                   {5, t0 + 5 * kHour},
                   {6, t0 + 5 * kHour + 1}};
    auto hours = period_spans(1, 6, Period::kHour, 1000, chain.clock());
    REQUIRE(hours);
    CHECK(*hours == std::vector<Span>{{1, 3, t0}, {4, 4, t0 + kHour}, {5, 6, t0 + 5 * kHour}});
}

}  // namespace
}  // namespace erc20::api
