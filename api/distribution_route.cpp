// GET /v1/tokens/{token}/distribution?block&exclude&lorenz&percentiles: how
// concentrated the token's positive balances are, at the head or the end of
// a past block. Cost: one walk of the holders at that block, and a second
// as deep as the answer needs (RankWalk); answers are cached (QueryCaches).

#include <algorithm>

#include "api/analytics_routes.hpp"
#include "api/distribution.hpp"
#include "api/json.hpp"
#include "api/labels.hpp"
#include "common/hex.hpp"

namespace erc20::api {
namespace {

// The share of the supply each kShareBucketDivisors entry stands for.
double min_share(uint32_t divisor) { return divisor == 0 ? 0.0 : 1.0 / divisor; }

void write_concentration(JsonWriter& w, const std::optional<Concentration>& k) {
    if (!k) {
        for (const char* f : {"top10_share", "top100_share", "gini", "nakamoto", "hhi"}) {
            w.field_null(f);
        }
        return;
    }
    w.field("top10_share", k->top10_share)
        .field("top100_share", k->top100_share)
        .field("gini", k->gini)
        .field("nakamoto", k->nakamoto)
        .field("hhi", k->hhi);
}

void write_detail(JsonWriter& w, const Distribution& d, const DetailRequest& asked) {
    w.key("share_buckets").begin_array();
    for (size_t k = 0; k < d.share_buckets.size(); ++k) {
        w.begin_object()
            .field("min_share", min_share(kShareBucketDivisors[k]))
            .field("holders", d.share_buckets[k].holders)
            .field("balance", d.share_buckets[k].balance.str())
            .end_object();
    }
    w.end_array();
    if (asked.percentiles) {
        if (d.percentiles) {
            const auto& p = *d.percentiles;
            w.key("percentiles")
                .begin_object()
                .field("p50", to_dec_string(p[0]))
                .field("p90", to_dec_string(p[1]))
                .field("p99", to_dec_string(p[2]))
                .end_object();
        } else {
            w.field_null("percentiles");
        }
    }
    if (asked.lorenz > 0) {
        if (d.lorenz.empty()) {
            w.field_null("lorenz");
            return;
        }
        w.key("lorenz").begin_array();
        for (size_t i = 0; i < d.lorenz.size(); ++i) {
            w.begin_array()
                .number(static_cast<double>(i) / asked.lorenz)
                .number(d.lorenz[i])
                .end_array();
        }
        w.end_array();
    }
}

}  // namespace

Response serve_distribution(Call& c) {
    auto block = c.past_block();
    if (failed(block)) return c.fail(std::get<ApiError>(block));
    auto excluded = c.q.exclude();
    if (failed(excluded)) return c.fail(std::get<ApiError>(excluded));
    auto lorenz = c.q.integer("lorenz", 1, 1000);
    if (failed(lorenz)) return c.fail(std::get<ApiError>(lorenz));
    auto percentiles = c.q.flag("percentiles");
    if (failed(percentiles)) return c.fail(std::get<ApiError>(percentiles));
    std::set<std::string> categories;
    if (const std::string* cats = c.q.get("exclude_category")) {
        try {
            categories = parse_categories(*cats, "exclude_category");
        } catch (const LabelsError& e) {
            return c.fail(bad_request("bad_exclude_category", e.what()));
        }
    }
    const auto block_num = std::get<0>(block);
    // The labelled addresses of those categories join the listed ones (sorted, once each).
    std::vector<Address> exclude = std::get<0>(excluded);
    if (!categories.empty()) {
        const auto labelled = c.labels.set->in_categories(c.addrs[0], categories);
        exclude.insert(exclude.end(), labelled.begin(), labelled.end());
        std::sort(exclude.begin(), exclude.end());
        exclude.erase(std::unique(exclude.begin(), exclude.end()), exclude.end());
    }
    const DetailRequest asked{static_cast<uint32_t>(std::get<0>(lorenz).value_or(0)),
                              std::get<bool>(percentiles)};
    const std::string etag = c.validator(*c.view);
    if (auto r304 = c.not_modified(etag)) return *r304;
    const auto d = c.caches.distribution(*c.view, c.addrs[0], block_num, exclude, asked);
    JsonWriter w;
    w.begin_object();
    if (block_num) w.field("block", *block_num);
    else
        write_block(w, *c.view);
    w.field("token", to_hex(c.addrs[0]))
        .field("holders", d->holders)
        .field("supply", d->supply.str());
    write_concentration(w, d->concentration);
    write_detail(w, *d, asked);
    w.end_object();
    return c.finish(w, etag);
}

}  // namespace erc20::api
