#pragma once
// The adaptive eth_getLogs range: how many blocks the next request asks for.
// It starts small, follows the chain's density to about kTargetLogsPerRequest
// logs per answer (at most doubling per answer, never above --max-range), and
// shrinks when the node refuses a range (-32005, "too many results", a size
// limit: kRangeTooLarge, to the node's suggested end when it names one) or
// cannot answer it in time.

#include <cstdint>

#include "common/types.hpp"
#include "rpc/types.hpp"

namespace erc20::indexer {

/// Logs one eth_getLogs answer should carry (~6 MB of JSON): ranges are sized
/// to the chain's density so memory stays bounded and progress is steady.
inline constexpr double kTargetLogsPerRequest = 10'000;
/// First range of a start, before the density is known.
inline constexpr uint64_t kInitialRange = 10;

class RangeWindow {
  public:
    /// How the first range relates to --max-range.
    enum class First {
        kClamped,  // kInitialRange, at most max_range (the main ingestion)
        kInitial,  // kInitialRange even above max_range (an add-tokens' first step, as it always
                   // was)
    };
    /// REQUIRES: max_range >= 1 (0 is taken as 1).
    explicit RangeWindow(uint64_t max_range, First first = First::kClamped);

    /// Blocks per request now, in [1, max_range].
    [[nodiscard]] uint64_t size() const { return size_; }
    /// An answer of `blocks` blocks carried `logs` logs: fit the next ranges
    /// to that density (shrink for dense blocks, grow at most twofold).
    void fit(uint64_t blocks, size_t logs);
    /// The node refused a range starting at `from` as too large (kRangeTooLarge):
    /// halve, or down to the node's suggested last block when that is smaller.
    void refused(const rpc::RpcError& e, BlockNum from);
    /// Halve (a timeout: a range the node cannot answer in time is too large for it).
    void halve();
    /// Back to the initial size (a new job).
    void reset();

  private:
    [[nodiscard]] uint64_t first_size() const;

    uint64_t max_;
    First first_;
    uint64_t size_;
};

}  // namespace erc20::indexer
