#pragma once
// bench/scale's queries (issue #13 point 2), through api::Router::handle:
// the code path of the HTTP routes without the socket.

#include <cstdint>
#include <string>
#include <vector>

#include "api/routes.hpp"
#include "common/types.hpp"

namespace erc20::bench {

struct QueryPlan {
    uint64_t seed{1};
    uint64_t addresses{0};    // accounts are account_address(seed, i), i below this
    BlockNum first_block{0};  // random past blocks in [first_block, head]
    BlockNum head{0};
    size_t max_queries{300};  // per kind
    double budget_s{15};      // per kind: stop after this much time (at least 3 queries)
};

/// One row of the query table: latencies in ms, or rows/s for an export.
struct QueryFigure {
    std::string token;  // "top" or "mid"
    std::string kind;
    size_t queries{0};
    size_t errors{0};
    double p50_ms{0}, p99_ms{0}, max_ms{0};
    uint64_t rows{0};
    double rows_per_s{0};  // exports only
};

std::vector<QueryFigure> run_queries(const api::Router& router, const QueryPlan& plan,
                                     const Address& top, const Address& mid);
void print_queries(const std::vector<QueryFigure>& figures);

}  // namespace erc20::bench
