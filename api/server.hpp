#pragma once
// The local HTTP server (Boost.Beast on Asio): HTTP/1.1 keep-alive, a small
// fixed thread pool, read, idle and write timeouts, caps on header size,
// body size and connections (in all and per client address).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/routes.hpp"

namespace erc20::api {

struct ServerOptions {
    std::string host{"127.0.0.1"};
    uint16_t port{8547};
    unsigned threads{2};
    /// Connections open at once, in all and from one address: a new one
    /// beyond either closes the longest idle one (kept alive between
    /// requests, or with no byte in yet), else it is closed at once.
    size_t max_connections{512};
    size_t max_connections_per_peer{64};
    size_t header_limit{size_t{8} * 1024};
    size_t body_limit{size_t{16} * 1024};
    unsigned read_timeout_s{10};  // a whole request, headers included
    unsigned idle_timeout_s{60};  // between requests on a kept-alive connection
    /// A write of an answer (one chunk of an export) that takes longer cuts
    /// the connection: a client reading too slowly holds no memory for long.
    std::chrono::milliseconds write_timeout{30000};
    /// The kernel's send buffer of each connection (SO_SNDBUF): with the one
    /// chunk an export has in hand, all that a slow reader can hold.
    int send_buffer_bytes{256 * 1024};
};

class Server {
  public:
    Server(ServerOptions options, const Router& router);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and starts the threads. Throws std::runtime_error naming the
    /// address when it cannot listen.
    void start();
    /// Stops accepting, closes connections, joins the threads.
    void stop();
    /// The bound port (useful with port 0).
    [[nodiscard]] uint16_t port() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace erc20::api
