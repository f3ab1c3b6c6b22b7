#include "app/access_setup.hpp"

#include <cmath>

#include <boost/asio/ip/address.hpp>
#include <spdlog/spdlog.h>

namespace erc20::app {
namespace {

bool loopback(const std::string& host) {
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(host, ec);
    return !ec && a.is_loopback();
}

}  // namespace

std::optional<std::shared_ptr<api::Access>> make_access(const config::Settings& s,
                                                        const std::string& admin_token,
                                                        unsigned http_threads) {
    std::vector<api::ReadToken> tokens;
    if (!s.read_token_file.empty()) {
        try {
            tokens = api::load_read_tokens(s.read_token_file, admin_token);
        } catch (const api::AccessError& e) {
            spdlog::error("{}", e.what());
            return std::nullopt;
        }
    }
    const bool local = loopback(s.listen_host);
    if (!local && tokens.empty() && !s.public_api) {
        spdlog::error(
            "--listen {}: not a loopback address, so anyone on the network could read the API; "
            "give --read-token-file (tokens per client) or --public (an open API on purpose)",
            s.listen_host);
        return std::nullopt;
    }
    if (!tokens.empty()) spdlog::info("access: read tokens for {} clients", tokens.size());
    else if (local)
        spdlog::info("access: loopback only, no read tokens");
    else
        spdlog::info("access: open to the network (--public), no read tokens");
    api::AccessOptions o;
    o.require_tokens = !tokens.empty();
    o.rate_per_s = s.rate_limit_per_s;
    o.burst = s.rate_burst > 0 ? static_cast<double>(s.rate_burst)
                               : std::max(1.0, std::ceil(s.rate_limit_per_s));
    o.max_expensive = s.max_expensive > 0 ? s.max_expensive : std::max(1u, http_threads - 1);
    if (o.rate_per_s > 0)
        spdlog::info("access: at most {:g} requests/s per client, bursts of {:g}", o.rate_per_s,
                     o.burst);
    return std::make_shared<api::Access>(o, std::move(tokens));
}

void reload_read_tokens(api::Access& access, const config::Settings& s,
                        const std::string& admin_token) {
    if (!access.options().require_tokens) {
        if (!s.read_token_file.empty())
            spdlog::warn(
                "SIGHUP: --read-token-file is read at start-up when the API is open; "
                "restart to require tokens");
        return;
    }
    if (s.read_token_file.empty()) {
        spdlog::warn(
            "SIGHUP: --read-token-file is no longer given; the tokens in use stay "
            "(restart to open the API)");
        return;
    }
    try {
        auto tokens = api::load_read_tokens(s.read_token_file, admin_token);
        spdlog::info("SIGHUP: read tokens reloaded, {} clients from {}", tokens.size(),
                     s.read_token_file);
        access.replace_tokens(std::move(tokens));
    } catch (const api::AccessError& e) {
        spdlog::error("SIGHUP: read tokens not reloaded, the {} in use stay: {}", access.clients(),
                      e.what());
    }
}

api::ServerOptions server_options(const config::Settings& s) {
    api::ServerOptions o;
    o.host = s.listen_host;
    o.port = s.listen_port;
    o.max_connections = s.max_connections;
    o.max_connections_per_peer = s.max_connections_per_peer;
    o.write_timeout = std::chrono::milliseconds(s.write_timeout_ms);
    return o;
}

}  // namespace erc20::app
