#include "admin/daemon_client.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "api/routes.hpp"
#include "api/server.hpp"

using namespace erc20;

TEST_CASE("the daemon's URL is its --listen, loopback for a wildcard", "[admin][client]") {
    config::Settings s;
    s.listen_host = "0.0.0.0";
    s.listen_port = 8547;
    CHECK(admin::base_url(s) == "http://127.0.0.1:8547");
    s.listen_host = "::";
    CHECK(admin::base_url(s) == "http://[::1]:8547");
    s.listen_host = "10.0.0.2";
    CHECK(admin::base_url(s) == "http://10.0.0.2:8547");
}

TEST_CASE("query values are escaped", "[admin][client]") {
    CHECK(admin::url_escape("/var/lib/backup 1") == "%2Fvar%2Flib%2Fbackup%201");
    CHECK(admin::url_escape("0xAb,0xcd") == "0xAb%2C0xcd");
}

TEST_CASE("a token file's first line is the token", "[admin][client]") {
    const auto path = std::filesystem::temp_directory_path() /
                      ("erc20-token-" + std::to_string(std::random_device{}()));
    std::ofstream(path) << "secret-token-0123 \r\nsecond line\n";
    CHECK(admin::read_token_file(path.string()) == "secret-token-0123");
    std::ofstream(path, std::ios::trunc).flush();
    CHECK_FALSE(admin::read_token_file(path.string()));  // empty
    std::filesystem::remove(path);
    CHECK_FALSE(admin::read_token_file(path.string()));  // missing
}

TEST_CASE("the client reaches a daemon's API with its bearer token", "[admin][client]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("erc20-client-test-" + std::to_string(std::random_device{}()));
    auto store = storage::Store::open(dir.string(), {});
    api::RouterOptions options;
    options.admin_token = "0123456789abcdef";
    options.admin = [](const std::string& action,
                       const std::map<std::string, std::string>& params) {
        auto it = params.find("to");
        return api::AdminAnswer{200, "{\"action\":\"" + action + "\",\"to\":\"" +
                                         (it == params.end() ? "" : it->second) + "\"}"};
    };
    {
        api::Router router(*store, {}, options);
        api::Server server(api::ServerOptions{"127.0.0.1", 0}, router);
        server.start();
        const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
        CHECK(admin::http_request("GET", base + "/healthz", "", 2).status == 200);
        auto refused = admin::http_request("POST", base + "/admin/v1/backup", "wrong", 2);
        CHECK(refused.status == 401);
        auto ok =
            admin::http_request("POST", base + "/admin/v1/backup?to=" + admin::url_escape("/b c"),
                                options.admin_token, 2);
        CHECK(ok.status == 200);
        CHECK(ok.body == R"({"action":"backup","to":"/b c"})");
        server.stop();
    }
    store.reset();
    std::filesystem::remove_all(dir);
    auto none = admin::http_request("GET", "http://127.0.0.1:1/healthz", "", 2);
    CHECK(none.status == 0);
    CHECK_FALSE(none.error.empty());
}
