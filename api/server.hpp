#pragma once
// The local HTTP server (Boost.Beast on Asio): HTTP/1.1 keep-alive, a small
// fixed thread pool, read and idle timeouts, caps on header size, body size
// and concurrent connections.

#include <cstdint>
#include <memory>
#include <string>

#include "api/routes.hpp"

namespace erc20::api {

struct ServerOptions {
    std::string host{"127.0.0.1"};
    uint16_t port{8547};
    unsigned threads{2};
    size_t max_connections{512};
    size_t header_limit{size_t{8} * 1024};
    size_t body_limit{size_t{16} * 1024};
    unsigned read_timeout_s{10};  // a whole request, headers included
    unsigned idle_timeout_s{60};  // between requests on a kept-alive connection
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
