#pragma once
// The maths of /v1/tokens/{token}/distribution: supply, top-10 and top-100
// shares, Gini coefficient, Nakamoto coefficient, Herfindahl-Hirschman index,
// share buckets, percentiles and the Lorenz curve of a list of balances, as
// running sums over the list in rank order: a first walk for the sums, a
// second (RankWalk) for what depends on the holders' count and the supply.
// Pure: no storage, no JSON.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <boost/multiprecision/cpp_int.hpp>

#include "common/types.hpp"

namespace erc20::api {

/// How concentrated a token's supply is among its holders.
struct Concentration {
    double top10_share{0};   // the 10 largest balances over the supply
    double top100_share{0};  // the 100 largest
    double gini{0};          // 0: all equal; (n-1)/n: one holder has everything
    uint64_t nakamoto{0};    // fewest holders holding more than half the supply
    double hhi{0};           // sum of squared shares: 1/n (equal) to 1 (one holder)
};

/// What an answer carries beyond the figures, on request: each reads deeper
/// into the list (see RankWalk).
struct DetailRequest {
    uint32_t lorenz{0};       // ?lorenz=K: K + 1 points; 0 for none
    bool percentiles{false};  // ?percentiles=true
};

/// The share-bucket thresholds: a bucket holds the holders whose share of the
/// supply is at least its threshold and below the one before.
inline constexpr std::array<uint32_t, 4> kShareBucketDivisors{100, 1000, 10000, 0};  // 1/d; 0: 0
struct ShareBucket {
    uint64_t holders{0};
    boost::multiprecision::cpp_int balance{0};
};

struct Distribution {
    uint64_t holders{0};
    boost::multiprecision::cpp_int supply{0};  // sum of the balances, exact
    /// nullopt when there is no holder or the supply is 0.
    std::optional<Concentration> concentration;
    std::array<ShareBucket, 4> share_buckets;  // by kShareBucketDivisors
    /// p50, p90, p99 of the balances by nearest rank (the value at ascending
    /// rank ceil(p n / 100)); nullopt when not asked or there is no holder.
    std::optional<std::array<Balance, 3>> percentiles;
    /// y at x = i/K for i = 0..K: the supply's share held by the poorest
    /// floor(x n) holders; empty when not asked or the supply is 0.
    std::vector<double> lorenz;
};

/// Wide enough for every sum here without allocating. Each positive balance
/// is a sum of the transfer values it received, each below 2^256, over fewer
/// than 2^64 transfers: so the supply (all positive balances) is below 2^320,
/// the sum of squares and the supply's square below 2^640 and the
/// rank-weighted sum below 2^384.
using DistributionSum = boost::multiprecision::number<boost::multiprecision::cpp_int_backend<
    640, 640, boost::multiprecision::unsigned_magnitude, boost::multiprecision::unchecked, void>>;

/// Running sums of a list of balances given one at a time in descending
/// order (the holders list's), so that a distribution over millions of
/// holders needs no list in memory. Sums and squares are exact (fixed width,
/// wide enough); only the final ratios are rounded.
class DistributionSums {
  public:
    void add(const Balance& x);
    [[nodiscard]] uint64_t holders() const { return holders_; }
    [[nodiscard]] const DistributionSum& supply() const { return supply_; }
    /// The figures of the first walk (the Nakamoto coefficient and the rest
    /// come from RankWalk::finish).
    [[nodiscard]] Distribution finish() const;

  private:
    uint64_t holders_{0};
    DistributionSum supply_{0}, top10_{0}, top100_{0}, squares_{0};
    DistributionSum ranked_{0};  // sum of j * x_j, j the descending rank from 1
};

/// The second walk over the same list, in descending order, once its count
/// and supply are known: the Nakamoto coefficient (the fewest of the largest
/// balances holding more than half the supply), the share buckets, and on
/// request the percentiles and the Lorenz curve's prefix sums. It stops as
/// soon as the deepest of them is reached: the Nakamoto count or the first
/// balance below 0.01% (at most 10,000 holders) by default, about half the
/// list for p50, and all but the poorest n/K holders for a Lorenz curve.
class RankWalk {
  public:
    RankWalk(uint64_t holders, const DistributionSum& supply, const DetailRequest& request);
    /// The next balance; false once nothing deeper is needed.
    bool add(const Balance& x);
    /// Whether it needs any balance at all.
    [[nodiscard]] bool wants_more() const { return !done(); }
    /// Fills in `d` (from DistributionSums::finish of the same list).
    void finish(Distribution& d) const;

  private:
    struct Target {
        uint64_t rank;   // descending, from 1: the prefix sum is taken after this many balances
        uint32_t point;  // the Lorenz point i it gives
    };
    [[nodiscard]] bool done() const;

    uint64_t holders_;
    DistributionSum supply_, half_, running_{0};
    uint64_t seen_{0};
    std::optional<uint64_t> nakamoto_;
    // Share buckets 0..2 by exact comparison x * d >= supply; the last is the rest.
    std::array<uint64_t, 3> bucket_holders_{};
    std::array<DistributionSum, 3> bucket_balance_{};
    bool buckets_done_{false};
    std::array<uint64_t, 3> percentile_rank_{};  // descending ranks of p50, p90, p99; 0: not asked
    std::array<Balance, 3> percentile_{};
    uint32_t lorenz_{0};
    std::vector<Target> targets_;  // ascending rank
    size_t next_target_{0};
    std::vector<DistributionSum> prefix_;  // by Lorenz point
};

/// The figures of `balances`. REQUIRES: sorted descending.
[[nodiscard]] Distribution distribution_of(std::span<const Balance> balances,
                                           const DetailRequest& request = {});

}  // namespace erc20::api
