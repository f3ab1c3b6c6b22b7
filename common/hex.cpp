#include "common/hex.hpp"

#include <array>
#include <charconv>
#include <cstring>

namespace erc20 {
namespace {

bool has_prefix(std::string_view s) noexcept {
    return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

// Digits of a canonical QUANTITY, or empty on error.
std::optional<std::string_view> quantity_digits(std::string_view s) noexcept {
    if (!has_prefix(s)) return std::nullopt;
    s.remove_prefix(2);
    if (s.empty()) return std::nullopt;
    if (s.size() > 1 && s[0] == '0') return std::nullopt;
    for (char c : s) {
        if (hex_digit(c) < 0) return std::nullopt;
    }
    return s;
}

// Value of each byte as a hex digit, 0xff for a byte that is none.
constexpr std::array<uint8_t, 256> kHexTable = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        const int v = hex_digit(static_cast<char>(c));
        t[static_cast<size_t>(c)] = v < 0 ? 0xff : static_cast<uint8_t>(v);
    }
    return t;
}();

// Addresses and hashes are most of what decoding a log costs: one table
// lookup per digit, and one check of every digit at the end.
template <size_t N>
bool parse_fixed(std::string_view s, std::array<uint8_t, N>& out) noexcept {
    if (!has_prefix(s) || s.size() != 2 + 2 * N) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + 2;
    uint8_t bad = 0;
    for (size_t i = 0; i < N; ++i) {
        const uint8_t hi = kHexTable[p[2 * i]];
        const uint8_t lo = kHexTable[p[2 * i + 1]];
        bad |= static_cast<uint8_t>(hi | lo);
        out[i] = static_cast<uint8_t>(hi << 4 | (lo & 0x0f));
    }
    return (bad & 0xf0) == 0;
}

}  // namespace

std::optional<uint64_t> parse_quantity_u64(std::string_view s) noexcept {
    auto digits = quantity_digits(s);
    if (!digits || digits->size() > 16) return std::nullopt;
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(digits->data(), digits->data() + digits->size(), v, 16);
    if (ec != std::errc{} || ptr != digits->data() + digits->size()) return std::nullopt;
    return v;
}

std::optional<U256> parse_quantity_u256(std::string_view s) noexcept {
    auto digits = quantity_digits(s);
    if (!digits || digits->size() > 64) return std::nullopt;
    U256 v = 0;
    for (char c : *digits) {
        v <<= 4;
        v |= static_cast<unsigned>(hex_digit(c));
    }
    return v;
}

std::optional<Address> parse_address(std::string_view s) noexcept {
    Address a;
    if (!parse_fixed(s, a.bytes)) return std::nullopt;
    return a;
}

std::optional<Hash> parse_hash(std::string_view s) noexcept {
    Hash h;
    if (!parse_fixed(s, h.bytes)) return std::nullopt;
    return h;
}

std::optional<std::vector<uint8_t>> parse_data(std::string_view s) {
    if (!has_prefix(s)) return std::nullopt;
    return parse_hex_digits(s.substr(2));
}

std::optional<std::vector<uint8_t>> parse_hex_digits(std::string_view s) {
    if (s.size() % 2 != 0) return std::nullopt;
    std::vector<uint8_t> out(s.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_digit(s[2 * i]);
        const int lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return out;
}

std::optional<uint64_t> parse_decimal_u64(std::string_view s) noexcept {
    if (s.empty() || s.size() > 20) return std::nullopt;
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string to_hex(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.resize(2 + bytes.size() * 2);
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < bytes.size(); ++i) {
        out[2 + 2 * i] = kDigits[bytes[i] >> 4];
        out[3 + 2 * i] = kDigits[bytes[i] & 0xf];
    }
    return out;
}

std::string to_hex(const Address& a) { return to_hex(std::span<const uint8_t>(a.bytes)); }
std::string to_hex(const Hash& h) { return to_hex(std::span<const uint8_t>(h.bytes)); }

std::string to_hex_list(std::span<const Address> addresses) {
    std::string out;
    for (const auto& a : addresses) out += (out.empty() ? "" : ",") + to_hex(a);
    return out;
}

std::string to_quantity(uint64_t v) {
    char buf[2 + 16];
    buf[0] = '0';
    buf[1] = 'x';
    auto [ptr, ec] = std::to_chars(buf + 2, buf + sizeof buf, v, 16);
    (void)ec;
    return std::string(buf, ptr);
}

U256 u256_from_be(std::span<const uint8_t> word) noexcept {
    U256 v = 0;
    for (uint8_t b : word) {
        v <<= 8;
        v |= b;
    }
    return v;
}

std::array<uint8_t, 32> u256_to_be(const U256& v) noexcept {
    std::array<uint8_t, 32> out{};
    U256 x = v;
    for (size_t i = 0; i < 32 && x != 0; ++i) {
        out[31 - i] = static_cast<uint8_t>(x & 0xff);
        x >>= 8;
    }
    return out;
}

namespace {
__extension__ typedef unsigned __int128 U128;

// Decimal digits of a value below 2^128, without Boost's general conversion
// (which dominates the cost of API answers full of balances).
std::string small_dec(U128 x, bool negative) {
    // At most three 64-bit chunks of 19 digits: two 128-bit divisions, then
    // plain 64-bit arithmetic.
    constexpr uint64_t kChunk = 10'000'000'000'000'000'000ull;  // 10^19
    uint64_t parts[3];
    int n = 0;
    do {
        parts[n++] = static_cast<uint64_t>(x % kChunk);
        x /= kChunk;
    } while (x != 0);
    char buf[48];
    char* p = buf;
    if (negative) *p++ = '-';
    p = std::to_chars(p, buf + sizeof buf, parts[n - 1]).ptr;
    for (int i = n - 2; i >= 0; --i) {
        char digits[20];
        char* e = std::to_chars(digits, digits + sizeof digits, parts[i]).ptr;
        const auto len = static_cast<size_t>(e - digits);
        std::memset(p, '0', 19 - len);  // zero-pad inner chunks to 19 digits
        std::memcpy(p + 19 - len, digits, len);
        p += 19;
    }
    return std::string(buf, p);
}

}  // namespace

std::string to_dec_string(const U256& v) {
    if ((v >> 128) == 0) {
        const auto lo = static_cast<uint64_t>(v & 0xffffffffffffffffull);
        const auto hi = static_cast<uint64_t>((v >> 64) & 0xffffffffffffffffull);
        return small_dec((U128{hi} << 64) | lo, false);
    }
    return v.str();
}

std::string to_dec_string(const Balance& v) {
    const bool negative = v < 0;
    const Balance mag = negative ? Balance(-v) : v;
    if ((mag >> 128) == 0) {
        const auto lo = static_cast<uint64_t>(mag & 0xffffffffffffffffull);
        const auto hi = static_cast<uint64_t>((mag >> 64) & 0xffffffffffffffffull);
        return small_dec((U128{hi} << 64) | lo, negative);
    }
    return v.str();
}

}  // namespace erc20
