#include "api/routes.hpp"

#include <map>
#include <optional>
#include <vector>

#include "api/json.hpp"
#include "common/hex.hpp"

namespace erc20::api {
namespace {

constexpr size_t kDefaultLimit = 100;
constexpr size_t kMaxLimit = 1000;

struct ApiError {
    unsigned status;
    std::string code;
    std::string message;
};

Response error_response(const ApiError& e) {
    JsonWriter w;
    w.begin_object().key("error").begin_object().field("code", e.code).field("message", e.message).end_object().end_object();
    return Response{e.status, w.take()};
}

ApiError bad_request(std::string code, std::string message) { return {400, std::move(code), std::move(message)}; }

int unhex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = unhex(s[i + 1]), lo = unhex(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi << 4 | lo));
            i += 2;
        } else if (s[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

/// Parsed query string with the parameters a route accepts; anything else is a 400.
class Query {
  public:
    static std::variant<Query, ApiError> parse(std::string_view qs) {
        Query q;
        while (!qs.empty()) {
            auto amp = qs.find('&');
            std::string_view part = qs.substr(0, amp);
            qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
            if (part.empty()) continue;
            auto eq = part.find('=');
            auto key = percent_decode(part.substr(0, eq));
            auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
            if (!key || !value) return bad_request("bad_query", "malformed percent-encoding in the query string");
            if (q.params_.count(*key)) return bad_request("bad_parameter", "parameter '" + *key + "' given twice");
            q.params_.emplace(std::move(*key), std::move(*value));
        }
        return q;
    }

    std::optional<ApiError> only(std::initializer_list<std::string_view> allowed) const {
        for (const auto& [k, v] : params_) {
            bool ok = false;
            for (auto a : allowed) ok = ok || k == a;
            if (!ok) {
                std::string names;
                for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
                return bad_request("unknown_parameter", "unknown parameter '" + k + "'" +
                                                            (names.empty() ? "" : " (accepted: " + names + ")"));
            }
        }
        return std::nullopt;
    }

    const std::string* get(const std::string& k) const {
        auto it = params_.find(k);
        return it == params_.end() ? nullptr : &it->second;
    }

    std::variant<size_t, ApiError> limit() const {
        const std::string* v = get("limit");
        if (!v) return kDefaultLimit;
        auto n = parse_decimal_u64(*v);
        if (!n || *n == 0 || *n > kMaxLimit) {
            return bad_request("bad_limit", "limit must be an integer from 1 to " + std::to_string(kMaxLimit) +
                                                ", got '" + *v + "'");
        }
        return static_cast<size_t>(*n);
    }

    std::variant<std::optional<uint64_t>, ApiError> block_param(const std::string& name) const {
        const std::string* v = get(name);
        if (!v) return std::optional<uint64_t>{};
        auto n = parse_decimal_u64(*v);
        if (!n) return bad_request("bad_" + name, name + " must be a non-negative decimal integer, got '" + *v + "'");
        return std::optional<uint64_t>{*n};
    }

  private:
    std::map<std::string, std::string> params_;
};

std::string hex_of(std::string_view bytes) {
    return to_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())).substr(2);
}

std::optional<std::string> unhex_string(std::string_view s) {
    if (s.size() % 2) return std::nullopt;
    std::string out;
    for (size_t i = 0; i < s.size(); i += 2) {
        int hi = unhex(s[i]), lo = unhex(s[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return out;
}

void write_block(JsonWriter& w, const storage::View& view) {
    auto c = view.cursor();
    if (c) w.field("block", c->block_num);
    else w.field_null("block");
}

void write_token_fields(JsonWriter& w, const Address& token, const storage::TokenStats& s,
                        const std::optional<storage::TokenMeta>& meta) {
    w.field("address", to_hex(token));
    w.key("name");
    if (meta && meta->name) w.string(*meta->name); else w.null();
    w.key("symbol");
    if (meta && meta->symbol) w.string(*meta->symbol); else w.null();
    w.key("decimals");
    if (meta && meta->decimals) w.number(uint64_t{*meta->decimals}); else w.null();
    w.key("total_supply");
    if (meta && meta->total_supply) w.string(to_dec_string(*meta->total_supply)); else w.null();
    w.field("indexed_supply", to_dec_string(Balance(s.minted - s.burned)));
    w.field("minted", to_dec_string(s.minted));
    w.field("burned", to_dec_string(s.burned));
    w.field("holders", s.holders);
    w.field("transfers", s.transfers);
    w.field("negative_balances", s.negative_balances);
    w.field("first_block", s.first_block);
    w.field("last_block", s.last_block);
}

void write_transfer(JsonWriter& w, const storage::Transfer& t, const storage::View& view) {
    w.begin_object();
    w.field("block", t.block_num);
    w.key("timestamp");
    if (auto ts = view.block_time(t.block_num)) w.number(*ts); else w.null();
    w.field("tx_hash", to_hex(t.txn_hash));
    w.field("log_index", t.log_index);
    w.field("token", to_hex(t.token));
    w.field("from", to_hex(t.from));
    w.field("to", to_hex(t.to));
    w.field("value", to_dec_string(t.value));
    w.end_object();
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        if (path.front() == '/') {
            path.remove_prefix(1);
            continue;
        }
        auto slash = path.find('/');
        parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash);
    }
    return parts;
}

template <class T>
bool is_error(const std::variant<T, ApiError>& v) { return v.index() == 1; }

}  // namespace

Router::Router(storage::Store& store, StatusProvider status, std::string version)
    : store_(store), status_(std::move(status)), version_(std::move(version)) {}

Response Router::handle(std::string_view method, std::string_view target) const {
    auto qpos = target.find('?');
    std::string_view path = target.substr(0, qpos);
    std::string_view qs = qpos == std::string_view::npos ? std::string_view() : target.substr(qpos + 1);
    auto parts = split_path(path);

    auto parsed = Query::parse(qs);
    if (is_error(parsed)) return error_response(std::get<ApiError>(parsed));
    const Query& q = std::get<Query>(parsed);

    // Route table: every known path shape, so that a wrong method is a 405, not a 404.
    enum class Route { kNone, kHealth, kStatus, kTokens, kToken, kHolders, kTransfers };
    Route route = Route::kNone;
    if (parts.size() == 1 && parts[0] == "healthz") route = Route::kHealth;
    else if (parts.size() >= 2 && parts[0] == "v1") {
        if (parts.size() == 2 && parts[1] == "status") route = Route::kStatus;
        else if (parts[1] == "tokens") {
            if (parts.size() == 2) route = Route::kTokens;
            else if (parts.size() == 3) route = Route::kToken;
            else if (parts.size() == 4 && parts[3] == "holders") route = Route::kHolders;
            else if (parts.size() == 4 && parts[3] == "transfers") route = Route::kTransfers;
        }
    }
    if (route == Route::kNone) return error_response({404, "not_found", "no route for " + std::string(path)});
    if (method != "GET" && method != "HEAD") {
        return error_response({405, "method_not_allowed", "only GET is allowed on " + std::string(path)});
    }

    if (route == Route::kHealth) return Response{200, "{\"status\":\"ok\"}"};

    auto view = store_.view();
    JsonWriter w;

    if (route == Route::kStatus) {
        if (auto e = q.only({})) return error_response(*e);
        NodeStatus node = status_ ? status_() : NodeStatus{};
        auto cursor = view.cursor();
        auto totals = view.totals();
        w.begin_object();
        if (auto chain = view.chain_id()) w.field("chain_id", *chain); else w.field_null("chain_id");
        write_block(w, view);
        if (cursor) w.field("block_hash", to_hex(cursor->hash)); else w.field_null("block_hash");
        w.field("node_block", node.node_block);
        uint64_t at = cursor ? cursor->block_num : 0;
        w.field("lag_blocks", node.node_block > at ? node.node_block - at : uint64_t{0});
        w.field("state", node.state);
        w.field("node_reachable", node.node_reachable);
        w.field("tokens", totals.tokens);
        w.field("transfers", totals.transfers);
        w.field("reorgs_total", node.reorgs_total);
        w.field("deepest_reorg", node.deepest_reorg);
        w.field("version", version_);
        w.end_object();
        return Response{200, w.take()};
    }

    if (route == Route::kTokens) {
        if (auto e = q.only({"limit", "cursor"})) return error_response(*e);
        auto limit = q.limit();
        if (is_error(limit)) return error_response(std::get<ApiError>(limit));
        std::optional<Address> after;
        if (const std::string* c = q.get("cursor")) {
            after = c->size() == 41 && (*c)[0] == 't' ? parse_address("0x" + c->substr(1)) : std::nullopt;
            if (!after) return error_response(bad_request("bad_cursor", "cursor is not one this server gave out"));
        }
        size_t n = std::get<size_t>(limit);
        auto tokens = view.tokens(after, n + 1);
        bool more = tokens.size() > n;
        if (more) tokens.resize(n);
        w.begin_object();
        write_block(w, view);
        w.key("items").begin_array();
        for (const auto& t : tokens) {
            auto stats = view.token_stats(t);
            if (!stats) continue;
            w.begin_object();
            write_token_fields(w, t, *stats, view.token_meta(t));
            w.end_object();
        }
        w.end_array();
        if (more) w.field("next_cursor", "t" + to_hex(tokens.back()).substr(2)); else w.field_null("next_cursor");
        w.end_object();
        return Response{200, w.take()};
    }

    // /v1/tokens/{token}/...
    auto token = parse_address(parts[2]);
    if (!token) {
        return error_response(bad_request("bad_address", "'" + std::string(parts[2]) +
                                                             "' is not an address (0x followed by 40 hex digits)"));
    }
    auto stats = view.token_stats(*token);
    if (!stats) return error_response({404, "unknown_token", "no transfers of token " + to_hex(*token) + " are indexed"});

    if (route == Route::kToken) {
        if (auto e = q.only({})) return error_response(*e);
        w.begin_object();
        write_block(w, view);
        write_token_fields(w, *token, *stats, view.token_meta(*token));
        w.end_object();
        return Response{200, w.take()};
    }

    if (route == Route::kHolders) {
        if (auto e = q.only({"limit", "cursor"})) return error_response(*e);
        auto limit = q.limit();
        if (is_error(limit)) return error_response(std::get<ApiError>(limit));
        std::string after;
        if (const std::string* c = q.get("cursor")) {
            auto raw = c->size() > 1 && (*c)[0] == 'h' ? unhex_string(c->substr(1)) : std::nullopt;
            // Position = 0xff - len | ~magnitude (len) | holder (20).
            bool ok = raw && raw->size() >= 21 &&
                      raw->size() == 21 + size_t(0xff - static_cast<uint8_t>((*raw)[0])) &&
                      raw->size() <= 21 + 64;
            if (!ok) return error_response(bad_request("bad_cursor", "cursor is not one this server gave out"));
            after = *raw;
        }
        std::string next;
        auto items = view.holders(*token, after, std::get<size_t>(limit), next);
        w.begin_object();
        write_block(w, view);
        w.key("items").begin_array();
        for (const auto& h : items) {
            w.begin_object().field("address", to_hex(h.holder)).field("balance", to_dec_string(h.balance)).end_object();
        }
        w.end_array();
        if (next.empty()) w.field_null("next_cursor"); else w.field("next_cursor", "h" + hex_of(next));
        w.end_object();
        return Response{200, w.take()};
    }

    // Route::kTransfers
    if (auto e = q.only({"limit", "cursor", "from_block", "to_block"})) return error_response(*e);
    auto limit = q.limit();
    if (is_error(limit)) return error_response(std::get<ApiError>(limit));
    auto from = q.block_param("from_block");
    if (is_error(from)) return error_response(std::get<ApiError>(from));
    auto to = q.block_param("to_block");
    if (is_error(to)) return error_response(std::get<ApiError>(to));
    BlockNum from_block = std::get<0>(from).value_or(0);
    BlockNum to_block = std::get<0>(to).value_or(~BlockNum{0});
    if (from_block > to_block) return error_response(bad_request("bad_range", "from_block is above to_block"));
    std::optional<std::pair<BlockNum, uint32_t>> after;
    if (const std::string* c = q.get("cursor")) {
        auto raw = c->size() == 25 && (*c)[0] == 'x' ? unhex_string(c->substr(1)) : std::nullopt;
        if (!raw) return error_response(bad_request("bad_cursor", "cursor is not one this server gave out"));
        BlockNum b = 0;
        uint32_t li = 0;
        for (size_t i = 0; i < 8; ++i) b = (b << 8) | static_cast<uint8_t>((*raw)[i]);
        for (size_t i = 8; i < 12; ++i) li = (li << 8) | static_cast<uint8_t>((*raw)[i]);
        after = std::make_pair(b, li);
    }
    size_t n = std::get<size_t>(limit);
    auto items = view.token_transfers(*token, from_block, to_block, after, n + 1);
    bool more = items.size() > n;
    if (more) items.resize(n);
    w.begin_object();
    write_block(w, view);
    w.key("items").begin_array();
    for (const auto& t : items) write_transfer(w, t, view);
    w.end_array();
    if (more) {
        std::string raw;
        for (int i = 7; i >= 0; --i) raw.push_back(static_cast<char>(items.back().block_num >> (8 * i)));
        for (int i = 3; i >= 0; --i) raw.push_back(static_cast<char>(items.back().log_index >> (8 * i)));
        w.field("next_cursor", "x" + hex_of(raw));
    } else {
        w.field_null("next_cursor");
    }
    w.end_object();
    return Response{200, w.take()};
}

}  // namespace erc20::api
