#include "indexer/range_window.hpp"

#include <algorithm>

namespace erc20::indexer {

RangeWindow::RangeWindow(uint64_t max_range, First first)
    : max_(std::max<uint64_t>(1, max_range)), first_(first), size_(first_size()) {}

uint64_t RangeWindow::first_size() const {
    return first_ == First::kInitial ? kInitialRange : std::clamp<uint64_t>(kInitialRange, 1, max_);
}

void RangeWindow::fit(uint64_t blocks, size_t logs) {
    const double per_block = std::max(
        1e-3, static_cast<double>(logs) / static_cast<double>(std::max<uint64_t>(1, blocks)));
    const auto fitted = static_cast<uint64_t>(std::max(1.0, kTargetLogsPerRequest / per_block));
    size_ = std::clamp<uint64_t>(std::min(fitted, size_ * 2), 1, max_);
}

void RangeWindow::refused(const rpc::RpcError& e, BlockNum from) {
    size_ = e.suggested_to && *e.suggested_to >= from
                ? std::max<uint64_t>(1, std::min(size_ / 2, *e.suggested_to - from + 1))
                : std::max<uint64_t>(1, size_ / 2);
}

void RangeWindow::halve() { size_ = std::max<uint64_t>(1, size_ / 2); }

void RangeWindow::reset() { size_ = first_size(); }

}  // namespace erc20::indexer
