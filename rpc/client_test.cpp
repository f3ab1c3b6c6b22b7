#include "rpc/client.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "common/hex.hpp"
#include "common/strings.hpp"
#include "rpc/decode.hpp"
#include "rpc/testing/answers.hpp"

namespace erc20::rpc {
using namespace testing;  // NOLINT(google-build-using-namespace): the canned answers

// Client against a local HTTP/1.1 server with canned answers.

namespace {

struct Canned {
    int status{200};
    std::string body;
    std::string extra_headers;  // each line ending in \r\n
    int delay_ms{0};
};

class FakeNode {
  public:
    explicit FakeNode(std::deque<Canned> answers) : answers_(std::move(answers)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(listen_fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listen_fd_, 4) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeNode() {
        stop_ = true;
        thread_.join();
        ::close(listen_fd_);
    }
    FakeNode(const FakeNode&) = delete;
    FakeNode& operator=(const FakeNode&) = delete;

    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int connections() const { return connections_; }
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

  private:
    bool wait_readable(int fd) {
        while (!stop_) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 20) > 0) return true;
        }
        return false;
    }

    void serve() {
        while (wait_readable(listen_fd_)) {
            int fd = ::accept(listen_fd_, nullptr, nullptr);
            if (fd < 0) continue;
            ++connections_;
            serve_connection(fd);
            ::close(fd);
        }
    }

    void serve_connection(int fd) {
        std::string in;
        while (true) {
            size_t head_end;
            while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
                if (!read_some(fd, in)) return;
            }
            const std::string head = to_lower(std::string_view(in).substr(0, head_end));
            const size_t cl = head.find("content-length:");
            const size_t length = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 15));
            while (in.size() < head_end + 4 + length) {
                if (!read_some(fd, in)) return;
            }
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(in.substr(head_end + 4, length));
            }
            in.erase(0, head_end + 4 + length);
            Canned c;
            {
                std::lock_guard lock(mutex_);
                if (answers_.empty()) return;
                c = answers_.front();
                answers_.pop_front();
            }
            if (c.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(c.delay_ms));
            std::string out = "HTTP/1.1 " + std::to_string(c.status) + " X\r\n" +
                              "Content-Type: application/json\r\nContent-Length: " +
                              std::to_string(c.body.size()) + "\r\n" + c.extra_headers + "\r\n" +
                              c.body;
            if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) return;
        }
    }

    bool read_some(int fd, std::string& in) {
        if (!wait_readable(fd)) return false;
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return false;
        in.append(buf, static_cast<size_t>(n));
        return true;
    }

    std::deque<Canned> answers_;
    std::vector<std::string> requests_;
    std::mutex mutex_;
    int listen_fd_{-1};
    uint16_t port_{0};
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::thread thread_;
};

}  // namespace

TEST_CASE("Client reuses one connection and sends well-formed requests", "[rpc][client]") {
    auto token = parse_address(kToken);
    auto topic = parse_hash(kTransfer);
    REQUIRE(token);
    REQUIRE(topic);
    FakeNode node({
        {200, answer(R"("0x1")"), "", 0},
        {200, answer("[" + log_json() + "]"), "", 0},
        {200, "[" + answer(header_json(11), 1) + "," + answer(header_json(10), 0) + "]", "", 0},
        {200, "[" + answer(R"("0x12")", 0) + "]", "", 0},
        {200, answer(R"("0x")"), "", 0},
        {200, answer(R"("0x")"), "", 0},
    });
    Client client({.url = node.url()});
    CHECK(client.chain_id().value() == 1);
    auto logs = client.logs(1, 2, *topic, std::span(&*token, 1));
    REQUIRE(logs.ok());
    CHECK(logs->size() == 1);
    auto headers = client.headers(10, 11);
    REQUIRE(headers.ok());
    CHECK(headers->at(1)->block_num == 11);
    std::vector<std::pair<Address, std::vector<uint8_t>>> calls{{*token, {0x31, 0x3c, 0xe5, 0x67}}};
    auto batch = client.call_batch(calls, BlockNum{5});
    REQUIRE(batch.ok());
    CHECK(batch->at(0).value() == std::vector<uint8_t>{0x12});
    CHECK(client.call(*token, {}, std::nullopt).value().empty());
    CHECK(client.call(*token, {}, *topic).value().empty());
    CHECK(node.connections() == 1);

    auto requests = node.requests();
    REQUIRE(requests.size() == 6);
    CHECK(requests[0] == R"({"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]})");
    CHECK(
        requests[1] ==
        R"({"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x1","toBlock":"0x2","topics":[")" +
            kTransfer + R"("],"address":[")" + kToken + R"("]}]})");
    CHECK(
        requests[2] ==
        R"([{"jsonrpc":"2.0","id":0,"method":"eth_getBlockByNumber","params":["0xa",false]},{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0xb",false]}])");
    CHECK(requests[3] == R"([{"jsonrpc":"2.0","id":0,"method":"eth_call","params":[{"to":")" +
                             kToken + R"(","data":"0x313ce567"},"0x5"]}])");
    CHECK(requests[4] == R"({"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":")" +
                             kToken + R"(","data":"0x"},"latest"]})");
    // EIP-1898: by hash, so the call runs at exactly that block.
    CHECK(requests[5] == R"({"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":")" +
                             kToken + R"(","data":"0x"},{"blockHash":")" + kTransfer + R"("}]})");
}

TEST_CASE("Client maps HTTP statuses, timeouts and refused connections", "[rpc][client]") {
    SECTION("429 with Retry-After") {
        FakeNode node({{429, "slow down", "Retry-After: 3\r\n", 0}});
        Client client({.url = node.url()});
        auto r = client.block_number();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRateLimited);
        CHECK(r.error().retry_after_ms == int64_t{3000});
    }
    SECTION("429 without Retry-After") {
        FakeNode node({{429, "", "", 0}});
        Client client({.url = node.url()});
        auto r = client.block_number();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRateLimited);
        CHECK_FALSE(r.error().retry_after_ms);
    }
    SECTION("413 and 503") {
        FakeNode node({{413, "", "", 0}, {503, "", "", 0}});
        Client client({.url = node.url()});
        auto topic = parse_hash(kTransfer);
        CHECK(client.logs(1, 100, *topic, {}).error().kind == Kind::kRangeTooLarge);
        auto r = client.block_number();
        CHECK(r.error().kind == Kind::kHttpStatus);
        CHECK(r.error().http_status == 503);
    }
    SECTION("a suggestion that does not shrink the range is dropped") {
        FakeNode node(
            {{200, error_answer(R"({"code":-32005,"message":"try [0x1, 0x64]"})"), "", 0},
             {200, error_answer(R"({"code":-32005,"message":"try [0x1, 0x10]"})"), "", 0}});
        Client client({.url = node.url()});
        auto topic = parse_hash(kTransfer);
        auto r = client.logs(1, 100, *topic, {});
        CHECK(r.error().kind == Kind::kRangeTooLarge);
        CHECK_FALSE(r.error().suggested_to);
        r = client.logs(1, 100, *topic, {});
        CHECK(r.error().suggested_to == BlockNum{16});
    }
    SECTION("an unknown tag is nullopt") {
        FakeNode node(
            {{200, error_answer(R"({"code":-32000,"message":"safe block not found"})"), "", 0},
             {200, answer("null"), "", 0}});
        Client client({.url = node.url()});
        auto safe = client.header("safe");
        REQUIRE(safe.ok());
        CHECK_FALSE(safe.value().has_value());
        auto latest = client.header("latest");
        REQUIRE(latest.ok());
        CHECK_FALSE(latest.value().has_value());
    }
    SECTION("timeout") {
        FakeNode node({{200, answer(R"("0x1")"), "", 400}});
        Client client({.url = node.url(), .timeout = std::chrono::milliseconds(100)});
        auto r = client.block_number();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kTimeout);
    }
    SECTION("connection refused") {
        int port = 0;
        {
            FakeNode node({});
            port = std::stoi(node.url().substr(node.url().rfind(':') + 1));
        }
        Client client({.url = "http://127.0.0.1:" + std::to_string(port)});
        auto r = client.chain_id();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kTransport);
    }
}

}  // namespace erc20::rpc
