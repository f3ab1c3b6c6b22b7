#pragma once
// The shared vocabulary of erc20-indexer: block numbers, addresses, hashes and
// 256-bit amounts. Every module speaks these types; nothing here knows about
// JSON, RocksDB or HTTP.

#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string>

#include <boost/multiprecision/cpp_int.hpp>

#include "common/endian.hpp"

namespace erc20 {

using BlockNum = uint64_t;

/// An unsigned 256-bit amount: an ERC20 transfer value or a total supply.
using U256 = boost::multiprecision::uint256_t;

/// A signed balance. Sums of 256-bit transfer values cannot overflow 512 bits
/// in any realistic number of transfers, so a token whose events push a
/// balance below zero (or above 2^256) neither wraps nor crashes.
using Balance = boost::multiprecision::int512_t;

struct Address {
    std::array<uint8_t, 20> bytes{};
    friend auto operator<=>(const Address&, const Address&) = default;
    [[nodiscard]] bool is_zero() const noexcept {
        for (auto b : bytes) {
            if (b != 0) return false;
        }
        return true;
    }
};

struct Hash {
    std::array<uint8_t, 32> bytes{};
    friend auto operator<=>(const Hash&, const Hash&) = default;
};

struct AddressHasher {
    size_t operator()(const Address& a) const noexcept {
        return static_cast<size_t>(load_be64(a.bytes.data() + 12));
    }
};

}  // namespace erc20
