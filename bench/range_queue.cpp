#include "bench/range_queue.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace erc20::bench {
namespace {
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}
}  // namespace

bool RangeQueue::push(indexer::FetchedRange r, double* waited) {
    std::unique_lock lock(mutex_);
    const auto t0 = Clock::now();
    not_full_.wait(lock, [&] {
        return stopped_ || ranges_.empty() || transfers_ + r.transfers.size() <= limit_;
    });
    if (waited) *waited += since(t0);
    if (stopped_) return false;
    transfers_ += r.transfers.size();
    peak_transfers_ = std::max(peak_transfers_, transfers_);
    ranges_.push_back(std::move(r));
    lock.unlock();
    not_empty_.notify_one();
    return true;
}

void RangeQueue::finish(std::exception_ptr error) {
    {
        std::lock_guard lock(mutex_);
        done_ = true;
        if (error) error_ = std::move(error);
    }
    not_empty_.notify_one();
}

std::optional<indexer::FetchedRange> RangeQueue::pop(double* waited) {
    std::unique_lock lock(mutex_);
    const auto t0 = Clock::now();
    not_empty_.wait(lock, [&] { return !ranges_.empty() || done_; });
    if (waited) *waited += since(t0);
    if (ranges_.empty()) {
        if (error_) std::rethrow_exception(error_);
        return std::nullopt;
    }
    indexer::FetchedRange r = std::move(ranges_.front());
    ranges_.pop_front();
    transfers_ -= r.transfers.size();
    lock.unlock();
    not_full_.notify_one();
    return r;
}

bool RangeQueue::more() {
    std::lock_guard lock(mutex_);
    return !ranges_.empty();
}

void RangeQueue::stop() {
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
    }
    not_full_.notify_one();
}

size_t RangeQueue::peak_transfers() {
    std::lock_guard lock(mutex_);
    return peak_transfers_;
}

DecodeThread::DecodeThread(RangeQueue& q, std::function<void(RangeQueue&)> decode)
    : q_(q), thread_([&q, decode = std::move(decode)] {
          try {
              decode(q);
              q.finish();
          } catch (...) {
              q.finish(std::current_exception());
          }
      }) {}

DecodeThread::~DecodeThread() {
    q_.stop();
    thread_.join();
}

}  // namespace erc20::bench
