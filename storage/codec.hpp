#pragma once
// Byte codecs shared by the column families in storage/schema.hpp.
// Integers in keys are big-endian so that RocksDB's bytewise order is numeric
// order. Amounts in values are minimal big-endian (no leading zero bytes).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/endian.hpp"
#include "common/types.hpp"

namespace erc20::storage {

template <size_t N>
inline void put_bytes(std::string& out, const std::array<uint8_t, N>& b) {
    out.append(reinterpret_cast<const char*>(b.data()), N);
}
template <class T>
inline T get_fixed(std::string_view s, size_t at) {
    T t;
    for (size_t i = 0; i < t.bytes.size(); ++i) t.bytes[i] = static_cast<uint8_t>(s[at + i]);
    return t;
}

/// Minimal big-endian magnitude of an unsigned amount; zero is empty.
std::string u256_to_min_be(const U256& v);
U256 u256_from_min_be(std::string_view s);

/// Signed balance value: one sign byte (0 = positive, 1 = negative) followed by
/// the minimal big-endian magnitude (at most 64 bytes). Zero is never stored:
/// the row is deleted instead, so encode_balance(0) is only a sign byte.
std::string encode_balance(const Balance& v);
/// The same bytes into `out` (room for kMaxBalanceBytes); returns their count.
inline constexpr size_t kMaxBalanceBytes = 65;
size_t encode_balance(const Balance& v, char* out) noexcept;
/// nullopt on a corrupt value.
std::optional<Balance> decode_balance(std::string_view s);

/// Length-prefixed magnitude: one length byte then minimal big-endian bytes.
/// Used for the large counters (minted, burned) inside token stats.
void put_lp_balance(std::string& out, const Balance& nonneg);
std::optional<Balance> get_lp_balance(std::string_view s, size_t& at);

/// The non-negative balance of a magnitude stored with every byte
/// complemented (the holders ranking's keys, so that larger sorts first);
/// nullopt above 64 bytes.
std::optional<Balance> decode_complemented_magnitude(std::string_view s);
/// Magnitude of a positive balance, minimal big-endian.
std::string balance_magnitude(const Balance& positive);

}  // namespace erc20::storage
