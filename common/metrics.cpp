#include "common/metrics.hpp"

#include <array>
#include <cstdio>

namespace erc20::metrics {
namespace {
constexpr std::array<double, 14> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};

std::string series(std::string_view name, std::string_view labels, std::string_view extra = {}) {
    std::string s(name);
    if (labels.empty() && extra.empty()) return s;
    s += '{';
    s += labels;
    if (!labels.empty() && !extra.empty()) s += ',';
    s += extra;
    s += '}';
    return s;
}

std::string format_double(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}
}  // namespace

void Registry::inc(std::string_view name, std::string_view help, std::string_view labels,
                   uint64_t by) {
    std::lock_guard lock(mutex_);
    auto it = families_.find(name);
    if (it == families_.end())
        it = families_.emplace(std::string(name), Family{std::string(help), false, false, {}, {}})
                 .first;
    it->second.counters[std::string(labels)] += by;
}

void Registry::set(std::string_view name, std::string_view help, std::string_view labels,
                   uint64_t value) {
    std::lock_guard lock(mutex_);
    auto it = families_.find(name);
    if (it == families_.end()) {
        it = families_.emplace(std::string(name), Family{std::string(help), false, true, {}, {}})
                 .first;
    }
    it->second.counters[std::string(labels)] = value;
}

void Registry::observe(std::string_view name, std::string_view help, std::string_view labels,
                       double seconds) {
    std::lock_guard lock(mutex_);
    auto it = families_.find(name);
    if (it == families_.end())
        it = families_.emplace(std::string(name), Family{std::string(help), true, false, {}, {}})
                 .first;
    auto& h = it->second.histograms[std::string(labels)];
    if (h.buckets.empty()) h.buckets.assign(kBounds.size(), 0);
    for (size_t i = 0; i < kBounds.size(); ++i) {
        if (seconds <= kBounds[i]) h.buckets[i] += 1;
    }
    h.count += 1;
    h.sum += seconds;
}

std::string Registry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        out += "# HELP " + name + " " + f.help + "\n";
        out += "# TYPE " + name +
               (f.histogram ? " histogram\n"
                : f.gauge   ? " gauge\n"
                            : " counter\n");
        for (const auto& [labels, v] : f.counters)
            out += series(name, labels) + " " + std::to_string(v) + "\n";
        for (const auto& [labels, h] : f.histograms) {
            for (size_t i = 0; i < kBounds.size(); ++i) {
                out +=
                    series(name + "_bucket", labels, "le=\"" + format_double(kBounds[i]) + "\"") +
                    " " + std::to_string(h.buckets[i]) + "\n";
            }
            out += series(name + "_bucket", labels, "le=\"+Inf\"") + " " + std::to_string(h.count) +
                   "\n";
            out += series(name + "_sum", labels) + " " + format_double(h.sum) + "\n";
            out += series(name + "_count", labels) + " " + std::to_string(h.count) + "\n";
        }
    }
    return out;
}

Registry& registry() {
    static Registry r;
    return r;
}

}  // namespace erc20::metrics
