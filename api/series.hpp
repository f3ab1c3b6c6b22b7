#pragma once
// The interval arithmetic of the series routes: which blocks each item of a
// series covers, by a step in blocks or by UTC periods of block times. Pure:
// the block times come from the caller.

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "common/types.hpp"

namespace erc20::api {

/// The most items one series answer has, and with distribution=true.
inline constexpr uint64_t kMaxSeriesItems = 1000;
inline constexpr uint64_t kMaxSeriesDistributionItems = 100;

enum class Period { kHour, kDay, kWeek };

/// "hour", "day" or "week".
[[nodiscard]] std::string_view period_name(Period p);
/// The start (unix seconds, UTC) of the period holding time t: hours and days
/// counted from the epoch, ISO weeks from Monday 00:00.
[[nodiscard]] uint64_t period_start(uint64_t t, Period p);
/// The start of the next period.
[[nodiscard]] uint64_t period_end(uint64_t t, Period p);

/// The blocks [first, last] one item covers, and with a period its start.
struct Span {
    BlockNum first{0};
    BlockNum last{0};
    std::optional<uint64_t> period_start;
    friend bool operator==(const Span&, const Span&) = default;
};

/// The number of items of step=`step` over [from, to]: ceil((to - from + 1) / step).
/// REQUIRES: from <= to, step >= 1.
[[nodiscard]] uint64_t step_count(BlockNum from, BlockNum to, uint64_t step);
/// Item k (from 1) covers (from - 1 + (k - 1) step, from - 1 + k step]; the
/// last ends at `to`. REQUIRES: as step_count.
[[nodiscard]] std::vector<Span> step_spans(BlockNum from, BlockNum to, uint64_t step);

/// What period_spans needs of the chain: a block's time, and the last block
/// of [lo, hi] whose time is below t (block times never decrease).
struct BlockClock {
    std::function<uint64_t(BlockNum)> time_of;
    std::function<BlockNum(BlockNum lo, BlockNum hi, uint64_t t)> last_before;
};
/// One item per period holding a block of [from, to], in order; nullopt when
/// there are more than max_items. One last_before per item.
/// REQUIRES: from <= to.
[[nodiscard]] std::optional<std::vector<Span>> period_spans(BlockNum from, BlockNum to, Period p,
                                                            uint64_t max_items,
                                                            const BlockClock& clock);

}  // namespace erc20::api
