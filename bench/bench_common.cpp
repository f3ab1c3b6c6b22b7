#include "bench/bench_common.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>

namespace erc20::bench {

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";
}

void append_hex(std::string& out, const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        out.push_back(kHexDigits[p[i] >> 4]);
        out.push_back(kHexDigits[p[i] & 15]);
    }
}

void append_data(std::string& out, const uint8_t* p, size_t n) {
    out += "\"0x";
    append_hex(out, p, n);
    out.push_back('"');
}

void append_quantity(std::string& out, uint64_t v) {
    char buf[20];
    int n = 0;
    do {
        buf[n++] = kHexDigits[v & 15];
        v >>= 4;
    } while (v != 0);
    out += "\"0x";
    while (n > 0) out.push_back(buf[--n]);
    out.push_back('"');
}

void append_topic_address(std::string& out, const Address& a) {
    out += "\"0x000000000000000000000000";
    append_hex(out, a.bytes.data(), a.bytes.size());
    out.push_back('"');
}

long peak_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;  // KiB on Linux
}

uint64_t proc_status_kib(const char* field) {
    std::ifstream f("/proc/self/status");
    std::string line;
    const size_t n = std::strlen(field);
    while (std::getline(f, line)) {
        if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
            return std::strtoull(line.c_str() + n + 1, nullptr, 10);
        }
    }
    return 0;
}

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string human_bytes(double b) {
    char buf[32];
    if (b >= 1 << 30) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1 << 30));
    else if (b >= 1 << 20)
        std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1 << 20));
    else
        std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
    return buf;
}

std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("model name", 0) == 0) {
            auto p = line.find(':');
            return p == std::string::npos ? line : line.substr(p + 2);
        }
    }
    return "unknown";
}

}  // namespace erc20::bench
