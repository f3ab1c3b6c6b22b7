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

Distribution DistributionSums::finish() const {
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
    c.hhi = static_cast<double>(ratio(squares_, supply_ * supply_));
    d.concentration = c;
    return d;
}

RankWalk::RankWalk(uint64_t holders, const DistributionSum& supply, const DetailRequest& request)
    : holders_(holders), supply_(supply), half_(supply / 2), buckets_done_(supply == 0) {
    using Wide = boost::multiprecision::uint128_t;
    if (request.percentiles && holders > 0) {
        constexpr std::array<unsigned, 3> kPercents{50, 90, 99};
        for (size_t k = 0; k < kPercents.size(); ++k) {
            const auto ascending = static_cast<uint64_t>((Wide(kPercents[k]) * holders + 99) / 100);
            percentile_rank_[k] = holders + 1 - ascending;
        }
    }
    if (request.lorenz > 0 && supply > 0) {
        lorenz_ = request.lorenz;
        prefix_.assign(lorenz_ + 1, DistributionSum(0));
        prefix_[0] = supply;  // the poorest none hold nothing: all is in the top n
        // Point i needs the sum of the largest n - floor(i n / K); i from K - 1
        // down gives ascending ranks.
        for (uint32_t i = lorenz_ - 1; i >= 1; --i) {
            const auto rank = holders - static_cast<uint64_t>(Wide(i) * holders / lorenz_);
            if (rank > 0) targets_.push_back(Target{rank, i});
        }
    }
}

bool RankWalk::done() const {
    if (supply_ == 0) return true;
    if (!nakamoto_ || !buckets_done_ || next_target_ < targets_.size()) return false;
    for (uint64_t r : percentile_rank_) {
        if (r > seen_) return false;
    }
    return true;
}

bool RankWalk::add(const Balance& x) {
    const auto v = static_cast<DistributionSum>(x);
    ++seen_;
    running_ += v;
    if (!nakamoto_ && running_ > half_) nakamoto_ = seen_;  // 2 running > supply
    if (!buckets_done_) {
        size_t k = 0;
        while (k < bucket_holders_.size() && v * kShareBucketDivisors[k] < supply_) ++k;
        if (k == bucket_holders_.size()) {
            buckets_done_ = true;  // descending: every later balance is below 0.01% too
        } else {
            ++bucket_holders_[k];
            bucket_balance_[k] += v;
        }
    }
    for (size_t k = 0; k < percentile_rank_.size(); ++k) {
        if (percentile_rank_[k] == seen_) percentile_[k] = x;
    }
    while (next_target_ < targets_.size() && targets_[next_target_].rank == seen_) {
        prefix_[targets_[next_target_++].point] = running_;
    }
    return !done();
}

void RankWalk::finish(Distribution& d) const {
    if (d.concentration) d.concentration->nakamoto = nakamoto_.value_or(0);
    uint64_t holders = 0;
    DistributionSum balance(0);
    for (size_t k = 0; k < bucket_holders_.size(); ++k) {
        d.share_buckets[k].holders = bucket_holders_[k];
        d.share_buckets[k].balance =
            static_cast<boost::multiprecision::cpp_int>(bucket_balance_[k]);
        holders += bucket_holders_[k];
        balance += bucket_balance_[k];
    }
    d.share_buckets.back().holders = holders_ - holders;
    d.share_buckets.back().balance = static_cast<boost::multiprecision::cpp_int>(supply_ - balance);
    if (percentile_rank_[0] > 0) d.percentiles = percentile_;
    if (lorenz_ > 0) {
        for (uint32_t i = 0; i <= lorenz_; ++i) {
            d.lorenz.push_back(static_cast<double>(ratio(supply_ - prefix_[i], supply_)));
        }
    }
}

Distribution distribution_of(std::span<const Balance> balances, const DetailRequest& request) {
    DistributionSums sums;
    for (const auto& b : balances) sums.add(b);
    RankWalk walk(sums.holders(), sums.supply(), request);
    for (const auto& b : balances) {
        if (!walk.wants_more() || !walk.add(b)) break;
    }
    Distribution d = sums.finish();
    walk.finish(d);
    return d;
}

}  // namespace erc20::api
