// Fuzz target: the ABI return values of token metadata (rpc/abi.hpp):
// string / bytes32 names and symbols, uint256 supplies, uint8 decimals.
// Invariants: a decoded name is valid UTF-8 without control characters; a
// name encoded again as an ABI string decodes the same; a uint256 is the
// first word; decimals are the uint256 when it is at most 255.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <simdjson.h>

#include "common/hex.hpp"
#include "fuzz/check.hpp"
#include "rpc/abi.hpp"

using namespace erc20;

namespace {

std::vector<uint8_t> abi_string(const std::string& s) {
    std::vector<uint8_t> out(64, 0);
    out[31] = 32;  // offset
    const auto length = u256_to_be(U256(s.size()));
    std::copy(length.begin(), length.end(), out.begin() + 32);
    out.insert(out.end(), s.begin(), s.end());
    out.resize(out.size() + (32 - s.size() % 32) % 32, 0);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> ret(data, size);
    if (auto s = rpc::decode_string(ret)) {
        FUZZ_CHECK(simdjson::validate_utf8(*s));
        for (const char ch : *s) {
            const auto c = static_cast<unsigned char>(ch);  // a byte of the string, 0-255
            FUZZ_CHECK(c >= 0x20 && c != 0x7f);
        }
        if (size == 32) {
            // bytes32: the word up to its zero padding.
            FUZZ_CHECK(s->size() <= 32);
            FUZZ_CHECK(std::memcmp(s->data(), data, s->size()) == 0);
            for (size_t i = s->size(); i < 32; ++i) FUZZ_CHECK(data[i] == 0);
        }
        // A name may end with zero bytes that the decoder drops; without them it round-trips.
        FUZZ_CHECK(rpc::decode_string(abi_string(*s)) == *s);
    }
    const auto v = rpc::decode_uint256(ret);
    FUZZ_CHECK(v.has_value() == (size >= 32));
    if (v) FUZZ_CHECK(u256_to_be(*v) == u256_to_be(u256_from_be(ret.first(32))));
    const auto d = rpc::decode_decimals(ret);
    FUZZ_CHECK(d.has_value() == (v && *v <= 255));
    if (d) FUZZ_CHECK(U256(*d) == *v);
    return 0;
}
