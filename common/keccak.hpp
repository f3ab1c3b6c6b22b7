#pragma once
// Keccak-256 as Ethereum uses it (the original Keccak padding, not SHA3-256),
// and the 2048-bit logs bloom filter of block headers.

#include <array>
#include <cstdint>
#include <span>

#include "common/types.hpp"

namespace erc20 {

[[nodiscard]] Hash keccak256(std::span<const uint8_t> data) noexcept;

/// Whether a header's logs bloom may contain `value` (an address or a topic):
/// false means certainly not; true may be a false positive.
[[nodiscard]] bool bloom_may_contain(const std::array<uint8_t, 256>& bloom,
                                     std::span<const uint8_t> value) noexcept;

}  // namespace erc20
