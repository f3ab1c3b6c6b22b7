#pragma once
// The admin commands' HTTP client of a running daemon's API (its --listen):
// one request per call, over libcurl, with a timeout. The node's JSON-RPC
// client is rpc::Client; this one only ever talks to our own daemon.

#include <string>

#include "config/settings.hpp"

namespace erc20::admin {

struct HttpAnswer {
    long status{0};  // 0: no connection (see error)
    std::string body;
    std::string error;
};

/// `method` (GET or POST, with an empty body) of `url`, with
/// "Authorization: Bearer <token>" when `token` is not empty. Connecting
/// times out after 1 s, the whole request after `timeout_s`.
[[nodiscard]] HttpAnswer http_request(const std::string& method, const std::string& url,
                                      const std::string& token, long timeout_s);

/// http://HOST:PORT of the daemon's --listen ("0.0.0.0" and "::" become the
/// loopback address; an IPv6 host is bracketed).
[[nodiscard]] std::string base_url(const config::Settings& s);

/// `value` escaped for a query string (RFC 3986 unreserved characters kept).
[[nodiscard]] std::string url_escape(const std::string& value);

/// The first line of `path` without trailing CR and spaces (an admin token
/// file); nullopt when it cannot be read.
[[nodiscard]] std::optional<std::string> read_token_file(const std::string& path);

}  // namespace erc20::admin
