#include "rpc/abi.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "common/hex.hpp"

namespace erc20::rpc {
namespace {

constexpr size_t kWord = 32;

// A word as a size, or nullopt when it does not fit `limit`.
std::optional<size_t> word_as_size(std::span<const uint8_t> word, size_t limit) {
    const U256 v = u256_from_be(word.first(kWord));
    if (v > limit) return std::nullopt;
    return static_cast<size_t>(v);
}

// Text fit for a token name or symbol: valid UTF-8 without control characters.
std::optional<std::string> to_text(std::span<const uint8_t> bytes) {
    // Fixed-size names are padded with zero bytes: drop the padding.
    while (!bytes.empty() && bytes.back() == 0) bytes = bytes.first(bytes.size() - 1);
    if (std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b < 0x20 || b == 0x7f; })) {
        return std::nullopt;
    }
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (!simdjson::validate_utf8(text)) return std::nullopt;
    return std::string(text);
}

}  // namespace

std::vector<uint8_t> selector_name() { return {0x06, 0xfd, 0xde, 0x03}; }
std::vector<uint8_t> selector_symbol() { return {0x95, 0xd8, 0x9b, 0x41}; }
std::vector<uint8_t> selector_decimals() { return {0x31, 0x3c, 0xe5, 0x67}; }
std::vector<uint8_t> selector_total_supply() { return {0x18, 0x16, 0x0d, 0xdd}; }

std::vector<uint8_t> encode_balance_of(const Address& holder) {
    std::vector<uint8_t> out(4 + kWord, 0);
    constexpr std::array<uint8_t, 4> kSelector{0x70, 0xa0, 0x82, 0x31};
    std::copy(kSelector.begin(), kSelector.end(), out.begin());
    std::copy(holder.bytes.begin(), holder.bytes.end(), out.end() - 20);
    return out;
}

std::vector<uint8_t> encode_string(std::string_view text) {
    // Sized once and copied into: GCC 12's -Warray-bounds misreads insert() here.
    std::vector<uint8_t> out(2 * kWord + (text.size() + kWord - 1) / kWord * kWord, 0);
    out[kWord - 1] = 0x20;
    for (size_t i = 0; i < 8; ++i)
        out[2 * kWord - 1 - i] = static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i));
    std::transform(text.begin(), text.end(), out.begin() + 2 * kWord,
                   [](char c) { return static_cast<uint8_t>(c); });
    return out;
}

std::optional<std::string> decode_string(std::span<const uint8_t> ret) {
    // bytes32: one word, as MKR and other early tokens return.
    if (ret.size() == kWord) return to_text(ret);
    // string: offset word, then at the offset a length word and the bytes.
    if (ret.size() < 2 * kWord) return std::nullopt;
    const auto offset = word_as_size(ret, ret.size() - kWord);
    if (!offset || *offset < kWord) return std::nullopt;
    const auto tail = ret.subspan(*offset);  // at least one word
    const auto length = word_as_size(tail, tail.size() - kWord);
    if (!length) return std::nullopt;
    return to_text(tail.subspan(kWord, *length));
}

std::optional<U256> decode_uint256(std::span<const uint8_t> ret) {
    if (ret.size() < kWord) return std::nullopt;
    return u256_from_be(ret.first(kWord));
}

std::optional<uint8_t> decode_decimals(std::span<const uint8_t> ret) {
    auto v = decode_uint256(ret);
    if (!v || *v > 255) return std::nullopt;
    return static_cast<uint8_t>(*v);
}

}  // namespace erc20::rpc
