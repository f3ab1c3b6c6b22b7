#pragma once
// `run`'s access settings: the read tokens, the limits and the safe default
// off loopback (an address other than 127.0.0.0/8 or ::1 needs read tokens
// or --public).

#include <memory>
#include <optional>
#include <string>

#include "api/access.hpp"
#include "api/server.hpp"
#include "config/settings.hpp"

namespace erc20::app {

/// The access of the read routes, or nullopt after logging why start-up
/// stops (a bad --read-token-file, a non-loopback --listen without tokens
/// or --public). Logs which access the API has.
[[nodiscard]] std::optional<std::shared_ptr<api::Access>> make_access(
    const config::Settings& s, const std::string& admin_token, unsigned http_threads);

/// SIGHUP's re-read of the read tokens (the file the config names now): a
/// bad file keeps the tokens in use.
void reload_read_tokens(api::Access& access, const config::Settings& s,
                        const std::string& admin_token);

/// The server's connection caps and timeouts from the settings.
[[nodiscard]] api::ServerOptions server_options(const config::Settings& s);

}  // namespace erc20::app
