#pragma once
// Decoding of the ABI return values that token metadata needs.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/types.hpp"

namespace erc20::rpc {

/// 4-byte selectors of the ERC20 metadata calls.
std::vector<uint8_t> selector_name();          // name()        0x06fdde03
std::vector<uint8_t> selector_symbol();        // symbol()      0x95d89b41
std::vector<uint8_t> selector_decimals();      // decimals()    0x313ce567
std::vector<uint8_t> selector_total_supply();  // totalSupply() 0x18160ddd
/// balanceOf(holder) 0x70a08231 + the holder as a 32-byte word.
std::vector<uint8_t> encode_balance_of(const Address& holder);

/// A string return value: ABI `string` (offset, length, bytes) or `bytes32`
/// (right-padded with zeros, as old tokens like MKR return). nullopt for
/// garbage: short data, offsets or lengths out of range, invalid UTF-8, or
/// control characters.
std::optional<std::string> decode_string(std::span<const uint8_t> ret);
/// The ABI encoding of one `string` return value, as a node answers name()
/// and symbol(): offset 32, length, the bytes padded to 32. For fake nodes.
std::vector<uint8_t> encode_string(std::string_view text);

/// A uint256 return value (exactly one 32-byte word, or longer with the first
/// word used). nullopt when shorter than 32 bytes.
std::optional<U256> decode_uint256(std::span<const uint8_t> ret);

/// decimals(): a uint8 in a 32-byte word; nullopt when the word exceeds 255.
std::optional<uint8_t> decode_decimals(std::span<const uint8_t> ret);

}  // namespace erc20::rpc
