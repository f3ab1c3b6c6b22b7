#include "common/strings.hpp"

#include <catch2/catch.hpp>

using namespace erc20;

TEST_CASE("to_lower lowers ASCII letters only", "[common][strings]") {
    CHECK(to_lower("Rate LIMIT exceeded: 0xAB") == "rate limit exceeded: 0xab");
    CHECK(to_lower("").empty());
    SECTION("UTF-8 bytes pass unchanged") {
        CHECK(to_lower("\xc3\x89t\xc3\xa9") == "\xc3\x89t\xc3\xa9");
    }
    SECTION("punctuation around the letter range") { CHECK(to_lower("@[`{") == "@[`{"); }
}

TEST_CASE("starts_with_nocase compares a prefix without case", "[common][strings]") {
    CHECK(starts_with_nocase("Retry-After: 3", "retry-after:"));
    CHECK(starts_with_nocase("RETRY-AFTER:", "retry-after:"));
    CHECK_FALSE(starts_with_nocase("Retry-After", "retry-after:"));
    CHECK_FALSE(starts_with_nocase("Retry_After: 3", "retry-after:"));
    CHECK(starts_with_nocase("anything", ""));
}
