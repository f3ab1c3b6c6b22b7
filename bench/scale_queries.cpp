#include "bench/scale_queries.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <functional>

#include "bench/bench_common.hpp"
#include "bench/scale_chain.hpp"
#include "common/hex.hpp"

namespace erc20::bench {

namespace {

std::string cursor_of(const std::string& body) {
    const std::string tag = R"("next_cursor":")";
    const auto p = body.find(tag);
    if (p == std::string::npos) return {};
    const auto e = body.find('"', p + tag.size());
    return body.substr(p + tag.size(), e - p - tag.size());
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// Runs `one` (which returns false on an error answer) until max_queries or
// the budget (at least 3 runs), and summarizes the latencies.
QueryFigure latencies(const QueryPlan& plan, const std::string& token, const std::string& kind,
                      const std::function<bool()>& one) {
    QueryFigure f{token, kind};
    std::vector<double> ms;
    const auto t0 = Clock::now();
    while (f.queries < plan.max_queries && (f.queries < 3 || seconds_since(t0) < plan.budget_s)) {
        const auto q0 = Clock::now();
        if (!one()) ++f.errors;
        ms.push_back(1e3 * seconds_since(q0));
        ++f.queries;
    }
    f.p50_ms = percentile(ms, 0.5);
    f.p99_ms = percentile(ms, 0.99);
    f.max_ms = ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end());
    return f;
}

// One NDJSON export, read chunk by chunk as the server would, up to the budget.
QueryFigure export_rate(const api::Router& router, const QueryPlan& plan, const std::string& token,
                        const std::string& kind, const std::string& target) {
    QueryFigure f{token, kind};
    const auto t0 = Clock::now();
    api::Response r = router.handle("GET", target);
    f.queries = 1;
    if (r.status != 200) {
        f.errors = 1;
        return f;
    }
    auto count = [&](const std::string& s) {
        f.rows += static_cast<uint64_t>(std::count(s.begin(), s.end(), '\n'));
    };
    count(r.body);
    std::string chunk;
    while (r.stream && seconds_since(t0) < 4 * plan.budget_s) {
        chunk.clear();
        const bool more = r.stream(chunk);
        count(chunk);
        if (!more) break;
    }
    const double s = seconds_since(t0);
    f.p50_ms = f.p99_ms = f.max_ms = 1e3 * s;
    f.rows_per_s = static_cast<double>(f.rows) / s;
    return f;
}

}  // namespace

std::vector<QueryFigure> run_queries(const api::Router& router, const QueryPlan& plan,
                                     const Address& top, const Address& mid) {
    std::vector<QueryFigure> out;
    Rng rng(plan.seed ^ plan.head);
    auto past_block = [&] {
        return plan.first_block + rng.below(plan.head - plan.first_block + 1);
    };
    auto account = [&] {
        // Half hot accounts (Zipf over the first ranks), half uniform.
        const auto i = rng.unit() < 0.5 ? rng.below(std::min<uint64_t>(plan.addresses, 4096))
                                        : rng.below(plan.addresses);
        return to_hex(account_address(plan.seed, static_cast<uint32_t>(i)));
    };
    auto ok = [&](const std::string& target) { return router.handle("GET", target).status == 200; };
    // Not a structured binding: clang 14 (the fuzz and tsan presets) cannot capture one.
    for (const auto& which : {std::pair{"top", top}, std::pair{"mid", mid}}) {
        const char* const name = which.first;
        const auto& token = which.second;
        const std::string base = "/v1/tokens/" + to_hex(token);
        std::string cursor;
        out.push_back(latencies(plan, name, "holders page (limit=100, walking)", [&] {
            const auto r = router.handle(
                "GET", base + "/holders?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor));
            cursor = cursor_of(r.body);
            return r.status == 200;
        }));
        out.push_back(latencies(plan, name, "holders?block=N&limit=100", [&] {
            return ok(base + "/holders?limit=100&block=" + std::to_string(past_block()));
        }));
        out.push_back(export_rate(router, plan, name, "holders export (ndjson)",
                                  base + "/holders?format=ndjson"));
        out.push_back(
            export_rate(router, plan, name, "holders export ?block=N (ndjson)",
                        base + "/holders?format=ndjson&block=" + std::to_string(past_block())));
        out.push_back(
            latencies(plan, name, "distribution", [&] { return ok(base + "/distribution"); }));
        out.push_back(latencies(plan, name, "distribution?block=N", [&] {
            return ok(base + "/distribution?block=" + std::to_string(past_block()));
        }));
        out.push_back(latencies(plan, name, "single balance",
                                [&] { return ok(base + "/holders/" + account()); }));
        out.push_back(latencies(plan, name, "account transfers (limit=100, token)", [&] {
            return ok("/v1/accounts/" + account() + "/transfers?limit=100&token=" + to_hex(token));
        }));
    }
    out.push_back(latencies(plan, "-", "account transfers (limit=100)", [&] {
        return ok("/v1/accounts/" + account() + "/transfers?limit=100");
    }));
    // The chain series: every block in 1,000 items, 100 items from a random
    // block by a random step, and UTC days over the last ~300 days.
    const BlockNum blocks = plan.head - plan.first_block + 1;
    out.push_back(latencies(plan, "-", "chain series (1000 items, all blocks)", [&] {
        return ok("/v1/series?step=" + std::to_string((blocks + 999) / 1000));
    }));
    out.push_back(latencies(plan, "-", "chain series (100 items, random step)", [&] {
        const BlockNum from = past_block();
        const BlockNum step = 1 + rng.below(1 + (plan.head - from) / 100);
        return ok("/v1/series?from_block=" + std::to_string(from) +
                  "&to_block=" + std::to_string(std::min(plan.head, from + 100 * step - 1)) +
                  "&step=" + std::to_string(step));
    }));
    out.push_back(latencies(plan, "-", "chain series (period=day, <= 300 days)", [&] {
        const BlockNum from = plan.head - std::min<BlockNum>(blocks - 1, 300 * 7200 - 1);
        return ok("/v1/series?period=day&from_block=" + std::to_string(from));
    }));
    return out;
}

void print_queries(const std::vector<QueryFigure>& figures) {
    std::printf("  %-5s %-38s %7s %6s %10s %10s %10s %12s\n", "token", "query", "n", "errors",
                "p50 ms", "p99 ms", "max ms", "rows/s");
    for (const auto& f : figures) {
        char rate[32] = "";
        if (f.rows_per_s > 0 || f.rows > 0)
            std::snprintf(rate, sizeof rate, "%.0f (%" PRIu64 ")", f.rows_per_s, f.rows);
        std::printf("  %-5s %-38s %7zu %6zu %10.2f %10.2f %10.2f %12s\n", f.token.c_str(),
                    f.kind.c_str(), f.queries, f.errors, f.p50_ms, f.p99_ms, f.max_ms, rate);
    }
    std::fflush(stdout);
}

}  // namespace erc20::bench
