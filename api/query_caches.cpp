#include "api/query_caches.hpp"

#include <algorithm>

#include "common/hex.hpp"

namespace erc20::api {
namespace {

size_t holders_size(const QueryCaches::HolderList& list) {
    return list.capacity() * sizeof(storage::HolderItem);
}

// cpp_int keeps small values inline; a larger supply's limbs are allocated.
size_t distribution_size(const Distribution& d) {
    const size_t limbs = d.supply.backend().size();
    return limbs > 2 ? limbs * sizeof(boost::multiprecision::limb_type) : 0;
}

// The part of a key every answer of `v` about `token` shares.
std::string token_key(const storage::View& v, const Address& token) {
    return to_hex(token) + "@h" + std::to_string(v.history_version());
}

// Balances in rank order (descending), excluded addresses left out.
template <class Each>
std::vector<Balance> kept_balances(const std::vector<Address>& exclude, Each&& each) {
    std::vector<Balance> balances;
    each([&](const storage::HolderItem& h) {
        if (!std::binary_search(exclude.begin(), exclude.end(), h.holder))
            balances.push_back(h.balance);
    });
    return balances;
}

}  // namespace

QueryCaches::QueryCaches(size_t budget_bytes)
    : holders_("past_holders", budget_bytes - budget_bytes / 8, holders_size),
      distributions_("distribution", budget_bytes / 8, distribution_size) {}

QueryCaches::Holders QueryCaches::past_holders(const storage::View& v, const Address& token,
                                               BlockNum block_num) {
    const std::string key = token_key(v, token) + "@" + std::to_string(block_num);
    return holders_.get_or_compute(key, [&] {
        HolderList list = v.holders_at(token, block_num);
        list.shrink_to_fit();  // kept for long: up to half of a grown vector is slack
        return list;
    });
}

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
        std::vector<Balance> balances;
        if (block_num) {
            const Holders all = past_holders(v, token, *block_num);
            balances = kept_balances(exclude, [&](auto take) {
                for (const auto& h : *all) take(h);
            });
        } else {
            balances = kept_balances(exclude, [&](auto take) {
                std::optional<storage::Position> pos, next;
                do {
                    for (const auto& h : v.holders(token, pos, 10000, next)) take(h);
                    pos = next;
                } while (next);
            });
        }
        return distribution_of(balances);
    });
}

std::string QueryCaches::render_metrics() const {
    return render_cache_metrics({report_of(holders_), report_of(distributions_)});
}

}  // namespace erc20::api
