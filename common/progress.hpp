#pragma once
// How far a backfill or reindex is: the indexer measures it, /v1/status and
// /metrics show it (a dashboard's progress bar).

#include <optional>

#include "common/types.hpp"

namespace erc20 {

struct SyncProgress {
    BlockNum from_block{0};    // the first block this run applies
    BlockNum target_block{0};  // the block it runs to (the node's head when it started)
    /// Measured over the last few seconds; none before the first measure.
    std::optional<double> blocks_per_s;
    std::optional<double> transfers_per_s;
    std::optional<double> eta_seconds;  // none while the rate is unknown or zero
};

}  // namespace erc20
