#include "config/settings.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

using namespace erc20::config;

namespace {
EnvLookup env_of(const std::map<std::string, std::string>& vars) {
    return [vars](const std::string& k) -> std::optional<std::string> {
        auto it = vars.find(k);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}
}  // namespace

TEST_CASE("defaults apply when nothing is given", "[config]") {
    auto p = parse_run_options({}, env_of({}));
    CHECK(p.action == Action::kRun);
    CHECK(p.settings.rpc_url == "http://127.0.0.1:8545");
    CHECK(p.settings.db == "./data");
    CHECK(p.settings.listen_host == "127.0.0.1");
    CHECK(p.settings.listen_port == 8547);
    CHECK(p.settings.poll_interval_ms == 2000);
    CHECK(p.settings.reorg_window == 256);
    CHECK(p.settings.tokens.empty());
}

TEST_CASE("command line beats environment beats file", "[config]") {
    std::string path = "/tmp/erc20-settings-test.conf";
    {
        std::ofstream f(path);
        f << "# comment\nconfirmations = 3\nstart-block = 7\ndb = /from/file\n";
    }
    auto p = parse_run_options(
        {"--config", path, "--confirmations", "5"},
        env_of({{"ERC20_INDEXER_CONFIRMATIONS", "4"}, {"ERC20_INDEXER_START_BLOCK", "8"}}));
    CHECK(p.settings.confirmations == 5);
    CHECK(p.settings.start_block == 8);
    CHECK(p.settings.db == "/from/file");
    std::remove(path.c_str());
}

TEST_CASE("a bad value names the option and the value", "[config]") {
    CHECK_THROWS_WITH(parse_run_options({"--start-block", "-1"}, env_of({})),
                      Catch::Contains("--start-block") && Catch::Contains("'-1'"));
    CHECK_THROWS_WITH(parse_run_options({"--confirmations", "abc"}, env_of({})),
                      Catch::Contains("'abc'"));
    CHECK_THROWS_WITH(parse_run_options({"--listen", "localhost"}, env_of({})),
                      Catch::Contains("--listen"));
    CHECK_THROWS_WITH(parse_run_options({"--listen", "127.0.0.1:70000"}, env_of({})),
                      Catch::Contains("70000"));
    CHECK_THROWS_WITH(parse_run_options({"--tokens", "0x12"}, env_of({})), Catch::Contains("0x12"));
    CHECK_THROWS_WITH(parse_run_options({"--log-format", "xml"}, env_of({})),
                      Catch::Contains("xml"));
    CHECK_THROWS_WITH(parse_run_options({"--rpc-url", "ftp://x"}, env_of({})),
                      Catch::Contains("--rpc-url"));
    CHECK_THROWS_WITH(parse_run_options({}, env_of({{"ERC20_INDEXER_POLL_INTERVAL_MS", "soon"}})),
                      Catch::Contains("soon"));
}

TEST_CASE("query-cache-mb defaults to 64, takes 0 (no cache) and refuses a bad value", "[config]") {
    CHECK(parse_run_options({}, env_of({})).settings.query_cache_mb == 64);
    CHECK(parse_run_options({"--query-cache-mb", "0"}, env_of({})).settings.query_cache_mb == 0);
    CHECK(parse_run_options({}, env_of({{"ERC20_INDEXER_QUERY_CACHE_MB", "512"}}))
              .settings.query_cache_mb == 512);
    CHECK_THROWS_WITH(parse_run_options({"--query-cache-mb", "-1"}, env_of({})),
                      Catch::Contains("--query-cache-mb") && Catch::Contains("'-1'"));
    CHECK_THROWS_WITH(parse_run_options({"--query-cache-mb", "2000000"}, env_of({})),
                      Catch::Contains("--query-cache-mb"));
}

TEST_CASE("unknown options and unreadable files stop start-up", "[config]") {
    CHECK_THROWS_WITH(parse_run_options({"--rpc-uri", "http://x"}, env_of({})),
                      Catch::Contains("rpc-uri"));
    CHECK_THROWS_WITH(parse_run_options({"--config", "/nonexistent/x.conf"}, env_of({})),
                      Catch::Contains("/nonexistent/x.conf"));
    std::string path = "/tmp/erc20-settings-test-unknown.conf";
    {
        std::ofstream f(path);
        f << "colour = blue\n";
    }
    CHECK_THROWS_WITH(parse_run_options({"--config", path}, env_of({})), Catch::Contains("colour"));
    std::remove(path.c_str());
}

TEST_CASE("tokens, IPv6 listen addresses, help and version parse", "[config]") {
    auto p = parse_run_options(
        {"--tokens",
         "0x00000000000000000000000000000000000000aa, 0x00000000000000000000000000000000000000BB",
         "--listen", "[::1]:9000"},
        env_of({}));
    REQUIRE(p.settings.tokens.size() == 2);
    CHECK(p.settings.tokens[1].bytes[19] == 0xbb);
    CHECK(p.settings.listen_host == "::1");
    CHECK(p.settings.listen_port == 9000);
    CHECK(parse_run_options({"--help"}, env_of({})).action == Action::kHelp);
    CHECK(parse_run_options({"--help"}, env_of({})).help.find("--rpc-url") != std::string::npos);
    CHECK(parse_run_options({"--version"}, env_of({})).action == Action::kVersion);
}

TEST_CASE("options are never guessed from a prefix", "[config]") {
    const std::string a = "0x00000000000000000000000000000000000000aa";
    // Program_options' default style would take --token for --tokens, which reindex ignores.
    CHECK_THROWS_WITH(parse_options("reindex", {"--token", a, "--from-block", "10"}, env_of({})),
                      Catch::Contains("--token"));
    CHECK_THROWS_WITH(parse_run_options({"--start", "5"}, env_of({})), Catch::Contains("--start"));
    CHECK_THROWS_WITH(parse_options("rollback", {"--to", "5"}, env_of({})),
                      Catch::Contains("--to"));
}

TEST_CASE("an option of another command is an error naming it", "[config]") {
    const std::string a = "0x00000000000000000000000000000000000000aa";
    CHECK_THROWS_WITH(parse_options("reindex", {"--tokens", a, "--from-block", "10"}, env_of({})),
                      Catch::Contains("--tokens") &&
                          Catch::Contains("does not apply to `erc20-indexer reindex`"));
    CHECK_THROWS_WITH(parse_options("status", {"--confirmations", "3"}, env_of({})),
                      Catch::Contains("--confirmations") && Catch::Contains("run"));
    CHECK_THROWS_WITH(parse_options("compact", {"--cache-mb", "64"}, env_of({})),
                      Catch::Contains("--cache-mb"));
    CHECK_THROWS_WITH(parse_run_options({"--from-block", "3"}, env_of({})),
                      Catch::Contains("--from-block") && Catch::Contains("reindex"));
    CHECK_THROWS_WITH(parse_options("frobnicate", {}, env_of({})), Catch::Contains("frobnicate"));
}

TEST_CASE("admin commands ignore the config keys and variables of run", "[config]") {
    std::string path = "/tmp/erc20-settings-test-shared.conf";
    {
        std::ofstream f(path);
        f << "db = /from/file\ntokens = 0x00000000000000000000000000000000000000aa\nconfirmations "
             "= 3\n"
             "log-level = debug\nstart-block = 9\n";
    }
    auto p = parse_options("reindex", {"--config", path, "--from-block", "10"},
                           env_of({{"ERC20_INDEXER_CONFIRMATIONS", "abc"}}));
    CHECK(p.settings.db == "/from/file");
    CHECK(p.settings.tokens.empty());
    CHECK(p.settings.given == std::set<std::string>{"db"});
    CHECK(p.command.from_block == 10u);
    // Unknown keys still stop every command.
    {
        std::ofstream f(path, std::ios::app);
        f << "colour = blue\n";
    }
    CHECK_THROWS_WITH(parse_options("status", {"--config", path}, env_of({})),
                      Catch::Contains("colour"));
    std::remove(path.c_str());
}

TEST_CASE("run records which options were given, tokens sorted without duplicates", "[config]") {
    const std::string a = "0x00000000000000000000000000000000000000aa";
    const std::string b = "0x00000000000000000000000000000000000000bb";
    auto p = parse_run_options({"--tokens", b + "," + a + "," + b},
                               env_of({{"ERC20_INDEXER_START_BLOCK", "4"}}));
    REQUIRE(p.settings.tokens.size() == 2);
    CHECK(p.settings.tokens[0].bytes[19] == 0xaa);
    CHECK(p.settings.given == std::set<std::string>{"start-block", "tokens"});
    CHECK(parse_run_options({"--tokens", ""}, env_of({})).settings.given.count("tokens") == 1);
    CHECK(parse_run_options({}, env_of({})).settings.given.empty());
}

TEST_CASE("add-tokens takes --tokens as its own option", "[config]") {
    const std::string a = "0x00000000000000000000000000000000000000aa";
    auto p = parse_options("add-tokens", {"--tokens", a + "," + a, "--db", "/x"}, env_of({}));
    REQUIRE(p.command.tokens.size() == 1);
    CHECK(p.settings.tokens.empty());
    CHECK_THROWS_WITH(parse_options("add-tokens", {}, env_of({})), Catch::Contains("--tokens"));
    CHECK_THROWS_WITH(parse_options("add-tokens", {"--tokens", ""}, env_of({})),
                      Catch::Contains("--tokens"));
    CHECK_THROWS_WITH(parse_options("add-tokens", {"--tokens", "0x12"}, env_of({})),
                      Catch::Contains("0x12"));
}

// Found by fuzz/config.cpp: Boost 1.74 formats an unknown option's message by
// replacing "%canonical_option%" with the name until none is left, so a name
// that contains the placeholder looped forever and start-up hung.
TEST_CASE("an unknown option named like a message placeholder is an error, not a hang",
          "[config]") {
    const std::string path = "/tmp/erc20-settings-test-placeholder.conf";
    {
        std::ofstream f(path);
        f << "x%canonical_option%y = 1\n";
    }
    // Run on a thread that is left behind if it hangs, so that the test fails instead.
    auto message_of = [](std::vector<std::string> args) {
        auto result = std::make_shared<std::promise<std::string>>();
        auto future = result->get_future();
        std::thread([args = std::move(args), result] {
            try {
                (void)parse_run_options(args, env_of({}));
                result->set_value("no error");
            } catch (const ConfigError& e) {
                result->set_value(e.what());
            }
        }).detach();
        REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        return future.get();
    };
    const std::string from_file = message_of({"--config", path});
    CHECK(from_file.find("x?canonical_option?y") != std::string::npos);
    CHECK(from_file.find(path) != std::string::npos);
    const std::string from_args = message_of({"--a%canonical_option%"});
    CHECK(from_args.find("a?canonical_option?") != std::string::npos);
    std::remove(path.c_str());
}

TEST_CASE("cors-origin is repeatable, takes a list, and names a bad origin", "[config][cors]") {
    CHECK(parse_run_options({}, env_of({})).settings.cors_origins.empty());
    auto p = parse_run_options({"--cors-origin", "http://localhost:8888", "--cors-origin",
                                "HTTPS://Dash.Example:8443, http://[::1]:3000"},
                               env_of({}));
    CHECK(p.settings.cors_origins == std::vector<std::string>{"http://localhost:8888",
                                                              "https://dash.example:8443",
                                                              "http://[::1]:3000"});
    CHECK(
        parse_run_options({}, env_of({{"ERC20_INDEXER_CORS_ORIGIN", "*"}})).settings.cors_origins ==
        std::vector<std::string>{"*"});
    const std::string path = "/tmp/erc20-settings-cors-test.conf";
    {
        std::ofstream f(path);
        f << "cors-origin = http://a.example\ncors-origin = http://b.example:81\n";
    }
    CHECK(parse_run_options({"--config", path}, env_of({})).settings.cors_origins ==
          std::vector<std::string>{"http://a.example", "http://b.example:81"});
    std::remove(path.c_str());
    for (const char* bad : {"localhost:8888", "http://x.example/", "ftp://x.example",
                            "http://x.example:port", "http://", "http://a b"}) {
        INFO(bad);
        CHECK_THROWS_WITH(parse_run_options({"--cors-origin", bad}, env_of({})),
                          Catch::Contains("--cors-origin") && Catch::Contains(bad));
    }
}

namespace {
// The --options a command's --help lists.
std::set<std::string> listed_options(const std::string& command) {
    const Parsed p = parse_options(command, {"--help"}, env_of({}));
    REQUIRE(p.action == Action::kHelp);
    std::set<std::string> out;
    for (size_t at = p.help.find("\n  "); at != std::string::npos;
         at = p.help.find("\n  ", at + 1)) {
        const size_t dash = p.help.find("--", at);
        if (dash == std::string::npos || p.help.find('\n', at + 1) < dash) continue;
        const size_t end = p.help.find_first_of(" \n", dash);
        out.insert(p.help.substr(dash + 2, end - dash - 2));
    }
    return out;
}
}  // namespace

TEST_CASE("each command's --help lists only the options it uses", "[config][help]") {
    const std::set<std::string> common{"help", "version", "config", "db", "listen"};
    auto with = [&](std::initializer_list<std::string> more) {
        std::set<std::string> out = common;
        out.insert(more.begin(), more.end());
        return out;
    };
    SECTION("run: every shared option") {
        const auto listed = listed_options("run");
        for (const auto& o : option_table()) CHECK(listed.count(o.name) == 1);
        CHECK(listed.count("json") == 0);
    }
    SECTION("the admin commands: their own and where the database, daemon and node are") {
        CHECK(listed_options("status") == with({"json", "rpc-url", "rpc-timeout-ms"}));
        CHECK(listed_options("reindex") == with({"from-block", "wait", "json", "admin-token-file",
                                                 "rpc-url", "rpc-timeout-ms"}));
        CHECK(listed_options("rollback") ==
              with({"to-block", "json", "admin-token-file", "rpc-url", "rpc-timeout-ms"}));
        CHECK(listed_options("verify") ==
              with({"token", "sample", "json", "admin-token-file", "rpc-url", "rpc-timeout-ms"}));
        CHECK(listed_options("backup") == with({"to", "json", "admin-token-file"}));
        CHECK(listed_options("compact") == with({"json", "admin-token-file"}));
        CHECK(listed_options("add-tokens") == with({"tokens", "wait", "json", "admin-token-file"}));
    }
    SECTION("a connection option an admin command does not use is taken, not listed") {
        CHECK_NOTHROW(parse_options("status", {"--admin-token-file", "/t"}, env_of({})));
        CHECK_NOTHROW(parse_options("compact", {"--rpc-url", "http://127.0.0.1:1"}, env_of({})));
        CHECK_THROWS_WITH(parse_options("compact", {"--memtable-mb", "64"}, env_of({})),
                          Catch::Contains("--memtable-mb") && Catch::Contains("run"));
    }
}

TEST_CASE("access options: --public alone or with a value, rates per second or minute",
          "[config][access]") {
    const auto none = parse_run_options({}, env_of({})).settings;
    CHECK_FALSE(none.public_api);
    CHECK(none.rate_limit_per_s == 0);
    CHECK(none.max_connections == 512);
    CHECK(none.max_connections_per_peer == 64);
    CHECK(none.write_timeout_ms == 30000);
    CHECK(parse_run_options({"--public"}, env_of({})).settings.public_api);
    CHECK_FALSE(parse_run_options({"--public=false"}, env_of({})).settings.public_api);
    CHECK(parse_run_options({}, env_of({{"ERC20_INDEXER_PUBLIC", "true"}})).settings.public_api);
    CHECK_THROWS_WITH(parse_run_options({"--public=yes"}, env_of({})),
                      Catch::Contains("--public") && Catch::Contains("true or false"));
    const auto rated =
        parse_run_options({"--rate-limit", "20/s", "--rate-burst", "40"}, env_of({}));
    CHECK(rated.settings.rate_limit_per_s == 20);
    CHECK(rated.settings.rate_burst == 40);
    CHECK(parse_run_options({"--rate-limit", "120/min"}, env_of({})).settings.rate_limit_per_s ==
          2);
    for (const char* bad : {"20", "0/s", "x/s", "20/h", "-1/s"}) {
        INFO(bad);
        CHECK_THROWS_WITH(parse_run_options({"--rate-limit", bad}, env_of({})),
                          Catch::Contains("--rate-limit"));
    }
    CHECK_THROWS_WITH(parse_run_options({"--max-connections", "0"}, env_of({})),
                      Catch::Contains("--max-connections"));
}
