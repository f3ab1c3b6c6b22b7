#include "common/json.hpp"

#include <catch2/catch.hpp>

using namespace erc20;

namespace {
std::string quoted(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}
}  // namespace

TEST_CASE("JSON strings escape quotes, backslashes and control characters", "[common][json]") {
    CHECK(quoted("plain text 0x1a") == "\"plain text 0x1a\"");
    CHECK(quoted("") == "\"\"");
    CHECK(quoted("say \"hi\"\\") == R"("say \"hi\"\\")");
    SECTION("the three short escapes") { CHECK(quoted("a\nb\rc\td") == R"("a\nb\rc\td")"); }
    SECTION("other control characters as \\u00XX") {
        CHECK(quoted(std::string_view("\0\x01\x08\x0c\x1b\x1f", 6)) ==
              R"("\u0000\u0001\u0008\u000c\u001b\u001f")");
    }
    SECTION("DEL too") { CHECK(quoted("\x7f") == R"("\u007f")"); }
    SECTION("a slash is not escaped") { CHECK(quoted("/v1/tokens") == "\"/v1/tokens\""); }
}

TEST_CASE("JSON strings keep valid UTF-8 and replace invalid bytes", "[common][json]") {
    const std::string replacement = "\xef\xbf\xbd";
    SECTION("two, three and four byte sequences") {
        CHECK(quoted("\xc3\xa9") == "\"\xc3\xa9\"");
        CHECK(quoted("\xe2\x82\xac") == "\"\xe2\x82\xac\"");
        CHECK(quoted("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");
    }
    SECTION("a stray continuation byte") { CHECK(quoted("a\x80z") == "\"a" + replacement + "z\""); }
    SECTION("overlong encodings") {
        CHECK(quoted("\xc0\xaf") == "\"" + replacement + replacement + "\"");
        CHECK(quoted("\xe0\x80\xaf") == "\"" + replacement + replacement + replacement + "\"");
    }
    SECTION("a UTF-16 surrogate") {
        CHECK(quoted("\xed\xa0\x80") == "\"" + replacement + replacement + replacement + "\"");
    }
    SECTION("above U+10FFFF") {
        CHECK(quoted("\xf4\x90\x80\x80").find('\xf4') == std::string::npos);
    }
    SECTION("truncated at the end") {
        CHECK(quoted("\xe2\x82") == "\"" + replacement + replacement + "\"");
    }
}

TEST_CASE("append_json_escaped writes no quotes", "[common][json]") {
    std::string out = "msg:";
    append_json_escaped(out, "a\"b");
    CHECK(out == R"(msg:a\"b)");
}
