#include "api/routes.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <variant>
#include <vector>

#include "api/json.hpp"
#include "api/memory_metrics.hpp"
#include "common/hex.hpp"
#include "common/metrics.hpp"

namespace erc20::api {
namespace {

constexpr size_t kDefaultLimit = 100;
constexpr size_t kMaxLimit = 1000;
constexpr size_t kExportPage = 1000;

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
ApiError bad_cursor() { return bad_request("bad_cursor", "cursor is not one this server gave out"); }

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

std::string hex_bytes(std::string_view bytes) {
    return to_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())).substr(2);
}

std::optional<std::string> unhex_bytes(std::string_view s) {
    if (s.size() % 2) return std::nullopt;
    std::string out;
    for (size_t i = 0; i < s.size(); i += 2) {
        int hi = unhex(s[i]), lo = unhex(s[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return out;
}

template <class T>
bool failed(const std::variant<T, ApiError>& v) { return v.index() == 1; }

/// Parsed query string; a route lists the parameters it accepts and any other is a 400.
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
            if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
            std::string names;
            for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
            return bad_request("unknown_parameter",
                               "unknown parameter '" + k + "'" + (names.empty() ? "" : " (accepted: " + names + ")"));
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
            return bad_request("bad_limit",
                               "limit must be an integer from 1 to " + std::to_string(kMaxLimit) + ", got '" + *v + "'");
        }
        return static_cast<size_t>(*n);
    }

    std::variant<std::optional<uint64_t>, ApiError> number(const std::string& name) const {
        const std::string* v = get(name);
        if (!v) return std::optional<uint64_t>{};
        auto n = parse_decimal_u64(*v);
        if (!n || *n > (~uint64_t{0} >> 1)) {
            return bad_request("bad_" + name, name + " must be a non-negative decimal integer, got '" + *v + "'");
        }
        return std::optional<uint64_t>{*n};
    }

    /// One of `allowed`, or `fallback` when absent.
    std::variant<std::string, ApiError> choice(const std::string& name, std::initializer_list<std::string_view> allowed,
                                               std::string fallback) const {
        const std::string* v = get(name);
        if (!v) return fallback;
        if (std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) return *v;
        std::string names;
        for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
        return bad_request("bad_" + name, name + " must be one of " + names + ", got '" + *v + "'");
    }

    const std::map<std::string, std::string>& all() const { return params_; }

  private:
    std::map<std::string, std::string> params_;
};

// Constant-time comparison for the bearer token.
bool same_secret(std::string_view a, std::string_view b) {
    unsigned diff = a.size() == b.size() ? 0 : 1;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
    return diff == 0 && !b.empty();
}

// ---------------------------------------------------------------------------
// Items: flat rows that render as JSON objects, NDJSON lines or CSV rows.

using Field = std::variant<std::monostate, std::string, uint64_t, double>;
using Row = std::vector<std::pair<std::string_view, Field>>;

void write_row(JsonWriter& w, const Row& row) {
    w.begin_object();
    for (const auto& [k, v] : row) {
        w.key(k);
        if (std::holds_alternative<std::monostate>(v)) w.null();
        else if (auto* s = std::get_if<std::string>(&v)) w.string(*s);
        else if (auto* n = std::get_if<uint64_t>(&v)) w.number(*n);
        else w.number(std::get<double>(v));
    }
    w.end_object();
}

void csv_cell(std::string& out, std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += s;
        return;
    }
    out += '"';
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

void write_csv_row(std::string& out, const Row& row) {
    bool first = true;
    for (const auto& [k, v] : row) {
        if (!first) out += ',';
        first = false;
        if (auto* s = std::get_if<std::string>(&v)) csv_cell(out, *s);
        else if (auto* n = std::get_if<uint64_t>(&v)) out += std::to_string(*n);
        else if (auto* d = std::get_if<double>(&v)) {
            JsonWriter w;
            w.number(*d);
            out += w.str();
        }
    }
    out += "\r\n";
}

Field opt_string(const std::optional<std::string>& s) { return s ? Field(*s) : Field(); }

Row token_row(const Address& token, const storage::TokenStats& s, const std::optional<storage::TokenMeta>& meta) {
    Row r;
    r.emplace_back("address", to_hex(token));
    r.emplace_back("name", meta ? opt_string(meta->name) : Field());
    r.emplace_back("symbol", meta ? opt_string(meta->symbol) : Field());
    r.emplace_back("decimals", meta && meta->decimals ? Field(uint64_t{*meta->decimals}) : Field());
    r.emplace_back("total_supply", meta && meta->total_supply ? Field(to_dec_string(*meta->total_supply)) : Field());
    // The block total_supply was read at; unknown (null) for a reading of an older version.
    r.emplace_back("total_supply_block", meta && meta->supply_hash ? Field(uint64_t{meta->supply_block}) : Field());
    r.emplace_back("indexed_supply", to_dec_string(Balance(s.minted - s.burned)));
    r.emplace_back("minted", to_dec_string(s.minted));
    r.emplace_back("burned", to_dec_string(s.burned));
    r.emplace_back("holders", s.holders);
    r.emplace_back("transfers", s.transfers);
    r.emplace_back("negative_balances", s.negative_balances);
    r.emplace_back("first_block", s.first_block);
    r.emplace_back("last_block", s.last_block);
    return r;
}

// Block timestamps of one page: transfers of a page mostly share blocks.
class BlockTimes {
  public:
    explicit BlockTimes(const storage::View& view) : view_(view) {}
    std::optional<uint64_t> at(BlockNum n) {
        if (!last_ || last_->first != n) last_ = std::make_pair(n, view_.block_time(n));
        return last_->second;
    }

  private:
    const storage::View& view_;
    std::optional<std::pair<BlockNum, std::optional<uint64_t>>> last_;
};

Row transfer_row(const storage::Transfer& t, BlockTimes& times) {
    Row r;
    r.emplace_back("block", t.block_num);
    auto ts = times.at(t.block_num);
    r.emplace_back("timestamp", ts ? Field(*ts) : Field());
    r.emplace_back("tx_hash", to_hex(t.txn_hash));
    r.emplace_back("log_index", uint64_t{t.log_index});
    r.emplace_back("token", to_hex(t.token));
    r.emplace_back("from", to_hex(t.from));
    r.emplace_back("to", to_hex(t.to));
    r.emplace_back("value", to_dec_string(t.value));
    return r;
}

std::string transfer_position(const storage::Transfer& t) {
    std::string p;
    for (int i = 7; i >= 0; --i) p.push_back(static_cast<char>(t.block_num >> (8 * i)));
    for (int i = 3; i >= 0; --i) p.push_back(static_cast<char>(t.log_index >> (8 * i)));
    return p;
}

std::optional<std::pair<BlockNum, uint32_t>> decode_transfer_position(const std::string& p) {
    if (p.empty()) return std::nullopt;
    BlockNum b = 0;
    uint32_t li = 0;
    for (size_t i = 0; i < 8; ++i) b = (b << 8) | static_cast<uint8_t>(p[i]);
    for (size_t i = 8; i < 12; ++i) li = (li << 8) | static_cast<uint8_t>(p[i]);
    return std::make_pair(b, li);
}

/// A list route: its item columns, a validator of positions (opaque cursor
/// contents), and a pager that reads up to `limit` items after a position.
struct Page {
    std::vector<Row> rows;
    std::string next;  // empty: no more items
};
struct ListSpec {
    std::vector<std::string_view> columns;  // item keys, in order (the CSV header)
    std::function<bool(const std::string&)> valid_position;
    std::function<Page(const storage::View&, const std::string& position, size_t limit)> pager;
    std::optional<BlockNum> block;  // answers as of a past block carry it instead of the head
};

const std::vector<std::string_view> kTokenColumns{"address", "name", "symbol", "decimals", "total_supply",
                                                  "total_supply_block", "indexed_supply", "minted", "burned", "holders", "transfers",
                                                  "negative_balances", "first_block", "last_block"};
const std::vector<std::string_view> kHolderColumns{"address", "balance"};
const std::vector<std::string_view> kTransferColumns{"block", "timestamp", "tx_hash", "log_index",
                                                     "token", "from", "to", "value"};
const std::vector<std::string_view> kBalanceColumns{"token", "balance"};

bool valid_holder_position(const std::string& p) {
    return p.size() >= 21 && p.size() <= 21 + 64 && p.size() == 21 + size_t(0xff - static_cast<uint8_t>(p[0]));
}

std::string etag_of(std::string_view body) {
    // libstdc++'s string hash (MurmurHash2, 8 bytes a step): a body's
    // fingerprint, not a security boundary.
    const uint64_t h = std::hash<std::string_view>{}(body) ^ (uint64_t{body.size()} << 48);
    char buf[24];
    std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
    return buf;
}

bool etag_matches(std::string_view if_none_match, const std::string& etag) {
    if (if_none_match.empty()) return false;
    if (if_none_match == "*") return true;
    return if_none_match.find(etag) != std::string_view::npos;
}

long double ratio(const boost::multiprecision::cpp_int& a, const boost::multiprecision::cpp_int& b) {
    if (b == 0) return 0;
    // Scale into range first: both can exceed long double's exact range, not its exponent range.
    return a.convert_to<long double>() / b.convert_to<long double>();
}

}  // namespace

// ---------------------------------------------------------------------------
// Pinned snapshots: a paging walk reads every page from the snapshot its
// first page was read from, so each item comes exactly once even while
// blocks are applied between pages. Pins expire after cursor_ttl unused.

struct Router::Pins {
    struct Pin {
        std::shared_ptr<const storage::View> view;
        std::chrono::steady_clock::time_point used;
        std::string head;  // the indexed head the snapshot shows
    };
    std::mutex mutex;
    std::map<uint64_t, Pin> pins;
    std::map<std::string, uint64_t> by_head;  // first pages of one state share one pin
    /// Mixed into pin ids and ETags: they are valid for one running daemon.
    const uint64_t salt = uint64_t{std::random_device{}()} << 32 | std::random_device{}();
    // Holder lists at past blocks, computed once per (token, block, head).
    std::vector<std::pair<std::string, std::shared_ptr<const std::vector<storage::HolderItem>>>> past_holders;

    void expire(std::chrono::seconds ttl, size_t max) {
        auto now = std::chrono::steady_clock::now();
        auto drop = [&](std::map<uint64_t, Pin>::iterator it) {
            auto h = by_head.find(it->second.head);
            if (h != by_head.end() && h->second == it->first) by_head.erase(h);
            return pins.erase(it);
        };
        for (auto it = pins.begin(); it != pins.end();) {
            it = now - it->second.used > ttl ? drop(it) : std::next(it);
        }
        while (pins.size() > max) {
            drop(std::min_element(pins.begin(), pins.end(),
                                  [](const auto& a, const auto& b) { return a.second.used < b.second.used; }));
        }
    }

    // The pin of the snapshot `fresh` shows, made on first use. Pins are
    // keyed by the state a snapshot shows (see state_key), so a first page
    // read after a metadata write at the same block gets a new pin; the id
    // follows from the key, so one state's answers are the same bytes.
    std::pair<uint64_t, std::shared_ptr<const storage::View>> for_head(const std::shared_ptr<const storage::View>& fresh,
                                                                       std::chrono::seconds ttl, size_t max) {
        std::string head = state_key(*fresh);
        std::lock_guard lock(mutex);
        expire(ttl, max);
        auto now = std::chrono::steady_clock::now();
        if (auto h = by_head.find(head); h != by_head.end()) {
            auto& pin = pins.at(h->second);
            pin.used = now;
            return {h->second, pin.view};
        }
        const uint64_t id = hash_of(head) | 1;
        pins.insert_or_assign(id, Pin{fresh, now, head});
        by_head[head] = id;
        return {id, fresh};
    }

    /// What a snapshot shows: the cursor names the derived data, the
    /// metadata version the eth_call data.
    static std::string state_key(const storage::View& v) {
        auto c = v.cursor();
        std::string key = c ? std::to_string(c->block_num) + to_hex(c->hash) : std::string("none");
        return key + "@" + std::to_string(v.meta_version());
    }

    uint64_t hash_of(std::string_view key) const {
        return std::hash<std::string_view>{}(key) ^ (salt * 0x9e3779b97f4a7c15ULL);
    }
};

Router::Router(storage::Store& store, StatusProvider status, RouterOptions options)
    : store_(store), status_(std::move(status)), options_(std::move(options)), pins_(std::make_unique<Pins>()) {}
Router::~Router() = default;

std::vector<std::string> Router::routes() {
    return {"/healthz",
            "/readyz",
            "/metrics",
            "/v1/status",
            "/v1/tokens",
            "/v1/tokens/{token}",
            "/v1/tokens/{token}/holders",
            "/v1/tokens/{token}/holders/{account}",
            "/v1/tokens/{token}/transfers",
            "/v1/tokens/{token}/distribution",
            "/v1/accounts/{account}/balances",
            "/v1/accounts/{account}/transfers"};
}

Response Router::handle(const Request& request) const {
    const std::string_view target = request.target;
    auto qpos = target.find('?');
    std::string_view path = target.substr(0, qpos);
    std::string_view qs = qpos == std::string_view::npos ? std::string_view() : target.substr(qpos + 1);

    std::vector<std::string_view> parts;
    for (std::string_view rest = path; !rest.empty();) {
        auto slash = rest.find('/');
        if (slash != 0) parts.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }

    if (path.rfind("/admin/v1/", 0) == 0) {
        constexpr std::string_view kJobs = "/admin/v1/jobs/";
        const bool job_route = path.rfind(kJobs, 0) == 0 && path.size() > kJobs.size();
        Response r;
        r.route = job_route ? "/admin/v1/jobs/{id}" : "/admin/v1/{action}";
        auto reply = [&](const ApiError& e) {
            Response er = error_response(e);
            er.route = r.route;
            return er;
        };
        if (options_.admin_token.empty() || !options_.admin) {
            return reply({404, "admin_off", "the admin API is off: start the daemon with --admin-token-file"});
        }
        std::string_view auth = request.authorization;
        constexpr std::string_view kBearer = "Bearer ";
        if (auth.rfind(kBearer, 0) != 0 || !same_secret(auth.substr(kBearer.size()), options_.admin_token)) {
            return reply({401, "unauthorized", "missing or wrong bearer token"});
        }
        const std::string_view method = job_route ? "GET" : "POST";
        if (request.method != method) {
            Response er = reply({405, "method_not_allowed",
                                 job_route ? "admin jobs are read with GET" : "admin actions are POST"});
            er.allow = std::string(method);
            return er;
        }
        auto parsed = Query::parse(qs);
        if (failed(parsed)) return reply(std::get<ApiError>(parsed));
        if (job_route && !options_.admin_job) return reply({404, "unknown_job", "this daemon runs no admin jobs"});
        AdminAnswer a = job_route ? options_.admin_job(std::string(path.substr(kJobs.size())))
                                  : options_.admin(std::string(path.substr(10)), std::get<Query>(parsed).all());
        r.status = a.status;
        r.body = std::move(a.body);
        return r;
    }

    // Match the path against the route templates.
    std::string route;
    std::vector<std::string_view> args;
    // The templates split into segments once per process.
    static const auto kTemplates = [] {
        static const std::vector<std::string> names = routes();
        std::vector<std::pair<std::string_view, std::vector<std::string_view>>> out;
        for (const auto& name : names) {
            std::vector<std::string_view> segments;
            for (std::string_view rest = std::string_view(name).substr(1); !rest.empty();) {
                auto slash = rest.find('/');
                segments.push_back(rest.substr(0, slash));
                if (slash == std::string_view::npos) break;
                rest.remove_prefix(slash + 1);
            }
            out.emplace_back(name, std::move(segments));
        }
        return out;
    }();
    for (const auto& [tmpl, t] : kTemplates) {
        if (t.size() != parts.size()) continue;
        std::vector<std::string_view> a;
        bool match = true;
        for (size_t i = 0; i < t.size() && match; ++i) {
            if (t[i].front() == '{') a.push_back(parts[i]);
            else match = t[i] == parts[i];
        }
        if (match) {
            route = tmpl;
            args = std::move(a);
            break;
        }
    }
    auto with_route = [&](Response r) {
        r.route = route.empty() ? "unmatched" : route;
        return r;
    };
    if (route.empty()) return with_route(error_response({404, "not_found", "no route for " + std::string(path)}));
    if (request.method != "GET" && request.method != "HEAD") {
        Response r = with_route(error_response({405, "method_not_allowed", "only GET is allowed on " + route}));
        r.allow = "GET, HEAD";
        return r;
    }
    auto parsed = Query::parse(qs);
    if (failed(parsed)) return with_route(error_response(std::get<ApiError>(parsed)));
    const Query& q = std::get<Query>(parsed);

    // Conditional answers. A data answer's ETag is its validator (see
    // `validator` below), checked before the answer is built; /v1/status,
    // which shows the node's live state too, hashes its body.
    auto finish = [&](JsonWriter& w, std::string etag) {
        Response r{200, w.take()};
        r.etag = etag.empty() ? etag_of(r.body) : std::move(etag);
        if (etag_matches(request.if_none_match, r.etag)) {
            r.status = 304;
            r.body.clear();
        }
        return with_route(std::move(r));
    };
    auto fail = [&](const ApiError& e) { return with_route(error_response(e)); };

    if (route == "/healthz") {
        if (auto e = q.only({})) return fail(*e);
        return with_route(Response{200, "{\"status\":\"ok\"}"});
    }

    NodeStatus node = status_ ? status_() : NodeStatus{};
    auto fresh_view = std::make_shared<const storage::View>(store_.view());
    const auto head = fresh_view->cursor();
    const uint64_t lag = head && node.node_block > head->block_num ? node.node_block - head->block_num : 0;

    if (route == "/readyz") {
        if (auto e = q.only({})) return fail(*e);
        std::string reason;
        if (!head) reason = "nothing indexed yet";
        else if (node.node_block == 0) reason = "the node has not answered yet";
        else if (node.state == "error") reason = "ingestion stopped with an error (see the log)";
        else if (!node.node_reachable) reason = "the node is unreachable";
        else if (lag > options_.ready_max_lag) {
            reason = "lag of " + std::to_string(lag) + " blocks exceeds --ready-max-lag " +
                     std::to_string(options_.ready_max_lag);
        }
        if (!reason.empty()) return fail({503, "not_ready", reason});
        return with_route(Response{200, "{\"ready\":true,\"lag_blocks\":" + std::to_string(lag) + "}"});
    }

    if (route == "/metrics") {
        if (auto e = q.only({})) return fail(*e);
        std::string out = metrics::registry().render();
        auto gauge = [&](const char* name, const char* help, uint64_t v, const char* type = "gauge") {
            out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
                   std::to_string(v) + "\n";
        };
        gauge("erc20_indexed_block", "last applied block", head ? head->block_num : 0);
        gauge("erc20_node_block", "the node's latest block", node.node_block);
        gauge("erc20_lag_blocks", "node block minus indexed block", lag);
        gauge("erc20_transfers_applied_total", "transfers applied since start", node.transfers_applied, "counter");
        gauge("erc20_reorgs_total", "reorgs undone since start", node.reorgs_total, "counter");
        gauge("erc20_deepest_reorg_blocks", "deepest reorg undone since start", node.deepest_reorg);
        gauge("erc20_node_reachable", "1 while the node answers", node.node_reachable ? 1 : 0);
        gauge("erc20_db_size_bytes", "database size on disk: table files and write-ahead logs", store_.size_bytes());
        out += render_memory_metrics(store_.memory());
        auto totals = fresh_view->totals();
        gauge("erc20_tokens", "tokens indexed", totals.tokens);
        gauge("erc20_transfers", "transfers indexed", totals.transfers);
        Response r{200, std::move(out), "text/plain; version=0.0.4"};
        return with_route(std::move(r));
    }

    JsonWriter w;
    auto write_block = [&](const storage::View& v) {
        auto c = v.cursor();
        if (c) w.field("block", c->block_num);
        else w.field_null("block");
    };

    if (route == "/v1/status") {
        if (auto e = q.only({})) return fail(*e);
        auto totals = fresh_view->totals();
        w.begin_object();
        if (auto chain = fresh_view->chain_id()) w.field("chain_id", *chain); else w.field_null("chain_id");
        write_block(*fresh_view);
        if (head) w.field("block_hash", to_hex(head->hash)); else w.field_null("block_hash");
        // Unknown (null) until the node first answers after a start.
        if (node.node_block != 0) w.field("node_block", node.node_block).field("lag_blocks", lag);
        else w.field_null("node_block").field_null("lag_blocks");
        w.field("state", node.state);
        w.field("node_reachable", node.node_reachable);
        w.field("tokens", totals.tokens);
        w.field("transfers", totals.transfers);
        w.field("reorgs_total", node.reorgs_total);
        w.field("deepest_reorg", node.deepest_reorg);
        w.field("transfers_per_s", node.transfers_per_s);
        w.field("db_size_bytes", store_.size_bytes());
        if (node.admin_job) write_admin_job(w.key("admin_job"), *node.admin_job);
        else w.field_null("admin_job");
        w.field("version", options_.version);
        w.end_object();
        return finish(w, {});
    }

    if (!head) return fail({503, "not_ready", "nothing is indexed yet; see /v1/status"});

    // Path arguments: every {token} and {account} is an address.
    std::vector<Address> addrs;
    for (auto a : args) {
        auto parsed_address = parse_address(a);
        if (!parsed_address) {
            return fail(bad_request("bad_address", "'" + std::string(a) + "' is not an address (0x followed by 40 hex digits)"));
        }
        addrs.push_back(*parsed_address);
    }
    // A data answer is determined by the state its snapshot shows (cursor and
    // metadata version) and the normalized request (route, path addresses,
    // query parameters in key order): its validator is a hash of those, so
    // If-None-Match is answered from a few keys, before any list is read.
    std::string request_key = route;
    for (const auto& a : addrs) request_key += '\0' + to_hex(a);
    for (const auto& [k, v] : q.all()) request_key += '\0' + k + '=' + v;
    auto validator = [&](const storage::View& v) {
        char buf[24];
        const uint64_t h = pins_->hash_of(Pins::state_key(v) + '\0' + request_key);
        std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
        return std::string(buf);
    };
    auto not_modified = [&](const std::string& etag) -> std::optional<Response> {
        if (!etag_matches(request.if_none_match, etag)) return std::nullopt;
        Response r{304, ""};
        r.etag = etag;
        return with_route(std::move(r));
    };

    const bool token_route = route.rfind("/v1/tokens/", 0) == 0;
    std::optional<storage::TokenStats> stats;
    if (token_route) {
        stats = fresh_view->token_stats(addrs[0]);
        if (!stats) return fail({404, "unknown_token", "no transfers of token " + to_hex(addrs[0]) + " are indexed"});
    }

    // A past block must be at or below the indexed head.
    auto past_block = [&](std::optional<BlockNum>& out) -> std::optional<ApiError> {
        auto b = q.number("block");
        if (failed(b)) return std::get<ApiError>(b);
        out = std::get<0>(b);
        if (out && *out > head->block_num) {
            return bad_request("block_out_of_range", "block " + std::to_string(*out) + " is above the indexed head " +
                                                         std::to_string(head->block_num));
        }
        return std::nullopt;
    };

    // Paged answer or bulk export of a list route.
    auto list = [&](const ListSpec& spec) -> Response {
        auto format = q.choice("format", {"json", "ndjson", "csv"}, "json");
        if (failed(format)) return fail(std::get<ApiError>(format));
        const std::string fmt = std::get<std::string>(format);
        if (fmt != "json") {
            if (q.get("limit") || q.get("cursor")) {
                return fail(bad_request("bad_parameter", "limit and cursor do not apply to format=" + fmt +
                                                             ", which streams the whole list"));
            }
            struct State {
                std::shared_ptr<const storage::View> view;
                std::string position;
                bool started = false;
                bool done = false;
            };
            const std::string etag = validator(*fresh_view);
            if (auto r304 = not_modified(etag)) return *r304;
            auto st = std::make_shared<State>();
            st->view = fresh_view;
            Response r{200, "", fmt == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson"};
            r.etag = etag;
            r.stream = [st, spec, csv = fmt == "csv"](std::string& out) {
                if (st->done) return false;
                Page page = spec.pager(*st->view, st->position, kExportPage);
                if (csv && !st->started) {
                    bool first = true;
                    for (auto k : spec.columns) {
                        if (!first) out += ',';
                        first = false;
                        out += k;
                    }
                    out += "\r\n";
                }
                st->started = true;
                for (const auto& row : page.rows) {
                    if (csv) {
                        write_csv_row(out, row);
                    } else {
                        JsonWriter line;
                        write_row(line, row);
                        out += line.str();
                        out += '\n';
                    }
                }
                st->position = page.next;
                st->done = page.next.empty();
                return !st->done;
            };
            return with_route(std::move(r));
        }

        auto limit = q.limit();
        if (failed(limit)) return fail(std::get<ApiError>(limit));
        std::shared_ptr<const storage::View> view;
        std::optional<uint64_t> pin_id;
        std::string position;
        if (!q.get("cursor")) {
            auto [id, pinned] = pins_->for_head(fresh_view, options_.cursor_ttl, options_.max_pinned);
            pin_id = id;
            view = pinned;
        } else {
            view = fresh_view;
            const std::string* c = q.get("cursor");
            auto raw = unhex_bytes(*c);
            if (!raw || raw->size() < 9) return fail(bad_cursor());
            uint64_t id = 0;
            for (size_t i = 0; i < 8; ++i) id = (id << 8) | static_cast<uint8_t>((*raw)[i]);
            position = raw->substr(8);
            if (!spec.valid_position(position)) return fail(bad_cursor());
            std::lock_guard lock(pins_->mutex);
            pins_->expire(options_.cursor_ttl, options_.max_pinned);
            auto it = pins_->pins.find(id);
            if (it != pins_->pins.end()) {
                it->second.used = std::chrono::steady_clock::now();
                view = it->second.view;
                pin_id = id;
            }
            // An expired pin continues on the current snapshot from the same position.
        }
        const std::string etag = validator(*view);
        if (auto r304 = not_modified(etag)) return *r304;
        Page page = spec.pager(*view, position, std::get<size_t>(limit));
        w.begin_object();
        if (spec.block) w.field("block", *spec.block); else write_block(*view);
        w.key("items").begin_array();
        for (const auto& row : page.rows) write_row(w, row);
        w.end_array();
        if (page.next.empty()) {
            w.field_null("next_cursor");
        } else {
            if (!pin_id) {
                // The walk's pin expired: carry on from a pin of the current snapshot.
                auto [id, pinned] = pins_->for_head(view, options_.cursor_ttl, options_.max_pinned);
                pin_id = id;
            }
            std::string raw;
            for (int i = 7; i >= 0; --i) raw.push_back(static_cast<char>(*pin_id >> (8 * i)));
            w.field("next_cursor", hex_bytes(raw + page.next));
        }
        w.end_object();
        return finish(w, etag);
    };

    if (route == "/v1/tokens") {
        if (auto e = q.only({"limit", "cursor", "order", "format"})) return fail(*e);
        auto order = q.choice("order", {"holders", "transfers"}, "holders");
        if (failed(order)) return fail(std::get<ApiError>(order));
        const char ranking = std::get<std::string>(order) == "holders" ? 'h' : 't';
        return list(ListSpec{kTokenColumns, [](const std::string& p) { return p.size() == 28; },
                             [ranking](const storage::View& v, const std::string& pos, size_t limit) {
                                 Page page;
                                 for (const auto& t : v.tokens_ranked(ranking, pos, limit, page.next)) {
                                     if (auto s = v.token_stats(t)) page.rows.push_back(token_row(t, *s, v.token_meta(t)));
                                 }
                                 return page;
                             }});
    }

    if (route == "/v1/tokens/{token}") {
        if (auto e = q.only({})) return fail(*e);
        const std::string etag = validator(*fresh_view);
        if (auto r304 = not_modified(etag)) return *r304;
        Row row{{"block", head->block_num}};
        auto fields = token_row(addrs[0], *stats, fresh_view->token_meta(addrs[0]));
        row.insert(row.end(), fields.begin(), fields.end());
        write_row(w, row);
        return finish(w, etag);
    }

    // The holder list at the end of a past block, computed once and cached.
    auto past_holders = [this](const storage::View& v, const Address& token, BlockNum n) {
        std::string key = to_hex(token) + "@" + std::to_string(n) + "@" + to_hex(v.cursor()->hash);
        {
            std::lock_guard lock(pins_->mutex);
            for (const auto& [k, cached] : pins_->past_holders) {
                if (k == key) return cached;
            }
        }
        auto computed = std::make_shared<const std::vector<storage::HolderItem>>(v.holders_at(token, n));
        std::lock_guard lock(pins_->mutex);
        pins_->past_holders.emplace_back(key, computed);
        if (pins_->past_holders.size() > 8) pins_->past_holders.erase(pins_->past_holders.begin());
        return computed;
    };

    if (route == "/v1/tokens/{token}/holders") {
        if (auto e = q.only({"limit", "cursor", "block", "format"})) return fail(*e);
        std::optional<BlockNum> block;
        if (auto e = past_block(block)) return fail(*e);
        const Address token = addrs[0];
        if (block) {
            // Positions are indexes into the list at that block.
            return list(ListSpec{kHolderColumns, [](const std::string& p) { return p.size() == 8; },
                                 [token, n = *block, past_holders](const storage::View& v, const std::string& pos, size_t limit) {
                                     auto all = past_holders(v, token, n);
                                     uint64_t start = 0;
                                     for (char c : pos) start = (start << 8) | static_cast<uint8_t>(c);
                                     Page page;
                                     for (uint64_t i = start; i < all->size() && page.rows.size() < limit; ++i) {
                                         page.rows.push_back(Row{{"address", to_hex((*all)[i].holder)},
                                                                 {"balance", to_dec_string((*all)[i].balance)}});
                                     }
                                     uint64_t end = start + page.rows.size();
                                     if (end < all->size()) {
                                         for (int i = 7; i >= 0; --i) page.next.push_back(static_cast<char>(end >> (8 * i)));
                                     }
                                     return page;
                                 },
                                 *block});
        }
        return list(ListSpec{kHolderColumns, valid_holder_position, [token](const storage::View& v, const std::string& pos, size_t limit) {
                                 Page page;
                                 for (const auto& h : v.holders(token, pos, limit, page.next)) {
                                     page.rows.push_back(
                                         Row{{"address", to_hex(h.holder)}, {"balance", to_dec_string(h.balance)}});
                                 }
                                 return page;
                             }});
    }

    if (route == "/v1/tokens/{token}/holders/{account}") {
        if (auto e = q.only({"block"})) return fail(*e);
        std::optional<BlockNum> block;
        if (auto e = past_block(block)) return fail(*e);
        const std::string etag = validator(*fresh_view);
        if (auto r304 = not_modified(etag)) return *r304;
        Balance b = block ? fresh_view->balance_at(addrs[0], addrs[1], *block) : fresh_view->balance(addrs[0], addrs[1]);
        w.begin_object();
        if (block) w.field("block", *block); else write_block(*fresh_view);
        w.field("token", to_hex(addrs[0])).field("account", to_hex(addrs[1])).field("balance", to_dec_string(b));
        w.end_object();
        return finish(w, etag);
    }

    // Transfer lists share the block-range parameters.
    auto block_range = [&](BlockNum& from, BlockNum& to) -> std::optional<ApiError> {
        auto f = q.number("from_block");
        if (failed(f)) return std::get<ApiError>(f);
        auto t = q.number("to_block");
        if (failed(t)) return std::get<ApiError>(t);
        from = std::get<0>(f).value_or(0);
        to = std::get<0>(t).value_or(~BlockNum{0});
        if (from > to) return bad_request("bad_range", "from_block is above to_block");
        return std::nullopt;
    };
    auto valid_transfer_position = [](const std::string& p) { return p.size() == 12; };

    if (route == "/v1/tokens/{token}/transfers") {
        if (auto e = q.only({"limit", "cursor", "from_block", "to_block", "format"})) return fail(*e);
        BlockNum from = 0, to = 0;
        if (auto e = block_range(from, to)) return fail(*e);
        const Address token = addrs[0];
        return list(ListSpec{kTransferColumns, valid_transfer_position,
                             [token, from, to](const storage::View& v, const std::string& pos, size_t limit) {
                                 Page page;
                                 auto items = v.token_transfers(token, from, to, decode_transfer_position(pos), limit + 1);
                                 bool more = items.size() > limit;
                                 if (more) items.resize(limit);
                                 BlockTimes times(v);
                                 for (const auto& t : items) page.rows.push_back(transfer_row(t, times));
                                 if (more) page.next = transfer_position(items.back());
                                 return page;
                             }});
    }

    if (route == "/v1/tokens/{token}/distribution") {
        if (auto e = q.only({"exclude", "block"})) return fail(*e);
        std::optional<BlockNum> block;
        if (auto e = past_block(block)) return fail(*e);
        std::vector<Address> exclude;
        if (const std::string* ex = q.get("exclude")) {
            for (std::string_view rest = *ex; !rest.empty();) {
                auto comma = rest.find(',');
                auto item = rest.substr(0, comma);
                if (!item.empty()) {
                    auto a = parse_address(item);
                    if (!a) return fail(bad_request("bad_address", "'" + std::string(item) + "' in exclude is not an address"));
                    exclude.push_back(*a);
                }
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        }
        std::sort(exclude.begin(), exclude.end());
        const std::string etag = validator(*fresh_view);
        if (auto r304 = not_modified(etag)) return *r304;
        // Balances in rank order (descending), excluded addresses left out.
        using boost::multiprecision::cpp_int;
        std::vector<cpp_int> balances;
        auto take = [&](const Address& holder, const Balance& b) {
            if (!std::binary_search(exclude.begin(), exclude.end(), holder)) balances.emplace_back(b);
        };
        if (block) {
            for (const auto& h : *past_holders(*fresh_view, addrs[0], *block)) take(h.holder, h.balance);
        } else {
            std::string pos, next;
            do {
                for (const auto& h : fresh_view->holders(addrs[0], pos, 10000, next)) take(h.holder, h.balance);
                pos = next;
            } while (!next.empty());
        }
        cpp_int supply = 0, top10 = 0, top100 = 0, squares = 0, gini_num = 0, running = 0;
        const auto n = static_cast<int64_t>(balances.size());
        for (const auto& b : balances) supply += b;
        std::optional<uint64_t> nakamoto;
        for (int64_t j = 1; j <= n; ++j) {
            const cpp_int& x = balances[static_cast<size_t>(j - 1)];
            if (j <= 10) top10 += x;
            if (j <= 100) top100 += x;
            squares += x * x;
            // Gini = sum over ascending rank i of (2i - n - 1) x_i / (n * supply); j is the descending rank.
            gini_num += cpp_int(n + 1 - 2 * j) * x;
            running += x;
            if (!nakamoto && running * 2 > supply) nakamoto = static_cast<uint64_t>(j);
        }
        w.begin_object();
        if (block) w.field("block", *block); else write_block(*fresh_view);
        w.field("token", to_hex(addrs[0]));
        w.field("holders", static_cast<uint64_t>(n));
        w.field("supply", supply.str());
        if (n == 0 || supply == 0) {
            w.field_null("top10_share").field_null("top100_share").field_null("gini").field_null("nakamoto").field_null("hhi");
        } else {
            w.field("top10_share", static_cast<double>(ratio(top10, supply)));
            w.field("top100_share", static_cast<double>(ratio(top100, supply)));
            w.field("gini", static_cast<double>(ratio(gini_num, cpp_int(n) * supply)));
            w.field("nakamoto", nakamoto.value_or(0));
            w.field("hhi", static_cast<double>(ratio(squares, supply * supply)));
        }
        w.end_object();
        return finish(w, etag);
    }

    if (route == "/v1/accounts/{account}/balances") {
        if (auto e = q.only({"limit", "cursor", "format"})) return fail(*e);
        const Address account = addrs[0];
        return list(ListSpec{kBalanceColumns, [](const std::string& p) { return p.size() == 20; },
                             [account](const storage::View& v, const std::string& pos, size_t limit) {
                                 Page page;
                                 std::optional<Address> after;
                                 if (!pos.empty()) {
                                     Address a;
                                     std::copy(pos.begin(), pos.end(), a.bytes.begin());
                                     after = a;
                                 }
                                 auto tokens = v.account_tokens(account, after, limit + 1);
                                 bool more = tokens.size() > limit;
                                 if (more) tokens.resize(limit);
                                 for (const auto& t : tokens) {
                                     page.rows.push_back(Row{{"token", to_hex(t)},
                                                             {"balance", to_dec_string(v.balance(t, account))}});
                                 }
                                 if (more) page.next.assign(reinterpret_cast<const char*>(tokens.back().bytes.data()), 20);
                                 return page;
                             }});
    }

    // Route: /v1/accounts/{account}/transfers
    if (auto e = q.only({"token", "direction", "from_block", "to_block", "limit", "cursor", "format"})) return fail(*e);
    BlockNum from = 0, to = 0;
    if (auto e = block_range(from, to)) return fail(*e);
    auto direction = q.choice("direction", {"in", "out", "any"}, "any");
    if (failed(direction)) return fail(std::get<ApiError>(direction));
    const uint8_t dirs = std::get<std::string>(direction) == "in" ? 2 : std::get<std::string>(direction) == "out" ? 1 : 3;
    std::optional<Address> token;
    if (const std::string* t = q.get("token")) {
        token = parse_address(*t);
        if (!token) return fail(bad_request("bad_address", "token '" + *t + "' is not an address"));
    }
    const Address account = addrs[0];
    return list(ListSpec{kTransferColumns, valid_transfer_position,
                         [account, token, dirs, from, to](const storage::View& v, const std::string& pos, size_t limit) {
                             Page page;
                             auto items = v.account_transfers(account, token, dirs, from, to,
                                                              decode_transfer_position(pos), limit + 1);
                             bool more = items.size() > limit;
                             if (more) items.resize(limit);
                             BlockTimes times(v);
                             for (const auto& t : items) page.rows.push_back(transfer_row(t.transfer, times));
                             if (more) page.next = transfer_position(items.back().transfer);
                             return page;
                         }});
}

}  // namespace erc20::api
