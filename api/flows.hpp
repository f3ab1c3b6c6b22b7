#pragma once
// The list behind /v1/tokens/{token}/flows: every account whose balance of a
// token changed between the end of block A - 1 and the end of block B, in
// the order a request asks for, with the counts of holders gained and lost.
// Computed once per (token, range, order) on a snapshot and kept in
// QueryCaches, so the pages of a walk cost a lookup each.

#include <cstdint>
#include <vector>

#include "storage/store.hpp"

namespace erc20::api {

/// The most transfers of the token a range may hold (reading them and a
/// balance per account they touch is the answer's cost); beyond, a 400.
inline constexpr size_t kMaxFlowTransfers = 250'000;

enum class FlowOrder { kGain, kLoss };

struct FlowList {
    bool too_many{false};  // the range holds more than kMaxFlowTransfers transfers
    std::vector<storage::View::AccountFlow> items;
    uint64_t gained_holders{0};  // before <= 0, after > 0
    uint64_t lost_holders{0};    // before > 0, after <= 0
};

/// The flows of [from_block, to_block] (to_block at or below v's cursor):
/// for kGain by change descending, for kLoss ascending, ties by account
/// ascending.
[[nodiscard]] FlowList flow_list(const storage::View& v, const Address& token, BlockNum from_block,
                                 BlockNum to_block, FlowOrder order);

}  // namespace erc20::api
