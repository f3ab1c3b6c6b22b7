#pragma once
// The hand-over between a benchmark's decode thread and its writer: decoded
// ranges queued up to a bound in transfers (memory stays bounded however far
// the decoder runs ahead), and the decode thread stopped and joined on every
// way out of the writer's loop, errors included.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "indexer/fetch.hpp"

namespace erc20::bench {

class RangeQueue {
  public:
    /// At most `limit` transfers queued (one range more when the queue is empty).
    explicit RangeQueue(size_t limit) : limit_(limit) {}

    /// Decoder: queues `r` once there is room; false when the writer stopped.
    /// The time spent waiting for room is added to `*waited` when given.
    bool push(indexer::FetchedRange r, double* waited = nullptr);
    /// Decoder: no more ranges; `error` (when set) is rethrown by pop().
    void finish(std::exception_ptr error = nullptr);

    /// Writer: the next range, nullopt after the last one; rethrows the
    /// decoder's error once the ranges before it are taken. The time spent
    /// waiting is added to `*waited` when given.
    std::optional<indexer::FetchedRange> pop(double* waited = nullptr);
    /// Writer: another range is queued now (pop() will not wait).
    [[nodiscard]] bool more();
    /// Writer: gives up; push() returns false from now on.
    void stop();

    /// The most transfers that were queued at once.
    [[nodiscard]] size_t peak_transfers();

  private:
    std::mutex mutex_;
    std::condition_variable not_empty_;
    std::condition_variable not_full_;
    std::deque<indexer::FetchedRange> ranges_;
    const size_t limit_;
    size_t transfers_{0};
    size_t peak_transfers_{0};
    bool done_{false};
    bool stopped_{false};
    std::exception_ptr error_;
};

/// Runs `decode` on its own thread; any exception it throws ends the queue
/// with that error. The destructor stops the queue and joins the thread.
class DecodeThread {
  public:
    DecodeThread(RangeQueue& q, std::function<void(RangeQueue&)> decode);
    ~DecodeThread();
    DecodeThread(const DecodeThread&) = delete;
    DecodeThread& operator=(const DecodeThread&) = delete;

  private:
    RangeQueue& q_;
    std::thread thread_;
};

}  // namespace erc20::bench
