#include "api/series.hpp"

namespace erc20::api {

namespace {

constexpr uint64_t kHour = 3600;
constexpr uint64_t kDay = 24 * kHour;
constexpr uint64_t kWeek = 7 * kDay;
// 1970-01-01 was a Thursday: the first Monday is 4 days later.
constexpr uint64_t kFirstMonday = 4 * kDay;

uint64_t floor_to(uint64_t t, uint64_t length) { return t - t % length; }

}  // namespace

std::string_view period_name(Period p) {
    switch (p) {
        case Period::kHour:
            return "hour";
        case Period::kDay:
            return "day";
        case Period::kWeek:
            return "week";
    }
    return "";
}

uint64_t period_start(uint64_t t, Period p) {
    switch (p) {
        case Period::kHour:
            return floor_to(t, kHour);
        case Period::kDay:
            return floor_to(t, kDay);
        case Period::kWeek:
            // The week of the epoch's first days starts on Monday 1969-12-29.
            if (t < kFirstMonday) return 0;
            return kFirstMonday + floor_to(t - kFirstMonday, kWeek);
    }
    return t;
}

uint64_t period_end(uint64_t t, Period p) {
    switch (p) {
        case Period::kHour:
            return period_start(t, p) + kHour;
        case Period::kDay:
            return period_start(t, p) + kDay;
        case Period::kWeek:
            return t < kFirstMonday ? kFirstMonday : period_start(t, p) + kWeek;
    }
    return t;
}

uint64_t step_count(BlockNum from, BlockNum to, uint64_t step) {
    const uint64_t blocks = to - from;  // + 1, without overflowing at the top
    return blocks / step + 1;
}

std::vector<Span> step_spans(BlockNum from, BlockNum to, uint64_t step) {
    std::vector<Span> out;
    out.reserve(step_count(from, to, step));
    for (BlockNum first = from;;) {
        const BlockNum last = to - first < step ? to : first + (step - 1);
        out.push_back(Span{first, last, std::nullopt});
        if (last == to) return out;
        first = last + 1;
    }
}

std::optional<std::vector<Span>> period_spans(BlockNum from, BlockNum to, Period p,
                                              uint64_t max_items, const BlockClock& clock) {
    std::vector<Span> out;
    for (BlockNum first = from;;) {
        if (out.size() == max_items) return std::nullopt;
        const uint64_t t = clock.time_of(first);
        const BlockNum last = clock.last_before(first, to, period_end(t, p));
        out.push_back(Span{first, last, period_start(t, p)});
        if (last == to) return out;
        first = last + 1;
    }
}

}  // namespace erc20::api
