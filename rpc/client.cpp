#include "rpc/client.hpp"

#include <chrono>

#include "common/metrics.hpp"

#include <curl/curl.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "common/hex.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"
#include "rpc/decode.hpp"

namespace erc20::rpc {

// ---------------------------------------------------------------------------
// RpcError

const char* RpcError::kind_name() const noexcept {
    switch (kind) {
        case Kind::kTransport:
            return "transport";
        case Kind::kTimeout:
            return "timeout";
        case Kind::kHttpStatus:
            return "http_status";
        case Kind::kRateLimited:
            return "rate_limited";
        case Kind::kMalformed:
            return "malformed";
        case Kind::kRpcError:
            return "rpc_error";
        case Kind::kRangeTooLarge:
            return "range_too_large";
        case Kind::kReverted:
            return "reverted";
        case Kind::kUnavailable:
            return "unavailable";
    }
    return "unknown";
}

std::string RpcError::to_string() const {
    std::string out = kind_name();
    if (http_status != 0) out += " http=" + std::to_string(http_status);
    if (code != 0) out += " code=" + std::to_string(code);
    if (retry_after_ms) out += " retry_after_ms=" + std::to_string(*retry_after_ms);
    if (suggested_to) out += " suggested_to=" + std::to_string(*suggested_to);
    if (!message.empty()) {
        out += ": ";
        out += message;
    }
    return out;
}

// ---------------------------------------------------------------------------
// Request text

namespace {

void begin_request(std::string& r, int64_t id, std::string_view method) {
    r += R"({"jsonrpc":"2.0","id":)";
    r += std::to_string(id);
    r += R"(,"method":")";
    r += method;
    r += R"(","params":)";
}

void append_block(std::string& r, const BlockId& block) {
    if (const auto* n = std::get_if<BlockNum>(&block.at)) {
        append_json_string(r, to_quantity(*n));
    } else if (const auto* h = std::get_if<Hash>(&block.at)) {
        r += R"({"blockHash":")";
        r += to_hex(*h);
        r += R"("})";
    } else {
        r += R"("latest")";
    }
}

void append_call(std::string& r, int64_t id, const Address& to, std::span<const uint8_t> data,
                 const BlockId& block) {
    begin_request(r, id, "eth_call");
    r += R"([{"to":")";
    r += to_hex(to);
    r += R"(","data":")";
    r += to_hex(data);
    r += R"("},)";
    append_block(r, block);
    r += "]}";
}

// Whether an error to eth_getBlockByNumber(tag) means "no such tag here"
// (pre-merge chains have no safe/finalized block; some nodes lack the tags).
bool is_unknown_tag(const RpcError& e) {
    if (e.kind != RpcError::Kind::kRpcError) return false;
    if (e.code == -32602) return true;  // invalid params
    const std::string m = to_lower(e.message);
    for (std::string_view needle : {"not found", "unknown block", "invalid block", "unable to find",
                                    "not supported", "unsupported"}) {
        if (m.find(needle) != std::string::npos) return true;
    }
    return false;
}

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("curl_global_init failed");
        }
    });
}

}  // namespace

// ---------------------------------------------------------------------------
// Client::Impl

struct Client::Impl {
    explicit Impl(ClientOptions opts) : options(std::move(opts)) {
        init_curl_once();
        curl = curl_easy_init();
        if (curl == nullptr) throw std::runtime_error("curl_easy_init failed");
        headers = curl_slist_append(nullptr, "Content-Type: application/json");
        if (headers != nullptr) {
            // No "Expect: 100-continue" round trip before large bodies.
            curl_slist* more = curl_slist_append(headers, "Expect:");
            if (more != nullptr) headers = more;
        }
        if (headers == nullptr) throw std::runtime_error("curl_slist_append failed");
        error_buffer[0] = '\0';

        set(CURLOPT_URL, options.url.c_str());
        set(CURLOPT_POST, 1L);
        set(CURLOPT_HTTPHEADER, headers);
        set(CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl supports
        set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
        set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
        set(CURLOPT_NOSIGNAL, 1L);
        set(CURLOPT_TCP_KEEPALIVE, 1L);
        set(CURLOPT_ERRORBUFFER, error_buffer);
        set(CURLOPT_WRITEFUNCTION, &Impl::on_body);
        set(CURLOPT_WRITEDATA, this);
        set(CURLOPT_HEADERFUNCTION, &Impl::on_header);
        set(CURLOPT_HEADERDATA, this);
        if (options.cancel != nullptr) {
            // Lets a stop request abort a call in flight instead of waiting out its timeout.
            set(CURLOPT_NOPROGRESS, 0L);
            set(CURLOPT_XFERINFOFUNCTION, &Impl::on_progress);
            set(CURLOPT_XFERINFODATA, this);
        }
    }

    static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        auto* self = static_cast<Impl*>(user);
        return self->options.cancel->load(std::memory_order_relaxed) ? 1 : 0;
    }

    ~Impl() {
        curl_easy_cleanup(curl);
        curl_slist_free_all(headers);
    }

    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    template <class T>
    void set(CURLoption option, T value) {
        const CURLcode rc = curl_easy_setopt(curl, option, value);
        if (rc != CURLE_OK) {
            throw std::runtime_error(std::string("curl_easy_setopt: ") + curl_easy_strerror(rc));
        }
    }

    static size_t on_body(char* ptr, size_t size, size_t nmemb, void* user) {
        auto* self = static_cast<Impl*>(user);
        self->body.append(ptr, size * nmemb);
        return size * nmemb;
    }

    static size_t on_header(char* ptr, size_t size, size_t nmemb, void* user) {
        auto* self = static_cast<Impl*>(user);
        const std::string_view line(ptr, size * nmemb);
        constexpr std::string_view kName = "retry-after:";
        if (line.starts_with("HTTP/")) {
            self->retry_after_ms.reset();  // a new response (after 100 Continue)
        } else if (line.size() > kName.size() && starts_with_nocase(line, kName)) {
            self->retry_after_ms = parse_retry_after(line.substr(kName.size()));
        }
        return size * nmemb;
    }

    // POSTs `request`; on HTTP 200 the answer is in `body`.
    std::optional<RpcError> post() {
        body.clear();
        retry_after_ms.reset();
        error_buffer[0] = '\0';
        if (curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.data()) != CURLE_OK ||
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.size())) != CURLE_OK) {
            RpcError e;
            e.kind = RpcError::Kind::kTransport;
            e.message = "curl_easy_setopt failed";
            return e;
        }
        if (options.cancel != nullptr && options.cancel->load()) {
            RpcError e;
            e.kind = RpcError::Kind::kTransport;
            e.message = "cancelled: stopping";
            return e;
        }
        if (options.transport) {
            auto answer = options.transport(request);
            if (!answer) return answer.error();
            body = std::move(answer.value());
            return std::nullopt;
        }
        const CURLcode rc = curl_easy_perform(curl);
        if (rc != CURLE_OK) {
            RpcError e;
            e.kind = rc == CURLE_OPERATION_TIMEDOUT ? RpcError::Kind::kTimeout
                                                    : RpcError::Kind::kTransport;
            e.message = curl_easy_strerror(rc);
            if (error_buffer[0] != '\0') {
                e.message += ": ";
                e.message += error_buffer;
            }
            return e;
        }
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) return make_http_error(status, retry_after_ms, body);
        return std::nullopt;
    }

    // Sends `request` and decodes the answer with decode(parser, body).
    // Every call is counted by method, its failures by kind, its latency in a histogram.
    template <class T, class Decode>
    Result<T> roundtrip(std::string_view method, Decode&& decode) {
        const auto started = std::chrono::steady_clock::now();
        const std::string labels = "method=\"" + std::string(method) + "\"";
        auto& m = metrics::registry();
        m.inc("erc20_rpc_requests_total", "JSON-RPC requests sent to the node", labels);
        auto finish = [&](const RpcError* e) {
            m.observe(
                "erc20_rpc_request_duration_seconds", "JSON-RPC request latency", labels,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
            if (e) {
                m.inc("erc20_rpc_errors_total", "JSON-RPC failures by method and kind",
                      labels + ",kind=\"" + e->kind_name() + "\"");
                spdlog::debug("rpc {} failed: {}", method, e->to_string());
            }
        };
        if (auto e = post()) {
            finish(&*e);
            return *e;
        }
        Result<T> r = decode(parser, body);
        finish(r.ok() ? nullptr : &r.error());
        return r;
    }

    void single(std::string_view method, std::string_view params) {
        request.clear();
        begin_request(request, kSingleId, method);
        request += params;
        request += '}';
    }

    ClientOptions options;
    CURL* curl{nullptr};
    curl_slist* headers{nullptr};
    char error_buffer[CURL_ERROR_SIZE];
    std::string request;
    std::string body;  // reused; decoders grow it by SIMDJSON_PADDING
    std::optional<int64_t> retry_after_ms;
    simdjson::ondemand::parser parser;
};

// ---------------------------------------------------------------------------
// Client

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Client::~Client() = default;

Result<uint64_t> Client::chain_id() {
    impl_->single("eth_chainId", "[]");
    return impl_->roundtrip<uint64_t>("eth_chainId", decode_quantity);
}

Result<BlockNum> Client::block_number() {
    impl_->single("eth_blockNumber", "[]");
    return impl_->roundtrip<BlockNum>("eth_blockNumber", decode_quantity);
}

Result<std::optional<BlockHeader>> Client::header(BlockNum block_num) {
    impl_->single("eth_getBlockByNumber", "[\"" + to_quantity(block_num) + "\",false]");
    return impl_->roundtrip<std::optional<BlockHeader>>("eth_getBlockByNumber", decode_header);
}

Result<std::optional<BlockHeader>> Client::header(std::string_view tag) {
    std::string params = "[";
    append_json_string(params, tag);
    params += ",false]";
    impl_->single("eth_getBlockByNumber", params);
    auto r = impl_->roundtrip<std::optional<BlockHeader>>("eth_getBlockByNumber", decode_header);
    if (!r.ok() && is_unknown_tag(r.error())) return std::optional<BlockHeader>{};
    return r;
}

Result<std::vector<std::optional<BlockHeader>>> Client::headers(BlockNum from, BlockNum to) {
    using Out = std::vector<std::optional<BlockHeader>>;
    if (from > to) return Out{};
    const size_t count = static_cast<size_t>(to - from) + 1;
    std::string& r = impl_->request;
    r.clear();
    r += '[';
    for (size_t i = 0; i < count; ++i) {
        if (i != 0) r += ',';
        begin_request(r, static_cast<int64_t>(i), "eth_getBlockByNumber");
        r += "[\"";
        r += to_quantity(from + i);
        r += "\",false]}";
    }
    r += ']';
    return impl_->roundtrip<Out>("eth_getBlockByNumber_batch",
                                 [count](simdjson::ondemand::parser& p, std::string& body) {
                                     return decode_headers(p, body, count);
                                 });
}

Result<std::vector<Log>> Client::logs(BlockNum from, BlockNum to, const Hash& topic0,
                                      std::span<const Address> addresses) {
    std::string params = R"([{"fromBlock":")";
    params += to_quantity(from);
    params += R"(","toBlock":")";
    params += to_quantity(to);
    params += R"(","topics":[")";
    params += to_hex(topic0);
    params += R"("])";
    if (!addresses.empty()) {
        params += R"(,"address":[)";
        for (size_t i = 0; i < addresses.size(); ++i) {
            if (i != 0) params += ',';
            params += '"';
            params += to_hex(addresses[i]);
            params += '"';
        }
        params += ']';
    }
    params += "}]";
    impl_->single("eth_getLogs", params);
    auto r = impl_->roundtrip<std::vector<Log>>("eth_getLogs", decode_logs);
    if (!r.ok() && r.error().suggested_to) {
        // A suggestion outside [from, to) cannot shrink this request: drop it
        // so that callers fall back to their own split instead of looping.
        const BlockNum s = *r.error().suggested_to;
        if (s < from || s >= to) {
            RpcError e = r.error();
            e.suggested_to.reset();
            return e;
        }
    }
    return r;
}

Result<std::vector<uint8_t>> Client::call(const Address& to, std::span<const uint8_t> data,
                                          const BlockId& block) {
    impl_->request.clear();
    append_call(impl_->request, kSingleId, to, data, block);
    return impl_->roundtrip<std::vector<uint8_t>>("eth_call", decode_call);
}

Result<std::vector<Result<std::vector<uint8_t>>>> Client::call_batch(
    std::span<const std::pair<Address, std::vector<uint8_t>>> calls, const BlockId& block) {
    using Out = std::vector<Result<std::vector<uint8_t>>>;
    if (calls.empty()) return Out{};
    std::string& r = impl_->request;
    r.clear();
    r += '[';
    for (size_t i = 0; i < calls.size(); ++i) {
        if (i != 0) r += ',';
        append_call(r, static_cast<int64_t>(i), calls[i].first, calls[i].second, block);
    }
    r += ']';
    const size_t count = calls.size();
    return impl_->roundtrip<Out>("eth_call_batch",
                                 [count](simdjson::ondemand::parser& p, std::string& body) {
                                     return decode_call_batch(p, body, count);
                                 });
}

}  // namespace erc20::rpc
