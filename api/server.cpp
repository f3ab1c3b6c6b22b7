#include "api/server.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "api/access.hpp"
#include "api/gzip.hpp"
#include "common/metrics.hpp"

namespace erc20::api {
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using Tcp = asio::ip::tcp;

namespace {

std::string error_json(std::string_view code, std::string_view message) {
    return std::string("{\"error\":{\"code\":\"") + std::string(code) + "\",\"message\":\"" +
           std::string(message) + "\"}}";
}

// An expensive request over --max-expensive-concurrency tries again this often, this long.
constexpr auto kQueueRetry = std::chrono::milliseconds(20);
constexpr auto kQueueWait = std::chrono::seconds(10);

// Answers of at least this many bytes go out gzip-encoded when the client takes gzip.
constexpr size_t kGzipMinBytes = 4096;

// The response's headers beside status and body: the route's own (X-Indexed-Block, CORS, ...),
// ETag (weak when the client takes gzip, since the encoded bytes differ: as nginx does, so that
// If-None-Match matches either form), Vary, and Content-Encoding.
template <class Message>
void set_headers(Message& m, const Response& r, bool takes_gzip, bool gzipped) {
    m.set(http::field::server, "erc20-indexer");
    if (r.status != 304 && r.status != 204) m.set(http::field::content_type, r.content_type);
    if (!r.etag.empty()) m.set(http::field::etag, takes_gzip ? "W/" + r.etag : r.etag);
    if (!r.allow.empty()) m.set(http::field::allow, r.allow);
    std::string vary;
    for (const auto& [k, v] : r.headers) {
        if (beast::iequals(k, "Vary")) vary += (vary.empty() ? "" : ", ") + v;
        else
            m.set(k, v);
    }
    if (!r.etag.empty()) vary += vary.empty() ? "Accept-Encoding" : ", Accept-Encoding";
    if (!vary.empty()) m.set(http::field::vary, vary);
    if (gzipped) m.set(http::field::content_encoding, "gzip");
}

class Session;

// The open connections, by client address, and which of them are idle: a
// new connection over a cap closes the one idle longest (of its address
// for the per-address cap), or is refused when none is.
class Connections {
  public:
    using Clock = std::chrono::steady_clock;
    explicit Connections(const ServerOptions& options) : options_(options) {}

    /// Whether a connection from `peer` may open; the idle one it displaces
    /// (to be closed) in `victim`.
    bool admit(const std::string& peer, std::shared_ptr<Session>& victim);
    void add(Session* s, const std::weak_ptr<Session>& w, const std::string& peer);
    void remove(Session* s);
    void set_idle(Session* s, bool idle);
    /// Counts a displaced connection again (it was busy, so it stays open).
    void recount(Session* s);

  private:
    struct Entry {
        std::weak_ptr<Session> session;
        std::string peer;
        bool idle{false};
        bool counted{true};  // false once displaced: its close is under way
        Clock::time_point idle_since;
    };
    /// The idle entry idle longest (of `peer` when given), uncounted.
    std::shared_ptr<Session> displace(const std::string* peer);
    void uncount(Entry& e);

    const ServerOptions& options_;
    std::mutex mutex_;
    std::unordered_map<Session*, Entry> entries_;
    std::unordered_map<std::string, size_t> per_peer_;
    size_t total_{0};
};

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(Tcp::socket socket, const Router& router, const ServerOptions& options,
            Connections& connections, std::string peer)
        : stream_(std::move(socket)),
          router_(router),
          options_(options),
          connections_(connections),
          peer_(std::move(peer)) {}
    ~Session() { connections_.remove(this); }

    void start() {
        asio::dispatch(stream_.get_executor(),
                       beast::bind_front_handler(&Session::read, shared_from_this()));
    }

    /// Closes the connection unless a request came in since it was displaced;
    /// then it counts against the caps again.
    void close_if_idle() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            if (self->idle_) return self->close();
            self->connections_.recount(self.get());
        });
    }

  private:
    // Between requests a kept-alive connection may idle for idle_timeout_s;
    // once a request's first byte is in, the whole request must arrive within
    // read_timeout_s (a client sending headers one byte a second is dropped).
    // Waiting for a request's first byte, a connection is idle: one over the
    // caps may close it (Connections).
    void read() {
        if (buffer_.size() == 0) {
            stream_.expires_after(
                std::chrono::seconds(first_ ? options_.read_timeout_s : options_.idle_timeout_s));
            mark_idle(true);
            stream_.async_read_some(buffer_.prepare(4096),
                                    [self = shared_from_this()](beast::error_code ec, size_t n) {
                                        self->mark_idle(false);
                                        if (ec) return self->close();
                                        self->buffer_.commit(n);
                                        self->read_request();
                                    });
            return;
        }
        read_request();
    }

    void mark_idle(bool idle) {
        idle_ = idle;
        connections_.set_idle(this, idle);
    }

    void read_request() {
        first_ = false;
        parser_.emplace();
        parser_->header_limit(static_cast<uint32_t>(options_.header_limit));
        parser_->body_limit(options_.body_limit);
        stream_.expires_after(std::chrono::seconds(options_.read_timeout_s));
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, size_t) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == asio::error::operation_aborted) {
            return close();
        }
        if (ec == http::error::header_limit)
            return send_error(431, "headers_too_large", "request headers exceed the limit");
        if (ec == http::error::body_limit)
            return send_error(413, "body_too_large", "request body exceeds the limit");
        if (ec) {
            if (ec == asio::error::connection_reset || ec == asio::error::eof) return close();
            return send_error(400, "bad_request", "malformed HTTP request");
        }
        req_ = parser_->release();
        started_ = std::chrono::steady_clock::now();
        queued_ = false;
        answer();
    }

    // Routes the request; an expensive one over the cap waits its turn (a
    // timer, no thread held) for up to kQueueWait before its 429.
    void answer() {
        const auto& req = req_;
        Response r = route(req);
        if (r.busy && std::chrono::steady_clock::now() - started_ < kQueueWait) {
            queued_ = true;
            timer_.expires_after(kQueueRetry);
            timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (ec) return self->close();
                self->answer();
            });
            return;
        }
        if (r.busy) count_rejected("too_busy");
        route_ = r.route;
        status_ = r.status;
        keep_alive_ = req.keep_alive();
        const auto ae = req[http::field::accept_encoding];
        const bool takes_gzip = accepts_gzip(std::string_view(ae.data(), ae.size()));
        const bool head = req.method() == http::verb::head;
        if (r.stream && !head) return stream(std::move(r), req.version(), takes_gzip);
        const bool gzipped =
            takes_gzip && !head && r.status == 200 && r.body.size() >= kGzipMinBytes;
        auto res = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(r.status), req.version());
        set_headers(*res, r, takes_gzip, gzipped);
        res->keep_alive(req.keep_alive());
        if (head) {
            // A streamed export's length is not known before it is streamed: none is given
            // (GET answers it chunked), rather than a Content-Length of 0.
            if (!r.stream) res->content_length(r.body.size());
        } else if (r.status != 304 && r.status != 204) {
            res->body() = gzipped ? gzip(r.body) : std::move(r.body);
            res->prepare_payload();
        }
        write(res);
    }

    Response route(const http::request<http::string_body>& req) const {
        try {
            auto m = req.method_string();
            auto t = req.target();
            auto inm = req[http::field::if_none_match];
            auto auth = req[http::field::authorization];
            auto origin = req[http::field::origin];
            return router_.handle(
                Request{std::string_view(m.data(), m.size()), std::string_view(t.data(), t.size()),
                        std::string_view(inm.data(), inm.size()),
                        std::string_view(auth.data(), auth.size()),
                        std::string_view(origin.data(), origin.size()), peer_, queued_});
        } catch (const std::exception& e) {
            spdlog::error("http: {} failed: {}",
                          std::string(req.target().data(), req.target().size()), e.what());
            Response r{500, error_json("internal", "internal error")};
            r.route = "unmatched";
            return r;
        }
    }

    // A bulk export: chunked transfer encoding, one chunk per page, so memory
    // stays constant whatever the list's length.
    // With gzip, each chunk is compressed and flushed on its own: the client can decode every
    // row sent so far, and the encoder's state (about 256 KiB) is the only extra memory.
    void stream(Response r, unsigned version, bool gzipped) {
        producer_ = std::move(r.stream);
        if (gzipped) gzip_ = std::make_unique<GzipStream>();
        header_ = std::make_shared<http::response<http::empty_body>>(http::status::ok, version);
        set_headers(*header_, r, gzipped, gzipped);
        header_->chunked(true);
        header_->keep_alive(keep_alive_);
        serializer_.emplace(*header_);
        stream_.expires_after(options_.write_timeout);
        http::async_write_header(stream_, *serializer_,
                                 [self = shared_from_this()](beast::error_code ec, size_t) {
                                     if (ec) return self->close();
                                     self->next_chunk();
                                 });
    }

    void next_chunk() {
        chunk_.clear();
        bool more = false;
        try {
            while (chunk_.size() < size_t{64} * 1024) {
                more = producer_(chunk_);
                if (!more) break;
            }
        } catch (const std::exception& e) {
            // Headers are out: all that is left is to cut the stream, which the client sees as an
            // error.
            spdlog::error("http: export failed: {}", e.what());
            return close();
        }
        if (gzip_) {
            std::string encoded;
            gzip_->write(chunk_, !more, encoded);
            chunk_ = std::move(encoded);
            if (!more) gzip_.reset();
        }
        if (!more) producer_ = nullptr;  // and with it what it holds (an expensive slot)
        stream_.expires_after(options_.write_timeout);
        auto after = [self = shared_from_this(), more](beast::error_code ec, size_t) {
            if (ec) return self->close();
            if (more) return self->next_chunk();
            asio::async_write(self->stream_, http::make_chunk_last(),
                              [self](beast::error_code ec2, size_t) {
                                  self->record();
                                  if (ec2 || !self->keep_alive_) return self->close();
                                  self->read();
                              });
        };
        if (chunk_.empty()) return after({}, 0);
        asio::async_write(stream_, http::make_chunk(asio::buffer(chunk_)), std::move(after));
    }

    void record() {
        const std::string labels =
            "route=\"" + route_ + "\",status=\"" + std::to_string(status_) + "\"";
        auto& m = metrics::registry();
        m.inc("erc20_http_requests_total", "HTTP requests by route and status", labels);
        m.observe(
            "erc20_http_request_duration_seconds", "HTTP request latency",
            "route=\"" + route_ + "\"",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    }

    void send_error(unsigned status, std::string_view code, std::string_view message) {
        route_ = "unmatched";
        status_ = status;
        started_ = std::chrono::steady_clock::now();
        auto res = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(status), 11);
        res->set(http::field::content_type, "application/json");
        res->keep_alive(false);
        res->body() = error_json(code, message);
        res->prepare_payload();
        write(res);
    }

    void write(const std::shared_ptr<http::response<http::string_body>>& res) {
        stream_.expires_after(options_.write_timeout);
        http::async_write(stream_, *res,
                          [self = shared_from_this(), res](beast::error_code ec, size_t) {
                              self->record();
                              if (ec || !res->keep_alive()) return self->close();
                              self->read();
                          });
    }

    void close() {
        producer_ = nullptr;
        gzip_.reset();
        beast::error_code ec;
        stream_.socket().shutdown(Tcp::socket::shutdown_send, ec);
        stream_.socket().close(ec);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    const Router& router_;
    const ServerOptions& options_;
    Connections& connections_;
    const std::string peer_;
    asio::steady_timer timer_{stream_.get_executor()};
    http::request<http::string_body> req_;
    bool queued_ = false;  // req_ has waited for an expensive slot
    bool first_ = true;
    bool idle_ = false;
    bool keep_alive_ = false;
    std::string route_;
    unsigned status_ = 0;
    std::chrono::steady_clock::time_point started_;
    std::function<bool(std::string&)> producer_;
    std::unique_ptr<GzipStream> gzip_;  // set while a gzip-encoded export is under way
    std::shared_ptr<http::response<http::empty_body>> header_;
    std::optional<http::response_serializer<http::empty_body>> serializer_;
    std::string chunk_;
};

bool Connections::admit(const std::string& peer, std::shared_ptr<Session>& victim) {
    std::lock_guard lock(mutex_);
    const auto it = per_peer_.find(peer);
    if (it != per_peer_.end() && it->second >= options_.max_connections_per_peer) {
        victim = displace(&peer);
        if (!victim) {
            count_rejected("peer_connections");
            return false;
        }
    } else if (total_ >= options_.max_connections) {
        victim = displace(nullptr);
        if (!victim) {
            count_rejected("connections");
            return false;
        }
    }
    if (victim) count_rejected("idle_closed");
    return true;
}

std::shared_ptr<Session> Connections::displace(const std::string* peer) {
    Entry* oldest = nullptr;
    for (auto& [s, e] : entries_) {
        if (!e.idle || !e.counted || (peer && e.peer != *peer)) continue;
        if (!oldest || e.idle_since < oldest->idle_since) oldest = &e;
    }
    if (!oldest) return nullptr;
    auto victim = oldest->session.lock();
    if (victim) uncount(*oldest);
    return victim;
}

void Connections::uncount(Entry& e) {
    if (!e.counted) return;
    e.counted = false;
    --total_;
    if (auto it = per_peer_.find(e.peer); it != per_peer_.end() && --it->second == 0)
        per_peer_.erase(it);
}

void Connections::add(Session* s, const std::weak_ptr<Session>& w, const std::string& peer) {
    std::lock_guard lock(mutex_);
    entries_[s] = Entry{w, peer, false, true, Clock::now()};
    ++total_;
    ++per_peer_[peer];
}

void Connections::remove(Session* s) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(s);
    if (it == entries_.end()) return;
    uncount(it->second);
    entries_.erase(it);
}

void Connections::recount(Session* s) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(s);
    if (it == entries_.end() || it->second.counted) return;
    it->second.counted = true;
    ++total_;
    ++per_peer_[it->second.peer];
}

void Connections::set_idle(Session* s, bool idle) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(s);
    if (it == entries_.end()) return;
    it->second.idle = idle;
    if (idle) it->second.idle_since = Clock::now();
}

}  // namespace

struct Server::Impl {
    ServerOptions options;
    const Router& router;
    std::vector<std::thread> threads;
    bool running = false;

    Impl(ServerOptions o, const Router& r)
        : options(std::move(o)),
          router(r),
          connections(std::make_unique<Connections>(options)),
          ioc(static_cast<int>(options.threads)) {}

    // Declared before the io_context: sessions it still holds unregister as it goes.
    std::unique_ptr<Connections> connections;
    asio::io_context ioc;
    Tcp::acceptor acceptor{ioc};

    void accept() {
        acceptor.async_accept(asio::make_strand(ioc),
                              [this](beast::error_code ec, Tcp::socket socket) {
                                  if (ec) {
                                      if (ec == asio::error::operation_aborted) return;
                                      spdlog::warn("http: accept failed: {}", ec.message());
                                  } else {
                                      open(std::move(socket));
                                  }
                                  accept();
                              });
    }

    void open(Tcp::socket socket) {
        beast::error_code ec;
        const std::string peer = socket.remote_endpoint(ec).address().to_string();
        std::shared_ptr<Session> victim;
        if (ec || !connections->admit(peer, victim)) {
            socket.close(ec);
            return;
        }
        if (victim) victim->close_if_idle();
        socket.set_option(asio::socket_base::send_buffer_size(options.send_buffer_bytes), ec);
        auto session =
            std::make_shared<Session>(std::move(socket), router, options, *connections, peer);
        connections->add(session.get(), session, peer);
        session->start();
    }
};

Server::Server(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() { stop(); }

void Server::start() {
    auto& d = *impl_;
    beast::error_code ec;
    auto address = asio::ip::make_address(d.options.host, ec);
    if (ec) throw std::runtime_error("--listen: '" + d.options.host + "' is not an IP address");
    Tcp::endpoint endpoint(address, d.options.port);
    d.acceptor.open(endpoint.protocol(), ec);
    if (!ec) d.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) d.acceptor.bind(endpoint, ec);
    if (!ec) d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + d.options.host + ":" +
                                 std::to_string(d.options.port) + ": " + ec.message());
    }
    d.accept();
    d.running = true;
    for (unsigned i = 0; i < std::max(1u, d.options.threads); ++i) {
        d.threads.emplace_back([&d] { d.ioc.run(); });
    }
}

void Server::stop() {
    auto& d = *impl_;
    if (!d.running) return;
    d.running = false;
    asio::post(d.ioc, [&d] {
        beast::error_code ignored;
        d.acceptor.close(ignored);
    });
    d.ioc.stop();
    for (auto& t : d.threads) t.join();
    d.threads.clear();
}

uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace erc20::api
