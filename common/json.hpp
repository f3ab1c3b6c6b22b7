#pragma once
// The one JSON string escaper (RFC 8259), shared by the API's answers, the
// JSON-RPC requests and the JSON log lines.

#include <string>
#include <string_view>

namespace erc20 {

/// Appends `s` escaped for the inside of a JSON string, without quotes:
///   '"' and '\' as \" and \\; '\n', '\r', '\t' as \n, \r, \t; every other
///   control character (U+0000..U+001F) and DEL as \u00XX (lowercase hex);
///   valid UTF-8 copied as it is; each byte of an invalid UTF-8 sequence
///   (overlong, surrogate, above U+10FFFF, truncated) as U+FFFD, so that text
///   echoing raw input is still valid JSON.
void append_json_escaped(std::string& out, std::string_view s);

/// Appends `s` as a JSON string: '"', append_json_escaped(s), '"'.
void append_json_string(std::string& out, std::string_view s);

}  // namespace erc20
