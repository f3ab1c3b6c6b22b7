#pragma once
// Process-wide Prometheus counters and histograms. Modules record what they
// see (rpc: requests, errors, latency; api: requests, latency); the API's
// /metrics route renders them in the text exposition format.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace erc20::metrics {

class Registry {
  public:
    /// Adds `by` to counter `name` with `labels` (Prometheus label text without
    /// braces, e.g. `method="eth_getLogs",kind="timeout"`; empty for none).
    void inc(std::string_view name, std::string_view help, std::string_view labels,
             uint64_t by = 1);

    /// Sets gauge `name` with `labels` to `value`.
    void set(std::string_view name, std::string_view help, std::string_view labels, uint64_t value);

    /// Records one observation (in seconds) in histogram `name`.
    void observe(std::string_view name, std::string_view help, std::string_view labels,
                 double seconds);

    /// Every family in the text exposition format, sorted by name.
    [[nodiscard]] std::string render() const;

  private:
    struct Histogram {
        std::vector<uint64_t> buckets;  // cumulative counts per bound in kBounds
        uint64_t count{0};
        double sum{0};
    };
    struct Family {
        std::string help;
        bool histogram{false};
        bool gauge{false};
        std::map<std::string, uint64_t> counters;
        std::map<std::string, Histogram> histograms;
    };
    mutable std::mutex mutex_;
    std::map<std::string, Family, std::less<>> families_;
};

/// The process's registry.
Registry& registry();

}  // namespace erc20::metrics
