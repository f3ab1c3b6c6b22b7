#include "api/process_metrics.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

namespace erc20::api {
namespace {

void family(std::string& out, const char* name, const char* type, const char* help, double value) {
    char num[64];
    std::snprintf(num, sizeof num, "%.17g", value);
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + num + "\n";
}

// The fields of /proc/self/stat after the command name (which may hold spaces), from field 3.
std::optional<std::vector<std::string>> stat_fields() {
    std::ifstream in("/proc/self/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(line.substr(close + 1));
    std::vector<std::string> fields;
    for (std::string f; rest >> f;) fields.push_back(f);
    return fields;
}

// The system's boot time (btime of /proc/stat), in unix seconds.
std::optional<double> boot_time() {
    std::ifstream in("/proc/stat");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
    }
    return std::nullopt;
}

}  // namespace

std::string render_process_metrics() {
    std::string out;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    // Fields (man 5 proc), counted from 3 (state) as index 0: utime 14, stime 15,
    // starttime 22, vsize 23, rss 24.
    if (auto f = stat_fields(); f && f->size() > 21 && ticks > 0) {
        const auto& v = *f;
        family(out, "process_cpu_seconds_total", "counter",
               "Total user and system CPU time spent in seconds.",
               (std::stod(v[11]) + std::stod(v[12])) / ticks);
        family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
               std::stod(v[20]));
        family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
               std::stod(v[21]) * page);
        if (auto boot = boot_time()) {
            family(out, "process_start_time_seconds", "gauge",
                   "Start time of the process since unix epoch in seconds.",
                   *boot + std::stod(v[19]) / ticks);
        }
    }
    std::error_code ec;
    size_t fds = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec))
        ++fds;
    if (!ec) {
        family(out, "process_open_fds", "gauge", "Number of open file descriptors.",
               static_cast<double>(fds));
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
               static_cast<double>(limit.rlim_cur));
    }
    return out;
}

}  // namespace erc20::api
