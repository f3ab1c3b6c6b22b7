#include "indexer/range_window.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace erc20::indexer {

std::optional<uint64_t> named_log_limit(const rpc::RpcError& e) {
    constexpr std::string_view kMoreThan = "more than ";
    const std::string_view m = e.message;
    const size_t at = m.find(kMoreThan);
    if (at == std::string_view::npos) return std::nullopt;
    uint64_t n = 0;
    size_t digits = 0;
    for (size_t i = at + kMoreThan.size(); i < m.size(); ++i) {
        if (m[i] == ',') continue;  // "10,000"
        if (!std::isdigit(static_cast<unsigned char>(m[i]))) break;
        if (++digits > 12) return std::nullopt;
        n = n * 10 + static_cast<uint64_t>(m[i] - '0');
    }
    return digits > 0 && n > 0 ? std::optional<uint64_t>(n) : std::nullopt;
}

RangeWindow::RangeWindow(uint64_t max_range, First first)
    : max_(std::max<uint64_t>(1, max_range)), first_(first), size_(first_size()) {}

uint64_t RangeWindow::first_size() const {
    return first_ == First::kInitial ? kInitialRange : std::clamp<uint64_t>(kInitialRange, 1, max_);
}

double RangeWindow::aim() const {
    if (limit_ == 0) return kTargetLogsPerRequest;
    return std::max(1.0, std::min(kTargetLogsPerRequest, kLimitAim * static_cast<double>(limit_)));
}

void RangeWindow::fit(uint64_t blocks, size_t logs) {
    const double per_block = std::max(
        1e-3, static_cast<double>(logs) / static_cast<double>(std::max<uint64_t>(1, blocks)));
    const auto fitted = static_cast<uint64_t>(std::max(1.0, aim() / per_block));
    const uint64_t grown = step_ == 0 ? size_ * 2 : size_ + step_;
    size_ = std::clamp<uint64_t>(std::min(fitted, grown), 1, max_);
}

void RangeWindow::refused(const rpc::RpcError& e, BlockNum from) {
    size_ = e.suggested_to && *e.suggested_to >= from
                ? std::max<uint64_t>(1, std::min(size_ / 2, *e.suggested_to - from + 1))
                : std::max<uint64_t>(1, size_ / 2);
}

void RangeWindow::refused(const rpc::RpcError& e, BlockNum from, uint64_t blocks, size_t logs) {
    const uint64_t was = size_;
    size_ = std::min(size_, std::max<uint64_t>(1, blocks));
    refused(e, from);
    if (auto named = named_log_limit(e)) {
        learn(*named);
    } else if (logs > 1) {
        learn(limit_ == 0 ? logs - 1 : std::min<uint64_t>(limit_, logs - 1));
    }
    // Grow back by a sixteenth of the size that was refused per answer.
    step_ = std::max<uint64_t>(1, std::max(was, blocks) / 16);
}

void RangeWindow::learn(uint64_t limit) {
    if (limit == 0) return;
    limit_ = limit;
}

void RangeWindow::halve() { size_ = std::max<uint64_t>(1, size_ / 2); }

void RangeWindow::reset() { size_ = first_size(); }

}  // namespace erc20::indexer
