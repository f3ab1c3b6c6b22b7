#pragma once
// What every fuzz target shares: FUZZ_CHECK, an invariant that aborts (so
// libFuzzer saves the input as a crash) with the broken condition's text.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                     \
        }                                                                                     \
    } while (false)

namespace erc20::fuzz {

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

inline bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// The strict grammar, written apart from common/hex.cpp: "0x" (or "0X"),
/// then only hex digits.
inline bool hex_body(std::string_view s, std::string_view& digits) {
    if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    digits = s.substr(2);
    for (char c : digits) {
        if (!is_hex_digit(c)) return false;
    }
    return true;
}

/// QUANTITY: at least one digit, no leading zero unless exactly "0".
inline bool canonical_quantity(std::string_view s) {
    std::string_view d;
    return hex_body(s, d) && !d.empty() && (d.size() == 1 || d[0] != '0');
}

/// DATA of `bytes` bytes (any even length when bytes < 0).
inline bool canonical_data(std::string_view s, long bytes = -1) {
    std::string_view d;
    if (!hex_body(s, d) || d.size() % 2 != 0) return false;
    return bytes < 0 || d.size() == static_cast<size_t>(bytes) * 2;
}

}  // namespace erc20::fuzz
