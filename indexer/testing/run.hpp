#pragma once
// Runs an indexer against a fake chain in a test: the options every indexer
// test starts from, and a run until a condition holds or a deadline passes.

#include <chrono>
#include <functional>
#include <stop_token>

#include "indexer/indexer.hpp"
#include "indexer/testing/deadlines.hpp"
#include "indexer/testing/fake_chain.hpp"

namespace erc20::indexer::testing {

/// Fast polls, no waits between retries, two fetch connections to `chain`.
inline IndexerOptions fake_options(FakeChain& chain) {
    IndexerOptions o;
    o.rpc.transport = chain.transport();
    o.poll_interval = std::chrono::milliseconds(5);
    o.reorg_window = 64;
    o.fetch_workers = 2;
    o.max_backoff = std::chrono::milliseconds(1);
    return o;
}

/// Runs an indexer until `done()`, asked at every heartbeat, holds; false
/// when `limit` (times kSlowdown) passed first.
inline bool run_until(storage::Store& store, IndexerOptions o, const std::function<bool()>& done,
                      std::chrono::seconds limit) {
    std::stop_source stop;
    const auto deadline = std::chrono::steady_clock::now() + limit * kSlowdown;
    bool timed_out = false;
    o.heartbeat = [&] {
        if (done()) stop.request_stop();
        if (std::chrono::steady_clock::now() > deadline) {
            timed_out = true;
            stop.request_stop();
        }
    };
    LiveStatus status;
    Control control;
    {
        Indexer ix(o, store, status, control);
        ix.run(stop.get_token());
    }
    return !timed_out;
}

}  // namespace erc20::indexer::testing
