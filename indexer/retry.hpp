#pragma once
// The retry policy of every node call the ingestion loop makes: back off
// exponentially with jitter up to --rpc-max-backoff-ms, honour Retry-After,
// report a failing node once and its return once, and give up only when the
// loop must stop or an admin request waits. Giving up is a result (Halt),
// not an exception: callers return on it up to the loop.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "indexer/indexer.hpp"
#include "rpc/types.hpp"

namespace erc20::indexer {

/// Why a wait for the node ended without an answer.
enum class Halt {
    kStop,     // the stop token was triggered: return up to run()
    kControl,  // an admin request (rollback, reindex, add-tokens) waits: serve it first
};

/// A value, or the Halt that ended the wait for it.
template <class T>
class [[nodiscard]] Retried {
  public:
    Retried(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    Retried(Halt h) : v_(h) {}                  // NOLINT(google-explicit-constructor)
    explicit operator bool() const noexcept { return v_.index() == 0; }
    T& operator*() { return std::get<0>(v_); }
    T* operator->() { return &std::get<0>(v_); }
    [[nodiscard]] Halt halt() const { return std::get<1>(v_); }

  private:
    std::variant<T, Halt> v_;
};

/// The wait before the next attempt: 200 ms doubling up to `max_backoff`,
/// jittered over the upper half so that several indexers behind one provider
/// do not retry in lockstep, and never shorter than the node's Retry-After.
class Backoff {
  public:
    explicit Backoff(std::chrono::milliseconds max_backoff, uint64_t seed = std::random_device{}());
    /// The wait after one more failure `e`.
    Clock::duration next(const rpc::RpcError& e);
    /// After a success: the next failure waits the shortest time again.
    void reset() { backoff_ = {}; }

  private:
    Clock::duration max_;
    Clock::duration backoff_{};
    std::mt19937_64 jitter_;
};

/// Counts a failed call in /metrics (erc20_ingest_retries_total).
void count_retry(const char* what, const rpc::RpcError& e);

/// Failure reporting and waiting for the ingestion loop. Used by one thread.
class Retrier {
  public:
    Retrier(std::chrono::milliseconds max_backoff, LiveStatus& status, Control& control,
            std::function<void()> heartbeat);

    /// Sleeps up to `d` (the heartbeat first), waking early on an admin
    /// request or a stop. False when stopping.
    bool sleep(std::stop_token& stop, Clock::duration d);
    /// A failed call: said once (the node is unreachable from then on),
    /// counted, then the backoff's wait.
    void failed(std::stop_token& stop, const char* what, const rpc::RpcError& e);
    /// `what` clears the failure only when it names the call that failed: a
    /// working eth_blockNumber says nothing about a failing eth_getLogs.
    void succeeded(const char* what);
    void beat() const {
        if (heartbeat_) heartbeat_();
    }
    /// While another call fails, asks the node for its head after the
    /// backoff's wait, at most once per `every` (eth_blockNumber often still answers when
    /// eth_getLogs is rate limited or held), so that node_block and the lag in /v1/status, /readyz
    /// and /metrics follow the node instead of freezing at the head seen before the failure. A
    /// failed probe says and counts nothing.
    void set_head_probe(std::function<rpc::Result<BlockNum>()> probe, Clock::duration every) {
        head_probe_ = std::move(probe);
        probe_every_ = every;
    }

    /// Calls `f` (returning an rpc::Result) until it succeeds; between
    /// attempts, failed(). Halt::kStop once stopping; Halt::kControl when an
    /// admin request waits after a failure (an operator's rollback must not
    /// wait for the node to come back; nothing is half done, as writes happen
    /// only in apply and rollback).
    template <class F>
    auto call(std::stop_token& stop, const char* what, F&& f)
        -> Retried<std::decay_t<decltype(f().value())>> {
        while (!stop.stop_requested()) {
            auto r = f();
            if (r) {
                succeeded(what);
                return std::move(r).value();
            }
            failed(stop, what, r.error());
            if (control_.pending()) return Halt::kControl;
        }
        return Halt::kStop;
    }

  private:
    Backoff backoff_;
    LiveStatus& status_;
    Control& control_;
    std::function<void()> heartbeat_;
    std::string failing_since_;  // the call that failed first; empty while the node answers
    std::function<rpc::Result<BlockNum>()> head_probe_;
    Clock::duration probe_every_{};
    Clock::time_point probed_at_{};

    void probe_head(std::stop_token& stop, const char* what);
};

}  // namespace erc20::indexer
