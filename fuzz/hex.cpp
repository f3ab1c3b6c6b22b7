// Fuzz target: the strict hex codecs of common/hex.hpp (QUANTITY, DATA,
// addresses, hashes, decimals) and the 256-bit conversions.
// Invariants: each parser accepts exactly the strings of its grammar (written
// apart in fuzz/check.hpp), and what it accepts encodes back to the same text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/hex.hpp"
#include "fuzz/check.hpp"

using namespace erc20;
using erc20::fuzz::lower;

namespace {

std::string strip_zeros(std::string_view digits) {
    const size_t first = digits.find_first_not_of('0');
    return first == std::string_view::npos ? "0" : std::string(digits.substr(first));
}

void check_quantities(std::string_view s) {
    const bool canonical = fuzz::canonical_quantity(s);
    const size_t digits = s.size() >= 2 ? s.size() - 2 : 0;
    const auto q64 = parse_quantity_u64(s);
    FUZZ_CHECK(q64.has_value() == (canonical && digits <= 16));
    if (q64) FUZZ_CHECK(to_quantity(*q64) == lower(s));

    const auto q256 = parse_quantity_u256(s);
    FUZZ_CHECK(q256.has_value() == (canonical && digits <= 64));
    if (q256) {
        const auto be = u256_to_be(*q256);
        FUZZ_CHECK("0x" + strip_zeros(to_hex(be).substr(2)) == lower(s));
        FUZZ_CHECK(u256_from_be(be) == *q256);
        if (q64) FUZZ_CHECK(*q256 == U256(*q64));
    }
}

void check_data(std::string_view s) {
    const auto a = parse_address(s);
    FUZZ_CHECK(a.has_value() == fuzz::canonical_data(s, 20));
    if (a) FUZZ_CHECK(to_hex(*a) == lower(s));
    const auto h = parse_hash(s);
    FUZZ_CHECK(h.has_value() == fuzz::canonical_data(s, 32));
    if (h) FUZZ_CHECK(to_hex(*h) == lower(s));
    const auto d = parse_data(s);
    FUZZ_CHECK(d.has_value() == fuzz::canonical_data(s));
    if (d) FUZZ_CHECK(to_hex(*d) == lower(s));
}

void check_decimal(std::string_view s) {
    bool digits = !s.empty() && s.size() <= 20;
    U256 value = 0;  // 20 digits fit in 256 bits
    for (char c : s) {
        digits = digits && c >= '0' && c <= '9';
        if (digits) value = value * 10 + static_cast<unsigned>(c - '0');
    }
    const bool fits = digits && value <= U256(~uint64_t{0});
    const auto v = parse_decimal_u64(s);
    FUZZ_CHECK(v.has_value() == fits);
    if (v) FUZZ_CHECK(std::to_string(*v) == strip_zeros(s));
}

// The fast decimal path of to_dec_string against Boost's general one.
void check_decimal_strings(const uint8_t* data, size_t size) {
    if (size < 32) return;
    const U256 v = u256_from_be({data, 32});
    FUZZ_CHECK(u256_to_be(v) == u256_to_be(u256_from_be(u256_to_be(v))));
    // Vary the width so that both sides of 2^128 and 2^64 are reached.
    const unsigned shift = data[0] % 256;
    const U256 w = v >> shift;
    FUZZ_CHECK(to_dec_string(w) == w.str());
    const Balance b(w);
    FUZZ_CHECK(to_dec_string(b) == b.str());
    FUZZ_CHECK(to_dec_string(Balance(-b)) == Balance(-b).str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view s(reinterpret_cast<const char*>(data), size);
    check_quantities(s);
    check_data(s);
    check_decimal(s);
    check_decimal_strings(data, size);
    return 0;
}
