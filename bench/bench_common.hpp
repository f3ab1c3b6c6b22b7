#pragma once
// What the benchmarks share: deterministic randomness (no std::
// distributions: their output differs between standard libraries), the
// eth_getLogs JSON writer's pieces, and measuring (clocks, CPU, memory).

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/types.hpp"

namespace erc20::bench {

__extension__ typedef unsigned __int128 U128;

inline uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// xoshiro256** seeded through splitmix64.
class Rng {
  public:
    explicit Rng(uint64_t seed) {
        for (auto& w : s_) w = seed = splitmix64(seed);
    }
    uint64_t next() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    /// Uniform in [0, n).
    uint64_t below(uint64_t n) {
        return static_cast<uint64_t>((static_cast<U128>(next()) * n) >> 64);
    }
    /// Uniform in [0, 1).
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::array<uint64_t, 4> s_{};
};

/// Ranks 0..n-1 with P(k) proportional to 1/(k+1+q)^s (Zipf for q = 0,
/// Zipf-Mandelbrot otherwise), by a table of n doubles.
class Zipf {
  public:
    Zipf(size_t n, double s, double q = 0) : cdf_(n) {
        double sum = 0;
        for (size_t k = 0; k < n; ++k)
            cdf_[k] = sum += 1.0 / std::pow(static_cast<double>(k + 1) + q, s);
        for (auto& c : cdf_) c /= sum;
        cdf_.back() = 1.0;
    }
    size_t sample(Rng& rng) const {
        const double u = rng.unit();
        return static_cast<size_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
    }
    /// P(rank k).
    double p(size_t k) const { return k == 0 ? cdf_[0] : cdf_[k] - cdf_[k - 1]; }

  private:
    std::vector<double> cdf_;
};

template <size_t N>
void fill_bytes(std::array<uint8_t, N>& out, uint64_t seed) {
    for (size_t i = 0; i < N; i += 8) {
        const uint64_t w = splitmix64(seed + i);
        for (size_t j = 0; j < 8 && i + j < N; ++j) out[i + j] = static_cast<uint8_t>(w >> (8 * j));
    }
}

// ---- JSON writing (the shapes a node answers with)

void append_hex(std::string& out, const uint8_t* p, size_t n);
/// "0x" + hex of n bytes, quoted.
void append_data(std::string& out, const uint8_t* p, size_t n);
/// A QUANTITY: "0x" + hex without leading zeros, quoted.
void append_quantity(std::string& out, uint64_t v);
/// An address as a 32-byte topic: 12 zero bytes then the address, quoted.
void append_topic_address(std::string& out, const Address& a);

// ---- measuring

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}
/// Peak resident set of this process in KiB (getrusage's ru_maxrss).
long peak_rss_kib();
/// A line of /proc/self/status in KiB ("VmHWM", "VmRSS"); 0 when absent.
uint64_t proc_status_kib(const char* field);
double thread_cpu_seconds();
double cpu_seconds();  // the whole process's, user + system
std::string human_bytes(double b);
std::string cpu_model();

}  // namespace erc20::bench
