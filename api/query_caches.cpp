#include "api/query_caches.hpp"

#include <algorithm>

#include "common/hex.hpp"

namespace erc20::api {
namespace {

// cpp_int keeps small values inline; a larger one's limbs are allocated.
size_t heap_size(const boost::multiprecision::cpp_int& x) {
    const size_t limbs = x.backend().size();
    return limbs > 2 ? limbs * sizeof(boost::multiprecision::limb_type) : 0;
}

size_t distribution_size(const Distribution& d) {
    size_t n = heap_size(d.supply) + d.lorenz.capacity() * sizeof(double);
    for (const auto& b : d.share_buckets) n += heap_size(b.balance);
    return n;
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

size_t flows_size(const FlowList& f) {
    return f.items.capacity() * sizeof(storage::View::AccountFlow);  // Balance is fixed-width
}

}  // namespace

QueryCaches::QueryCaches(size_t budget_bytes)
    : distributions_("distribution", budget_bytes, distribution_size),
      flows_("flows", budget_bytes, flows_size) {}

std::shared_ptr<const FlowList> QueryCaches::flows(const storage::View& v, const Address& token,
                                                   BlockNum from_block, BlockNum to_block,
                                                   FlowOrder order) {
    // (to_block at or below the cursor, history version) names the balances.
    const std::string key = token_key(v, token) + "@" + std::to_string(from_block) + "-" +
                            std::to_string(to_block) + (order == FlowOrder::kGain ? "g" : "l");
    return flows_.get_or_compute(key,
                                 [&] { return flow_list(v, token, from_block, to_block, order); });
}

std::shared_ptr<const Distribution> QueryCaches::distribution(const storage::View& v,
                                                              const Address& token,
                                                              std::optional<BlockNum> block_num,
                                                              const std::vector<Address>& exclude,
                                                              const DetailRequest& detail) {
    std::string key = token_key(v, token) + "@";
    if (block_num) {
        key += std::to_string(*block_num);
    } else {
        const auto head = v.cursor();
        key += head ? "head" + std::to_string(head->block_num) + to_hex(head->hash) : "none";
    }
    for (const Address& a : exclude) key += "-" + to_hex(a);
    key += "@l" + std::to_string(detail.lorenz) + (detail.percentiles ? "p" : "");
    return distributions_.get_or_compute(key, [&] {
        // Two walks of one snapshot: the sums, then the largest balances up
        // to half the supply (usually a small part of the list).
        DistributionSums sums;
        walk_balances(v, token, block_num, exclude, [&](const Balance& b) {
            sums.add(b);
            return true;
        });
        RankWalk ranks(sums.holders(), sums.supply(), detail);
        if (ranks.wants_more()) {
            walk_balances(v, token, block_num, exclude,
                          [&](const Balance& b) { return ranks.add(b); });
        }
        Distribution d = sums.finish();
        ranks.finish(d);
        return d;
    });
}

std::string QueryCaches::render_metrics(const std::vector<CacheReport>& others) const {
    std::vector<CacheReport> all{report_of(distributions_), report_of(flows_)};
    all.insert(all.end(), others.begin(), others.end());
    return render_cache_metrics(all);
}

}  // namespace erc20::api
