#include "admin/actions.hpp"

#include <filesystem>
#include <mutex>

#include "api/json.hpp"
#include "common/hex.hpp"
#include "config/settings.hpp"
#include "indexer/verify.hpp"

#ifndef ERC20_INDEXER_VERSION
#define ERC20_INDEXER_VERSION "0.0.0"
#endif

namespace erc20::admin {
namespace {

std::optional<uint64_t> decimal_param(const std::map<std::string, std::string>& params,
                                      const std::string& name) {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return parse_decimal_u64(it->second);
}

api::AdminAnswer rewind_answer(const indexer::RewindResult& r) {
    api::JsonWriter w;
    w.begin_object().field("from_block", r.from_block);
    if (r.to_block) w.field("to_block", *r.to_block);
    else
        w.field_null("to_block");
    w.field("transfers_undone", uint64_t{r.transfers_undone})
        .field("tokens_removed", uint64_t{r.tokens_removed});
    w.end_object();
    return {200, w.take()};
}

api::AdminAnswer add_tokens(const Context& ctx, const std::map<std::string, std::string>& params) {
    auto it = params.find("tokens");
    std::vector<Address> tokens;
    try {
        if (it != params.end()) tokens = config::parse_address_list("tokens", it->second);
    } catch (const config::ConfigError& e) {
        return api::admin_error(400, "bad_address", e.what());
    }
    if (tokens.empty())
        return api::admin_error(400, "bad_tokens",
                                "add-tokens needs tokens, comma-separated addresses");
    auto r = ctx.add_tokens(std::move(tokens));
    api::JsonWriter w;
    w.begin_object().key("tokens").begin_array();
    for (const auto& t : r.tokens) w.string(to_hex(t));
    w.end_array().field("from_block", r.from_block);
    if (r.to_block) w.field("to_block", *r.to_block);
    else
        w.field_null("to_block");
    w.end_object();
    return {200, w.take()};
}

api::AdminAnswer stopping(const std::string& what) {
    return api::admin_error(503, "stopping", "the daemon is stopping: " + what + " interrupted");
}

// The status, as GET /v1/status answers it (one shape whoever asks: the
// public route, POST /admin/v1/status, or the CLI on a stopped database).
api::AdminAnswer status_answer(const Context& ctx) {
    api::RouterOptions options;
    options.version = ERC20_INDEXER_VERSION;
    options.query_cache_bytes = 0;
    const api::Router router(
        ctx.store,
        [&ctx] {
            api::NodeStatus n = ctx.node();
            n.transfers_per_s = ctx.transfers_per_s();
            return n;
        },
        std::move(options));
    api::Response r = router.handle("GET", "/v1/status");
    return {r.status, std::move(r.body)};
}

api::AdminAnswer verify_answer(const indexer::VerifyReport& report) {
    api::JsonWriter w;
    w.begin_object().field("block", report.block).field("tokens", uint64_t{report.tokens});
    w.field("checked", uint64_t{report.checked});
    w.key("mismatches").begin_array();
    for (const auto& m : report.mismatches) {
        w.begin_object().field("token", to_hex(m.token)).field("holder", to_hex(m.holder));
        w.field("indexed", to_dec_string(m.indexed));
        if (m.chain) w.field("chain", to_dec_string(*m.chain));
        else
            w.field_null("chain");
        if (!m.error.empty()) w.field("error", m.error);
        w.end_object();
    }
    w.end_array().end_object();
    return {200, w.take()};
}

std::variant<api::AdminAnswer, Task> prepare_verify(
    const Context& ctx, const std::map<std::string, std::string>& params) {
    std::optional<Address> token;
    if (auto it = params.find("token"); it != params.end()) {
        token = parse_address(it->second);
        if (!token)
            return api::admin_error(400, "bad_address",
                                    "token '" + it->second + "' is not an address");
    }
    uint64_t sample = 0;
    if (params.count("sample")) {
        auto n = decimal_param(params, "sample");
        if (!n) return api::admin_error(400, "bad_sample", "sample must be a decimal number");
        sample = *n;
    }
    return Task([&ctx, token, sample](const ProgressFn& progress) {
        auto view = ctx.store.view();
        rpc::Client client(ctx.rpc);
        auto report =
            indexer::verify(view, client, token, sample, [&](size_t checked, size_t total) {
                return progress(Progress{checked, total, "balances"});
            });
        if (!report.complete) return stopping("verify");
        return verify_answer(report);
    });
}

std::variant<api::AdminAnswer, Task> prepare_backup(
    const Context& ctx, const std::map<std::string, std::string>& params) {
    auto it = params.find("to");
    if (it == params.end() || it->second.empty())
        return api::admin_error(400, "bad_to", "backup needs to, a folder path");
    if (std::filesystem::exists(it->second)) {
        return api::admin_error(400, "exists", "backup folder " + it->second + " already exists");
    }
    return Task([&ctx, dir = it->second](const ProgressFn&) {
        if (std::filesystem::exists(dir))
            return api::admin_error(400, "exists", "backup folder " + dir + " already exists");
        auto cursor = ctx.store.checkpoint(dir);
        api::JsonWriter w;
        w.begin_object().field("path", dir);
        if (cursor) w.field("block", cursor->block_num);
        else
            w.field_null("block");
        w.end_object();
        return api::AdminAnswer{200, w.take()};
    });
}

Task compact_task(const Context& ctx) {
    return [&ctx](const ProgressFn& progress) {
        uint64_t before = ctx.store.size_bytes();
        std::mutex mutex;  // families are compacted on two threads
        bool go_on = ctx.store.compact([&](size_t done, size_t total) {
            std::lock_guard lock(mutex);
            if (!progress(Progress{done, total, "column families"})) ctx.store.interrupt();
        });
        if (!go_on) return stopping("compaction");
        api::JsonWriter w;
        w.begin_object()
            .field("db_size_bytes_before", before)
            .field("db_size_bytes_after", ctx.store.size_bytes());
        w.end_object();
        return api::AdminAnswer{200, w.take()};
    };
}

Task rewind_task(const Context& ctx, std::optional<BlockNum> to, bool reindex) {
    return
        [&ctx, to, reindex](const ProgressFn&) { return rewind_answer(ctx.rewind(to, reindex)); };
}

// Runs a task, translating what it throws into a 500 answer.
Task guarded(Task task) {
    return [task = std::move(task)](const ProgressFn& progress) {
        try {
            return task(progress);
        } catch (const std::exception& e) {
            return api::admin_error(500, "failed", e.what());
        }
    };
}

}  // namespace

std::variant<api::AdminAnswer, Task> prepare_action(
    const Context& ctx, const std::string& action,
    const std::map<std::string, std::string>& params) {
    try {
        std::variant<api::AdminAnswer, Task> out;
        if (action == "status") return status_answer(ctx);
        if (action == "rollback") {
            auto to = decimal_param(params, "to_block");
            if (!to)
                return api::admin_error(400, "bad_to_block",
                                        "rollback needs to_block, a decimal block number");
            out = rewind_task(ctx, *to, false);
        } else if (action == "reindex") {
            auto from = decimal_param(params, "from_block");
            if (!from)
                return api::admin_error(400, "bad_from_block",
                                        "reindex needs from_block, a decimal block number");
            out = rewind_task(ctx, *from == 0 ? std::nullopt : std::optional<BlockNum>(*from - 1),
                              true);
        } else if (action == "verify") {
            out = prepare_verify(ctx, params);
        } else if (action == "backup") {
            out = prepare_backup(ctx, params);
        } else if (action == "compact") {
            out = compact_task(ctx);
        } else if (action == "add-tokens") {
            return add_tokens(ctx, params);  // quick: it queues the scoped reindex
        } else {
            return api::admin_error(404, "unknown_action", "no admin action '" + action + "'");
        }
        if (auto* task = std::get_if<Task>(&out)) return guarded(std::move(*task));
        return out;
    } catch (const indexer::AddTokensRefused& e) {
        return api::admin_error(400, "add_tokens_refused", e.what());
    } catch (const std::exception& e) {
        return api::admin_error(500, "failed", e.what());
    }
}

}  // namespace erc20::admin
