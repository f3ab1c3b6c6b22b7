#pragma once
// The adaptive eth_getLogs range: how many blocks the next request asks for.
// It starts small, follows the chain's density to about kTargetLogsPerRequest
// logs per answer (at most doubling per answer, never above --max-range), and
// shrinks when the node refuses a range (-32005, "too many results", a size
// limit: kRangeTooLarge, to the node's suggested end when it names one) or
// cannot answer it in time.
//
// A refusal also teaches the node's log limit (the number its message names,
// else the logs the refused range turned out to hold): from then on ranges
// aim at kLimitAim of it, so that blocks denser than the average do not cross
// it, shrink multiplicatively on a refusal and grow additively on an answer
// (AIMD), never doubling straight back to the size that was refused.

#include <cstdint>
#include <optional>

#include "common/types.hpp"
#include "rpc/types.hpp"

namespace erc20::indexer {

/// Logs one eth_getLogs answer should carry (~6 MB of JSON): ranges are sized
/// to the chain's density so memory stays bounded and progress is steady.
inline constexpr double kTargetLogsPerRequest = 10'000;
/// First range of a start, before the density is known.
inline constexpr uint64_t kInitialRange = 10;
/// The share of a learned log limit ranges aim at.
inline constexpr double kLimitAim = 0.35;

/// The limit a refusal's message names ("query returned more than 10000
/// results"), if it names one.
std::optional<uint64_t> named_log_limit(const rpc::RpcError& e);

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
    /// to that density (shrink for dense blocks, grow at most twofold, or
    /// additively once a limit is known).
    void fit(uint64_t blocks, size_t logs);
    /// The node refused a range starting at `from` as too large (kRangeTooLarge):
    /// halve, or down to the node's suggested last block when that is smaller.
    void refused(const rpc::RpcError& e, BlockNum from);
    /// The same for a refused range of `blocks` blocks that, split, turned out
    /// to hold `logs` logs: the node's limit is below that (or what it names).
    void refused(const rpc::RpcError& e, BlockNum from, uint64_t blocks, size_t logs);
    /// Halve (a timeout: a range the node cannot answer in time is too large for it).
    void halve();
    /// Back to the initial size (a new job); the learned limit stays.
    void reset();

    /// The node's log limit as learned (0: none known).
    [[nodiscard]] uint64_t log_limit() const { return limit_; }
    /// Adopts a limit learned before (from the database); 0 is ignored.
    void learn(uint64_t limit);
    /// Logs per answer aimed at: kTargetLogsPerRequest, or kLimitAim of the
    /// learned limit when that is lower.
    [[nodiscard]] double aim() const;

  private:
    [[nodiscard]] uint64_t first_size() const;

    uint64_t max_;
    First first_;
    uint64_t size_;
    uint64_t limit_{0};
    uint64_t step_{0};  // additive growth per answer once a refusal happened (0: doubling)
};

}  // namespace erc20::indexer
