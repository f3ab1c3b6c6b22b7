// Read tokens, the rate limit per client and the cap on expensive answers.

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "api/access.hpp"

using namespace erc20::api;

namespace {

struct TokenFile {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("erc20-tokens-" + std::to_string(std::random_device{}()));
    explicit TokenFile(const std::string& text) { std::ofstream(path) << text; }
    ~TokenFile() { std::filesystem::remove(path); }
};

const std::string kAlice = "alice-token-0123456789";
const std::string kBob = "bob-token-0123456789ab";

std::vector<ReadToken> two() { return {{"alice", kAlice}, {"bob", kBob}}; }

unsigned status_of(const std::variant<Admission, Refusal>& v) {
    return std::holds_alternative<Admission>(v) ? 200 : std::get<Refusal>(v).status;
}

}  // namespace

TEST_CASE("a read-token file: named and unnamed lines, comments, and what stops start-up",
          "[api][access]") {
    TokenFile good("# team tokens\n\nalice:" + kAlice + "\n  " + kBob + "  \n");
    const auto tokens = load_read_tokens(good.path.string(), "");
    REQUIRE(tokens.size() == 2);
    CHECK(tokens[0].name == "alice");
    CHECK(tokens[0].secret == kAlice);
    CHECK(tokens[1].name == "line4");
    CHECK(tokens[1].secret == kBob);
    CHECK_THROWS_WITH(load_read_tokens(good.path.string(), kBob),
                      Catch::Contains("line 4") && Catch::Contains("admin token"));
    const std::pair<std::string, std::string> bad[] = {
        {"a:short\n", "line 1: a token has at least 16"},
        {"a:" + kAlice + "\na:" + kBob + "\n", "line 2: name a again"},
        {"a:" + kAlice + "\nb:" + kAlice + "\n", "line 2: a token given twice"},
        {"bad name:" + kAlice + "\n", "line 1: a name is"},
        {"a:" + kAlice + " x\n", "line 1: a token has no whitespace"},
        {"# nothing\n", "no token in it"},
    };
    for (const auto& [text, message] : bad) {
        TokenFile f(text);
        INFO(text);
        CHECK_THROWS_WITH(load_read_tokens(f.path.string(), ""), Catch::Contains(message));
    }
    CHECK_THROWS_WITH(load_read_tokens("/nonexistent/tokens", ""), Catch::Contains("cannot read"));
}

TEST_CASE("same_secret compares whole strings", "[api][access]") {
    CHECK(same_secret(kAlice, kAlice));
    CHECK_FALSE(same_secret(kAlice.substr(1), kAlice));
    CHECK_FALSE(same_secret(kAlice + "x", kAlice));
    CHECK_FALSE(same_secret("", ""));
}

TEST_CASE("tokens: a bearer token names its client; none, a wrong or a revoked one is a 401",
          "[api][access]") {
    Access access(AccessOptions{true, 0, 1, 1}, two());
    auto ok = access.admit("Bearer " + kBob, "10.0.0.1", false);
    REQUIRE(std::holds_alternative<Admission>(ok));
    CHECK(std::get<Admission>(ok).client == "bob");
    CHECK(status_of(access.admit("", "10.0.0.1", false)) == 401);
    CHECK(status_of(access.admit("Bearer " + kBob + "x", "10.0.0.1", false)) == 401);
    CHECK(status_of(access.admit("Basic " + kBob, "10.0.0.1", false)) == 401);
    access.replace_tokens({{"alice", kAlice}});
    CHECK(access.clients() == 1);
    CHECK(status_of(access.admit("Bearer " + kBob, "10.0.0.1", false)) == 401);
    CHECK(status_of(access.admit("Bearer " + kAlice, "10.0.0.1", false)) == 200);
}

TEST_CASE("the rate limit: a burst, then 429 with Retry-After, per client", "[api][access]") {
    Access access(AccessOptions{true, 1, 3, 1}, two());
    for (int i = 0; i < 3; ++i)
        CHECK(status_of(access.admit("Bearer " + kAlice, "p", false)) == 200);
    auto over = access.admit("Bearer " + kAlice, "p", false);
    REQUIRE(status_of(over) == 429);
    CHECK(std::get<Refusal>(over).code == "rate_limited");
    CHECK(std::get<Refusal>(over).retry_after_s == 1);
    CHECK(status_of(access.admit("Bearer " + kBob, "p", false)) == 200);  // another client
    // Without tokens the client is the peer address.
    Access open(AccessOptions{false, 0.5, 1, 1}, {});
    CHECK(status_of(open.admit("", "10.0.0.1", false)) == 200);
    auto wait = open.admit("", "10.0.0.1", false);
    REQUIRE(status_of(wait) == 429);
    CHECK(std::get<Refusal>(wait).retry_after_s == 2);
    CHECK(status_of(open.admit("", "10.0.0.2", false)) == 200);
}

TEST_CASE("expensive answers: a slot each up to the cap, given back when dropped",
          "[api][access]") {
    Access access(AccessOptions{false, 0, 1, 2}, {});
    auto a = access.admit("", "p", true);
    auto b = access.admit("", "p", true);
    REQUIRE(status_of(a) == 200);
    REQUIRE(status_of(b) == 200);
    auto c = access.admit("", "p", true);
    REQUIRE(status_of(c) == 429);
    CHECK(std::get<Refusal>(c).code == "too_busy");
    CHECK(std::get<Refusal>(c).retry_after_s == 1);
    CHECK(status_of(access.admit("", "p", false)) == 200);  // cheap answers go on
    std::shared_ptr<void> held = std::get<Admission>(a).slot;
    a = Refusal{};
    CHECK(status_of(access.admit("", "p", true)) == 429);  // still held by a copy
    held.reset();
    CHECK(status_of(access.admit("", "p", true)) == 200);
}
