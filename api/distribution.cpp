#include "api/distribution.hpp"

namespace erc20::api {
namespace {

long double ratio(const DistributionSum& a, const DistributionSum& b) {
    if (b == 0) return 0;
    // Scale into range first: both can exceed long double's exact range, not its exponent range.
    return a.convert_to<long double>() / b.convert_to<long double>();
}

}  // namespace

void DistributionSums::add(const Balance& x) {
    const auto v = static_cast<DistributionSum>(x);
    ++holders_;
    supply_ += v;
    if (holders_ <= 10) top10_ += v;
    if (holders_ <= 100) top100_ += v;
    squares_ += v * v;
    ranked_ += v * holders_;
}

Distribution DistributionSums::finish(uint64_t nakamoto) const {
    Distribution d;
    d.holders = holders_;
    d.supply = static_cast<boost::multiprecision::cpp_int>(supply_);
    if (holders_ == 0 || supply_ == 0) return d;
    // Gini = sum over ascending rank i of (2i - n - 1) x_i / (n * supply); with
    // the descending rank j = n + 1 - i the numerator is (n + 1) supply - 2 ranked.
    const DistributionSum n(holders_);
    Concentration c;
    c.top10_share = static_cast<double>(ratio(top10_, supply_));
    c.top100_share = static_cast<double>(ratio(top100_, supply_));
    c.gini = static_cast<double>(ratio((n + 1) * supply_ - 2 * ranked_, n * supply_));
    c.nakamoto = nakamoto;
    c.hhi = static_cast<double>(ratio(squares_, supply_ * supply_));
    d.concentration = c;
    return d;
}

bool NakamotoWalk::add(const Balance& x) {
    running_ += static_cast<DistributionSum>(x);
    ++count_;
    return running_ <= half_;  // 2 * running > supply  <=>  running > floor(supply / 2)
}

Distribution distribution_of(std::span<const Balance> balances) {
    DistributionSums sums;
    for (const auto& b : balances) sums.add(b);
    NakamotoWalk walk(sums.supply());
    if (sums.supply() > 0) {
        for (const auto& b : balances) {
            if (!walk.add(b)) break;
        }
    }
    return sums.finish(walk.count());
}

}  // namespace erc20::api
