#include "api/query_caches.hpp"

#include <algorithm>

#include "common/hex.hpp"

namespace erc20::api {
namespace {

// cpp_int keeps small values inline; a larger supply's limbs are allocated.
size_t distribution_size(const Distribution& d) {
    const size_t limbs = d.supply.backend().size();
    return limbs > 2 ? limbs * sizeof(boost::multiprecision::limb_type) : 0;
}

// The part of a key every answer of `v` about `token` shares.
std::string token_key(const storage::View& v, const Address& token) {
    return to_hex(token) + "@h" + std::to_string(v.history_version());
}

// The balances of `token`'s holders at the end of `block_num` (none: at v's
// head) in rank order (descending), the addresses of `exclude` (sorted) left
// out, into `f` until it returns false.
template <class F>
void walk_balances(const storage::View& v, const Address& token, std::optional<BlockNum> block_num,
                   const std::vector<Address>& exclude, F&& f) {
    v.for_each_holder(token, block_num, [&](const storage::HolderItem& h) {
        return std::binary_search(exclude.begin(), exclude.end(), h.holder) || f(h.balance);
    });
}

}  // namespace

QueryCaches::QueryCaches(size_t budget_bytes)
    : distributions_("distribution", budget_bytes, distribution_size) {}

std::shared_ptr<const Distribution> QueryCaches::distribution(const storage::View& v,
                                                              const Address& token,
                                                              std::optional<BlockNum> block_num,
                                                              const std::vector<Address>& exclude) {
    std::string key = token_key(v, token) + "@";
    if (block_num) {
        key += std::to_string(*block_num);
    } else {
        const auto head = v.cursor();
        key += head ? "head" + std::to_string(head->block_num) + to_hex(head->hash) : "none";
    }
    for (const Address& a : exclude) key += "-" + to_hex(a);
    return distributions_.get_or_compute(key, [&] {
        // Two walks of one snapshot: the sums, then the largest balances up
        // to half the supply (usually a small part of the list).
        DistributionSums sums;
        walk_balances(v, token, block_num, exclude, [&](const Balance& b) {
            sums.add(b);
            return true;
        });
        NakamotoWalk nakamoto(sums.supply());
        if (sums.supply() > 0) {
            walk_balances(v, token, block_num, exclude,
                          [&](const Balance& b) { return nakamoto.add(b); });
        }
        return sums.finish(nakamoto.count());
    });
}

std::string QueryCaches::render_metrics() const {
    return render_cache_metrics({report_of(distributions_)});
}

}  // namespace erc20::api
