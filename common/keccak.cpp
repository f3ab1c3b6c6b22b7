#include "common/keccak.hpp"

#include <cstring>

namespace erc20 {
namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};
constexpr int kRotations[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kLanes[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                            15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

constexpr uint64_t rotl(uint64_t x, int n) { return (x << n) | (x >> (64 - n)); }

void keccak_f(uint64_t st[25]) {
    for (uint64_t rc : kRoundConstants) {
        uint64_t c[5];
        for (int x = 0; x < 5; ++x) c[x] = st[x] ^ st[x + 5] ^ st[x + 10] ^ st[x + 15] ^ st[x + 20];
        for (int x = 0; x < 5; ++x) {
            uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5) st[y + x] ^= d;
        }
        uint64_t t = st[1];
        for (int i = 0; i < 24; ++i) {
            int j = kLanes[i];
            uint64_t tmp = st[j];
            st[j] = rotl(t, kRotations[i]);
            t = tmp;
        }
        for (int y = 0; y < 25; y += 5) {
            uint64_t row[5];
            for (int x = 0; x < 5; ++x) row[x] = st[y + x];
            for (int x = 0; x < 5; ++x) st[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
        }
        st[0] ^= rc;
    }
}

}  // namespace

Hash keccak256(std::span<const uint8_t> data) noexcept {
    constexpr size_t kRate = 136;
    uint64_t st[25] = {};
    auto absorb = [&](const uint8_t* block) {
        for (size_t i = 0; i < kRate / 8; ++i) {
            uint64_t lane = 0;
            for (size_t b = 0; b < 8; ++b) lane |= uint64_t{block[8 * i + b]} << (8 * b);
            st[i] ^= lane;
        }
        keccak_f(st);
    };
    size_t off = 0;
    for (; data.size() - off >= kRate; off += kRate) absorb(data.data() + off);
    uint8_t last[kRate] = {};
    std::memcpy(last, data.data() + off, data.size() - off);
    last[data.size() - off] ^= 0x01;
    last[kRate - 1] ^= 0x80;
    absorb(last);
    Hash h;
    for (size_t i = 0; i < 32; ++i) h.bytes[i] = static_cast<uint8_t>(st[i / 8] >> (8 * (i % 8)));
    return h;
}

bool bloom_may_contain(const std::array<uint8_t, 256>& bloom,
                       std::span<const uint8_t> value) noexcept {
    Hash h = keccak256(value);
    for (size_t i = 0; i < 6; i += 2) {
        unsigned bit = ((unsigned{h.bytes[i]} << 8) | h.bytes[i + 1]) & 2047u;
        if ((bloom[255 - bit / 8] & (1u << (bit % 8))) == 0) return false;
    }
    return true;
}

}  // namespace erc20
