#include "indexer/retry.hpp"

#include <algorithm>
#include <string_view>

#include <spdlog/spdlog.h>

#include "common/metrics.hpp"

namespace erc20::indexer {

Backoff::Backoff(std::chrono::milliseconds max_backoff, uint64_t seed)
    : max_(max_backoff), jitter_(seed) {}

Clock::duration Backoff::next(const rpc::RpcError& e) {
    using namespace std::chrono_literals;
    backoff_ = backoff_ == Clock::duration{} ? std::min<Clock::duration>(200ms, max_)
                                             : std::min<Clock::duration>(backoff_ * 2, max_);
    const auto half = std::chrono::duration_cast<std::chrono::milliseconds>(backoff_).count() / 2;
    Clock::duration wait = std::chrono::milliseconds(
        half + static_cast<int64_t>(jitter_() % static_cast<uint64_t>(half + 1)));
    if (e.retry_after_ms)
        wait = std::max<Clock::duration>(wait, std::chrono::milliseconds(*e.retry_after_ms));
    return wait;
}

void count_retry(const char* what, const rpc::RpcError& e) {
    metrics::registry().inc("erc20_ingest_retries_total",
                            "failed node calls the indexer retried, by call and kind",
                            std::string("call=\"") + what + "\",kind=\"" + e.kind_name() + "\"");
}

Retrier::Retrier(std::chrono::milliseconds max_backoff, LiveStatus& status, Control& control,
                 std::function<void()> heartbeat)
    : backoff_(max_backoff), status_(status), control_(control), heartbeat_(std::move(heartbeat)) {}

bool Retrier::sleep(std::stop_token& stop, Clock::duration d) {
    beat();
    return control_.wait(stop, d);
}

void Retrier::failed(std::stop_token& stop, const char* what, const rpc::RpcError& e) {
    if (stop.stop_requested()) return;  // a call aborted by the stop itself
    if (failing_since_.empty()) {
        spdlog::warn("node: {} failed ({}); retrying until it answers", what, e.to_string());
        failing_since_ = what;
        status_.node_reachable.store(false);
    } else {
        spdlog::debug("node: {} failed again: {}", what, e.to_string());
    }
    const auto wait = backoff_.next(e);
    count_retry(what, e);
    // The probe goes after the wait, so that a Retry-After covers it too.
    if (sleep(stop, wait) && !control_.pending()) probe_head(stop, what);
}

void Retrier::probe_head(std::stop_token& stop, const char* what) {
    if (!head_probe_ || std::string_view(what) == "eth_blockNumber") return;
    const auto now = Clock::now();
    if (probed_at_ != Clock::time_point{} && now - probed_at_ < probe_every_) return;
    probed_at_ = now;
    auto head = head_probe_();
    if (head) {
        status_.node_block.store(*head);
    } else if (head.error().retry_after_ms) {
        // The probe was rate limited: the retry that follows waits as asked.
        sleep(stop, std::chrono::milliseconds(*head.error().retry_after_ms));
    }
}

void Retrier::succeeded(const char* what) {
    if (!failing_since_.empty() && failing_since_ == what) {
        spdlog::info("node: answering again");
        failing_since_.clear();
        status_.node_reachable.store(true);
    }
    backoff_.reset();
}

}  // namespace erc20::indexer
