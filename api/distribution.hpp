#pragma once
// The maths of /v1/tokens/{token}/distribution: supply, top-10 and top-100
// shares, Gini coefficient, Nakamoto coefficient and Herfindahl-Hirschman
// index of a list of balances, as running sums over the list in rank order.
// Pure: no storage, no JSON.

#include <cstdint>
#include <optional>
#include <span>

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

struct Distribution {
    uint64_t holders{0};
    boost::multiprecision::cpp_int supply{0};  // sum of the balances, exact
    /// nullopt when there is no holder or the supply is 0.
    std::optional<Concentration> concentration;
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
    /// The figures, with the Nakamoto coefficient a second walk counted
    /// (NakamotoWalk: it needs the supply first).
    [[nodiscard]] Distribution finish(uint64_t nakamoto) const;

  private:
    uint64_t holders_{0};
    DistributionSum supply_{0}, top10_{0}, top100_{0}, squares_{0};
    DistributionSum ranked_{0};  // sum of j * x_j, j the descending rank from 1
};

/// The Nakamoto coefficient of a list of `supply`: the fewest of its largest
/// balances, given in descending order, holding more than half of it.
class NakamotoWalk {
  public:
    explicit NakamotoWalk(const DistributionSum& supply) : half_(supply / 2) {}
    /// False once the count is reached: the walk can stop.
    bool add(const Balance& x);
    [[nodiscard]] uint64_t count() const { return count_; }

  private:
    DistributionSum half_, running_{0};
    uint64_t count_{0};
};

/// The figures of `balances`. REQUIRES: sorted descending.
[[nodiscard]] Distribution distribution_of(std::span<const Balance> balances);

}  // namespace erc20::api
