#pragma once
// Extraction: which logs are ERC20 transfers.

#include <optional>

#include "common/types.hpp"
#include "rpc/types.hpp"
#include "storage/store.hpp"

namespace erc20::indexer {

/// keccak256("Transfer(address,address,uint256)"), the topic0 shared by
/// ERC20 and ERC721 Transfer events.
inline constexpr Hash kTransferTopic{{0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b,
                                      0x69, 0xc2, 0xb0, 0x68, 0xfc, 0x37, 0x8d, 0xaa,
                                      0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4, 0xa1, 0x16,
                                      0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef}};

/// The ERC20 transfer a log carries, or nullopt when it is not one: topic0
/// must be kTransferTopic with exactly 3 topics (from and to indexed, their
/// upper 12 bytes zero) and exactly 32 bytes of data (the value). ERC721's
/// 4-topic Transfer and any other shape are not ERC20 transfers.
[[nodiscard]] std::optional<storage::Transfer> extract_transfer(const rpc::Log& log) noexcept;

}  // namespace erc20::indexer
