// Fuzz target: the config file (`--config FILE`, INI key = value) as
// `erc20-indexer run` reads it (config::parse_options).
// Invariants: a bad file is a ConfigError (exit 2 with a message), never
// another exception; accepted settings are within each option's bounds.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <unistd.h>

#include <filesystem>

#include "config/settings.hpp"
#include "fuzz/check.hpp"

using namespace erc20;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = (std::filesystem::temp_directory_path() /
                                     ("erc20-fuzz-config-" + std::to_string(::getpid()) + ".conf"))
                                        .string();
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    const config::EnvLookup no_env = [](const std::string&) {
        return std::optional<std::string>{};
    };
    try {
        const auto parsed = config::parse_options("run", {"--config", path}, no_env);
        const auto& s = parsed.settings;
        FUZZ_CHECK(s.rpc_url.rfind("http://", 0) == 0 || s.rpc_url.rfind("https://", 0) == 0);
        FUZZ_CHECK(!s.db.empty());
        FUZZ_CHECK(s.poll_interval_ms >= 10 && s.fetch_workers >= 1 && s.fetch_workers <= 64);
        FUZZ_CHECK(s.max_range >= 1 && s.reorg_window >= 1 && s.cache_mb >= 8);
        FUZZ_CHECK(s.log_level == "trace" || s.log_level == "debug" || s.log_level == "info" ||
                   s.log_level == "warn" || s.log_level == "error");
        FUZZ_CHECK(s.log_format == "text" || s.log_format == "json");
    } catch (const config::ConfigError&) {}
    std::filesystem::remove(path);
    return 0;
}
