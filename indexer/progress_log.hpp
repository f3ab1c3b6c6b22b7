#pragma once
// The indexer's progress lines: readable text, and in --log-format json the
// figures as fields (common/log.hpp).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/progress.hpp"
#include "common/types.hpp"

namespace erc20::indexer {

/// "1h02m03s"; "?" for a negative (unknown) or absurd estimate.
[[nodiscard]] std::string format_eta(double seconds);

/// Where a backfill or reindex of the main cursor is.
struct RangeProgress {
    std::string_view state;  // backfilling or reindexing
    BlockNum block{0};
    BlockNum to_block{0};
    double percent{0};
    double blocks_per_s{0};
    double transfers_per_s{0};
    double eta_s{-1};  // negative: unknown
};
void log_range_progress(const RangeProgress& p);

/// Measures a backfill or reindex of the main cursor from where it started:
/// the progress after every range, the rates (and a log line) every 5 s.
class ProgressMeter {
  public:
    /// A run starts after `origin` (0% of the way), with `transfers` applied so far.
    void restart(BlockNum origin, uint64_t transfers);
    /// The cursor is at `at` of `target`, `transfers` applied since the
    /// daemon started; `force` measures and logs now (the target reached).
    SyncProgress update(std::string_view state, BlockNum at, BlockNum target, uint64_t transfers,
                        bool force);

  private:
    [[nodiscard]] double percent_done(BlockNum at, BlockNum target) const;

    std::chrono::steady_clock::time_point at_ = std::chrono::steady_clock::now();
    BlockNum origin_{0};
    BlockNum block_{0};  // at the last measure
    uint64_t transfers_{0};
    std::optional<std::pair<double, double>> rates_;  // blocks/s, transfers/s
};

/// Where an add-tokens is: `transfers` of its tokens so far.
void log_add_tokens_progress(BlockNum at, BlockNum to_block, double blocks_per_s,
                             uint64_t transfers, double eta_s);

/// An add-tokens done: `tokens` indexed from `from_block` to `to_block`; the
/// filter now holds `following` tokens.
void log_add_tokens_done(const std::vector<Address>& tokens, BlockNum from_block, BlockNum to_block,
                         uint64_t transfers, double elapsed_s, size_t following);

}  // namespace erc20::indexer
