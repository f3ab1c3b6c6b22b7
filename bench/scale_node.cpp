// bench/scale_node: a synthetic Ethereum JSON-RPC node serving the chain of
// bench/scale_chain.hpp (the one bench/scale replays: same --transfers and
// --seed, same chain) over HTTP on 127.0.0.1, as a hosted provider would:
//
//  - eth_chainId (1), eth_blockNumber (the chain's last block),
//    eth_getBlockByNumber (a number, "latest", "safe", "finalized"; single or
//    batched) with linked hashes, timestamps, near-saturated blooms;
//  - eth_getLogs over a range with topics[0] and address filters, refused
//    above 10,000 matching logs the way Infura does (code -32005, "query
//    returned more than 10000 results", data {from, to, limit} naming the
//    longest range that fits); no block exceeds the cap;
//  - eth_call of name(), symbol(), decimals(), totalSupply() at a block
//    number, a hash (EIP-1898) or "latest", single or batched; totalSupply is
//    the supply at that block; some tokens revert, answer bytes32 or nothing
//    (scale_node_chain.hpp, TokenKind);
//  - bench_stats (not an Ethereum method): what was asked and answered
//    (requests, refusals, logs served and served twice, when the last block's
//    logs were first served) and the generator's figures to check against.
//
// Usage: scale_node [--transfers N] [--seed S] [--addresses N] [--tokens N]
//                   [--port P] [--chain-file FILE] [--ready-file FILE]
// The chain is generated at start (into --chain-file, removed at exit); then
// the port is written to --ready-file (and stdout) and the node serves until
// SIGTERM or SIGINT. See docs/performance.md ("The scale benchmark").

#include <unistd.h>

#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "bench/bench_common.hpp"
#include "bench/scale_node_chain.hpp"
#include "common/hex.hpp"
#include "indexer/extract.hpp"
#include "rpc/abi.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using Tcp = asio::ip::tcp;
using namespace erc20;
using namespace erc20::bench;

namespace {

constexpr uint64_t kLogCap = 10'000;  // Infura's and Alchemy's
constexpr uint64_t kChainId = 1;

struct Options {
    ChainShape shape;
    uint16_t port{0};
    std::string chain_file;
    std::string ready_file;
};

[[noreturn]] void usage(int code) {
    std::fprintf(code == 0 ? stdout : stderr,
                 "usage: scale_node [--transfers N] [--seed S] [--addresses N] [--tokens N]\n"
                 "                  [--port P] [--chain-file FILE] [--ready-file FILE]\n");
    std::exit(code);
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") usage(0);
        if (i + 1 >= argc) usage(2);
        const std::string v = argv[++i];
        if (a == "--chain-file") o.chain_file = v;
        else if (a == "--ready-file")
            o.ready_file = v;
        else if (auto n = parse_decimal_u64(v)) {
            if (a == "--transfers") o.shape.transfers = *n;
            else if (a == "--seed")
                o.shape.seed = *n;
            else if (a == "--addresses")
                o.shape.addresses = *n;
            else if (a == "--tokens")
                o.shape.tokens = static_cast<uint32_t>(*n);
            else if (a == "--port")
                o.port = static_cast<uint16_t>(*n);
            else
                usage(2);
        } else {
            usage(2);
        }
    }
    o.shape = scaled(o.shape);
    if (o.chain_file.empty()) o.chain_file = "/tmp/scale_node-" + std::to_string(getpid()) + ".bin";
    if (o.shape.transfers == 0 || o.shape.tokens < 2) usage(2);
    return o;
}

// ---- request scanning (requests come from rpc::Client: one call or a batch)

// The text of the first JSON string after `key` in `s` ("" when none).
std::string_view string_after(std::string_view s, std::string_view key) {
    size_t at = s.find(key);
    if (at == std::string_view::npos) return {};
    at = s.find('"', at + key.size());
    if (at == std::string_view::npos) return {};
    const size_t end = s.find('"', at + 1);
    return end == std::string_view::npos ? std::string_view{} : s.substr(at + 1, end - at - 1);
}

std::string result(int64_t id, std::string_view value) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":)" + std::string(value) +
           "}";
}
std::string quote(std::string_view s) { return '"' + std::string(s) + '"'; }
std::string error_answer(int64_t id, int64_t code, std::string_view message,
                         std::string_view data = {}) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"error":{"code":)" +
           std::to_string(code) + R"(,"message":")" + std::string(message) + '"' +
           (data.empty() ? "" : R"(,"data":)" + std::string(data)) + "}}";
}

std::string abi_string(std::string_view text) { return to_hex(rpc::encode_string(text)); }
std::string abi_bytes32(std::string_view text) {
    std::vector<uint8_t> out(32, 0);
    std::copy(text.begin(), text.begin() + static_cast<long>(std::min<size_t>(32, text.size())),
              out.begin());
    return to_hex(out);
}

// ---- the node

struct Stats {
    uint64_t requests{0}, get_logs{0}, refused{0}, logs_served{0}, logs_again{0};
    uint64_t headers{0}, calls{0};
    double last_block_served_ms{0};  // epoch ms when the head's logs were first served
};

class Node {
  public:
    explicit Node(const NodeChain& chain)
        : chain_(chain), served_((chain.total_logs() + 7) / 8, 0) {}

    std::string answer(std::string_view request);

  private:
    std::string answer_one(std::string_view method, std::string_view params, int64_t id);
    std::string get_logs(std::string_view params, int64_t id);
    std::string call(std::string_view params, int64_t id);
    std::string block(std::string_view params, int64_t id);
    std::string stats_json();
    void note_served(BlockNum from, BlockNum to, uint64_t logs);

    const NodeChain& chain_;
    std::mutex mutex_;
    Stats stats_;
    std::vector<uint8_t> served_;  // a bit per log of the chain: served once already
};

std::string Node::answer(std::string_view request) {
    constexpr std::string_view kItem = R"({"jsonrpc":"2.0","id":)";
    {
        const std::lock_guard lock(mutex_);
        ++stats_.requests;
    }
    std::vector<std::string> answers;
    for (size_t at = request.find(kItem); at != std::string_view::npos;) {
        const size_t next = request.find(kItem, at + 1);
        const std::string_view item =
            request.substr(at, next == std::string_view::npos ? request.npos : next - at);
        const auto id = static_cast<int64_t>(
            parse_decimal_u64(
                item.substr(kItem.size(), item.find(',', kItem.size()) - kItem.size()))
                .value_or(0));
        const std::string_view method = string_after(item, R"("method")");
        const size_t params_at = item.find(R"("params":)");
        const std::string_view params =
            params_at == item.npos ? std::string_view{} : item.substr(params_at + 9);
        answers.push_back(answer_one(method, params, id));
        at = next;
    }
    if (answers.empty())
        return R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}})";
    if (request.front() != '[') return answers.front();
    std::string out = "[";
    for (size_t i = 0; i < answers.size(); ++i) out += (i ? "," : "") + answers[i];
    return out + "]";
}

std::string Node::answer_one(std::string_view method, std::string_view params, int64_t id) {
    if (method == "eth_chainId") return result(id, quote(to_quantity(kChainId)));
    if (method == "eth_blockNumber") return result(id, quote(to_quantity(chain_.head())));
    if (method == "eth_getBlockByNumber") return block(params, id);
    if (method == "eth_getLogs") return get_logs(params, id);
    if (method == "eth_call") return call(params, id);
    if (method == "bench_stats") return result(id, stats_json());
    return error_answer(id, -32601, "the method " + std::string(method) + " does not exist");
}

std::string Node::block(std::string_view params, int64_t id) {
    {
        const std::lock_guard lock(mutex_);
        ++stats_.headers;
    }
    const BlockNum head = chain_.head();
    const std::string_view tag = string_after(params, "[");
    std::optional<BlockNum> n;
    if (tag == "latest" || tag == "pending") n = head;
    else if (tag == "safe")
        n = head - 32;
    else if (tag == "finalized")
        n = head - 64;
    else if (tag == "earliest")
        n = 0;
    else
        n = parse_quantity_u64(tag);
    if (!n) return error_answer(id, -32602, "invalid argument 0: hex string without 0x prefix");
    return result(id, *n <= head ? chain_.header_json(*n) : std::string("null"));
}

void Node::note_served(BlockNum from, BlockNum to, uint64_t logs) {
    const std::lock_guard lock(mutex_);
    stats_.logs_served += logs;
    for (uint64_t i = chain_.log_offset(from), e = chain_.log_offset(to + 1); i < e; ++i) {
        const auto bit = static_cast<uint8_t>(1u << (i % 8));
        if ((served_[i / 8] & bit) != 0) ++stats_.logs_again;
        served_[i / 8] = static_cast<uint8_t>(served_[i / 8] | bit);
    }
    if (to >= chain_.head() && stats_.last_block_served_ms == 0)
        stats_.last_block_served_ms =
            static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
}

// eth_getLogs: the logs of [fromBlock, toBlock] whose topics[0] and address
// match, or Infura's refusal above kLogCap of them.
std::string Node::get_logs(std::string_view params, int64_t id) {
    {
        const std::lock_guard lock(mutex_);
        ++stats_.get_logs;
    }
    const auto from = parse_quantity_u64(string_after(params, R"("fromBlock")"));
    auto to = parse_quantity_u64(string_after(params, R"("toBlock")"));
    const auto topic = parse_hash(string_after(params, R"("topics")"));
    if (!from || !to || *from > *to) return error_answer(id, -32602, "invalid block range params");
    to = std::min(*to, chain_.head());
    std::vector<uint32_t> wanted;  // token indexes; empty: every contract
    bool filtered = false;
    if (size_t at = params.find(R"("address":[)"); at != params.npos) {
        filtered = true;
        const std::string_view list = params.substr(at + 11, params.find(']', at) - at - 11);
        for (size_t q = list.find('"'); q != list.npos;
             q = list.find('"', list.find('"', q + 1) + 1)) {
            if (auto a = parse_address(list.substr(q + 1, 42))) {
                if (auto t = chain_.token_of(*a)) wanted.push_back(*t);
            }
        }
    }
    auto matches = [&](const GenLog& l) {
        if (topic && *topic != indexer::kTransferTopic) return false;
        if (!filtered) return true;
        return !l.nft && std::find(wanted.begin(), wanted.end(), l.token) != wanted.end();
    };
    // Count first: the end of the longest range from `from` within the cap.
    uint64_t count = 0;
    BlockNum fits = *from;
    for (BlockNum n = *from; n <= *to; ++n) {
        const auto logs = chain_.logs(n);
        for (const auto& l : logs) count += matches(l) ? 1U : 0U;
        if (count > kLogCap) {
            const std::lock_guard lock(mutex_);
            ++stats_.refused;
            const std::string data = R"({"from":")" + to_quantity(*from) +
                                     R"(","limit":10000,"to":")" + to_quantity(fits) + R"("})";
            return error_answer(id, -32005, "query returned more than 10000 results", data);
        }
        fits = n;
    }
    std::string out = R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":[)";
    bool first = true;
    GenBlock b;
    for (BlockNum n = *from; n <= *to && count > 0; ++n) {
        b.number = n;
        b.logs.clear();
        for (const auto& l : chain_.logs(n)) {
            if (matches(l)) b.logs.push_back(l);
        }
        append_logs_json(out, chain_.generator(), b, first);
    }
    out += "]}";
    if (!filtered && (!topic || *topic == indexer::kTransferTopic)) note_served(*from, *to, count);
    return out;
}

// eth_call {to, data} at a block: the metadata calls of each token kind.
std::string Node::call(std::string_view params, int64_t id) {
    {
        const std::lock_guard lock(mutex_);
        ++stats_.calls;
    }
    const auto to = parse_address(string_after(params, R"("to")"));
    const auto data = parse_data(string_after(params, R"("data")"));
    BlockNum at = chain_.head();
    if (params.find(R"("blockHash")") != params.npos) {
        const auto h = parse_hash(string_after(params, R"("blockHash")"));
        const auto n = h ? chain_.block_of(*h) : std::nullopt;
        if (!n) return error_answer(id, -32000, "header for hash not found");
        at = *n;
    } else if (const size_t c = params.find("},"); c != params.npos) {
        const std::string_view tag = string_after(params.substr(c), ",");
        if (auto n = parse_quantity_u64(tag)) at = *n;
        if (at > chain_.head()) return error_answer(id, -32000, "header not found");
    }
    const auto token = to ? chain_.token_of(*to) : std::nullopt;
    if (!token || !data || data->size() < 4) return result(id, R"("0x")");
    const TokenKind kind = token_kind(*token);
    if (kind == TokenKind::kEmpty) return result(id, R"("0x")");
    const std::vector<uint8_t> selector(data->begin(), data->begin() + 4);
    if (selector == rpc::selector_total_supply())
        return result(id, quote(to_hex(chain_.supply_word(*token, at))));
    if (kind == TokenKind::kReverts) return error_answer(id, 3, "execution reverted", R"("0x")");
    const std::string index = std::to_string(*token);
    const auto text = [&](const std::string& s) {
        return quote(kind == TokenKind::kBytes32 ? abi_bytes32(s) : abi_string(s));
    };
    if (selector == rpc::selector_name()) return result(id, text("Scale Token " + index));
    if (selector == rpc::selector_symbol()) return result(id, text("ST" + index));
    if (selector == rpc::selector_decimals()) {
        const auto& m = chain_.generator().multiplier(*token);
        const uint64_t decimals = m[0] == 1 ? 6 : m[0] == 100 ? 8 : 18;
        return result(id, quote(to_hex(u256_to_be(U256(decimals)))));
    }
    return error_answer(id, 3, "execution reverted", R"("0x")");
}

std::string Node::stats_json() {
    const std::lock_guard lock(mutex_);
    const auto& s = stats_;
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.0f", s.last_block_served_ms);
    return R"({"requests":)" + std::to_string(s.requests) + R"(,"get_logs":)" +
           std::to_string(s.get_logs) + R"(,"refused":)" + std::to_string(s.refused) +
           R"(,"logs_served":)" + std::to_string(s.logs_served) + R"(,"logs_again":)" +
           std::to_string(s.logs_again) + R"(,"header_calls":)" + std::to_string(s.headers) +
           R"(,"calls":)" + std::to_string(s.calls) + R"(,"last_block_served_ms":)" + ms +
           R"(,"expect":)" + chain_.expect_json() + "}";
}

// ---- HTTP: a thread per connection (the daemon opens a handful), keep-alive

void session(Tcp::socket socket, Node& node) {
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(64u << 20);
        beast::error_code ec;
        http::read(socket, buffer, parser, ec);
        if (ec) break;
        const auto& req = parser.get();
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "application/json");
        res.keep_alive(req.keep_alive());
        res.body() = node.answer(req.body());
        res.prepare_payload();
        http::write(socket, res, ec);
        if (ec || !res.keep_alive()) break;
    }
    beast::error_code ignored;
    socket.shutdown(Tcp::socket::shutdown_both, ignored);
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse_options(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    try {
        const auto t0 = Clock::now();
        const NodeChain chain(o.shape, o.chain_file);
        std::printf("scale_node: %" PRIu64 " transfers in blocks [%" PRIu64 ", %" PRIu64
                    "], %" PRIu64 " logs, generated in %.1f s, VmHWM %s\n",
                    o.shape.transfers, kScaleStartBlock, chain.head(), chain.total_logs(),
                    seconds_since(t0),
                    human_bytes(static_cast<double>(proc_status_kib("VmHWM")) * 1024).c_str());
        Node node(chain);
        asio::io_context io;
        Tcp::acceptor acceptor(io, Tcp::endpoint(asio::ip::make_address("127.0.0.1"), o.port));
        const auto port = acceptor.local_endpoint().port();
        std::signal(SIGPIPE, SIG_IGN);
        // SIGTERM / SIGINT: exit at once (the chain file is removed on the way out).
        static std::string chain_file = o.chain_file;
        auto stop = [](int) {
            ::unlink(chain_file.c_str());
            std::_Exit(0);
        };
        std::signal(SIGTERM, stop);
        std::signal(SIGINT, stop);
        if (!o.ready_file.empty()) std::ofstream(o.ready_file) << port << "\n";
        std::printf("scale_node: listening on 127.0.0.1:%u\n", static_cast<unsigned>(port));
        for (;;) {
            Tcp::socket socket(io);
            acceptor.accept(socket);
            std::thread(session, std::move(socket), std::ref(node)).detach();
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scale_node: %s\n", e.what());
        return 1;
    }
}
