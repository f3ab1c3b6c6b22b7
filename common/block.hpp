#pragma once
// One block header, as every module speaks of it: the node's answer (rpc/,
// which adds the logs bloom), the checks of the indexer and the headers
// storage keeps for reorg detection.

#include <cstdint>

#include "common/types.hpp"

namespace erc20 {

struct BlockHeader {
    BlockNum block_num{0};
    Hash hash;
    Hash parent_hash;
    uint64_t timestamp{0};
    friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

}  // namespace erc20
