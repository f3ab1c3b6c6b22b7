#pragma once
// The maths of /v1/tokens/{token}/distribution: supply, top-10 and top-100
// shares, Gini coefficient, Nakamoto coefficient and Herfindahl-Hirschman
// index of a list of balances. Pure: no storage, no JSON.

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

/// The figures of `balances`. REQUIRES: sorted descending (the holders
/// list's order). Sums and squares are exact (arbitrary precision); only
/// the final ratios are rounded.
[[nodiscard]] Distribution distribution_of(std::span<const Balance> balances);

}  // namespace erc20::api
