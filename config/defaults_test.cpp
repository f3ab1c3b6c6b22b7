// The option defaults live in one table (config::option_table()); the README's
// option table and the example config must say the same.

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <catch2/catch.hpp>

#include "config/settings.hpp"

using namespace erc20;

namespace {

std::string read_source(const std::string& relative) {
    std::ifstream in(std::string(ERC20_SOURCE_DIR) + "/" + relative);
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::map<std::string, std::string> table_defaults() {
    std::map<std::string, std::string> out;
    for (const auto& o : config::option_table()) out.emplace(o.name, o.fallback);
    return out;
}

}  // namespace

TEST_CASE("Settings{} holds the defaults of the option table", "[config][defaults]") {
    const config::Settings s;
    const auto d = table_defaults();
    CHECK(s.rpc_url == d.at("rpc-url"));
    CHECK(s.db == d.at("db"));
    CHECK(s.listen_host + ":" + std::to_string(s.listen_port) == d.at("listen"));
    CHECK(std::to_string(s.poll_interval_ms) == d.at("poll-interval-ms"));
    CHECK(std::to_string(s.ingest_min_transfers) == d.at("ingest-min-transfers"));
    CHECK(s.log_level == d.at("log-level"));
    CHECK(s.tokens.empty());
    CHECK(s.admin_token_file.empty());
    CHECK(s.given.empty());
}

TEST_CASE("README's option table shows the table's defaults", "[config][defaults]") {
    const auto defaults = table_defaults();
    // | `--name ARG` | `default` | meaning |   (a word, not code, for an option without a default)
    const std::regex row(R"(^\| `--([a-z-]+)[^`]*` \| ([^|]*?) \|)");
    std::istringstream readme(read_source("README.md"));
    std::map<std::string, std::string> documented;
    for (std::string line; std::getline(readme, line);) {
        std::smatch m;
        if (std::regex_search(line, m, row) && m[1] != "config") documented.emplace(m[1], m[2]);
    }
    for (const auto& [name, fallback] : defaults) {
        INFO("--" << name);
        REQUIRE(documented.count(name));
        const std::string& cell = documented.at(name);
        if (fallback.empty()) CHECK(cell.find('`') == std::string::npos);
        else
            CHECK(cell == "`" + fallback + "`");
    }
    for (const auto& [name, cell] : documented) {
        INFO("README documents --" << name);
        CHECK(defaults.count(name));
    }
}

TEST_CASE("the example config sets each option to its default or shows it commented out",
          "[config][defaults]") {
    const auto defaults = table_defaults();
    const std::regex entry(R"(^(# )?([a-z-]+) =\s*(.*?)\s*$)");
    std::istringstream example(read_source("config/erc20-indexer.conf.example"));
    std::map<std::string, std::string> active;
    std::map<std::string, bool> mentioned;
    for (std::string line; std::getline(example, line);) {
        std::smatch m;
        if (!std::regex_match(line, m, entry) || !defaults.count(m[2])) {
            if (line.empty() || line[0] == '#') continue;
            FAIL("not an option of the table: " << line);
        }
        mentioned[m[2]] = true;
        if (!m[1].matched) active.emplace(m[2], m[3]);
    }
    for (const auto& [name, fallback] : defaults) {
        INFO(name);
        CHECK(mentioned[name]);
        if (active.count(name)) CHECK(active.at(name) == fallback);
    }
}
