// Control (the admin requests the ingestion thread serves), rewind and
// begin_add_tokens: the indexer's operations on behalf of an operator.
#include <algorithm>
#include <deque>
#include <iterator>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "common/log.hpp"
#include "indexer/indexer.hpp"

namespace erc20::indexer {

const char* to_string(State s) noexcept {
    switch (s) {
        case State::kStarting:
            return "starting";
        case State::kBackfilling:
            return "backfilling";
        case State::kFollowing:
            return "following";
        case State::kReindexing:
            return "reindexing";
        case State::kError:
            return "error";
    }
    return "unknown";
}

std::future<RewindResult> Control::request_rewind(std::optional<BlockNum> to_block, bool reindex) {
    Rewind r;
    r.to_block = to_block;
    r.reindex = reindex;
    auto f = r.done.get_future();
    {
        std::lock_guard lock(mutex_);
        if (!closed_.empty()) {
            r.done.set_exception(std::make_exception_ptr(std::runtime_error(closed_)));
            return f;
        }
        queue_.push_back(std::move(r));
    }
    cv_.notify_all();
    return f;
}

std::future<AddTokensResult> Control::request_add_tokens(std::vector<Address> tokens) {
    AddTokens r;
    r.tokens = std::move(tokens);
    auto f = r.done.get_future();
    {
        std::lock_guard lock(mutex_);
        add_queue_.push_back(std::move(r));
    }
    cv_.notify_all();
    return f;
}

namespace {

template <class T>
std::optional<T> pop_front(std::deque<T>& queue) {
    if (queue.empty()) return std::nullopt;
    T r = std::move(queue.front());
    queue.pop_front();
    return r;
}

}  // namespace

std::optional<Control::AddTokens> Control::take_add_tokens() {
    std::lock_guard lock(mutex_);
    return pop_front(add_queue_);
}

std::optional<Control::Rewind> Control::take() {
    std::lock_guard lock(mutex_);
    return pop_front(queue_);
}

void Control::cancel_all(const std::string& why) {
    std::lock_guard lock(mutex_);
    for (auto& r : queue_) r.done.set_exception(std::make_exception_ptr(std::runtime_error(why)));
    for (auto& r : add_queue_)
        r.done.set_exception(std::make_exception_ptr(std::runtime_error(why)));
    queue_.clear();
    add_queue_.clear();
    closed_ = why.empty() ? "cancelled" : why;
}

bool Control::pending() {
    std::lock_guard lock(mutex_);
    return !queue_.empty() || !add_queue_.empty();
}

bool Control::wait(std::stop_token& stop, std::chrono::steady_clock::duration d) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, stop, d, [this] { return !queue_.empty() || !add_queue_.empty(); });
    return !stop.stop_requested();
}

RewindResult rewind(storage::Store& store, rpc::Client& client, std::optional<BlockNum> to_block) {
    const auto start = store.cursor();
    RewindResult out;
    out.from_block = start ? start->block_num : 0;
    out.to_block = to_block;
    std::set<Address> touched;
    auto add = [&](const storage::RollbackResult& r) {
        out.transfers_undone += r.transfers_undone;
        out.tokens_removed += r.tokens_removed;
        touched.insert(r.touched_tokens.begin(), r.touched_tokens.end());
    };
    // A deep rewind goes down in atomic steps of at most kRewindStep transfers,
    // so no write batch grows with the depth; readers see the state as of some
    // block at every step. Intermediate cursors keep an unknown (zero) hash.
    // 100,000 transfers a step: ~580 MiB peak for a deep rollback (500,000: 1.08 GiB).
    constexpr size_t kRewindStep = 100'000;
    const BlockNum floor = to_block.value_or(0);
    for (auto cur = start; cur && cur->block_num > floor; cur = store.cursor()) {
        const BlockNum step = store.rollback_step(floor, kRewindStep);
        if (step <= floor) break;
        auto r = store.rollback(storage::Cursor{step, Hash{}});
        add(r);
        log::event(spdlog::level::info,
                   fmt::format("rewind: block {} -> {} ({} transfers undone), going on",
                               r.from_block, step, r.transfers_undone),
                   {{"from_block", r.from_block},
                    {"to_block", step},
                    {"transfers_undone", r.transfers_undone}});
    }
    std::optional<storage::Cursor> to;
    if (to_block) {
        to = storage::Cursor{*to_block, Hash{}};
        if (auto h = store.header(*to_block)) {
            to->hash = h->hash;
        } else if (auto node = client.header(*to_block); node && *node) {
            to->hash = (*node)->hash;
        }
    }
    add(store.rollback(to));
    out.touched_tokens.assign(touched.begin(), touched.end());
    if (!to_block || out.from_block > *to_block) {
        log::event(spdlog::level::info,
                   fmt::format(
                       "rewind: from block {} to {}, {} transfers undone, {} tokens removed",
                       out.from_block,
                       to_block ? std::to_string(*to_block) : std::string("before the first block"),
                       out.transfers_undone, out.tokens_removed),
                   {{"from_block", out.from_block},
                    {"to_block", to_block},
                    {"transfers_undone", out.transfers_undone},
                    {"tokens_removed", out.tokens_removed}});
    }
    return out;
}

AddTokensResult begin_add_tokens(storage::Store& store, std::vector<Address> tokens) {
    std::sort(tokens.begin(), tokens.end());
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    if (tokens.empty()) throw AddTokensRefused("add-tokens needs at least one token");
    const auto scope = store.scope();
    if (!scope) {
        throw AddTokensRefused(
            "the database has no stored --tokens filter yet: start the daemon on it once");
    }
    if (scope->tokens.empty()) {
        throw AddTokensRefused(
            "the database indexes every token (it was built without --tokens): nothing to add");
    }
    if (auto job = store.token_backfill()) {
        throw AddTokensRefused("an add-tokens of " + to_hex_list(job->tokens) +
                               " is in progress (at block " + std::to_string(job->next_block) +
                               "): wait for it to finish");
    }
    std::vector<Address> already;
    std::set_intersection(tokens.begin(), tokens.end(), scope->tokens.begin(), scope->tokens.end(),
                          std::back_inserter(already));
    if (!already.empty()) {
        throw AddTokensRefused("already indexed (in the stored --tokens): " + to_hex_list(already));
    }
    store.begin_token_backfill(storage::TokenBackfill{tokens, scope->start_block});
    const auto cursor = store.cursor();
    log::event(spdlog::level::info,
               fmt::format("add-tokens: {} from block {} to {}, then followed", to_hex_list(tokens),
                           scope->start_block,
                           cursor ? std::to_string(cursor->block_num) : std::string("the cursor")),
               {{"from_block", scope->start_block},
                {"to_block", cursor ? std::optional<BlockNum>(cursor->block_num) : std::nullopt},
                {"tokens", tokens.size()}});
    AddTokensResult out{std::move(tokens), scope->start_block, std::nullopt};
    if (cursor) out.to_block = cursor->block_num;
    return out;
}

}  // namespace erc20::indexer
