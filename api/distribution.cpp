#include "api/distribution.hpp"

namespace erc20::api {
namespace {

using boost::multiprecision::cpp_int;

long double ratio(const cpp_int& a, const cpp_int& b) {
    if (b == 0) return 0;
    // Scale into range first: both can exceed long double's exact range, not its exponent range.
    return a.convert_to<long double>() / b.convert_to<long double>();
}

}  // namespace

Distribution distribution_of(std::span<const Balance> balances) {
    Distribution d;
    cpp_int top10 = 0, top100 = 0, squares = 0, gini_num = 0, running = 0;
    const auto n = static_cast<int64_t>(balances.size());
    for (const auto& b : balances) d.supply += cpp_int(b);
    std::optional<uint64_t> nakamoto;
    for (int64_t j = 1; j <= n; ++j) {
        const cpp_int x(balances[static_cast<size_t>(j - 1)]);
        if (j <= 10) top10 += x;
        if (j <= 100) top100 += x;
        squares += x * x;
        // Gini = sum over ascending rank i of (2i - n - 1) x_i / (n * supply); j is the descending
        // rank.
        gini_num += cpp_int(n + 1 - 2 * j) * x;
        running += x;
        if (!nakamoto && running * 2 > d.supply) nakamoto = static_cast<uint64_t>(j);
    }
    d.holders = static_cast<uint64_t>(n);
    if (n == 0 || d.supply == 0) return d;
    Concentration c;
    c.top10_share = static_cast<double>(ratio(top10, d.supply));
    c.top100_share = static_cast<double>(ratio(top100, d.supply));
    c.gini = static_cast<double>(ratio(gini_num, cpp_int(n) * d.supply));
    c.nakamoto = nakamoto.value_or(0);
    c.hhi = static_cast<double>(ratio(squares, d.supply * d.supply));
    d.concentration = c;
    return d;
}

}  // namespace erc20::api
