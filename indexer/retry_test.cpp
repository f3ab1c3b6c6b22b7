#include "indexer/retry.hpp"

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

using namespace erc20;
using namespace erc20::indexer;
using namespace std::chrono_literals;

namespace {

rpc::RpcError transport_error() {
    rpc::RpcError e;
    e.kind = rpc::RpcError::Kind::kTransport;
    e.message = "connection refused (test)";
    return e;
}

// A retry loop with a 1 ms backoff cap.
struct Fixture {
    LiveStatus status;
    Control control;
    Retrier retrier{std::chrono::milliseconds(1), status, control, {}};
    std::stop_source stop;
    std::stop_token token = stop.get_token();
    Fixture() { spdlog::set_level(spdlog::level::off); }
};

bool within(Clock::duration d, std::chrono::milliseconds lo, std::chrono::milliseconds hi) {
    return d >= lo && d <= hi;
}

}  // namespace

TEST_CASE("the backoff doubles from 200 ms to its cap, jittered over the upper half",
          "[indexer][retry]") {
    Backoff b(1000ms, 1);
    const auto e = transport_error();
    CHECK(within(b.next(e), 100ms, 200ms));
    CHECK(within(b.next(e), 200ms, 400ms));
    CHECK(within(b.next(e), 400ms, 800ms));
    CHECK(within(b.next(e), 500ms, 1000ms));
    CHECK(within(b.next(e), 500ms, 1000ms));
    SECTION("a success starts it over") {
        b.reset();
        CHECK(within(b.next(e), 100ms, 200ms));
    }
}

TEST_CASE("Retry-After is honoured, above the backoff's cap too", "[indexer][retry]") {
    auto e = transport_error();
    e.kind = rpc::RpcError::Kind::kRateLimited;
    e.retry_after_ms = 5000;
    Backoff b(1000ms, 2);
    CHECK(b.next(e) >= 5000ms);
    CHECK(b.next(e) >= 5000ms);

    SECTION("the retry loop waits that long before calling again") {
        Fixture f;
        int calls = 0;
        e.retry_after_ms = 150;
        const auto t0 = Clock::now();
        auto r = f.retrier.call(f.token, "eth_blockNumber", [&]() -> rpc::Result<BlockNum> {
            if (calls++ == 0) return e;
            return BlockNum{42};
        });
        REQUIRE(r);
        CHECK(*r == 42);
        CHECK(calls == 2);
        CHECK(Clock::now() - t0 >= 150ms);
    }
}

TEST_CASE("a retried call gives up only on stop", "[indexer][retry]") {
    Fixture f;
    // References, not a structured binding: clang 14 cannot capture those in lambdas.
    LiveStatus& status = f.status;
    Control& control = f.control;
    Retrier& retrier = f.retrier;
    std::stop_source& stop = f.stop;
    std::stop_token& token = f.token;
    std::atomic<int> calls{0};

    SECTION("failures are retried until the node answers") {
        auto r = retrier.call(token, "eth_chainId", [&]() -> rpc::Result<uint64_t> {
            if (calls++ < 5) return transport_error();
            return uint64_t{1};
        });
        REQUIRE(r);
        CHECK(*r == 1);
        CHECK(calls == 6);
        CHECK(status.node_reachable.load());
    }
    SECTION("a node that never answers is retried until the stop, which is a result") {
        std::thread stopper([&] {
            while (calls.load() < 20) std::this_thread::sleep_for(1ms);
            stop.request_stop();
        });
        auto r = retrier.call(token, "eth_chainId", [&]() -> rpc::Result<uint64_t> {
            ++calls;
            return transport_error();
        });
        stopper.join();
        REQUIRE_FALSE(r);
        CHECK(r.halt() == Halt::kStop);
        CHECK(calls >= 20);
        CHECK_FALSE(status.node_reachable.load());
    }
    SECTION("a waiting admin request ends the wait after a failure, so it is served first") {
        auto pending = control.request_rewind(BlockNum{1}, false);
        auto r = retrier.call(token, "eth_chainId", [&]() -> rpc::Result<uint64_t> {
            ++calls;
            return transport_error();
        });
        REQUIRE_FALSE(r);
        CHECK(r.halt() == Halt::kControl);
        CHECK(calls == 1);
    }
    SECTION("a stop before the first call makes none") {
        stop.request_stop();
        auto r = retrier.call(token, "eth_chainId", [&]() -> rpc::Result<uint64_t> {
            ++calls;
            return uint64_t{1};
        });
        CHECK_FALSE(r);
        CHECK(calls == 0);
    }
}

TEST_CASE("while another call fails, the node's head is probed, at most once per period",
          "[indexer][retry]") {
    Fixture f;
    LiveStatus& status = f.status;
    Retrier& retrier = f.retrier;
    std::stop_token& token = f.token;
    status.node_block.store(10);
    int probes = 0;
    BlockNum node_head = 13;
    retrier.set_head_probe(
        [&]() -> rpc::Result<BlockNum> {
            ++probes;
            return node_head;
        },
        1h);
    int calls = 0;
    auto r = retrier.call(token, "eth_getLogs", [&]() -> rpc::Result<uint64_t> {
        if (calls++ < 3) return transport_error();
        return uint64_t{1};
    });
    REQUIRE(r);
    CHECK(probes == 1);  // three failures, one period
    CHECK(status.node_block.load() == 13);

    SECTION("a failing eth_blockNumber is not probed with itself") {
        retrier.set_head_probe(
            [&]() -> rpc::Result<BlockNum> {
                ++probes;
                return node_head;
            },
            0ms);
        probes = 0;
        retrier.failed(token, "eth_blockNumber", transport_error());
        CHECK(probes == 0);
    }
    SECTION("a rate-limited probe makes the retry wait its Retry-After") {
        retrier.set_head_probe(
            [&]() -> rpc::Result<BlockNum> {
                auto e = transport_error();
                e.kind = rpc::RpcError::Kind::kRateLimited;
                e.retry_after_ms = 60;
                return e;
            },
            0ms);
        const auto t0 = Clock::now();
        retrier.failed(token, "eth_getLogs", transport_error());
        CHECK(Clock::now() - t0 >= 60ms);
    }
    SECTION("a failed probe leaves the last head") {
        retrier.set_head_probe(
            [&]() -> rpc::Result<BlockNum> {
                ++probes;
                return transport_error();
            },
            0ms);
        retrier.failed(token, "eth_getLogs", transport_error());
        CHECK(status.node_block.load() == 13);
    }
}
