#pragma once
// Strict hex codecs for the JSON-RPC boundary and the HTTP API.
//
// QUANTITY: "0x" followed by at least one hex digit, no leading zero unless the
// value is exactly "0x0" (Ethereum JSON-RPC spec). DATA: "0x" followed by an
// even number of hex digits. Anything else is rejected with std::nullopt.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.hpp"

namespace erc20 {

/// The value of one hex digit, either case; -1 for any other character. The
/// one hex digit decoder: every parser here, rpc/'s log decoder and the
/// API's percent-decoding use it.
[[nodiscard]] constexpr int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Parses a QUANTITY that fits in 64 bits ("0x1a" -> 26).
[[nodiscard]] std::optional<uint64_t> parse_quantity_u64(std::string_view s) noexcept;

/// Parses a QUANTITY of up to 256 bits.
[[nodiscard]] std::optional<U256> parse_quantity_u256(std::string_view s) noexcept;

/// "0x" + exactly 40 hex digits, either case (checksummed addresses are accepted).
[[nodiscard]] std::optional<Address> parse_address(std::string_view s) noexcept;

/// "0x" + exactly 64 hex digits.
[[nodiscard]] std::optional<Hash> parse_hash(std::string_view s) noexcept;

/// "0x" + an even number of hex digits.
[[nodiscard]] std::optional<std::vector<uint8_t>> parse_data(std::string_view s);

/// An even number of hex digits without a prefix (the API's cursors).
[[nodiscard]] std::optional<std::vector<uint8_t>> parse_hex_digits(std::string_view s);

/// Parses a decimal unsigned 64-bit integer without sign, spaces or overflow.
[[nodiscard]] std::optional<uint64_t> parse_decimal_u64(std::string_view s) noexcept;

/// Lowercase "0x"-prefixed hex of raw bytes.
[[nodiscard]] std::string to_hex(std::span<const uint8_t> bytes);
[[nodiscard]] std::string to_hex(const Address& a);
[[nodiscard]] std::string to_hex(const Hash& h);
/// Comma-separated to_hex of each address ("" for none), as --tokens takes them.
[[nodiscard]] std::string to_hex_list(std::span<const Address> addresses);

/// A QUANTITY for a request ("0x0", "0x1a").
[[nodiscard]] std::string to_quantity(uint64_t v);

/// 32-byte big-endian word -> U256. REQUIRES: word.size() <= 32.
[[nodiscard]] U256 u256_from_be(std::span<const uint8_t> word) noexcept;

/// U256 -> 32-byte big-endian word, left-padded with zeros.
[[nodiscard]] std::array<uint8_t, 32> u256_to_be(const U256& v) noexcept;

/// Decimal string of an amount or a balance ("-12" for a negative balance).
[[nodiscard]] std::string to_dec_string(const U256& v);
[[nodiscard]] std::string to_dec_string(const Balance& v);

}  // namespace erc20
